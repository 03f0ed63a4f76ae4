"""How a stored sandbox row looks from outside, and back: expansion and collapse.

Owns the two shapes of a row. The :class:`~psabill.sandbox.store.Store` keeps rows lean:
references as ``{"id": n}``, no computed fields. :func:`expand` turns a stored row into what
ConnectWise shows: references show the target's current ``id``/``identifier``/``name`` (plus an
``_info`` link when served over HTTP) and computed addition fields are filled in:

* ``billedQuantity = quantity - lessIncluded``; ``extPrice``/``extCost`` are that times
  ``unitPrice``/``unitCost``; ``margin = extPrice - extCost``;
* an agreement's ``agreementStatus`` comes from ``cancelledFlag``, ``startDate`` and ``endDate``
  on the store clock's day (:func:`agreement_status`); whatever a row stores there is ignored;
* an addition's ``agreementStatus`` is ``Cancelled`` once its ``cancelledDate`` is at or before
  the store clock, otherwise its agreement's ``agreementStatus``.

:func:`tables_from_dump` goes the other way for :meth:`Store.load`: computed fields are
dropped (and so recomputed when read, never trusted) and references shrink back to ids.

The functions here take the store's tables and clock as arguments and do no locking: the
store calls them with its lock held.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from psabill.sandbox.model import RESOURCES
from psabill.sandbox.schema import TABLES, Field, Ref, Table, json_copy, parse_timestamp

Tables = dict[Table, dict[int, dict[str, Any]]]
"""Every table's stored rows by id."""

DUMP_FORMAT = "psabill-sandbox/1"


def expand(
    tables: Tables,
    table: Table,
    row: Mapping[str, Any],
    api_url: str | None,
    now: Callable[[], datetime],
    only: frozenset[str] | None = None,
) -> dict[str, Any]:
    """The API view of the stored ``row`` of ``table``; ``now`` is read only when needed.

    ``only``: the casefolded top-level keys to show (the rest left out, the order kept), for a
    caller that reads no others (a list answer with ``fields``); ``None`` shows every key."""
    resource = RESOURCES[table]
    derived = _derived(tables, row, now) if table == "additions" else {}
    if table == "agreements":
        derived = {"agreementStatus": agreement_status(row, now())}
    view: dict[str, Any] = {}
    for field in resource.fields if only is None else _shown(table, only):
        value = row.get(field.name)
        if field.derived or field.name in derived:
            value = derived.get(field.name)
        elif field.ref is not None and isinstance(value, Mapping) and "id" in value:
            value = _reference(tables, field.ref, value["id"], api_url)
        elif isinstance(value, dict | list):  # scalars are immutable: no copy needed
            value = json_copy(value)
        view[field.name] = value
    if only is None or "_info" in only:
        view["_info"] = info_of(row)
    return view


@functools.lru_cache(maxsize=256)
def _shown(table: Table, only: frozenset[str]) -> tuple[Field, ...]:
    """The fields of ``table`` whose casefolded names are in ``only``, in spec order."""
    return tuple(f for f in RESOURCES[table].fields if f.name.casefold() in only)


def _reference(tables: Tables, ref: Ref, target_id: Any, api_url: str | None) -> dict[str, Any]:
    target = tables[ref.table].get(target_id)
    reference = {"id": target_id}
    if target is not None:
        reference.update({key: target.get(key) for key in ref.keys})
    if api_url is not None:
        resource = RESOURCES[ref.table]
        href = f"{api_url}/{resource.path}/{target_id}"
        reference["_info"] = {resource.href_key: href}
    return reference


def _derived(tables: Tables, row: Mapping[str, Any], now: Callable[[], datetime]) -> dict[str, Any]:
    billed = _dec(row.get("quantity")) - _dec(row.get("lessIncluded"))
    ext_price = billed * _dec(row.get("unitPrice"))
    ext_cost = billed * _dec(row.get("unitCost"))
    cancelled = row.get("cancelledDate")
    if isinstance(cancelled, str) and parse_timestamp(cancelled) <= now():
        status = "Cancelled"
    else:
        agreement = tables["agreements"].get(row.get("agreementId") or 0)
        status = "Active" if agreement is None else agreement_status(agreement, now())
    return {
        "billedQuantity": float(billed),
        "extPrice": float(ext_price),
        "extCost": float(ext_cost),
        "margin": float(ext_price - ext_cost),
        "agreementStatus": status,
    }


