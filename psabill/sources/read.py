"""Read configured sources into validated usage records, one source at a time.

A source is read whole or not at all: the first problem anywhere in it raises
:class:`SourceError` and none of its records are returned, so nothing from a
broken export can reach the PSA. :func:`read_all` keeps one failing source
from hiding the others.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from psabill.config.source_models import CommandSource, CsvSource, HttpSource, JsonSource, Source
from psabill.errors import SourceError
from psabill.sources.command import run_command
from psabill.sources.csv_format import csv_rows
from psabill.sources.http_fetch import fetch
from psabill.sources.json_format import json_rows, parse_json
from psabill.sources.parse import RawRow, SourceResult, UsageRecord, collect
from psabill.sources.text import utf8_lines, utf8_text
from psabill.sources.vendors import RunMoment, VendorSource, read_vendor

log = logging.getLogger(__name__)

CSV_HINT = 'save it as UTF-8 (in Excel: Save As "CSV UTF-8")'
JSON_HINT = "save it as UTF-8"
PROGRAM_HINT = "make the program print UTF-8"


def read_source(
    source: Source,
    *,
    base_dir: Path,
    env: Mapping[str, str],
    decimal_skus: frozenset[str] = frozenset(),
    moment: RunMoment | None = None,
    warnings: list[str] | None = None,
) -> tuple[UsageRecord, ...]:
    """All usage records of one source, validated and merged per its duplicate policy.

    ``base_dir`` is the config file's directory: relative paths, and commands,
    start there. ``env`` is the environment a command runs with. Quantities may
    be fractional only for SKUs in ``decimal_skus``. A vendor API source reads the
    month ``moment`` (the run: its instant, zone and schedule mode; default now, UTC,
    monthly) falls in. What the source warns about goes into ``warnings`` (logged when
    ``None``), even when it then fails. Raises SourceError.
    """
    try:
        if isinstance(source, VendorSource):
            now = moment or RunMoment(datetime.now(UTC))
            records: tuple[UsageRecord, ...] = read_vendor(
                source, now, decimal_skus, warnings=warnings
            )
        else:
            records = collect(source, _rows(source, base_dir, env), decimal_skus)
    except SourceError as exc:
        if exc.message.isprintable():
            raise
        # A value echoed from the export may hold a line break: one error stays one line.
        raise SourceError(_one_line(exc.message), hint=exc.hint) from None
    log.debug("source %s: %d records", source.name, len(records))
    return records


def _one_line(text: str) -> str:
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def read_all(
    sources: Sequence[Source],
    *,
    base_dir: Path,
    env: Mapping[str, str],
    decimal_skus: frozenset[str],
    moment: RunMoment | None = None,
) -> list[SourceResult]:
    """Read every source; a failing source is reported in its result, the others still read.
    Each result carries its source's warnings, a failed one's too."""
    results: list[SourceResult] = []
    for source in sources:
        warnings: list[str] = []
        try:
            records = read_source(
                source,
                base_dir=base_dir,
                env=env,
                decimal_skus=decimal_skus,
                moment=moment,
                warnings=warnings,
            )
        except SourceError as exc:
            log.debug("source %s failed: %s", source.name, exc)
            results.append(SourceResult(source.name, (), exc, _lines(warnings)))
        else:
            results.append(SourceResult(source.name, records, None, _lines(warnings)))
    return results


def _lines(warnings: list[str]) -> tuple[str, ...]:
    """Each warning one printable line: a vendor's name in it may hold a line break."""
    return tuple(_one_line(text) for text in warnings)


def _rows(source: Source, base_dir: Path, env: Mapping[str, str]) -> Iterator[RawRow]:
    if isinstance(source, CsvSource):
        yield from _csv_file(source, base_dir)
    elif isinstance(source, JsonSource):
        data = _read_bytes(source.path, base_dir)
        label = str(source.path)
        yield from json_rows(parse_json(utf8_text(data, label, JSON_HINT), label), label)
    elif isinstance(source, CommandSource):
        with run_command(source, base_dir=base_dir, env=env) as output:
            yield from _program_output(source, output)
    elif isinstance(source, HttpSource):
        body, content_type = fetch(source)
        yield from json_rows(_http_json(source, body, content_type), f"http {source.name}")
    else:  # pragma: no cover - the config schema admits no other kind
        raise SourceError(f"{source.name}: unknown source kind")


def _csv_file(source: CsvSource, base_dir: Path) -> Iterator[RawRow]:
    label = str(source.path)
    path = _resolve(source.path, base_dir)
    try:
        with path.open("rb") as file:
            yield from csv_rows(utf8_lines(file, label, CSV_HINT), label, source, source.delimiter)
    except OSError as exc:
        raise _file_error(label, path, exc) from None


def _program_output(source: CommandSource, output: IO[bytes]) -> Iterator[RawRow]:
    label = f"command {source.name}"
    if source.format == "csv":
        yield from csv_rows(utf8_lines(output, label, PROGRAM_HINT), label, source, "auto")
    else:
        yield from json_rows(
            parse_json(utf8_text(output.read(), label, PROGRAM_HINT), label), label
        )


def _http_json(source: HttpSource, body: bytes, content_type: str) -> object:
    label = f"http {source.name}"
    try:
        return parse_json(utf8_text(body, label, "the endpoint must answer in UTF-8"), label)
    except SourceError as exc:
        if "json" in content_type.lower():
            raise
        kind = content_type.split(";")[0].strip() or "no Content-Type"
        raise SourceError(
            f"{label}: the response is not JSON ({kind})",
            hint="check the url: it must answer with usage as JSON",
        ) from exc


def _read_bytes(path: Path, base_dir: Path) -> bytes:
    resolved = _resolve(path, base_dir)
    try:
        return resolved.read_bytes()
    except OSError as exc:
        raise _file_error(str(path), resolved, exc) from None


def _resolve(path: Path, base_dir: Path) -> Path:
    if "\x00" in str(path):  # open() would raise ValueError
        raise SourceError(f"{str(path)!r}: a file name cannot contain a NUL character")
    try:
        path = path.expanduser()
    except RuntimeError:  # "~someone/..." naming an unknown user
        raise SourceError(f"{path}: no such file (unknown home directory)") from None
    return path if path.is_absolute() else base_dir / path


def _file_error(label: str, path: Path, exc: OSError) -> SourceError:
    if isinstance(exc, FileNotFoundError):
        where = "" if Path(label).is_absolute() else " (relative to the config file's directory)"
        return SourceError(
            f"{label}: no such file", hint=f"check `path`: psabill looked for {path}{where}"
        )
    return SourceError(f"{label}: cannot read: {exc.strerror or exc}")
