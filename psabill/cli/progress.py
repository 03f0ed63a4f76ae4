"""Progress for a run: a live bar at a terminal, plain lines elsewhere (cron mail, CI logs).

A run spends its time in two places: reading the PSA (one additions read per agreement, after
the companies and agreements) and writing the changed lines. At a terminal a bar on stderr
moves through both (stdout stays the report's, ``--json`` included). Elsewhere the output is
read later, so it stays short: how many changes are applied and each failure as it comes, and
with ``-v`` a line every :data:`EVERY` seconds saying how far the reads or writes are.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from psabill.app.apply import NullObserver, Observer
from psabill.cli.app import current_app, echo_err
from psabill.cli.words import plural
from psabill.core.outcome import LineResult

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

EVERY = 5.0
"""Seconds between two progress lines off a terminal (``-v``)."""

Monotonic = Callable[[], float]


class BarObserver:
    """A transient rich bar on stderr: "reading the PSA" per agreement, then "writing" per line."""

    def __init__(self) -> None:
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def reading(self, agreements: int) -> None:
        self._begin("reading the PSA", agreements)

    def read_done(self) -> None:
        self._advance()

    def reads_finished(self) -> None:
        self._end()

    def started(self, writes: int) -> None:
        self._begin("writing", writes)

    def write_done(self) -> None:
        self._advance()

    def line_done(self, result: LineResult) -> None:
        pass

    def finished(self) -> None:
        self._end()

    def _begin(self, what: str, total: int) -> None:
        self._end()
        if not total:
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._progress.start()
        self._task = self._progress.add_task(what, total=total)

    def _advance(self) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task)

    def _end(self) -> None:
        if self._progress is not None:
            self._progress.stop()
        self._progress, self._task = None, None


class LineObserver:
    """Plain lines for logs read later: the changes being applied and failures as they come;
    with ``verbose``, where the reads and writes are, at most every :data:`EVERY` seconds."""

    def __init__(self, *, verbose: bool = False, monotonic: Monotonic = time.monotonic) -> None:
        self.verbose = verbose
        self._clock = monotonic
        self._what = ""
        self._total = 0
        self._done = 0
        self._last = 0.0

    def reading(self, agreements: int) -> None:
        self._begin("read", "agreement", agreements)
        if self.verbose and agreements:
            echo_err(f"reading the PSA: additions of {plural(agreements, 'agreement')}")

    def read_done(self) -> None:
        self._step()

    def reads_finished(self) -> None:
        self._total = 0

    def started(self, writes: int) -> None:
        self._begin("wrote", "line", writes)
        if writes:
            click.echo(f"applying {plural(writes, 'change')}")

    def write_done(self) -> None:
        self._step()

    def line_done(self, result: LineResult) -> None:
        if result.status == "failed":
            line = result.line
            click.echo(f"failed: {line.customer_label} {line.sku} {line.action}: {result.error}")

    def finished(self) -> None:
        self._total = 0

    def _begin(self, verb: str, noun: str, total: int) -> None:
        self._what = f"{verb} {{done}} of {plural(total, noun)}"
        self._total, self._done, self._last = total, 0, self._clock()

    def _step(self) -> None:
        self._done += 1
        if not self.verbose or not self._total or self._done >= self._total:
            return
        now = self._clock()
        if now - self._last >= EVERY:
            self._last = now
            echo_err(self._what.format(done=f"{self._done:,}"))


def observer_for(enabled: bool, *, monotonic: Monotonic = time.monotonic) -> Observer:
    """The progress display for this invocation: none when disabled (``-q``, ``--json``), a
    bar when stderr is a terminal, else plain lines (with ``-v``, a line every few seconds)."""
    if not enabled:
        return NullObserver()
    if sys.stderr.isatty():
        return BarObserver()
    app = current_app()
    return LineObserver(verbose=app is not None and app.verbosity > 0, monotonic=monotonic)
