"""ConnectWise JSON -> value objects: every entity, and every way an answer can be malformed."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest

from psabill.core.entities import Addition, Agreement, CatalogItem, Company, Invoice, NewAddition
from psabill.errors import PsaError
from psabill.psa.connectwise.bodies import addition_body, wire_number
from psabill.psa.connectwise.client import ConnectWiseClient
from tests.psa.conftest import FakeCw, reply, run

MakeClient = Callable[..., ConnectWiseClient]

COMPANY = {
    "id": 250,
    "identifier": "AcmeDental",
    "name": "Acme Dental Group",
    "status": {"id": 1, "name": "Active"},
    "deletedFlag": False,
    "_info": {"lastUpdated": "2024-12-01T09:00:00Z"},
}
AGREEMENT = {
    "id": 1500,
    "name": "Acme Dental - Managed Services",
    "type": {"id": 10, "name": "Managed Services", "_info": {}},
    "company": {"id": 250, "identifier": "AcmeDental", "name": "Acme Dental Group"},
    "cancelledFlag": False,
    "agreementStatus": "Active",
}
ADDITION = {
    "id": 9000,
    "agreementId": 1500,
    "product": {"id": 700, "identifier": "SOPHOS-IX-ADV", "_info": {}},
    "quantity": 42.0,
    "unitPrice": 4.5,
    "unitCost": 2.75,
    "effectiveDate": "2024-01-01T00:00:00Z",
    "cancelledDate": "2025-06-30T00:00:00Z",
    "agreementStatus": "Active",
    "description": "Sophos Intercept X Advanced",
}
CATALOG = {
    "id": 700,
    "identifier": "SOPHOS-IX-ADV",
    "description": "Sophos Intercept X Advanced",
    "inactiveFlag": False,
    "price": 4.5,
    "cost": 2.75,
}
INVOICE = {
    "id": 4200,
    "invoiceNumber": "INV-10231",
    "company": {"id": 250, "identifier": "AcmeDental", "name": "Acme"},
    "agreement": {"id": 1500, "name": "x"},
    "date": "2024-11-01T00:00:00Z",
    "total": 455.1,
}


def test_company(make_client: MakeClient, fake: FakeCw) -> None:
    fake.on("GET company/companies", reply(200, [COMPANY]))
    found = run(make_client(), lambda c: c.companies(["acmedental"]))
    assert found == [Company(250, "AcmeDental", "Acme Dental Group", deleted=False)]


def test_agreement(make_client: MakeClient, fake: FakeCw) -> None:
    cancelled = {
        **AGREEMENT,
        "id": 1501,
        "cancelledFlag": True,
        "agreementStatus": "Cancelled",
    }
    fake.on("GET finance/agreements", reply(200, [AGREEMENT, cancelled]))
    found = run(make_client(), lambda c: c.agreements([250]))
    assert found[0] == Agreement(
        1500, "Acme Dental - Managed Services", "Managed Services", 250, "AcmeDental", False
    )
    assert found[1].cancelled
    assert found[1].status == "Cancelled"
    assert not found[1].billable


def test_addition_numbers_are_exact_decimals(make_client: MakeClient, fake: FakeCw) -> None:
    fake.on("GET finance/agreements/1500/additions", reply(200, [ADDITION]))
    [found] = run(make_client(), lambda c: c.additions(1500))
    assert found == Addition(
        id=9000,
        agreement_id=1500,
        product_id=700,
        product_identifier="SOPHOS-IX-ADV",
        quantity=Decimal("42"),
        unit_price=Decimal("4.5"),
        unit_cost=Decimal("2.75"),
        effective_date=date(2024, 1, 1),
        cancelled_date=date(2025, 6, 30),
        status="Active",
        description="Sophos Intercept X Advanced",
    )
    assert str(found.unit_cost) == "2.75"


def test_addition_with_nulls_left_out(make_client: MakeClient, fake: FakeCw) -> None:
    lean = {"id": 9001, "product": {"id": 700, "identifier": "SOPHOS-IX-ADV"}}
    fake.on("GET finance/agreements/1500/additions", reply(200, [lean]))
    [found] = run(make_client(), lambda c: c.additions(1500))
    assert found.quantity == 0
    assert found.unit_price is None
    assert found.cancelled_date is None
    assert found.status == "Active"
    assert found.agreement_id == 1500


def test_catalog_item(make_client: MakeClient, fake: FakeCw) -> None:
    fake.on(
        "GET procurement/catalog", reply(200, [CATALOG, {**CATALOG, "id": 9, "identifier": "X"}])
    )
    found = run(make_client(), lambda c: c.catalog_items(["SOPHOS-IX-ADV"]))
    assert found == [
        CatalogItem(
            700,
            "SOPHOS-IX-ADV",
            "Sophos Intercept X Advanced",
            False,
            Decimal("4.5"),
            Decimal("2.75"),
        )
    ]


def test_invoice(make_client: MakeClient, fake: FakeCw) -> None:
    fake.on("GET finance/invoices", reply(200, [INVOICE]))
    found = run(make_client(), lambda c: c.invoices([250], date(2024, 11, 1), date(2024, 11, 30)))
    assert found == [
        Invoice(4200, "INV-10231", 250, "AcmeDental", date(2024, 11, 1), Decimal("455.1"), 1500)
    ]
    conditions = fake.calls("GET finance/invoices")[0].url.params["conditions"]
    assert conditions == (
        "company/id in (250) and date >= [2024-11-01T00:00:00Z] and date < [2024-12-01T00:00:00Z]"
    )


def _row(**changes: Any) -> dict[str, Any]:
    row = dict(ADDITION)
    for key, value in changes.items():
        if value is ...:
            del row[key]
        else:
            row[key] = value
    return row


def _raw(body: str, content_type: str = "application/json") -> httpx.Response:
    return httpx.Response(200, content=body.encode(), headers={"Content-Type": content_type})


MALFORMED = {
    "html from a proxy": _raw("<html><body>Bad gateway</body></html>", "text/html"),
    "truncated json": _raw('[{"id": 9000, "product": {"id"'),
    "NaN literal": _raw('[{"id": 9000, "quantity": NaN, "product": {"id": 1, "identifier": "x"}}]'),
    "object instead of list": reply(200, {"id": 9000}),
    "null body": reply(200, None),
    "null row": reply(200, [None]),
    "row is a string": reply(200, ["9000"]),
    "missing id": reply(200, [_row(id=...)]),
    "id as text": reply(200, [_row(id="9000")]),
    "id as bool": reply(200, [_row(id=True)]),
    "quantity as text": reply(200, [_row(quantity="5")]),
    "quantity as bool": reply(200, [_row(quantity=True)]),
    "product missing": reply(200, [_row(product=...)]),
    "product as list": reply(200, [_row(product=[700])]),
    "product without identifier": reply(200, [_row(product={"id": 700})]),
    "date not a date": reply(200, [_row(effectiveDate="yesterday")]),
    "date as number": reply(200, [_row(cancelledDate=20240101)]),
    "unknown status": reply(200, [_row(agreementStatus="Weird")]),
    "other agreement": reply(200, [_row(agreementId=1501)]),
    "description as object": reply(200, [_row(description={"x": 1})]),
    "second row broken": reply(200, [ADDITION, _row(id=None)]),
    "not utf-8": httpx.Response(
        200, content=b"\xff\xfe[", headers={"Content-Type": "application/json"}
    ),
}


@pytest.mark.parametrize("answer", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_answer_is_one_psa_error_naming_the_endpoint(
    make_client: MakeClient, fake: FakeCw, answer: httpx.Response
) -> None:
    fake.on("GET finance/agreements/1500/additions", answer)
    with pytest.raises(PsaError) as caught:
        run(make_client(), lambda c: c.additions(1500))
    message = caught.value.message
    assert "unexpected response from GET finance/agreements/1500/additions" in message
    assert caught.value.hint


@pytest.mark.parametrize(
    ("route", "call"),
    [
        ("GET company/companies", lambda c: c.companies(["A"])),
        ("GET finance/agreements", lambda c: c.agreements([1])),
        ("GET procurement/catalog", lambda c: c.catalog_items(["A"])),
        ("GET finance/invoices", lambda c: c.invoices([1], date(2024, 1, 1), date(2024, 2, 1))),
        ("GET finance/agreements/types", lambda c: c.agreement_types()),
    ],
)
def test_every_list_refuses_rows_missing_their_keys(
    make_client: MakeClient, fake: FakeCw, route: str, call: Any
) -> None:
    fake.on(route, reply(200, [{"id": 1}]))
    with pytest.raises(PsaError, match=r"unexpected response.*is missing"):
        run(make_client(), call)


def test_a_malformed_write_answer_warns_that_the_change_may_be_made(
    make_client: MakeClient, fake: FakeCw
) -> None:
    fake.on("POST finance/agreements/1500/additions", reply(201, {"id": "x"}))
    new = NewAddition(1500, 700, "SOPHOS-IX-ADV", Decimal(3), date(2025, 1, 1))
    with pytest.raises(PsaError, match="unexpected response from POST") as caught:
        run(make_client(), lambda c: c.create_addition(new))
    assert "may have been made" in str(caught.value.hint)
    assert len(fake.calls("POST finance/agreements/1500/additions")) == 1


def test_addition_body_sends_numbers_and_utc_midnight() -> None:
    new = NewAddition(
        1500,
        700,
        "SOPHOS-IX-ADV",
        Decimal("12"),
        date(2025, 2, 1),
        unit_price=Decimal("4.50"),
        unit_cost=Decimal("2.75"),
        description="Seats",
    )
    body = addition_body(new)
    assert json.loads(json.dumps(body)) == {
        "product": {"id": 700},
        "billCustomer": "Billable",
        "quantity": 12,
        "effectiveDate": "2025-02-01T00:00:00Z",
        "unitPrice": 4.5,
        "unitCost": 2.75,
        "description": "Seats",
    }


@pytest.mark.parametrize(
    ("value", "wire"), [(Decimal("3"), 3), (Decimal("3.0"), 3), (Decimal("2.5"), 2.5)]
)
def test_wire_numbers(value: Decimal, wire: float) -> None:
    assert wire_number(value) == wire
    assert type(wire_number(value)) is type(wire)


def test_wire_number_refuses_nan() -> None:
    with pytest.raises(ValueError, match="finite"):
        wire_number(Decimal("NaN"))
