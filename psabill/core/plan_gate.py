"""The exit code of ``psabill plan``: what ``sync`` would exit with, decided before any write. Pure.

A plan is a prediction, so it is read for what its lines say: a customer a guard would hold
means ``sync`` would exit 4; a line that would fail (error, ambiguous, paused) or stop (its
source failed) means 3. ``sync`` says 1 instead of 3 when no line at all would end up in
place; ``plan`` keeps 1 for "the plan could not be made" (PSA unreachable, bad input), so a
CI job can tell a broken pipeline from a plan that needs a look.
"""

from __future__ import annotations

from psabill.core.plan import PROBLEMS, Plan
from psabill.errors import ExitCode

FAILING = PROBLEMS - {"held"}
"""Actions a run records as failed (see :data:`psabill.core.outcome.STATUS_WITHOUT_WRITE`)."""


def plan_exit_code(plan: Plan | None) -> ExitCode:
    """4 when a guard would hold a customer, 3 when a line would fail or stop, else 0."""
    if plan is None:
        return ExitCode.OK
    actions = {line.action for line in plan.lines}
    if "held" in actions:
        return ExitCode.GUARD
    if actions & FAILING:
        return ExitCode.PARTIAL
    return ExitCode.OK
