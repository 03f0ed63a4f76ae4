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


# -- typos are refused, with suggestions ------------------------------------------------------


def _refused(world: World, *args: str) -> str:
    """Run a refused command: exit 2, one line on stderr, nothing on stdout."""
    result = world.psabill(*args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_a_mistyped_sku_or_customer_is_refused_with_the_closest_known_ones(world: World) -> None:
    line = _refused(world, "products", "map", "CIXAA", "SOPHOS-IX-ADV")
    assert line == (
        "error: SKU 'CIXAA' is in no usage source or mapping; did you mean CIXA, CIXA-XDR or "
        "CIXA-SRV? "
        "(--new maps it anyway, for usage not seen yet)"
    )
    line = _refused(world, "customers", "map", "7d1f3c2e-acmee", "AcmeDental")
    assert "vendor customer '7d1f3c2e-acmee' is in no usage source or mapping" in line
    assert "did you mean 7d1f3c2e-acme?" in line
    assert not world.setup.config.with_name("mappings.toml").exists()
    # --new maps what no source reports yet; a SKU seen only in the usage needs no --new.
    _ok(world, "products", "map", "CIXAA", "SOPHOS-IX-XDR", "--source", "sophos", "--new")
    _ok(world, "customers", "map", "7d1f3c2e-acmee", "BlueHarbor", "--source", "sophos", "--new")
    _ok(world, "products", "map", "CIXA-SRV", "M365-BP", "--source", "sophos")


def test_an_unreadable_source_is_said_and_the_unknown_name_refused(world: World) -> None:
    world.usage("sophos.csv").unlink()
    line = _refused(world, "products", "map", "CIXA-SRV", "SOPHOS-IX-XDR", "--source", "sophos")
    assert "SKU 'CIXA-SRV' is in no mapping and in none of the usage sources" in line
    assert "1 could not (sophos: " in line
    assert "--new maps it anyway" in line
    _ok(world, "products", "map", "CIXA", "SOPHOS-IX-ADV", "--name", "Intercept X")  # configured
    _ok(world, "products", "map", "CIXA-SRV", "SOPHOS-IX-XDR", "--source", "sophos", "--new")


def test_typo_check_reads_the_usage_without_the_psa(world: World) -> None:
    world.sandbox.stop()
    line = _refused(world, "products", "map", "CIXAA", "SOPHOS-IX-ADV")
    assert "did you mean CIXA, " in line


# -- finding the PSA company --------------------------------------------------------------------


def test_customers_search_is_live_like_products_search(world: World) -> None:
    result = world.psabill("customers", "search", "north")
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.stdout.splitlines()]
    assert rows[0] == ["Identifier", "Name", "Id", "Deleted"]
    assert [(r[0], r[-1]) for r in rows[1:]] == [("Northwind", "no"), ("Northwind1", "yes")]
    found = json.loads(_ok(world, "customers", "search", "--json", "söhne"))["companies"]
    assert [(c["identifier"], c["name"]) for c in found] == [
        ("MuellerSoehne", "Müller & Söhne GmbH")
    ]
    assert "no PSA company matches 'zzz'" in _ok(world, "customers", "search", "zzz")
    # A text no condition can quote is looked up by a fragment and matched in full here.
    assert "no PSA company matches" in _ok(world, "customers", "search", 'Söhne "\\')
    quoted = json.loads(_ok(world, "customers", "search", "--json", "Müller &"))["companies"]
    assert [c["identifier"] for c in quoted] == ["MuellerSoehne"]
    short = world.psabill("customers", "search", " n ")
    assert short.exit_code == 2
    assert "error: search text needs at least 2 characters" in short.output
    world.sandbox.stop()
    assert world.psabill("customers", "search", "north").exit_code == 1


def test_customers_map_takes_identifier_id_or_exact_name(world: World) -> None:
    company_id = next(
        c["id"] for c in world.sandbox.store.dump()["companies"] if c["identifier"] == "Contoso"
    )
    by_name = _ok(world, "customers", "map", "nw-goto-77", "contoso pharmacy")
    assert "now bills to PSA company 'Contoso'" in by_name
    by_id = _ok(world, "customers", "map", "bh-lp-2002", str(company_id), "--source", "lastpass")
    assert "now bills to PSA company 'Contoso'" in by_id
    rows = {r["key"]: r for r in json.loads(_ok(world, "customers", "list", "--json"))["customers"]}
    assert rows["lastpass:bh-lp-2002"]["psa_company"] == "Contoso"
    # Two companies have this name, one of them deleted: the live one is meant.
    by_shared_name = _ok(world, "customers", "map", "nw-goto-77", "Northwind Logistics")
    assert "now bills to PSA company 'Northwind'" in by_shared_name


