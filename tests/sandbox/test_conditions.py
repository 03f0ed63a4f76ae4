"""The ``conditions`` language: table tests on the evaluator, then the HTTP behaviour."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from psabill.sandbox.condition_eval import evaluate
from psabill.sandbox.conditions import ConditionError, parse

ROW: dict[str, Any] = {
    "id": 5,
    "name": "Acme Dental",
    "identifier": "AcmeDental",
    "quantity": 42.0,
    "unitPrice": None,
    "cancelledFlag": False,
    "cancelledDate": None,
    "effectiveDate": "2024-01-01T00:00:00Z",
    "note": 'say "hi"',
    "company": {"id": 250, "identifier": "AcmeDental"},
    "product": {"id": 700, "identifier": "SOPHOS-IX-ADV"},
    "type": {"id": 10, "name": "Managed Services"},
}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        # comparison operators on numbers
        ("id = 5", True),
        ("id != 5", False),
        ("id < 6", True),
        ("id <= 5", True),
        ("id > 5", False),
        ("id >= 5", True),
        ("quantity = 42", True),
        ("quantity > 41.5", True),
        ("quantity<=-1", False),
        # strings: both quote styles, case-insensitive like SQL Server
        ('name = "Acme Dental"', True),
        ("name = 'acme dental'", True),
        ('name != "Acme Dental"', False),
        ('name < "B"', True),
        ("note = 'say \"hi\"'", True),
        # contains / like and their negations
        ('name contains "dent"', True),
        ('name not contains "Dent"', False),
        ('name CONTAINS "zzz"', False),
        ('name like "Acme%"', True),
        ('name like "acme*"', True),
        ('name like "Ac_e Dental"', True),
        ('name like "Acme"', False),
        ('name not like "Zeta%"', True),
        # in / not in
        ("id in (1, 5, 9)", True),
        ("id in (1,2)", False),
        ("id not in (1, 2)", True),
        ('identifier in ("x", "acmedental")', True),
        # booleans, any case
        ("cancelledFlag = False", True),
        ("cancelledFlag = false", True),
        ("cancelledFlag = TRUE", False),
        ("cancelledFlag != true", True),
        # null
        ("cancelledDate = null", True),
        ("cancelledDate = NULL", True),
        ("cancelledDate != null", False),
        ("effectiveDate != null", True),
        # SQL null semantics: a null field satisfies no comparison
        ("unitPrice != 5", False),
        ("unitPrice not in (1, 2)", False),
        # dates in brackets, with or without time
        ("effectiveDate < [2024-06-01T00:00:00Z]", True),
        ("effectiveDate >= [2024-01-01]", True),
        ("effectiveDate > [2024-01-01T00:00:00Z]", False),
        ("effectiveDate = [2024-01-01T00:00:00Z]", True),
        # reference paths
        ("company/id = 250", True),
        ('company/identifier = "AcmeDental"', True),
        ('product/identifier contains "SOPHOS"', True),
        ('type/name = "Managed Services"', True),
        ("company/missing = null", True),
        # and/or: AND binds tighter, keywords case-insensitive, parentheses override
        ('id = 1 or id = 5 and name = "nobody"', False),
        ('(id = 1 or id = 5) and name = "Acme Dental"', True),
        ('id = 5 AND name = "Acme Dental" OR id = 1', True),
        ("id = 1 Or id = 5", True),
        ("((id = 5)) and ((quantity = 42))", True),
        ("id = 1 or (id = 2 or (id = 5 and cancelledFlag = false))", True),
    ],
)
def test_condition_evaluation(condition: str, expected: bool) -> None:
    assert evaluate(parse(condition), ROW) is expected


@pytest.mark.parametrize(
    "condition",
    [
        "",
        "   ",
        "id =",
        "id = 5 and",
        "and id = 5",
        "(id = 5",
        "id = 5)",
        "id == 5",
        "id 5",
        "id",
        'name = "unterminated',
        r'note = "say \"hi\""',  # a backslash escapes nothing: the string ends at say \
        "cancelledFlag > true",
        "cancelledDate < null",
        "id in 5",
        "id in (1 2)",
        "id in ()",
        "effectiveDate > [not-a-date]",
        'name not = "x"',
        "id = 5 xor id = 6",
        "id = 2024-01-01",
        "id = 5 # 6",
    ],
)
def test_malformed_conditions_raise(condition: str) -> None:
    with pytest.raises(ConditionError):
        parse(condition)


def test_http_conditions_filter_rows(client: httpx.Client) -> None:
    response = client.get(
        "/finance/agreements",
        params={"conditions": 'company/identifier="MuellerSoehne" AND cancelledFlag=False'},
    )

    assert response.status_code == 200
    assert [a["name"] for a in response.json()] == [
        "Müller - Managed Services",
        "Müller - Security Services",
    ]


def test_http_conditions_on_additions_use_reference_paths(client: httpx.Client) -> None:
    active = client.get(
        "/finance/agreements/1503/additions",
        params={"conditions": 'product/identifier="LASTPASS-BUS" and cancelledDate=null'},
    )
    cancelled = client.get(
        "/finance/agreements/1503/additions",
        params={"conditions": "cancelledDate != null"},
    )

    assert active.json() == []
    assert [a["product"]["identifier"] for a in cancelled.json()] == ["LASTPASS-BUS"]
    assert cancelled.json()[0]["agreementStatus"] == "Cancelled"


def test_last_updated_is_an_alias_for_info_last_updated(client: httpx.Client) -> None:
    def count(condition: str) -> object:
        return client.get("/company/companies/count", params={"conditions": condition}).json()

    before = count("lastUpdated < [2024-12-02]")
    after = count("lastUpdated > [2024-12-02]")

    assert before == {"count": 6}
    assert after == {"count": 0}


@pytest.mark.parametrize(
    "condition",
    ['name = "unterminated', "id = ", "(id = 1", "noSuchField = 1", "id = 1 and bogus/x = 2"],
)
def test_http_malformed_conditions_answer_400_invalid_object(
    client: httpx.Client, condition: str
) -> None:
    response = client.get("/company/companies", params={"conditions": condition})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "InvalidObject"
    assert body["message"] == "conditions is invalid"
    [issue] = body["errors"]
    assert set(issue) == {"code", "message", "resource", "field"}
    assert issue["field"] == "conditions"
    assert issue["code"] in {"InvalidSyntax", "InvalidField"}


def test_http_count_honours_conditions(client: httpx.Client) -> None:
    response = client.get("/finance/agreements/count", params={"conditions": "cancelledFlag=true"})

    assert response.json() == {"count": 1}
