"""`psabill products ...` against the sandbox PSA with the demo config."""

from __future__ import annotations

import json
from pathlib import Path

from tests.app.mappings.conftest import World
from tests.app.mappings.support import managed


def _rows(world: World, *args: str) -> dict[tuple[str, str | None], dict[str, object]]:
    result = world.psabill("products", "list", "--json", *args)
    assert result.exit_code == 0, result.output
    return {(r["sku"], r["source"]): r for r in json.loads(result.stdout)["products"]}


def test_list_shows_config_and_source_products_with_live_status(world: World) -> None:
    rows = _rows(world)
    assert rows[("CIXA", "sophos")]["status"] == "ok"
    assert rows[("CIXA", "sophos")]["seen_in"] == ["sophos"]
    assert rows[("CIXA-XDR", "sophos")]["status"] == "PSA product missing"
    assert rows[("CIXA-SRV", "sophos")]["status"] == "unmapped"  # only in the usage file
    assert rows[("CIXA-SRV", "sophos")]["file"] == "-"
    assert rows[("LP-BUS", "lastpass")]["file"] == "psabill.toml"
    offline = _rows(world, "--offline")
    assert offline[("CIXA", "sophos")]["status"] == "mapped (PSA not checked)"


def test_list_shows_the_last_synced_total(world: World) -> None:
    assert world.psabill("sync", "--now").exit_code == 0
    rows = _rows(world)
    assert rows[("CIXA", "sophos")]["synced_total"] == "70"  # 45 + 17 + 8
    assert rows[("LP-BUS", "lastpass")]["synced_total"] == "49"  # 40 + 9


def test_list_survives_a_failing_source_and_says_which(world: World) -> None:
    world.usage("sophos.csv").write_text("not,a,valid\nexport\n")
    result = world.psabill("products", "list")
    assert result.exit_code == 0
    assert "CIXA-XDR" in result.stdout  # config products are still listed
    assert "CIXA-SRV" not in result.stdout
    assert "warning: source failed: sophos:" in result.stderr


def test_list_survives_an_unreachable_psa(world: World) -> None:
    world.sandbox.stop()
    result = world.psabill("products", "list")
    assert result.exit_code == 0
    assert "mapped (PSA not checked)" in result.stdout
    assert "warning: the PSA was not checked" in result.stderr


def test_search(world: World) -> None:
    result = world.psabill("products", "search", "--json", "sophos")
    assert result.exit_code == 0, result.output
    items = json.loads(result.stdout)["items"]
    assert [i["identifier"] for i in items] == [
        "SOPHOS-CE-LEGACY",
        "SOPHOS-IX-ADV",
        "SOPHOS-IX-XDR",
    ]
    by_description = world.psabill("products", "search", "Worry-Free")
    assert "TM-WFBS-SVC" in by_description.stdout


def test_search_needs_two_characters(world: World) -> None:
    result = world.psabill("products", "search", " s ")
    assert result.exit_code == 2
    assert "error: search text needs at least 2 characters" in result.output


def test_map_verifies_the_psa_product_and_writes_only_mappings_toml(world: World) -> None:
    config: Path = world.setup.config
    before = config.read_bytes()
    result = world.psabill("products", "map", "CIXA-SRV", "sophos-ix-xdr", "--source", "sophos")
    assert result.exit_code == 0, result.output
    assert "CIXA-SRV (sophos) now bills as PSA product 'SOPHOS-IX-XDR'" in result.output
    assert config.read_bytes() == before
    assert managed(config)["products"] == [
        {"sku": "CIXA-SRV", "source": "sophos", "psa_product": "SOPHOS-IX-XDR"}
    ]
    assert _rows(world)[("CIXA-SRV", "sophos")]["status"] == "ok"


def test_map_refuses_a_missing_or_inactive_product(world: World) -> None:
    missing = world.psabill("products", "map", "CIXA", "SOPHOS-IX")
    assert missing.exit_code == 2
    assert "the PSA has no active catalog item 'SOPHOS-IX'" in missing.output
    assert "hint: similar: SOPHOS-IX-ADV, SOPHOS-IX-XDR" in missing.output
    inactive = world.psabill("products", "map", "CIXA", "SOPHOS-CE-LEGACY")
    assert inactive.exit_code == 2
    assert "(only an inactive one)" in inactive.output
    assert managed(world.setup.config) == {}


def test_unmap_enable_disable(world: World) -> None:
    assert world.psabill("products", "disable", "LP-BUS").exit_code == 0
    assert _rows(world, "--offline")[("LP-BUS", "lastpass")]["sync"] is False
    assert world.psabill("products", "enable", "LP-BUS").exit_code == 0
    assert _rows(world, "--offline")[("LP-BUS", "lastpass")]["sync"] is True
    result = world.psabill("products", "unmap", "LP-BUS")
    assert result.exit_code == 0, result.output
    row = _rows(world)[("LP-BUS", "lastpass")]
    assert (row["psa_product"], row["status"], row["file"]) == (None, "unmapped", "mappings.toml")


def test_unmap_of_an_unknown_sku_is_refused(world: World) -> None:
    result = world.psabill("products", "unmap", "NOPE")
    assert result.exit_code == 2
    assert "SKU 'NOPE' is not in the configuration" in result.output


def test_create_adds_a_catalog_item_and_maps_it(world: World) -> None:
    result = world.psabill(
        "products", "create", "CIXA-SRV", "--source", "sophos", "--name", "Intercept X Server",
        "--price", "5.10", "--cost", "3",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "catalog item 'PSABILL-CIXA-SRV'" in result.output
    items = {i["identifier"]: i for i in world.sandbox.store.dump()["catalog"]}
    created = items["PSABILL-CIXA-SRV"]
    assert (created["description"], created["price"], created["cost"]) == (
        "Intercept X Server",
        5.1,
        3.0,
    )
    assert _rows(world)[("CIXA-SRV", "sophos")]["psa_product"] == "PSABILL-CIXA-SRV"


def test_create_refuses_what_the_psa_would_not_take_before_writing_anything(world: World) -> None:
    catalog = len(world.sandbox.store.dump()["catalog"])
    long_id = world.psabill("products", "create", "X", "--identifier", "I" * 61)
    assert long_id.exit_code == 2
    assert "--identifier must be 1 to 60 characters" in long_id.output
    long_text = world.psabill("products", "create", "X", "--description", "d" * 61)
    assert "--description must be 1 to 60 characters" in long_text.output
    negative = world.psabill("products", "create", "X", "--price", "-1")
    assert negative.exit_code == 2
    bad_source = world.psabill("products", "create", "X", "--source", "nowhere")
    assert bad_source.exit_code == 2
    assert "no [[sources]] entry is named 'nowhere'" in bad_source.output
    assert len(world.sandbox.store.dump()["catalog"]) == catalog
    assert managed(world.setup.config) == {}


def test_an_invalid_edit_changes_nothing(world: World) -> None:
    assert world.psabill("products", "disable", "CIXA").exit_code == 0
    files = {p.name: p.read_bytes() for p in world.setup.directory.iterdir() if p.is_file()}
    result = world.psabill("products", "map", "CIXA", "SOPHOS-IX-ADV", "--source", "nowhere")
    assert result.exit_code == 2
    assert "refused: the configuration would not be valid after this edit" in result.output
    assert {p.name: p.read_bytes() for p in world.setup.directory.iterdir() if p.is_file()} == files
