"""A usage object that repeats a key is refused where it repeats: psabill never guesses a count."""

from __future__ import annotations

from pathlib import Path

import pytest

from psabill.errors import SourceError
from psabill.sources.json_format import parse_json

from .support import failure, make_source


def test_a_repeated_quantity_fails_the_source_naming_file_line_and_values(tmp_path: Path) -> None:
    (tmp_path / "usage.json").write_text(
        '{"usage": [\n'
        '  {"companyId": "acme", "sku": "LP-BUS", "seats": 12},\n'
        '  {"companyId": "acme", "sku": "LP-SSO",\n'
        '   "seats": 40, "seats": 4}\n'
        "]}\n",
        encoding="utf-8",
    )
    source = make_source(
        name="lastpass",
        kind="json",
        path="usage.json",
        customer_field="companyId",
        sku_field="sku",
        quantity_field="seats",
    )

    error = failure(source, tmp_path)

    assert error.message == 'usage.json:4:17: key "seats" appears twice in one object (40, then 4)'
    assert error.hint is not None
    assert "which" in error.hint


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('{"a": 1, "a": 1}', "1:10"),  # the same value twice is still refused
        ('[{"x": {"b": [1, {"c": 2}], "b": null}}]', "1:29"),
        ('{"a": {"k": 1}, "b": {"k": 2}, "a": 3}', "1:32"),  # keys of different objects are fine
        ('{"ü": 1, "s": "a\\"b", "ü": 2}', "1:23"),
    ],
)
def test_the_location_is_that_of_the_second_key(text: str, where: str) -> None:
    with pytest.raises(SourceError) as caught:
        parse_json(text, "u.json")
    assert caught.value.message.startswith(f"u.json:{where}: key ")


def test_equal_keys_in_different_objects_are_fine() -> None:
    assert parse_json('[{"a": 1}, {"a": 2, "b": {"a": 3}}]', "u.json") == [
        {"a": 1},
        {"a": 2, "b": {"a": 3}},
    ]


def test_a_syntax_error_after_a_repeated_key_is_reported_first() -> None:
    with pytest.raises(SourceError) as caught:
        parse_json('[{"a": 1, "a": 2},\n oops]', "u.json")
    assert caught.value.message.startswith("u.json:2:2: not valid JSON: ")
