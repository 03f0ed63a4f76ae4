"""Failures that change a bill are never quiet: missed periods and summaries stuck unsent.

Each runs once per PSA (``psa_world``): whatever the PSA, a missed period, a stuck summary or a
run that died is reported.
"""

from __future__ import annotations

import email
import email.policy
import json
from datetime import UTC, datetime

from psabill.app.runner import Runner
from psabill.config.loader import load_config
from psabill.core.report import SyncRequest
from psabill.state import Ledger, ledger_path
from tests.e2e.conftest import World
from tests.ops.support import dead_url, ping_server

SECRET = "5f1c0d2e-secret-uuid"
DUE = "2026-12-01T12:00:00+00:00"  # an hour after the demo's monthly slot
# January's slot never ran, February's is nine days old: past the 72 h catch-up window.
LATE = "2027-02-10T12:00:00+00:00"
LATER = "2027-02-10T13:00:00+00:00"


def _append(world: World, text: str) -> None:
    config = world.setup.config
    config.write_text(config.read_text(encoding="utf-8") + text, encoding="utf-8")


def _alerts(world: World) -> list[str]:
    return [
        path.read_text(encoding="utf-8")
        for path in sorted((world.setup.mail_dir).glob("*.eml"))
        if "missed billing period" in path.read_text(encoding="utf-8")
    ]


def test_a_missed_period_is_reported_once_under_q_in_json_by_mail_and_ping(
    psa_world: World,
) -> None:
    world = psa_world
    assert world.psabill("sync", now=DUE).exit_code == 0
    with ping_server() as server:
        _append(world, f'\n[monitoring]\nping_url = "{server.url}"\ntimeout = 2\n')
        first = world.psabill("-q", "sync", "--json", now=LATE)
        hits = [path for _, path in server.hits]
        server.hits.clear()
        again = world.psabill("-q", "sync", now=LATER)
    assert first.exit_code == 1, first.output
    document = json.loads(first.stdout)
    missed = {(m["customer"], m["period"]) for m in document["missed"]}
    assert ("sophos:7d1f3c2e-acme", "2027-01") in missed
    assert ("sophos:7d1f3c2e-acme", "2027-02") in missed
    assert all(
        m["hint"].startswith("bill it by hand: psabill sync --now") for m in document["missed"]
    )
    errors = [line for line in first.stderr.splitlines() if line.startswith("error: missed")]
    assert len(errors) == len(missed)
    assert any(
        "period 2027-01 for Acme" in line
        and "(bill it by hand: psabill sync --now --customer sophos:7d1f3c2e-acme)" in line
        for line in errors
    ), errors
    assert hits == [f"/ping/{SECRET}/start", f"/ping/{SECRET}/fail"]
    (alert,) = _alerts(world)
    message = email.message_from_string(alert, policy=email.policy.default)
    subject = "psabill: Northwind MSP — missed billing period 2026-12, 2027-01, 2027-02"
    assert message["Subject"] == subject  # Müller's own schedule missed December's last day
    body = message.get_body(("plain",))
    assert body is not None
    assert (
        "bill it by hand: psabill sync --now --customer sophos:7d1f3c2e-acme" in body.get_content()
    )
    # Reported once: the next hourly run is quiet again, and healthy.
    assert again.exit_code == 0, again.output
    assert again.output == ""
    assert [path for _, path in server.hits] == [f"/ping/{SECRET}/start", f"/ping/{SECRET}"]
    assert len(_alerts(world)) == 1


def test_a_summary_stuck_past_alert_after_is_an_error_and_pings_fail(psa_world: World) -> None:
    world = psa_world
    port = dead_url().split(":")[2].split("/")[0]  # nothing listens there
    smtp = f'\n[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
    text = world.setup.config.read_text(encoding="utf-8").replace('transport = "folder"', "")
    world.setup.config.write_text(text + smtp, encoding="utf-8")
    with ping_server() as server:
        _append(world, f'\n[monitoring]\nping_url = "{server.url}"\ntimeout = 2\n')
        queued = world.psabill("-q", "sync", now=DUE)
        server.hits.clear()
        soon = world.psabill("-q", "sync", now="2026-12-01T13:00:00+00:00")
        soon_hits = [path for _, path in server.hits]
        server.hits.clear()
        late = world.psabill("-q", "sync", "--json", now="2026-12-01T14:30:00+00:00")
    assert queued.exit_code == 0, queued.output
    assert soon.exit_code == 0, soon.output
    assert soon.output == ""  # still within alert_after: quiet
    assert soon_hits == [f"/ping/{SECRET}/start", f"/ping/{SECRET}"]
    assert late.exit_code == 0, late.output  # a mail problem never changes the exit code
    (error,) = [line for line in late.stderr.splitlines() if line.startswith("error:")]
    assert "summary emails unsent since 2026-12-01 12:00 UTC" in error
    assert "psabill notify flush" in error
    assert json.loads(late.stdout)["stuck_mail"]
    assert [path for _, path in server.hits] == [f"/ping/{SECRET}/start", f"/ping/{SECRET}/fail"]


def test_a_period_billed_by_hand_after_its_slot_is_not_reported_as_missed(psa_world: World) -> None:
    world = psa_world
    assert world.psabill("sync", now=DUE).exit_code == 0
    by_hand = world.psabill("sync", "--now", now=LATE)
    assert by_hand.exit_code == 0, by_hand.output
    assert "missed" not in by_hand.output  # a run by hand is the remedy, not the alarm
    later = world.psabill("-q", "sync", now=LATER)
    assert later.exit_code == 0, later.output
    assert later.output == ""


def test_a_run_is_never_recorded_finished_without_its_summaries(psa_world: World) -> None:
    world = psa_world
    """The run's end and its summaries are one ledger transaction: a kill right after the
    run finished (before any delivery) can delay its summary, never lose it."""
    runner = Runner(load_config(world.setup.config, {}), world.setup.state_dir, {})
    report = runner.sync(SyncRequest(trigger="manual", acting_admin="ops@northwind.example"))
    assert report.outcome == "success"
    with Ledger.open(ledger_path(world.setup.state_dir)) as ledger:
        run = ledger.run(report.run_id or 0)
        pending = ledger.outbox_pending()
    assert run is not None
    assert run.outcome == "success"
    assert {mail.run_id for mail in pending} == {report.run_id}
    assert sorted(report.mail_queued) == [mail.id for mail in pending]
    assert "summary email" in report.mail_queued.values()


def test_a_run_that_died_midway_is_named_by_the_next(psa_world: World) -> None:
    world = psa_world
    config = load_config(world.setup.config, {})
    with Ledger.open(ledger_path(world.setup.state_dir)) as ledger:  # a run that never ended
        ledger.start_run(trigger="manual", started_at=datetime(2026, 12, 1, 11, tzinfo=UTC))
    report = Runner(config, world.setup.state_dir, {}).sync(SyncRequest(trigger="manual"))
    assert report.recovered == [1]
    result = world.psabill("sync", "--now", "--json")
    assert json.loads(result.stdout)["recovered"] == []  # reported once, by the run after it
    again = world.psabill("history", "--json")
    assert '"interrupted"' in again.stdout
