"""Machine-friendly output: --log-json, no colour off a terminal or with NO_COLOR, completion."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from psabill.cli import main
from psabill.ops.logjson import JsonFormatter, StderrHandler, configure_logging, level_for
from tests.conftest import ENV, MINIMAL

ESC = "\x1b["


@pytest.fixture(autouse=True)
def _restore_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def config(write_config: Callable[[str], Path]) -> Path:
    return write_config(MINIMAL)


def _psabill(config: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    argv = ["--config", str(config), "--state-dir", str(config.parent / "state"), *args]
    return CliRunner().invoke(main, argv, env={**ENV, **(env or {})}, prog_name="psabill")


# --- --log-json ----------------------------------------------------------------------------


def test_json_formatter_writes_one_object_per_line_with_extras() -> None:
    record = logging.makeLogRecord(
        {"name": "psabill.psa", "levelno": 30, "levelname": "WARNING", "msg": "a\nb %s",
         "args": ("c",), "created": 1764504000.25, "hint": "do x"}
    )  # fmt: skip
    line = JsonFormatter().format(record)
    assert "\n" not in line
    assert json.loads(line) == {
        "time": "2025-11-30T12:00:00.250+00:00",
        "level": "warning",
        "logger": "psabill.psa",
        "message": "a\nb c",
        "hint": "do x",
    }


def test_json_formatter_includes_the_traceback() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.getLogger("t").makeRecord(
            "t", logging.ERROR, __file__, 1, "failed", (), exc_info=__import__("sys").exc_info()
        )
    data = json.loads(JsonFormatter().format(record))
    assert "ValueError: boom" in data["exception"]


def test_every_log_record_goes_to_stderr_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(0, json_lines=True)
    logging.getLogger("httpx").info("not shown at the default verbosity")
    logging.getLogger("psabill.psa").warning("GET %s failed; retrying", "/agreements")
    logging.getLogger("anything.else").error("second")
    out, err = capsys.readouterr()
    assert out == ""
    lines = [json.loads(line) for line in err.splitlines()]
    assert [(x["logger"], x["message"]) for x in lines] == [
        ("psabill.psa", "GET /agreements failed; retrying"),
        ("anything.else", "second"),
    ]


def test_configuring_twice_never_duplicates_lines(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(0, json_lines=False)
    configure_logging(0, json_lines=True)
    logging.getLogger("psabill").warning("once")
    assert capsys.readouterr().err.count("once") == 1
    assert sum(isinstance(h, StderrHandler) for h in logging.getLogger().handlers) == 1


@pytest.mark.parametrize(
    ("verbosity", "level"),
    [(-2, logging.ERROR), (-1, logging.ERROR), (0, logging.WARNING), (1, logging.INFO),
     (2, logging.DEBUG), (3, logging.DEBUG)],
)  # fmt: skip
def test_verbosity_picks_the_level(verbosity: int, level: int) -> None:
    assert level_for(verbosity) == level


def test_cli_log_json_turns_warnings_into_json(write_config: Callable[[str], Path]) -> None:
    literal = MINIMAL.replace('"${CW_PRIVATE_KEY}"', '"a-literal-secret"')
    config = write_config(literal)
    config.chmod(0o644)
    result = _psabill(config, "--log-json", "config", "validate")
    assert result.exit_code == 0, result.output
    (line,) = result.stderr.splitlines()
    record = json.loads(line)
    assert record["level"] == "warning"
    assert record["logger"] == "psabill"
    assert "psa.private_key" in record["message"]
    assert f"{config}: valid" in result.stdout  # stdout stays for people


def test_cli_log_json_reports_errors_as_one_json_line(write_config: Callable[[str], Path]) -> None:
    config = write_config(MINIMAL + "\n[schedule]\nday = 42\n")
    result = _psabill(config, "--log-json", "config", "validate")
    assert result.exit_code == 78
    (line,) = result.stderr.splitlines()
    record = json.loads(line)
    assert record["level"] == "error"
    assert record["exit_code"] == 78
    assert any("schedule.day" in problem for problem in record["problems"])
    assert "problem" in record["message"]
    assert result.stdout == ""


# --- colour ----------------------------------------------------------------------------------


def test_schedule_has_no_escape_codes_off_a_terminal(config: Path) -> None:
    result = _psabill(config, "schedule")
    assert result.exit_code == 0, result.output
    assert "Local time" in result.stdout
    assert ESC not in result.output


def test_a_forced_terminal_gets_styles_unless_no_color(config: Path) -> None:
    styled = _psabill(config, "schedule", env={"FORCE_COLOR": "1"})
    assert ESC in styled.stdout, "FORCE_COLOR makes rich style the table"
    for env, args in [({"NO_COLOR": "1"}, ()), ({}, ("--no-color",))]:
        plain = _psabill(config, *args, "schedule", env={"FORCE_COLOR": "1", **env})
        assert plain.exit_code == 0, plain.output
        assert "Local time" in plain.stdout
        assert ESC not in plain.output, (env, args)


# --- shell completion ------------------------------------------------------------------------


def test_bash_completion_script_and_command_names() -> None:
    runner = CliRunner()
    script = runner.invoke(main, [], env={"_PSABILL_COMPLETE": "bash_source"}, prog_name="psabill")
    assert "_psabill_completion" in script.output
    words = runner.invoke(
        main,
        [],
        env={"_PSABILL_COMPLETE": "bash_complete", "COMP_WORDS": "psabill sy", "COMP_CWORD": "1"},
        prog_name="psabill",
    )
    assert "plain,sync" in words.output.splitlines()


# --- --json on every read command ------------------------------------------------------------

READ_COMMANDS = [
    ("config", "validate"),
    ("config", "show"),
    ("schedule",),
    ("due",),
    ("history",),
    ("report",),
    ("plan",),
    ("sync",),
    ("doctor",),
    ("units",),
]


@pytest.mark.parametrize("path", READ_COMMANDS, ids=" ".join)
def test_read_command_has_json(path: tuple[str, ...], monkeypatch: pytest.MonkeyPatch) -> None:
    from psabill.cli.units_cmd import units

    monkeypatch.setitem(main.commands, "units", units)
    command: click.Command | None = main
    for name in path:
        assert isinstance(command, click.Group)
        command = command.get_command(click.Context(command), name)
    assert command is not None
    options = {opt for param in command.params for opt in getattr(param, "opts", [])}
    assert "--json" in options
