"""Halo's writes: ``POST`` arrays as upserts, and the recurring invoice line endpoints.

* ``POST /api/{Resource}`` takes a JSON **array**; an object without ``id`` (or ``id`` 0)
  is created, one with an ``id`` is updated field by field (reference §2.2). A recurring invoice
  posted *with* ``lines`` keeps only the lines it names: whether Halo deletes the others is
  unverified (§5, question 5), so this fake does the harmful thing.
* ``POST /api/RecurringInvoice/updatelines`` changes lines by ``id``; each must name its header
  (``ihid``) and may not set the quantity of a line Halo calculates.
* ``POST /api/RecurringInvoice/Lines`` appends lines, duplicates included.

Every array is checked whole before anything is written, so a refused request changes nothing.
"""

from __future__ import annotations

from typing import Any

from psabill.sandbox.halopsa.data import HaloWorld
from psabill.sandbox.halopsa.lists import HaloError, Resource

REQUIRED = {"clients": ("name",), "items": ("name",), "contracts": ("client_id",)}
REQUIRED["recurring"] = ("client_id",)


def records_of(body: Any) -> list[dict[str, Any]]:
    if not isinstance(body, list) or not all(isinstance(row, dict) for row in body):
        raise HaloError(400, "The request body must be a JSON array of objects.")
    if not body:
        raise HaloError(400, "The request body is an empty array.")
    return body


def calculated(line: dict[str, Any]) -> bool:
    """Whether Halo computes this line's quantity (from licences, users, assets...)."""
    kinds = ("quantity_licences", "quantity_users", "quantity_assets", "quantity_subscriptions")
    return bool(line.get("recurring_invoice_quantity_type")) or any(line.get(k) for k in kinds)


def upsert(world: HaloWorld, resource: Resource, rows: list[dict[str, Any]]) -> list[Any]:
    with world.lock:
        for row in rows:
            _check_upsert(world, resource, row)
        return [_upsert_one(world, resource.table, row) for row in rows]


def _check_upsert(world: HaloWorld, resource: Resource, row: dict[str, Any]) -> None:
    record_id = int(row.get("id") or 0)
    if record_id and world.get(resource.table, record_id) is None:
        raise HaloError(404, f"No {resource.name} found with id {record_id}.")
    if not record_id:
        missing = [f for f in REQUIRED.get(resource.table, ()) if not row.get(f)]
        if missing:
            raise HaloError(400, f"{resource.name}: {', '.join(missing)} is required.")


def _upsert_one(world: HaloWorld, table: str, row: dict[str, Any]) -> dict[str, Any]:
    record_id = int(row.get("id") or 0)
    fields = {k: v for k, v in row.items() if k not in ("id", "lines")}
    if record_id:
        record = world.get(table, record_id) or {}
        record.update(fields)
    else:
        record = {**_defaults(table), **fields, "id": world.new_id(table)}
    world.put(table, record)
    if table == "recurring" and isinstance(row.get("lines"), list):
        _replace_lines(world, record["id"], row["lines"])
    return record


def _defaults(table: str) -> dict[str, Any]:
    if table == "items":
        return {"inactive": False, "isrecurringitem": False, "description": None}
    if table == "clients":
        return {"inactive": False, "toplevel_id": 1}
    if table == "recurring":
        return {"is_recurring_invoice": True, "disabled": False, "contract_id": None}
    return {}


def _replace_lines(world: HaloWorld, ihid: int, lines: list[Any]) -> None:
    kept = {int(line["id"]) for line in lines if isinstance(line, dict) and line.get("id")}
    for line in world.lines_of(ihid):
        if line["id"] not in kept:
            del world.tables["lines"][line["id"]]
    for line in lines:
        if isinstance(line, dict) and line.get("id"):
            current = world.get("lines", int(line["id"]))
            if current is not None and current["ihid"] == ihid:
                world.put("lines", {**current, **line, "ihid": ihid})
        elif isinstance(line, dict):
            add_lines(world, [{**line, "ihid": ihid}])


def headers_touched(rows: list[dict[str, Any]]) -> set[int]:
    return {int(row["ihid"]) for row in rows if isinstance(row.get("ihid"), int)}


def update_lines(world: HaloWorld, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    with world.lock:
        for row in rows:
            line = world.get("lines", int(row.get("id") or 0))
            if line is None:
                raise HaloError(400, f"Invoice line {row.get('id')} does not exist.")
            if row.get("ihid") != line["ihid"]:
                raise HaloError(
                    400, f"Invoice line {line['id']} does not belong to invoice {row.get('ihid')}."
                )
            if "qty_order" in row and calculated(line):
                raise HaloError(
                    400,
                    f"The quantity of invoice line {line['id']} is calculated automatically "
                    "and cannot be changed.",
                )
        updated = []
        for row in rows:
            line = world.get("lines", int(row["id"])) or {}
            line.update({k: v for k, v in row.items() if k != "id"})
            updated.append(world.put("lines", line))
        return updated


def add_lines(world: HaloWorld, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    with world.lock:
        for row in rows:
            ihid = row.get("ihid")
            if not isinstance(ihid, int) or world.get("recurring", ihid) is None:
                raise HaloError(400, f"Recurring invoice {ihid} does not exist.")
            item_id = row.get("_itemid")
            if not isinstance(item_id, int) or world.get("items", item_id) is None:
                raise HaloError(400, f"Item {item_id} does not exist.")
        return [_add_line(world, row) for row in rows]


def _add_line(world: HaloWorld, row: dict[str, Any]) -> dict[str, Any]:
    item = world.get("items", int(row["_itemid"])) or {}
    header = world.get("recurring", int(row["ihid"])) or {}
    line = {
        "item_code": item.get("name"),
        "item_shortdescription": item.get("name"),
        "qty_order": 1,
        "unit_price": item.get("recurringprice") or item.get("baseprice") or 0,
        "unit_cost": item.get("recurringcost") or item.get("costprice") or 0,
        "contract_id": header.get("contract_id"),
        "startdate": None,
        "enddate": None,
        "isinactive": False,
        "recurring_invoice_quantity_type": 0,
        "quantity_licences": [],
        **{k: v for k, v in row.items() if k != "id"},
        "id": world.new_id("lines"),
    }
    return world.put("lines", line)
