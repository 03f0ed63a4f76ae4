"""The hourly heartbeat: a scheduled ``psabill sync`` that finds nothing to do, done cheaply.

Most hourly invocations find no customer due. :class:`~psabill.app.runner.Runner` would then
ping start, decide nothing is due (reading the ledger, without the lock), note no missed
period, send no mail, find no stuck mail and ping success. :func:`heartbeat` does exactly that
from a config unchanged since its last full validation
(:class:`~psabill.config.validated.Validated`), without the schema models, the PSA client or
the mail stack. Whenever the run has anything else to do or say - a customer due, a missed
period to note and report, a summary waiting in the outbox - it answers None before
anything is sent or written, and the caller runs the whole :class:`Runner` as always.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from psabill.app.due import last_completed_in
from psabill.core.due import TargetDue, evaluate_targets, missed_periods
from psabill.errors import PsabillError
from psabill.state import existing_ledger

if TYPE_CHECKING:
    from psabill.app.monitoring import Pinger
    from psabill.config.validated import Validated


@dataclass(frozen=True)
class Heartbeat:
    """A not-due run that is over: each target's decision, and what monitoring said."""

    due: list[TargetDue]
    ping_problems: tuple[str, ...] = ()


def quiet(validated: Validated, state_dir: Path, now: datetime) -> list[TargetDue] | None:
    """Each target's not-due decision, or None when a scheduled run has something to do:
    a target due, a missed period (the runner notes and reports it), mail in the outbox."""
    with existing_ledger(state_dir) as ledger:
        last = last_completed_in(ledger) if ledger is not None else (lambda key: None)
        due = evaluate_targets(validated, last, now)
        if any(item.due for item in due) or missed_periods(due):
            return None
        if ledger is not None and ledger.outbox_pending():
            return None
    return due


def heartbeat(
    validated: Validated,
    state_dir: Path,
    clock: Callable[[], datetime],
    env: Mapping[str, str],
    pinger: Pinger | None = None,
) -> Heartbeat | None:
    """The not-due run, start and success pings included; None: run the whole runner (also
    when the ledger cannot be read: the runner reports that, and pings that it failed)."""
    try:
        due = quiet(validated, state_dir, clock())
    except PsabillError:
        return None
    if due is None:
        return None
    if not validated.pings:
        return Heartbeat(due)
    from psabill.app.monitoring import ping

    monitoring = validated.monitoring(env)
    if monitoring is None:
        return None
    send = pinger or ping
    problems = (send(monitoring, "start"), send(monitoring, "success"))
    return Heartbeat(due, tuple(p for p in problems if p))
