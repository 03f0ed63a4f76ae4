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
from datetime import UTC, datetime
from decimal import Decimal

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
    acme = store.add_company("AcmeDental", "Acme Dental Group", city="Springfield")
    muller = store.add_company("MuellerSoehne", "Müller & Söhne GmbH", city="München")
    northwind = store.add_company("Northwind", "Northwind Logistics", city="Seattle")
    store.add_company("Northwind1", "Northwind Logistics", status="Inactive", deleted=True)
    harbor = store.add_company("BlueHarbor", "Blue Harbor Legal LLP", city="Portland")
    contoso = store.add_company("Contoso", "Contoso Pharmacy", city="Redmond")

    acme_ms = store.add_agreement(
        acme,
        "Acme Dental - Managed Services",
        agreement_type=managed,
        start_date=START,
        bill_amount=1500,
    )
    store.add_addition(acme_ms, "SOPHOS-IX-ADV", 42, effective_date=START)
    store.add_addition(acme_ms, "LASTPASS-BUS", 38, effective_date=START)

    muller_ms = store.add_agreement(
        muller,
        "Müller - Managed Services",
        agreement_type=managed,
        start_date=START,
        bill_amount=2200,
    )
    muller_sec = store.add_agreement(
        muller, "Müller - Security Services", agreement_type=security, start_date=START
    )
    store.add_addition(muller_ms, "M365-BP", 25, effective_date=START)
    store.add_addition(muller_sec, "TM-WFBS-SVC", 17, effective_date=START)

    northwind_ms = store.add_agreement(
        northwind, "Northwind - Managed Services", agreement_type=managed, start_date=START
    )
    store.add_addition(northwind_ms, "GOTO-CONNECT-STD", 55, effective_date=START)
    store.add_addition(
        northwind_ms,
        "LASTPASS-BUS",
        12,
        effective_date=START,
        cancelled_date="2024-06-30T00:00:00Z",
    )

    store.add_agreement(
        harbor,
        "Blue Harbor - Managed Services (2022)",
        agreement_type=managed,
        start_date="2022-01-01T00:00:00Z",
        cancelled_date="2023-12-31T00:00:00Z",
    )
    store.add_agreement(
        harbor, "Blue Harbor - Managed Services", agreement_type=managed, start_date=START
    )

    store.add_agreement(
        contoso, "Contoso - Security Services", agreement_type=security, start_date=START
    )

    store.add_invoice(
        acme,
        "INV-10231",
        date="2024-11-01T00:00:00Z",
        total="455.00",
        agreement_id=acme_ms,
        balance=0,
    )
    store.add_invoice(
        muller, "INV-10232", date="2024-11-01T00:00:00Z", total="604.40", agreement_id=muller_ms
    )


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
