"""``psabill sandbox serve --vendor sophos``: a fake vendor API from the command line."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click

from psabill.cli.app import echo_err
from psabill.sandbox.faults import FaultPlan
from psabill.sandbox.sophos_data import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    TENANT_CLIENT_ID,
    SophosWorld,
)
from psabill.sandbox.sophos_server import SophosSandbox, source_toml


@dataclass(frozen=True)
class VendorServe:
    host: str
    port: int
    seed: str
    faults: FaultPlan
    state_out: Path | None
    print_config: bool


def serve_vendor(vendor: str, options: VendorServe, *, wait: Callable[[], None]) -> None:
    """Serve the fake ``vendor`` until ``wait`` returns (Ctrl-C or SIGTERM)."""
    if options.seed not in ("demo", "empty"):
        raise click.BadParameter("a vendor sandbox takes --seed demo or empty", param_hint="--seed")
    world = SophosWorld() if options.seed == "empty" else None
    server = SophosSandbox(world, host=options.host, port=options.port, faults=options.faults)
    try:
        server.start()
    except OSError as error:
        raise click.ClickException(
            f"cannot listen on {options.host}:{options.port}: {error.strerror or error}"
        ) from None
    try:
        _announce(server, options.print_config)
        wait()
    finally:
        server.stop()
        if options.state_out is not None:
            text = json.dumps(server.world.dump(), ensure_ascii=False, indent=2) + "\n"
            options.state_out.write_text(text, encoding="utf-8")
            echo_err(f"State written to {options.state_out}")


def _announce(server: SophosSandbox, print_config: bool) -> None:
    banner = [
        f"psabill sandbox (fake Sophos Central) listening on {server.site_url}",
        f"  token:         POST {server.id_url}/api/v2/oauth2/token",
        f"  client id:     {DEMO_CLIENT_ID} (a partner credential)",
        f"  client secret: {DEMO_CLIENT_SECRET}",
        f"  partner id:    {server.world.partner_id}",
        f"  also:          {TENANT_CLIENT_ID} (same secret; whoami says idType tenant)",
        "  usage:         published for past months only; this month answers 404",
        "Press Ctrl-C to stop.",
    ]
    if print_config:
        click.echo(source_toml(server), nl=False)
    echo_err("\n".join(banner)) if print_config else click.echo("\n".join(banner))
    sys.stdout.flush()
    sys.stderr.flush()
