"""`psabill sync` end to end over real HTTP against the sandbox.

Tests taking ``psa_world`` run once per PSA (ConnectWise Manage, Autotask, HaloPSA) over the same
demo MSP and judge what the PSA bills in the ConnectWise demo's words. Those taking ``world``
run on ConnectWise only: they aim a fault at one ConnectWise agreement's path
(``..._on_connectwise``) or test what no PSA takes part in (the run lock).
"""

from __future__ import annotations

import json
import subprocess
import sys

from psabill.sandbox.faults import http_error, lose_response
from psabill.state import Ledger, ledger_path
from tests.e2e.conftest import World
from tests.e2e.psa_lines import WRITE_PATHS

ACME_MS, MUELLER_MS, MUELLER_SEC, NORTHWIND_MS = 1500, 1501, 1502, 1503

EXPECTED = {
    (ACME_MS, "SOPHOS-IX-ADV"): 45.0,
    (ACME_MS, "PSABILL-CIXA-XDR"): 5.0,
    (ACME_MS, "LASTPASS-BUS"): 40.0,
    (MUELLER_MS, "SOPHOS-IX-ADV"): 17.0,
    (MUELLER_MS, "M365-BP"): 25.0,
    (MUELLER_SEC, "TM-WFBS-SVC"): 19.0,
    (NORTHWIND_MS, "GOTO-CONNECT-STD"): 58.0,
}


def agreement_ids(world: World) -> dict[str, int]:
    return {a["name"]: a["id"] for a in world.sandbox.store.dump()["agreements"]}


def test_manual_sync_reaches_the_exact_state_and_rerun_changes_nothing(psa_world: World) -> None:
    world = psa_world
    ids = agreement_ids(world)
    assert ids["Acme Dental - Managed Services"] == ACME_MS
    first = world.psabill("sync", "--now")
    assert first.exit_code == 0, first.output
    assert "run 1: success - 4 create, 4 update; 8 confirmed, 0 failed" in first.output
    quantities = world.quantities()
    for key, value in EXPECTED.items():
        assert quantities[key] == value, key
    contoso = ids["Contoso - Security Services"]
    harbor = ids["Blue Harbor - Managed Services"]
    assert quantities[(contoso, "SOPHOS-IX-ADV")] == 8.0
    assert quantities[(harbor, "LASTPASS-BUS")] == 9.0
    assert "unmapped customer: sophos 'ff00-newclient'" in first.output
    assert "unmapped product: sophos 'CIXA-SRV'" in first.output
    before = world.state()
    written = len(world.writes())
    second = world.psabill("sync", "--now", "--json")
    assert second.exit_code == 0
    data = json.loads(second.stdout)
    assert data["schema"] == "psabill.sync/1"
    assert {line["action"] for line in data["plan"]["lines"]} == {"unchanged"}
    assert world.state() == before
    assert len(world.writes()) == written


def test_ledger_records_planned_sent_confirmed_and_who(psa_world: World) -> None:
    world = psa_world
    assert world.psabill("sync", "--now").exit_code == 0
    with Ledger.open(ledger_path(world.setup.state_dir)) as ledger:
        (run,) = ledger.runs()
        lines = ledger.lines(run.id)
    assert run.trigger == "manual"
    assert run.acting_admin
    assert run.outcome == "success"
    assert {line.status for line in lines} == {"confirmed"}
    assert all(line.addition_id for line in lines)


def test_dry_run_and_plan_write_nothing(psa_world: World) -> None:
    world = psa_world
    before = world.state()
    result = world.psabill("sync", "--now", "--dry-run")
    assert result.exit_code == 0
    assert "dry run: 4 create, 4 update; nothing was written" in result.output
    assert world.psabill("plan").exit_code == 0
    assert world.state() == before
    assert not world.setup.state_dir.exists()
    assert world.sandbox.requests()
    assert world.writes() == []


def test_partial_failure_is_exit_3_and_the_others_still_sync_on_connectwise(world: World) -> None:
    world.sandbox.faults.add(http_error(500, method="PATCH", path=f"/agreements/{NORTHWIND_MS}/"))
    result = world.psabill("sync", "--now")
    assert result.exit_code == 3, result.output
    assert "partial" in result.output
    quantities = world.quantities()
    assert quantities[(NORTHWIND_MS, "GOTO-CONNECT-STD")] == 55.0
    assert quantities[(ACME_MS, "SOPHOS-IX-ADV")] == 45.0
    with Ledger.open(ledger_path(world.setup.state_dir)) as ledger:
        lines = ledger.lines(ledger.runs()[0].id)
    failed = [line for line in lines if line.status == "failed"]
    assert [line.product for line in failed] == ["CONNECT-STD"]
    assert failed[0].error
    world.sandbox.faults.clear()
    again = world.psabill("sync", "--now")
    assert again.exit_code == 0
    assert world.quantities()[(NORTHWIND_MS, "GOTO-CONNECT-STD")] == 58.0


def test_a_failed_write_is_exit_3_and_the_next_run_finishes(psa_world: World) -> None:
    world = psa_world
    world.rewrite("retries = 1", "retries = 0")  # the one write that fails stays failed
    method, path = WRITE_PATHS[world.kind].update
    rule = world.sandbox.faults.add(http_error(500, method=method, path=path, times=1))
    result = world.psabill("sync", "--now")
    assert result.exit_code == 3, result.output
    assert "partial" in result.output
    assert rule.fired == 1
    with Ledger.open(ledger_path(world.setup.state_dir)) as ledger:
        lines = ledger.lines(ledger.runs()[0].id)
    failed = [line for line in lines if line.status == "failed"]
    assert len(failed) == 1
    assert failed[0].error
    assert len([line for line in lines if line.status == "confirmed"]) == 7
    again = world.psabill("sync", "--now")
    assert again.exit_code == 0, again.output
    quantities = world.quantities()
    for key, value in EXPECTED.items():
        assert quantities[key] == value, key


