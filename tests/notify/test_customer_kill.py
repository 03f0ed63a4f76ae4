"""A run SIGKILLed around its end neither loses a customer summary nor sends one twice.

The run goes on in a child process (:mod:`tests.reliability.stage_child`) against the demo
sandbox and is killed exactly where its stage hook blocks: at ``confirmed`` (every line in
place, the run's end not yet recorded) or at ``summary`` (the run's end, its summaries and
the record of Müller's customer summary stored in one transaction, nothing delivered).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from psabill.app.runner import Runner
from psabill.config.loader import load_config
from psabill.core.report import Stage, SyncRequest
from psabill.sandbox import Sandbox, Store, seed_demo
from psabill.sandbox.demo import DemoSetup, prepare
from tests.reliability.killing import read_line
from tests.reliability.mail_log import LoggedFolder, deliveries

ROOT = Path(__file__).resolve().parents[2]
DUE = datetime(2026, 12, 1, 11, 30, tzinfo=UTC)  # Müller's two accounts are both due


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[DemoSetup]:
    store = Store()
    seed_demo(store)
    with Sandbox(store) as sandbox:
        yield prepare(sandbox.site_url, tmp_path / "demo")


def kill_at(demo: DemoSetup, stage: Stage) -> None:
    argv = [sys.executable, "-m", "tests.reliability.stage_child", str(demo.config)]
    argv += [str(demo.state_dir), str(log_of(demo)), DUE.isoformat(), stage, "1", "kill"]
    child = subprocess.Popen(
        argv,
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    try:
        assert read_line(child, 60.0) == f"reached {stage}"
        child.send_signal(signal.SIGKILL)
        _out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL, err  # the kill landed, at that stage


def run(demo: DemoSetup, now: datetime, trigger: str) -> str:
    loaded = load_config(demo.config, os.environ)
    folder = demo.mail_dir
    runner = Runner(
        loaded,
        demo.state_dir,
        os.environ,
        clock=lambda: now,
        mail=lambda: LoggedFolder(folder, log_of(demo)),
    )
    result = runner.run(SyncRequest(trigger=trigger))  # type: ignore[arg-type]
    return result.report.outcome


def log_of(demo: DemoSetup) -> Path:
    return demo.directory / "deliveries.log"


def customer_deliveries(demo: DemoSetup) -> list[str]:
    """Subjects of the customer summaries delivered, once per delivery."""
    found = []
    for name, times in deliveries(log_of(demo)).items():
        raw = (demo.mail_dir / f"{name}.eml").read_bytes()
        message = message_from_bytes(raw, policy=policy.default)
        if message["X-Psabill-Kind"] == "customer":
            found += [str(message["Subject"])] * times
    return found


def ledger(demo: DemoSetup, query: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(demo.state_dir / "ledger.sqlite3") as conn:
        return [tuple(row) for row in conn.execute(query)]


SUBJECT = "Northwind MSP: billing summary for Müller & Söhne GmbH, 2026-12"


def test_killed_before_its_end_the_next_run_sends_the_summary_once(demo: DemoSetup) -> None:
    kill_at(demo, "confirmed")
    assert ledger(demo, "SELECT outcome FROM runs") == [("running",)]
    assert ledger(demo, "SELECT COUNT(*) FROM customer_mail") == [(0,)]
    assert ledger(demo, "SELECT COUNT(*) FROM outbox") == [(0,)]

    # The period was not completed, so the next scheduled run is due again: the lines are
    # in place already (nothing changes), and the period's summary is still owed.
    assert run(demo, DUE + timedelta(minutes=5), "scheduled") == "success"
    assert run(demo, DUE + timedelta(days=1), "manual") == "success"
    assert customer_deliveries(demo) == [SUBJECT]
    assert ledger(demo, "SELECT period, correction FROM customer_mail") == [("2026-12", 0)]


def test_killed_after_its_end_the_queued_summary_goes_out_once(demo: DemoSetup) -> None:
    kill_at(demo, "summary")
    assert ledger(demo, "SELECT outcome FROM runs") == [("success",)]
    assert ledger(demo, "SELECT period, correction FROM customer_mail") == [("2026-12", 0)]
    assert customer_deliveries(demo) == []  # queued with the run's end, not yet delivered

    assert run(demo, DUE + timedelta(days=1), "manual") == "success"  # nothing changed
    assert customer_deliveries(demo) == [SUBJECT]
    assert ledger(demo, "SELECT COUNT(*) FROM customer_mail") == [(1,)]
