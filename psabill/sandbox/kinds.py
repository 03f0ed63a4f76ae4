"""The three fake PSAs by ``[psa] kind``: start one over the demo MSP, and what a config needs.

Every sandbox serves the same MSP: a ConnectWise :class:`~psabill.sandbox.store.Store` seeded by
:func:`~psabill.sandbox.seed.seed_demo` (or ``seed_large``), which the Autotask and HaloPSA
sandboxes translate into their own records. So ``sandbox serve --psa`` and ``demo --psa`` differ
only in the three things asked here: the sandbox, its ``[psa]`` section and the demo's
identifiers in that PSA's terms. The Autotask and HaloPSA packages are imported when asked for,
so a ConnectWise sandbox never loads them.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol, cast

from psabill.sandbox.auth import SandboxCredentials
from psabill.sandbox.faults import FaultPlan
from psabill.sandbox.server import Sandbox
from psabill.sandbox.store import Store

PsaKind = Literal["connectwise", "autotask", "halopsa"]
PSA_KINDS: tuple[PsaKind, ...] = ("connectwise", "autotask", "halopsa")
TITLES: dict[str, str] = {
    "connectwise": "ConnectWise Manage",
    "autotask": "Autotask PSA",
    "halopsa": "HaloPSA",
}


class Identifiers(Protocol):
    """The ConnectWise demo's identifiers in one PSA's terms (unknown ones unchanged)."""

    def company(self, cw_identifier: str) -> str: ...

    def catalog(self, cw_identifier: str) -> str: ...


class SameIdentifiers:
    """ConnectWise's own: every identifier is itself."""

    def company(self, cw_identifier: str) -> str:
        return cw_identifier

    def catalog(self, cw_identifier: str) -> str:
        return cw_identifier


def psa_sandbox(
    kind: str,
    store: Store,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    faults: FaultPlan | None = None,
) -> Sandbox:
    """A (not yet started) sandbox of ``kind`` serving the MSP seeded into ``store``."""
    if kind == "connectwise":
        return Sandbox(store, host=host, port=port, faults=faults)
    if kind == "autotask":
        from psabill.sandbox.autotask import AutotaskSandbox

        return AutotaskSandbox(store, host=host, port=port, faults=faults)
    if kind == "halopsa":
        from psabill.sandbox.halopsa import HaloSandbox

        return HaloSandbox(store, host=host, port=port, faults=faults)
    raise ValueError(f"unknown PSA kind {kind!r}; use one of {', '.join(PSA_KINDS)}")


def psa_section(sandbox: Sandbox) -> dict[str, Any]:
    """The ``[psa]`` table reaching the running ``sandbox`` with its public demo keys."""
    if sandbox.kind == "autotask":
        from psabill.sandbox import autotask

        return autotask.psa_section(cast("autotask.AutotaskSandbox", sandbox))
    if sandbox.kind == "halopsa":
        from psabill.sandbox import halopsa

        return halopsa.psa_section(cast("halopsa.HaloSandbox", sandbox))
    return connectwise_section(sandbox.site_url, sandbox.credentials)


def connectwise_section(site_url: str, credentials: SandboxCredentials) -> dict[str, Any]:
    """The ``[psa]`` table reaching the ConnectWise sandbox at ``site_url`` as ``credentials``."""
    return {
        "kind": "connectwise",
        "site": site_url,
        "company": credentials.company,
        "public_key": credentials.public_key,
        "private_key": credentials.private_key,
        "client_id": credentials.client_id,
    }


def identifiers(kind: str, store: Store) -> Identifiers:
    """How the demo config's ``psa_company``/``psa_product`` values read on ``kind``."""
    if kind == "autotask":
        from psabill.sandbox import autotask

        return autotask.Identifiers.of(store)
    if kind == "halopsa":
        from psabill.sandbox import halopsa

        return halopsa.Identifiers.of(store)
    return SameIdentifiers()