def test_guard_holds_a_sharp_drop_unless_allowed(psa_world: World) -> None:
    world = psa_world
    world.usage("goto.json").write_text(
        '[{"account": "nw-goto-77", "plan": "CONNECT-STD", "users": 5}]'
    )
    result = world.psabill("sync", "--now")
    assert result.exit_code == 4, result.output
    assert "Northwind Logistics: total drops from 55 to 5 (-91%, limit 50%)" in result.output
    assert world.quantities()[(NORTHWIND_MS, "GOTO-CONNECT-STD")] == 55.0
    assert world.quantities()[(ACME_MS, "SOPHOS-IX-ADV")] == 45.0
    allowed = world.psabill("sync", "--now", "--allow-drop")
    assert allowed.exit_code == 0, allowed.output
    assert world.quantities()[(NORTHWIND_MS, "GOTO-CONNECT-STD")] == 5.0


def test_guard_holds_a_typo_sized_rise_unless_allowed(psa_world: World) -> None:
    world = psa_world
    assert world.psabill("sync", "--now").exit_code == 0
    world.usage("goto.json").write_text(
        '[{"account": "nw-goto-77", "plan": "CONNECT-STD", "users": 9999999}]'
    )
    result = world.psabill("sync", "--now")
    assert result.exit_code == 4, result.output
    assert "CONNECT-STD rises from 58 to 9999999 (x172413.8, limit x10)" in result.output
    assert world.quantities()[(NORTHWIND_MS, "GOTO-CONNECT-STD")] == 58.0
    plan = world.psabill("plan", "--allow-rise")
    assert "(allowed by --allow-rise)" in plan.output
    allowed = world.psabill("sync", "--now", "--allow-rise")
    assert allowed.exit_code == 0, allowed.output
    assert world.quantities()[(NORTHWIND_MS, "GOTO-CONNECT-STD")] == 9999999.0


def test_lost_post_response_never_duplicates(psa_world: World) -> None:
    world = psa_world
    method, path = WRITE_PATHS[world.kind].create
    rule = world.sandbox.faults.add(lose_response(method=method, path=path, times=1))
    result = world.psabill("sync", "--now")
    assert result.exit_code == 0, result.output
    assert rule.fired == 1
    assert world.sandbox.faults.injected() == {f"lose_response:{method}": 1}
    quantities = world.quantities()  # raises on a second live line for one product
    for key, value in EXPECTED.items():
        assert quantities[key] == value, key


def test_failed_source_stops_only_its_customers(psa_world: World) -> None:
    world = psa_world
    world.usage("trendmicro.csv").write_text(
        "CustomerID;ServicePlan;Seats;ReportDate\n51234;WFBS-SVC;-4;2026-11-01\n"
    )
    result = world.psabill("sync", "--now")
    assert result.exit_code == 3, result.output
    assert "source failed:" in result.output
    assert "trendmicro.csv:2" in result.output
    quantities = world.quantities()
    assert quantities[(MUELLER_SEC, "TM-WFBS-SVC")] == 17.0
    assert quantities[(ACME_MS, "SOPHOS-IX-ADV")] == 45.0


def test_saved_plan_applies_only_if_the_psa_did_not_change(psa_world: World) -> None:
    world = psa_world
    plan_file = world.setup.directory / "plan.json"
    assert world.psabill("plan", "--out", str(plan_file)).exit_code == 0
    stale_world = world.setup.directory / "stale.json"
    stale_world.write_text(plan_file.read_text())
    ok = world.psabill("sync", "--plan", str(plan_file))
    assert ok.exit_code == 0, ok.output
    assert world.quantities()[(NORTHWIND_MS, "GOTO-CONNECT-STD")] == 58.0
    before = world.state()
    refused = world.psabill("sync", "--plan", str(stale_world))
    assert refused.exit_code == 1
    assert "the PSA changed since the plan was computed" in refused.output
    assert f"{world.ids.catalog('GOTO-CONNECT-STD')} x55" in refused.output
    assert world.state() == before


def test_second_run_exits_75_while_the_lock_is_held(world: World) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from psabill.state import RunLock, lock_path; from pathlib import Path;"
            f"lock = RunLock(lock_path(Path({str(world.setup.state_dir)!r})));"
            "lock.acquire(); print('held', flush=True); sys.stdin.readline()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        result = world.psabill("sync", "--now")
        assert result.exit_code == 75
        assert f"PID {holder.pid}" in result.output
    finally:
        holder.communicate("\n", timeout=30)
    assert world.psabill("sync", "--now").exit_code == 0


def test_a_saved_plan_never_duplicates_a_renamed_product(psa_world: World) -> None:
    """Remapping a SKU to another catalog item must not add a second live line."""
    world = psa_world
    assert world.psabill("sync", "--now").exit_code == 0
    old, new = (world.ids.catalog(sku) for sku in ("SOPHOS-IX-ADV", "SOPHOS-IX-XDR"))
    world.rewrite(f'psa_product = "{old}"', f'psa_product = "{new}"')
    plan_file = world.setup.directory / "renamed.json"
    planned = world.psabill("plan", "--out", str(plan_file))
    assert "renamed" in planned.output  # the dry run sees the ledger too
    applied = world.psabill("sync", "--plan", str(plan_file))
    assert applied.exit_code in (0, 3), applied.output
    quantities = world.quantities()  # raises on a second live line for one product
    assert (ACME_MS, "SOPHOS-IX-XDR") not in quantities
