"""``psabill adjustments``: the journal newest first; ``resolve`` for an entry a person checked."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from psabill.cli import main
from psabill.state import Ledger, RunLock, ledger_path, lock_path

T0 = datetime(2026, 11, 1, 6, tzinfo=UTC)


def _psabill(state: Path, *args: str) -> Result:
    env = {"PSABILL_NOW": "2026-11-02T09:30:00+00:00"}
    return CliRunner().invoke(main, ["--state-dir", str(state), "adjustments", *args], env=env)


@pytest.fixture
def state(tmp_path: Path) -> Path:
    """A journal of three entries: #1 posted, #2 unknown, #3 sending (a killed run's)."""
    directory = tmp_path / "state"
    with Ledger.open(ledger_path(directory)) as ledger:
        run_id = ledger.start_run(trigger="manual", started_at=T0)
        for product, change, state in (
            (30, "3", "posted"),
            (31, "-2.50", "unknown"),
            (32, "1", ""),
        ):
            entry = ledger.add_adjustment(
                run_id,
                agreement_id=7,
                product_id=product,
                reference=None,
                day=date(2026, 11, 1),
                before=Decimal(10),
                change=Decimal(change),
                at=T0,
            )
            if state:
                ledger.settle_adjustment(entry, state, note=f"{state} note", at=T0)  # type: ignore[arg-type]
    return directory


def test_the_journal_is_listed_newest_first(state: Path) -> None:
    result = _psabill(state)

    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.stdout.splitlines()]
    assert rows[0][:8] == ["ID", "Run", "Day", "Agreement", "Product", "Before", "Change", "State"]
    assert [row[0] for row in rows[1:]] == ["3", "2", "1"]
    assert rows[1][5:8] == ["10", "+1", "sending"]
    assert rows[2][5:] == ["10", "-2.5", "unknown", "unknown", "note"]
    assert rows[3][5:] == ["10", "+3", "posted", "posted", "note"]


def test_open_only_and_json(state: Path) -> None:
    opened = _psabill(state, "--open", "--json")

    assert opened.exit_code == 0, opened.output
    data = json.loads(opened.stdout)
    assert data["schema"] == "psabill.adjustments/1"
    entries = data["adjustments"]
    assert [(e["id"], e["state"], e["open"]) for e in entries] == [
        (3, "sending", True),
        (2, "unknown", True),
    ]
    assert (entries[1]["change"], entries[1]["before"], entries[1]["day"]) == (
        "-2.50",
        "10",
        "2026-11-01",
    )


def test_an_empty_or_missing_journal_says_so(tmp_path: Path) -> None:
    missing = _psabill(tmp_path / "none")
    assert (missing.exit_code, missing.stdout) == (0, "no unit adjustments recorded\n")
    assert not (tmp_path / "none").exists()  # listing creates no state
    assert _psabill(tmp_path / "none", "--open").stdout == "no open unit adjustments\n"


def test_resolve_settles_an_open_entry_and_records_who(state: Path) -> None:
    result = _psabill(state, "resolve", "2", "landed", "--as", "ana@msp.example")

    assert result.exit_code == 0, result.output
    note = "unknown note; marked landed by ana@msp.example at 2026-11-02 09:30Z"
    assert result.stdout == f"unit adjustment 2 is now landed: {note}\n"
    with Ledger.open(ledger_path(state)) as ledger:
        record = ledger.adjustment(2)
    assert record is not None
    assert (record.state, record.note) == ("landed", note)


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("1", "lost"), "error: unit adjustment 1 is posted, not open; only a sending or unknown"),
        (("9", "lost"), "error: no unit adjustment 9 in the ledger"),
    ],
)
def test_resolve_refuses_a_settled_or_unknown_entry_with_exit_2(
    state: Path, args: tuple[str, ...], error: str
) -> None:
    result = _psabill(state, "resolve", *args, "--as", "ana")

    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines()[0].startswith(error)
    assert "Traceback" not in result.output
    with Ledger.open(ledger_path(state)) as ledger:
        assert [r.state for r in ledger.adjustments()] == ["sending", "unknown", "posted"]


def test_resolve_takes_only_landed_or_lost(state: Path) -> None:
    result = _psabill(state, "resolve", "2", "posted")
    assert result.exit_code == 2
    assert "'posted' is not one of 'landed', 'lost'" in result.stderr


def test_resolve_waits_for_no_run_exit_75(state: Path) -> None:
    with RunLock(lock_path(state)):
        result = _psabill(state, "resolve", "3", "lost", "--json")
    assert result.exit_code == 75, result.output
    resolved = _psabill(state, "resolve", "3", "lost", "--json")
    assert resolved.exit_code == 0, resolved.output
    entry = json.loads(resolved.stdout)["adjustment"]
    assert (entry["id"], entry["state"], entry["open"]) == (3, "lost", False)
    assert entry["note"].startswith("marked lost by ")  # the login name, when --as is not given


def test_a_run_report_shows_the_adjustments_it_sent(state: Path, tmp_path: Path) -> None:
    argv = ["--config", str(tmp_path / "absent.toml"), "--state-dir", str(state), "report", "1"]
    text = CliRunner().invoke(main, argv)
    as_json = CliRunner().invoke(main, [*argv, "--json"])

    assert text.exit_code == 0, text.output
    assert "Unit adjustments: 3 (`psabill adjustments` lists them all)" in text.stdout
    rows = [line.split() for line in text.stdout.splitlines()]
    assert [row[0] for row in rows if row and row[0].isdigit()] == ["1", "2", "3"]
    assert as_json.exit_code == 0, as_json.output
    entries = json.loads(as_json.stdout)["adjustments"]
    assert [(e["id"], e["state"]) for e in entries] == [
        (1, "posted"),
        (2, "unknown"),
        (3, "sending"),
    ]
