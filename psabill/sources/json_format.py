"""JSON usage: a list of records, or an object whose ``"usage"`` member is that list.

Numbers are read as :class:`~decimal.Decimal` (never through ``float``), so
``12.10`` seats stay exactly that. ``NaN`` and ``Infinity``, which Python's
``json`` accepts, become non-finite decimals and are refused by the row rules.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from decimal import Decimal

from psabill.errors import SourceError
from psabill.sources.parse import RawRow, show

ROOT_KEY = "usage"


def parse_json(text: str, label: str) -> object:
    """The JSON document in ``text``, numbers as Decimal; ``label`` names it in errors."""
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=Decimal)
    except json.JSONDecodeError as exc:
        raise SourceError(
            f"{label}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}",
            hint='expected a list of records or {"usage": [...]}',
        ) from None
    except (ValueError, RecursionError) as exc:  # e.g. an integer with too many digits
        raise SourceError(f"{label}: not usable JSON: {exc}") from None


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
