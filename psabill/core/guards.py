"""Mass-change guards: hold back customers whose bill would drop sharply, vanish or explode.

An MSP disables a billing integration after one surprise. A plan that would
cut a customer's total by more than ``[sync] max_drop``, or set every line of
an agreement to zero, is held for that customer (its writes become ``held``)
unless the admin passes ``--allow-drop``. A line that would rise to more than
``[sync] max_rise`` times its last synced quantity (45 → 9,999,999: a typo in an
export) holds its customer the same way, unless ``--allow-rise`` (or
``--allow-drop``). The other customers still sync.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal

from psabill.core.plan import WRITES, GuardTrip, Plan, PlanLine, Snapshot


@dataclass(frozen=True)
class RiseLimit:
    """How far one line may rise over its last synced quantity before it is held.

    ``last_synced`` is what psabill last confirmed per (customer key, SKU); where the
    ledger knows nothing, the PSA's current quantity stands in. New lines, lines
    rising from 0 and lines ending at or below ``floor`` are never held.
    """

    factor: Decimal
    floor: Decimal
    last_synced: Mapping[tuple[str, str], Decimal] = field(default_factory=dict)
    allowed: bool = False


def apply_guards(
    plan: Plan,
    snapshot: Snapshot,
    max_drop: Decimal,
    *,
    allow_drop: bool,
    rise: RiseLimit | None = None,
) -> Plan:
    """Return ``plan`` with tripped customers held, and every trip described."""
    by_customer: dict[str, list[PlanLine]] = defaultdict(list)
    for line in plan.lines:
        by_customer[line.customer].append(line)
    trips: dict[str, GuardTrip] = {}
    for customer, lines in by_customer.items():
        drops = _drop_reason(lines, max_drop) + _zeroed_agreements(lines, snapshot, plan)
        rises = _rise_reasons(lines, rise) if rise is not None else []
        if not drops and not rises:
            continue
        allowed_by = _allowed_by(drops, rises, allow_drop, rise)
        label = lines[0].customer_label
        trips[customer] = GuardTrip(customer, label, tuple(drops + rises), allowed_by)
    held = tuple(
        replace(line, action="held", why=f"guard: {'; '.join(trips[line.customer].reasons)}")
        if line.customer in trips and not trips[line.customer].allowed_by and line.writes
        else line
        for line in plan.lines
    )
    return replace(plan, lines=held, guard_trips=tuple(trips.values())) if trips else plan


def _allowed_by(
    drops: list[str], rises: list[str], allow_drop: bool, rise: RiseLimit | None
) -> str:
    """The flag that lets this customer's trip through, or "" while it holds."""
    if allow_drop:
        return "--allow-drop"  # lets a rise through too: the admin looked at this plan
    if not drops and rise is not None and rise.allowed:
        return "--allow-rise"
    return ""


def _rise_reasons(lines: list[PlanLine], rise: RiseLimit) -> list[str]:
    reasons = []
    for line in lines:
        if line.action != "update" or line.desired is None or line.desired <= rise.floor:
            continue
        base = rise.last_synced.get((line.customer, line.sku), line.current)
        if base is None or base <= 0 or line.desired <= base * rise.factor:
            continue
        reasons.append(
            f"{line.sku} rises from {base.normalize():f} to {line.desired.normalize():f} "
            f"(x{line.desired / base:.1f}, limit x{rise.factor.normalize():f})"
        )
    return reasons


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
