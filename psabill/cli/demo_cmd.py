"""``psabill demo``."""

from __future__ import annotations

import contextlib
import shutil
import signal
import sys
import threading
from pathlib import Path

import click

from psabill.app.runner import Runner
from psabill.cli.app import App, pass_app
from psabill.cli.render import echo_mail, echo_source_warnings, print_report
from psabill.config.loader import load_config
from psabill.core.report import SyncReport, SyncRequest
from psabill.sandbox.demo import DemoPsa, DemoSetup, prepare, start_sandbox, start_sophos
from psabill.sandbox.kinds import PSA_KINDS, TITLES


@click.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path, file_okay=False),
    help="Write the demo config, usage files and ledger here (default: a new temp dir).",
)
@click.option("--keep-running", is_flag=True, help="Keep the sandbox up afterwards to explore.")
@click.option(
    "--psa",
    "kind",
    type=click.Choice(PSA_KINDS),
    default="connectwise",
    show_default=True,
    help="Which fake PSA to bill: the same demo MSP in ConnectWise Manage, Autotask or HaloPSA.",
)
@click.option(
    "--vendor",
    type=click.Choice(["sophos"]),
    help="Read Sophos usage from a fake Sophos Central Partner API (started beside the "
    "sandbox PSA) instead of the demo's CSV export.",
)
@pass_app
def demo(
    app: App, directory: Path | None, keep_running: bool, kind: str, vendor: str | None
) -> None:
    """Run a real sync end to end against a built-in sandbox PSA (no account needed).

    Starts the sandbox with demo customers, agreements and catalog items on a
    free loopback port, writes a demo config and usage files (the same as
    examples/), runs `sync --now` twice - the second run changes nothing -
    and tells you where everything went. Summary emails are written as .eml
    files to mail/ in that directory (transport = "folder"), not sent.

    --psa autotask or halopsa serves the same MSP as that PSA would hold it:
    the config's [psa] section is that sandbox's, and its psa_company and
    psa_product values are that PSA's (company ids, service or item names).

    The sandbox stops when the demo ends, and the demo config points at it:
    with --keep-running it stays up (until Ctrl-C) so you can try `plan`,
    `doctor` or `products search` with that config in another terminal.

    \b
    Examples:
      psabill demo
      psabill demo --dir ./try-psabill --keep-running
      psabill demo --psa autotask
      psabill demo --psa halopsa --vendor sophos
    """
    sandbox = start_sandbox(kind)
    sophos = start_sophos() if vendor == "sophos" else None
    try:
        setup = prepare(directory=directory, sophos=sophos, psa=DemoPsa.of(sandbox))
        click.echo(
            f"sandbox PSA ({TITLES[kind]}) on {sandbox.site_url}; demo files in {setup.directory}\n"
        )
        if sophos is not None:
            click.echo(f"fake Sophos Central on {sophos.site_url}\n")
        loaded = load_config(setup.config, app.env)
        runner = Runner(loaded=loaded, state_dir=setup.state_dir, env=app.env)
        click.echo("== first run: psabill sync --now")
        first = _run(runner)
        click.echo("\n== second run: quantities are absolute, so nothing changes")
        second = _run(runner)
        _echo_next_steps(setup, first.run_id, sandbox.site_url, keep_running)
        if keep_running:
            _wait_for_signal()
        code = max(first.exit_code, second.exit_code)
    finally:
        sandbox.stop()
        if sophos is not None:
            sophos.stop()
    sys.exit(int(code))


def _echo_next_steps(
    setup: DemoSetup, run_id: int | None, site_url: str, keep_running: bool
) -> None:
    """Where everything went, and commands to paste next, one to a line."""
    exe = shutil.which("psabill") or str(Path(sys.argv[0]).resolve())
    base = f"{exe} --config {setup.config} --state-dir {setup.state_dir}"
    click.echo(
        f"\nledger: {setup.state_dir / 'ledger.sqlite3'}\n"
        f"summary emails: {setup.mail_dir} (open the .eml files in any mail client)\n"
        "\nlook around (these read the ledger only):\n"
        f"  {base} history\n"
        f"  {base} report {run_id}"
    )
    if keep_running:
        click.echo(
            f"\nthe sandbox PSA stays up on {site_url} until Ctrl-C; "
            "in another terminal try:\n"
            f"  {base} plan\n"
            f"  {base} doctor"
        )
    else:
        click.echo(
            "\nthe sandbox PSA stopped with the demo, so commands that reach the PSA (plan, "
            "sync, doctor, products search) fail with this config; "
            "`psabill demo --keep-running` keeps it up while you try them"
        )


def _run(runner: Runner) -> SyncReport:
    """One manual run, its report, and where its summary emails went."""
    result = runner.run(SyncRequest(trigger="manual", acting_admin="demo"))
    if result.error is not None:
        raise result.error
    echo_source_warnings(result.report)
    print_report(result.report)
    echo_mail(result.mail, as_json=False)
    return result.report


def _wait_for_signal() -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
