"""What the HaloPSA client tests share: clients on the fake clock, the demo's ids."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from psabill.config.models import HaloPsa
from psabill.psa.halopsa.client import HaloClient
from psabill.sandbox.halopsa import HaloSandbox, psa_section
from tests.psa.conftest import FakeClock

T = TypeVar("T")
ACME, MUELLER, NORTHWIND, NORTHWIND_DELETED, BLUE_HARBOR = 250, 251, 252, 253, 254
NEGATIVE = -1505
"""Blue Harbor's current Managed Services recurring invoice: a negative id, no lines."""
LASTPASS, M365 = 703, 705


def halo_client(halo: HaloSandbox, clock: FakeClock, **options: Any) -> HaloClient:
    settings = {**psa_section(halo), "rate_limit": "none", **options.pop("psa", {})}
    options.setdefault("timeout", 5.0)
    return HaloClient(HaloPsa(**settings), sleep=clock.sleep, monotonic=clock.monotonic, **options)


def run(client: HaloClient, action: Callable[[HaloClient], Awaitable[T]]) -> T:
    async def main() -> T:
        async with client:
            return await action(client)

    return asyncio.run(main())


def paths(halo: HaloSandbox, method: str | None = None) -> list[str]:
    return [r.path for r in halo.requests() if method is None or r.method == method]
