"""Approval before push, end to end: scheduled runs plan; an admin with pay approves that plan.

The plan -> approve -> push path runs on each PSA (``approving`` is over ``psa_world``); the
refusals, mail and monitoring of a plan never reach the PSA's writes and run on ConnectWise
(``approving_cw``).
"""

from __future__ import annotations

import email
import json

import pytest

from psabill.state import Ledger, ledger_path
from tests.app.mappings.support import register
from tests.e2e.conftest import World
from tests.ops.support import ping_server


@pytest.fixture(autouse=True)
def registered() -> None:
    register()


DUE_AT = "2026-12-01T11:30:00+00:00"
LATER = "2026-12-01T12:30:00+00:00"
BOSS = "controller@northwind.example"
ACME_MS = 1500
EXPECTED = {
    (ACME_MS, "SOPHOS-IX-ADV"): 45.0,
    (ACME_MS, "LASTPASS-BUS"): 40.0,
    (1501, "SOPHOS-IX-ADV"): 17.0,
    (1502, "TM-WFBS-SVC"): 19.0,
    (1503, "GOTO-CONNECT-STD"): 58.0,
}


def _requiring_approval(world: World) -> World:
    """The demo world with `[approval] required = true` and a second admin who only views."""
    config = world.setup.config
    extra = (
        '[approval]\nrequired = true\n\n[[billing_admins]]\nemail = "viewer@northwind.example"\n'
    )
    config.write_text(config.read_text() + "\n" + extra)
    return world


@pytest.fixture
def approving(psa_world: World) -> World:
    """:func:`_requiring_approval` on each PSA."""
    return _requiring_approval(psa_world)


@pytest.fixture
def approving_cw(world: World) -> World:
    """:func:`_requiring_approval` on ConnectWise."""
    return _requiring_approval(world)


def _ledger(world: World) -> Ledger:
    return Ledger.open(ledger_path(world.setup.state_dir))


def _plan(world: World) -> dict[str, object]:
    result = world.psabill("sync", "--json", now=DUE_AT)
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_a_scheduled_run_only_plans_and_pushes_nothing(approving: World) -> None:
    before = approving.state()
    result = approving.psabill("sync", now=DUE_AT)
    assert result.exit_code == 0, result.output
    assert "run 1: planned" in result.stdout
    assert "`psabill approve 1 --as EMAIL`" in result.stdout
    assert approving.state() == before
    assert approving.writes() == []
    with _ledger(approving) as ledger:
        (run,) = ledger.runs()
        assert (run.trigger, run.outcome, run.period) == ("scheduled", "planned", "2026-11,2026-12")
        assert run.summary is not None
        assert run.summary["plan"]["format"] == "psabill-plan/1"
        assert run.line_counts.total == 0
        assert ledger.last_completed("sophos:7d1f3c2e-acme") is None  # the period is not done
    history = approving.psabill("history")
    assert "planned" in history.stdout
    assert "plan of 8 lines, awaiting `psabill approve 1`" in history.stdout


def test_the_same_plan_is_not_stored_or_mailed_again(approving: World) -> None:
    assert _plan(approving)["outcome"] == "planned"
    again = approving.psabill("sync", "--json", now=LATER)
    assert again.exit_code == 0, again.output
    data = json.loads(again.stdout)
    assert (data["outcome"], data["pending_run"], data["run_id"]) == ("awaiting", 1, None)
    with _ledger(approving) as ledger:
        assert len(ledger.runs()) == 1


def test_approve_applies_exactly_that_plan_and_records_who(approving: World) -> None:
    _plan(approving)
    shown = approving.psabill("approve", "1", "--show")
    assert shown.exit_code == 0, shown.output
    assert "awaiting approval" in shown.stdout
    result = approving.psabill("approve", "1", "--as", BOSS.upper(), now=LATER)
    assert result.exit_code == 0, result.output
    assert f"run 2 applied plan 1, approved by {BOSS}" in result.stdout
    quantities = approving.quantities()
    for key, value in EXPECTED.items():
        assert quantities[key] == value, key
    with _ledger(approving) as ledger:
        run = ledger.run(2)
        assert run is not None
        assert (run.trigger, run.acting_admin, run.outcome) == ("approval", BOSS, "success")
        assert run.summary is not None
        assert run.summary["approves"] == 1
        assert run.period == "2026-11,2026-12"
        done = ledger.last_completed("sophos:7d1f3c2e-acme")
        assert done is not None
        assert (done.period, done.run_id) == ("2026-12", 2)
    after = approving.psabill("sync", "--json", now=LATER)
    assert json.loads(after.stdout)["outcome"] == "not_due"


def test_a_plan_is_approved_once(approving_cw: World) -> None:
    _plan(approving_cw)
    assert approving_cw.psabill("approve", "1", "--as", BOSS).exit_code == 0
    twice = approving_cw.psabill("approve", "1", "--as", BOSS)
    assert twice.exit_code == 2
    assert f"run 1 was already approved by {BOSS} (run 2)" in twice.output


