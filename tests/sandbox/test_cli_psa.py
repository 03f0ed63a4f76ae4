"""``psabill sandbox serve --psa autotask|halopsa``: a real subprocess, its [psa] section loads
as a config and reaches the sandbox through psabill's own client."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from psabill.cli.sandbox_cmd import sandbox
from psabill.config.loader import load_config
from psabill.psa import open_client
from psabill.sandbox import Store, seed_demo
from psabill.sandbox.demo import DemoPsa, prepare
from psabill.sandbox.kinds import identifiers

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def _start(processes: list[subprocess.Popen[str]], *args: str) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "psabill.cli.sandbox_cmd", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        cwd=ROOT,
    )
    processes.append(process)
    return process


def _printed_section(process: subprocess.Popen[str]) -> dict[str, Any]:
    """The ``[psa]`` table printed on stdout (it ends with its ``rate_limit`` line)."""
    assert process.stdout is not None
    lines = [process.stdout.readline()]
    while not lines[-1].startswith("rate_limit") and lines[-1]:
        lines.append(process.stdout.readline())
    assert lines[0] == "[psa]\n"
    section: dict[str, Any] = tomllib.loads("".join(lines))["psa"]
    return section


async def _company_names(loaded_psa: Any) -> list[str]:
    async with open_client(loaded_psa) as client:
        return [company.name for company in await client.companies(["250", "251"])]


@pytest.mark.parametrize("kind", ["autotask", "halopsa"])
def test_print_config_loads_as_a_config_and_reaches_the_sandbox(
    kind: str, tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    state_out = tmp_path / "state.json"
    process = _start(processes, "--psa", kind, "--print-config", "--state-out", str(state_out))
    section = _printed_section(process)
    store = Store()
    seed_demo(store)
    setup = prepare(directory=tmp_path / "demo", psa=DemoPsa(section, identifiers(kind, store)))

    loaded = load_config(setup.config, {})
    names = asyncio.run(_company_names(loaded.config.psa))
    process.send_signal(signal.SIGTERM)

    assert (section["kind"], section["rate_limit"]) == (kind, "none")
    assert loaded.config.psa.kind == kind
    assert sorted(names) == ["Acme Dental Group", "Müller & Söhne GmbH"]
    assert process.wait(timeout=10) == 0
    assert json.loads(state_out.read_text())  # the flavor's state, written on exit
    assert process.stderr is not None
    banner = process.stderr.read()
    assert "listening on http://127.0.0.1:" in banner
    assert "/__sandbox__/state" in banner


def test_member_is_refused_plainly_with_another_psa() -> None:
    result = CliRunner().invoke(sandbox, ["serve", "--psa", "autotask", "--member", "readonly"])

    assert result.exit_code == 2
    assert "--member picks a ConnectWise API member" in result.output


def test_help_names_every_psa() -> None:
    result = CliRunner().invoke(sandbox, ["serve", "--help"])

    assert result.exit_code == 0
    assert "connectwise|autotask|halopsa" in result.output
    assert "--psa autotask --print-config" in result.output
