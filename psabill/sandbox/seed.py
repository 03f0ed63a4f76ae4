"""Seed data: a small realistic MSP (:func:`seed_demo`) and a large generator (:func:`seed_large`).

Both are deterministic: rows are stamped ``lastUpdated = 2024-12-01T09:00:00Z`` whatever the
store clock says, so two seeded stores dump identically.

The demo MSP has the traps a seat sync meets in real life:

* **Acme Dental Group** — one Managed Services agreement with Sophos and LastPass additions.
* **Müller & Söhne GmbH** — non-ASCII name; *two* agreements of different types (Managed
  Services and Security Services), so "which agreement?" needs a mapping.
* **Northwind Logistics** — GoTo Connect seats plus a LastPass addition cancelled in 2024, and
  a deleted (recycle-bin) company with the same name.
* **Blue Harbor Legal LLP** — a cancelled agreement next to its active replacement, which has
  no additions yet (a sync must create them).
* **Contoso Pharmacy** — Security Services only, no additions.

Catalog identifiers are vendor-style SKUs; one item (``SOPHOS-CE-LEGACY``) is inactive.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Literal

from psabill.sandbox.store import Store

START = "2024-01-01T00:00:00Z"
SEEDED_AT = datetime(2024, 12, 1, 9, 0, tzinfo=UTC)

# identifier, description, price, cost
DEMO_CATALOG = (
    ("SOPHOS-IX-ADV", "Sophos Intercept X Advanced", "4.50", "2.75"),
    ("SOPHOS-IX-XDR", "Sophos Intercept X Advanced with XDR", "6.25", "3.90"),
    ("TM-WFBS-SVC", "Trend Micro Worry-Free Business Security Services", "3.20", "1.80"),
    ("LASTPASS-BUS", "LastPass Business", "7.00", "4.00"),
    ("GOTO-CONNECT-STD", "GoTo Connect Phone System - Standard seat", "24.00", "15.00"),
    ("M365-BP", "Microsoft 365 Business Premium", "22.00", "19.80"),
    ("SOPHOS-CE-LEGACY", "Sophos Central Endpoint (legacy)", "3.00", "1.50"),
)


@dataclass(frozen=True)
class _Company:
    identifier: str
    name: str
    city: str | None = None
    status: str = "Active"
    deleted: bool = False


@dataclass(frozen=True)
class _Agreement:
    company: str
    """The company's identifier."""
    name: str
    agreement_type: Literal["managed", "security"]
    start: str = START
    cancelled: str | None = None
    bill_amount: int = 0
    additions: tuple[tuple[str, int, str | None], ...] = ()
    """(catalog identifier, quantity, cancelled date), each effective from :data:`START`."""


@dataclass(frozen=True)
class _Invoice:
    company: str
    number: str
    total: str
    agreement: str
    """The agreement's name."""
    balance: int | None = None
    date: str = "2024-11-01T00:00:00Z"


# In insertion order: ids follow it, and tests name rows by id.
DEMO_COMPANIES = (
    _Company("AcmeDental", "Acme Dental Group", city="Springfield"),
    _Company("MuellerSoehne", "Müller & Söhne GmbH", city="München"),
    _Company("Northwind", "Northwind Logistics", city="Seattle"),
    _Company("Northwind1", "Northwind Logistics", status="Inactive", deleted=True),
    _Company("BlueHarbor", "Blue Harbor Legal LLP", city="Portland"),
    _Company("Contoso", "Contoso Pharmacy", city="Redmond"),
)
DEMO_AGREEMENTS = (
    _Agreement(
        "AcmeDental",
        "Acme Dental - Managed Services",
        "managed",
        bill_amount=1500,
        additions=(("SOPHOS-IX-ADV", 42, None), ("LASTPASS-BUS", 38, None)),
    ),
    _Agreement(
        "MuellerSoehne",
        "Müller - Managed Services",
        "managed",
        bill_amount=2200,
        additions=(("M365-BP", 25, None),),
    ),
    _Agreement(
        "MuellerSoehne",
        "Müller - Security Services",
        "security",
        additions=(("TM-WFBS-SVC", 17, None),),
    ),
    _Agreement(
        "Northwind",
        "Northwind - Managed Services",
        "managed",
        additions=(
            ("GOTO-CONNECT-STD", 55, None),
            ("LASTPASS-BUS", 12, "2024-06-30T00:00:00Z"),
        ),
    ),
    _Agreement(
        "BlueHarbor",
        "Blue Harbor - Managed Services (2022)",
        "managed",
        start="2022-01-01T00:00:00Z",
        cancelled="2023-12-31T00:00:00Z",
    ),
    _Agreement("BlueHarbor", "Blue Harbor - Managed Services", "managed"),
    _Agreement("Contoso", "Contoso - Security Services", "security"),
)
DEMO_INVOICES = (
    _Invoice("AcmeDental", "INV-10231", "455.00", "Acme Dental - Managed Services", balance=0),
    _Invoice("MuellerSoehne", "INV-10232", "604.40", "Müller - Managed Services"),
)


