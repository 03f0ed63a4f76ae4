"""Read usage and the PSA, then plan: the part of a run that writes nothing.

``sync``, ``plan`` and a plan stored for approval all come through
:func:`make_plan`, so a dry run sees exactly what a real run would do.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from itertools import chain

from psabill.app.plans import check_fingerprint, check_renamed
from psabill.app.snapshot import ReadProgress, read_snapshot
from psabill.config.loader import LoadedConfig
from psabill.core.due import RUN_KEY, TargetDue, targets
from psabill.core.guards import RiseLimit, apply_guards
from psabill.core.mapping import customer_key, resolve
from psabill.core.plan import Plan, PlanContext
from psabill.core.plan_build import build_plan
from psabill.core.report import SyncReport, SyncRequest
from psabill.psa.base import PsaClient
from psabill.sources import SourceResult, UsageRecord, read_all
from psabill.sources.vendors.period import RunMoment


@dataclass(frozen=True)
class History:
    """What the ledger remembers that planning needs, per (customer key, SKU): the addition
    psabill synced (so a renamed product is never billed twice) and its last synced quantity
    (for the rise guard)."""

    additions: Mapping[tuple[str, str], int] = field(default_factory=dict)
    quantities: Mapping[tuple[str, str], Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class Planner:
    loaded: LoadedConfig
    env: Mapping[str, str]
    progress: ReadProgress | None = None
    """Told how the PSA reads advance (the CLI's progress display)."""

    async def make_plan(
        self,
        client: PsaClient,
        request: SyncRequest,
        report: SyncReport,
        history: History,
    ) -> Plan:
        """Fill ``report`` with scope, source errors and warnings, and resolution; return the
        guarded plan (or the saved plan, once the PSA is shown to still match it)."""
        config = self.loaded.config
        report.scope = scope = scope_of(self.loaded, request, report.due)
        keys = frozenset(scope)
        with collector_held():
            sources = self._read_sources(report.now)
            report.source_errors = [str(r.error) for r in sources if r.error is not None]
            report.source_warnings = [text for r in sources for text in r.warnings]
            report.resolution = resolution = resolve(config, _usage(sources), keys)
        customers = [c for c in config.customers if customer_key(c) in keys]
        today = report.now.astimezone(config.account.zone).date()
        # A saved plan is checked against every agreement it may touch, whatever its state now.
        saved = request.saved_plan
        on = None if saved is not None else today
        # Its quantities are compared as of the day it was planned for, the day it writes.
        dated = saved.today if saved is not None else today
        snapshot = await read_snapshot(
            client, config, customers, on=on, dated=dated, progress=self.progress
        )
        if request.saved_plan is not None:
            check_fingerprint(request.saved_plan, snapshot)
            check_renamed(request.saved_plan, snapshot, history.additions)
            return request.saved_plan
        context = PlanContext(
            config=config,
            resolution=resolution,
            scope=scope,
            snapshot=snapshot,
            today=today,
            failed_sources=frozenset(r.source for r in sources if r.error is not None),
            known_additions=history.additions,
        )
        with collector_held():
            return _guarded(context, request, history)

    def _read_sources(self, now: datetime) -> list[SourceResult]:
        """Every source, read for the run at ``now`` (vendor APIs read that run's month)."""
        config = self.loaded.config
        return read_all(
            config.sources,
            base_dir=self.loaded.base_dir,
            env=self.env,
            decimal_skus=frozenset(p.sku for p in config.products if p.decimal_quantities),
            moment=RunMoment(now, config.account.zone, config.schedule.mode),
        )


@contextmanager
def collector_held() -> Iterator[None]:
    """Hold Python's cyclic garbage collector during one allocation-heavy planning stage.

    Reading, resolving and planning 100,000 usage rows make about a million small objects that
    all stay alive. CPython runs a full collection, which walks the whole heap, each time the
    long-lived heap grows by a quarter: at that size about a third of the planning time went
    there, to find nothing (what these stages build holds no reference cycles). The collector
    resumes as it was when the stage ends; the PSA reads in between run with it as usual.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def scope_of(loaded: LoadedConfig, request: SyncRequest, due: list[TargetDue]) -> tuple[str, ...]:
    """The customers this run covers: a saved plan's, the due ones, or every one by hand."""
    if request.saved_plan is not None:
        return tuple(sorted({line.customer for line in request.saved_plan.lines}))
    if request.trigger == "scheduled":
        keys = [item.target.key for item in due if item.due]
    else:
        keys = [target.key for target in targets(loaded.config, request.only)]
    return tuple(key for key in keys if key != RUN_KEY)


def _guarded(context: PlanContext, request: SyncRequest, history: History) -> Plan:
    sync = context.config.sync
    rise = RiseLimit(sync.max_rise, sync.rise_floor, history.quantities, request.allow_rise)
    plan = build_plan(context)
    return apply_guards(
        plan, context.snapshot, sync.max_drop, allow_drop=request.allow_drop, rise=rise
    )


def _usage(results: list[SourceResult]) -> Iterator[UsageRecord]:
    return chain.from_iterable(result.records for result in results)
