"""CSV sources: header columns from config, delimiters, BOM, quoting, and every row error."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from psabill.sources import UsageRecord

from .support import SOPHOS_HEADER, failure, make_source, quantities, read

ACME = "7d1f3c2e-acme,Acme Corp,CIXA,Intercept X Advanced,42,2026-11-01\n"


def write(tmp_path: Path, text: str | bytes, name: str = "usage.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def test_reads_rows_with_location_date_and_whole_decimal(tmp_path: Path) -> None:
    write(tmp_path, SOPHOS_HEADER + ACME + "51234,Müller,CIXA,IXA, 17 ,2026-11-01T06:00:00Z\n")
    assert read(make_source(), tmp_path) == (
        UsageRecord(
            "sophos", "7d1f3c2e-acme", "CIXA", Decimal(42), date(2026, 11, 1), "usage.csv:2"
        ),
        UsageRecord("sophos", "51234", "CIXA", Decimal(17), date(2026, 11, 1), "usage.csv:3"),
    )


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        pytest.param(SOPHOS_HEADER + ACME, "auto", id="comma-auto"),
        pytest.param((SOPHOS_HEADER + ACME).replace(",", ";"), "auto", id="semicolon-auto"),
        pytest.param((SOPHOS_HEADER + ACME).replace(",", ";"), ";", id="semicolon-explicit"),
        pytest.param("\ufeff" + SOPHOS_HEADER + ACME, "auto", id="bom"),
        pytest.param((SOPHOS_HEADER + ACME).replace("\n", "\r\n"), ",", id="crlf"),
        pytest.param("\n\n" + SOPHOS_HEADER + "\n" + ACME + "\n,,,,,\n", "auto", id="blank-lines"),
    ],
)
def test_accepted_layouts(tmp_path: Path, text: str, delimiter: str) -> None:
    write(tmp_path, text)
    records = read(make_source(delimiter=delimiter), tmp_path)
    assert quantities(records) == {("7d1f3c2e-acme", "CIXA"): "42"}


def test_quoted_fields_keep_commas_quotes_and_line_breaks(tmp_path: Path) -> None:
    write(
        tmp_path,
        SOPHOS_HEADER
        + '"51234","Müller, Söhne ""GmbH""",CIXA,"Intercept X\nAdvanced","17",2026-11-01\n'
        + ACME,
    )
    records = read(make_source(), tmp_path)
    assert [(r.customer, r.quantity, r.location) for r in records] == [
        ("51234", Decimal(17), "usage.csv:2"),
        ("7d1f3c2e-acme", Decimal(42), "usage.csv:4"),  # the quoted line break takes line 3
    ]


def test_blank_lines_keep_physical_line_numbers(tmp_path: Path) -> None:
    write(tmp_path, "\n" + SOPHOS_HEADER + "\n\n" + ACME)
    (record,) = read(make_source(), tmp_path)
    assert record.location == "usage.csv:5"


def test_header_only_gives_no_records_and_absolute_path_works(tmp_path: Path) -> None:
    path = write(tmp_path, SOPHOS_HEADER)
    assert read(make_source(path=str(path)), tmp_path / "elsewhere") == ()


def test_relative_path_is_resolved_against_base_dir(tmp_path: Path) -> None:
    (tmp_path / "usage").mkdir()
    write(tmp_path, SOPHOS_HEADER + ACME, "usage/sophos.csv")
    (record,) = read(make_source(path="usage/sophos.csv"), tmp_path)
    assert record.location == "usage/sophos.csv:2"


def test_empty_date_cell_is_no_date_and_date_field_is_optional(tmp_path: Path) -> None:
    write(tmp_path, SOPHOS_HEADER + ACME.replace("2026-11-01", ""))
    assert read(make_source(), tmp_path)[0].as_of is None
    write(tmp_path, "Customer ID,Product Code,Licenses\nacme,CIXA,3\n")
    assert read(make_source(date_field=None), tmp_path)[0].as_of is None


ROW = "acme,Acme,CIXA,IXA,{q},2026-11-01\n"

# (text after the header, expected message)
ROW_ERRORS = [
    (ROW.format(q="-3"), 'usage.csv:2: column "Licenses": "-3" is negative'),
    (ROW.format(q="abc"), 'usage.csv:2: column "Licenses": "abc" is not a number'),
    (ROW.format(q=""), 'usage.csv:2: column "Licenses": value is empty'),
    (ROW.format(q="NaN"), 'usage.csv:2: column "Licenses": "NaN" is not a finite number'),
    (
        ROW.format(q="-Infinity"),
        'usage.csv:2: column "Licenses": "-Infinity" is not a finite number',
    ),
    (ROW.format(q="2.5"), 'usage.csv:2: column "Licenses": "2.5" is not a whole number'),
    (ROW.format(q="1e3"), 'usage.csv:2: column "Licenses": "1e3" is not a number'),
    (ROW.format(q='"1,5"'), 'usage.csv:2: column "Licenses": "1,5" is not a number'),
    (
        ROW.format(q="10000001"),
        'usage.csv:2: column "Licenses": "10000001" is too large (more than 10,000,000)',
    ),
    (" ,Acme,CIXA,IXA,4,\n", 'usage.csv:2: column "Customer ID": value is empty'),
    ("acme,Acme,,IXA,4,\n", 'usage.csv:2: column "Product Code": value is empty'),
    (
        ROW.format(q="4").replace("2026-11-01", "2026-13-01"),
        'usage.csv:2: column "Date": "2026-13-01" is not a date',
    ),
    (
        "\n" + ROW.format(q="4") + "acme,Müller, Söhne,CIXA,IXA,4,\n",
        "usage.csv:4: row has 7 fields, the header has 6",
    ),
    ("acme,Acme,CIXA\n", "usage.csv:2: row has 3 fields, the header has 6"),
    (ROW.format(q="4").replace("\n", ",\n"), "usage.csv:2: row has 7 fields, the header has 6"),
]