def test_approve_refuses_a_changed_psa_and_says_what_changed(approving: World) -> None:
    _plan(approving)
    approving.add_line(ACME_MS, "M365-BP", 3)
    before = approving.state()
    stale = approving.psabill("approve", "1", "--as", BOSS)
    assert stale.exit_code == 1
    acme = approving.agreement(ACME_MS)
    assert f"the PSA changed since the plan was computed: agreement #{acme}" in stale.output
    assert f"{approving.ids.catalog('M365-BP')} x3" in stale.output
    assert approving.state() == before
    # The next scheduled invocation plans afresh; the stale plan is superseded.
    fresh = approving.psabill("sync", "--json", now=LATER)
    assert json.loads(fresh.stdout)["outcome"] == "planned"
    superseded = approving.psabill("approve", "1", "--as", BOSS)
    assert superseded.exit_code == 2
    assert "run 1 was superseded by run 3" in superseded.output
    assert approving.psabill("approve", "3", "--as", BOSS).exit_code == 0
    assert approving.quantities()[(ACME_MS, "SOPHOS-IX-ADV")] == 45.0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("approve", "1"), "say who you are with --as EMAIL"),
        (("approve", "1", "--as", "who@x.example"), "who@x.example is not a billing admin"),
        (("approve", "1", "--as", "viewer@northwind.example"), "needs pay_invoices"),
        (("approve", "9", "--as", BOSS), "no run 9 in the ledger"),
    ],
)
def test_approve_refusals(approving_cw: World, args: tuple[str, ...], message: str) -> None:
    _plan(approving_cw)
    result = approving_cw.psabill(*args)
    assert result.exit_code == 2
    assert message in result.output
    with _ledger(approving_cw) as ledger:
        assert len(ledger.runs()) == 1


def test_only_a_planned_run_can_be_approved(approving: World) -> None:
    assert approving.psabill("sync", "--now", "--as", BOSS).exit_code == 0
    result = approving.psabill("approve", "1", "--as", BOSS)
    assert result.exit_code == 2
    assert "run 1 is not a plan awaiting approval (it is a manual run that ended success)" in (
        result.output
    )


def test_approve_without_a_ledger(approving_cw: World) -> None:
    result = approving_cw.psabill("approve", "1", "--as", BOSS)
    assert result.exit_code == 2
    assert "there is no ledger yet" in result.output


def test_a_push_by_hand_records_the_admin(psa_world: World) -> None:
    result = psa_world.psabill("sync", "--now", "--as", BOSS)
    assert result.exit_code == 0, result.output
    with _ledger(psa_world) as ledger:
        (run,) = ledger.runs()
    assert (run.trigger, run.acting_admin) == ("manual", BOSS)


def test_a_push_by_hand_needs_an_admin_with_pay_when_approval_is_required(
    approving: World,
) -> None:
    anonymous = approving.psabill("sync", "--now")
    assert anonymous.exit_code == 2
    assert "approval is required" in anonymous.output
    viewer = approving.psabill("sync", "--now", "--as", "viewer@northwind.example")
    assert viewer.exit_code == 2
    assert "needs pay_invoices" in viewer.output
    scheduled = approving.psabill("sync", "--as", BOSS)
    assert scheduled.exit_code == 2
    assert "--as is for a push by hand" in scheduled.output
    assert approving.psabill("sync", "--now", "--dry-run").exit_code == 0
    assert not ledger_path(approving.setup.state_dir).exists()


def test_the_plan_is_mailed_to_the_admins_who_view(approving_cw: World) -> None:
    _plan(approving_cw)
    messages = [
        email.message_from_bytes(path.read_bytes())
        for path in sorted(approving_cw.setup.mail_dir.glob("*.eml"))
    ]
    to_admins = [m for m in messages if BOSS in str(m["To"])]
    assert to_admins, [str(m["Subject"]) for m in messages]
    body = to_admins[0].as_string()
    assert "viewer@northwind.example" in str(to_admins[0]["To"])
    assert "psabill approve 1" in body


def test_a_planned_run_is_a_healthy_run_for_monitoring(approving_cw: World) -> None:
    with ping_server() as server:
        config = approving_cw.setup.config
        config.write_text(config.read_text() + f'\n[monitoring]\nping_url = "{server.url}"\n')
        assert approving_cw.psabill("sync", now=DUE_AT).exit_code == 0  # planned
        assert approving_cw.psabill("sync", now=LATER).exit_code == 0  # still awaiting approval
    paths = [path for _, path in server.hits]
    success = paths[1]
    assert paths == [f"{success}/start", success, f"{success}/start", success]


def test_an_old_plan_cannot_be_approved_after_a_later_period_was_planned(
    approving_cw: World,
) -> None:
    assert _plan(approving_cw)["outcome"] == "planned"  # run 1: 2026-12 (and Müller's 2026-11)
    later = approving_cw.psabill("sync", "--json", now="2027-01-01T11:30:00+00:00")
    assert json.loads(later.stdout)["outcome"] == "planned"  # run 2: 2027-01
    refused = approving_cw.psabill("approve", "1", "--as", BOSS, now="2027-01-01T12:00:00+00:00")
    assert refused.exit_code == 2
    assert "superseded by run 2" in refused.output
