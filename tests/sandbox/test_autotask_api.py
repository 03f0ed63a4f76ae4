"""The fake Autotask over real HTTP: zone lookup, auth, queries, paging, creates and updates."""

from __future__ import annotations

import httpx
import pytest

from psabill.sandbox.autotask import DEMO_CREDENTIALS, AutotaskSandbox
from tests.sandbox.autotask_support import at_client, autotask, everything
from tests.sandbox.support import make_client

__all__ = ["at_client", "autotask"]  # fixtures


def test_zone_lookup_answers_the_zone_url_without_auth(autotask: AutotaskSandbox) -> None:
    with make_client(base_url=autotask.zone_lookup_url) as http:
        found = http.get("/v1.0/zoneInformation", params={"user": DEMO_CREDENTIALS.username})
        unknown = http.get("/v1.0/zoneInformation", params={"user": "nobody@example.com"})
        blank = http.get("/v1.0/zoneInformation", params={"user": ""})
    assert found.status_code == 200
    assert found.json()["url"] == autotask.site_url + "/ATServicesRest/"
    assert {"zoneName", "webUrl", "ci"} <= set(found.json())
    assert unknown.status_code == blank.status_code == 500
    assert unknown.json()["errors"]


@pytest.mark.parametrize(
    ("header", "value", "status"),
    [
        ("UserName", "someone@example.com", 500),
        ("ApiIntegrationCode", "WRONG", 500),
        ("Secret", "wrong-secret", 401),
    ],
)
def test_a_wrong_user_or_code_is_a_500_and_a_wrong_secret_a_401(
    autotask: AutotaskSandbox, header: str, value: str, status: int
) -> None:
    headers = {**DEMO_CREDENTIALS.headers(), header: value}
    with make_client(base_url=autotask.api_url + "/v1.0", headers=headers) as http:
        answer = http.post("/Companies/query", json=everything())
    assert answer.status_code == status
    assert isinstance(answer.json()["errors"], list)


def test_header_names_are_case_insensitive(autotask: AutotaskSandbox) -> None:
    headers = {name.lower(): value for name, value in DEMO_CREDENTIALS.headers().items()}
    with make_client(base_url=autotask.api_url + "/v1.0", headers=headers) as http:
        assert http.post("/companies/query", json=everything()).status_code == 200


def test_paging_needs_the_same_body_posted_again(
    autotask: AutotaskSandbox, at_client: httpx.Client
) -> None:
    for number in range(1201):
        autotask.world.add("Companies", {"companyName": f"Client {number}", "isActive": True})
    body, seen, pages = everything(), [], 0
    url: str | None = "/Companies/query"
    while url is not None:
        answer = at_client.post(url, json=body)
        assert answer.status_code == 200
        pages += 1
        seen += [item["id"] for item in answer.json()["items"]]
        details = answer.json()["pageDetails"]
        assert details["count"] <= 500
        next_url = details["nextPageUrl"]
        if next_url is not None:
            assert "/query/next?paging=" in next_url
            assert at_client.get(next_url).status_code == 405
            other = {"filter": [{"op": "gte", "field": "id", "value": 1}]}
            assert at_client.post(next_url, json=other).status_code == 500
        url = next_url
    assert pages == 3
    assert len(seen) == len(set(seen)) == 1203


@pytest.mark.parametrize("size", [0, 501, "50"])
def test_max_records_outside_1_to_500_is_a_500(at_client: httpx.Client, size: object) -> None:
    answer = at_client.post("/Companies/query", json={**everything(), "MaxRecords": size})
    assert answer.status_code == 500
    assert answer.json() == {"errors": ["maxCountOfRecordsToReturn must be between 1 and 500"]}


def test_filters_in_and_groups_and_refusals(at_client: httpx.Client) -> None:
    ids = [c["id"] for c in at_client.post("/Companies/query", json=everything()).json()["items"]]
    by_in = {"filter": [{"op": "in", "field": "id", "value": ids[:1]}]}
    group = {
        "op": "and",
        "items": [
            {"op": "eq", "field": "companyName", "value": "Birch Legal"},
            {"op": "eq", "field": "isActive", "value": True},
        ],
    }
    assert [c["id"] for c in at_client.post("/Companies/query", json=by_in).json()["items"]] == ids[
        :1
    ]
    named = at_client.post("/Companies/query", json={"filter": [group]}).json()["items"]
    assert [c["companyName"] for c in named] == ["Birch Legal"]
    for bad in (
        [],
        [{"op": "in", "field": "id", "value": list(range(501))}],
        [{"op": "like", "field": "id", "value": 1}],
        [{"op": "eq", "field": "nope", "value": 1}],
    ):
        refused = at_client.post("/Companies/query", json={"filter": bad})
        assert refused.status_code == 500
        assert refused.json()["errors"]


def test_create_returns_item_id_and_patch_takes_the_id_in_the_body(
    at_client: httpx.Client,
) -> None:
    created = at_client.post("/Companies", json={"companyName": "Cedar Vets", "isActive": True})
    item_id = created.json()["itemId"]
    assert created.status_code == 200
    assert at_client.get(f"/Companies/{item_id}").json()["item"]["companyName"] == "Cedar Vets"
    assert at_client.get("/Companies/1").json() == {"item": None}
    assert at_client.patch(f"/Companies/{item_id}", json={"companyName": "X"}).status_code == 405
    assert at_client.patch("/Companies", json={"companyName": "X"}).status_code == 500
    patched = at_client.patch("/Companies", json={"id": item_id, "companyName": "Cedar Vets Ltd"})
    assert patched.json() == {"itemId": item_id}
    assert at_client.get(f"/Companies/{item_id}").json()["item"]["companyName"] == "Cedar Vets Ltd"
    assert at_client.post("/Companies", json={"isActive": True}).status_code == 500
