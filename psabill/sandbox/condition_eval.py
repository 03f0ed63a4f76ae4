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
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from psabill.sandbox.conditions import BoolOp, Compare, Node, Value
from psabill.sandbox.schema import Resource

Predicate = Callable[[Mapping[str, Any]], bool]


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


def predicate(node: Node) -> Predicate:
    """:func:`evaluate` of ``node`` prepared once for many rows, with the same answers.

    An ``in`` list becomes sets of its values as each kind of field compares with them
    (:class:`_Members`), so a row costs a few look-ups instead of one comparison per value:
    a client's ``id in (...)`` of a thousand ids against thousands of rows stays cheap."""
    if isinstance(node, BoolOp):
        parts = tuple(predicate(operand) for operand in node.operands)
        if node.operator == "and":
            return lambda record: all(part(record) for part in parts)
        return lambda record: any(part(record) for part in parts)
    path = node.path
    if node.operator == "in" and isinstance(node.value, tuple):
        members, negated = _Members.of(node.value), node.negated
        return lambda record: members.holds(lookup(record, path), negated)
    return lambda record: _compare(node, lookup(record, path))


def stored_filter(node: Node | None, resource: Resource) -> Predicate | None:
    """A test on *stored* rows (:class:`~psabill.sandbox.store.Store`) that every row whose
    expanded view satisfies ``node`` passes, or ``None`` when there is none worth having.

    It keeps the conditions joined to the whole by ``and`` that name a stored field shown as
    stored (``identifier``, ``id``) or a reference's id (``company/id``): those read the same
    value in both shapes, so rows failing one can be skipped before they are expanded. The
    caller still evaluates ``node`` on the expanded rows that pass."""
    if node is None:
        return None
    conjuncts = node.operands if isinstance(node, BoolOp) and node.operator == "and" else (node,)
    usable = tuple(c for c in conjuncts if isinstance(c, Compare) and _stored_as_shown(c, resource))
    if not usable:
        return None
    return predicate(usable[0] if len(usable) == 1 else BoolOp("and", usable))


def _stored_as_shown(node: Compare, resource: Resource) -> bool:
    field = resource.field(node.path[0])
    if field is None or field.derived:
        return False
    if resource.table == "agreements" and field.name == "agreementStatus":
        return False  # computed when read (see views.expand), whatever the row stores
    if len(node.path) == 1:
        return field.ref is None and field.kind != "unlinked"
    return len(node.path) == 2 and node.path[1] == "id" and field.ref is not None


@dataclass(frozen=True)
class _Members:
    """The values of an ``in`` list, keyed as :func:`_order` compares each kind of field."""

    values: tuple[Value, ...]
    flags: frozenset[bool]
    numbers: frozenset[Decimal]
    """Number values (a text field matches one when its text is that number)."""
    numeric_texts: frozenset[Decimal]
    """Text values that are numbers (a number field matches those as well)."""
    times: frozenset[datetime]
    texts: frozenset[str]
    """Text and null values, casefolded (a text or boolean field compares as text)."""

    @classmethod
    def of(cls, values: tuple[Value, ...]) -> _Members:
        texts = [v for v in values if isinstance(v, str) or v is None]
        return cls(
            values=values,
            flags=frozenset(v for v in values if isinstance(v, bool)),
            numbers=frozenset(v for v in values if isinstance(v, Decimal)),
            numeric_texts=frozenset(n for v in texts if (n := _number(v)) is not None),
            times=frozenset(v for v in values if isinstance(v, datetime)),
            texts=frozenset(str(v).casefold() for v in texts),
        )

    def holds(self, field: Any, negated: bool) -> bool:
        """``field in (values)`` (or ``not in``) as :func:`_compare` answers it."""
        if field is None:
            return False  # SQL: a comparison with NULL is unknown, so the row is not selected
        return self._found(field) != negated

    def _found(self, field: Any) -> bool:
        if isinstance(field, bool):
            return field in self.flags or str(field).casefold() in self.texts
        if isinstance(field, int | float):
            number = Decimal(str(field))
            if not number.is_finite():  # rare: keep _order's exact answer (or error)
                return any(_order(field, value) == 0 for value in self.values)
            return number in self.numbers or number in self.numeric_texts
        if self.numbers and _number(field) in self.numbers:
            return True
        if self.times and _timestamp(field) in self.times:
            return True
        return _text(field).casefold() in self.texts


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
