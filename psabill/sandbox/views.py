"""How a stored sandbox row looks from outside, and back: expansion and collapse.

Owns the two shapes of a row. The :class:`~psabill.sandbox.store.Store` keeps rows lean:
references as ``{"id": n}``, no computed fields. :func:`expand` turns a stored row into what
ConnectWise shows: references show the target's current ``id``/``identifier``/``name`` (plus an
``_info`` link when served over HTTP) and computed addition fields are filled in:

* ``billedQuantity = quantity - lessIncluded``; ``extPrice``/``extCost`` are that times
  ``unitPrice``/``unitCost``; ``margin = extPrice - extCost``;
* an addition's ``agreementStatus`` is ``Cancelled`` once its ``cancelledDate`` is at or before
  the store clock, otherwise its agreement's ``agreementStatus``.

:func:`tables_from_dump` goes the other way for :meth:`Store.load`: computed fields are
dropped (and so recomputed when read, never trusted) and references shrink back to ids.

The functions here take the store's tables and clock as arguments and do no locking: the
store calls them with its lock held.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from psabill.sandbox.model import RESOURCES
from psabill.sandbox.schema import TABLES, Ref, Table, parse_timestamp

Tables = dict[Table, dict[int, dict[str, Any]]]
"""Every table's stored rows by id."""

DUMP_FORMAT = "psabill-sandbox/1"


def expand(
    tables: Tables,
    table: Table,
    row: Mapping[str, Any],
    api_url: str | None,
    now: Callable[[], datetime],
) -> dict[str, Any]:
    """The API view of the stored ``row`` of ``table``; ``now`` is read only when needed."""
    resource = RESOURCES[table]
    derived = _derived(tables, row, now) if table == "additions" else {}
    view: dict[str, Any] = {}
    for field in resource.fields:
        value = row.get(field.name)
        if field.derived:
            value = derived.get(field.name)
        elif field.ref is not None and isinstance(value, Mapping) and "id" in value:
            value = _reference(tables, field.ref, value["id"], api_url)
        else:
            value = copy.deepcopy(value)
        view[field.name] = value
    view["_info"] = dict(row.get("_info") or {})
    return view


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
        agreement = tables["agreements"].get(row.get("agreementId") or 0) or {}
        status = agreement.get("agreementStatus") or "Active"
    return {
        "billedQuantity": float(billed),
        "extPrice": float(ext_price),
        "extCost": float(ext_cost),
        "margin": float(ext_price - ext_cost),
        "agreementStatus": status,
    }


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
        {k: v for k, v in info.items() if not k.endswith("_href")}
        if isinstance(info, Mapping)
        else {}
    )
    return row