@pytest.mark.parametrize(("rows", "message"), ROW_ERRORS)
def test_row_errors_name_file_line_and_column(tmp_path: Path, rows: str, message: str) -> None:
    write(tmp_path, SOPHOS_HEADER + rows)
    assert failure(make_source(), tmp_path).message == message


def test_fraction_hint_names_the_product(tmp_path: Path) -> None:
    write(tmp_path, SOPHOS_HEADER + ROW.format(q="2.5"))
    error = failure(make_source(), tmp_path)
    assert error.hint is not None
    assert 'decimal_quantities = true on product "CIXA"' in error.hint


def test_decimal_comma_gets_a_hint(tmp_path: Path) -> None:
    write(tmp_path, "Customer ID;Product Code;Licenses\nacme;CIXA;1,5\n")
    error = failure(make_source(date_field=None), tmp_path)
    assert error.message == 'usage.csv:2: column "Licenses": "1,5" is not a number'
    assert error.hint is not None
    assert '"."' in error.hint


# (file bytes, expected message)
FILE_ERRORS = [
    (
        b"Customer ID,Product Code,Seats\n",
        'usage.csv:1: no column "Licenses" (columns: Customer ID, Product Code, Seats)',
    ),
    (
        b"\n\nCustomer ID;Product Code;Seats;Date\n",
        'usage.csv:3: no column "Licenses" (columns: Customer ID, Product Code, Seats, Date)',
    ),
    (
        b"Customer ID,Product Code,Licenses,Licenses,Date\n",
        'usage.csv:1: column "Licenses" appears 2 times',
    ),
    (b"", "usage.csv: no header row (the input is empty)"),
    (b"\n \n", "usage.csv: no header row (the input is empty)"),
    (
        SOPHOS_HEADER.encode() + b'acme,"Acme,CIXA,IXA,4,\n',
        "usage.csv:2: not valid CSV: unexpected end of data",
    ),
    (
        SOPHOS_HEADER.encode() + ACME.encode() + "51234,Müller,CIXA,IXA,1,\n".encode("latin-1"),
        "usage.csv:3: is not UTF-8 (byte 0xFC at column 8)",
    ),
    ((SOPHOS_HEADER + ACME).encode("utf-16"), "usage.csv:1: is UTF-16, not UTF-8"),
    (
        (SOPHOS_HEADER + ACME).encode("utf-16-le"),
        "usage.csv:1: has a NUL byte at column 2 (UTF-16 text?), not UTF-8",
    ),
]


@pytest.mark.parametrize(("data", "message"), FILE_ERRORS)
def test_file_errors(tmp_path: Path, data: bytes, message: str) -> None:
    write(tmp_path, data)
    assert failure(make_source(), tmp_path).message == message


def test_not_utf8_hint_says_save_as_utf8(tmp_path: Path) -> None:
    write(tmp_path, (SOPHOS_HEADER + ACME).encode("utf-16"))
    hint = failure(make_source(), tmp_path).hint
    assert hint is not None
    assert "save it as UTF-8" in hint


def test_missing_column_hint_names_the_setting(tmp_path: Path) -> None:
    write(tmp_path, "Customer ID,Product Code,Seats\n")
    assert failure(make_source(date_field=None), tmp_path).hint == (
        'set quantity_field of source "sophos" to one of these column names'
    )


def test_explicit_delimiter_is_not_second_guessed(tmp_path: Path) -> None:
    write(tmp_path, (SOPHOS_HEADER + ACME).replace(",", ";"))
    message = failure(make_source(delimiter=","), tmp_path).message
    assert message.startswith('usage.csv:1: no column "Customer ID" (columns: Customer ID;')


def test_missing_file_and_directory(tmp_path: Path) -> None:
    error = failure(make_source(path="nope/usage.csv"), tmp_path)
    assert error.message == "nope/usage.csv: no such file"
    assert error.hint is not None
    assert str(tmp_path / "nope" / "usage.csv") in error.hint
    (tmp_path / "dir.csv").mkdir()
    assert failure(make_source(path="dir.csv"), tmp_path).message == (
        "dir.csv: cannot read: Is a directory"
    )


def test_a_bad_row_after_good_ones_fails_the_whole_source(tmp_path: Path) -> None:
    write(tmp_path, SOPHOS_HEADER + ACME + "b,B,CIXA,IXA,5,\n" + ROW.format(q="x"))
    error = failure(make_source(), tmp_path)
    assert error.message.startswith("usage.csv:4:")
