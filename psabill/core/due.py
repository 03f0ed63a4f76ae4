"""Which customers are due: the schedule engine applied per customer. Pure.

Customers on ``settings = "global"`` follow ``[schedule]``; customers on
``settings = "custom"`` with their own ``schedule`` follow that. Each customer
is evaluated against *its own* last completed slot (a lookup the caller
passes in), so a customer whose lines failed last time is retried while the
others are not billed again. With no customers configured, the run itself is
tracked under the key ``*``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

from psabill.core.schedule.engine import Completed, Due, NotDue, Rule, Slot, evaluate, next_slots
from psabill.errors import UsageError

RUN_KEY = "*"
LastCompleted = Callable[[str], Completed | None]


if TYPE_CHECKING:  # shapes for the type checker only: an hourly `psabill due` pays for none

    class Scheduled(Hashable, Protocol):
        """A ``[schedule]`` as the due decision reads it: the config's
        :class:`~psabill.config.models.Schedule`, or the fast path's copy of it
        (:mod:`psabill.config.validated`). Equal schedules hash alike."""

        @property
        def enabled(self) -> bool: ...
        @property
        def catch_up(self) -> timedelta: ...
        def rule(self) -> Rule: ...

    class ScheduledCustomer(Protocol):
        """A ``[[customers]]`` entry as the due decision reads it."""

        @property
        def id(self) -> str: ...
        @property
        def source(self) -> str | None: ...
        @property
        def name(self) -> str | None: ...
        @property
        def sync(self) -> bool: ...
        @property
        def schedule(self) -> Scheduled | None: ...

    class Zoned(Protocol):
        @property
        def zone(self) -> ZoneInfo: ...

    class Timetable(Protocol):
        """What decides which customers are due: the account's zone, ``[schedule]`` and the
        customers. A validated :class:`~psabill.config.models.Config` is one."""

        @property
        def account(self) -> Zoned: ...
        @property
        def schedule(self) -> Scheduled: ...
        @property
        def customers(self) -> Sequence[ScheduledCustomer]: ...


def customer_key(customer: ScheduledCustomer) -> str:
    """Ledger key of a customer: its vendor id, qualified by source when one is set.

    (:func:`psabill.core.mapping.customer_key` is this function.)"""
    return f"{customer.source}:{customer.id}" if customer.source else customer.id


@dataclass(frozen=True)
class Target:
    """One thing with a schedule: a customer, or the whole run when none are mapped."""

    key: str
    label: str
    schedule: Scheduled
    custom: bool

    @property
    def rule(self) -> Rule:
        return self.schedule.rule()


@dataclass(frozen=True)
class TargetDue:
    target: Target
    decision: Due | NotDue

    @property
    def due(self) -> bool:
        return isinstance(self.decision, Due)

    @property
    def slot(self) -> Slot | None:
        """The slot being run, when due."""
        return self.decision.slot if isinstance(self.decision, Due) else None


def targets(config: Timetable, only: str | None = None) -> list[Target]:
    """Everything with a schedule; ``only`` narrows to one customer (by id or key)."""
    names = Counter(c.name or c.id for c in config.customers)
    found = [
        Target(
            key=customer_key(customer),
            # Two vendor accounts of one company share a name: tell them apart.
            label=(customer.name or customer.id)
            if names[customer.name or customer.id] == 1
            else f"{customer.name or customer.id} ({customer_key(customer)})",
            schedule=customer.schedule or config.schedule,
            custom=customer.schedule is not None,
        )
        for customer in config.customers
        if customer.sync and (only is None or only in (customer.id, customer_key(customer)))
    ]
    if only is not None and not found:
        known = ", ".join(customer_key(c) for c in config.customers) or "none configured"
        raise UsageError(f"no synced customer {only!r} in the config (customers: {known})")
    if not config.customers:
        found.append(Target(key=RUN_KEY, label="(all)", schedule=config.schedule, custom=False))
    return found


def evaluate_targets(
    config: Timetable, last_completed: LastCompleted, now: datetime, only: str | None = None
) -> list[TargetDue]:
    """Due decision for each target; a disabled schedule is never due.

    Targets on one schedule whose last completed runs are alike get one decision: thousands of
    customers on the global schedule cost a handful of schedule evaluations.
    """
    zone = config.account.zone
    decisions: dict[tuple[Scheduled, tuple[str, datetime, str] | None], Due | NotDue] = {}
    results = []
    for target in targets(config, only):
        last = last_completed(target.key) if target.schedule.enabled else None
        # The instant alone would equate one time in two zones; a reason quotes it as written.
        alike = None if last is None else (last.period, last.at, last.at.isoformat())
        decision = decisions.get((target.schedule, alike))
        if decision is None:
            decision = decisions[target.schedule, alike] = _decide(target, zone, last, now)
        results.append(TargetDue(target=target, decision=decision))
    return results


def _decide(target: Target, zone: ZoneInfo, last: Completed | None, now: datetime) -> Due | NotDue:
    if not target.schedule.enabled:
        upcoming = next_slots(target.rule, zone, now, 1)
        return NotDue(
            next_slot=upcoming[0] if upcoming else None,
            missed=(),
            reason="the schedule is disabled (enabled = false); use `psabill sync --now`",
        )
    return evaluate(target.rule, zone, last, now, target.schedule.catch_up)


@dataclass(frozen=True)
class MissedPeriod:
    """A billing period whose slot passed unrun beyond its catch-up window: not billed."""

    customer: str
    label: str
    period: str
    slot_key: str
    slot_at: datetime

    @property
    def hint(self) -> str:
        """How to bill it by hand."""
        only = f" --customer {self.customer}" if self.customer != RUN_KEY else ""
        return f"bill it by hand: psabill sync --now{only}"

    def __str__(self) -> str:
        return (
            f"missed billing period {self.period} for {self.label}: slot {self.slot_key} "
            f"was not run within its catch-up window ({self.hint})"
        )


def missed_periods(due: list[TargetDue]) -> list[MissedPeriod]:
    """Every missed period the due decisions list, once per (customer, slot), oldest first."""
    found = {
        (item.target.key, slot.key): MissedPeriod(
            item.target.key, item.target.label, slot.period, slot.key, slot.at
        )
        for item in due
        for slot in item.decision.missed
    }
    return sorted(found.values(), key=lambda m: (m.slot_at, m.customer))
