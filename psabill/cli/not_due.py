"""A scheduled ``psabill sync`` that finds nothing due: what it prints, and its fast path."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from psabill.cli.app import App, warn
from psabill.core.due import TargetDue
from psabill.errors import ExitCode


def echo_not_due(app: App, due: Sequence[TargetDue]) -> None:
    """Quiet by default so cron mails nothing; -v says why per customer, and people at a
    terminal get one line."""
    if app.verbosity > 0:
        for item in due:
            reason = getattr(item.decision, "reason", "")
            click.echo(f"not due: {item.target.label} - {reason}")
    if app.verbosity > 0 or (app.verbosity == 0 and sys.stdout.isatty()):
        click.echo("nothing due (see `psabill schedule`; `psabill sync --now` runs anyway)")


def finish_heartbeat(app: App) -> None:
    """End a scheduled ``sync`` here (exit 0) when it has nothing to do and its config is
    unchanged since a full validation (:mod:`psabill.app.heartbeat`); return when the whole
    runner must run."""
    validated = app.validated()
    if validated is None:
        return
    from psabill.app.heartbeat import heartbeat

    beat = heartbeat(validated, app.state_dir(), app.now, app.env)
    if beat is None:
        return
    for warning in validated.warnings:  # as loading the config would have said
        warn(warning)
    for problem in beat.ping_problems:
        warn(problem)
    echo_not_due(app, beat.due)
    sys.exit(int(ExitCode.OK))
