"""Saved plans on disk: write ``plan --out``, read ``sync --plan``, and refuse a stale one."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

from psabill.core.plan import Plan, Snapshot, fingerprint_of
from psabill.core.planfile import plan_from_data, plan_to_data
from psabill.errors import StalePlanError, UsageError


def save_plan(path: Path, plan: Plan, *, account: str, scope: tuple[str, ...]) -> None:
    data = plan_to_data(plan, account=account, scope=scope)
    temp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, ensure_ascii=False)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)


def load_plan(path: Path, *, account: str) -> Plan:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        plan, _scope, plan_account = plan_from_data(data)
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the plan: {exc.strerror}") from None
    except ValueError as exc:  # json.JSONDecodeError is a ValueError
        raise UsageError(f"{path}: {exc}", hint="make one with `psabill plan --out FILE`") from None
    if plan_account != account:
        raise UsageError(f"{path}: the plan is for account {plan_account!r}, not {account!r}")
    return plan


def check_fingerprint(plan: Plan, snapshot: Snapshot) -> None:
    """Refuse a saved plan if any agreement it touches changed since it was computed."""
    changes = []
    for agreement_id, expected in sorted(plan.fingerprint.items()):
        actual = fingerprint_of(snapshot.additions.get(agreement_id, ()))
        if tuple(actual) != tuple(expected):
            gone = sorted(set(expected) - set(actual))
            new = sorted(set(actual) - set(expected))
            changes.append(f"agreement #{agreement_id}: was {_show(gone)}, now {_show(new)}")
    if changes:
        raise StalePlanError(
            "the PSA changed since the plan was computed: " + "; ".join(changes),
            hint="compute a fresh plan with `psabill plan --out FILE` and review it",
        )


def check_renamed(plan: Plan, snapshot: Snapshot, known: Mapping[tuple[str, str], int]) -> None:
    """Refuse a saved plan that would create a second addition beside one psabill synced
    for the same customer and SKU whose PSA product has since been renamed."""
    problems = []
    for line in plan.lines:
        addition_id = known.get((line.customer, line.sku))
        if line.action != "create" or addition_id is None or line.agreement_id is None:
            continue
        for addition in snapshot.additions.get(line.agreement_id, ()):
            if addition.id == addition_id and not addition.is_cancelled(plan.today):
                problems.append(
                    f"{line.customer_label} {line.sku}: addition #{addition_id} synced before "
                    f"now bills {addition.product_identifier!r}"
                )
    if problems:
        raise StalePlanError(
            "the plan would create a second addition: " + "; ".join(problems),
            hint="map the SKU to the renamed PSA product, then make a fresh plan",
        )


def _show(entries: list[str]) -> str:
    """``"7:CAT-A:5:Active:None"`` -> ``"#7 CAT-A x5"``."""
    if not entries:
        return "nothing"
    shown = []
    for entry in entries:
        parts = entry.split(":")
        if len(parts) >= 3:
            state = "" if parts[3:4] == ["Active"] else f" ({parts[3]})"
            shown.append(f"#{parts[0]} {parts[1]} x{parts[2]}{state}")
        else:
            shown.append(entry)
    return ", ".join(shown)
