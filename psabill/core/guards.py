"""Mass-change guards: hold back customers whose bill would drop sharply or vanish.

An MSP disables a billing integration after one surprise. A plan that would
cut a customer's total by more than ``[sync] max_drop``, or set every line of
an agreement to zero, is held for that customer (its writes become ``held``)
unless the admin passes ``--allow-drop``. The other customers still sync.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from decimal import Decimal

from psabill.core.plan import WRITES, GuardTrip, Plan, PlanLine, Snapshot


def apply_guards(plan: Plan, snapshot: Snapshot, max_drop: Decimal, *, allow_drop: bool) -> Plan:
    """Return ``plan`` with tripped customers held, and every trip described."""
    by_customer: dict[str, list[PlanLine]] = defaultdict(list)
    for line in plan.lines:
        by_customer[line.customer].append(line)
    trips: dict[str, GuardTrip] = {}
    for customer, lines in by_customer.items():
        reasons = _drop_reason(lines, max_drop) + _zeroed_agreements(lines, snapshot, plan)
        if reasons:
            trips[customer] = GuardTrip(customer, lines[0].customer_label, tuple(reasons))
    if not trips:
        return plan
    if allow_drop:
        allowed = tuple(replace(trip, allowed=True) for trip in trips.values())
        return replace(plan, guard_trips=allowed)
    held = tuple(
        replace(line, action="held", why=f"guard: {'; '.join(trips[line.customer].reasons)}")
        if line.customer in trips and line.writes
        else line
        for line in plan.lines
    )
    return replace(plan, lines=held, guard_trips=tuple(trips.values()))


def _after(line: PlanLine) -> Decimal:
    if line.action in WRITES:
        return line.desired or Decimal(0)
    return line.current or Decimal(0)


def _drop_reason(lines: list[PlanLine], max_drop: Decimal) -> list[str]:
    counted = [line for line in lines if line.current is not None or line.action == "create"]
    before = sum((line.current or Decimal(0) for line in counted), Decimal(0))
    after = sum((_after(line) for line in counted), Decimal(0))
    if before <= 0 or after >= before:
        return []
    drop = (before - after) / before
    if drop <= max_drop:
        return []
    return [
        f"total drops from {before.normalize():f} to {after.normalize():f} "
        f"(-{drop:.0%}, limit {max_drop:.0%})"
    ]


def _zeroed_agreements(lines: list[PlanLine], snapshot: Snapshot, plan: Plan) -> list[str]:
    """Agreements on which every live addition would end at 0 (and something was above 0)."""
    changes = {line.addition_id: _after(line) for line in lines if line.writes}
    created = {line.agreement_id for line in lines if line.action == "create"}
    names = {line.agreement_id: line.agreement_name for line in lines}
    reasons = []
    touched = {line.agreement_id for line in lines if line.writes and line.agreement_id}
    for agreement_id in sorted(a for a in touched - created if a is not None):
        live = [
            a for a in snapshot.additions.get(agreement_id, ()) if not a.is_cancelled(plan.today)
        ]
        before = [a.quantity for a in live]
        after = [changes.get(a.id, a.quantity) for a in live]
        if any(q > 0 for q in before) and all(q == 0 for q in after):
            reasons.append(f'every line of agreement "{names[agreement_id]}" would be 0')
    return reasons
