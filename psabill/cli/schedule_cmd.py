"""``psabill schedule`` and ``psabill due``."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import click

from psabill.app.due import completed_reader
from psabill.cli.app import App, echo_json, parse_instant, pass_app, stdout_console, warn
from psabill.core.due import TargetDue, evaluate_targets, targets
from psabill.core.schedule.engine import Due, Slot, format_duration, next_slots
from psabill.errors import ExitCode

if TYPE_CHECKING:  # rich loads only when a table is shown: `psabill due` stays fast
    from rich.table import Table

    from psabill.config.models import Config
    from psabill.core.due import Scheduled, Timetable

_AT_HELP = "Pretend it is this instant (ISO 8601 with offset) - a what-if."


def slot_note(slot: Slot, zone: ZoneInfo) -> str:
    notes = []
    if slot.clamped:
        notes.append("clamped to month end")
    if slot.dst == "gap":
        notes.append(f"DST gap: {slot.nominal:%H:%M} -> {slot.local(zone):%H:%M %Z}")
    elif slot.dst == "overlap":
        notes.append(f"DST overlap: first {slot.nominal:%H:%M} only")
    return "; ".join(notes)


def slot_json(slot: Slot, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "key": slot.key,
        "period": slot.period,
        "local": slot.local(zone).isoformat(),
        "utc": slot.at.isoformat().replace("+00:00", "Z"),
        "clamped": slot.clamped,
        "dst": slot.dst,
    }


def decision_text(item: TargetDue, zone: ZoneInfo) -> str:
    decision = item.decision
    if isinstance(decision, Due):
        text = (
            f"due: {item.target.label} - slot {decision.slot.key}, period "
            f"{decision.slot.period} (late by {format_duration(decision.late_by) or '0m'})"
        )
        if decision.missed:
            text += f"; missed earlier slots not replayed: {_keys(decision.missed)}"
        return text
    nxt = decision.next_slot
    when = f"; next {nxt.local(zone):%Y-%m-%d %H:%M %Z}" if nxt else ""
    text = f"not due: {item.target.label} - {decision.reason}{when}"
    if decision.missed:
        text += f"; missed: {_keys(decision.missed)} (bill it by hand: psabill sync --now)"
    return text


def decision_json(item: TargetDue, zone: ZoneInfo) -> dict[str, Any]:
    decision = item.decision
    data: dict[str, Any] = {
        "customer": item.target.key,
        "label": item.target.label,
        "custom_schedule": item.target.custom,
        "rule": item.target.rule.describe(),
        "due": item.due,
        "missed": [slot_json(slot, zone) for slot in decision.missed],
    }
    if isinstance(decision, Due):
        data["slot"] = slot_json(decision.slot, zone)
        data["late_by_seconds"] = int(decision.late_by.total_seconds())
    else:
        data["reason"] = decision.reason
        data["next"] = slot_json(decision.next_slot, zone) if decision.next_slot else None
    return data


def _keys(slots: tuple[Slot, ...]) -> str:
    return ", ".join(slot.key for slot in slots)


def _now(app: App, at: str | None) -> datetime:
    return parse_instant(at, "--at") if at else app.now()


@click.command()
@click.option("--next", "count", default=6, show_default=True, type=click.IntRange(1, 500))
@click.option("--customer", help="Show this customer's schedule (vendor customer id).")
@click.option("--at", help=_AT_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def schedule(app: App, count: int, customer: str | None, at: str | None, as_json: bool) -> None:
    """List upcoming billing slots in local time and UTC.

    Marks days clamped to the month's end and slots moved by DST, and says
    whether a run is due now.

    \b
    Examples:
      psabill schedule --next 12
      psabill schedule --customer 51234 --json
    """
    cfg = app.loaded().config
    zone, now = cfg.account.zone, _now(app, at)
    target = targets(cfg, customer)[0] if customer else None
    sched = target.schedule if target else cfg.schedule
    slots = next_slots(sched.rule(), zone, now, count)
    with completed_reader(app.state_dir()) as last:
        status = evaluate_targets(cfg, last, now, customer)
    if as_json:
        echo_json(_schedule_json(cfg, sched, slots, status))
        return
    label = f" for {target.label}" if target else ""
    state = "" if sched.enabled else " [disabled: runs only with `sync --now`]"
    click.echo(f"Schedule{label}: {sched.rule().describe()}, {cfg.account.timezone}{state}")
    stdout_console().print(_slots_table(slots, zone))
    for item in status:
        if item.target.custom and target is None:
            click.echo(f"own schedule: {item.target.label} - {item.target.rule.describe()}")
        click.echo(decision_text(item, zone))


def _schedule_json(
    cfg: Config, sched: Scheduled, slots: Sequence[Slot], status: Sequence[TargetDue]
) -> dict[str, Any]:
    """``schedule --json``: the rule shown, its next slots and each target's due decision."""
    zone = cfg.account.zone
    return {
        "timezone": cfg.account.timezone,
        "rule": sched.rule().describe(),
        "enabled": sched.enabled,
        "slots": [slot_json(slot, zone) for slot in slots],
        "targets": [decision_json(item, zone) for item in status],
    }


def _slots_table(slots: Sequence[Slot], zone: ZoneInfo) -> Table:
    """Numbered slots in local time and UTC, with clamping and DST notes."""
    from rich.table import Table

    table = Table(box=None, pad_edge=False)
    for column in ("#", "Local time", "UTC", "Period", "Note"):
        table.add_column(column)
    for index, slot in enumerate(slots, start=1):
        table.add_row(
            str(index),
            f"{slot.local(zone):%a %Y-%m-%d %H:%M %Z}",
            f"{slot.at:%Y-%m-%d %H:%M}Z",
            slot.period,
            slot_note(slot, zone),
        )
    return table


@click.command()
@click.option("--customer", help="Only this customer (vendor customer id).")
@click.option("--at", help=_AT_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def due(app: App, customer: str | None, at: str | None, as_json: bool) -> None:
    """Exit 0 when a scheduled run is due, 1 when not (78 on a config error).

    A run is due for each customer whose latest slot has come, is within the
    catch-up window, and whose billing period has not completed yet.

    \b
    Examples:
      psabill due && psabill sync
      psabill due --at 2026-12-01T11:00Z --json
    """
    cfg = _timetable(app)
    zone = cfg.account.zone
    with completed_reader(app.state_dir()) as last:
        status = evaluate_targets(cfg, last, _now(app, at), customer)
    if as_json:
        echo_json(
            {"due": any(i.due for i in status), "targets": [decision_json(i, zone) for i in status]}
        )
    elif app.verbosity >= 0:
        for item in status:
            click.echo(decision_text(item, zone))
    # Like test(1): 0 for "due", 1 for "not due" (the number of ExitCode.FAILURE).
    sys.exit(int(ExitCode.OK if any(i.due for i in status) else ExitCode.FAILURE))


def _timetable(app: App) -> Timetable:
    """The config as the due decision reads it: without the schema when it is unchanged since
    a full validation (:mod:`psabill.config.validated`), else loaded, validated and noted."""
    validated = app.validated()
    if validated is not None:
        for warning in validated.warnings:  # as loading the config would have said
            warn(warning)
        return validated
    app.remember_validated()
    return app.loaded().config
