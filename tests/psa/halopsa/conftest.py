"""The fake Halo every HaloPSA client test talks to (demo MSP, fault plan on the fake clock)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from psabill.sandbox import FaultPlan
from psabill.sandbox.halopsa import HaloSandbox
from tests.psa.conftest import FakeClock


@pytest.fixture
def halo(clock: FakeClock) -> Iterator[HaloSandbox]:
    with HaloSandbox(faults=FaultPlan(clock=clock.monotonic, rate_limit=None)) as running:
        yield running
