"""A plan as plain data: ``psabill plan --out plan.json`` and ``psabill sync --plan plan.json``.

The file carries the plan's lines and a fingerprint of every agreement the
plan touches, so applying it later can first check that the PSA still looks
the way it did when the plan was computed.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, get_args

from psabill.core.plan import Action, CatalogRepair, GuardTrip, Plan, PlanLine

PLAN_FORMAT = "psabill-plan/1"
_DECIMALS = ("current", "desired", "unit_price", "unit_cost")


def plan_to_data(plan: Plan, *, account: str, scope: tuple[str, ...]) -> dict[str, Any]:
    return {
        "format": PLAN_FORMAT,
        "account": account,
        "today": plan.today.isoformat(),
        "scope": list(scope),
        "lines": [_line_data(line) for line in plan.lines],
        "repairs": [_repair_data(repair) for repair in plan.repairs],
        "guard_trips": [asdict(trip) for trip in plan.guard_trips],
        "fingerprint": {str(k): list(v) for k, v in sorted(plan.fingerprint.items())},
    }


def _repair_data(repair: CatalogRepair) -> dict[str, Any]:
    data = asdict(repair)
    for name in ("price", "cost"):
        if data[name] is not None:
            data[name] = str(data[name])
    return data


def _repair_from(item: dict[str, Any]) -> CatalogRepair:
    values = dict(item)
    for name in ("price", "cost"):
        if values.get(name) is not None:
            values[name] = Decimal(values[name])
    return CatalogRepair(**values)


def _trip_from(item: Any) -> GuardTrip:
    if isinstance(item, str):  # plan files of 0.1.0.dev0 kept only the sentence
        return GuardTrip(customer="", label="", reasons=(item,))
    return GuardTrip(
        customer=str(item["customer"]),
        label=str(item["label"]),
        reasons=tuple(str(reason) for reason in item["reasons"]),
        allowed_by=str(item["allowed_by"]),
    )


def _line_data(line: PlanLine) -> dict[str, Any]:
    data = asdict(line)
    for name in _DECIMALS:
        if data[name] is not None:
            data[name] = str(data[name])
    return data


def plan_from_data(data: Any) -> tuple[Plan, tuple[str, ...], str]:
    """Parse plan data; ValueError with a clear message when it is not a psabill plan."""
    if not isinstance(data, dict) or data.get("format") != PLAN_FORMAT:
        raise ValueError(f"not a psabill plan (expected format {PLAN_FORMAT!r})")
    try:
        lines = tuple(_line_from(item) for item in data["lines"])
        repairs = tuple(_repair_from(item) for item in data["repairs"])
        fingerprint = {int(k): tuple(v) for k, v in data["fingerprint"].items()}
        plan = Plan(
            today=date.fromisoformat(data["today"]),
            lines=lines,
            repairs=repairs,
            guard_trips=tuple(_trip_from(item) for item in data["guard_trips"]),
            fingerprint=fingerprint,
        )
        return plan, tuple(data["scope"]), str(data["account"])
    except (KeyError, TypeError, ValueError, InvalidOperation, AttributeError) as exc:
        raise ValueError(f"the plan file is damaged: {exc!r}") from None


def _line_from(item: dict[str, Any]) -> PlanLine:
    names = {f.name for f in fields(PlanLine)}
    unknown = set(item) - names
    if unknown:
        raise ValueError(f"unknown line fields {sorted(unknown)}")
    values = dict(item)
    if values.get("action") not in get_args(Action):
        raise ValueError(f"unknown action {values.get('action')!r}")
    for name in _DECIMALS:
        if values.get(name) is not None:
            values[name] = Decimal(values[name])
    return PlanLine(**values)
