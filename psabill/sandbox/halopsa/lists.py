"""Halo's ``GET`` lists and single records (reference §2.2).

A list answers ``{"record_count": total, "<key>": [...]}`` under a key named per resource; with
``pageinate=true`` it holds page ``page_no`` (from 1) of ``page_size`` records, else all of them.
Halo does not document a largest page (§5, question 9): this fake serves at most
:data:`MAX_PAGE_SIZE` a page whatever ``page_size`` asks, so a client must page by the count it
got, not by the count it asked for. Inactive clients, items and (cancelled) contracts are left out
unless ``includeinactive=true``; recurring invoice lines come only with ``includelines=true`` (a
list) or ``includedetails=true`` (one record).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psabill.sandbox.halopsa.data import HaloWorld

MAX_PAGE_SIZE = 999
DEFAULT_PAGE_SIZE = 50


@dataclass(frozen=True)
class Resource:
    name: str
    table: str
    key: str
    searched: tuple[str, ...]


RESOURCES = {
    r.name.lower(): r
    for r in (
        Resource("Client", "clients", "clients", ("name",)),
        Resource("ClientContract", "contracts", "contracts", ("ref",)),
        Resource("RecurringInvoice", "recurring", "invoices", ("reference", "contract_ref")),
        Resource("Item", "items", "items", ("name", "description")),
        Resource("Invoice", "invoices", "invoices", ("invoicenumber",)),
    )
}


class HaloError(Exception):
    """An error answer: ``status`` and Halo's (undocumented, plain text) message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def truthy(value: str | None) -> bool:
    return value is not None and value.strip().lower() in ("true", "1", "yes")


def list_records(world: HaloWorld, resource: Resource, params: dict[str, str]) -> dict[str, Any]:
    rows = [row for row in world.records(resource.table) if _kept(resource, row, params)]
    total = len(rows)
    answer: dict[str, Any] = {"record_count": total}
    if truthy(params.get("pageinate")):
        size = min(_number(params, "page_size", DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE)
        page = _number(params, "page_no", 1)
        if size < 1 or page < 1:
            raise HaloError(400, "page_size and page_no must be positive.")
        rows = rows[(page - 1) * size : page * size]
        answer.update(page_no=page, page_size=size)
    elif "count" in params:
        rows = rows[: _number(params, "count", total)]
    if resource.table == "recurring" and truthy(params.get("includelines")):
        for row in rows:
            row["lines"] = world.lines_of(row["id"])
    answer[resource.key] = rows
    return answer


def get_record(
    world: HaloWorld, resource: Resource, record_id: int, params: dict[str, str]
) -> dict[str, Any]:
    row = world.get(resource.table, record_id)
    if row is None:
        raise HaloError(404, f"No {resource.name} found with id {record_id}.")
    if resource.table == "recurring" and truthy(params.get("includedetails")):
        row["lines"] = world.lines_of(record_id)
    return row


def _kept(resource: Resource, row: dict[str, Any], params: dict[str, str]) -> bool:
    if not truthy(params.get("includeinactive")) and _inactive(resource, row):
        return False
    for name in ("client_id", "contract_id"):
        if name in params and name in row and str(row[name]) != params[name].strip():
            return False
    if "client_ids" in params and "client_id" in row:
        wanted = {part.strip() for part in params["client_ids"].split(",") if part.strip()}
        if str(row["client_id"]) not in wanted:
            return False
    if truthy(params.get("recurringonly")) and not row.get("isrecurringitem"):
        return False
    text = (params.get("search") or "").strip().casefold()
    return not text or any(text in str(row.get(f) or "").casefold() for f in resource.searched)


def _inactive(resource: Resource, row: dict[str, Any]) -> bool:
    if resource.table in ("clients", "items"):
        return bool(row.get("inactive"))
    if resource.table == "contracts":
        return row.get("contract_status") == "Cancelled"
    return False


def _number(params: dict[str, str], name: str, default: int) -> int:
    value = params.get(name)
    if value is None or not value.strip():
        return default
    try:
        return int(value)
    except ValueError:
        raise HaloError(400, f"The value '{value}' is not valid for {name}.") from None
