"""The TOML key-path -> line scanner behind every FILE:LINE error."""

from __future__ import annotations

import tomllib

from psabill.config.locate import dotted, key_lines, line_of

DOC = '''\
# comment
title = "x"
[account]
name = "A"
"quoted key" = 1
[schedule]
mode = "monthly"
notes = """
hour = 99
"""
list = [
  "a",
  "b",
]
[[customers]]
id = "c0"
schedule = { mode = "daily", hour = 3 }
[[customers.contracts]]
product = "P0"
[[customers.contracts]]
product = "P1"
[[customers]]
id = "c1"
site.host = "h"
[[customers.contracts]]
product = "P2"
'''


def test_document_is_valid_toml() -> None:
    tomllib.loads(DOC)


def test_key_lines() -> None:
    lines = key_lines(DOC)
    assert lines[("title",)] == 2
    assert lines[("account",)] == 3
    assert lines[("account", "quoted key")] == 5
    assert lines[("schedule", "notes")] == 8
    assert ("schedule", "hour") not in lines  # inside a multi-line string
    assert lines[("schedule", "list")] == 11
    assert lines[("customers", 0)] == 15
    assert lines[("customers", 0, "schedule")] == 17
    assert lines[("customers", 0, "contracts", 0, "product")] == 19
    assert lines[("customers", 0, "contracts", 1, "product")] == 21
    assert lines[("customers", 1, "id")] == 23
    assert lines[("customers", 1, "site", "host")] == 24
    assert lines[("customers", 1, "contracts", 0, "product")] == 26


def test_line_of_falls_back_to_the_nearest_ancestor() -> None:
    lines = key_lines(DOC)
    assert line_of(lines, ("customers", 0, "schedule", "hour")) == 17
    assert line_of(lines, ("customers", 1, "psa_company")) == 22
    assert line_of(lines, ("missing",)) is None


def test_dotted() -> None:
    assert (
        dotted(("customers", 2, "contracts", 0, "product")) == "customers[2].contracts[0].product"
    )
    assert dotted(()) == "(top level)"
