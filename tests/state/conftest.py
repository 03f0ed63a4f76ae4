"""Fixtures for the state tests: a fresh ledger and reaped child processes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from psabill.state import Ledger, ledger_path

from .support import Child


@pytest.fixture
def ledger_file(tmp_path: Path) -> Path:
    return ledger_path(tmp_path / "state")


@pytest.fixture
def ledger(ledger_file: Path) -> Iterator[Ledger]:
    with Ledger.open(ledger_file) as opened:
        yield opened


@pytest.fixture
def spawn() -> Iterator[Callable[..., Child]]:
    """Start ``python -c script args...``; every child is reaped when the test ends."""
    children: list[Child] = []

    def start(script: str, *args: str) -> Child:
        child = Child(script, *args)
        children.append(child)
        return child

    yield start
    for child in children:
        child.reap()