def agreement_status(row: Mapping[str, Any], now: datetime) -> str:
    """An agreement's ``agreementStatus`` on ``now``'s UTC day, derived when read, never stored.

    ``Cancelled`` when ``cancelledFlag``; else ``Inactive`` before ``startDate``'s day, ``Expired``
    after ``endDate``'s day (the end day itself still runs), else ``Active``.
    """
    if row.get("cancelledFlag"):
        return "Cancelled"
    today = now.astimezone(UTC).date()
    start, end = row.get("startDate"), row.get("endDate")
    if isinstance(start, str) and parse_timestamp(start).date() > today:
        return "Inactive"
    if isinstance(end, str) and parse_timestamp(end).date() < today:
        return "Expired"
    return "Active"


def _dec(value: Any) -> Decimal:
    return Decimal(str(value)) if isinstance(value, int | float) else Decimal(0)


def tables_from_dump(data: Mapping[str, Any]) -> Tables:
    """Stored rows from a :meth:`Store.dump`; ``ValueError`` when ``data`` is not one."""
    if not isinstance(data, Mapping) or data.get("format") != DUMP_FORMAT:
        raise ValueError(f"not a sandbox dump (expected format {DUMP_FORMAT!r})")
    tables: Tables = {}
    for table in TABLES:
        tables[table] = {}
        for view in data.get(table) or []:
            row = collapse(table, view)
            tables[table][row["id"]] = row
    return tables


def collapse(table: Table, view: Mapping[str, Any]) -> dict[str, Any]:
    """A stored row from an expanded one: drop computed fields, shrink references to ids."""
    record_id = view.get("id")
    if not isinstance(record_id, int) or isinstance(record_id, bool):
        raise ValueError(f"{table}: every row needs an integer id")
    row: dict[str, Any] = {"id": record_id}
    for field in RESOURCES[table].fields:
        if field.derived or field.name == "id":
            continue
        value = copy.deepcopy(view.get(field.name))
        if field.ref is not None and isinstance(value, Mapping) and "id" in value:
            value = {"id": value["id"]}
        row[field.name] = value
    info = view.get("_info")
    row["_info"] = (
        {k: v for k, v in info.items() if not k.endswith("_href") and k not in _ENTERED_KEYS}
        if isinstance(info, Mapping)
        else {}
    )
    if isinstance(info, Mapping) and any(k in info for k in _ENTERED_KEYS):
        row[ENTERED] = {k: info.get(k) for k in _ENTERED_KEYS}
    return row


ENTERED = "_entered"
"""Stored (never shown) key of a row updated since its creation: its ``dateEntered`` and
``enteredBy``. The store re-stamps ``_info`` on every write, so an update keeps them here
(:func:`entered`); a row never updated has none, and was entered when it was last updated."""
_ENTERED_KEYS = ("dateEntered", "enteredBy")


def entered(row: Mapping[str, Any]) -> dict[str, Any]:
    """``{"dateEntered", "enteredBy"}`` of a stored row (for :data:`ENTERED` on an update)."""
    stored = row.get(ENTERED)
    if isinstance(stored, Mapping):
        return {k: stored.get(k) for k in _ENTERED_KEYS}
    info = row.get("_info") or {}
    return {"dateEntered": info.get("lastUpdated"), "enteredBy": info.get("updatedBy")}


def info_of(row: Mapping[str, Any]) -> dict[str, Any]:
    """The ``_info`` ConnectWise shows: ``lastUpdated``/``updatedBy`` of the last write and
    ``dateEntered``/``enteredBy`` of the creation."""
    return {**dict(row.get("_info") or {}), **entered(row)}