def test_customers_map_lists_the_closest_companies_when_none_matches(world: World) -> None:
    before = world.setup.config.read_bytes()
    result = world.psabill("customers", "map", "4be1-mueller", "MulerSoehne")
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0] == "error: no PSA company has the identifier, id or name 'MulerSoehne'"
    assert lines[1] == "hint: the closest PSA companies (map one by its identifier):"
    assert lines[2].split()[0] == "MuellerSoehne"
    assert all(line.startswith("  ") for line in lines[2:])
    assert world.setup.config.read_bytes() == before
    assert not world.setup.config.with_name("mappings.toml").exists()


# -- every mapping can be undone --------------------------------------------------------------


def test_a_sku_mapped_with_and_without_source_can_be_undone_from_the_cli(world: World) -> None:
    _ok(world, "products", "map", "CIXA", "SOPHOS-IX-XDR", "--source", "any")
    line = _refused(world, "products", "unmap", "CIXA")
    assert line == "error: SKU 'CIXA' has 2 entries: name one with --source any or --source sophos"
    assert "removed" in _ok(world, "products", "unmap", "CIXA", "--source", "any")
    rows = json.loads(_ok(world, "products", "list", "--json", "--offline"))["products"]
    assert [(r["source"], r["psa_product"]) for r in rows if r["sku"] == "CIXA"] == [
        ("sophos", "SOPHOS-IX-ADV")
    ]
    _ok(world, "sync", "--now")
    assert world.quantities()[(ACME_MS, "SOPHOS-IX-ADV")] == 45.0


# -- a mapping that would break the next run is refused -----------------------------------------

SOURCELESS_SRV = """
[[products]]
sku = "CIXA-SRV"
psa_product = "SOPHOS-IX-XDR"
unit_price = "9.50"
"""


def test_the_refused_mapping_is_one_the_second_sync_would_fail_on(world: World) -> None:
    """Evidence that the check mirrors the sync: written by hand, the same mapping passes the
    first sync (only the Sophos account of Acme reports CIXA-SRV) and fails the second."""
    with world.setup.config.open("a") as config:
        config.write(SOURCELESS_SRV)
    first = world.psabill("sync", "--now")
    assert first.exit_code == 0, first.output
    second = world.psabill("sync", "--now", "--json")
    assert second.exit_code == 3, second.output
    assert "2 lines would bill SOPHOS-IX-XDR on agreement" in second.stdout


def test_a_mapping_two_vendor_accounts_would_bill_on_one_addition_is_refused(world: World) -> None:
    _ok(world, "products", "disable", "LP-BUS")  # the managed file exists from here on
    managed_file = world.setup.config.with_name("mappings.toml")
    before = managed_file.read_bytes()
    line = _refused(world, "products", "map", "CIXA-SRV", "SOPHOS-IX-XDR")
    assert line.startswith("error: refused, nothing was written: ")
    assert "lastpass:acme-lp-1001 (CIXA-SRV, any source)" in line
    assert "sophos:7d1f3c2e-acme (CIXA-SRV, any source)" in line
    assert "would bill SOPHOS-IX-XDR on one AcmeDental agreement" in line
    assert managed_file.read_bytes() == before
    _ok(world, "products", "map", "CIXA-SRV", "SOPHOS-IX-XDR", "--source", "sophos")
    assert world.psabill("sync", "--now").exit_code == 0
    assert world.psabill("sync", "--now").exit_code == 0


def test_a_customer_mapped_onto_a_company_that_bills_the_same_product_is_refused(
    world: World,
) -> None:
    # Acme's LastPass account moved onto Blue Harbor, whose LastPass account bills LASTPASS-BUS
    # on the same agreement: two lines, one addition.
    before = world.setup.config.read_bytes()
    line = _refused(world, "customers", "map", "acme-lp-1001", "BlueHarbor")
    assert "lastpass:acme-lp-1001 (LP-BUS, source lastpass)" in line
    assert "lastpass:bh-lp-2002 (LP-BUS, source lastpass)" in line
    assert world.setup.config.read_bytes() == before
    assert not world.setup.config.with_name("mappings.toml").exists()