def seed_demo(store: Store) -> None:
    """Fill ``store`` with the demo MSP described in the module docstring."""
    with store.stamped_at(SEEDED_AT):
        managed = store.add_agreement_type("Managed Services", prorate=True)
        security = store.add_agreement_type("Security Services")
        store.add_product_type("Software")
        store.add_product_type("Service")
        store.add_subcategory("Security Software")
        store.add_subcategory("Cloud Services", category="Services")
        for identifier, description, price, cost in DEMO_CATALOG:
            subcategory = (
                "Cloud Services" if identifier.startswith(("GOTO", "M365")) else "Security Software"
            )
            store.add_catalog_item(
                identifier,
                description,
                price=Decimal(price),
                cost=Decimal(cost),
                subcategory=subcategory,
                product_type="Software",
                inactive=identifier.endswith("LEGACY"),
            )
        _demo_companies(store, managed, security)


def _demo_companies(store: Store, managed: int, security: int) -> None:
    """Add the demo companies, then their agreements (with additions), then their invoices."""
    companies = {
        c.identifier: store.add_company(
            c.identifier, c.name, status=c.status, deleted=c.deleted, city=c.city
        )
        for c in DEMO_COMPANIES
    }
    types = {"managed": managed, "security": security}
    agreements = {
        a.name: _add_agreement(store, a, companies[a.company], types[a.agreement_type])
        for a in DEMO_AGREEMENTS
    }
    for i in DEMO_INVOICES:
        store.add_invoice(
            companies[i.company],
            i.number,
            date=i.date,
            total=i.total,
            agreement_id=agreements[i.agreement],
            balance=i.balance,
        )


def _add_agreement(store: Store, agreement: _Agreement, company_id: int, type_id: int) -> int:
    """One demo agreement and its additions; returns the agreement's id."""
    agreement_id = store.add_agreement(
        company_id,
        agreement.name,
        agreement_type=type_id,
        start_date=agreement.start,
        cancelled_date=agreement.cancelled,
        bill_amount=agreement.bill_amount,
    )
    for sku, quantity, cancelled in agreement.additions:
        store.add_addition(
            agreement_id, sku, quantity, effective_date=START, cancelled_date=cancelled
        )
    return agreement_id


def seed_large(store: Store, companies: int, products: int, *, seed: int = 0) -> None:
    """``companies`` companies with one agreement each, carrying one addition per product.

    For benchmarks: ``companies × products`` additions. Quantities and prices come from
    ``random.Random(seed)``, so the data is the same on every run with the same seed.
    """
    if companies < 0 or products < 0:
        raise ValueError("companies and products cannot be negative")
    rng = random.Random(seed)  # noqa: S311 - repeatable test data
    with store.stamped_at(SEEDED_AT):
        agreement_type = store.add_agreement_type("Managed Services")
        items = []
        for number in range(1, products + 1):
            price = Decimal(rng.randrange(100, 5000)) / 100
            items.append(
                store.add_catalog_item(
                    f"VENDOR-SKU-{number:04d}",
                    f"Vendor product {number}",
                    price=price,
                    cost=price * Decimal("0.6"),
                )
            )
        for number in range(1, companies + 1):
            company = store.add_company(f"C{number:05d}", f"Customer {number:05d}")
            agreement = store.add_agreement(
                company,
                f"Customer {number:05d} - Managed Services",
                agreement_type=agreement_type,
                start_date=START,
            )
            for item in items:
                store.add_addition(agreement, item, rng.randrange(1, 500), effective_date=START)
