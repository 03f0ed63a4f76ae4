""":class:`AutotaskSandbox`: the fake Autotask on the sandbox's server core.

Same lifecycle, transport, request log and :class:`~psabill.sandbox.faults.FaultPlan` as the fake
ConnectWise server; only the API behind them (:class:`~psabill.sandbox.autotask.api.AutotaskApi`)
differs. The admin endpoints are still ConnectWise's (its demo credentials), a gap to close.
"""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from typing import Any

from psabill.sandbox.autotask.api import ROOT, AutotaskApi
from psabill.sandbox.autotask.data import (
    DEMO_CREDENTIALS,
    Adjustment,
    AutotaskCredentials,
    AutotaskWorld,
    seed_autotask_demo,
)
from psabill.sandbox.faults import FaultPlan
from psabill.sandbox.server import Sandbox
from psabill.sandbox.store import Store


class AutotaskSandbox(Sandbox):
    """Autotask look-alike serving ``world`` on ``host:port`` (demo-seeded for ``today`` if
    ``world`` is not given)."""

    def __init__(
        self,
        world: AutotaskWorld | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        credentials: AutotaskCredentials = DEMO_CREDENTIALS,
        faults: FaultPlan | None = None,
        today: date | None = None,
    ) -> None:
        super().__init__(Store(), host=host, port=port, faults=faults)
        if world is None:
            world = AutotaskWorld()
            seed_autotask_demo(world, today or datetime.now(UTC).date())
        self.world = world
        self.autotask = AutotaskApi(world, credentials, self.faults)
        self.api = self.autotask  # type: ignore[assignment]  # the transport only calls handle()
        self._snapshot: tuple[dict[str, dict[int, dict[str, Any]]], list[Adjustment]] = ({}, [])

    def start(self) -> None:
        with self.world.lock:
            self._snapshot = copy.deepcopy((self.world.tables, self.world.adjustments))
        super().start()

    def reset(self) -> None:
        """Restore the world as it was at :meth:`start`, then the core's reset (faults, log)."""
        with self.world.lock:
            tables, adjustments = copy.deepcopy(self._snapshot)
            self.world.tables, self.world.adjustments = tables, adjustments
        super().reset()

    @property
    def zone_lookup_url(self) -> str:
        """Where a client discovers its zone (``webservices.autotask.net`` for the real one)."""
        return self.site_url + ROOT

    @property
    def api_url(self) -> str:
        return self.site_url + ROOT
