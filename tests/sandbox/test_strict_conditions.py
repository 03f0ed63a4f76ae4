"""The sandbox's strict ``conditions`` and its query-string limit, as plain httpx sees them.

Where the reference leaves the real API's behaviour open, the sandbox refuses: no backslash
escapes inside strings, no unknown nested fields, no field names in another case. The URL limit
is IIS's: a query string over 2,048 bytes gets the 404.15 HTML page before anything else runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from psabill.sandbox import Sandbox, Store

AWKWARD = {
    "slash": "Back\\slash",
    "trail": "Trail\\",
    "quote": 'Quote"Co',
    "escaped": 'Quote\\"Co',
    "apostrophe": "O'Brien",
}


@pytest.fixture
def awkward(store: Store) -> dict[str, int]:
    """Companies whose identifiers hold quotes and backslashes, by short name."""
    return {key: store.add_company(value, f"Awkward {key}") for key, value in AWKWARD.items()}


def ids(client: httpx.Client, condition: str) -> list[int]:
    response = client.get("/company/companies", params={"conditions": condition})
    assert response.status_code == 200, response.text
    return [row["id"] for row in response.json()]


def assert_invalid_conditions(response: httpx.Response, *words: str) -> None:
    assert response.status_code == 400
    body: dict[str, Any] = response.json()
    assert body["code"] == "InvalidObject"
    assert body["message"] == "conditions is invalid"
    [issue] = body["errors"]
    assert issue["field"] == issue["resource"] == "conditions"
    for word in words:
        assert word in issue["message"]


# -- backslashes are ordinary characters -------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ('identifier = "Back\\slash"', "slash"),
        ('identifier = "Trail\\"', "trail"),
        ("identifier = 'Quote\"Co'", "quote"),
        ('identifier = "Quote\\"', None),  # the old escaped form no longer reads as Quote"Co
        ('identifier = "O\'Brien"', "apostrophe"),
        ('identifier in (\'Quote"Co\', "Back\\slash")', "quote+slash"),
    ],
)
def test_a_backslash_is_an_ordinary_character(
    client: httpx.Client, awkward: dict[str, int], condition: str, expected: str | None
) -> None:
    wanted = [] if expected is None else [awkward[key] for key in expected.split("+")]

    assert ids(client, condition) == sorted(wanted)


@pytest.mark.parametrize(
    "condition",
    [
        'identifier = "Quote\\"Co"',  # \" does not escape: the string ends, Co" is left open
        'identifier = "Quote""Co"',  # nor does a doubled quote
        "identifier = 'O\\'Brien'",
        'identifier in ("A\\", "B)',  # "A\" is a whole string, so "B) is left open
    ],
)
def test_an_escape_attempt_is_a_400_with_cw_error_body(
    client: httpx.Client, awkward: dict[str, int], condition: str
) -> None:
    response = client.get("/company/companies", params={"conditions": condition})

    assert_invalid_conditions(response)


def test_an_unclosed_quote_names_where_it_opened(client: httpx.Client) -> None:
    response = client.get("/company/companies", params={"conditions": 'identifier = "Trail\\'})

    assert_invalid_conditions(response, "position 13", "never closed")


# -- field names -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("endpoint", "condition", "hint"),
    [
        ("/company/companies", 'status/foo = "x"', ""),
        ("/company/companies", "status/name/x = 1", ""),
        ("/finance/agreements", "company/nope = 1", ""),
        ("/finance/agreements", "type/identifier = 1", ""),
        ("/finance/agreements/1500/additions", 'product/description = "x"', ""),
        ("/company/companies", "_info/nope = 1", ""),
        ("/company/companies", "cancelledFlag/id = 1", ""),
        ("/company/companies", 'Identifier = "AcmeDental"', "case-sensitive: identifier"),
        ("/finance/agreements", "company/ID = 250", "case-sensitive: company/id"),
        ("/company/companies", "lastupdated > [2024-01-01]", "case-sensitive: lastUpdated"),
        ("/finance/agreements", "company = 250", "company/id, company/identifier, company/name"),
        ("/company/companies", "status = 1", "status/id, status/name"),
    ],
)
def test_unknown_nested_or_miscased_fields_are_a_400(
    client: httpx.Client, endpoint: str, condition: str, hint: str
) -> None:
    response = client.get(endpoint, params={"conditions": condition})

    assert_invalid_conditions(response, "Unknown field", hint)
    assert response.json()["errors"][0]["code"] == "InvalidField"


def test_count_refuses_unknown_nested_fields_too(client: httpx.Client) -> None:
    response = client.get("/company/companies/count", params={"conditions": 'status/foo = "x"'})

    assert_invalid_conditions(response, "status/foo")


Row = dict[str, Any]
KNOWN: list[tuple[str, str, str, Callable[[Row], bool]]] = [
    (
        "companies",
        "/company/companies",
        'status/name = "Active"',
        lambda r: r["status"]["name"] == "Active",
    ),
    ("companies", "/company/companies", "status/id != 1", lambda r: r["status"]["id"] != 1),
    ("companies", "/company/companies", "country/identifier = null", lambda r: True),
    (
        "agreements",
        "/finance/agreements",
        'type/name = "Managed Services" and company/id > 0',
        lambda r: r["type"]["name"] == "Managed Services",
    ),
    ("agreements", "/finance/agreements", "parentAgreement/chargeFirmFlag = null", lambda r: True),
    (
        "agreements",
        "/finance/agreements",
        'company/identifier = "AcmeDental"',
        lambda r: r["company"]["identifier"] == "AcmeDental",
    ),
    ("companies", "/company/companies", '_info/updatedBy != "nobody"', lambda r: True),
    ("companies", "/company/companies", "_info/lastUpdated < [2030-01-01]", lambda r: True),
]


@pytest.mark.parametrize(("table", "endpoint", "condition", "expected"), KNOWN)
def test_known_nested_fields_still_filter(
    client: httpx.Client,
    sandbox: Sandbox,
    table: str,
    endpoint: str,
    condition: str,
    expected: Callable[[Row], bool],
) -> None:
    response = client.get(endpoint, params={"conditions": condition, "pageSize": 1000})

    assert response.status_code == 200, response.text
    rows = sandbox.store.dump()[table]
    assert [row["id"] for row in response.json()] == [row["id"] for row in rows if expected(row)]
    assert response.json()


@pytest.mark.parametrize("order_by", ["Name asc", "company/Name", "company/nope desc", "company"])
def test_order_by_names_fields_as_strictly(client: httpx.Client, order_by: str) -> None:
    response = client.get("/finance/agreements", params={"orderBy": order_by})

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "orderBy"


# -- the query-string limit ----------------------------------------------------------------------


def padded(path: str, length: int) -> str:
    """``path`` with a query string of exactly ``length`` bytes (an ignored parameter)."""
    head = "pageSize=25&pad="
    return f"{path}?{head}{'a' * (length - len(head))}"


def assert_iis_404_15(response: httpx.Response) -> None:
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "HTTP Error 404.15 - Not Found" in response.text
    assert "configured to deny a request where the query string is too long" in response.text


def test_a_query_string_of_2048_bytes_is_served(client: httpx.Client, sandbox: Sandbox) -> None:
    response = client.get(padded("/company/companies", 2048))

    assert len(response.request.url.query) == 2048
    assert response.status_code == 200
    assert len(response.json()) == min(25, len(sandbox.store.dump()["companies"]))


def test_a_query_string_over_2048_bytes_gets_iis_404_15(client: httpx.Client) -> None:
    response = client.get(padded("/company/companies", 2049))

    assert len(response.request.url.query) == 2049
    assert_iis_404_15(response)


def test_the_limit_counts_encoded_bytes_of_a_real_condition(client: httpx.Client) -> None:
    names = ", ".join(f'"Grüße-{n:03d}"' for n in range(80))
    response = client.get("/company/companies", params={"conditions": f"identifier in ({names})"})

    assert len(response.request.url.query) > 2048
    assert len(f"conditions=identifier in ({names})") < 2048  # too long only once encoded
    assert_iis_404_15(response)


def test_the_limit_applies_before_authentication_and_on_every_path(
    anonymous: httpx.Client, sandbox: Sandbox
) -> None:
    api = sandbox.api_url.removeprefix(sandbox.site_url)

    for path in (f"{api}/company/companies", f"{api}/no/such/thing", "/login/companyinfo/x"):
        assert anonymous.get(padded(path, 2048)).status_code in (200, 401, 404)
        assert_iis_404_15(anonymous.get(padded(path, 2049)))
        assert_iis_404_15(anonymous.post(padded(path, 3000), json={}))
