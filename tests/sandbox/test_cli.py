"""``psabill sandbox serve``: help, option checks, and a real subprocess end to end."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from psabill.cli.sandbox_cmd import sandbox
from tests.sandbox.support import make_client

ROOT = Path(__file__).resolve().parents[2]


def test_every_command_has_help_with_an_example() -> None:
    runner = CliRunner()
    group = runner.invoke(sandbox, ["--help"])
    serve = runner.invoke(sandbox, ["serve", "--help"])

    assert group.exit_code == serve.exit_code == 0
    assert "serve" in group.output
    assert "Example:" in serve.output
    assert "--print-config" in serve.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--host", "0.0.0.0"], "--allow-remote"),  # noqa: S104 - refused, never bound
        (["--host", "192.168.1.10"], "--allow-remote"),
        (["--seed", "huge"], "unknown seed"),
        (["--seed", "large:ten:2"], "large:N:P"),
    ],
)
def test_serve_refuses_bad_options_before_listening(args: list[str], message: str) -> None:
    result = CliRunner().invoke(sandbox, ["serve", *args])

    assert result.exit_code == 2
    assert message in result.output


def test_serve_refuses_a_bad_fault_file(tmp_path: Path) -> None:
    faults = tmp_path / "faults.json"
    faults.write_text('{"rules": [{"kind": "explode"}]}')

    result = CliRunner().invoke(sandbox, ["serve", "--faults", str(faults)])

    assert result.exit_code == 2
    assert "unknown fault kind" in result.output


def _start(*args: str) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen(
        [sys.executable, "-m", "psabill.cli.sandbox_cmd", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def _get_companies(config: dict[str, Any]) -> httpx.Response:
    """The companies list, fetched the way a client configured with ``config`` would."""
    with make_client(base_url=config["site"]) as http:
        info = http.get("/login/companyinfo/psabill_demo").json()
        auth = (f"{config['company']}+{config['public_key']}", config["private_key"])
        return http.get(
            f"/{info['Codebase']}apis/3.0/company/companies",
            auth=auth,
            headers={"clientId": config["client_id"]},
        )


def test_serve_prints_config_serves_and_exits_cleanly_on_sigterm(
    tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    state_out = tmp_path / "state.json"
    process = _start("--print-config", "--state-out", str(state_out))
    processes.append(process)
    assert process.stdout is not None
    lines = [process.stdout.readline() for _ in range(7)]
    config = tomllib.loads("".join(lines))["psa"]

    assert lines[0] == "[psa]\n"
    assert config["kind"] == "connectwise"
    assert config["site"].startswith("http://127.0.0.1:")
    assert (config["company"], config["public_key"], config["private_key"]) == (
        "psabill_demo",
        "sandbox-public",
        "sandbox-private",
    )
    companies = _get_companies(config)
    assert companies.status_code == 200
    assert len(companies.json()) == 6

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 0
    assert json.loads(state_out.read_text())["format"] == "psabill-sandbox/1"
    assert process.stderr is not None
    assert "client id:" in process.stderr.read()


def test_serve_banner_and_large_seed_then_ctrl_c(processes: list[subprocess.Popen[str]]) -> None:
    process = _start("--seed", "large:3:2")
    processes.append(process)
    assert process.stdout is not None
    banner = process.stdout.readline()
    site = banner.rsplit(" ", 1)[-1].strip()
    lines = [process.stdout.readline() for _ in range(5)]

    assert banner.startswith("psabill sandbox (fake ConnectWise Manage) listening on http://")
    assert lines[0].split()[-1] == site + "/v4_6_release/apis/3.0"
    credentials: dict[str, str] = {}
    for line in lines[1:]:
        key, value = line.split(":", 1)
        credentials[key.strip()] = value.strip()
    auth = (f"{credentials['company']}+{credentials['public key']}", credentials["private key"])
    with make_client(base_url=site + "/v4_6_release/apis/3.0") as http:
        count = http.get(
            "/company/companies/count", auth=auth, headers={"clientId": credentials["client id"]}
        )
    assert count.json() == {"count": 3}

    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=10) == 0
