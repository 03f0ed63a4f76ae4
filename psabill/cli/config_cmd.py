"""``psabill config init | validate | show``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from psabill.cli.app import App, echo_json, pass_app
from psabill.cli.words import plural
from psabill.config.loader import CONFIG_NAME
from psabill.config.psa_models import PSA_KINDS
from psabill.config.sample import write_sample
from psabill.config.show import effective, to_toml
from psabill.errors import ConfigError


@click.group()
def config() -> None:
    """Create, check and show the configuration file."""


@config.command()
@click.argument("path", required=False, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--force", is_flag=True, help="Replace an existing file.")
@click.option(
    "--psa",
    type=click.Choice(PSA_KINDS),
    default="connectwise",
    show_default=True,
    help="The PSA whose [psa] keys the sample shows.",
)
def init(path: Path | None, force: bool, psa: str) -> None:
    """Write a fully commented sample config (mode 0600).

    PATH defaults to ./psabill.toml. An existing file is never replaced
    without --force.

    \b
    Example:
      psabill config init /etc/psabill/psabill.toml
      psabill config init --psa autotask
    """
    target = path or Path(CONFIG_NAME)
    write_sample(target, force=force, psa=psa)
    click.echo(f"wrote {target} (mode 0600); edit it, then run `psabill config validate`")


@config.command()
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_app
def validate(app: App, as_json: bool) -> None:
    """Check the config; exit 78 listing every problem as FILE:LINE: key: message.

    \b
    Example:
      psabill --config examples/psabill.toml config validate
    """
    if as_json:
        _validate_json(app)
        return
    loaded = app.loaded()
    cfg = loaded.config
    zone = cfg.account.timezone
    click.echo(
        f"{loaded.path}: valid - {plural(len(cfg.sources), 'source')}, "
        f"{plural(len(cfg.products), 'product')}, {plural(len(cfg.customers), 'customer')}; "
        f"schedule: {cfg.schedule.rule().describe()} ({zone})"
        + ("" if cfg.schedule.enabled else ", disabled")
    )


@config.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of TOML.")
@pass_app
def show(app: App, as_json: bool) -> None:
    """Print the effective config, defaults filled in and secrets masked.

    \b
    Example:
      psabill config show --json
    """
    cfg = app.loaded().config
    if as_json:
        echo_json(effective(cfg))
    else:
        click.echo(to_toml(cfg), nl=False)


def _validate_json(app: App) -> None:
    """``{"valid": ...}`` on stdout either way; exit 78 when invalid, as without --json."""
    try:
        loaded = app.loaded()
    except ConfigError as error:
        echo_json({"valid": False, "error": error.message, "problems": error.problems})
        sys.exit(int(error.exit_code))
    echo_json({"valid": True, "path": str(loaded.path), "warnings": list(loaded.warnings)})
