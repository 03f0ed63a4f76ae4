"""Autotask query bodies: filter evaluation, ``MaxRecords`` and ``nextPageUrl`` paging.

A body is ``{"filter": [...], "MaxRecords": n, "IncludeFields": [...]}``; the top-level conditions
are and-ed. Operators are Autotask's thirteen plus ``and``/``or`` groups; anything else, an empty
filter, or ``MaxRecords`` outside 1-500 is refused with HTTP 500 and ``{"errors": [...]}``, as the
real API does (reference §1.2-§1.3). A page that is not the last carries a ``nextPageUrl`` ending
``/query/next?paging=<token>``, good only for a POST of the very same body.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from psabill.sandbox.autotask.data import parse_day

MAX_PAGE = 500
MAX_OR = 500
"""Values an ``in`` list may hold (reference §1.2: at most 500 OR conditions)."""


class AutotaskError(Exception):
    """An answer of ``status`` with Autotask's ``{"errors": [...]}`` body."""

    def __init__(self, status: int, *messages: str) -> None:
        super().__init__("; ".join(messages))
        self.status, self.messages = status, list(messages)


def _comparable(left: Any, right: Any) -> tuple[Any, Any]:
    """Dates compare as calendar dates, whatever the time part each side was written with."""
    left_day, right_day = parse_day(left), parse_day(right)
    if isinstance(left_day, date) and isinstance(right_day, date):
        return left_day, right_day
    return left, right


def _ordered(test: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def check(field: Any, value: Any) -> bool:
        a, b = _comparable(field, value)
        try:
            return field is not None and test(a, b)
        except TypeError:
            return False

    return check


def _text(test: Callable[[str, str], bool]) -> Callable[[Any, Any], bool]:
    return lambda field, value: isinstance(field, str) and test(field.lower(), str(value).lower())


def _equal(field: Any, value: Any) -> bool:
    """Text compares case-insensitively, as Autotask's SQL Server collation does."""
    a, b = _comparable(field, value)
    if isinstance(a, str) and isinstance(b, str):
        return a.casefold() == b.casefold()
    return bool(a == b)


def _member(field: Any, value: Any) -> bool:
    if not isinstance(value, list):
        raise AutotaskError(500, "The 'in' operator needs a list of values.")
    if len(value) > MAX_OR:
        raise AutotaskError(500, f"A query can hold at most {MAX_OR} OR conditions.")
    return any(_equal(field, item) for item in value)


OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": _equal,
    "noteq": lambda f, v: not _equal(f, v),
    "gt": _ordered(lambda a, b: a > b),
    "gte": _ordered(lambda a, b: a >= b),
    "lt": _ordered(lambda a, b: a < b),
    "lte": _ordered(lambda a, b: a <= b),
    "beginswith": _text(str.startswith),
    "endswith": _text(str.endswith),
    "contains": _text(lambda a, b: b in a),
    "exist": lambda f, v: f is not None,
    "notexist": lambda f, v: f is None,
    "in": _member,
    "notin": lambda f, v: not _member(f, v),
}


def matches(record: dict[str, Any], condition: Any) -> bool:
    if not isinstance(condition, dict) or not isinstance(condition.get("op"), str):
        raise AutotaskError(500, "Each filter condition needs an 'op'.")
    op = condition["op"].lower()
    if op in ("and", "or"):
        items = condition.get("items")
        if not isinstance(items, list) or not items:
            raise AutotaskError(500, f"An '{op}' group needs 'items'.")
        results = [matches(record, item) for item in items]
        return all(results) if op == "and" else any(results)
    test = OPERATORS.get(op)
    if test is None:
        raise AutotaskError(500, f"Unknown filter operator '{condition['op']}'.")
    fields = {name.lower(): name for name in record}
    name = condition.get("field")
    if not isinstance(name, str) or name.lower() not in fields:
        raise AutotaskError(500, f"Unable to find {name} in the entity's field list.")
    return test(record[fields[name.lower()]], condition.get("value"))


@dataclass(frozen=True)
class QueryBody:
    filter: list[Any]
    max_records: int
    include: tuple[str, ...]
    canonical: str


def parse_body(body: Any) -> QueryBody:
    if not isinstance(body, dict):
        raise AutotaskError(500, "The query body must be a JSON object with a 'filter'.")
    keys = {key.lower(): value for key, value in body.items()}
    conditions = keys.get("filter")
    if not isinstance(conditions, list) or not conditions:
        raise AutotaskError(500, "A query needs at least one filter condition.")
    size = keys.get("maxrecords", MAX_PAGE)
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_PAGE:
        raise AutotaskError(500, "maxCountOfRecordsToReturn must be between 1 and 500")
    include = keys.get("includefields") or []
    canonical = json.dumps(body, sort_keys=True)
    return QueryBody(conditions, size, tuple(str(name) for name in include), canonical)


class Cursors:
    """Server-side paging tokens: each names the entity, the body it belongs to and an offset."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[str, str, int]] = {}

    def issue(self, entity: str, body: QueryBody, offset: int) -> str:
        token = secrets.token_urlsafe(12)
        with self._lock:
            self._tokens[token] = (entity.lower(), body.canonical, offset)
        return token

    def resume(self, token: str, entity: str, body: QueryBody) -> int:
        with self._lock:
            found = self._tokens.get(token)
        if found is None or found[0] != entity.lower():
            raise AutotaskError(500, "The paging token is not valid.")
        if found[1] != body.canonical:
            raise AutotaskError(
                500, "The query does not match the paging token; POST the same body."
            )
        return found[2]


def run_query(
    records: list[dict[str, Any]], body: QueryBody, offset: int
) -> tuple[list[dict[str, Any]], int | None]:
    """The page at ``offset`` (ordered by id) and the next page's offset, if there is one."""
    found = [r for r in records if all(matches(r, c) for c in body.filter)]
    page = found[offset : offset + body.max_records]
    if body.include:
        wanted = {name.lower() for name in body.include} | {"id"}
        page = [{k: v for k, v in r.items() if k.lower() in wanted} for r in page]
    following = offset + body.max_records
    return page, following if following < len(found) else None
