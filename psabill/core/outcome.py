"""How a run ended, from the final status of its lines. Pure.

A line's final status: ``confirmed`` (the PSA holds the planned quantity, read
back), ``failed`` (it does not, or the line could not be planned), ``skipped``
(deliberately not written: kept, paused, held by a guard).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # the ledger reads this vocabulary; it need not build the planner
    from psabill.core.plan import PlanLine

FinalStatus = Literal["confirmed", "failed", "skipped"]
"""Where a line ends: the subset of the ledger's line statuses a finished run leaves."""
RunOutcome = Literal["success", "partial", "failure", "guard"]
"""How a run that applied a plan ended, from its lines."""
Trigger = Literal["scheduled", "manual", "approval"]
"""What started a run: the schedule, an admin by hand, or an admin approving a plan."""

# Plan actions that are final without a write, and their status.
STATUS_WITHOUT_WRITE: dict[str, FinalStatus] = {
    "unchanged": "confirmed",
    "keep": "skipped",
    # A paused product is not billed this period: the period must stay open for it.
    "paused": "failed",
    "held": "skipped",
    "error": "failed",
    "ambiguous": "failed",
    "stopped": "failed",
}


@dataclass(frozen=True)
class LineResult:
    line: PlanLine
    status: FinalStatus
    error: str | None = None
    addition_id: int | None = None


def outcome_of(results: Sequence[LineResult]) -> RunOutcome:
    """failure: something failed and no line is in place (written and confirmed, or already
    correct); guard: a customer was held; partial: some lines failed while others are in
    place; success otherwise (including "nothing to do")."""
    failed = any(r.status == "failed" for r in results)
    confirmed = any(r.status == "confirmed" for r in results)
    if failed and not confirmed:
        return "failure"
    if any(r.line.action == "held" for r in results):
        return "guard"
    return "partial" if failed else "success"


def customer_complete(results: Iterable[LineResult]) -> bool:
    """A customer's period is done when nothing failed and no guard held it back."""
    return all(r.status != "failed" and r.line.action != "held" for r in results)
