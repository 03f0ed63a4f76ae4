"""Edit mappings from the CLI, then sync: the PSA ends up billing what the edits say."""

from __future__ import annotations

import json

import pytest

from tests.app.mappings.support import register
from tests.e2e.conftest import World


@pytest.fixture(autouse=True)
def registered() -> None:
    register()


ACME_MS, MUELLER_MS, MUELLER_SEC = 1500, 1501, 1502


def _ok(world: World, *args: str) -> str:
    result = world.psabill(*args)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_cli_edits_drive_the_next_sync(world: World) -> None:
    hand_written = world.setup.config.read_bytes()
    harbor = next(
        a["id"]
        for a in world.sandbox.store.dump()["agreements"]
        if a["name"] == "Blue Harbor - Managed Services"
    )
    # A new customer seen in the usage, a new product created in the catalog, a contract moved,
    # and a product switched off.
    _ok(world, "customers", "map", "ff00-newclient", "BlueHarbor", "--source", "sophos")
    _ok(world, "products", "create", "CIXA-SRV", "--source", "sophos", "--price", "9.50")
    _ok(world, "contracts", "assign", "4be1-mueller", "CIXA", "--type", "Security Services")
    _ok(world, "products", "disable", "LP-BUS")
    assert world.setup.config.read_bytes() == hand_written
    output = _ok(world, "sync", "--now")
    assert "unmapped customer" not in output
    assert "unmapped product" not in output
    quantities = world.quantities()
    assert quantities[(harbor, "SOPHOS-IX-ADV")] == 3.0
    assert quantities[(ACME_MS, "PSABILL-CIXA-SRV")] == 2.0
    assert quantities[(MUELLER_SEC, "SOPHOS-IX-ADV")] == 17.0
    assert (MUELLER_MS, "SOPHOS-IX-ADV") not in quantities
    assert quantities[(ACME_MS, "LASTPASS-BUS")] == 38.0  # seeded value: LP-BUS is not synced
    rows = json.loads(_ok(world, "products", "list", "--json"))["products"]
    totals = {(r["sku"], r["source"]): r["synced_total"] for r in rows}
    assert totals[("CIXA", "sophos")] == "73"  # 45 + 17 + 8 + 3
    assert totals[("CIXA-SRV", "sophos")] == "2"
    assert totals[("LP-BUS", "lastpass")] == "-"


def test_unmapping_lists_the_usage_as_unmapped_and_bills_nothing_new(world: World) -> None:
    _ok(world, "customers", "unmap", "nw-goto-77")
    _ok(world, "products", "unmap", "CIXA")
    output = _ok(world, "sync", "--now")
    assert "unmapped customer: goto 'nw-goto-77'" in output
    assert "unmapped product: sophos 'CIXA'" in output
    quantities = world.quantities()
    assert quantities[(1503, "GOTO-CONNECT-STD")] == 55.0  # seeded, untouched
    assert quantities[(ACME_MS, "SOPHOS-IX-ADV")] == 42.0


def test_a_vendor_rename_keeps_the_mapping(world: World) -> None:
    _ok(world, "products", "map", "CIXA", "SOPHOS-IX-ADV", "--name", "Sophos Endpoint (renamed)")
    _ok(world, "sync", "--now")
    assert world.quantities()[(ACME_MS, "SOPHOS-IX-ADV")] == 45.0
    rows = json.loads(_ok(world, "products", "list", "--json", "--offline"))["products"]
    (cixa,) = [r for r in rows if r["sku"] == "CIXA"]
    assert (cixa["name"], cixa["psa_product"]) == ("Sophos Endpoint (renamed)", "SOPHOS-IX-ADV")


def test_customers_verify_after_edits(world: World) -> None:
    assert world.psabill("customers", "verify").exit_code == 0
    _ok(world, "customers", "map", "acme-lp-1001", "Contoso")  # exists, but no such agreement
    result = world.psabill("customers", "verify")
    assert result.exit_code == 1
    assert "FAIL lastpass:acme-lp-1001 -> Contoso" in result.stdout
