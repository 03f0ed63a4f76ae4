"""A user error is a message and a hint at every verbosity; tracebacks are for bugs only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from psabill.cli import main
from psabill.state import RunLock, lock_path
from tests.conftest import ENV, MINIMAL
from tests.e2e.conftest import World

VERBOSE = pytest.mark.parametrize("verbose", ["-v", "-vv"])


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env=ENV)
    return result.exit_code, result.stderr


@VERBOSE
def test_a_config_error_shows_no_traceback(write_config, verbose: str) -> None:  # type: ignore[no-untyped-def]
    path = write_config(MINIMAL + "\n[schedule]\nday = 0\n")
    code, stderr = _run(verbose, "--config", str(path), "config", "validate")
    assert code == 78
    assert f"error: {path}: " in stderr
    assert "Traceback" not in stderr


@VERBOSE
def test_a_held_lock_shows_no_traceback(world: World, verbose: str) -> None:
    argv = ["--config", str(world.setup.config), "--state-dir", str(world.setup.state_dir)]
    world.setup.state_dir.mkdir(mode=0o700)
    with RunLock(lock_path(world.setup.state_dir)):
        code, stderr = _run(verbose, *argv, "sync", "--now")
    assert code == 75
    assert "error: " in stderr
    assert "Traceback" not in stderr


@VERBOSE
def test_a_psa_refusing_the_keys_shows_no_traceback(world: World, verbose: str) -> None:
    config = world.setup.config
    config.write_text(config.read_text().replace('"sandbox-private"', '"wrong-private"'))
    argv = ["--config", str(config), "--state-dir", str(world.setup.state_dir)]
    code, stderr = _run(verbose, *argv, "sync", "--now")
    assert code == 1
    assert "401" in stderr or "refused" in stderr or "credentials" in stderr.lower()
    assert "Traceback" not in stderr


def test_a_json_log_record_of_a_user_error_carries_no_traceback(tmp_path: Path) -> None:
    code, stderr = _run("-vv", "--log-json", "--config", str(tmp_path / "none.toml"), "doctor")
    assert code == 78
    records = [json.loads(line) for line in stderr.splitlines() if line]
    errors = [r for r in records if r["level"] == "error"]
    assert len(errors) == 1
    assert "config file not found" in errors[0]["message"]
    assert "exception" not in errors[0]


def test_an_internal_error_still_shows_its_traceback_with_v(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr("psabill.cli.schedule_cmd.schedule.callback", broken)
    code, quiet = _run("schedule")
    assert code == 1
    assert "internal error: ZeroDivisionError: a bug" in quiet
    assert "Traceback" not in quiet
    code, verbose = _run("-v", "schedule")
    assert code == 1
    assert "Traceback" in verbose
