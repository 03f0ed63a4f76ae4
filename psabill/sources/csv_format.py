"""CSV usage: a header row naming the configured columns, then one row per count.

Rows are streamed: the ``csv`` module reads from a lazy line iterator, so a
large export is never held in memory as a whole. A row whose field count does
not match the header is refused rather than guessed at, because an unquoted
``,`` in a customer name would otherwise shift the seat count into another
column (even trailing empty fields are refused, since a shift can produce them).
"""

from __future__ import annotations

import _csv
import csv
from collections.abc import Iterable, Iterator
from itertools import chain

from psabill.config.source_models import Source
from psabill.errors import SourceError
from psabill.sources.parse import RawRow

DELIMITERS = (",", ";")


def wanted_columns(source: Source) -> list[tuple[str, str]]:
    """(setting, column name) for every column the source config names, in config order."""
    wanted = [
        ("customer_field", source.customer_field),
        ("sku_field", source.sku_field),
        ("quantity_field", source.quantity_field),
    ]
    if source.date_field:
        wanted.append(("date_field", source.date_field))
    return wanted


def csv_rows(lines: Iterable[str], label: str, source: Source, delimiter: str) -> Iterator[RawRow]:
    """Yield the data rows of CSV text; ``delimiter`` is "," or ";" or "auto".

    ``label`` names the input in locations: ``usage/sophos.csv:14`` or
    ``command sophos-export:3``. Blank lines (and rows of empty fields) are skipped.
    """
    wanted = wanted_columns(source)
    lines = iter(lines)
    peeked = _through_header(lines, label)
    if delimiter == "auto":
        delimiter = detect_delimiter(peeked[-1], [name for _, name in wanted])
    reader = csv.reader(chain(peeked, lines), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    index: dict[str, int] = {}
    for start, fields in _filled_rows(reader, label):
        if header is None:
            header = [field.strip() for field in fields]
            index = _header_index(header, wanted, f"{label}:{start}", source.name)
            continue
        _check_width(fields, len(header), f"{label}:{start}", delimiter)
        yield RawRow(f"{label}:{start}", {name: fields[i] for name, i in index.items()}, "column")


def _through_header(lines: Iterator[str], label: str) -> list[str]:
    """The lines up to the first non-blank one (the header), consumed from ``lines``."""
    peeked: list[str] = []
    for line in lines:
        peeked.append(line)
        if line.strip(" \t\r\n,;"):
            return peeked
    raise SourceError(f"{label}: no header row (the input is empty)")


def _filled_rows(reader: _csv.Reader, label: str) -> Iterator[tuple[int, list[str]]]:
    """(first line number, fields) of each row with a non-blank field; bad CSV raises."""
    last = 0
    while True:
        start = last + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise SourceError(
                f"{label}:{start}: not valid CSV: {exc}",
                hint='a value holding the delimiter, a quote or a line break must be in "quotes"',
            ) from None
        last = reader.line_num
        if any(field.strip() for field in fields):
            yield start, fields


def detect_delimiter(line: str, names: list[str]) -> str:
    """The delimiter whose split of the header line holds every configured column.

    When neither does, the one giving more columns, so the "no column" error lists
    the real header.
    """
    best, most = DELIMITERS[0], 0
    for candidate in DELIMITERS:
        try:
            header = {field.strip() for field in next(csv.reader([line], delimiter=candidate))}
        except (csv.Error, StopIteration):
            continue
        if all(name in header for name in names):
            return candidate
        if len(header) > most:
            best, most = candidate, len(header)
    return best


def _header_index(
    header: list[str], wanted: list[tuple[str, str]], where: str, source: str
) -> dict[str, int]:
    index: dict[str, int] = {}
    for setting, name in wanted:
        positions = [i for i, column in enumerate(header) if column == name]
        if not positions:
            columns = ", ".join(column for column in header if column) or "none"
            raise SourceError(
                f'{where}: no column "{name}" (columns: {columns})',
                hint=f'set {setting} of source "{source}" to one of these column names',
            )
        if len(positions) > 1:
            raise SourceError(f'{where}: column "{name}" appears {len(positions)} times')
        index[name] = positions[0]
    return index


def _check_width(fields: list[str], width: int, where: str, delimiter: str) -> None:
    if len(fields) == width:
        return
    # Even extra *empty* fields are refused: "a,Müller, Söhne,4," may be a shifted row.
    raise SourceError(
        f"{where}: row has {len(fields)} fields, the header has {width}",
        hint=f'a value containing "{delimiter}" must be in "quotes"',
    )
