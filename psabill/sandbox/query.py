"""List query parameters: ``conditions``, ``orderBy``, ``fields``, paging and ``pageId``.

Behaviour (reference §3):

* Parameter names are matched case-insensitively (the real server is ASP.NET).
* ``conditions`` / ``orderBy`` naming an unknown top-level field answer 400; ``lastUpdated``
  is accepted as an alias of ``_info/lastUpdated`` as on the real API.
* ``orderBy=name asc, id desc`` — the direction is optional (``asc``); ties keep id order.
  Nulls sort first ascending, as in SQL Server. Strings sort case-insensitively.
* ``page`` is 1-based; ``pageSize`` defaults to 25 and is capped at 1000; values below 1 or
  non-numbers answer 400 (the real API's reaction is undocumented).
* Navigable paging always sends ``Link`` with ``first`` and ``last``; ``prev``/``next`` only when
  that page exists (a page past the end still gets ``prev``).
* Forward-only paging (header ``pagination-type: forward-only``): rows with ``id > pageId`` in
  id order, ``page`` ignored, ``orderBy`` refused with 400. ``Link`` is ``<...pageId=LAST>;
  rel="next"`` while more rows exist and an *empty* ``Link`` header on the final page — the
  signal ConnectWise's PowerShell module stops on (reference §3.4, open question in §9).
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from psabill.sandbox import conditions
from psabill.sandbox.api_errors import invalid_query
from psabill.sandbox.condition_eval import evaluate, lookup
from psabill.sandbox.schema import Resource

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 1000
Path = tuple[str, ...]
_ORDER_ITEM = re.compile(r"([A-Za-z_][\w/]*)(?:\s+(asc|desc))?", re.IGNORECASE)


@dataclass(frozen=True)
class ListQuery:
    condition: conditions.Node | None = None
    order: tuple[tuple[Path, bool], ...] = ()
    """``(path, descending)`` pairs, most significant first."""
    fields: tuple[Path, ...] | None = None
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    forward_only: bool = False
    page_id: int = 0


def parse_condition(text: str | None, resource: Resource) -> conditions.Node | None:
    if text is None or not text.strip():
        return None
    try:
        node = conditions.parse(text)
    except conditions.ConditionError as error:
        raise invalid_query(
            "conditions", "InvalidSyntax", f"Invalid conditions: {error}."
        ) from None
    node = _alias_last_updated(node, resource)
    for path in conditions.paths(node):
        _check_field(path, resource, "conditions")
    return node


def parse_list_query(
    params: Mapping[str, str], headers: Mapping[str, str], resource: Resource
) -> ListQuery:
    """Read the list parameters (lower-cased ``params`` and ``headers`` keys)."""
    for unsupported in ("childconditions", "customfieldconditions"):
        if params.get(unsupported, "").strip():
            message = f"The sandbox does not support {unsupported}."
            raise invalid_query(unsupported, "InvalidField", message)
    forward_only = headers.get("pagination-type", "").strip().lower() == "forward-only"
    order = _order(params.get("orderby"), resource)
    if forward_only and order:
        message = "orderBy cannot be used with forward-only pagination; rows come in id order."
        raise invalid_query("orderBy", "InvalidField", message)
    fields = params.get("fields")
    return ListQuery(
        condition=parse_condition(params.get("conditions"), resource),
        order=order,
        fields=parse_fields(fields),
        page=_positive(params, "page", 1),
        page_size=min(_positive(params, "pageSize", DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE),
        forward_only=forward_only,
        page_id=_positive(params, "pageId", 0, minimum=0),
    )


def parse_fields(text: str | None) -> tuple[Path, ...] | None:
    if text is None or not text.strip():
        return None
    return tuple(tuple(part.strip().split("/")) for part in text.split(",") if part.strip())


def select(rows: list[dict[str, Any]], query: ListQuery) -> list[dict[str, Any]]:
    """Filter and sort (rows arrive in id order; every sort is stable)."""
    if query.condition is not None:
        node = query.condition
        rows = [row for row in rows if evaluate(node, row)]
    if query.forward_only:
        return [row for row in rows if row["id"] > query.page_id]
    for path, descending in reversed(query.order):
        rows.sort(key=_sort_key_for(path), reverse=descending)
    return rows


def paginate(
    rows: list[dict[str, Any]], query: ListQuery, link_base: str, params: Sequence[tuple[str, str]]
) -> tuple[list[dict[str, Any]], str]:
    """The requested page and its ``Link`` header value (possibly empty)."""
    size = query.page_size
    if query.forward_only:
        page = rows[:size]
        if len(rows) <= size:
            return page, ""
        return page, f'<{_link(link_base, params, "pageId", page[-1]["id"])}>; rel="next"'
    last = max(1, math.ceil(len(rows) / size))
    start = (query.page - 1) * size
    rels = [("first", 1)]
    if query.page > 1:
        rels.append(("prev", query.page - 1))
    if query.page < last:
        rels.append(("next", query.page + 1))
    rels.append(("last", last))
    links = ", ".join(f'<{_link(link_base, params, "page", n)}>; rel="{rel}"' for rel, n in rels)
    return rows[start : start + size], links


def project(view: Mapping[str, Any], fields: tuple[Path, ...] | None) -> dict[str, Any]:
    """The partial response for ``fields``; unknown paths are left out, as the real API does."""
    if fields is None:
        return dict(view)
    result: dict[str, Any] = {}
    for path in fields:
        _copy_path(view, result, path)
    return result


def _copy_path(source: Mapping[str, Any], target: dict[str, Any], path: Path) -> None:
    key = _key(source, path[0])
    if key is None:
        return
    value = source[key]
    if len(path) == 1:
        target[key] = value
    elif isinstance(value, Mapping):
        child = target.setdefault(key, {})
        if isinstance(child, dict):
            _copy_path(value, child, path[1:])


def _key(mapping: Mapping[str, Any], name: str) -> str | None:
    if name in mapping:
        return name
    return next((k for k in mapping if k.casefold() == name.casefold()), None)


def _sort_key_for(path: Path) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    return lambda row: _sort_key(lookup(row, path))


def _sort_key(value: Any) -> tuple[Any, ...]:
    if value is None:
        return (0,)
    if isinstance(value, bool | int | float):
        return (1, float(value))
    if isinstance(value, str):
        return (2, value.casefold())
    return (3, json.dumps(value, sort_keys=True))


def _order(text: str | None, resource: Resource) -> tuple[tuple[Path, bool], ...]:
    if text is None or not text.strip():
        return ()
    order: list[tuple[Path, bool]] = []
    for item in text.split(","):
        match = _ORDER_ITEM.fullmatch(item.strip())
        if match is None:
            message = f"Invalid orderBy item {item.strip()!r}; use 'field asc' or 'field desc'."
            raise invalid_query("orderBy", "InvalidSyntax", message)
        path = tuple(match.group(1).split("/"))
        _check_field(path, resource, "orderBy")
        order.append((path, (match.group(2) or "asc").lower() == "desc"))
    return tuple(order)


def _check_field(path: Path, resource: Resource, parameter: str) -> None:
    if not resource.knows(path[0]):
        message = f"Unknown field '{'/'.join(path)}' for {resource.name}."
        raise invalid_query(parameter, "InvalidField", message)


def _alias_last_updated(node: conditions.Node, resource: Resource) -> conditions.Node:
    if isinstance(node, conditions.BoolOp):
        operands = tuple(_alias_last_updated(child, resource) for child in node.operands)
        return dataclasses.replace(node, operands=operands)
    if node.path[0].casefold() == "lastupdated" and not resource.knows("lastUpdated"):
        return dataclasses.replace(node, path=("_info", "lastUpdated", *node.path[1:]))
    return node


def _positive(params: Mapping[str, str], name: str, default: int, *, minimum: int = 1) -> int:
    text = params.get(name.lower())
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise invalid_query(
            name, "InvalidField", f"{name} must be an integer of at least {minimum}."
        )
    return value


def _link(base: str, params: Sequence[tuple[str, str]], name: str, value: int) -> str:
    kept = [(k, v) for k, v in params if k.lower() != name.lower()]
    return f"{base}?{urlencode([*kept, (name, str(value))], quote_via=quote)}"
