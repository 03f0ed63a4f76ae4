"""Paging (navigable and forward-only), fields, orderBy and count over real HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from psabill.sandbox import DEMO_CREDENTIALS, Sandbox, Store, seed_large
from tests.sandbox.support import make_client

LINK = re.compile(r'<([^>]*)>; rel="(\w+)"')


def rels(response: httpx.Response) -> dict[str, str]:
    return {rel: url for url, rel in LINK.findall(response.headers.get("link", ""))}


@pytest.fixture
def big(request: pytest.FixtureRequest) -> Iterator[httpx.Client]:
    """A sandbox with ``request.param`` companies (default 60), and a client for it."""
    store = Store()
    seed_large(store, getattr(request, "param", 60), 0)
    with (
        Sandbox(store) as sandbox,
        make_client(base_url=sandbox.api_url, headers=DEMO_CREDENTIALS.headers()) as http,
    ):
        yield http


def test_navigable_paging_links_at_first_middle_and_last_page(big: httpx.Client) -> None:
    first = big.get("/company/companies", params={"pageSize": 25})
    middle = big.get("/company/companies", params={"pageSize": 25, "page": 2})
    last = big.get("/company/companies", params={"pageSize": 25, "page": 3})

    assert list(rels(first)) == ["first", "next", "last"]
    assert list(rels(middle)) == ["first", "prev", "next", "last"]
    assert list(rels(last)) == ["first", "prev", "last"]
    assert rels(first)["next"].endswith("page=2")
    assert rels(first)["last"].endswith("page=3")
    assert rels(middle)["prev"].endswith("page=1")
    assert [len(r.json()) for r in (first, middle, last)] == [25, 25, 10]


def test_following_next_visits_every_row_once(big: httpx.Client) -> None:
    url: str | None = "/company/companies?pageSize=7&conditions=identifier%20like%20%22C%25%22"
    seen: list[int] = []
    while url is not None:
        response = big.get(url)
        seen += [company["id"] for company in response.json()]
        url = rels(response).get("next")
        if url is not None:
            assert "conditions=identifier%20like" in url

    assert seen == sorted(set(seen))
    assert len(seen) == 60


def test_single_page_still_has_first_and_last(client: httpx.Client) -> None:
    response = client.get("/company/companies")

    assert list(rels(response)) == ["first", "last"]


def test_default_page_size_is_25(big: httpx.Client) -> None:
    assert len(big.get("/company/companies").json()) == 25


@pytest.mark.parametrize("big", [1001], indirect=True)
def test_page_size_is_capped_at_1000(big: httpx.Client) -> None:
    response = big.get("/company/companies", params={"pageSize": 5000})

    assert len(response.json()) == 1000
    assert rels(response)["last"].endswith("page=2")


@pytest.mark.parametrize(
    "params", [{"page": 0}, {"page": "abc"}, {"pageSize": 0}, {"pageSize": "-3"}]
)
def test_bad_paging_values_are_400(client: httpx.Client, params: dict[str, int | str]) -> None:
    response = client.get("/company/companies", params=params)

    assert response.status_code == 400
    assert response.json()["code"] == "InvalidObject"


def test_forward_only_paging_follows_page_id_until_an_empty_link(big: httpx.Client) -> None:
    headers = {"pagination-type": "forward-only"}
    url: str = "/company/companies?pageSize=25&page=3"  # page is ignored in this mode
    seen: list[int] = []
    links: list[str] = []
    while True:
        response = big.get(url, headers=headers)
        assert response.status_code == 200
        seen += [company["id"] for company in response.json()]
        links.append(response.headers["link"])
        if not response.headers["link"]:
            break
        url = rels(response)["next"]

    assert seen == sorted(seen)
    assert len(seen) == len(set(seen)) == 60
    assert f"pageId={seen[24]}" in links[0]
    assert links[-1] == ""


def test_forward_only_page_id_is_an_id_floor(client: httpx.Client) -> None:
    response = client.get(
        "/company/companies", params={"pageId": 252}, headers={"pagination-type": "forward-only"}
    )

    assert [company["id"] for company in response.json()] == [253, 254, 255]


def test_forward_only_refuses_order_by(client: httpx.Client) -> None:
    response = client.get(
        "/company/companies",
        params={"orderBy": "name asc"},
        headers={"Pagination-Type": "forward-only"},
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "orderBy"


def test_fields_returns_a_partial_response_with_nested_paths(client: httpx.Client) -> None:
    response = client.get(
        "/finance/agreements",
        params={"fields": "id,company/identifier,type/name,noSuchField", "pageSize": 1},
    )

    assert response.json() == [
        {"id": 1500, "company": {"identifier": "AcmeDental"}, "type": {"name": "Managed Services"}}
    ]


def test_fields_also_applies_to_a_single_record(client: httpx.Client) -> None:
    response = client.get("/procurement/catalog/700", params={"fields": "identifier,price"})

    assert response.json() == {"identifier": "SOPHOS-IX-ADV", "price": 4.5}


def test_order_by_desc_and_multiple_keys(client: httpx.Client) -> None:
    by_name = client.get("/company/companies", params={"orderBy": "name desc", "fields": "name"})
    by_two = client.get(
        "/company/companies", params={"orderBy": "name asc, id desc", "fields": "id,name"}
    )

    names = [c["name"] for c in by_name.json()]
    assert names == sorted(names, key=str.casefold, reverse=True)
    northwinds = [c["id"] for c in by_two.json() if c["name"] == "Northwind Logistics"]
    assert northwinds == [253, 252]


def test_order_by_nested_path_and_default_direction(client: httpx.Client) -> None:
    response = client.get("/finance/agreements", params={"orderBy": "company/name"})

    companies = [a["company"]["name"] for a in response.json()]
    assert companies == sorted(companies, key=str.casefold)


@pytest.mark.parametrize("order_by", ["name sideways", "nosuch asc", "name asc,", "1abc"])
def test_bad_order_by_is_400(client: httpx.Client, order_by: str) -> None:
    response = client.get("/company/companies", params={"orderBy": order_by})

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "orderBy"


def test_count_endpoints(client: httpx.Client) -> None:
    assert client.get("/company/companies/count").json() == {"count": 6}
    assert client.get("/finance/agreements/1500/additions/count").json() == {"count": 2}
    assert client.get("/procurement/catalog/count").json() == {"count": 7}


def test_additions_of_an_unknown_agreement_are_404(client: httpx.Client) -> None:
    assert client.get("/finance/agreements/999/additions").status_code == 404
    assert client.get("/finance/agreements/999/additions/count").status_code == 404


def test_references_carry_info_links(client: httpx.Client, sandbox: Sandbox) -> None:
    agreement = client.get("/finance/agreements/1500").json()

    assert agreement["company"]["_info"] == {
        "company_href": f"{sandbox.api_url}/company/companies/250"
    }
    assert agreement["type"]["_info"] == {
        "type_href": f"{sandbox.api_url}/finance/agreements/types/10"
    }
    assert set(agreement["_info"]) == {"lastUpdated", "updatedBy", "dateEntered", "enteredBy"}
