"""A fake Sophos Central on loopback and a runtime with a clock the test moves: no sleeps."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from psabill.config.vendor_models import SophosSource
from psabill.psa.pacing import RetryPolicy
from psabill.sandbox.sophos_data import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    SophosWorld,
    Tenant,
    seed_sophos_demo,
    usage_line,
)
from psabill.sandbox.sophos_server import SophosSandbox
from psabill.sources.vendors import RunMoment, Runtime, VendorRecord, read_vendor
from psabill.sources.vendors.oauth import TokenCache

START = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)
"""The run's instant: December 2026, so November is the last published month."""


@dataclass
class Clock:
    """One wall clock for the fake server (token expiry, which months are over) and psabill
    (token reuse); ``sleep`` only moves it and records the wait."""

    now: datetime = START
    slept: list[float] = field(default_factory=list)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.advance(seconds)

    def monotonic(self) -> float:
        return (self.now - START).total_seconds()


@dataclass
class FakeSophos:
    server: SophosSandbox
    clock: Clock
    runtime: Runtime
    warnings: list[str] = field(default_factory=list)
    """What every read so far warned about."""

    @property
    def world(self) -> SophosWorld:
        return self.server.world

    def source(self, **changes: Any) -> SophosSource:
        values: dict[str, Any] = {
            "name": "sophos",
            "kind": "sophos",
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
            "usage_month": "previous",
            "id_url": self.server.site_url,
            "api_url": self.server.site_url,
        }
        return SophosSource.model_validate(values | changes)

    def read(self, source: SophosSource | None = None, **moment: Any) -> tuple[VendorRecord, ...]:
        when = RunMoment(moment.pop("now", self.clock.now), **moment)
        return read_vendor(source or self.source(), when, frozenset(), self.runtime, self.warnings)

    def paths(self) -> list[str]:
        return [r.path for r in self.server.requests()]

    def queries(self, path: str) -> list[str]:
        return [r.query for r in self.server.requests() if r.path == path]


@pytest.fixture(name="sophos")
def fake_sophos() -> Iterator[FakeSophos]:
    clock = Clock()
    world = SophosWorld()
    seed_sophos_demo(world, START.date())
    runtime = Runtime(
        sleep=clock.sleep,
        wall=clock,
        monotonic=clock.monotonic,
        tokens=TokenCache(),
        policy=RetryPolicy(max_retries=3, base_delay=1.0, max_delay=4.0),
    )
    with SophosSandbox(world, clock=clock) as server:
        yield FakeSophos(server, clock, runtime)


def many_lines(count: int, year: int = 2026, month: int = 11) -> list[dict[str, Any]]:
    """``count`` one-seat lines over three tenants and two SKUs."""
    tenants = [Tenant(f"t-{i}", f"Tenant {i}") for i in range(3)]
    return [
        usage_line(
            tenants[n % 3], ("CIXA", "CIXA-XDR")[n % 2], "IX", 1, 1,
            year=year, month=month, order=f"SO-{n}",
        )
        for n in range(count)
    ]  # fmt: skip
