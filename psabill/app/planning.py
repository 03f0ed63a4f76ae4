"""Read usage and the PSA, then plan: the part of a run that writes nothing.

``sync``, ``plan`` and a plan stored for approval all come through
:func:`make_plan`, so a dry run sees exactly what a real run would do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from psabill.app.plans import check_fingerprint, check_renamed
from psabill.app.snapshot import read_snapshot
from psabill.config.loader import LoadedConfig
from psabill.core.due import RUN_KEY, TargetDue, targets
from psabill.core.guards import RiseLimit, apply_guards
from psabill.core.mapping import Usage, customer_key, resolve
from psabill.core.plan import Plan, PlanContext
from psabill.core.plan_build import build_plan
from psabill.core.report import SyncReport, SyncRequest
from psabill.psa.base import PsaClient
from psabill.sources import SourceResult, read_all


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

    async def make_plan(
        self,
        client: PsaClient,
        request: SyncRequest,
        report: SyncReport,
        history: History,
    ) -> Plan:
        """Fill ``report`` with scope, source errors and resolution; return the guarded plan
        (or the saved plan, once the PSA is shown to still match it)."""
        config = self.loaded.config
        report.scope = scope = scope_of(self.loaded, request, report.due)
        sources = self._read_sources()
        report.source_errors = [str(r.error) for r in sources if r.error is not None]
        report.resolution = resolve(config, _usage(sources), scope)
        customers = [c for c in config.customers if customer_key(c) in scope]
        snapshot = await read_snapshot(client, config, customers)
        if request.saved_plan is not None:
            check_fingerprint(request.saved_plan, snapshot)
            check_renamed(request.saved_plan, snapshot, history.additions)
            return request.saved_plan
        plan = build_plan(
            PlanContext(
                config=config,
                resolution=report.resolution,
                scope=scope,
                snapshot=snapshot,
                today=report.now.astimezone(config.account.zone).date(),
                failed_sources=frozenset(r.source for r in sources if r.error is not None),
                known_additions=history.additions,
            )
        )
        sync = config.sync
        rise = RiseLimit(sync.max_rise, sync.rise_floor, history.quantities, request.allow_rise)
        return apply_guards(plan, snapshot, sync.max_drop, allow_drop=request.allow_drop, rise=rise)

    def _read_sources(self) -> list[SourceResult]:
        config = self.loaded.config
        return read_all(
            config.sources,
            base_dir=self.loaded.base_dir,
            env=self.env,
            decimal_skus=frozenset(p.sku for p in config.products if p.decimal_quantities),
        )


def scope_of(loaded: LoadedConfig, request: SyncRequest, due: list[TargetDue]) -> tuple[str, ...]:
    """The customers this run covers: a saved plan's, the due ones, or every one by hand."""
    if request.saved_plan is not None:
        return tuple(sorted({line.customer for line in request.saved_plan.lines}))
    if request.trigger == "scheduled":
        keys = [item.target.key for item in due if item.due]
    else:
        keys = [target.key for target in targets(loaded.config, request.only)]
    return tuple(key for key in keys if key != RUN_KEY)


def _usage(results: list[SourceResult]) -> list[Usage]:
    return [
        Usage(r.source, r.customer, r.sku, r.quantity, r.location)
        for result in results
        for r in result.records
    ]
