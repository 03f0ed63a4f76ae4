"""PSA entities in psabill's own terms, shared by every PSA adapter and the planner.

Adapters (ConnectWise, Autotask, HaloPSA) map their JSON to these
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
    """As the PSA derived it when read, for *its* today; :meth:`status_on` is for a billing date."""
    start_date: date | None = None
    end_date: date | None = None
    """The last day the agreement runs; ``None``: no end."""

    @property
    def billable(self) -> bool:
        """Not cancelled: it may bill on *some* day. Whether it bills on a given billing date
        is :meth:`status_on`; cancelled agreements are never touched at all."""
        return not self.cancelled and self.status != "Cancelled"

    def status_on(self, day: date | None) -> AgreementStatus:
        """The agreement's status on billing date ``day``: only ``Active`` bills.

        Cancelled wins; then not started yet (``startDate`` after ``day``) is ``Inactive`` and
        ended (``endDate`` before ``day``) is ``Expired``, ConnectWise's words. A date the PSA
        did not send cannot clear what its ``agreementStatus`` says, so an agreement reported
        ``Expired`` without an end date stays expired. ``day=None``: the status as read.
        """
        if not self.billable:
            return "Cancelled"
        if day is None:
            return self.status
        if self.start_date is not None and self.start_date > day:
            return "Inactive"
        if self.end_date is not None and self.end_date < day:
            return "Expired"
        dates = {"Inactive": self.start_date, "Expired": self.end_date}
        if self.status in dates and dates[self.status] is None:
            return self.status
        return "Active"

    def state_on(self, day: date | None) -> str:
        """Why it does not bill on ``day``, for people: "Expired (ended 2024-06-30)"."""
        status = self.status_on(day)
        if status == "Expired" and self.end_date is not None:
            return f"{status} (ended {self.end_date})"
        if status == "Inactive" and self.start_date is not None:
            return f"{status} (starts {self.start_date})"
        return status


@dataclass(frozen=True, slots=True)
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
    locked: str | None = None
    """Why psabill must not write this quantity (HaloPSA computes a line's quantity itself
    when it is tied to licences, users or assets): the plan says so and leaves it alone."""

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
