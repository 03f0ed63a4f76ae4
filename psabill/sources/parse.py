"""Usage records and the rules every row must pass, whatever format it came in.

Format readers (CSV, JSON) only find the raw values of one row and say where
it came from (a :class:`RawRow`); :func:`collect` turns rows into validated
:class:`UsageRecord` values and applies the source's duplicate policy. Any bad
row raises :class:`SourceError`, so a source is used whole or not at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Literal

from psabill.config.source_models import Source
from psabill.errors import SourceError

MAX_QUANTITY = Decimal(10_000_000)
"""Larger counts are taken as a broken export rather than real seats."""

_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)", re.ASCII)


@dataclass(frozen=True, slots=True)
class UsageRecord:
    """One validated seat count: ``quantity`` of ``sku`` used by ``customer``."""

    source: str
    customer: str
    sku: str
    quantity: Decimal
    as_of: date | None
    location: str
    """Where the row came from, e.g. ``usage/sophos.csv:14``; summed rows list each place."""


@dataclass(frozen=True)
class SourceResult:
    """What reading one source gave: its records, or the error that failed it as a whole,
    and its warnings: what does not fail the source but changes a bill (a month read before
    it is over, usage no customer owns, ...), one sentence each, said even when it failed."""

    source: str
    records: tuple[UsageRecord, ...]
    error: SourceError | None = None
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True, slots=True)
class RawRow:
    """The raw values of one row, before any checking.

    ``values`` maps field names to what the row holds: the configured columns
    (``str``) of a CSV row, or a whole JSON object. A name absent is missing.
    """

    location: str
    values: Mapping[str, object]
    style: Literal["column", "field"]

    def ref(self, name: str) -> str:
        """How messages point at one value: ``f.csv:14: column "X"`` or ``f.json: usage[3].x``."""
        if self.style == "column":
            return f'{self.location}: column "{name}"'
        return f"{self.location}.{name}" if name.isidentifier() else f'{self.location}["{name}"]'


def show(value: object) -> str:
    """A value as a message quotes it: strings in quotes, JSON values as JSON would write them."""
    if isinstance(value, str):
        return f'"{value}"' if len(value) <= 40 else f'"{value[:37]}..."'
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    return "an object" if isinstance(value, Mapping) else "a list"


def collect(
    source: Source, rows: Iterable[RawRow], decimal_skus: frozenset[str]
) -> tuple[UsageRecord, ...]:
    """Validate every row and merge repeated (customer, SKU) pairs per ``source.duplicates``."""
    first: dict[tuple[str, str], UsageRecord] = {}
    repeated: dict[tuple[str, str], list[UsageRecord]] = {}  # only pairs seen twice: no list each
    for row in rows:
        record = to_record(source, row, decimal_skus)
        key = (record.customer, record.sku)
        seen = first.setdefault(key, record)
        if seen is record:
            continue
        if source.duplicates == "refuse":
            raise SourceError(
                f'{source.name}: customer "{record.customer}" SKU "{record.sku}" appears twice: '
                f"{seen.location} and {record.location}",
                hint='remove the repeated row, or set duplicates = "sum" to add them up',
            )
        repeated.setdefault(key, [seen]).append(record)
    return tuple(
        _merge(source.name, repeated[key]) if key in repeated else record
        for key, record in first.items()
    )


def _merge(name: str, group: list[UsageRecord]) -> UsageRecord:
    if len(group) == 1:
        return group[0]
    first = group[0]
    total = sum((record.quantity for record in group), Decimal(0))
    where = ", ".join(record.location for record in group)
    if total > MAX_QUANTITY:
        raise SourceError(
            f'{name}: customer "{first.customer}" SKU "{first.sku}" adds up to {total}, '
            f"more than {MAX_QUANTITY:,} ({where})"
        )
    dates = [record.as_of for record in group if record.as_of is not None]
    return UsageRecord(name, first.customer, first.sku, total, max(dates, default=None), where)


def to_record(source: Source, row: RawRow, decimal_skus: frozenset[str]) -> UsageRecord:
    """Check one row against the rules of the product issue; the first problem raises."""
    customer = _text(row, source.customer_field)
    sku = _text(row, source.sku_field)
    quantity = _quantity(row, source.quantity_field, decimal=sku in decimal_skus, sku=sku)
    as_of = _as_of(row, source.date_field) if source.date_field else None
    return UsageRecord(source.name, customer, sku, quantity, as_of, row.location)


def _value(row: RawRow, name: str) -> object:
    if name not in row.values:
        # Only JSON rows can lack a field: CSV headers are checked before any row is read.
        fields = ", ".join(row.values) or "none"
        raise SourceError(f'{row.location}: no field "{name}" (fields: {fields})')
    return row.values[name]


def _text(row: RawRow, name: str) -> str:
    value = _value(row, name)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise SourceError(f"{row.ref(name)}: expected text, got {show(value)}")
    text = value.strip()
    if not text:
        raise SourceError(f"{row.ref(name)}: value is empty")
    return text


def _quantity(row: RawRow, name: str, *, decimal: bool, sku: str) -> Decimal:
    raw = _value(row, name)
    number = parse_quantity(raw)
    if isinstance(number, str):
        if number == "is empty":
            raise SourceError(f"{row.ref(name)}: value is empty")
        comma = isinstance(raw, str) and "," in raw
        hint = 'use "." as the decimal point and no thousands separators' if comma else None
        raise SourceError(f"{row.ref(name)}: {show(raw)} {number}", hint=hint)
    if number > MAX_QUANTITY:
        too_large = f"is too large (more than {MAX_QUANTITY:,})"
        raise SourceError(f"{row.ref(name)}: {show(raw)} {too_large}")
    if number == number.to_integral_value():
        return Decimal(int(number))
    if not decimal:
        raise SourceError(
            f"{row.ref(name)}: {show(raw)} is not a whole number",
            hint=f'set decimal_quantities = true on product "{sku}" if it is billed in fractions',
        )
    return number


def parse_quantity(raw: object) -> Decimal | str:
    """The non-negative finite number in ``raw``, or why there is none ("is negative", ...)."""
    if isinstance(raw, bool) or raw is None:
        return "is not a number"
    if isinstance(raw, int):
        raw = Decimal(raw)
    if isinstance(raw, str):
        text = raw.strip()
        if not _PLAIN_NUMBER.fullmatch(text):
            if not text:
                return "is empty"
            if text.lower().lstrip("+-") in ("nan", "inf", "infinity", "snan"):
                return "is not a finite number"
            return "is not a number"
        try:
            raw = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
            return "is not a number"
    if not isinstance(raw, Decimal):
        return "is not a number"
    if not raw.is_finite():
        return "is not a finite number"
    if raw < 0:
        return "is negative"
    return raw


def _as_of(row: RawRow, name: str) -> date | None:
    raw = _value(row, name)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, str):
        parsed = parse_date(raw.strip())
        if parsed is not None:
            return parsed
    raise SourceError(
        f"{row.ref(name)}: {show(raw)} is not a date",
        hint='write dates as ISO 8601, e.g. "2026-11-01" or "2026-11-01T06:00:00Z"',
    )


def parse_date(text: str) -> date | None:
    """An ISO date, or the date part of an ISO datetime (as written, not converted to UTC)."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        return None
