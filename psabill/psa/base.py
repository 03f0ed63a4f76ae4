"""What psabill needs from a PSA, in psabill's own terms.

Every PSA adapter (ConnectWise, Autotask, HaloPSA) implements :class:`PsaClient`
and maps its wire format to the value objects of :mod:`psabill.core.entities`. Adapters raise only
:class:`~psabill.errors.PsaError` (with a hint a user can act on) or ``ValueError`` for a
programming mistake such as a too-short search text.

Write semantics every adapter must keep:

* ``create_*`` are never blindly retried. When the outcome of a create is unknown (timeout
  after the request was sent, dropped connection, 5xx), the adapter re-reads and creates again
  only when the record is really absent; when it is there it returns it.
* ``update_addition_quantity`` and ``cancel_addition`` write absolute values, so repeating them
  is harmless and they may be retried. A PSA that can only post *deltas* (Autotask's unit
  adjustments) reads the quantity on the billing date first, posts the difference, and records
  every delta in a :class:`DeltaJournal` before and after it is sent; after an unknown outcome
  it never posts again until a re-read shows the delta did not land.

Quantities may be dated (Autotask's units change on a day): ``additions`` and
``update_addition_quantity`` take the billing date ``on``; PSAs whose quantities are not dated
ignore it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from types import TracebackType
from typing import Literal, Protocol, Self

from psabill.core.entities import (
    Addition,
    Agreement,
    CatalogItem,
    Company,
    Invoice,
    NewAddition,
    NewCatalogItem,
)


@dataclass(frozen=True)
class Delta:
    """One signed quantity change a PSA was (or is about to be) sent, for the ledger.

    ``before`` is what a fresh read showed on ``day``; ``change`` is ``target - before``;
    ``reference`` names the PSA's record (Autotask: the contract service)."""

    agreement_id: int
    product_id: int
    reference: int | None
    day: date
    before: Decimal
    change: Decimal

    @property
    def after(self) -> Decimal:
        return self.before + self.change


DeltaState = Literal["sending", "posted", "refused", "unknown", "landed", "lost"]
"""``sending``: recorded, its request not answered yet (a crash leaves it so); ``posted``: the
PSA answered with its id; ``refused``: the PSA answered an error that proves it did not apply
it (a 4xx); ``unknown``: no usable answer (a timeout, a lost connection, a 5xx); ``landed`` /
``lost``: a later read showed it applied / not applied."""


@dataclass(frozen=True)
class JournalEntry:
    id: int
    delta: Delta
    state: DeltaState
    run_id: int | None = None


class DeltaJournal(Protocol):
    """Where a delta-posting adapter records what it sends (the ledger, in a run).

    ``sending`` must be durable before it returns: the request goes out after it."""

    keeps: bool
    """Whether it records anything; an adapter that posts deltas refuses to write without."""

    def sending(self, delta: Delta) -> int:
        """Record ``delta`` as about to be sent; its entry id."""
        ...

    def settle(self, entry: int, state: DeltaState, *, note: str | None = None) -> None:
        """Record what became of entry ``entry``; ``note`` says why (the PSA's id, an error)."""
        ...

    def open_entries(self, agreement_id: int, product_id: int) -> list[JournalEntry]:
        """Entries for this agreement and product whose landing is not known yet
        (``sending`` or ``unknown``), oldest first."""
        ...


class NoJournal:
    """A journal that keeps nothing: for adapters of absolute-quantity PSAs, and read-only use.

    A delta-posting adapter refuses to write with it (see :attr:`keeps`)."""

    keeps = False

    def sending(self, delta: Delta) -> int:
        raise RuntimeError("no journal: this client may not post deltas")

    def settle(self, entry: int, state: DeltaState, *, note: str | None = None) -> None:
        raise RuntimeError("no journal: this client may not post deltas")

    def open_entries(self, agreement_id: int, product_id: int) -> list[JournalEntry]:
        return []


@dataclass(frozen=True)
class AccessCheck:
    """One line of ``psabill doctor``: what was checked and what is missing."""

    name: str
    ok: bool | None
    """``True`` passed, ``False`` failed, ``None`` could not be checked (see ``detail``)."""
    detail: str
    hint: str | None = None
    required: bool = True
    """``False`` for permissions only some settings need (creating catalog items)."""


@dataclass(frozen=True)
class AccessReport:
    """Connectivity, credentials and permissions of the configured API member."""

    site: str
    api_url: str | None
    codebase: str | None
    checks: tuple[AccessCheck, ...]

    @property
    def ok(self) -> bool:
        """Whether every required check passed (skipped ones count as not passed)."""
        return all(check.ok for check in self.checks if check.required)

    @property
    def problems(self) -> tuple[AccessCheck, ...]:
        return tuple(check for check in self.checks if check.ok is False)


class PsaClient(Protocol):
    """An open connection to one PSA. Use as ``async with open_client(psa) as client: ...``."""

    async def companies(self, identifiers: Sequence[str]) -> list[Company]:
        """Companies whose identifier is one of ``identifiers`` (deleted ones included,
        flagged ``deleted``); identifiers compare case-insensitively, as the PSA does."""
        ...

    async def agreements(self, company_ids: Sequence[int]) -> list[Agreement]:
        """Every agreement of these companies, cancelled, expired and not-yet-started ones
        included, with their start and end dates (see ``Agreement.status_on``)."""
        ...

    async def agreement_types(self) -> list[str]:
        """Names of the active agreement types, sorted."""
        ...

    async def additions(self, agreement_id: int, on: date | None = None) -> list[Addition]:
        """Every addition of one agreement, cancelled ones included, with quantities as they
        stand on billing date ``on`` where the PSA dates them (``None``: today)."""
        ...

    async def catalog_items(self, identifiers: Sequence[str]) -> list[CatalogItem]:
        """Catalog items whose identifier is one of ``identifiers`` (inactive ones included)."""
        ...

    async def search_catalog(self, text: str, limit: int = 50) -> list[CatalogItem]:
        """Items whose identifier or description contains ``text`` (at least 2 characters,
        else ``ValueError``), at most ``limit``, by identifier."""
        ...

    async def search_companies(self, text: str, limit: int = 50) -> list[Company]:
        """Companies whose identifier or name contains ``text``, or whose record id is
        ``text`` (at least 2 characters, else ``ValueError``); deleted ones included, flagged.
        At most ``limit``, by identifier."""
        ...

    async def create_addition(self, new: NewAddition) -> Addition:
        """Create an addition; on an unknown outcome return the one that was made, if any."""
        ...

    async def update_addition_quantity(
        self, agreement_id: int, addition_id: int, quantity: Decimal, on: date | None = None
    ) -> Addition:
        """Set the quantity (absolute, never a delta) from billing date ``on`` where the PSA
        dates quantities (``None``: today), and return the stored addition."""
        ...

    async def cancel_addition(
        self, agreement_id: int, addition_id: int, cancelled: date
    ) -> Addition:
        """Set the cancelled date (the addition stays, for history) and return it."""
        ...

    async def create_catalog_item(self, new: NewCatalogItem) -> CatalogItem:
        """Create a catalog item with the PSA's default type and category; an existing active
        item with that identifier is returned as is. Raises if the PSA renamed the new item."""
        ...

    async def invoices(self, company_ids: Sequence[int], since: date, until: date) -> list[Invoice]:
        """Invoices of these companies dated ``since`` to ``until``, both inclusive."""
        ...

    async def check_access(self) -> AccessReport:
        """Check connectivity, credentials and permissions without changing billing data.

        Never raises for a failed check: the report says what failed and what to do.
        """
        ...

    async def aclose(self) -> None: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...
