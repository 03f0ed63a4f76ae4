"""Approval before push: plans awaiting approval in the ledger, and who may approve them.

With ``[approval] required = true`` a scheduled run stops at the plan: it is
stored in the run's summary (outcome ``planned``) and nothing reaches the PSA.
``psabill approve RUN_ID --as EMAIL`` applies exactly that plan in a new run
(trigger ``approval``, ``acting_admin`` = EMAIL, summary ``approves`` = RUN_ID),
refusing if the PSA changed since (see :func:`psabill.app.plans.check_fingerprint`).
A plan is approved at most once, and a newer plan for the same customer and
period supersedes an older one. The ledger is the record of who approved what.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psabill.config.models import BillingAdmin, Config
from psabill.core.plan import Plan
from psabill.core.planfile import plan_from_data, plan_to_data
from psabill.errors import UsageError
from psabill.state import Ledger, RunRecord
from psabill.state.db import decode_time, encode_time

PLAN = "plan"
SLOTS = "slots"
APPROVES = "approves"
_EFFECTIVE = ("success", "partial", "guard")


@dataclass(frozen=True)
class PlannedSlot:
    """A billing period the plan is for: completed for the customer once its lines succeed."""

    customer: str
    period: str
    key: str
    at: datetime


@dataclass(frozen=True)
class PendingPlan:
    run_id: int
    plan: Plan
    scope: tuple[str, ...]
    slots: tuple[PlannedSlot, ...]

    @property
    def slot_key(self) -> str | None:
        return ",".join(sorted({s.key for s in self.slots})) or None

    @property
    def period(self) -> str | None:
        return ",".join(sorted({s.period for s in self.slots})) or None


def require_admin(config: Config, email: str | None, *, pay: bool = False) -> BillingAdmin:
    """The billing admin ``email`` with view (and ``pay``) rights; UsageError (exit 2) if not.

    psabill records who acted; it does not authenticate them (see README).
    """
    right = "pay_invoices (approve pushes)" if pay else "view_invoices"
    if email is None:
        raise UsageError(f"say who you are with --as EMAIL (a billing admin with {right})")
    admin = next((a for a in config.billing_admins if a.email.casefold() == email.casefold()), None)
    if admin is None:
        raise UsageError(
            f"{email} is not a billing admin", hint="see `psabill admins list`; add one with "
            "`psabill admins add EMAIL --view --pay`"
        )  # fmt: skip
    if not admin.view_invoices or (pay and not admin.pay_invoices):
        raise UsageError(
            f"{admin.email} may not do this: it needs {right}",
            hint=f"grant it: `psabill admins edit {admin.email} --view{' --pay' if pay else ''}`",
        )
    return admin


def planned_summary(
    plan: Plan, *, account: str, scope: tuple[str, ...], slots: Iterable[PlannedSlot]
) -> dict[str, Any]:
    """What a planned run stores beside its usual summary: the plan and its periods."""
    return {
        PLAN: plan_to_data(plan, account=account, scope=scope),
        SLOTS: [
            {"customer": s.customer, "period": s.period, "key": s.key, "at": encode_time(s.at)}
            for s in slots
        ],
    }


def same_plan(one: Plan, other: Plan) -> bool:
    """Whether two plans would write the same things to a PSA in the same state."""
    return (one.lines, one.repairs, one.guard_trips, dict(one.fingerprint)) == (
        other.lines,
        other.repairs,
        other.guard_trips,
        dict(other.fingerprint),
    )


def pending_for(ledger: Ledger, slots: Iterable[PlannedSlot], account: str) -> PendingPlan | None:
    """The latest planned run for exactly these periods, while it awaits approval."""
    wanted = {(s.customer, s.period) for s in slots}
    for run in ledger.runs_where(outcome="planned"):
        pending = _parse(run, account)
        if {(s.customer, s.period) for s in pending.slots} == wanted:
            return None if approvals(ledger, run.id) else pending
    return None


def load_pending(ledger: Ledger, run_id: int, account: str) -> PendingPlan:
    """The plan of planned run ``run_id``, if it may be approved now; UsageError why not."""
    pending = _parse(_unapproved_plan_run(ledger, run_id), account)
    _refuse_superseded(ledger, pending, account)
    _refuse_billed_past(ledger, pending)
    return pending


def _unapproved_plan_run(ledger: Ledger, run_id: int) -> RunRecord:
    """Run ``run_id`` if it is a plan nobody approved yet; UsageError naming what it is instead."""
    run = ledger.run(run_id)
    if run is None:
        raise UsageError(f"no run {run_id} in the ledger", hint="see `psabill history`")
    if run.outcome != "planned":
        raise UsageError(
            f"run {run_id} is not a plan awaiting approval (it is a {run.trigger} run that "
            f"ended {run.outcome})",
            hint="plans awaiting approval show as `planned` in `psabill history`",
        )
    done = approvals(ledger, run_id)
    if done:
        raise UsageError(
            f"run {run_id} was already approved by {done[0].acting_admin} (run {done[0].id})",
            hint=f"see `psabill report {done[0].id}`",
        )
    return run


def _refuse_superseded(ledger: Ledger, pending: PendingPlan, account: str) -> None:
    """UsageError if a later plan covers any of ``pending``'s customers.

    Any later plan for one of these customers, for this period or a later one, is
    newer knowledge: approving the old one could put stale quantities back.
    """
    mine = {s.customer for s in pending.slots}
    for newer in ledger.runs_where(outcome="planned"):
        if newer.id > pending.run_id and mine & {s.customer for s in _parse(newer, account).slots}:
            raise UsageError(
                f"run {pending.run_id} was superseded by run {newer.id}, planned later",
                hint=f"review and approve run {newer.id} instead",
            )


def _refuse_billed_past(ledger: Ledger, pending: PendingPlan) -> None:
    """UsageError if a customer already completed a later period: that would bill old usage."""
    for slot in pending.slots:
        last = ledger.last_completed(slot.customer)
        if last is not None and last.slot_at > slot.at:
            raise UsageError(
                f"run {pending.run_id} plans period {slot.period} for {slot.customer}, but the "
                f"later period {last.period} is already billed; approving it would bill old usage",
                hint="the current plan is the one to approve (see `psabill history`)",
            )


def approvals(ledger: Ledger, run_id: int) -> list[RunRecord]:
    """Approval runs of ``run_id`` that took effect (a refused one, say stale, does not count)."""
    return [
        run
        for run in ledger.runs_where(trigger="approval")
        if run.summary is not None
        and run.summary.get(APPROVES) == run_id
        and (run.outcome in _EFFECTIVE or run.line_counts.total > 0)
    ]


def _parse(run: RunRecord, account: str) -> PendingPlan:
    summary = run.summary or {}
    try:
        plan, scope, plan_account = plan_from_data(summary.get(PLAN))
        slots = tuple(
            PlannedSlot(str(s["customer"]), str(s["period"]), str(s["key"]), decode_time(s["at"]))
            for s in summary.get(SLOTS, [])  # type: ignore[attr-defined]
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"run {run.id}: the stored plan cannot be read: {exc}") from None
    if plan_account != account:
        raise UsageError(f"run {run.id} is a plan for account {plan_account!r}, not {account!r}")
    return PendingPlan(run.id, plan, scope, slots)
