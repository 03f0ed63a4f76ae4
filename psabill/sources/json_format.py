"""JSON usage: a list of records, or an object whose ``"usage"`` member is that list.

Numbers are read as :class:`~decimal.Decimal` (never through ``float``), so
``12.10`` seats stay exactly that. ``NaN`` and ``Infinity``, which Python's
``json`` accepts, become non-finite decimals and are refused by the row rules.
An object that repeats a key (``{"seats": 40, "seats": 4}``) is refused:
Python keeps the last value, and psabill will not bill a guess.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal

from psabill.errors import SourceError
from psabill.sources.parse import RawRow, show

ROOT_KEY = "usage"


def parse_json(text: str, label: str) -> object:
    """The JSON document in ``text``, numbers as Decimal; ``label`` names it in errors."""
    try:
        return _loads(text, label, _unique_keys)
    except _RepeatedKey:
        _loads(text, label, None)  # a syntax error further on is the first thing to fix
        raise _repeated_key_error(text, label) from None


def _loads(
    text: str, label: str, pairs_hook: Callable[[list[tuple[str, object]]], object] | None
) -> object:
    try:
        return json.loads(
            text, parse_float=Decimal, parse_constant=Decimal, object_pairs_hook=pairs_hook
        )
    except json.JSONDecodeError as exc:
        raise SourceError(
            f"{label}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}",
            hint='expected a list of records or {"usage": [...]}',
        ) from None
    except (ValueError, RecursionError) as exc:  # e.g. an integer with too many digits
        raise SourceError(f"{label}: not usable JSON: {exc}") from None


class _RepeatedKey(Exception):
    """An object repeats a key; where is found afterwards, by :func:`_find_repeated_key`."""


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    members = dict(pairs)
    if len(members) < len(pairs):
        raise _RepeatedKey
    return members


_REPEATED_HINT = "fix the export so each key appears once; psabill will not guess which to bill"


_VALUES = json.JSONDecoder(parse_float=Decimal, parse_constant=Decimal)


def _repeated_key_error(text: str, label: str) -> SourceError:
    """Name the line and column of the repeated key and both of its values."""
    found = _find_repeated_key(text)
    if found is None:  # pragma: no cover - the hook saw one, so the scan finds one
        return SourceError(f"{label}: an object repeats a key", hint=_REPEATED_HINT)
    first, second = found
    line = text.count("\n", 0, second) + 1
    column = second - text.rfind("\n", 0, second)
    key = _VALUES.raw_decode(text, second)[0]
    values = f"{show(_value_after(text, first))}, then {show(_value_after(text, second))}"
    return SourceError(
        f'{label}:{line}:{column}: key "{key}" appears twice in one object ({values})',
        hint=_REPEATED_HINT,
    )


def _find_repeated_key(text: str) -> tuple[int, int] | None:
    """Offsets of the first and second occurrence of the first key an object repeats.

    ``text`` is known to be valid JSON, so one pass over its tokens suffices:
    brackets open and close objects and arrays, and a string read where an
    object expects a key is that object's next key. Scalars are skipped whole
    by the decoder, so a brace inside a string is never taken for one.
    """
    objects: list[dict[str, int] | None] = []  # the keys (and offsets) of each open object
    expect_key = False
    position = _skip_space(text, 0)
    while position < len(text):
        char = text[position]
        if char in "{[":
            objects.append({} if char == "{" else None)
            expect_key = char == "{"
            position += 1
        elif char in "}]":
            objects.pop()
            expect_key = False
            position += 1
        elif char in ",:":
            expect_key = char == "," and objects[-1] is not None
            position += 1
        else:
            value, end = _VALUES.raw_decode(text, position)
            keys = objects[-1] if expect_key else None
            if keys is not None:
                if value in keys:
                    return keys[value], position
                keys[value] = position
            expect_key = False
            position = end
        position = _skip_space(text, position)
    return None


def _value_after(text: str, key_at: int) -> object:
    """The value of the member whose key starts at ``key_at``."""
    colon = _skip_space(text, _VALUES.raw_decode(text, key_at)[1])
    return _VALUES.raw_decode(text, _skip_space(text, colon + 1))[0]


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\n\r":
        position += 1
    return position


def json_rows(document: object, label: str) -> Iterator[RawRow]:
    """Yield one row per record of a parsed document; ``label`` names it in locations."""
    records, root = _records(document, label)
    for position, item in enumerate(records):
        location = f"{label}: {root}[{position}]"
        if not isinstance(item, Mapping):
            raise SourceError(f"{location}: expected an object, got {show(item)}")
        yield RawRow(location, item, "field")


def _records(document: object, label: str) -> tuple[list[object], str]:
    if isinstance(document, list):
        return document, ""
    if isinstance(document, Mapping) and isinstance(document.get(ROOT_KEY), list):
        return document[ROOT_KEY], ROOT_KEY
    if isinstance(document, Mapping) and ROOT_KEY in document:
        got = show(document[ROOT_KEY])
        raise SourceError(f"{label}: {ROOT_KEY}: expected a list of records, got {got}")
    raise SourceError(
        f'{label}: expected a list of records or {{"{ROOT_KEY}": [...]}}, got {show(document)}'
    )
