"""JSON sources: a list or {"usage": [...]}, numbers or numeric strings, and every error."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from psabill.config.source_models import Source

from .support import failure, make_source, quantities, read


def lastpass(**fields: Any) -> Source:
    return make_source(
        **{
            "name": "lastpass",
            "kind": "json",
            "path": "usage.json",
            "customer_field": "companyId",
            "sku_field": "sku",
            "quantity_field": "seats",
            "date_field": "asOf",
        }
        | fields
    )


def write(tmp_path: Path, document: object) -> None:
    text = document if isinstance(document, str) else json.dumps(document, indent=2)
    (tmp_path / "usage.json").write_text(text, encoding="utf-8")


def rec(**fields: object) -> dict[str, object]:
    return {"companyId": "acme", "sku": "LP-BUS", "seats": 40, "asOf": "2026-11-01"} | fields


def test_object_with_usage_list(tmp_path: Path) -> None:
    write(tmp_path, {"usage": [rec(), rec(companyId=51234, seats="15", asOf=None)]})
    first, second = read(lastpass(), tmp_path)
    assert (first.customer, first.quantity, first.as_of) == ("acme", 40, date(2026, 11, 1))
    assert first.location == "usage.json: usage[0]"
    assert (second.customer, second.quantity, second.as_of) == ("51234", 15, None)


def test_bare_list_bom_and_exact_decimals(tmp_path: Path) -> None:
    text = "\ufeff" + json.dumps([rec(seats=12.0), rec(sku="GB", seats=2.10)])
    write(tmp_path, text)
    records = read(lastpass(), tmp_path, decimal_skus=frozenset({"GB"}))
    assert quantities(records) == {("acme", "LP-BUS"): "12", ("acme", "GB"): "2.1"}
    assert records[0].location == "usage.json: [0]"


def test_datetime_as_of_keeps_the_written_date(tmp_path: Path) -> None:
    write(tmp_path, [rec(asOf="2026-11-01T23:30:00-05:00")])
    assert read(lastpass(), tmp_path)[0].as_of == date(2026, 11, 1)


# (document, expected message)
ERRORS: list[tuple[object, str]] = [
    (
        {"usage": [rec(companyId=str(n)) for n in range(3)] + [rec(seats="abc")]},
        'usage.json: usage[3].seats: "abc" is not a number',
    ),
    ([rec(seats=-3)], "usage.json: [0].seats: -3 is negative"),
    ([rec(seats=-0.5)], "usage.json: [0].seats: -0.5 is negative"),
    ([rec(seats=2.5)], "usage.json: [0].seats: 2.5 is not a whole number"),
    ([rec(seats=True)], "usage.json: [0].seats: true is not a number"),
    ([rec(seats=None)], "usage.json: [0].seats: null is not a number"),
    ([rec(seats=[1])], "usage.json: [0].seats: a list is not a number"),
    ([rec(seats=1e300)], "usage.json: [0].seats: 1E+300 is too large (more than 10,000,000)"),
    (
        '[{"companyId": "a", "sku": "s", "seats": NaN, "asOf": null}]',
        "usage.json: [0].seats: NaN is not a finite number",
    ),
    ([rec(companyId="  ")], "usage.json: [0].companyId: value is empty"),
    ([rec(companyId=1.5)], "usage.json: [0].companyId: expected text, got 1.5"),
    ([rec(sku={"id": 1})], "usage.json: [0].sku: expected text, got an object"),
    ([rec(asOf="1 Nov 2026")], 'usage.json: [0].asOf: "1 Nov 2026" is not a date'),
    ([rec(asOf=20261101)], "usage.json: [0].asOf: 20261101 is not a date"),
    (
        [{"companyId": "a", "sku": "s", "asOf": None}],
        'usage.json: [0]: no field "seats" (fields: companyId, sku, asOf)',
    ),
    ([rec(), 42], "usage.json: [1]: expected an object, got 42"),
    ({"usage": {"a": 1}}, "usage.json: usage: expected a list of records, got an object"),
    ({"data": []}, 'usage.json: expected a list of records or {"usage": [...]}, got an object'),
    ('"usage"', 'usage.json: expected a list of records or {"usage": [...]}, got "usage"'),
    (
        '{\n  "usage": [\n    {"seats": 1,}\n  ]\n}',
        "usage.json:3:17: not valid JSON: Expecting property name enclosed in double quotes",
    ),
    ("", "usage.json:1:1: not valid JSON: Expecting value"),
]


@pytest.mark.parametrize(("document", "message"), ERRORS)
def test_errors_name_file_and_record_path(tmp_path: Path, document: object, message: str) -> None:
    write(tmp_path, document)
    assert failure(lastpass(), tmp_path).message == message


def test_field_names_that_are_not_identifiers_are_bracketed(tmp_path: Path) -> None:
    write(tmp_path, [{"Company": "a", "SKU": "s", "Seat Count": "x"}])
    source = lastpass(
        customer_field="Company", sku_field="SKU", quantity_field="Seat Count", date_field=None
    )
    assert failure(source, tmp_path).message == 'usage.json: [0]["Seat Count"]: "x" is not a number'


def test_not_utf8_names_line_and_column(tmp_path: Path) -> None:
    text = json.dumps([rec(companyId="Müller")], indent=2, ensure_ascii=False)
    (tmp_path / "usage.json").write_bytes(text.encode("latin-1"))
    error = failure(lastpass(), tmp_path)
    assert error.message == "usage.json:3: is not UTF-8 (byte 0xFC at column 20)"
    assert error.hint == "save it as UTF-8"


def test_utf16_json_is_named(tmp_path: Path) -> None:
    (tmp_path / "usage.json").write_bytes(json.dumps([rec()]).encode("utf-16"))
    assert failure(lastpass(), tmp_path).message == "usage.json:1: is UTF-16, not UTF-8"


def test_missing_file(tmp_path: Path) -> None:
    assert failure(lastpass(path="gone.json"), tmp_path).message == "gone.json: no such file"
