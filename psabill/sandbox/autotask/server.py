""":class:`AutotaskSandbox`: the fake Autotask on the sandbox's server core.

Same lifecycle, transport, request log, admin endpoints and
:class:`~psabill.sandbox.faults.FaultPlan` as the fake ConnectWise server; the PSA behind them is
:class:`~psabill.sandbox.autotask.flavor.AutotaskFlavor`. Its data is the ConnectWise demo MSP
translated (:mod:`~psabill.sandbox.autotask.translate`), so the three sandboxes serve one MSP.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from psabill.sandbox.autotask.api import ROOT, AutotaskApi
from psabill.sandbox.autotask.data import (
    DEMO_CREDENTIALS,
    Adjustment,
    AutotaskCredentials,
    AutotaskWorld,
    seed_autotask_demo,
)
from psabill.sandbox.autotask.flavor import AutotaskFlavor
from psabill.sandbox.autotask.translate import world_from_store
from psabill.sandbox.faults import FaultPlan
from psabill.sandbox.flavor import BilledLine
from psabill.sandbox.seed import seed_demo
from psabill.sandbox.server import Sandbox
from psabill.sandbox.store import Store


class AutotaskSandbox(Sandbox):
    """Autotask look-alike serving ``store`` (a seeded ConnectWise store, translated; a fresh
    ``seed_demo`` one when ``None``) on ``host:port``.

    ``world`` serves an Autotask world as it is instead, and ``today`` (without ``store`` or
    ``world``) the small two-customer world of :func:`seed_autotask_demo` for that year."""

    def __init__(
        self,
        store: Store | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: FaultPlan | None = None,
        credentials: AutotaskCredentials = DEMO_CREDENTIALS,
        world: AutotaskWorld | None = None,
        today: date | None = None,
    ) -> None:
        if world is None and store is None and today is not None:
            world = AutotaskWorld()
            seed_autotask_demo(world, today)
        if world is None:
            if store is None:
                store = Store()
                seed_demo(store)
            world = world_from_store(store)
        faults = faults if faults is not None else FaultPlan()
        self.world = world
        self.autotask_credentials = credentials
        flavor = AutotaskFlavor(world, credentials, faults)
        super().__init__(store, host=host, port=port, faults=faults, flavor=flavor)
        self.autotask_flavor = flavor

    def __enter__(self) -> AutotaskSandbox:
        self.start()
        return self

    @property
    def autotask(self) -> AutotaskApi:
        """The REST surface: its thread limiter, test gate and usage counter."""
        return self.autotask_flavor.api

    @property
    def zone_lookup_url(self) -> str:
        """Where a client discovers its zone (``webservices.autotask.net`` for the real one)."""
        return self.site_url + ROOT

    @property
    def api_url(self) -> str:
        return self.site_url + ROOT

    def billed(self, on: date) -> list[BilledLine]:
        return self.autotask_flavor.billed(on)

    def adjustments(self, *, seeded: bool = False) -> list[Adjustment]:
        """Every adjustment posted through the API (and the seeded history with ``seeded``)."""
        with self.world.lock:
            return [a for a in self.world.adjustments if seeded or not a.seeded]


def psa_section(sandbox: AutotaskSandbox) -> dict[str, Any]:
    """The ``[psa]`` table reaching the running ``sandbox`` with its demo API user."""
    login = sandbox.autotask_credentials
    return {
        "kind": "autotask",
        "username": login.username,
        "integration_code": login.integration_code,
        "secret": login.secret,
        "zone_lookup": sandbox.zone_lookup_url,
    }
