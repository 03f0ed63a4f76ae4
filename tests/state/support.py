"""Helpers for the state tests: fixed instants and real child processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta

import pytest

from psabill.state import NewLine

T0 = datetime(2026, 11, 1, 6, 0, 0, tzinfo=UTC)
"""A billing-slot-like instant; tests derive others with :func:`at`."""

CHILD_TIMEOUT = 60.0
"""Seconds before a silent child is killed: only there to stop a hang, never asserted on."""


def at(minutes: int = 0) -> datetime:
    return T0 + timedelta(minutes=minutes)


def line(customer: str = "acme", product: str = "M365-BP", **fields: object) -> NewLine:
    return NewLine(customer=customer, product=product, action="update", **fields)  # type: ignore[arg-type]


class Child:
    """A real Python child process that talks to the test over stdin/stdout lines."""

    def __init__(self, script: str, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", script, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_for(self, expected: str) -> None:
        """Block until the child prints ``expected`` (it is killed if that takes forever)."""
        assert self.proc.stdout is not None
        watchdog = threading.Timer(CHILD_TIMEOUT, self.proc.kill)
        watchdog.start()
        try:
            line = self.proc.stdout.readline().strip()
        finally:
            watchdog.cancel()
        if line != expected:
            self.proc.kill()
            _, err = self.proc.communicate()
            pytest.fail(f"child printed {line!r} instead of {expected!r}; stderr:\n{err}")

    def finish(self) -> int:
        """Let the child go on (a line on stdin) and wait for it to exit; its exit status."""
        assert self.proc.stdin is not None
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()
        self.proc.communicate(timeout=CHILD_TIMEOUT)
        return self.proc.returncode

    def kill(self) -> None:
        """SIGKILL: no cleanup, no atexit, no finally blocks run in the child."""
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.communicate(timeout=CHILD_TIMEOUT)
        assert self.proc.returncode == -signal.SIGKILL

    def reap(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate()
