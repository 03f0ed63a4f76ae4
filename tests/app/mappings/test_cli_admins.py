"""`psabill admins ...` and `psabill invoices list`."""

from __future__ import annotations

import json

from tests.app.mappings.conftest import World
from tests.app.mappings.support import managed

BOSS = "controller@northwind.example"


def _admins(world: World) -> list[dict[str, object]]:
    result = world.psabill("admins", "list", "--json")
    assert result.exit_code == 0, result.output
    admins: list[dict[str, object]] = json.loads(result.stdout)["billing_admins"]
    return admins


def test_add_edit_remove(world: World) -> None:
    added = world.psabill("admins", "add", "ops@northwind.example", "--name", "Ops", "--view")
    assert added.exit_code == 0, added.output
    assert "ops@northwind.example is a billing admin (view)" in added.output
    assert "grants nothing in the PSA itself" in added.output
    edited = world.psabill("admins", "edit", "OPS@northwind.example", "--pay")
    assert edited.exit_code == 0, edited.output
    assert _admins(world)[1] == {
        "email": "ops@northwind.example",
        "name": "Ops",
        "view_invoices": True,
        "pay_invoices": True,
    }
    removed = world.psabill("admins", "remove", BOSS)
    assert removed.exit_code == 0
    assert [a["email"] for a in _admins(world)] == ["ops@northwind.example"]
    assert managed(world.setup.config)["removed"] == {"billing_admins": [{"email": BOSS}]}
    table = world.psabill("admins", "list")
    assert "ops@northwind.example" in table.stdout


def test_pay_requires_view_and_the_refusal_says_so(world: World) -> None:
    result = world.psabill("admins", "add", "ops@northwind.example", "--pay")
    assert result.exit_code == 2
    assert "error: pay requires view" in result.output
    withdraw = world.psabill("admins", "edit", BOSS, "--no-view")
    assert withdraw.exit_code == 2
    assert "pay requires view" in withdraw.output
    assert managed(world.setup.config) == {}


def test_other_refusals(world: World) -> None:
    assert world.psabill("admins", "add", BOSS.upper(), "--view").exit_code == 2
    assert world.psabill("admins", "add", "not-an-email", "--view").exit_code == 2
    assert world.psabill("admins", "remove", "nobody@x.example").exit_code == 2
    assert world.psabill("admins", "edit", "nobody@x.example", "--view").exit_code == 2
    assert managed(world.setup.config) == {}


def test_help_says_it_grants_nothing_in_the_psa(world: World) -> None:
    result = world.psabill("admins", "--help")
    assert "grants nothing in the PSA itself" in result.output


def test_invoices_for_an_admin_with_view(world: World) -> None:
    result = world.psabill("invoices", "list", "--period", "2024-11", "--as", BOSS, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [i["number"] for i in data["invoices"]] == ["INV-10231", "INV-10232"]
    assert data["total"] == "1059.4"
    one = world.psabill(
        "invoices", "list", "--period", "2024-11", "--customer", "51234", "--as", BOSS
    )
    assert "INV-10232" in one.stdout
    assert "INV-10231" not in one.stdout


def test_invoices_default_to_this_month(world: World) -> None:
    result = world.psabill("invoices", "list", "--as", BOSS, now="2024-11-15T12:00:00+00:00")
    assert result.exit_code == 0, result.output
    assert "2 invoices in 2024-11" in result.stdout
    empty = world.psabill("invoices", "list", "--as", BOSS, now="2026-12-01T12:00:00+00:00")
    assert "no invoices in 2026-12" in empty.stdout


def test_invoices_need_an_admin_with_view(world: World) -> None:
    anonymous = world.psabill("invoices", "list")
    assert anonymous.exit_code == 2
    assert "--as EMAIL" in anonymous.output
    stranger = world.psabill("invoices", "list", "--as", "who@x.example")
    assert stranger.exit_code == 2
    assert "who@x.example is not a billing admin" in stranger.output
    assert world.psabill("admins", "add", "blind@x.example").exit_code == 0
    blind = world.psabill("invoices", "list", "--as", "blind@x.example")
    assert blind.exit_code == 2
    assert "needs view_invoices" in blind.output
    bad_period = world.psabill("invoices", "list", "--as", BOSS, "--period", "2024-13")
    assert bad_period.exit_code == 2
    unknown = world.psabill("invoices", "list", "--as", BOSS, "--customer", "nobody")
    assert unknown.exit_code == 2


def test_invoices_without_configured_admins_need_no_as(world: World) -> None:
    assert world.psabill("admins", "remove", BOSS).exit_code == 0
    result = world.psabill("invoices", "list", "--period", "2024-11")
    assert result.exit_code == 0, result.output
