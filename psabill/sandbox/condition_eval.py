"""Evaluating a parsed ``conditions`` tree (:mod:`.conditions`) against a row.

Owns the meaning of a condition; the parser owns its syntax. Semantics follow SQL Server, which
sits behind the real API:

* string comparisons are case-insensitive (the default collation);
* a ``null`` field never satisfies a comparison (``quantity != 5`` skips nulls); only
  ``= null`` / ``!= null`` test for it;
* ``like`` wildcards are ``%`` and ``*`` (any run) and ``_`` (one character); without a wildcard
  it is a case-insensitive equality;
* a field path such as ``company/id`` follows nested objects. :mod:`.query` has already refused
  a path that is unknown or spelt in another case, so the lookup here can be lenient.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from psabill.sandbox.conditions import BoolOp, Compare, Node, Value


def lookup(record: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    """Follow ``path`` into nested objects, keys matched case-insensitively; missing is None."""
    current: Any = record
    for name in path:
        if not isinstance(current, Mapping):
            return None
        if name in current:
            current = current[name]
            continue
        folded = name.casefold()
        current = next((v for k, v in current.items() if k.casefold() == folded), None)
    return current


def evaluate(node: Node, record: Mapping[str, Any]) -> bool:
    """Whether ``record`` satisfies the condition tree."""
    if isinstance(node, BoolOp):
        results = (evaluate(operand, record) for operand in node.operands)
        return all(results) if node.operator == "and" else any(results)
    return _compare(node, lookup(record, node.path))


def _compare(node: Compare, field: Any) -> bool:
    if node.value is None:
        return (field is None) != (node.operator == "!=")
    if field is None:
        return False  # SQL: a comparison with NULL is unknown, so the row is not selected
    if node.operator == "in":
        assert isinstance(node.value, tuple)
        found = any(_order(field, item) == 0 for item in node.value)
        return found != node.negated
    if node.operator in ("contains", "like"):
        assert not isinstance(node.value, tuple)
        haystack, needle = _text(field).casefold(), _text(node.value).casefold()
        hit = needle in haystack if node.operator == "contains" else _like(haystack, needle)
        return hit != node.negated
    assert not isinstance(node.value, tuple)
    order = _order(field, node.value)
    if order is None:
        return node.operator == "!="
    return {
        "=": order == 0,
        "!=": order != 0,
        "<": order < 0,
        "<=": order <= 0,
        ">": order > 0,
        ">=": order >= 0,
    }[node.operator]


def _order(field: Any, value: Value) -> int | None:
    """-1/0/1 comparing a field with a literal, or ``None`` when they cannot be compared."""
    left: Any
    right: Any
    if isinstance(value, bool):
        left, right = (field, value) if isinstance(field, bool) else (None, None)
    elif isinstance(value, Decimal):
        left, right = _number(field), value
    elif isinstance(value, datetime):
        left, right = _timestamp(field), value
    elif isinstance(field, bool):
        left, right = str(field).casefold(), str(value).casefold()
    elif isinstance(field, int | float):
        left, right = Decimal(str(field)), _number(value)
    else:
        left, right = _text(field).casefold(), str(value).casefold()
    if left is None or right is None:
        return None
    return int((left > right) - (left < right))


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def _text(value: Any) -> str:
    if isinstance(value, Decimal | float | int) and not isinstance(value, bool):
        number = Decimal(str(value))
        return (
            str(number.to_integral_value()) if number == number.to_integral_value() else str(value)
        )
    return str(value)


def _like(text: str, pattern: str) -> bool:
    regex = "".join(
        ".*" if char in "%*" else "." if char == "_" else re.escape(char) for char in pattern
    )
    return re.fullmatch(regex, text, re.DOTALL) is not None
