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
* **Contoso Pharmacy** — Security Services, no additions. Its Managed Services agreement
  *expired* in 2024 (ended, never cancelled): a Contoso customer billed on Managed Services gets
  an error line naming that agreement, never a bill.

Northwind's current Managed Services agreement also sits between two that must not bill: its
previous term (expired 2023) and its next one, signed but *not started yet* (``NOT_STARTED``,
far enough ahead to stay in the future whenever the demo runs). psabill bills neither: the one
active agreement wins, where counting the others as billable would make the choice ambiguous.
``agreementStatus`` reads ``Expired``/``Inactive`` for them, derived from their dates when read.

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
NOT_STARTED = "2099-01-01T00:00:00Z"
"""Start of the renewals the seeds hold: not started, whatever the clock says."""
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
    end: str | None = None
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
    # Appended, and without additions, so every id above and the next addition's id stay
    # what tests know them by.
    _Agreement(
        "Northwind",
        "Northwind - Managed Services (2021-2023)",
        "managed",
        start="2021-01-01T00:00:00Z",
        end="2023-12-31T00:00:00Z",
    ),
    _Agreement(
        "Northwind", "Northwind - Managed Services (next term)", "managed", start=NOT_STARTED
    ),
    _Agreement(
        "Contoso",
        "Contoso - Managed Services (2022-2024)",
        "managed",
        start="2022-07-01T00:00:00Z",
        end="2024-06-30T00:00:00Z",
    ),
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
        end_date=agreement.end,
        cancelled_date=agreement.cancelled,
        bill_amount=agreement.bill_amount,
    )
    for sku, quantity, cancelled in agreement.additions:
        store.add_addition(
            agreement_id, sku, quantity, effective_date=agreement.start, cancelled_date=cancelled
        )
    return agreement_id


EXPIRED_EVERY = 7
"""In :func:`seed_large`, every 7th company also has its previous term: expired, same type."""
RENEWAL_EVERY = 11
"""... and every 11th a signed renewal of the same type that has not started yet."""


def seed_large(store: Store, companies: int, products: int, *, seed: int = 0) -> None:
    """``companies`` companies with one agreement each, carrying one addition per product.

    For benchmarks: ``companies × products`` additions. Quantities and prices come from
    ``random.Random(seed)``, so the data is the same on every run with the same seed.
    Agreements that must not bill, of the same type and without additions, come after
    (so the ids of the others do not depend on them): an expired previous term for every
    :data:`EXPIRED_EVERY`-th company, a not-yet-started renewal for every
    :data:`RENEWAL_EVERY`-th.
    """
    if companies < 0 or products < 0:
        raise ValueError("companies and products cannot be negative")
    rng = random.Random(seed)  # noqa: S311 - repeatable test data
    with store.stamped_at(SEEDED_AT):
        agreement_type = store.add_agreement_type("Managed Services")
        items = [_large_item(store, number, rng) for number in range(1, products + 1)]
        ids: dict[int, int] = {}
        for number in range(1, companies + 1):
            ids[number] = company = store.add_company(f"C{number:05d}", f"Customer {number:05d}")
            agreement = store.add_agreement(
                company,
                f"Customer {number:05d} - Managed Services",
                agreement_type=agreement_type,
                start_date=START,
            )
            for item in items:
                store.add_addition(agreement, item, rng.randrange(1, 500), effective_date=START)
        _other_terms(store, ids, agreement_type)


def _large_item(store: Store, number: int, rng: random.Random) -> int:
    price = Decimal(rng.randrange(100, 5000)) / 100
    identifier, description = f"VENDOR-SKU-{number:04d}", f"Vendor product {number}"
    return store.add_catalog_item(identifier, description, price=price, cost=price * Decimal("0.6"))


def _other_terms(store: Store, ids: dict[int, int], agreement_type: int) -> None:
    """Agreements that must not bill: expired previous terms and not-yet-started renewals."""
    for number in range(EXPIRED_EVERY, len(ids) + 1, EXPIRED_EVERY):
        store.add_agreement(
            ids[number],
            f"Customer {number:05d} - Managed Services (previous term)",
            agreement_type=agreement_type,
            start_date="2021-01-01T00:00:00Z",
            end_date="2023-12-31T00:00:00Z",
        )
    for number in range(RENEWAL_EVERY, len(ids) + 1, RENEWAL_EVERY):
        store.add_agreement(
            ids[number],
            f"Customer {number:05d} - Managed Services (renewal)",
            agreement_type=agreement_type,
            start_date=NOT_STARTED,
        )
