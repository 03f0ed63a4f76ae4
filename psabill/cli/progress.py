"""Progress for a run: a rich bar on a terminal, plain lines elsewhere (cron mail, CI logs)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from psabill.app.apply import NullObserver, Observer
from psabill.core.outcome import LineResult

if TYPE_CHECKING:
    from rich.progress import TaskID


class BarObserver:
    def __init__(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self._progress = Progress(
            TextColumn("syncing"), BarColumn(), MofNCompleteColumn(), transient=True
        )
        self._task: TaskID | None = None

    def started(self, writes: int) -> None:
        if writes:
            self._progress.start()
            self._task = self._progress.add_task("sync", total=writes)

    def line_done(self, result: LineResult) -> None:
        if self._task is not None:
            self._progress.advance(self._task)

    def finished(self) -> None:
        if self._task is not None:
            self._progress.stop()


class LineObserver:
    """Plain lines for logs read later: how much is being written, and failures as they come."""

    def started(self, writes: int) -> None:
        if writes:
            click.echo(f"applying {writes} changes")

    def line_done(self, result: LineResult) -> None:
        if result.status == "failed":
            line = result.line
            click.echo(f"failed: {line.customer_label} {line.sku} {line.action}: {result.error}")

    def finished(self) -> None:
        pass


def observer_for(enabled: bool) -> Observer:
    if not enabled:
        return NullObserver()
    return BarObserver() if sys.stdout.isatty() else LineObserver()
