"""``psabill sandbox``: run a fake PSA (ConnectWise Manage, Autotask, HaloPSA) or vendor API."""

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
from psabill.sandbox.kinds import PSA_KINDS, TITLES, connectwise_section, psa_sandbox, psa_section
from psabill.sandbox.security import DEMO_MEMBER, PARTIAL_ROLES, member_credentials

MEMBERS = (DEMO_MEMBER, *PARTIAL_ROLES)
ADMIN_KEYS = {
    "autotask": "the demo user's three API headers",
    "halopsa": "client_id:client_secret as Basic credentials",
}


@click.group()
def sandbox() -> None:
    """Fake PSA servers for trying psabill without touching a real PSA."""


@sandbox.command()
@click.option(
    "--psa",
    "kind",
    type=click.Choice(PSA_KINDS),
    default="connectwise",
    show_default=True,
    help="Which PSA to fake; each serves the same demo MSP (--seed) in its own terms.",
)
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
    show_default=DEMO_MEMBER,
    help="ConnectWise API member whose keys to print; all of them are accepted. Each no-* "
    "member lacks one security role right, readonly may only read.",
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
    kind: str,
    host: str,
    port: int,
    seed_spec: str,
    faults_file: Path | None,
    state_out: Path | None,
    print_config: bool,
    member: str | None,
    allow_remote: bool,
    vendor: str | None,
) -> None:
    """Serve a fake PSA API until Ctrl-C or SIGTERM.

    It speaks the PSA's real REST API over plain HTTP (ConnectWise: Basic auth, clientId,
    conditions, paging, PATCH arrays; Autotask: zone lookup, the three auth headers, query
    bodies, nextPageUrl, the thread limit; HaloPSA: OAuth client credentials, wrapped lists,
    recurring invoice lines, its rate limit) and prints the credentials to use. The admin
    endpoints under /__sandbox__/ (state, reset, faults, requests) take the same credentials.

    Example:

    \b
        psabill sandbox serve --port 8765 --print-config > sandbox.toml
        psabill sandbox serve --psa autotask --print-config > autotask.toml
        psabill sandbox serve --psa halopsa --seed large:200:10
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
    if member is not None and kind != "connectwise":
        raise click.UsageError(
            f"--member picks a ConnectWise API member; the {TITLES[kind]} sandbox has one "
            "demo API user. Drop --member, or use --psa connectwise."
        )
    if vendor is not None:
        faults = _load_faults(faults_file) if faults_file else FaultPlan()
        options = VendorServe(host, port, seed_spec, faults, state_out, print_config)
        serve_vendor(vendor, options, wait=_wait_for_stop_signal)
        return
    store = Store()
    _seed(store, seed_spec)
    faults = _load_faults(faults_file) if faults_file else FaultPlan()
    server = psa_sandbox(kind, store, host=host, port=port, faults=faults)
    try:
        server.start()
    except OSError as error:
        raise click.ClickException(
            f"cannot listen on {host}:{port}: {error.strerror or error}"
        ) from None
    try:
        _announce(server, member or DEMO_MEMBER, print_config)
        _wait_for_stop_signal()
    finally:
        server.stop()
        if state_out is not None:
            state = json.dumps(server.flavor.dump(), ensure_ascii=False, indent=2) + "\n"
            state_out.write_text(state, encoding="utf-8")
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
    """The ``[psa]`` section a psabill config needs to talk to the running ``server`` (as
    ``credentials``, a ConnectWise member; default the demo keys). ``rate_limit = "none"``:
    the sandbox is on this machine, so psabill need not pace itself (a PSA's own limit, e.g.
    HaloPSA's 300 per 5 minutes, is still enforced and answered with 429 and Retry-After)."""
    if credentials is None:
        section = psa_section(server)
    else:
        section = connectwise_section(server.site_url, credentials)
    return tomli_w.dumps({"psa": {**section, "rate_limit": "none"}})


def _announce(server: Sandbox, member: str, print_config: bool) -> None:
    if server.kind == "connectwise":
        credentials = member_credentials(member, server.credentials)
        banner = _connectwise_banner(server, credentials)
    else:
        credentials = None
        banner = _banner(server)
    if print_config:
        click.echo(psa_config_toml(server, credentials), nl=False)
    echo_err("\n".join(banner)) if print_config else click.echo("\n".join(banner))
    sys.stdout.flush()
    sys.stderr.flush()


def _connectwise_banner(server: Sandbox, credentials: SandboxCredentials) -> list[str]:
    return [
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


def _banner(server: Sandbox) -> list[str]:
    """The ``[psa]`` values to use, one a line (the demo keys are public)."""
    section = {key: value for key, value in psa_section(server).items() if key != "kind"}
    width = max(len(key) for key in section) + 1
    return [
        f"psabill sandbox (fake {TITLES[server.kind]}) listening on {server.site_url}",
        *(f"  {key + ':':<{width}} {value}" for key, value in section.items()),
        f"  {'admin:':<{width}} {server.site_url}{ADMIN_PREFIX}state ({ADMIN_KEYS[server.kind]})",
        "Press Ctrl-C to stop.",
    ]


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
