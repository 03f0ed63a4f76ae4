"""`psabill schedule`, `psabill due`, `psabill history` and `psabill report` end to end."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from psabill.cli import main
from psabill.state import Ledger, NewLine, ledger_path
from tests.conftest import ENV, MINIMAL

CUSTOMERS = """
[[customers]]
id = "acme"
name = "Acme Corp"
psa_company = "AcmeCorp"

[[customers]]
id = "mueller"
name = "Müller & Söhne GmbH"
psa_company = "MuellerSoehne"
settings = "custom"
schedule = { mode = "monthly", day = 31, hour = 7 }
"""


@pytest.fixture
def setup(write_config, tmp_path: Path) -> tuple[Path, Path]:
    config = write_config(MINIMAL + "\n[schedule]\nday = 1\nhour = 6\n" + CUSTOMERS)
    return config, tmp_path / "state"


def run(config: Path, state: Path, *args: str, now: str | None = None) -> Result:
    env = {**ENV, **({"PSABILL_NOW": now} if now else {})}
    argv = ["--config", str(config), "--state-dir", str(state), *args]
    return CliRunner().invoke(main, argv, env=env)


def complete(state: Path, customer: str, period: str, slot_key: str, slot_at: datetime) -> None:
    at = datetime(2026, 12, 1, 12, tzinfo=UTC)
    with Ledger.open(ledger_path(state)) as ledger:
        run_id = ledger.start_run(trigger="scheduled", started_at=at, period=period)
        ledger.finish_run(run_id, outcome="success", finished_at=at)
        ledger.complete_slots(
            run_id,
            customers=[customer],
            period=period,
            slot_key=slot_key,
            slot_at=slot_at,
            completed_at=at,
        )


def test_schedule_lists_local_and_utc_with_clamp(setup) -> None:
    config, state = setup
    result = run(
        config, state, "schedule", "--customer", "mueller", "--next", "4", now="2026-11-22T12:00Z"
    )
    assert result.exit_code == 0, result.output
    assert "monthly on day 31 at 07:00" in result.output
    assert "Mon 2026-11-30 07:00 EST  2026-11-30 12:00Z  2026-11  clamped to month end" in (
        result.output
    )
    assert "2027-02-28 07:00 EST" in result.output
    assert not state.exists(), "read-only commands must not create state"


def test_schedule_json(setup) -> None:
    config, state = setup
    result = run(config, state, "schedule", "--json", "--next", "2", now="2026-11-22T12:00Z")
    data = json.loads(result.output)
    assert data["timezone"] == "America/New_York"
    assert [s["utc"] for s in data["slots"]] == ["2026-12-01T11:00:00Z", "2027-01-01T11:00:00Z"]
    assert {t["customer"] for t in data["targets"]} == {"acme", "mueller"}


def test_due_exit_codes(setup) -> None:
    config, state = setup
    before = run(config, state, "due", "--customer", "acme", now="2026-12-01T10:59Z")
    assert before.exit_code == 1
    assert "not due: Acme Corp" in before.output
    at_slot = run(config, state, "due", "--customer", "acme", now="2026-12-01T11:00Z")
    assert at_slot.exit_code == 0
    assert "due: Acme Corp - slot 2026-12-01T06:00, period 2026-12" in at_slot.output


def test_due_is_per_customer_and_respects_the_ledger(setup) -> None:
    config, state = setup
    slot_at = datetime(2026, 12, 1, 11, tzinfo=UTC)
    complete(state, "acme", "2026-12", "2026-12-01T06:00", slot_at)
    result = run(config, state, "due", "--json", now="2026-12-01T13:00Z")
    data = json.loads(result.output)
    by_customer = {t["customer"]: t for t in data["targets"]}
    assert by_customer["acme"]["due"] is False
    assert "already ran for period 2026-12" in by_customer["acme"]["reason"]
    assert by_customer["mueller"]["due"] is True  # Nov 30 07:00 EST, 30h ago, within 72h
    assert by_customer["mueller"]["slot"]["period"] == "2026-11"
    assert result.exit_code == 0


def test_due_past_catch_up_reports_missed(setup) -> None:
    config, state = setup
    result = run(config, state, "due", "--customer", "acme", now="2026-12-05T12:00Z")
    assert result.exit_code == 1
    assert "catch-up window" in result.output
    assert "missed: 2026-12-01T06:00" in result.output


def test_unknown_customer_is_a_usage_error(setup) -> None:
    config, state = setup
    result = run(config, state, "due", "--customer", "nobody")
    assert result.exit_code == 2
    assert "no synced customer 'nobody'" in result.output


def test_disabled_schedule_is_never_due(write_config, tmp_path: Path) -> None:
    config = write_config(MINIMAL + "\n[schedule]\nenabled = false\nday = 1\n")
    result = run(config, tmp_path, "due", now="2026-12-01T11:00Z")
    assert result.exit_code == 1
    assert "disabled" in result.output


def test_bad_at_is_a_usage_error(setup) -> None:
    config, state = setup
    result = run(config, state, "due", "--at", "tomorrow")
    assert result.exit_code == 2
    assert "ISO 8601" in result.output


def test_history_and_report(setup) -> None:
    config, state = setup
    assert "no runs recorded yet" in run(config, state, "history").output
    at = datetime(2026, 12, 1, 11, 0, 5, tzinfo=UTC)
    with Ledger.open(ledger_path(state)) as ledger:
        run_id = ledger.start_run(
            trigger="manual", started_at=at, period="2026-12", acting_admin="casey@example.com"
        )
        (line,) = ledger.add_lines(
            run_id,
            [
                NewLine(
                    customer="acme",
                    company="AcmeCorp",
                    agreement_name="Managed Services",
                    product="CIXA",
                    psa_product="SOPHOS-IXA",
                    action="update",
                    old_quantity=Decimal("40"),
                    new_quantity=Decimal("42"),
                )
            ],
            at=at,
        )
        ledger.update_line(line, status="confirmed", at=at, addition_id=77)
        ledger.finish_run(run_id, outcome="success", finished_at=at)
    history = run(config, state, "history")
    assert history.exit_code == 0
    assert f"{run_id}    2026-12-01 11:00:05Z  manual" in history.output
    assert "manual" in history.output
    assert "1 confirmed" in history.output
    report = run(config, state, "report", str(run_id))
    assert report.exit_code == 0, report.output
    assert "\nAcme Corp  " in report.output  # the customer's name, not its vendor id
    assert "acme" not in report.output
    verbose = run(config, state, "-v", "report", str(run_id))
    assert "\nAcme Corp  acme  " in verbose.output  # -v adds the vendor id
    assert "CIXA -> SOPHOS-IXA" in report.output
    assert "40 -> 42" in report.output
    data = json.loads(run(config, state, "report", str(run_id), "--json").output)
    assert data["lines"][0]["new_quantity"] == "42"
    assert data["lines"][0]["addition_id"] == 77
    missing = run(config, state, "report", "999")
    assert missing.exit_code == 2
    assert "no run 999" in missing.output


def test_json_documents_name_their_schema(setup) -> None:
    config, state = setup
    history = json.loads(run(config, state, "history", "--json").stdout)
    assert history["schema"] == "psabill.history/1"
    due = json.loads(run(config, state, "due", "--json", now="2026-12-01T12:00Z").stdout)
    assert due["schema"] == "psabill.due/1"
    shown = json.loads(run(config, state, "config", "show", "--json").stdout)
    assert "schema" not in shown
