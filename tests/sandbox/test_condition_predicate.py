"""Prepared conditions answer as the plain evaluator does: ``predicate`` (``in`` lists as sets)
and ``stored_filter`` (rows skipped before they are expanded) only make lists cheaper."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from psabill.sandbox import DEMO_CREDENTIALS, Store, api, seed_large
from psabill.sandbox.api import API_ROOT, ApiRequest, ConnectWiseApi
from psabill.sandbox.condition_eval import evaluate, predicate, stored_filter
from psabill.sandbox.conditions import Compare, Value, parse
from psabill.sandbox.model import AGREEMENT, COMPANY
from psabill.sandbox.query import parse_condition
from psabill.sandbox.schema import Resource

TEXTS = st.sampled_from(["7", "07", "7.0", "abc", "ABC", "true", "False", "None", "2024-01-31", ""])
VALUES: st.SearchStrategy[Value] = st.one_of(
    TEXTS,
    st.none(),
    st.booleans(),
    st.sampled_from([Decimal("7"), Decimal("7.00"), Decimal("-1"), Decimal("0.5")]),
    st.sampled_from([datetime(2024, 1, 31, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC)]),
)
FIELDS = st.one_of(
    TEXTS,
    st.none(),
    st.booleans(),
    st.sampled_from([7, 0, -1, 7.0, 0.5, 1e300]),
    st.sampled_from(["2024-01-31T00:00:00Z", "2024-01-31T00:00:00", {"id": 7}, [7]]),
)


@given(values=st.lists(VALUES, min_size=1, max_size=6), field=FIELDS, negated=st.booleans())
def test_an_in_list_answers_as_the_evaluator(
    values: list[Value], field: Any, negated: bool
) -> None:
    node = Compare(("x",), "in", tuple(values), negated)
    row = {"x": field}
    assert predicate(node)(row) is evaluate(node, row)


@pytest.mark.parametrize(
    "condition",
    [
        'identifier in ("abc", 7, null) and quantity > 1',
        "x in (7) or x = 'abc'",
        "not_there in (1, 2)",
        "x not in ('7', [2024-01-31])",
    ],
)
@pytest.mark.parametrize("field", ["7", 7, 7.5, "ABC", None, True, "2024-01-31T00:00:00Z"])
def test_a_whole_condition_answers_as_the_evaluator(condition: str, field: Any) -> None:
    node = parse(condition)
    for row in ({"x": field, "identifier": field, "quantity": 2}, {"identifier": field}):
        assert predicate(node)(row) is evaluate(node, row)


@pytest.fixture(scope="module")
def large() -> Store:
    store = Store()
    seed_large(store, 30, 2, seed=3)
    return store


@pytest.mark.parametrize(
    ("resource", "condition", "skips"),
    [
        (COMPANY, 'identifier in ("C00003", "c00005", "nope") or name contains "1"', False),
        (COMPANY, 'identifier in ("C00003", "c00005", 7) and name contains "0"', True),
        (COMPANY, "id in (251, 253, 999) and deletedFlag = false", True),
        (AGREEMENT, "company/id in (251, 252) and company/identifier != 'x'", True),
        (AGREEMENT, "company/identifier in ('C00002') and agreementStatus = 'Active'", False),
        (AGREEMENT, "agreementStatus in ('Active')", False),
    ],
)
def test_the_stored_filter_skips_only_rows_that_cannot_match(
    large: Store, resource: Resource, condition: str, skips: bool
) -> None:
    node = parse_condition(condition, resource)
    assert node is not None
    matches = predicate(node)
    every = [row for row in large.rows(resource.table) if evaluate(node, row)]
    kept = stored_filter(node, resource)
    assert (kept is not None) is skips
    filtered = large.rows(resource.table, kept)
    assert [row for row in filtered if matches(row)] == every
    assert every  # the condition selects something, so the comparison means something
    if kept is not None:
        assert len(filtered) < len(large.rows(resource.table))


LISTS = [
    (
        "company/companies",
        {
            "fields": "id,identifier,name",
            "conditions": 'identifier in ("C00003", "C00007", "c00011")',
        },
    ),
    (
        "company/companies",
        {"fields": "Identifier,_info/lastUpdated", "orderBy": "name desc", "pageSize": "4"},
    ),
    (
        "company/companies",
        {"fields": "id", "conditions": "lastUpdated > [2000-01-01] and id in (251, 260)"},
    ),
    (
        "finance/agreements",
        {"fields": "id,company/id,agreementStatus", "conditions": "company/id in (251, 252, 253)"},
    ),
    (
        "finance/agreements",
        {"fields": "id,company", "conditions": "company/identifier = 'C00002' or id = 1501"},
    ),
    ("finance/agreements/1500/additions", {"fields": "id,product/identifier,quantity,extPrice"}),
    (
        "procurement/catalog",
        {"fields": "identifier", "conditions": "identifier in ('VENDOR-SKU-0001')"},
    ),
    ("company/companies", {"conditions": "id in (251, 252)"}),
]


@pytest.mark.parametrize(("path", "params"), LISTS)
def test_a_list_answers_as_it_would_from_every_whole_row(
    large: Store, monkeypatch: pytest.MonkeyPatch, path: str, params: dict[str, str]
) -> None:
    """The same request, answered with and without skipping rows and keys: same bytes."""
    sandbox_api = ConnectWiseApi(large, DEMO_CREDENTIALS)
    headers = {k.lower(): v for k, v in DEMO_CREDENTIALS.headers().items()}
    request = ApiRequest("GET", f"{API_ROOT}/{path}", tuple(params.items()), headers)
    fast = sandbox_api.handle(request)
    monkeypatch.setattr(api, "shown_keys", lambda query: None)
    monkeypatch.setattr(api, "stored_filter", lambda node, resource: None)
    whole = sandbox_api.handle(request)
    assert fast.status == whole.status == 200
    assert fast.headers == whole.headers
    assert fast.body == whole.body
    assert json.loads(fast.body)  # something was listed
