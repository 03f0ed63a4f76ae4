"""Fixtures: the demo world over the sandbox (for commands that verify in the PSA), and a
plain config directory for offline edits."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.app.mappings.support import register
from tests.conftest import ENV, MINIMAL
from tests.e2e.conftest import World, world

__all__ = ["HAND", "World", "hand_config", "registered", "world"]

HAND = (
    MINIMAL
    + """
[[sources]]
name = "sophos"
kind = "csv"
path = "usage.csv"
customer_field = "Customer"
sku_field = "SKU"
quantity_field = "Seats"

[[products]]
# hand-written: Sophos Intercept X
sku = "CIXA"
source = "sophos"
name = "Intercept X"
psa_product = "SOPHOS-IX-ADV"
unit_price = "4.50"

[[products]]
sku = "LP-BUS"
psa_product = "LASTPASS-BUS"

[[customers]]
id = "acme"
source = "sophos"
name = "Acme"
psa_company = "AcmeDental"

[[customers]]
id = "51234"
psa_company = "MuellerSoehne"
settings = "custom"
emails = "books@mueller.example"
contract = { agreement_type = "Security Services" }

[[billing_admins]]
email = "boss@northwind.example"
view_invoices = true
pay_invoices = true
"""
)


@pytest.fixture(autouse=True)
def registered() -> None:
    register()


@pytest.fixture
def hand_config(tmp_path: Path) -> Path:
    """A hand-written psabill.toml (mode 0600) with products, customers and an admin."""
    path = tmp_path / "psabill.toml"
    path.write_text(HAND, encoding="utf-8")
    path.chmod(0o600)
    (tmp_path / "usage.csv").write_text("Customer,SKU,Seats\nacme,CIXA,5\n", encoding="utf-8")
    return path


@pytest.fixture
def env() -> dict[str, str]:
    return dict(ENV)
