"""``psabill sandbox``: run the fake ConnectWise Manage server from the command line."""

from __future__ import annotations

import ipaddress
import json
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

import click
import tomli_w

from psabill.cli.app import echo_err
from psabill.cli.sandbox_vendor import VendorServe, serve_vendor
from psabill.sandbox import FaultPlan, Sandbox, SandboxCredentials, Store, seed_demo, seed_large
from psabill.sandbox.admin import ADMIN_PREFIX
from psabill.sandbox.security import DEMO_MEMBER, PARTIAL_ROLES, member_credentials

MEMBERS = (DEMO_MEMBER, *PARTIAL_ROLES)


@click.group()
def sandbox() -> None:
    """Fake PSA servers for trying psabill without touching a real PSA."""


@sandbox.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="Port to listen on; 0 picks a free one.",
)
@click.option(
    "--seed",
    "seed_spec",
    default="demo",
    show_default=True,
    metavar="demo|empty|large:N:P",
    help="Initial data: the demo MSP, nothing, or N companies x P products.",
)
@click.option(
    "--faults",
    "faults_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JSON fault plan to start with (see psabill.sandbox.faults).",
)
@click.option(
    "--state-out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the final PSA state as JSON here on exit.",
)
@click.option(
    "--print-config",
    is_flag=True,
    help="Print a ready [psa] TOML section on stdout (the banner goes to stderr).",
)
@click.option(
    "--member",
    type=click.Choice(MEMBERS),
    default=DEMO_MEMBER,
    show_default=True,
    help="API member whose keys to print; all of them are accepted. Each no-* member lacks "
    "one security role right, readonly may only read.",
)
@click.option(
    "--allow-remote",
    is_flag=True,
    help="Allow a non-loopback --host. The keys are public: never expose this to a network.",
)
@click.option(
    "--vendor",
    type=click.Choice(["sophos"]),
    help="Serve a fake vendor API instead of the PSA: sophos is Sophos Central (token "
    "service and Partner API); --print-config then prints a [[sources]] section.",
)
def serve(
    host: str,
    port: int,
    seed_spec: str,
    faults_file: Path | None,
    state_out: Path | None,
    print_config: bool,
    member: str,
    allow_remote: bool,
    vendor: str | None,
) -> None:
    """Serve a fake ConnectWise Manage API until Ctrl-C or SIGTERM.

    It speaks the real REST API (Basic auth, clientId, conditions, paging, PATCH arrays,
    validation errors) over plain HTTP and prints the credentials to use. The admin endpoints
    under /__sandbox__/ (state, reset, faults, requests) take the same credentials.

    Example:

    \b
        psabill sandbox serve --port 8765 --print-config > sandbox.toml
        psabill sandbox serve --member no-agreement-edit --print-config > no-edit.toml
        psabill sandbox serve --seed large:500:20 --faults faults.json --state-out final.json
        psabill sandbox serve --vendor sophos --port 8918 --print-config >> psabill.toml

    where faults.json fails the next two addition POSTs with 503, then loses the response
    to the third (which is committed all the same):

    \b
        {"seed": 1, "rules": [
          {"kind": "status", "status": 503, "method": "POST", "path": "/additions$", "times": 2},
          {"kind": "lose_response", "method": "POST", "path": "/additions$", "times": 1}]}
    """
    if not allow_remote and not _is_loopback(host):
        raise click.UsageError(
            f"--host {host} is not a loopback address; add --allow-remote if you really mean it."
        )
    if vendor is not None:
        faults = _load_faults(faults_file) if faults_file else FaultPlan()
        options = VendorServe(host, port, seed_spec, faults, state_out, print_config)
        serve_vendor(vendor, options, wait=_wait_for_stop_signal)
        return
    store = Store()
    _seed(store, seed_spec)
    faults = _load_faults(faults_file) if faults_file else FaultPlan()
    server = Sandbox(store, host=host, port=port, faults=faults)
    try:
        server.start()
    except OSError as error:
        raise click.ClickException(
            f"cannot listen on {host}:{port}: {error.strerror or error}"
        ) from None
    try:
        _announce(server, member_credentials(member, server.credentials), print_config)
        _wait_for_stop_signal()
    finally:
        server.stop()
        if state_out is not None:
            state_out.write_text(
                json.dumps(store.dump(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
            )
            echo_err(f"State written to {state_out}")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _seed(store: Store, spec: str) -> None:
    kind, _, rest = spec.partition(":")
    if spec == "demo":
        seed_demo(store)
    elif spec == "empty":
        pass
    elif kind == "large":
        companies, _, products = rest.partition(":")
        if not (companies.isdigit() and products.isdigit()):
            raise click.BadParameter("use large:N:P, e.g. large:500:20", param_hint="--seed")
        seed_large(store, int(companies), int(products))
    else:
        raise click.BadParameter(
            f"unknown seed {spec!r}; use demo, empty or large:N:P", param_hint="--seed"
        )


def _load_faults(path: Path) -> FaultPlan:
    try:
        return FaultPlan.from_file(path)
    except (OSError, ValueError) as error:
        raise click.BadParameter(f"{path}: {error}", param_hint="--faults") from None


def psa_config_toml(server: Sandbox, credentials: SandboxCredentials | None = None) -> str:
    """The ``[psa]`` section a psabill config needs to talk to ``server`` as ``credentials``
    (default: the server's full-rights member)."""
    credentials = credentials or server.credentials
    section = {
        "kind": "connectwise",
        "site": server.site_url,
        "company": credentials.company,
        "public_key": credentials.public_key,
        "private_key": credentials.private_key,
        "client_id": credentials.client_id,
    }
    return tomli_w.dumps({"psa": section})


def _announce(server: Sandbox, credentials: SandboxCredentials, print_config: bool) -> None:
    banner = [
        f"psabill sandbox (fake ConnectWise Manage) listening on {server.site_url}",
        f"  API base:    {server.api_url}",
        f"  company:     {credentials.company}",
        f"  public key:  {credentials.public_key}",
        f"  private key: {credentials.private_key}",
        f"  client id:   {credentials.client_id}",
        f"  admin:       {server.site_url}{ADMIN_PREFIX}state (full-rights Basic credentials)",
        f"  members:     {', '.join(MEMBERS)} (--member picks whose keys are shown)",
        "Press Ctrl-C to stop.",
    ]
    if print_config:
        click.echo(psa_config_toml(server, credentials), nl=False)
    echo_err("\n".join(banner)) if print_config else click.echo("\n".join(banner))
    sys.stdout.flush()
    sys.stderr.flush()


def _wait_for_stop_signal() -> None:
    """Block until SIGINT/SIGTERM; both end the command with exit status 0."""
    stop = threading.Event()

    def _handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, _handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stop.wait(0.2):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


if __name__ == "__main__":
    sandbox()
