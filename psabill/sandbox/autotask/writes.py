"""Creates and updates in the fake Autotask, and the one way units change: an adjustment.

An adjustment (reference §1.6-§1.7) needs ``contractID``, ``serviceID``, ``effectiveDate`` and an
integer ``unitChange``; the contract must be an active Recurring Service contract covering the
date. It creates the ContractService when the contract lacks one for the service; adjustments on
one day add up.
"""

from __future__ import annotations

from typing import Any

from psabill.sandbox.autotask.data import (
    ACTIVE,
    RECURRING_SERVICE,
    AutotaskWorld,
    add_contract_service,
    at_date,
    parse_day,
)
from psabill.sandbox.autotask.query import AutotaskError

REQUIRED = {
    "Companies": ("companyName",),
    "Contracts": ("companyID", "contractName", "contractType", "status", "startDate", "endDate"),
    "Services": ("name", "unitPrice", "unitCost", "periodType"),
}
PATCHABLE = {"ContractServices": {"adjustedPrice", "invoiceDescription"}}


def create(world: AutotaskWorld, entity: str, body: Any) -> int:
    if not isinstance(body, dict):
        raise AutotaskError(500, "The request body must be a JSON object.")
    if body.get("id") not in (None, 0):
        raise AutotaskError(500, "A new entity cannot have an id.")
    if entity == "ContractServiceAdjustments":
        return adjust(world, body)
    if entity not in REQUIRED:
        message = "The requested resource does not support http method 'POST'."
        raise AutotaskError(405, message)
    missing = [name for name in REQUIRED[entity] if body.get(name) in (None, "")]
    if missing:
        raise AutotaskError(500, *(f"{name}: Value is required." for name in missing))
    with world.lock:
        if entity == "Contracts" and body["companyID"] not in world.tables["Companies"]:
            raise AutotaskError(500, f"companyID: {body['companyID']} does not exist.")
        return world.add(entity, {k: v for k, v in body.items() if k != "id"})


def update(world: AutotaskWorld, entity: str, body: Any) -> int:
    if entity not in REQUIRED and entity not in PATCHABLE:
        raise AutotaskError(405, "The requested resource does not support http method 'PATCH'.")
    if not isinstance(body, dict) or not isinstance(body.get("id"), int):
        raise AutotaskError(500, "An update needs the entity's id in the body.")
    with world.lock:
        record = world.tables[entity].get(body["id"])
        if record is None:
            raise AutotaskError(500, "No matching records found.")
        allowed = PATCHABLE.get(entity, set(record))
        refused = sorted(set(body) - allowed - {"id"})
        if refused:
            raise AutotaskError(500, *(f"{name}: the field cannot be updated." for name in refused))
        record.update(body)
        return int(body["id"])


def adjust(world: AutotaskWorld, body: dict[str, Any]) -> int:
    """Stricter than Autotask where the reference is unsure: an adjustment leaving 0 units or
    fewer on any day from its date is refused (§1.7's open question), and so is one dated in
    an approved-and-posted period, or naming a contract service of another pair."""
    missing = [
        n for n in ("contractID", "serviceID", "effectiveDate", "unitChange") if n not in body
    ]
    if missing:
        raise AutotaskError(500, *(f"{name}: Value is required." for name in missing))
    change, day = body["unitChange"], parse_day(body["effectiveDate"])
    if isinstance(change, bool) or not isinstance(change, int) or day is None:
        raise AutotaskError(500, "unitChange must be a whole number and effectiveDate a date.")
    with world.lock:
        contract = world.tables["Contracts"].get(body["contractID"])
        if contract is None or body["serviceID"] not in world.tables["Services"]:
            raise AutotaskError(500, "The contract or the service does not exist.")
        _check_contract(contract, day)
        posted = world.posted_until.get(contract["id"])
        if posted is not None and day <= posted:
            raise AutotaskError(
                500,
                "Unable to make changes as it would result in the deletion/modification of an "
                "already approved and posted contract period.",
            )
        found = _find_link(world, contract["id"], body["serviceID"])
        named = body.get("contractServiceID")
        if named is not None and named != found:
            raise AutotaskError(
                500, f"contractServiceID {named} does not belong to this contract and service."
            )
        if found is not None:
            later = {day} | {
                a.effective for a in world.adjustments if a.contract_service_id == found
            }
            if any(world.units_on(found, d) + change <= 0 for d in later if d >= day):
                raise AutotaskError(
                    500, "The adjustment would leave the contract service with no units."
                )
        elif change <= 0:
            raise AutotaskError(
                500, "The adjustment would leave the contract service with no units."
            )
        link = (
            found
            if found is not None
            else add_contract_service(world, contract["id"], body["serviceID"])
        )
        made = world.adjust(contract["id"], body["serviceID"], link, day, change, seeded=False)
        return made.id


def _check_contract(contract: dict[str, Any], day: Any) -> None:
    if contract["contractType"] != RECURRING_SERVICE:
        raise AutotaskError(500, "Service adjustments need a Recurring Service contract.")
    if contract["status"] != ACTIVE:
        raise AutotaskError(500, "The contract is not active.")
    start, end = parse_day(contract["startDate"]), parse_day(contract["endDate"])
    if start is None or end is None or not start <= day <= end:
        raise AutotaskError(500, f"effectiveDate {at_date(day)} is outside the contract's dates.")


def _find_link(world: AutotaskWorld, contract_id: int, service_id: int) -> int | None:
    """The ContractService for the pair; an adjustment creates it when missing (as Autotask)."""
    for record in world.tables["ContractServices"].values():
        if record["contractID"] == contract_id and record["serviceID"] == service_id:
            return int(record["id"])
    return None
