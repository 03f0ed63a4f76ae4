"""Field names are case-sensitive in write bodies and PATCH paths, seen by a plain HTTP client."""

from __future__ import annotations

import json

import httpx
import pytest

from psabill.sandbox import Store

ADDITIONS = "finance/agreements/1500/additions"
ITEM = {
    "identifier": "NEW-SKU",
    "description": "New",
    "customerDescription": "New",
    "type": {"id": 20},
    "subcategory": {"id": 40},
}


def _state(store: Store) -> str:
    return json.dumps(store.dump(), sort_keys=True)


def _invalid_fields(response: httpx.Response) -> list[tuple[str, str]]:
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "InvalidObject"
    return [(issue["code"], issue["field"]) for issue in body["errors"]]


@pytest.mark.parametrize(
    ("body", "wrong"),
    [
        ({"product": {"id": 705}, "billCustomer": "Billable", "Quantity": 3}, ["Quantity"]),
        ({"product": {"id": 705}, "billcustomer": "Billable"}, ["billcustomer"]),
        ({"Product": {"id": 705}, "billCustomer": "Billable"}, ["Product"]),
        ({"product": {"ID": 705}, "billCustomer": "Billable"}, ["product/ID"]),
        ({"product": {"id": 705}, "billCustomer": "Billable", "seats": 3}, ["seats"]),
    ],
)
def test_a_post_key_that_is_not_a_field_name_exactly_is_400(
    client: httpx.Client, store: Store, body: dict[str, object], wrong: list[str]
) -> None:
    before = _state(store)
    response = client.post(ADDITIONS, json=body)

    assert _invalid_fields(response) == [("InvalidField", path) for path in wrong]
    assert response.json()["errors"][0]["resource"] == "addition"
    assert _state(store) == before


def test_a_put_with_a_wrongly_cased_key_changes_nothing(client: httpx.Client, store: Store) -> None:
    before = _state(store)
    body = {"product": {"id": 700}, "billCustomer": "Billable", "Quantity": 1}
    response = client.put(f"{ADDITIONS}/9000", json=body)
    assert _invalid_fields(response) == [("InvalidField", "Quantity")]
    assert _state(store) == before


def test_a_catalog_post_is_case_sensitive_too(client: httpx.Client) -> None:
    body = {**ITEM, "CustomerDescription": "x"}
    assert _invalid_fields(client.post("procurement/catalog", json=body)) == [
        ("InvalidField", "CustomerDescription")
    ]
    assert client.post("procurement/catalog", json=ITEM).status_code == 201


@pytest.mark.parametrize("path", ["Quantity", "/Quantity", "QUANTITY"])
def test_a_patch_path_is_case_sensitive(client: httpx.Client, store: Store, path: str) -> None:
    before = _state(store)
    response = client.patch(f"{ADDITIONS}/9000", json=[{"op": "replace", "path": path, "value": 5}])
    assert _invalid_fields(response) == [("InvalidField", path.lstrip("/"))]
    assert _state(store) == before


def test_a_record_read_back_is_a_valid_put_body(client: httpx.Client) -> None:
    current = client.get(f"{ADDITIONS}/9000").json()
    response = client.put(f"{ADDITIONS}/9000", json={**current, "quantity": 50})
    assert response.status_code == 200
    assert response.json()["quantity"] == 50.0
