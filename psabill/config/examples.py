"""Example entries of the list sections, next to the models they exemplify.

A scalar key carries its example on its field (``Field(examples=[...])``); an
entry of ``[[sources]]``, ``[[products]]``, ``[[customers]]`` or
``[[billing_admins]]`` is a whole record whose keys only make sense together, so
the records live here, as the raw TOML data a user would write.
:mod:`psabill.config.sample` renders them (their comments come from the field
descriptions), and the tests load the result with the real loader, so an example
that drifts from the schema fails there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Final


@dataclass(frozen=True)
class Example:
    """One entry of a list section, as raw TOML data, keys in the order written."""

    entry: Mapping[str, Any]
    active: bool = True
    """False: written commented out, an alternative for the reader to uncomment."""


_SOURCES = (
    Example(
        {
            "name": "sophos",
            "kind": "csv",
            "path": "usage/sophos.csv",
            "delimiter": "auto",
            "customer_field": "Customer ID",
            "sku_field": "Product Code",
            "quantity_field": "Licenses",
            "date_field": "Date",
            "duplicates": "refuse",
        }
    ),
    Example(
        {
            "name": "lastpass",
            "kind": "json",
            "path": "usage/lastpass.json",
            "customer_field": "companyId",
            "sku_field": "sku",
            "quantity_field": "seats",
        }
    ),
    Example(
        {
            "name": "trend",
            "kind": "command",
            "argv": ["/usr/local/bin/trend-export", "--format", "csv"],
            "format": "csv",
            "timeout": 300,
        },
        active=False,
    ),
    Example(
        {
            "name": "goto",
            "kind": "http",
            "url": "https://usage.example.com/goto.json",
            "token": "${GOTO_TOKEN}",
            "timeout": 60,
        },
        active=False,
    ),
    Example(
        {
            "name": "sophos-central",
            "kind": "sophos",
            "client_id": "${SOPHOS_CLIENT_ID}",
            "client_secret": "${SOPHOS_CLIENT_SECRET}",
            "partner_id": "5f0c7e3a-9d41-4b8e-a2f6-0c1d2e3f4a5b",
            "quantity_field": "billableQuantity",
            "usage_month": "previous",
            "id_url": "https://id.sophos.com",
            "api_url": "https://api.central.sophos.com",
            "timeout": 60,
        },
        active=False,
    ),
)

_PRODUCTS = (
    Example(
        {
            "sku": "CIXA",
            "source": "sophos",
            "name": "Sophos Intercept X Advanced",
            "psa_product": "SOPHOS-IXA",
            "description": "Sophos Intercept X Advanced - endpoint protection per device",
            "sync": True,
            "unit_price": "4.50",
            "unit_cost": "2.75",
            "decimal_quantities": False,
            "on_usage_gone": "keep",
            "on_psa_product_missing": "pause",
        }
    ),
    Example(
        {
            "sku": "LP-BUS",
            "source": "lastpass",
            "name": "LastPass Business",
            "psa_product": "LASTPASS-BUS",
        }
    ),
)

_CUSTOMERS = (
    Example(
        {
            "id": "7d1f3c2e-acme",
            "source": "sophos",
            "name": "Acme Corp",
            "psa_company": "AcmeCorp",
            "sync": True,
            "settings": "global",
        }
    ),
    Example(
        {
            "id": "51234",
            "name": "Müller & Söhne GmbH",
            "psa_company": "MuellerSoehne",
            "settings": "custom",
            "schedule": {"mode": "monthly", "day": 31, "hour": 7},
            "emails": "buchhaltung@mueller.example",
            "contract": {"agreement_type": "Managed Services", "agreement_name": "MS Gold"},
            "contracts": [
                {
                    "product": "CIXA",
                    "agreement_type": "Security Services",
                    "agreement_name": "Security Bundle",
                }
            ],
        }
    ),
)

_BILLING_ADMINS = (
    Example(
        {
            "email": "controller@northwind.example",
            "name": "Casey Controller",
            "view_invoices": True,
            "pay_invoices": True,
        }
    ),
)

EXAMPLES: Final[Mapping[str, tuple[Example, ...]]] = {
    "sources": _SOURCES,
    "products": _PRODUCTS,
    "customers": _CUSTOMERS,
    "billing_admins": _BILLING_ADMINS,
}
"""Example entries by the name of their list section in :class:`~psabill.config.models.Config`."""

PSA_COMPANIES: Final[Mapping[str, Mapping[str, str]]] = {
    "autotask": {"AcmeCorp": "29683541", "MuellerSoehne": "29683542"},
    "halopsa": {"AcmeCorp": "12", "MuellerSoehne": "13"},
}
"""The example customers' ``psa_company`` on PSAs that name companies by their id."""


def examples_for(section: str, psa: str) -> tuple[Example, ...]:
    """The example entries of ``section`` in a config for the PSA of kind ``psa``."""
    examples = EXAMPLES.get(section, ())
    companies = PSA_COMPANIES.get(psa, {})
    if section != "customers" or not companies:
        return examples
    return tuple(
        replace(e, entry={**e.entry, "psa_company": companies[e.entry["psa_company"]]})
        for e in examples
    )
