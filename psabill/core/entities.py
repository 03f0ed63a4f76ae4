"""PSA entities in psabill's own terms, shared by every PSA adapter and the planner.

Adapters (ConnectWise now; Autotask and HaloPSA later) map their JSON to these
frozen value objects; the planner in ``psabill.core`` only ever sees these.
Quantities and money are ``Decimal``: the wire's doubles are converted once,
at the adapter boundary.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

AgreementStatus = Literal["Active", "Cancelled", "Expired", "Inactive"]


@dataclass(frozen=True)
class Company:
    id: int
    identifier: str
    name: str
    deleted: bool = False


@dataclass(frozen=True)
class Agreement:
    id: int
    name: str
    type_name: str
    company_id: int
    company_identifier: str
    cancelled: bool
    status: AgreementStatus = "Active"

    @property
    def billable(self) -> bool:
        """Cancelled agreements are never touched; expired ones still bill (as Sophos does)."""
        return not self.cancelled and self.status != "Cancelled"


@dataclass(frozen=True)
class Addition:
    id: int
    agreement_id: int
    product_id: int
    product_identifier: str
    quantity: Decimal
    unit_price: Decimal | None = None
    unit_cost: Decimal | None = None
    effective_date: date | None = None
    cancelled_date: date | None = None
    status: AgreementStatus = "Active"
    description: str = ""

    def is_cancelled(self, today: date) -> bool:
        """Cancelled by status, or by a cancelled date that has come."""
        if self.status == "Cancelled":
            return True
        return self.cancelled_date is not None and self.cancelled_date <= today


@dataclass(frozen=True)
class CatalogItem:
    id: int
    identifier: str
    description: str
    inactive: bool = False
    price: Decimal | None = None
    cost: Decimal | None = None


@dataclass(frozen=True)
class Invoice:
    id: int
    number: str
    company_id: int
    company_identifier: str
    date: date
    total: Decimal
    agreement_id: int | None = None


@dataclass(frozen=True)
class NewAddition:
    """An addition to create: absolute quantity, never a delta."""

    agreement_id: int
    product_id: int
    product_identifier: str
    quantity: Decimal
    effective_date: date
    unit_price: Decimal | None = None
    unit_cost: Decimal | None = None
    description: str = ""


@dataclass(frozen=True)
class NewCatalogItem:
    identifier: str
    description: str
    customer_description: str
    price: Decimal | None = None
    cost: Decimal | None = None
