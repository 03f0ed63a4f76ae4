"""Print (and keep) what the reliability tests did: runs, faults injected, crashes, duplicates."""

from __future__ import annotations

import pytest

from tests.reliability.support import FIGURES


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if FIGURES.runs:
        FIGURES.save()
        terminalreporter.write_line(
            f"reliability: {FIGURES.runs} sync runs, {FIGURES.faults} faults injected, "
            f"{FIGURES.crashes} runs killed with SIGKILL, {FIGURES.duplicates} duplicates found"
        )
