"""Shared fixtures, and the "reliability:" line every test run prints.

The reliability tests count their runs, faults by kind and in-run kills by stage
(tests/reliability/support.py); each process adds its figures to
``.reliability-figures.json`` when its session ends, and the controller prints the
merged line once every worker is done. These hooks live here, not in
tests/reliability/conftest.py, because an xdist controller loads only this conftest.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.reliability.support import FIGURES, STATS_FILE

_STARTED = time.time()

# Hypothesis' per-example deadline (200 ms) is a timed assertion: on a shared, loaded machine
# it fails tests whose subject is correctness, not speed. Speed is the benchmarks' job.
settings.register_profile("psabill", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("psabill")

MINIMAL = """\
[account]
name = "Northwind MSP"
timezone = "America/New_York"

[psa]
site = "http://127.0.0.1:8917"
company = "psabill_demo"
public_key = "${CW_PUBLIC_KEY}"
private_key = "${CW_PRIVATE_KEY}"
client_id = "${CW_CLIENT_ID}"
"""

ENV = {
    "CW_PUBLIC_KEY": "sandbox-public",
    "CW_PRIVATE_KEY": "sandbox-private",
    "CW_CLIENT_ID": "00000000-0000-4000-8000-000000000000",
    "SMTP_PASSWORD": "smtp-pass-for-tests",
}


@pytest.fixture
def write_config(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write a config file (mode 0600) and return its path."""

    def write(text: str, name: str = "psabill.toml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        path.chmod(0o600)
        return path

    return write


def pytest_sessionfinish(session: pytest.Session) -> None:
    if FIGURES.runs or FIGURES.crashes:
        FIGURES.save()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    path = STATS_FILE.resolve()
    if not path.exists() or path.stat().st_mtime < _STARTED:
        return  # no reliability test ran in this session
    data = json.loads(path.read_text(encoding="utf-8"))
    kills = ", ".join(f"{stage} {n}" for stage, n in sorted(data.get("kills", {}).items()))
    faults = ", ".join(f"{kind} {n}" for kind, n in sorted(data.get("counts", {}).items()))
    terminalreporter.write_line(
        f"reliability: {data['runs']} sync runs, {data['faults']} faults injected"
        f" ({faults or 'none'}), {data['crashes']} in-run SIGKILLs ({kills or 'none'}),"
        f" {data['duplicates']} duplicates found"
    )
