"""List query parameters: ``conditions``, ``orderBy``, ``fields``, paging and ``pageId``.

Behaviour (reference §3):

* Parameter names are matched case-insensitively (the real server is ASP.NET).
* ``conditions`` / ``orderBy`` name fields exactly: a path must lead to one value the sandbox
  serves (``identifier``, ``company/id``, ``status/name``, ``_info/lastUpdated``), spelt in its
  case. An unknown field at any depth, a wrong case or a whole reference (``company = 1``)
  answers 400; the reference does not say how the real API treats these, so the sandbox takes
  the strict reading. ``lastUpdated`` is accepted as an alias of ``_info/lastUpdated`` as on the
  real API.
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
from psabill.sandbox.condition_eval import lookup, predicate
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


def shown_keys(query: ListQuery) -> frozenset[str] | None:
    """The casefolded top-level keys a list answer reads from each row: those ``fields`` asks
    for, and those its conditions, ``orderBy`` and paging name; ``None``: every key."""
    if query.fields is None:
        return None
    paths = [*query.fields, *(path for path, _ in query.order), ("id",)]
    if query.condition is not None:
        paths += conditions.paths(query.condition)
    return frozenset(path[0].casefold() for path in paths)


def parse_fields(text: str | None) -> tuple[Path, ...] | None:
    if text is None or not text.strip():
        return None
    return tuple(tuple(part.strip().split("/")) for part in text.split(",") if part.strip())


def select(rows: list[dict[str, Any]], query: ListQuery) -> list[dict[str, Any]]:
    """Filter and sort (rows arrive in id order; every sort is stable)."""
    if query.condition is not None:
        matches = predicate(query.condition)
        rows = [row for row in rows if matches(row)]
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
        link = _linker(link_base, params, "pageId")
        return page, f'<{link(page[-1]["id"])}>; rel="next"'
    last = max(1, math.ceil(len(rows) / size))
    start = (query.page - 1) * size
    rels = [("first", 1)]
    if query.page > 1:
        rels.append(("prev", query.page - 1))
    if query.page < last:
        rels.append(("next", query.page + 1))
    rels.append(("last", last))
    link = _linker(link_base, params, "page")
    links = ", ".join(f'<{link(n)}>; rel="{rel}"' for rel, n in rels)
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


_SCALARS = ("str", "int", "float", "bool", "date", "enum")
_OBJECT_KEYS: dict[str, tuple[str, ...]] = {
    "status": ("id", "name"),
    "contact": ("id", "name"),
    "billingCycle": ("id", "name"),
    "category": ("id", "name"),
    "country": ("id", "identifier", "name"),
    "parentAgreement": ("id", "name", "type", "chargeFirmFlag"),
}
"""Keys of the reference objects stored whole (``json`` fields), from the spec's ``*Reference``
schemas. Any other non-scalar field (an array, a record the sandbox does not keep) cannot be
filtered or sorted on here."""
_INFO_KEYS = ("lastUpdated", "updatedBy")
_PATHS: dict[str, frozenset[Path]] = {}


def field_paths(resource: Resource) -> frozenset[Path]:
    """Every path to one value of ``resource`` that ``conditions`` and ``orderBy`` may name."""
    known = _PATHS.get(resource.table)
    if known is None:
        paths: set[Path] = {("_info", key) for key in _INFO_KEYS}
        for field in resource.fields:
            if field.kind in _SCALARS:
                paths.add((field.name,))
            elif field.ref is not None:
                paths.update((field.name, key) for key in ("id", *field.ref.keys))
            elif field.kind == "json":
                paths.update((field.name, key) for key in _OBJECT_KEYS.get(field.name, ()))
        known = _PATHS[resource.table] = frozenset(paths)
    return known


def _check_field(path: Path, resource: Resource, parameter: str) -> None:
    known = field_paths(resource)
    if path in known:
        return
    name = "/".join(path)
    names = ["/".join(p) for p in known] + ["lastUpdated"]  # the alias of _info/lastUpdated
    spelt = sorted(n for n in names if n.casefold() == name.casefold())
    below = sorted("/".join(p) for p in known if p[: len(path)] == path)
    if spelt:
        hint = f" (field names are case-sensitive: {spelt[0]})"
    elif below:
        hint = f"; it is an object, name one of its fields: {', '.join(below)}"
    elif resource.field(path[0]) is not None and all(p[0] != path[0] for p in known):
        hint = f"; the sandbox cannot filter or sort on {path[0]}"
    else:
        hint = ""
    message = f"Unknown field '{name}' for {resource.name}{hint}."
    raise invalid_query(parameter, "InvalidField", message)


def _alias_last_updated(node: conditions.Node, resource: Resource) -> conditions.Node:
    if isinstance(node, conditions.BoolOp):
        operands = tuple(_alias_last_updated(child, resource) for child in node.operands)
        return dataclasses.replace(node, operands=operands)
    if node.path[0] == "lastUpdated" and resource.field("lastUpdated") is None:
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


def _linker(base: str, params: Sequence[tuple[str, str]], name: str) -> Callable[[int], str]:
    """The link to ``params`` with ``name`` set to a value; the rest is encoded only once."""
    kept = urlencode([(k, v) for k, v in params if k.lower() != name.lower()], quote_via=quote)
    prefix = f"{base}?{kept}&" if kept else f"{base}?"
    return lambda value: prefix + urlencode([(name, str(value))], quote_via=quote)
