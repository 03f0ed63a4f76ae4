"""`psabill customers ...` and `psabill contracts ...` against the sandbox with the demo config."""

from __future__ import annotations

import json
from typing import Any

from psabill.config.loader import load_config
from tests.app.mappings.conftest import World
from tests.app.mappings.support import managed


def _customers(world: World, *args: str) -> dict[str, dict[str, Any]]:
    result = world.psabill("customers", "list", "--json", *args)
    assert result.exit_code == 0, result.output
    return {row["key"]: row for row in json.loads(result.stdout)["customers"]}


def test_list(world: World) -> None:
    rows = _customers(world)
    assert rows["trendmicro:51234"]["settings"] == "custom"
    assert rows["sophos:7d1f3c2e-acme"]["status"] == "ok"
    assert rows["sophos:ff00-newclient"]["status"] == "unmapped"
    assert rows["sophos:ff00-newclient"]["psa_company"] is None
    table = world.psabill("customers", "list", "--offline")
    assert "Fairview" not in table.stdout  # names come from the config, never guessed
    assert "sophos:ff00-newclient" in table.stdout


def test_map_verifies_the_company_like_a_verify_button(world: World) -> None:
    result = world.psabill(
        "customers", "map", "ff00-newclient", "contoso", "--source", "sophos", "--name", "Fairview"
    )
    assert result.exit_code == 0, result.output
    assert "now bills to PSA company 'Contoso'" in result.output
    assert _customers(world)["sophos:ff00-newclient"]["status"] == "ok"


def test_map_refuses_a_missing_or_deleted_company(world: World) -> None:
    missing = world.psabill("customers", "map", "x1", "NoSuchCo", "--new")
    assert missing.exit_code == 2
    assert "no PSA company has the identifier, id or name 'NoSuchCo'" in missing.output
    deleted = world.psabill("customers", "map", "x1", "Northwind1", "--new")
    assert deleted.exit_code == 2
    assert "is deleted (in the recycle bin)" in deleted.output
    assert managed(world.setup.config) == {}


def test_unmap_records_the_removal_of_a_hand_written_customer(world: World) -> None:
    result = world.psabill("customers", "unmap", "bh-lp-2002")
    assert result.exit_code == 0, result.output
    assert managed(world.setup.config)["removed"] == {
        "customers": [{"id": "bh-lp-2002", "source": "lastpass"}]
    }
    assert _customers(world)["lastpass:bh-lp-2002"]["status"] == "unmapped"
    again = world.psabill("customers", "unmap", "bh-lp-2002")
    assert again.exit_code == 2


def test_verify_reports_the_broken_mappings(world: World) -> None:
    ok = world.psabill("customers", "verify")
    assert ok.exit_code == 0, ok.output
    assert "all 7 customer mappings work" in ok.output
    # Contoso exists, but its only Managed Services agreement expired: none for Blue Harbor's
    # LastPass seats, and the problem names the expired one.
    assert world.psabill("customers", "map", "bh-lp-2002", "Contoso").exit_code == 0
    broken = world.psabill("customers", "verify", "--json")
    assert broken.exit_code == 1
    data = json.loads(broken.stdout)
    assert data["ok"] is False
    (bad,) = [c for c in data["customers"] if c["problems"]]
    assert bad["key"] == "lastpass:bh-lp-2002"
    assert bad["problems"] == [
        'LP-BUS: no active agreement of type "Managed Services": '
        '"Contoso - Managed Services (2022-2024)" (#1509) is Expired (ended 2024-06-30)'
    ]


def test_settings_global_and_custom(world: World) -> None:
    custom = world.psabill(
        "customers", "settings", "nw-goto-77", "custom",
        "--schedule", "monthly day=15 hour=8", "--emails", "ap@northwind.example",
    )  # fmt: skip
    assert custom.exit_code == 0, custom.output
    cfg = load_config(world.setup.config, {}).config
    (northwind,) = [c for c in cfg.customers if c.id == "nw-goto-77"]
    assert northwind.schedule is not None
    assert northwind.schedule.day == 15
    assert northwind.emails == ("ap@northwind.example",)
    back = world.psabill("customers", "settings", "51234", "global")
    assert back.exit_code == 0
    assert "dropped its own schedule, emails, contract" in back.output


def test_settings_refusals(world: World) -> None:
    bad_day = world.psabill(
        "customers", "settings", "51234", "custom", "--schedule", "monthly day=40"
    )
    assert bad_day.exit_code == 2
    assert "mappings.toml:" in bad_day.output
    assert "less than or equal to 31" in bad_day.output
    bad_mode = world.psabill("customers", "settings", "51234", "custom", "--schedule", "hourly")
    assert bad_mode.exit_code == 2
    unknown = world.psabill("customers", "settings", "nobody", "global")
    assert unknown.exit_code == 2
    assert managed(world.setup.config) == {}


def test_contracts_list(world: World) -> None:
    result = world.psabill("contracts", "list", "--json", "--customer", "51234")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["contracts"] == [
        {
            "customer": "trendmicro:51234",
            "product": "*",
            "agreement_type": "Security Services",
            "agreement_name": None,
            "from": "customer default",
        }
    ]
    everyone = world.psabill("contracts", "list")
    assert "global [sync] agreement_type" in everyone.stdout


def test_contracts_assign_verifies_type_then_name(world: World) -> None:
    result = world.psabill(
        "contracts", "assign", "4be1-mueller", "CIXA", "--type", "security services",
        "--name", "müller - security services",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert 'found agreement "Müller - Security Services" (#1502)' in result.output
    (entry,) = managed(world.setup.config)["customers"]
    assert entry["settings"] == "custom"
    assert entry["contracts"] == [
        {
            "product": "CIXA",
            "agreement_type": "Security Services",
            "agreement_name": "Müller - Security Services",
        }
    ]
    unassign = world.psabill("contracts", "unassign", "4be1-mueller", "CIXA")
    assert unassign.exit_code == 0
    assert managed(world.setup.config)["customers"][0]["contracts"] == []


def test_contracts_assign_refusals(world: World) -> None:
    no_type = world.psabill("contracts", "assign", "51234", "--type", "Gold Support")
    assert no_type.exit_code == 2
    assert "no active agreement type 'Gold Support'" in no_type.output
    assert "Managed Services, Security Services" in no_type.output
    no_name = world.psabill(
        "contracts", "assign", "51234", "--type", "Managed Services", "--name", "X"
    )
    assert no_name.exit_code == 2
    assert 'no active agreement of type "Managed Services" named "X"' in no_name.output
    no_product = world.psabill("contracts", "assign", "51234", "NOPE", "--type", "Managed Services")
    assert no_product.exit_code == 2
    assert "no [[products]] entry has sku 'NOPE'" in no_product.output
    nobody = world.psabill("contracts", "assign", "nobody", "--type", "Managed Services")
    assert nobody.exit_code == 2
    not_assigned = world.psabill("contracts", "unassign", "51234", "CIXA")
    assert not_assigned.exit_code == 2
    assert managed(world.setup.config) == {}
