"""With --log-json, stderr is JSON lines only: every line one object, whatever printed it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from psabill.cli import main
from psabill.state import RunLock, lock_path
from tests.conftest import ENV, MINIMAL
from tests.e2e.conftest import World
from tests.ops.support import dead_url


def json_lines(stderr: str) -> list[dict[str, Any]]:
    """Every non-empty stderr line parsed; fails naming the first line that is not JSON."""
    records = []
    for line in stderr.splitlines():
        if line.strip():
            try:
                record = json.loads(line)
            except ValueError:
                raise AssertionError(f"not a JSON line on stderr: {line!r}") from None
            assert isinstance(record, dict), line
            records.append(record)
    return records


def messages(records: list[dict[str, Any]], level: str) -> list[str]:
    return [r["message"] for r in records if r["level"] == level]


def psabill(world: World, *args: str) -> tuple[int, list[dict[str, Any]]]:
    argv = ["--log-json", "--config", str(world.setup.config)]
    argv += ["--state-dir", str(world.setup.state_dir)]
    result = CliRunner().invoke(main, [*argv, *args])
    return result.exit_code, json_lines(result.stderr)


def test_sync_json_with_summaries_and_warnings(world: World) -> None:
    config = world.setup.config
    config.write_text(config.read_text() + f'\n[monitoring]\nping_url = "{dead_url()}"\n')

    code, records = psabill(world, "sync", "--now", "--json")

    assert code == 0, records
    info = messages(records, "info")
    assert any(m.startswith("summary email written to ") for m in info), records
    assert any("monitoring ping" in m for m in messages(records, "warning")), records


def test_sync_with_a_failed_source_and_a_guard_trip(world: World) -> None:
    world.usage("goto.json").write_text(
        '[{"account": "nw-goto-77", "plan": "CONNECT-STD", "users": 5}]', encoding="utf-8"
    )
    world.usage("lastpass.json").write_text("{not json", encoding="utf-8")

    code, records = psabill(world, "sync", "--now")

    assert code == 4, records
    failed = messages(records, "error")
    assert any(m.startswith("source failed: ") and "lastpass.json" in m for m in failed), records
    guards = messages(records, "warning")
    assert any("Northwind Logistics: total drops from 55 to 5" in m for m in guards), records


def test_plan_out_says_where_the_plan_went_in_json(world: World) -> None:
    out = world.setup.directory / "plan.json"
    code, records = psabill(world, "plan", "--out", str(out))
    assert code == 0, records
    assert messages(records, "info") == [
        f"plan saved to {out}; apply it with `psabill sync --plan {out}`"
    ]


def test_a_user_error_is_one_json_record_with_its_hint_and_exit_code(world: World) -> None:
    world.setup.state_dir.mkdir(mode=0o700)
    with RunLock(lock_path(world.setup.state_dir)):
        code, records = psabill(world, "sync", "--now")
    assert code == 75
    [error] = records
    assert error["level"] == "error"
    assert error["exit_code"] == 75
    assert error["hint"]


def test_a_config_error_lists_its_problems_in_one_record(write_config) -> None:  # type: ignore[no-untyped-def]
    path = write_config(MINIMAL + '\n[schedule]\nday = 0\nhour = "06:30"\n')
    result = CliRunner().invoke(main, ["--log-json", "--config", str(path), "doctor"], env=ENV)
    assert result.exit_code == 78
    [error] = json_lines(result.stderr)
    assert error["message"] == f"{path}: 2 problems in the configuration"
    assert len(error["problems"]) == 2


def test_a_bad_option_is_a_json_record_too(world: World) -> None:
    code, records = psabill(world, "sync", "--no-such-option")
    assert code == 2
    [error] = records
    assert error["level"] == "error"
    assert "--no-such-option" in error["message"]


def test_written_unit_files_are_reported_in_json(world: World, tmp_path: Path) -> None:
    code, records = psabill(world, "units", "cron", "--user", "--out-dir", str(tmp_path / "u"))
    assert code == 0, records
    assert any(m.startswith("wrote ") for m in messages(records, "info")), records
