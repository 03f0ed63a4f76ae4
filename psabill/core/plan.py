"""A plan and its lines: the whole action list psabill computes before any write. Pure.

The decision table that makes one line is :mod:`psabill.core.decide`; the walk over every
customer in scope is :mod:`psabill.core.plan_build`. Quantities are absolute: a line says
"set to N", never "add N", so applying a plan twice changes nothing the second time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from psabill.core.entities import Addition, Agreement, CatalogItem, Company

if TYPE_CHECKING:  # the schema is not needed to hold a plan: the ledger reads plans cheaply
    from psabill.config.models import Config
    from psabill.core.mapping import Resolution

Action = Literal[
    "create", "update", "zero", "cancel", "unchanged", "keep",
    "ambiguous", "error", "paused", "stopped", "held",
]  # fmt: skip
WRITES: frozenset[str] = frozenset({"create", "update", "zero", "cancel"})
PROBLEMS: frozenset[str] = frozenset({"ambiguous", "error", "paused", "stopped", "held"})
IDENTIFIER_LIMIT = 60  # ConnectWise allows 75 since 2025.x, 60 before: stay portable.


@dataclass(frozen=True)
class Snapshot:
    """What was read from the PSA for the customers in scope (keys are casefolded)."""

    companies: Mapping[str, Company]
    agreements: Mapping[int, tuple[Agreement, ...]]
    additions: Mapping[int, tuple[Addition, ...]]
    catalog: Mapping[str, CatalogItem]


@dataclass(frozen=True, slots=True)
class PlanLine:
    customer: str
    customer_label: str
    sku: str
    action: Action
    why: str
    company: str | None = None
    agreement_id: int | None = None
    agreement_name: str | None = None
    psa_product: str | None = None
    product_id: int | None = None
    addition_id: int | None = None
    current: Decimal | None = None
    desired: Decimal | None = None
    unit_price: Decimal | None = None
    unit_cost: Decimal | None = None
    description: str | None = None
    """The invoice line of a new addition: the mapping's description, else the catalog item's."""
    company_name: str | None = None
    """The PSA company's name (``company`` is its identifier), for what customers read."""

    @property
    def writes(self) -> bool:
        return self.action in WRITES


@dataclass(frozen=True)
class CatalogRepair:
    """A broken product mapping repaired with a catalog item psabill owns."""

    sku: str
    missing: str
    identifier: str
    description: str
    exists: bool
    price: Decimal | None = None
    cost: Decimal | None = None
    source: str | None = field(default=None, compare=False)
    """The ``source`` of the product mapping repaired, for the command that fixes it (a hint
    for people: two repairs of one mapping are the same repair whatever it says)."""


@dataclass(frozen=True)
class GuardTrip:
    """One customer a mass-change guard held back, and why; ``allowed_by`` names the flag
    that let it through instead ("" while it holds).

    A value, never a string to split: a customer may be called "Acme: Dental".
    """

    customer: str
    label: str
    reasons: tuple[str, ...]
    allowed_by: str = ""

    def __str__(self) -> str:
        text = "; ".join(self.reasons)
        text = f"{self.label}: {text}" if self.label else text
        return f"{text} (allowed by {self.allowed_by})" if self.allowed_by else text


@dataclass(frozen=True)
class Plan:
    today: date
    lines: tuple[PlanLine, ...]
    repairs: tuple[CatalogRepair, ...] = ()
    guard_trips: tuple[GuardTrip, ...] = ()
    fingerprint: Mapping[int, tuple[str, ...]] = field(default_factory=dict)

    @property
    def writes(self) -> tuple[PlanLine, ...]:
        return tuple(line for line in self.lines if line.writes)


@dataclass(frozen=True)
class PlanContext:
    config: Config
    resolution: Resolution
    scope: tuple[str, ...]
    snapshot: Snapshot
    today: date
    failed_sources: frozenset[str] = frozenset()
    known_additions: Mapping[tuple[str, str], int] = field(default_factory=dict)


def qty(value: Decimal | None) -> str:
    """A quantity for people: ``-`` for none, no exponent, no trailing zeros ("45", "2.5")."""
    return "-" if value is None else format(value.normalize(), "f")


def default_identifier(sku: str) -> str:
    """Catalog identifier psabill creates for a SKU: stable, safe characters, within limits."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", sku).strip("-") or "PRODUCT"
    return f"PSABILL-{cleaned}"[:IDENTIFIER_LIMIT]


def fingerprint_of(additions: tuple[Addition, ...]) -> tuple[str, ...]:
    """What a saved plan assumed about one agreement; compared again before applying it."""
    return tuple(
        sorted(
            f"{a.id}:{a.product_identifier}:{a.quantity.normalize()}:{a.status}:{a.cancelled_date}"
            for a in additions
        )
    )
