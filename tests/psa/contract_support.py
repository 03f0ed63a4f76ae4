"""One adapter per PSA for the contract class in ``test_contract.py``.

The contract class speaks the ConnectWise demo MSP's words (``AcmeDental``, ``SOPHOS-IX-ADV``,
agreement 1500); a :class:`ContractPsa` turns them into one PSA's (Autotask and Halo name a company
by its id and a product by its Service/Item name; Halo gives some agreements a negative id),
builds that PSA's client on the test's fake clock, and reads back what the sandbox would bill,
through the PSA-neutral :meth:`~psabill.sandbox.server.Sandbox.billed`. What differs between PSAs
in the *contract* is only data here (which request paths a fault targets, whether a line can be
stopped); behaviour a PSA has on its own is tested in that PSA's own tests.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from psabill.config.models import AutotaskPsa, HaloPsa
from psabill.psa.autotask.client import AutotaskClient
from psabill.psa.base import PsaClient
from psabill.psa.connectwise.client import ConnectWiseClient
from psabill.psa.halopsa.client import HaloClient
from psabill.sandbox import DEMO_CREDENTIALS, Sandbox, SandboxCredentials
from psabill.sandbox.autotask import AutotaskSandbox
from psabill.sandbox.kinds import Identifiers, identifiers, psa_section
from tests.psa.autotask.support import MemoryJournal
from tests.psa.conftest import FakeClock
from tests.psa.support import sandbox_psa

T = TypeVar("T")

NOW = datetime(2025, 3, 15, 12, 0, tzinfo=UTC)
DAY = NOW.date()
"""The billing date of every contract test: inside each active demo agreement."""
WRONG = "wrong-secret-Zq81"


@dataclass(frozen=True)
class Paths:
    """Request paths (regular expressions, as fault rules take them) of one PSA's API."""

    companies: str
    """The request reading companies by identifier."""
    additions: str
    """The request reading an agreement's lines."""
    create: str
    """The POST that makes a new line (Autotask: the unit adjustment that creates it)."""


PATHS = {
    "connectwise": Paths("/company/companies", "/additions", "/additions$"),
    "autotask": Paths(
        "/Companies/query", "/ContractServices/query", "/ContractServiceAdjustments$"
    ),
    "halopsa": Paths("/api/Client", "/api/RecurringInvoice/-?[0-9]+$", "/RecurringInvoice/Lines$"),
}


@dataclass
class ContractPsa:
    """One running sandbox and how the contract class talks to it."""

    kind: str
    sandbox: Sandbox
    clock: FakeClock
    ids: Identifiers
    journal: MemoryJournal = field(default_factory=MemoryJournal)
    """The delta journal an Autotask client records into (one per test, like one ledger)."""

    @classmethod
    def of(cls, sandbox: Sandbox, clock: FakeClock) -> ContractPsa:
        return cls(sandbox.kind, sandbox, clock, identifiers(sandbox.kind, sandbox.store))

    @property
    def paths(self) -> Paths:
        return PATHS[self.kind]

    @property
    def stops_lines(self) -> bool:
        """Whether psabill may stop a line (cancel it, or take it to 0) in this PSA: not in
        Autotask, where 0 units by adjustment is unverified (reference §1.7)."""
        return self.kind != "autotask"

    # -- the demo's words in this PSA's ------------------------------------------------------

    def company(self, cw_identifier: str) -> str:
        return self.ids.company(cw_identifier)

    def catalog(self, cw_identifier: str) -> str:
        return self.ids.catalog(cw_identifier)

    def agreement(self, cw_agreement_id: int) -> int:
        """The agreement's id in this PSA (Halo: its recurring invoice header, maybe < 0)."""
        translate = getattr(self.ids, "agreement", None)
        return int(translate(cw_agreement_id)) if translate else cw_agreement_id

    # -- clients -------------------------------------------------------------------------------

    def client(self, *, bad_secret: bool = False, **options: Any) -> PsaClient:
        """A client of the demo's API user (with a wrong secret: ``bad_secret``), sleeping on
        the fake clock, unpaced (the fault plan's limit is what a test sets)."""
        options.setdefault("timeout", 5.0)
        options.update(sleep=self.clock.sleep, monotonic=self.clock.monotonic)
        if self.kind == "connectwise":
            login = DEMO_CREDENTIALS
            if bad_secret:
                login = SandboxCredentials(login.company, login.public_key, WRONG, login.client_id)
            return ConnectWiseClient(sandbox_psa(self.sandbox, login, rate_limit="none"), **options)
        section = {**psa_section(self.sandbox), "rate_limit": "none"}
        if self.kind == "autotask":
            if bad_secret:
                section["secret"] = WRONG
            return AutotaskClient(
                AutotaskPsa(**section), journal=self.journal, wall=lambda: NOW, **options
            )
        if bad_secret:
            section["client_secret"] = WRONG
        return HaloClient(HaloPsa(**section), wall=lambda: NOW, **options)

    def run(self, action: Callable[[Any], Awaitable[T]], **options: Any) -> T:
        """``action(client)`` on a fresh client in a fresh event loop (one "run")."""

        async def main() -> T:
            async with self.client(**options) as client:
                return await action(client)

        return asyncio.run(main())

    # -- what the PSA bills --------------------------------------------------------------------

    def billed(self, cw_agreement_id: int, on: date = DAY) -> dict[str, Decimal]:
        """Product identifier -> quantity of each line of the agreement billing on ``on``;
        fails when two such lines bill one product (double billing)."""
        agreement = self.agreement(cw_agreement_id)
        found: dict[str, Decimal] = {}
        for line in self.sandbox.billed(on):
            if line.agreement_id != agreement or line.cancelled:
                continue
            assert line.product_identifier not in found, f"two lines bill {line}"
            found[line.product_identifier] = line.quantity
        return found

    def expect(self, quantities: dict[str, int]) -> dict[str, Decimal]:
        """``billed`` as it should read, from ConnectWise catalog identifiers."""
        return {self.catalog(sku): Decimal(n) for sku, n in quantities.items()}

    def unit_changes(self) -> list[int]:
        """Every unit adjustment posted through an Autotask sandbox's API, in order."""
        assert isinstance(self.sandbox, AutotaskSandbox)
        return [a.unit_change for a in self.sandbox.adjustments()]

    def state(self) -> dict[str, Any]:
        return self.sandbox.flavor.dump()
