"""`psabill config init | validate | show` through the real click entry point."""

from __future__ import annotations

import json
import os
from pathlib import Path

from click.testing import CliRunner

from psabill.cli import main
from psabill.config.sample import sample_text
from tests.conftest import ENV, MINIMAL


def run(*args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), env={**ENV, **(env or {})})


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert result.output.startswith("psabill, version ")


def test_init_writes_0600_and_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "psabill.toml"
    result = run("config", "init", str(target))
    assert result.exit_code == 0, result.output
    assert os.stat(target).st_mode & 0o777 == 0o600
    target.write_text("# my edits\n")
    again = run("config", "init", str(target))
    assert again.exit_code == 2
    assert "already exists" in again.output
    assert "--force" in again.output
    assert target.read_text() == "# my edits\n"
    forced = run("config", "init", "--force", str(target))
    assert forced.exit_code == 0
    assert "[account]" in target.read_text()


def test_init_writes_the_sample_rendered_from_the_schema(tmp_path: Path) -> None:
    target = tmp_path / "psabill.toml"
    assert run("config", "init", str(target)).exit_code == 0
    assert target.read_text(encoding="utf-8") == sample_text()
    validated = run("--config", str(target), "config", "validate")
    assert validated.exit_code == 0, validated.output


def test_init_writes_the_sample_of_the_psa_asked_for(tmp_path: Path) -> None:
    env = {"AUTOTASK_INTEGRATION_CODE": "code", "AUTOTASK_SECRET": "secret"}
    env |= {"HALO_CLIENT_ID": "id", "HALO_CLIENT_SECRET": "secret"}
    for psa in ("autotask", "halopsa"):
        target = tmp_path / f"{psa}.toml"
        assert run("config", "init", "--psa", psa, str(target)).exit_code == 0
        assert target.read_text(encoding="utf-8") == sample_text(psa)
        assert f'kind = "{psa}"' in target.read_text(encoding="utf-8")
        validated = run("--config", str(target), "config", "validate", env=env)
        assert validated.exit_code == 0, validated.output
    refused = run("config", "init", "--psa", "odoo", str(tmp_path / "odoo.toml"))
    assert refused.exit_code == 2
    assert not (tmp_path / "odoo.toml").exists()


def test_validate_ok_and_json(write_config) -> None:
    path = write_config(MINIMAL)
    result = run("--config", str(path), "config", "validate")
    assert result.exit_code == 0, result.output
    assert "valid" in result.output
    assert "monthly on day 1 at 06:00" in result.output
    as_json = run("--config", str(path), "config", "validate", "--json")
    assert json.loads(as_json.output)["valid"] is True


def test_validate_lists_every_problem_and_exits_78(write_config) -> None:
    path = write_config(MINIMAL + '\n[schedule]\nday = 0\nhour = "06:30"\n')
    result = run("--config", str(path), "config", "validate")
    assert result.exit_code == 78
    lines = result.output.splitlines()
    assert lines[0].startswith(f"{path}:13: schedule.day: ")
    assert lines[1].startswith(f"{path}:14: schedule.hour: hour must be a whole hour")
    assert lines[2] == f"error: {path}: 2 problems in the configuration"
    assert "Traceback" not in result.output


def test_validate_syntax_error_exits_78(write_config) -> None:
    path = write_config("[account\n")
    result = run("--config", str(path), "config", "validate")
    assert result.exit_code == 78
    assert f"{path}:1: TOML syntax:" in result.output


def test_config_path_from_environment(write_config) -> None:
    path = write_config(MINIMAL)
    result = run("config", "validate", env={"PSABILL_CONFIG": str(path)})
    assert result.exit_code == 0, result.output


def test_missing_config_is_a_config_error(tmp_path: Path) -> None:
    result = run("--config", str(tmp_path / "none.toml"), "config", "validate")
    assert result.exit_code == 78
    assert "config file not found" in result.output
    assert "psabill config init" in result.output


def test_show_masks_every_secret(write_config) -> None:
    path = write_config(MINIMAL + '\n[smtp]\npassword = "${SMTP_PASSWORD}"\n')
    for args in (("config", "show"), ("config", "show", "--json")):
        result = run("--config", str(path), *args)
        assert result.exit_code == 0, result.output
        for secret in ("sandbox-public", "sandbox-private", "smtp-pass-for-tests"):
            assert secret not in result.output
        assert "********" in result.output
    data = json.loads(run("--config", str(path), "config", "show", "--json").output)
    assert data["psa"]["private_key"] == "********"
    assert data["schedule"]["catch_up"] == "3d"
    assert data["account"]["timezone"] == "America/New_York"


def test_show_masks_the_ping_url_path(write_config) -> None:
    extra = '\n[monitoring]\nping_url = "https://hc-ping.example/5ecret-uuid"\n'
    result = run("--config", str(write_config(MINIMAL + extra)), "config", "show")
    assert result.exit_code == 0, result.output
    assert "5ecret-uuid" not in result.output
    assert "https://hc-ping.example/********" in result.output


def test_show_masks_query_strings_of_usage_urls(write_config) -> None:
    extra = (
        '\n[[sources]]\nname = "v"\nkind = "http"\n'
        'url = "https://usage.example/api?key=5ecret-key"\n'
    )
    result = run("--config", str(write_config(MINIMAL + extra)), "config", "show")
    assert result.exit_code == 0, result.output
    assert "5ecret-key" not in result.output
    assert "https://usage.example/api?********" in result.output


def test_validate_json_reports_an_invalid_config_too(write_config) -> None:
    path = write_config(MINIMAL + "\n[schedule]\nday = 0\n")
    result = run("--config", str(path), "config", "validate", "--json")
    assert result.exit_code == 78
    data = json.loads(result.stdout)
    assert data["valid"] is False
    assert data["problems"][0].startswith(f"{path}:13: schedule.day: ")
