"""Scheduled runs: only due customers, once per period; manual runs never use up a slot."""

from __future__ import annotations

import json

from tests.e2e.conftest import World

DUE_AT = "2026-12-01T11:30:00+00:00"  # 06:30 in New York on the 1st: the global slot has come


def test_scheduled_run_syncs_due_customers_once(world: World) -> None:
    early = world.psabill("sync", now="2026-11-29T10:00:00+00:00")
    assert early.exit_code == 0
    assert not (world.setup.state_dir / "ledger.sqlite3").exists()
    result = world.psabill("sync", "--json", now=DUE_AT)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["trigger"] == "scheduled"
    periods = {d["customer"]: d["period"] for d in data["due"]}
    assert periods["trendmicro:51234"] == "2026-11"  # own schedule: day 31 (Nov 30) at 07:00
    assert periods["sophos:7d1f3c2e-acme"] == "2026-12"
    assert sorted(data["completed"]) == sorted(data["scope"])
    again = world.psabill("sync", "--json", now="2026-12-01T12:30:00+00:00")
    assert json.loads(again.stdout)["outcome"] == "not_due"
    history = json.loads(world.psabill("history", "--json").stdout)["runs"]
    assert [(r["trigger"], r["period"]) for r in history] == [("scheduled", "2026-11,2026-12")]


def test_manual_run_does_not_consume_the_slot(world: World) -> None:
    assert world.psabill("sync", "--now", now=DUE_AT).exit_code == 0
    due = world.psabill("due", "--customer", "7d1f3c2e-acme", now=DUE_AT)
    assert due.exit_code == 0, due.output
    scheduled = world.psabill("sync", "--json", now=DUE_AT)
    data = json.loads(scheduled.stdout)
    assert data["outcome"] == "success"
    assert {line["action"] for line in data["plan"]["lines"]} == {"unchanged"}


def test_failed_customer_stays_due(world: World) -> None:
    world.sandbox.faults.add(
        __import__("psabill.sandbox.faults", fromlist=["http_error"]).http_error(
            500, method="PATCH", path="/agreements/1503/"
        )
    )
    first = world.psabill("sync", "--json", now=DUE_AT)
    assert first.exit_code == 3
    assert "goto:nw-goto-77" not in json.loads(first.stdout)["completed"]
    world.sandbox.faults.clear()
    retry = world.psabill("sync", "--json", now="2026-12-01T12:30:00+00:00")
    data = json.loads(retry.stdout)
    assert data["scope"] == ["goto:nw-goto-77"]
    assert data["outcome"] == "success"
