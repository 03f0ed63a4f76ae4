"""Row rules shared by every format: quantities, decimal SKUs and the duplicate policy."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from psabill.sources.parse import parse_date, parse_quantity

from .support import failure, make_source, quantities, read

HEADER = "Customer ID,Product Code,Licenses,Date\n"


def write(tmp_path: Path, rows: str) -> None:
    (tmp_path / "usage.csv").write_text(HEADER + rows, encoding="utf-8")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("42", Decimal(42)),
        (" +7 ", Decimal(7)),
        ("12.0", Decimal("12.0")),
        ("12.", Decimal(12)),
        (".5", Decimal("0.5")),
        ("0", Decimal(0)),
        ("-0", Decimal(0)),
        (3, Decimal(3)),
        (Decimal("2.25"), Decimal("2.25")),
        ("-3", "is negative"),
        (Decimal(-1), "is negative"),
        ("", "is empty"),
        ("  ", "is empty"),
        ("abc", "is not a number"),
        ("1_000", "is not a number"),
        ("1,000", "is not a number"),
        ("0x10", "is not a number"),
        ("1e3", "is not a number"),
        (
            "٣",
            "is not a number",
        ),  # an Arabic-Indic digit: valid to Decimal, not to a billing export
        ("nan", "is not a finite number"),
        ("-Infinity", "is not a finite number"),
        (Decimal("NaN"), "is not a finite number"),
        (True, "is not a number"),
        (None, "is not a number"),
        (1.5, "is not a number"),  # floats never reach here: JSON numbers are parsed as Decimal
    ],
)
def test_parse_quantity(raw: object, expected: Decimal | str) -> None:
    assert parse_quantity(raw) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-01", date(2026, 11, 1)),
        ("2026-11-01T06:00:00", date(2026, 11, 1)),
        ("2026-11-01 06:00:00+01:00", date(2026, 11, 1)),
        ("2026-11-01T23:59:59.5Z", date(2026, 11, 1)),
        ("2026-02-30", None),
        ("11/01/2026", None),
        ("yesterday", None),
    ],
)
def test_parse_date(text: str, expected: date | None) -> None:
    assert parse_date(text) == expected


def test_whole_quantities_are_normalised(tmp_path: Path) -> None:
    write(tmp_path, "a,CIXA,12.0,\nb,CIXA,12.,\nc,CIXA,007,\n")
    records = read(make_source(), tmp_path)
    assert [str(r.quantity) for r in records] == ["12", "12", "7"]


def test_decimal_skus_allow_fractions_only_for_those_skus(tmp_path: Path) -> None:
    write(tmp_path, "a,GB,2.50,\na,CIXA,3.0,\n")
    records = read(make_source(), tmp_path, decimal_skus=frozenset({"GB"}))
    assert quantities(records) == {("a", "GB"): "2.50", ("a", "CIXA"): "3"}
    write(tmp_path, "a,GB,2.50,\na,CIXA,3.5,\n")
    error = failure(make_source(), tmp_path, decimal_skus=frozenset({"GB"}))
    assert error.message == 'usage.csv:3: column "Licenses": "3.5" is not a whole number'


def test_refuse_names_both_locations(tmp_path: Path) -> None:
    write(tmp_path, "acme,CIXA,4,\nbeta,CIXA,1,\n acme ,CIXA,5,\n")
    error = failure(make_source(duplicates="refuse"), tmp_path)
    assert error.message == (
        'sophos: customer "acme" SKU "CIXA" appears twice: usage.csv:2 and usage.csv:4'
    )
    assert error.hint is not None
    assert 'duplicates = "sum"' in error.hint


def test_refuse_is_the_default(tmp_path: Path) -> None:
    write(tmp_path, "acme,CIXA,4,\nacme,CIXA,5,\n")
    assert "appears twice" in failure(make_source(), tmp_path).message


def test_sum_adds_up_and_keeps_every_location_and_latest_date(tmp_path: Path) -> None:
    write(tmp_path, "acme,CIXA,4,2026-10-31\nbeta,CIXA,1,\nacme,CIXA,5,2026-11-01\nacme,CIXA,1,\n")
    acme, beta = read(make_source(duplicates="sum"), tmp_path)
    assert acme.quantity == 10
    assert acme.as_of == date(2026, 11, 1)
    assert acme.location == "usage.csv:2, usage.csv:4, usage.csv:5"
    assert (beta.customer, beta.quantity, beta.location) == ("beta", 1, "usage.csv:3")


def test_same_customer_different_sku_is_not_a_duplicate(tmp_path: Path) -> None:
    write(tmp_path, "acme,CIXA,4,\nacme,CIXS,5,\nACME,CIXA,1,\n")
    records = read(make_source(duplicates="refuse"), tmp_path)
    assert len(records) == 3


def test_sum_beyond_the_limit_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "acme,CIXA,6000000,\nacme,CIXA,6000000,\n")
    assert failure(make_source(duplicates="sum"), tmp_path).message == (
        'sophos: customer "acme" SKU "CIXA" adds up to 12000000, more than 10,000,000 '
        "(usage.csv:2, usage.csv:3)"
    )


def test_exactly_the_limit_is_accepted(tmp_path: Path) -> None:
    write(tmp_path, "acme,CIXA,10000000,\n")
    assert read(make_source(), tmp_path)[0].quantity == 10_000_000
