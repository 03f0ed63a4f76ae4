"""Render plans and run reports for people (rich tables) and machines (versioned JSON)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import click

from psabill.cli.app import current_app, echo_err, warn
from psabill.cli.pacing import pacing_json
from psabill.cli.tables import plan_table as plan_table
from psabill.cli.tables import print_plan
from psabill.cli.words import plural
from psabill.core.due import MissedPeriod, TargetDue
from psabill.core.mapping import Resolution
from psabill.core.outcome import LineResult
from psabill.core.plan import Plan, qty
from psabill.core.planfile import plan_to_data
from psabill.core.report import AdjustmentAlert, StuckMail, SyncReport
from psabill.errors import ExitCode

if TYPE_CHECKING:  # rich and the mail stack load only when a table or a mail is shown
    from psabill.notify.events import MailEvent

JSON_SCHEMA = "psabill.sync/1"
_PLAN_ONLY = ("dry_run", "planned", "awaiting")


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
        echo_err(f"source failed: {error}", level="error")
    resolution = report.resolution
    if resolution is not None:
        for u in resolution.unmapped_customers.values():
            click.echo(
                f"unmapped customer: {u.source} {u.id!r} ({_seats(u.quantity)} in "
                f"{plural(u.records, 'row')}) - map it: psabill customers map {u.id} "
                f"PSA_COMPANY --source {u.source}"
            )
        for u in resolution.unmapped_products.values():
            click.echo(
                f"unmapped product: {u.source} {u.id!r} ({_seats(u.quantity)}) - "
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
                source = f" --source {repair.source}" if repair.source else ""
                click.echo(
                    f"mapping repair: {repair.sku}: PSA product {repair.missing!r} is missing; "
                    f"{verb} catalog item {repair.identifier!r} (to keep it that way: "
                    f"`psabill products map {repair.sku} {repair.identifier}{source}`)"
                )
        for trip in report.plan.guard_trips:
            echo_err(f"guard: {trip}", level="warning")


def _seats(quantity: Decimal) -> str:
    return f"{qty(quantity)} {'seat' if quantity == 1 else 'seats'}"


def print_report(report: SyncReport, *, show_all: bool = False) -> None:
    """The table, what is not billed, then the headline; ``show_all`` lists unchanged lines."""
    if report.plan is not None:
        results = report.results if report.outcome not in _PLAN_ONLY else None
        app = current_app()
        verbose = app is not None and app.verbosity > 0
        print_plan(report, results, show_all=show_all or verbose, verbose=verbose)
    echo_extras(report)
    if report.fatal:
        echo_err(report.fatal, level="error", prefix="error: ")
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
    done = len(report.completed)
    periods = "customer's period" if done == 1 else "customers' periods"
    tail = f"; {done} {periods} completed" if done else ""
    return (
        f"run {report.run_id}: {report.outcome} - {counts}; "
        f"{confirmed} confirmed, {failed} failed{tail}"
    )


def report_json(report: SyncReport, exit_code: ExitCode | None = None) -> dict[str, Any]:
    """The documented, versioned `--json` result of `sync` and `plan`; ``exit_code`` is the
    command's when it differs from the report's (``plan`` exits as ``sync`` would)."""
    data: dict[str, Any] = {
        "schema": JSON_SCHEMA,
        "outcome": report.outcome,
        "exit_code": int(report.exit_code if exit_code is None else exit_code),
        "trigger": report.trigger,
        "run_id": report.run_id,
        "now": report.now.isoformat(),
        "scope": list(report.scope),
        "due": [_due_json(d) for d in report.due],
        "source_errors": report.source_errors,
        "source_warnings": report.source_warnings,
        "repairs": report.repairs,
        "completed": report.completed,
        "fatal": report.fatal,
        "pending_run": report.pending_run,
        "plan": None,
        "results": [_result_json(r) for r in report.results],
        "missed": [_missed_json(m) for m in report.missed],
        "recovered": report.recovered,
        "stuck_mail": [_stuck_json(s) for s in report.stuck_mail],
        "customer_mail_held": report.customer_mail_held,
        "adjustments": [_adjustment_json(a) for a in report.adjustments],
        "pacing": pacing_json(report.pacing),
    }
    if report.plan is not None:
        data["plan"] = plan_to_data(report.plan, account="", scope=report.scope)
    if report.resolution is not None:
        data.update(_unmapped_json(report.resolution))
    return data


def _due_json(item: TargetDue) -> dict[str, Any]:
    period = item.slot.period if item.slot else None
    return {"customer": item.target.key, "due": item.due, "period": period}


def _result_json(result: LineResult) -> dict[str, Any]:
    return {
        "customer": result.line.customer,
        "sku": result.line.sku,
        "status": result.status,
        "error": result.error,
        "addition_id": result.addition_id,
    }


def _unmapped_json(resolution: Resolution) -> dict[str, Any]:
    """What was not billed for want of a mapping; products name their vendor id ``sku``."""
    return {
        "unmapped_customers": [
            {"source": u.source, "id": u.id, "quantity": str(u.quantity)}
            for u in resolution.unmapped_customers.values()
        ],
        "unmapped_products": [
            {"source": u.source, "sku": u.id, "quantity": str(u.quantity)}
            for u in resolution.unmapped_products.values()
        ],
    }


def echo_mail(events: Sequence[MailEvent], as_json: bool) -> None:
    """Where summaries went (stdout, or stderr beside --json), and problems as warnings.

    Many messages queued by one outage say one thing: they get one line.
    """
    app = current_app()
    if app is None or app.verbosity >= 0:
        for event in events:
            if not event.problem:
                echo_err(event.text) if as_json else click.echo(event.text)
    problems = [event for event in events if event.problem]
    queued = [event for event in problems if event.status == "queued"]
    if len(queued) > 1:
        problems = [event for event in problems if event.status != "queued"]
    for event in problems:
        warn(event.text)
    if len(queued) > 1:
        warn(
            f"{len(queued)} summary emails wait in the outbox ({queued[0].failure}); "
            "`psabill notify flush` resends them"
        )


def _missed_json(missed: MissedPeriod) -> dict[str, Any]:
    return {
        "customer": missed.customer,
        "period": missed.period,
        "slot": missed.slot_key,
        "slot_at": missed.slot_at.isoformat(),
        "message": str(missed),
        "hint": missed.hint,
    }


def _adjustment_json(alert: AdjustmentAlert) -> dict[str, Any]:
    return {
        "id": alert.entry,
        "run_id": alert.run_id,
        "agreement_id": alert.agreement_id,
        "product_id": alert.product_id,
        "day": alert.day.isoformat(),
        "change": str(alert.change),
        "state": alert.state,
        "note": alert.note,
        "message": str(alert),
    }


def _stuck_json(stuck: StuckMail) -> dict[str, Any]:
    return {
        "subject": stuck.subject,
        "queued_at": stuck.queued_at.isoformat(),
        "attempts": stuck.attempts,
        "last_error": stuck.last_error,
    }


def echo_source_warnings(report: SyncReport) -> None:
    """What a source warned about (it changes a bill): on stderr under -q too."""
    for text in report.source_warnings:
        echo_err(text, level="warning", prefix="warning: ")


def echo_alarms(report: SyncReport) -> None:
    """What changes a bill or hides one from its readers, at error level: shown under -q."""
    for missed in report.missed:
        echo_err(str(missed), level="error", prefix="error: ")
    echo_source_warnings(report)
    for run_id in report.recovered:
        warn(
            f"run {run_id} stopped before it finished (killed or crashed); this run re-read "
            f"the PSA after it: `psabill report {run_id}` shows what it had sent"
        )
    for held in report.customer_mail_held:  # a customer is not told: shown under -q too
        echo_err(held, level="warning", prefix="warning: ")
    for alert in report.adjustments:  # a delta the PSA may hold, or did not: under -q too
        echo_err(str(alert), level="warning", prefix="warning: ")
    if report.stuck_mail:
        oldest = min(report.stuck_mail, key=lambda s: s.queued_at)
        count = len(report.stuck_mail)
        echo_err(
            f"{count} summary {'email' if count == 1 else 'emails'} unsent since "
            f"{oldest.queued_at:%Y-%m-%d %H:%M} UTC ({plural(oldest.attempts, 'attempt')}; "
            f"last error: {oldest.last_error or 'none recorded'}); fix [smtp] or [notify], "
            "then run `psabill notify flush`",
            level="error",
            prefix="error: ",
        )
