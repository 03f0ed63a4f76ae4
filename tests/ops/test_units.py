"""Scheduler files: generated text, the shipped examples, and `psabill units`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path, PurePosixPath

import click
import pytest
from click.testing import CliRunner, Result

from psabill.cli import main
from psabill.cli.units_cmd import psabill_command, units
from psabill.errors import UsageError
from psabill.ops.units import (
    DEFAULT_CONFIG,
    DEFAULT_EXECUTABLE,
    DEFAULT_SYSTEM_STATE,
    Setup,
    cron_entry,
    notes,
    secret_references,
    state_directory_name,
    systemd_units,
)
from tests.ops.support import EXAMPLES, psabill_args, settings, subcommand_of, unit_entries

SYSTEM = Setup(
    command=(DEFAULT_EXECUTABLE,),
    config=DEFAULT_CONFIG,
    state_dir=DEFAULT_SYSTEM_STATE,
    credentials=("cw_private_key", "cw_public_key", "smtp_password"),
)
HARDENING = {
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
    "LockPersonality": "yes",
    "MemoryDenyWriteExecute": "yes",
    "RestrictNamespaces": "yes",
    "CapabilityBoundingSet": "",
    "DynamicUser": "yes",
    "LogRateLimitIntervalSec": "0",
}


def test_system_service_runs_sync_oneshot_with_state_directory_and_credentials() -> None:
    service, _ = systemd_units(SYSTEM)
    unit, svc = settings(service.text, "Unit"), settings(service.text, "Service")
    assert unit["Wants"] == unit["After"] == ["network-online.target"]
    assert svc["Type"] == ["oneshot"]
    assert svc["ExecStart"] == ["/usr/local/bin/psabill --config /etc/psabill/psabill.toml sync"]
    assert svc["StateDirectory"] == ["psabill"]
    assert svc["StateDirectoryMode"] == ["0700"]
    assert svc["LoadCredential"] == [
        "cw_private_key:/etc/psabill/cw_private_key",
        "cw_public_key:/etc/psabill/cw_public_key",
        "smtp_password:/etc/psabill/smtp_password",
    ]
    for key, value in HARDENING.items():
        assert svc[key] == [value], key
    assert "@system-service" in svc["SystemCallFilter"]
    assert service.install_path == "/etc/systemd/system/psabill.service"


def test_timer_is_hourly_persistent_and_randomized() -> None:
    _, timer = systemd_units(SYSTEM)
    assert settings(timer.text, "Timer") == {
        "OnCalendar": ["hourly"],
        "Persistent": ["true"],
        "RandomizedDelaySec": ["5m"],
    }
    assert settings(timer.text, "Install") == {"WantedBy": ["timers.target"]}


def test_user_units_name_the_state_dir_and_skip_system_only_settings() -> None:
    setup = Setup(
        command=("/home/kim/.venv/bin/psabill",),
        config=PurePosixPath("/home/kim/.config/psabill/psabill.toml"),
        state_dir=PurePosixPath("/home/kim/.local/state/psabill"),
        user=True,
    )
    service, timer = systemd_units(setup)
    svc = settings(service.text, "Service")
    assert svc["ExecStart"] == [
        "/home/kim/.venv/bin/psabill --config /home/kim/.config/psabill/psabill.toml "
        "--state-dir /home/kim/.local/state/psabill sync"
    ]
    for system_only in ("DynamicUser", "StateDirectory", "ProtectSystem", "LoadCredential"):
        assert system_only not in svc
    assert "Wants" not in settings(service.text, "Unit")
    assert service.install_path == "~/.config/systemd/user/psabill.service"
    assert "systemctl --user" in timer.text
    assert notes(setup, "systemd") == []


@pytest.mark.parametrize(
    ("arg", "quoted"),
    [
        ("/opt/psabill/bin/psabill", "/opt/psabill/bin/psabill"),
        ("/srv/My Billing/psabill.toml", '"/srv/My Billing/psabill.toml"'),
        ("/srv/100%/psabill.toml", "/srv/100%%/psabill.toml"),
        ("/srv/$HOME/psabill.toml", "/srv/$$HOME/psabill.toml"),
        ('/srv/a"b/psabill.toml', '"/srv/a\\"b/psabill.toml"'),
    ],
)
def test_exec_start_quotes_what_systemd_would_reinterpret(arg: str, quoted: str) -> None:
    setup = Setup(
        command=(DEFAULT_EXECUTABLE,), config=PurePosixPath(arg), state_dir=SYSTEM.state_dir
    )
    (exec_start,) = settings(systemd_units(setup)[0].text, "Service")["ExecStart"]
    assert exec_start == f"/usr/local/bin/psabill --config {quoted} sync"


@pytest.mark.parametrize(
    ("state_dir", "name"),
    [("/var/lib/psabill", "psabill"), ("/var/lib/billing/northwind", "billing/northwind")],
)
def test_state_directory_is_relative_to_var_lib(state_dir: str, name: str) -> None:
    assert state_directory_name(PurePosixPath(state_dir)) == name


@pytest.mark.parametrize(
    "state_dir", ["/srv/psabill", "/var/lib", "/home/kim/.local/state/psabill"]
)
def test_a_system_service_refuses_state_outside_var_lib(state_dir: str) -> None:
    with pytest.raises(UsageError, match="/var/lib"):
        state_directory_name(PurePosixPath(state_dir))


def test_environment_references_get_an_environment_file() -> None:
    setup = Setup(
        command=(DEFAULT_EXECUTABLE,),
        config=DEFAULT_CONFIG,
        state_dir=DEFAULT_SYSTEM_STATE,
        env_vars=("CW_CLIENT_ID",),
    )
    svc = settings(systemd_units(setup)[0].text, "Service")
    assert svc["EnvironmentFile"] == ["/etc/psabill/psabill.env"]
    assert "LoadCredential" not in svc
    assert any("cron does not set" in note for note in notes(setup, "cron"))


def test_secret_references_finds_credentials_and_variables_anywhere() -> None:
    raw = {
        "psa": {
            "private_key": "file:/run/credentials/psabill.service/cw_private_key",
            "public_key": "${CW_PUBLIC_KEY}",
            "site": "https://na.myconnectwise.net",
        },
        "sources": [{"token": "file:/run/credentials/psabill.service/sophos"}],
        "smtp": {"password": "file:/etc/psabill/smtp_password"},
        "other": {"password": "file:/run/credentials/other.service/x", "n": 3},
    }
    assert secret_references(raw) == (["cw_private_key", "sophos"], ["CW_PUBLIC_KEY"])


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        (
            Setup(("/root/.local/bin/psabill",), DEFAULT_CONFIG, DEFAULT_SYSTEM_STATE),
            "psabill /root/.local/bin/psabill is in a home directory",
        ),
        (
            Setup((DEFAULT_EXECUTABLE,), PurePosixPath("/tmp/p.toml"), DEFAULT_SYSTEM_STATE),
            "PrivateTmp",
        ),
    ],
)
def test_notes_say_what_the_service_could_not_read(setup: Setup, expected: str) -> None:
    assert any(expected in note for note in notes(setup, "systemd"))


def test_cron_file_runs_hourly_as_psabill_quietly() -> None:
    entry = cron_entry(Setup((DEFAULT_EXECUTABLE,), DEFAULT_CONFIG, DEFAULT_SYSTEM_STATE))
    (line,) = [x for x in entry.text.splitlines() if x and not x.startswith("#") and "=" not in x]
    fields = line.split()
    assert fields[:6] == ["0", "*", "*", "*", "*", "psabill"]
    assert psabill_args(" ".join(fields[6:])) == [
        "--config", "/etc/psabill/psabill.toml", "--state-dir", "/var/lib/psabill", "-q", "sync",
    ]  # fmt: skip
    assert "PATH=/usr/local/bin:/usr/bin:/bin" in entry.text.splitlines()
    assert entry.install_path == "/etc/cron.d/psabill"


def test_cron_quotes_for_the_shell_and_escapes_percent() -> None:
    entry = cron_entry(
        Setup(("/opt/my tools/psabill",), PurePosixPath("/etc/p%b.toml"), DEFAULT_SYSTEM_STATE)
    )
    assert "'/opt/my tools/psabill' --config /etc/p\\%b.toml --state-dir" in entry.text


def test_user_crontab_line_has_no_user_field() -> None:
    setup = Setup(
        ("/usr/bin/python3", "-m", "psabill"),
        PurePosixPath("/home/kim/psabill.toml"),
        PurePosixPath("/home/kim/.local/state/psabill"),
        user=True,
    )
    lines = [x for x in cron_entry(setup).text.splitlines() if x and not x.startswith("#")]
    assert lines == [
        "0 * * * * /usr/bin/python3 -m psabill --config /home/kim/psabill.toml "
        "--state-dir /home/kim/.local/state/psabill -q sync"
    ]


# --- the shipped examples are exactly the generator's output -------------------------------


def test_systemd_examples_are_what_psabill_units_writes() -> None:
    for unit in systemd_units(SYSTEM):
        assert (EXAMPLES / "systemd" / unit.name).read_text(encoding="utf-8") == unit.text


def test_cron_example_is_what_psabill_units_writes() -> None:
    entry = cron_entry(Setup((DEFAULT_EXECUTABLE,), DEFAULT_CONFIG, DEFAULT_SYSTEM_STATE))
    assert (EXAMPLES / "cron.d" / "psabill").read_text(encoding="utf-8") == entry.text


def test_cron_example_line_is_a_real_psabill_command() -> None:
    text = (EXAMPLES / "cron.d" / "psabill").read_text(encoding="utf-8")
    (line,) = [x for x in text.splitlines() if x[:1].isdigit()]
    assert line.split()[5] == "psabill", "cron.d lines name the user to run as"
    assert subcommand_of(psabill_args(" ".join(line.split()[6:]))) == "sync"
    assert text.endswith("\n"), "cron ignores a last line without a newline"


def test_systemd_example_exec_start_is_a_real_psabill_command() -> None:
    text = (EXAMPLES / "systemd" / "psabill.service").read_text(encoding="utf-8")
    (exec_start,) = settings(text, "Service")["ExecStart"]
    assert subcommand_of(psabill_args(exec_start)) == "sync"


def _systemd_analyze(directory: Path) -> str | None:
    """The systemd-analyze binary, if it exists and verifies a trivial unit here."""
    binary = shutil.which("systemd-analyze")
    if binary is None:
        return None
    probe = directory / "probe.service"
    probe.write_text(f"[Service]\nType=oneshot\nExecStart={sys.executable} -V\n")
    try:
        result = subprocess.run(
            [binary, "verify", "--man=no", probe.name],
            cwd=directory,
            capture_output=True,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    finally:
        probe.unlink()
    return binary if result.returncode == 0 else None


def test_systemd_examples_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    binary = _systemd_analyze(tmp_path)
    if binary is None:
        pytest.skip("systemd-analyze is not installed or does not work here")
    # verify wants ExecStart's program to exist: point it at the psabill under test.
    program = shutil.which("psabill", path=str(Path(sys.executable).parent)) or sys.executable
    for name in ("psabill.service", "psabill.timer"):
        text = (EXAMPLES / "systemd" / name).read_text(encoding="utf-8")
        text = text.replace(f"ExecStart={DEFAULT_EXECUTABLE}", f"ExecStart={program}")
        (tmp_path / name).write_text(text, encoding="utf-8")
    result = subprocess.run(
        [binary, "verify", "--man=no", "psabill.service", "psabill.timer"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    # verify exits 0 on unknown keys and only warns: any output about our files is a failure.
    assert result.returncode == 0, result.stderr
    assert "psabill" not in result.stderr + result.stdout, result.stderr


# --- `psabill units` -------------------------------------------------------------------------


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> click.Group:
    monkeypatch.setitem(main.commands, "units", units)
    return main


def _config(tmp_path: Path, private_key: str = '"${CW_PRIVATE_KEY}"') -> Path:
    path = tmp_path / "etc" / "psabill.toml"
    path.parent.mkdir()
    path.write_text(
        f'[account]\nname = "N"\ntimezone = "UTC"\n[psa]\nprivate_key = {private_key}\n',
        encoding="utf-8",
    )
    return path


def _run(cli: click.Group, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env or {}, prog_name="psabill")


def test_units_systemd_uses_this_config_and_credentials(cli: click.Group, tmp_path: Path) -> None:
    config = _config(tmp_path, '"file:/run/credentials/psabill.service/cw_private_key"')
    result = _run(
        cli, "--config", str(config), "units", "systemd", "--executable", "/opt/bin/psabill"
    )
    assert result.exit_code == 0, result.output
    svc = settings(result.stdout.split("[Timer]")[0], "Service")
    assert svc["ExecStart"] == [f"/opt/bin/psabill --config {config} sync"]
    assert svc["LoadCredential"] == [f"cw_private_key:{config.parent}/cw_private_key"]
    assert svc["StateDirectory"] == ["psabill"]
    assert "OnCalendar=hourly" in result.stdout


def test_units_systemd_with_a_relative_config_path_writes_it_absolute(
    cli: click.Group, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _config(tmp_path)
    monkeypatch.chdir(config.parent)
    result = _run(cli, "--config", "psabill.toml", "units", "systemd", "--executable", "psabill")
    assert result.exit_code == 0, result.output
    assert f"ExecStart={tmp_path}/etc/psabill --config {config} sync" in result.stdout


def test_units_systemd_refuses_a_state_dir_outside_var_lib(
    cli: click.Group, tmp_path: Path
) -> None:
    config = _config(tmp_path)
    result = _run(cli, "--config", str(config), "--state-dir", "/srv/x", "units", "systemd")
    assert result.exit_code == 2
    assert "hint: pass --state-dir /var/lib/psabill" in result.output


def test_units_systemd_user_keeps_your_state_dir(cli: click.Group, tmp_path: Path) -> None:
    config = _config(tmp_path)
    env = {"PSABILL_STATE_DIR": str(tmp_path / "state")}
    result = _run(cli, "--config", str(config), "units", "systemd", "--user", env=env)
    assert result.exit_code == 0, result.output
    assert f"--state-dir {tmp_path}/state sync" in result.stdout
    assert "EnvironmentFile=" in result.stdout  # the config reads ${CW_PRIVATE_KEY}


def test_units_cron_json_has_a_schema_and_notes_go_to_stderr(
    cli: click.Group, tmp_path: Path
) -> None:
    config = _config(tmp_path)
    result = _run(cli, "--config", str(config), "units", "cron", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["schema"] == "psabill.units/1"
    (file,) = data["files"]
    assert file["install_path"] == "/etc/cron.d/psabill"
    assert "--state-dir /var/lib/psabill -q sync" in file["text"]
    assert "CW_PRIVATE_KEY" in result.stderr  # cron sets no environment: said, not hidden


def test_units_out_dir_writes_files_and_never_overwrites_without_force(
    cli: click.Group, tmp_path: Path
) -> None:
    config, out = _config(tmp_path), tmp_path / "units"
    argv = ["--config", str(config), "units", "systemd", "--out-dir", str(out)]
    assert _run(cli, *argv).exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == ["psabill.service", "psabill.timer"]
    (out / "psabill.timer").write_text("mine")
    again = _run(cli, *argv)
    assert again.exit_code == 2
    assert (out / "psabill.timer").read_text() == "mine"
    assert _run(cli, *argv, "--force").exit_code == 0
    assert "OnCalendar=hourly" in (out / "psabill.timer").read_text()


def test_units_without_a_config_file_is_a_config_error(cli: click.Group, tmp_path: Path) -> None:
    result = _run(cli, "--config", str(tmp_path / "none.toml"), "units", "cron")
    assert result.exit_code == 78
    assert "config init" in result.output


def test_units_help_has_examples() -> None:
    assert units.help
    assert "Examples:" in units.help


def test_psabill_command_prefers_the_running_script(tmp_path: Path) -> None:
    script = tmp_path / "bin" / "psabill"
    script.parent.mkdir()
    script.write_text("#!/bin/sh\n")
    assert psabill_command(str(script), which="/usr/bin/psabill") == (PurePosixPath(script),)
    assert psabill_command("/x/pytest", which="/usr/bin/psabill") == (
        PurePosixPath("/usr/bin/psabill"),
    )
    assert psabill_command("/x/pytest", which="", python="/usr/bin/python3") == (
        PurePosixPath("/usr/bin/python3"),
        "-m",
        "psabill",
    )


def test_unit_parser_keeps_repeated_keys() -> None:
    entries = unit_entries("[Service]\nA=1\n# c\nA=2\n[Install]\nB=\n")
    assert entries == [("Service", "A", "1"), ("Service", "A", "2"), ("Install", "B", "")]
