"""The ConnectWise adapter on a scripted server: requests, discovery, paging, errors, writes."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest

from psabill.core.entities import NewAddition, NewCatalogItem
from psabill.errors import ConfigError, PsaError
from psabill.psa import PsaClient, open_client
from psabill.psa.connectwise.client import ConnectWiseClient
from psabill.psa.pacing import RetryPolicy
from tests.psa.conftest import (
    CLIENT_ID,
    PRIVATE_KEY,
    PUBLIC_KEY,
    FakeClock,
    FakeCw,
    make_psa,
    reply,
    run,
)
from tests.psa.test_cw_mapping import ADDITION, CATALOG, COMPANY

MakeClient = Callable[..., ConnectWiseClient]
TOKEN = base64.b64encode(f"acme+{PUBLIC_KEY}:{PRIVATE_KEY}".encode()).decode()
LOST = httpx.RemoteProtocolError("Server disconnected without sending a response.")
NEW = NewAddition(1500, 705, "M365-BP", Decimal(3), date(2025, 1, 1))
CREATED = {
    **ADDITION,
    "id": 9100,
    "product": {"id": 705, "identifier": "M365-BP"},
    "quantity": 3.0,
    "effectiveDate": "2025-01-01T00:00:00Z",
    "cancelledDate": None,
}
ADDITIONS = "finance/agreements/1500/additions"


def test_open_client_gives_a_connectwise_client() -> None:
    client: PsaClient = open_client(make_psa())
    assert isinstance(client, ConnectWiseClient)
    assert PRIVATE_KEY not in repr(client)
    assert PUBLIC_KEY not in repr(client)


def test_the_retry_count_comes_from_the_config(make_client: MakeClient, fake: FakeCw) -> None:
    fake.on("GET company/companies", reply(503, {}))
    with pytest.raises(PsaError, match="HTTP 503"):
        run(make_client(retries=2), lambda c: c.companies(["A"]))
    assert len(fake.calls("GET company/companies")) == 3


def test_plain_http_to_a_remote_host_is_refused_even_past_the_schema() -> None:
    psa = make_psa().model_copy(update={"site": "http://cw.example.com"})
    with pytest.raises(ConfigError, match="https"):
        open_client(psa)


def test_an_unreadable_ca_bundle_is_a_config_error(tmp_path: Any) -> None:
    with pytest.raises(ConfigError, match="ca_bundle"):
        open_client(make_psa(ca_bundle=tmp_path / "missing.pem"))


def test_api_requests_carry_auth_client_id_and_the_pinned_version(
    make_client: MakeClient, fake: FakeCw
) -> None:
    fake.on("GET company/companies", reply(200, [COMPANY]))
    run(make_client(), lambda c: c.companies(["AcmeDental"]))
    info, listing = fake.seen
    assert "authorization" not in info.headers
    assert info.url == "https://cw.example.com/login/companyinfo/acme"
    assert listing.headers["authorization"] == f"Basic {TOKEN}"
    assert listing.headers["clientid"] == CLIENT_ID
    assert listing.headers["accept"] == "application/vnd.connectwise.com+json; version=2025.8"
    assert listing.url.path == "/v2025_1/apis/3.0/company/companies"
    params = listing.url.params
    assert params["conditions"] == 'identifier in ("AcmeDental")'
    assert params["fields"] == "id,identifier,name,deletedFlag"
    assert (params["pageSize"], params["page"], params["orderBy"]) == ("1000", "1", "id asc")


def test_companyinfo_is_asked_once(make_client: MakeClient, fake: FakeCw) -> None:
    fake.on("GET finance/agreements/\\d+/additions", reply(200, []))

    async def many(client: ConnectWiseClient) -> None:
        for agreement in (1, 2, 3):
            await client.additions(agreement)

    run(make_client(), many)
    assert len(fake.calls("GET /login/companyinfo/acme")) == 1


def test_a_configured_codebase_skips_discovery(make_client: MakeClient, fake: FakeCw) -> None:
    fake.on("GET company/companies", reply(200, []))
    run(make_client(codebase="v2099_9"), lambda c: c.companies(["A"]))
    assert [r.url.path for r in fake.seen] == ["/v2099_9/apis/3.0/company/companies"]


def test_an_unknown_company_names_the_setting(make_client: MakeClient, fake: FakeCw) -> None:
    fake.on("GET companyinfo", reply(200, None))
    with pytest.raises(PsaError, match="does not know the company 'acme'") as caught:
        run(make_client(), lambda c: c.companies(["A"]))
    assert "psa.company" in str(caught.value.hint)


def test_a_moved_codebase_is_rediscovered_once_after_a_404(
    make_client: MakeClient, fake: FakeCw
) -> None:
    fake.on(
        "GET companyinfo",
        reply(200, {"Codebase": "v2024_1/"}),
        reply(200, {"Codebase": "v2025_1/"}),
    )

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/v2024_1/"):
            return reply(404, {"code": "NotFound", "message": "gone", "errors": None})
        return reply(200, [COMPANY])

    fake.on("GET company/companies", answer)
    found = run(make_client(), lambda c: c.companies(["AcmeDental"]))
    assert [c.id for c in found] == [250]
    assert len(fake.calls("GET company/companies")) == 2


def test_a_404_on_cloud_hints_at_codebase_and_credentials(
    make_client: MakeClient, fake: FakeCw
) -> None:
    fake.on("GET company/companies", reply(404, {"code": "NotFound", "message": "x"}))
    with pytest.raises(PsaError, match=r"found nothing at GET company/companies \(404\)") as caught:
        run(make_client(site="na.myconnectwise.net"), lambda c: c.companies(["A"]))
    assert "codebase" in str(caught.value.hint)
    assert "credentials" in str(caught.value.hint)
    assert fake.seen[1].url.host == "api-na.myconnectwise.net"
    assert len(fake.calls("GET /login/companyinfo/acme")) == 2  # asked again, unchanged


ERROR_CASES = [
    (
        "GET company/companies",
        lambda c: c.companies(["A"]),
        reply(401, {"code": "Unauthorized", "message": "Invalid credentials."}),
        "refused the API credentials",
        "psa.company, psa.public_key and psa.private_key",
    ),
    (
        "GET company/companies",
        lambda c: c.companies(["A"]),
        reply(401, {"code": "Unauthorized", "message": "The clientId header is required."}),
        "401",
        "psa.client_id",
    ),
    (
        "GET company/companies",
        lambda c: c.companies(["A"]),
        reply(403, {"code": "Security", "message": "You do not have security permission."}),
        "may not GET company/companies",
        "set Companies > Company Maintenance: Inquire Level to All",
    ),
    (
        f"POST {ADDITIONS}",
        lambda c: c.create_addition(NEW),
        reply(403, {"code": "Security", "message": "no"}),
        "403",
        "set Finance > Agreements: Add Level to All",
    ),
    (
        f"PATCH {ADDITIONS}/9000",
        lambda c: c.update_addition_quantity(1500, 9000, Decimal(5)),
        reply(403, {"code": "Security", "message": "no"}),
        "403",
        "set Finance > Agreements: Edit Level to All",
    ),
    (
        "GET procurement/catalog",
        lambda c: c.search_catalog("sophos"),
        reply(403, {"code": "Security", "message": "no"}),
        "403",
        "set Procurement > Product Catalog: Inquire Level to All",
    ),
    (
        f"POST {ADDITIONS}",
        lambda c: c.create_addition(NEW),
        reply(
            400,
            {
                "code": "InvalidObject",
                "message": "addition object is invalid",
                "errors": [
                    {
                        "code": "NotFound",
                        "message": "product with id 705 was not found.",
                        "resource": "addition",
                        "field": "product/id",
                    }
                ],
            },
        ),
        "product/id: product with id 705 was not found",
        "the message names the field",
    ),
    (
        "GET company/companies",
        lambda c: c.companies(["A"]),
        reply(500, {"code": "UnexpectedServerError", "message": "boom"}),
        "failed with HTTP 500",
        "run again later",
    ),
    (
        "GET company/companies",
        lambda c: c.companies(["A"]),
        reply(
            429, {"error": "ConnectWiseAPI", "message": "Too many requests."}, {"Retry-After": "1"}
        ),
        "throttling",
        "psa.rate_limit",
    ),
    (
        "GET company/companies",
        lambda c: c.companies(["A"]),
        httpx.Response(
            502, content=b"<html>Bad Gateway</html>", headers={"Content-Type": "text/html"}
        ),
        "failed with HTTP 502",
        "run again later",
    ),
]


@pytest.mark.parametrize(("route", "call", "answer", "message", "hint"), ERROR_CASES)
def test_error_statuses_become_sentences_with_hints(
    make_client: MakeClient,
    fake: FakeCw,
    route: str,
    call: Any,
    answer: httpx.Response,
    message: str,
    hint: str,
) -> None:
    fake.on(route, answer)
    with pytest.raises(PsaError) as caught:
        run(make_client(policy=RetryPolicy(max_retries=2)), call)
    assert message in caught.value.message
    assert hint in str(caught.value.hint)


def test_secrets_never_reach_messages_hints_reprs_or_logs(
    make_client: MakeClient, fake: FakeCw, caplog: pytest.LogCaptureFixture
) -> None:
    echo = f"Invalid credentials acme+{PUBLIC_KEY}:{PRIVATE_KEY} ({TOKEN})"
    answers = [
        reply(401, {"code": "Unauthorized", "message": echo}),
        reply(403, {"code": "Security", "message": echo}),
        reply(
            400,
            {
                "code": "InvalidObject",
                "message": echo,
                "errors": [{"field": echo, "message": echo}],
            },
        ),
        reply(503, {"message": echo}),
        reply(200, [{"id": 1, "identifier": PRIVATE_KEY}]),
        httpx.ConnectError("[Errno 111] Connection refused"),
        LOST,
    ]
    errors: list[PsaError] = []
    caplog.set_level(logging.DEBUG)
    for answer in answers:
        fake.on("GET company/companies", answer)
        fake.on(f"POST {ADDITIONS}", answer)
        fake.on(f"GET {ADDITIONS}", reply(200, [{"id": "broken", "x": PRIVATE_KEY}]))
        for call in (lambda c: c.companies(["A"]), lambda c: c.create_addition(NEW)):
            with pytest.raises(PsaError) as caught:
                run(make_client(policy=RetryPolicy(max_retries=1)), call)
            errors.append(caught.value)
    texts = [f"{e} {e.hint} {e!r} {e.args}" for e in errors] + [caplog.text]
    for text in texts:
        for secret in (PRIVATE_KEY, TOKEN, PUBLIC_KEY):
            assert secret not in text
    assert any("***" in text for text in texts)


def page_of(start: int, count: int) -> list[dict[str, Any]]:
    return [{**COMPANY, "id": start + n, "identifier": f"C{start + n}"} for n in range(count)]


def test_paging_follows_link_next_and_stops_on_a_short_page(
    make_client: MakeClient, fake: FakeCw
) -> None:
    base = "https://cw.example.com/v2025_1/apis/3.0/finance/agreements/types"

    def answer(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        rows = [{"id": page * 10 + n, "name": f"T{page}{n}"} for n in range(2 if page < 3 else 1)]
        link = f'<{base}?pageSize=2&page={page + 1}>; rel="next", <{base}?page=3>; rel="last"'
        return reply(200, rows, {"Link": link})

    fake.on("GET finance/agreements/types", answer)
    client = make_client()
    client.session.page_size = 2
    names = run(client, lambda c: c.agreement_types())
    assert names == ["T10", "T11", "T20", "T21", "T30"]
    assert [r.url.params["page"] for r in fake.calls("GET finance/agreements/types")] == [
        "1",
        "2",
        "3",
    ]


@pytest.mark.parametrize(
    ("link", "pages"),
    [
        (None, 3),  # no Link header: page numbers until a short page
        ('<https://cw.example.com/v2025_1/apis/3.0/other?page=1>; rel="first"', 1),
        ('<https://evil.example/v2025_1/apis/3.0/finance/agreements/types?page=2>; rel="next"', 3),
    ],
)
def test_paging_without_a_usable_next_link(
    make_client: MakeClient, fake: FakeCw, link: str | None, pages: int
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        rows = [{"id": page * 10 + n, "name": f"T{page}{n}"} for n in range(2 if page < 3 else 0)]
        return reply(200, rows, {"Link": link} if link else None)

    fake.on("GET finance/agreements/types", answer)
    client = make_client()
    client.session.page_size = 2
    run(client, lambda c: c.agreement_types())
    assert all(r.url.host == "cw.example.com" for r in fake.seen)
    assert len(fake.calls("GET finance/agreements/types")) == pages


def test_long_identifier_lists_are_batched_under_the_url_budget(
    make_client: MakeClient, fake: FakeCw
) -> None:
    wanted = [f"CUSTOMER-{n:05d}-LONG-NAME" for n in range(300)]

    def answer(request: httpx.Request) -> httpx.Response:
        text = request.url.params["conditions"]
        return reply(
            200,
            [
                {**COMPANY, "id": n, "identifier": i}
                for n, i in enumerate(wanted)
                if f'"{i}"' in text
            ],
        )

    fake.on("GET company/companies", answer)
    found = run(make_client(), lambda c: c.companies([*wanted, wanted[0]]))
    calls = fake.calls("GET company/companies")
    assert len(calls) > 3
    assert all(len(str(r.url)) < 1800 for r in calls)
    assert max(len(str(r.url)) for r in calls) > 1500  # batches are packed, not tiny
    assert sorted(c.identifier for c in found) == sorted(wanted)


def test_a_double_quote_goes_in_single_quotes_and_matches_are_rechecked(
    make_client: MakeClient, fake: FakeCw
) -> None:
    fake.on("GET company/companies", reply(200, [{**COMPANY, "identifier": "Other"}]))
    assert run(make_client(), lambda c: c.companies(['Bob"s', "O'Brien"])) == []
    assert fake.seen[1].url.params["conditions"] == "identifier in ('Bob\"s', \"O'Brien\")"


def test_empty_inputs_send_nothing(make_client: MakeClient, fake: FakeCw) -> None:
    assert run(make_client(), lambda c: c.companies([])) == []
    assert fake.seen == []


def test_one_string_is_not_a_list_of_identifiers(make_client: MakeClient) -> None:
    with pytest.raises(TypeError, match="not one string"):
        run(make_client(), lambda c: c.catalog_items("SOPHOS-IX-ADV"))


@pytest.mark.parametrize("text", ["", " ", "a", " b "])
def test_search_needs_two_characters(make_client: MakeClient, text: str) -> None:
    with pytest.raises(ValueError, match="at least 2"):
        run(make_client(), lambda c: c.search_catalog(text))


def test_search_asks_identifier_or_description(make_client: MakeClient, fake: FakeCw) -> None:
    fake.on("GET procurement/catalog", reply(200, [CATALOG]))
    found = run(make_client(), lambda c: c.search_catalog(" sophos ", limit=5))
    assert [i.identifier for i in found] == ["SOPHOS-IX-ADV"]
    params = fake.seen[1].url.params
    assert params["conditions"] == 'identifier contains "sophos" or description contains "sophos"'
    assert (params["pageSize"], params["orderBy"]) == ("5", "identifier asc")


# -- create_addition: never a blind retry --------------------------------------------------


def test_a_lost_post_that_was_committed_is_found_not_repeated(
    make_client: MakeClient, fake: FakeCw, clock: FakeClock
) -> None:
    fake.on(f"POST {ADDITIONS}", LOST, reply(201, CREATED))
    fake.on(f"GET {ADDITIONS}", reply(200, [ADDITION, CREATED]))
    created = run(make_client(), lambda c: c.create_addition(NEW))
    assert created.id == 9100
    assert len(fake.calls(f"POST {ADDITIONS}")) == 1
    assert clock.sleeps
    assert clock.sleeps[-1] >= 30


@pytest.mark.parametrize(
    "failure", [LOST, httpx.ReadTimeout("timed out"), reply(503, {}), reply(500, {})]
)
def test_a_post_that_did_not_land_is_sent_again(
    make_client: MakeClient, fake: FakeCw, failure: Any
) -> None:
    fake.on(f"POST {ADDITIONS}", failure, reply(201, CREATED))
    cancelled_same_product = {**CREATED, "id": 9050, "agreementStatus": "Cancelled"}
    other_product = {**ADDITION, "cancelledDate": None}
    fake.on(f"GET {ADDITIONS}", reply(200, [other_product, cancelled_same_product]))
    created = run(make_client(), lambda c: c.create_addition(NEW))
    assert created.id == 9100
    assert len(fake.calls(f"POST {ADDITIONS}")) == 2
    assert fake.calls(f"POST {ADDITIONS}")[1].content == fake.calls(f"POST {ADDITIONS}")[0].content


def test_the_post_body(make_client: MakeClient, fake: FakeCw) -> None:
    fake.on(f"POST {ADDITIONS}", reply(201, CREATED))
    run(make_client(), lambda c: c.create_addition(NEW))
    assert json.loads(fake.seen[1].content) == {
        "product": {"id": 705},
        "billCustomer": "Billable",
        "quantity": 3,
        "effectiveDate": "2025-01-01T00:00:00Z",
    }


def test_a_post_that_never_lands_gives_up(make_client: MakeClient, fake: FakeCw) -> None:
    fake.on(f"POST {ADDITIONS}", LOST)
    fake.on(f"GET {ADDITIONS}", reply(200, []))
    with pytest.raises(PsaError, match=r"outcome of POST .* unknown.*gave up"):
        run(make_client(policy=RetryPolicy(max_retries=2)), lambda c: c.create_addition(NEW))
    assert len(fake.calls(f"POST {ADDITIONS}")) == 3


def test_when_the_reread_fails_the_user_is_told_to_check(
    make_client: MakeClient, fake: FakeCw
) -> None:
    fake.on(f"POST {ADDITIONS}", LOST)
    fake.on(f"GET {ADDITIONS}", reply(403, {"code": "Security", "message": "no"}))
    with pytest.raises(PsaError, match="re-reading agreement 1500 failed") as caught:
        run(make_client(), lambda c: c.create_addition(NEW))
    assert "M365-BP" in str(caught.value.hint)
    assert len(fake.calls(f"POST {ADDITIONS}")) == 1


# -- PATCHes -------------------------------------------------------------------------------


def test_quantity_patch_is_absolute_and_retried(make_client: MakeClient, fake: FakeCw) -> None:
    route = f"PATCH {ADDITIONS}/9100"
    fake.on(route, reply(503, {}), LOST, reply(200, {**CREATED, "quantity": 7.5}))
    updated = run(make_client(), lambda c: c.update_addition_quantity(1500, 9100, Decimal("7.5")))
    assert updated.quantity == Decimal("7.5")
    bodies = [r.content for r in fake.calls(route)]
    assert bodies == [b'[{"op":"replace","path":"quantity","value":7.5}]'] * 3


def test_a_false_200_is_caught(make_client: MakeClient, fake: FakeCw) -> None:
    fake.on(f"PATCH {ADDITIONS}/9100", reply(200, CREATED))
    with pytest.raises(PsaError, match="shows 3 instead of 7"):
        run(make_client(), lambda c: c.update_addition_quantity(1500, 9100, Decimal(7)))


def test_cancel_sets_a_utc_midnight_date(make_client: MakeClient, fake: FakeCw) -> None:
    answer = {**CREATED, "cancelledDate": "2025-02-28T00:00:00Z", "agreementStatus": "Cancelled"}
    fake.on(f"PATCH {ADDITIONS}/9100", reply(200, answer))
    cancelled = run(make_client(), lambda c: c.cancel_addition(1500, 9100, date(2025, 2, 28)))
    assert cancelled.cancelled_date == date(2025, 2, 28)
    assert fake.seen[1].content == (
        b'[{"op":"replace","path":"cancelledDate","value":"2025-02-28T00:00:00Z"}]'
    )


# -- catalog items -------------------------------------------------------------------------

NEW_ITEM = NewCatalogItem("NEW-SKU", "New product", "New product for customers", Decimal("1.25"))
TYPES = [
    {"id": 20, "name": "Hardware", "inactiveFlag": True, "defaultFlag": True},
    {"id": 21, "name": "Software"},
    {"id": 22, "name": "Service", "defaultFlag": True},
]
SUBCATEGORIES = [{"id": 41, "name": "Licenses"}, {"id": 40, "name": "Old", "inactiveFlag": True}]


def catalog_server(fake: FakeCw, existing: list[Any], created: dict[str, Any]) -> None:
    fake.on("GET procurement/catalog", reply(200, existing))
    fake.on("GET procurement/types", reply(200, TYPES))
    fake.on("GET procurement/subcategories", reply(200, SUBCATEGORIES))
    fake.on("POST procurement/catalog", reply(201, created))


def test_a_catalog_item_gets_the_default_type_and_first_subcategory(
    make_client: MakeClient, fake: FakeCw
) -> None:
    created = {**CATALOG, "id": 707, "identifier": "NEW-SKU", "description": "New product"}
    catalog_server(fake, [], created)
    item = run(make_client(), lambda c: c.create_catalog_item(NEW_ITEM))
    assert (item.id, item.identifier) == (707, "NEW-SKU")
    body = json.loads(fake.calls("POST procurement/catalog")[0].content)
    assert body == {
        "identifier": "NEW-SKU",
        "description": "New product",
        "customerDescription": "New product for customers",
        "type": {"id": 22},
        "subcategory": {"id": 41},
        "price": 1.25,
    }


def test_a_renamed_catalog_item_fails_loudly(make_client: MakeClient, fake: FakeCw) -> None:
    catalog_server(fake, [], {**CATALOG, "id": 708, "identifier": "NEW-SKUCopy0"})
    with pytest.raises(PsaError, match="saved the new catalog item as 'NEW-SKUCopy0'"):
        run(make_client(), lambda c: c.create_catalog_item(NEW_ITEM))


def test_an_existing_catalog_item_is_returned_or_refused_when_inactive(
    make_client: MakeClient, fake: FakeCw
) -> None:
    existing = {**CATALOG, "identifier": "NEW-SKU"}
    catalog_server(fake, [existing], {})
    assert run(make_client(), lambda c: c.create_catalog_item(NEW_ITEM)).id == 700
    catalog_server(fake, [{**existing, "inactiveFlag": True}], {})
    with pytest.raises(PsaError, match="exists but is inactive"):
        run(make_client(), lambda c: c.create_catalog_item(NEW_ITEM))
    assert fake.calls("POST procurement/catalog") == []


def test_a_lost_catalog_post_that_was_committed_is_found_not_repeated(
    make_client: MakeClient, fake: FakeCw, clock: FakeClock
) -> None:
    created = {**CATALOG, "id": 709, "identifier": "NEW-SKU"}
    catalog_server(fake, [], created)
    fake.on("GET procurement/catalog", reply(200, []), reply(200, [created]))
    fake.on("POST procurement/catalog", LOST, reply(201, created))
    item = run(make_client(), lambda c: c.create_catalog_item(NEW_ITEM))
    assert item.id == 709
    assert len(fake.calls("POST procurement/catalog")) == 1
    assert clock.sleeps
    assert clock.sleeps[-1] >= 30


def test_a_lost_catalog_post_that_never_lands_gives_up(
    make_client: MakeClient, fake: FakeCw
) -> None:
    catalog_server(fake, [], {})
    fake.on("POST procurement/catalog", LOST)
    client = make_client(policy=RetryPolicy(max_retries=2))
    with pytest.raises(PsaError, match=r"outcome of POST .* unknown.*gave up"):
        run(client, lambda c: c.create_catalog_item(NEW_ITEM))
    assert len(fake.calls("POST procurement/catalog")) == 3


def test_no_active_product_type_is_explained(make_client: MakeClient, fake: FakeCw) -> None:
    catalog_server(fake, [], {})
    fake.on("GET procurement/types", reply(200, [TYPES[0]]))
    with pytest.raises(PsaError, match="no active product type") as caught:
        run(make_client(), lambda c: c.create_catalog_item(NEW_ITEM))
    assert "Setup Tables" in str(caught.value.hint)


# -- check_access --------------------------------------------------------------------------


def access_server(fake: FakeCw) -> None:
    fake.on("GET system/info", reply(200, {"version": "v2025.8"}))
    for route in (
        "company/companies",
        "finance/agreements",
        "procurement/catalog",
        "finance/invoices",
    ):
        fake.on(f"GET {route}/count", reply(200, {"count": 3}))
    fake.on("GET finance/agreements", reply(200, [{"id": 1500}]))
    fake.on(f"GET {ADDITIONS}/count", reply(200, {"count": 2}))
    invalid = {"code": "InvalidObject", "message": "invalid", "errors": []}
    fake.on(f"POST {ADDITIONS}", reply(400, invalid))
    fake.on(f"PATCH {ADDITIONS}/0", reply(404, {"code": "NotFound", "message": "no"}))
    fake.on("POST procurement/catalog", reply(400, invalid))


def test_check_access_all_good_changes_nothing(make_client: MakeClient, fake: FakeCw) -> None:
    access_server(fake)
    report = run(make_client(), lambda c: c.check_access())
    assert report.ok
    assert report.problems == ()
    assert report.codebase == "v2025_1/"
    assert {c.name for c in report.checks} >= {
        "connect",
        "credentials",
        "add additions",
        "edit additions",
    }
    writes = [r for r in fake.seen if r.method != "GET"]
    assert [(r.method, r.content) for r in writes] == [
        ("POST", b"{}"),
        ("PATCH", b'[{"op":"replace","path":"quantity","value":0}]'),
        ("POST", b"{}"),
    ]
    assert writes[1].url.path.endswith("/additions/0")
    assert len(fake.calls("GET /login/companyinfo/acme")) == 1  # an expected 404 is no move


def test_check_access_names_the_missing_role(make_client: MakeClient, fake: FakeCw) -> None:
    forbidden = reply(403, {"code": "Security", "message": "no"})
    access_server(fake)
    fake.on(f"POST {ADDITIONS}", forbidden)
    fake.on("GET procurement/catalog/count", forbidden)
    report = run(make_client(), lambda c: c.check_access())
    assert not report.ok
    problems = {c.name: c for c in report.problems}
    assert set(problems) == {"add additions", "read the product catalog"}
    assert "Finance > Agreements: Add" in str(problems["add additions"].hint)
    assert "Procurement > Product Catalog: Inquire" in problems["read the product catalog"].detail


def test_check_access_with_bad_credentials_stops_early(
    make_client: MakeClient, fake: FakeCw
) -> None:
    access_server(fake)
    fake.on("GET system/info", reply(401, {"code": "Unauthorized", "message": "Invalid."}))
    report = run(make_client(), lambda c: c.check_access())
    assert [(c.name, c.ok) for c in report.checks] == [("connect", True), ("credentials", False)]
    assert "psa.private_key" in str(report.checks[1].hint)


def test_check_access_when_the_site_is_unreachable(make_client: MakeClient, fake: FakeCw) -> None:
    fake.on("GET companyinfo", httpx.ConnectError("[Errno 111] Connection refused"))
    report = run(make_client(policy=RetryPolicy(max_retries=1)), lambda c: c.check_access())
    assert [(c.name, c.ok) for c in report.checks] == [("connect", False)]
    assert report.api_url is None
    assert not report.ok


def test_check_access_without_agreements_skips_addition_checks(
    make_client: MakeClient, fake: FakeCw
) -> None:
    access_server(fake)
    fake.on("GET finance/agreements", reply(200, []))
    report = run(make_client(), lambda c: c.check_access())
    skipped = [c for c in report.checks if c.ok is None]
    assert [c.name for c in skipped] == ["additions"]
    assert not report.ok
