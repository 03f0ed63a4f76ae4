"""Render plans and run reports for people (rich tables) and machines (versioned JSON)."""

from __future__ import annotations

from typing import Any

import click
from rich.table import Table

from psabill.app.runner import SyncReport
from psabill.cli.app import stdout_console
from psabill.core.outcome import LineResult
from psabill.core.plan import Plan, PlanLine, qty
from psabill.core.planfile import plan_to_data

JSON_SCHEMA = "psabill.sync/1"
_PLAN_ONLY = ("dry_run", "planned", "awaiting")


def _change(line: PlanLine) -> str:
    if line.action in ("create",):
        return f"- -> {qty(line.desired)}"
    if line.action in ("keep", "unchanged") and line.desired is None:
        return qty(line.current)
    if line.current is None and line.desired is None:
        return ""
    return f"{qty(line.current)} -> {qty(line.desired)}"


def plan_table(plan: Plan, results: list[LineResult] | None = None) -> Table:
    """customer, agreement, product, current -> new, action, (result), why."""
    table = Table(box=None, pad_edge=False)
    columns = ["Customer", "Agreement", "Product", "Current -> New", "Action"]
    columns += ["Result"] if results is not None else []
    for column in [*columns, "Why"]:
        table.add_column(column)
    rows: list[tuple[PlanLine, LineResult | None]]
    rows = (
        [(r.line, r) for r in results] if results is not None else [(x, None) for x in plan.lines]
    )
    for line, result in rows:
        product = line.sku if not line.psa_product else f"{line.sku} -> {line.psa_product}"
        cells = [line.customer_label, line.agreement_name or "-", product, _change(line)]
        cells.append(line.action)
        if result is not None:
            cells.append(result.status)
        table.add_row(*cells, result.error or line.why if result else line.why)
    return table


def counts_text(plan: Plan) -> str:
    counts: dict[str, int] = {}
    for line in plan.lines:
        counts[line.action] = counts.get(line.action, 0) + 1
    order = ["create", "update", "zero", "cancel", "unchanged", "keep"]
    order += ["held", "paused", "ambiguous", "stopped", "error"]
    return ", ".join(f"{counts[a]} {a}" for a in order if a in counts) or "nothing to do"


def echo_extras(report: SyncReport) -> None:
    """Everything an MSP must see besides the lines: what is *not* being billed."""
    for error in report.source_errors:
        click.echo(f"source failed: {error}", err=True)
    resolution = report.resolution
    if resolution is not None:
        for u in resolution.unmapped_customers.values():
            click.echo(
                f"unmapped customer: {u.source} {u.id!r} ({qty(u.quantity)} seats in "
                f"{u.records} rows) - map it: psabill customers map {u.id} PSA_COMPANY "
                f"--source {u.source}"
            )
        for u in resolution.unmapped_products.values():
            click.echo(
                f"unmapped product: {u.source} {u.id!r} ({qty(u.quantity)} seats) - "
                f"map it: psabill products map {u.id} PSA_PRODUCT --source {u.source}"
            )
        for note in resolution.not_synced:
            click.echo(f"not synced: {note}")
    for done in report.repairs:
        click.echo(f"mapping repaired: {done}")
    if report.plan is not None:
        if report.outcome == "dry_run":
            for repair in report.plan.repairs:
                verb = "would use existing" if repair.exists else "would create"
                click.echo(
                    f"mapping repair: {repair.sku}: PSA product {repair.missing!r} is missing; "
                    f"{verb} catalog item {repair.identifier!r}"
                )
        for trip in report.plan.guard_trips:
            click.echo(f"guard: {trip}", err=True)


def print_report(report: SyncReport) -> None:
    if report.plan is not None:
        results = report.results if report.outcome not in _PLAN_ONLY else None
        if report.plan.lines:
            stdout_console().print(plan_table(report.plan, results))
    echo_extras(report)
    if report.fatal:
        click.echo(f"error: {report.fatal}", err=True)
    click.echo(headline(report))


def headline(report: SyncReport) -> str:
    if report.outcome == "not_due":
        return "nothing due"
    counts = counts_text(report.plan) if report.plan else "no plan"
    if report.outcome == "dry_run":
        return f"dry run: {counts}; nothing was written"
    if report.outcome in ("planned", "awaiting"):
        run = report.pending_run
        what = "planned" if report.outcome == "planned" else "the same plan still awaits approval"
        return (
            f"run {run}: {what} - {counts}; nothing was written; an admin with pay approves "
            f"it with `psabill approve {run} --as EMAIL`"
        )
    failed = sum(1 for r in report.results if r.status == "failed")
    confirmed = sum(1 for r in report.results if r.status == "confirmed")
    tail = f"; {len(report.completed)} customers' periods completed" if report.completed else ""
    return (
        f"run {report.run_id}: {report.outcome} - {counts}; "
        f"{confirmed} confirmed, {failed} failed{tail}"
    )


def report_json(report: SyncReport) -> dict[str, Any]:
    """The documented, versioned `--json` result of `sync` and `plan`."""
    data: dict[str, Any] = {
        "schema": JSON_SCHEMA,
        "outcome": report.outcome,
        "exit_code": int(report.exit_code),
        "trigger": report.trigger,
        "run_id": report.run_id,
        "now": report.now.isoformat(),
        "scope": list(report.scope),
        "due": [
            {"customer": d.target.key, "due": d.due, "period": d.slot.period if d.slot else None}
            for d in report.due
        ],
        "source_errors": report.source_errors,
        "repairs": report.repairs,
        "completed": report.completed,
        "fatal": report.fatal,
        "pending_run": report.pending_run,
        "plan": None,
        "results": [
            {
                "customer": r.line.customer,
                "sku": r.line.sku,
                "status": r.status,
                "error": r.error,
                "addition_id": r.addition_id,
            }
            for r in report.results
        ],
    }
    if report.plan is not None:
        data["plan"] = plan_to_data(report.plan, account="", scope=report.scope)
    if report.resolution is not None:
        data["unmapped_customers"] = [
            {"source": u.source, "id": u.id, "quantity": str(u.quantity)}
            for u in report.resolution.unmapped_customers.values()
        ]
        data["unmapped_products"] = [
            {"source": u.source, "sku": u.id, "quantity": str(u.quantity)}
            for u in report.resolution.unmapped_products.values()
        ]
    return data
