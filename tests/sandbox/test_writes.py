"""POST / PATCH / PUT / DELETE semantics and validation errors, over real HTTP."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from psabill.sandbox import Sandbox, Store

ADDITIONS = "/finance/agreements/1500/additions"


def _only_addition_with(store: Store, addition_id: int) -> dict[str, Any]:
    [row] = [a for a in store.dump()["additions"] if a["id"] == addition_id]
    assert isinstance(row, dict)
    return row


def test_post_addition_is_201_with_new_id_and_doubles(client: httpx.Client, store: Store) -> None:
    body = {"product": {"id": 705}, "billCustomer": "Billable", "quantity": 3}
    response = client.post(ADDITIONS, json=body)

    assert response.status_code == 201
    created = response.json()
    assert created["id"] == 9006
    assert created["agreementId"] == 1500
    assert created["product"]["identifier"] == "M365-BP"
    assert isinstance(created["quantity"], float)
    assert '"quantity": 3.0' in response.text
    # Nothing is copied from the catalog item (M365-BP: 22.00 / 19.80): prices left out are
    # ConnectWise's field default, 0, and the description stays null.
    assert (created["unitPrice"], created["unitCost"]) == (0.0, 0.0)
    assert created["description"] is None
    assert created["effectiveDate"] is None
    assert created["extPrice"] == 0.0
    assert _only_addition_with(store, 9006)["quantity"] == 3.0


def test_post_accepts_product_by_identifier_and_numeric_strings(client: httpx.Client) -> None:
    body = {
        "product": {"identifier": "m365-bp"},
        "billCustomer": "billable",
        "quantity": "12.5",
        "unitPrice": "20.00",
        "effectiveDate": "2025-03-01T00:00:00Z",
    }
    created = client.post(ADDITIONS, json=body).json()

    assert created["product"]["id"] == 705
    assert created["billCustomer"] == "Billable"
    assert (created["quantity"], created["unitPrice"]) == (12.5, 20.0)


def test_post_with_fields_returns_a_partial_entity(client: httpx.Client) -> None:
    body = {"product": {"id": 705}, "billCustomer": "NoCharge", "quantity": 1}
    response = client.post(ADDITIONS, params={"fields": "id,quantity"}, json=body)

    assert response.status_code == 201
    assert response.json() == {"id": 9006, "quantity": 1.0}


def test_post_missing_required_fields_lists_every_error(client: httpx.Client) -> None:
    response = client.post(ADDITIONS, json={"quantity": 5})

    assert response.status_code == 400
    assert response.json() == {
        "code": "InvalidObject",
        "message": "addition object is invalid",
        "errors": [
            {
                "code": "MissingRequiredField",
                "message": "product is required.",
                "resource": "addition",
                "field": "product",
            },
            {
                "code": "MissingRequiredField",
                "message": "billCustomer is required.",
                "resource": "addition",
                "field": "billCustomer",
            },
        ],
    }


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"product": {"id": 1}}, "NotFound", "product/id"),
        ({"product": {"identifier": "NOPE"}}, "NotFound", "product/identifier"),
        ({"product": {}}, "MissingRequiredField", "product"),
        ({"product": 705}, "InvalidField", "product"),
        ({"billCustomer": "NoDefault"}, "InvalidField", "billCustomer"),
        ({"quantity": "five"}, "InvalidField", "quantity"),
        ({"quantity": True}, "InvalidField", "quantity"),
        ({"effectiveDate": "2025-03-01"}, "InvalidField", "effectiveDate"),
        ({"effectiveDate": "2025-03-01T00:00:00+01:00"}, "InvalidField", "effectiveDate"),
        ({"serialNumber": "x" * 51}, "MaxLengthField", "serialNumber"),
    ],
)
def test_post_addition_validation(
    client: httpx.Client, body: dict[str, Any], code: str, field: str
) -> None:
    full = {"product": {"id": 705}, "billCustomer": "Billable", "quantity": 1} | body
    response = client.post(ADDITIONS, json=full)

    assert response.status_code == 400
    assert [(e["code"], e["field"]) for e in response.json()["errors"]] == [(code, field)]


def test_post_to_an_unknown_agreement_is_404(client: httpx.Client) -> None:
    body = {"product": {"id": 705}, "billCustomer": "Billable"}

    assert client.post("/finance/agreements/999/additions", json=body).status_code == 404


def test_patch_replaces_quantity_and_recomputes(client: httpx.Client, store: Store) -> None:
    response = client.patch(
        f"{ADDITIONS}/9000", json=[{"op": "replace", "path": "quantity", "value": 45}]
    )

    assert response.status_code == 200
    assert response.json()["quantity"] == 45.0
    assert response.json()["extPrice"] == 202.5
    assert _only_addition_with(store, 9000)["quantity"] == 45.0
    assert _only_addition_with(store, 9000)["_info"]["lastUpdated"] == "2025-03-15T12:00:00Z"


def test_patch_accepts_numeric_strings_several_ops_and_a_leading_slash(
    client: httpx.Client,
) -> None:
    operations = [
        {"op": "replace", "path": "/quantity", "value": "40"},
        {"op": "add", "path": "cancelledDate", "value": "2025-03-31T00:00:00Z"},
        {"op": "replace", "path": "product", "value": {"identifier": "SOPHOS-IX-XDR"}},
    ]
    patched = client.patch(f"{ADDITIONS}/9000", json=operations).json()

    assert patched["quantity"] == 40.0
    assert patched["cancelledDate"] == "2025-03-31T00:00:00Z"
    assert patched["agreementStatus"] == "Active"  # cancelled date is still in the future
    assert patched["product"]["identifier"] == "SOPHOS-IX-XDR"


def test_patch_nested_path_is_a_false_200(client: httpx.Client, store: Store) -> None:
    before = _only_addition_with(store, 9000)
    operation = {"op": "replace", "path": "product/identifier", "value": "LASTPASS-BUS"}
    response = client.patch(f"{ADDITIONS}/9000", json=[operation])

    assert response.status_code == 200
    assert response.json()["product"]["identifier"] == "SOPHOS-IX-ADV"
    assert _only_addition_with(store, 9000)["product"] == before["product"]


@pytest.mark.parametrize(
    ("operations", "field"),
    [
        ([{"op": "replace", "path": "Quantity", "value": 5}], "Quantity"),
        ([{"op": "replace", "path": "agreementId", "value": 5}], "agreementId"),
        ([{"op": "remove", "path": "billCustomer"}], "billCustomer"),
        ([{"op": "move", "path": "quantity", "value": 5}], "[0]"),
        ([{"op": "replace", "value": 5}], "[0]"),
        ([{"op": "replace", "path": "quantity", "value": "lots"}], "quantity"),
        ([{"op": "replace", "path": "product", "value": {"id": 1}}], "product/id"),
    ],
)
def test_patch_validation(client: httpx.Client, operations: list[Any], field: str) -> None:
    response = client.patch(f"{ADDITIONS}/9000", json=operations)

    assert response.status_code == 400
    assert response.json()["code"] == "InvalidObject"
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_patch_body_must_be_an_array(client: httpx.Client) -> None:
    response = client.patch(f"{ADDITIONS}/9000", json={"quantity": 5})

    assert response.status_code == 400
    assert "array" in response.json()["message"]


def test_put_replaces_and_resets_left_out_fields(client: httpx.Client) -> None:
    northwind = "/finance/agreements/1503/additions"
    cancelled = client.get(f"{northwind}/9005").json()
    assert cancelled["agreementStatus"] == "Cancelled"

    body = {"product": {"id": cancelled["product"]["id"]}, "billCustomer": "Billable"}
    replaced = client.put(f"{northwind}/9005", json=body)

    assert replaced.status_code == 200
    assert replaced.json()["id"] == 9005
    assert replaced.json()["cancelledDate"] is None
    assert replaced.json()["quantity"] is None
    assert replaced.json()["effectiveDate"] is None
    assert replaced.json()["agreementStatus"] == "Active"


def test_delete_is_204_without_body_then_404(client: httpx.Client, store: Store) -> None:
    response = client.delete(f"{ADDITIONS}/9001")

    assert response.status_code == 204
    assert response.content == b""
    assert client.get(f"{ADDITIONS}/9001").status_code == 404
    assert 9001 not in {a["id"] for a in store.dump()["additions"]}


def test_an_addition_is_only_reachable_through_its_own_agreement(client: httpx.Client) -> None:
    assert client.get("/finance/agreements/1501/additions/9000").status_code == 404
    assert client.delete("/finance/agreements/1501/additions/9000").status_code == 404
    assert client.get(f"{ADDITIONS}/9000").status_code == 200


def test_bodies_must_be_json(client: httpx.Client) -> None:
    as_text = client.post(ADDITIONS, content=b"{}", headers={"Content-Type": "text/plain"})
    broken = client.post(ADDITIONS, content=b"{", headers={"Content-Type": "application/json"})

    assert as_text.status_code == 415
    assert broken.status_code == 400
    assert broken.json()["code"] == "InvalidObject"


CATALOG_BODY = {
    "identifier": "HUNTRESS-EDR",
    "description": "Huntress Managed EDR",
    "customerDescription": "Huntress Managed EDR per endpoint",
    "subcategory": {"id": 40},
    "type": {"name": "Software"},
    "price": "5.00",
}


def test_post_catalog_item(client: httpx.Client) -> None:
    response = client.post("/procurement/catalog", json=CATALOG_BODY)

    assert response.status_code == 201
    item = response.json()
    assert item["id"] == 707
    assert item["price"] == 5.0
    assert item["productClass"] == "NonInventory"
    assert item["subcategory"]["name"] == "Security Software"
    assert item["type"]["id"] == 20


def test_duplicate_catalog_identifier_is_renamed_copy0_then_copy1(client: httpx.Client) -> None:
    body = CATALOG_BODY | {"identifier": "sophos-ix-adv"}
    first = client.post("/procurement/catalog", json=body).json()
    second = client.post("/procurement/catalog", json=body).json()

    assert first["identifier"] == "sophos-ix-advCopy0"
    assert second["identifier"] == "sophos-ix-advCopy1"


def test_duplicate_catalog_identifier_can_be_rejected(client: httpx.Client, store: Store) -> None:
    store.duplicate_catalog_identifier = "reject"
    response = client.post("/procurement/catalog", json=CATALOG_BODY | {"identifier": "M365-BP"})

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "ObjectExists"


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"identifier": "X" * 76}, "MaxLengthField", "identifier"),
        ({"description": "D" * 61}, "MaxLengthField", "description"),
        ({"customerDescription": "C" * 6001}, "MaxLengthField", "customerDescription"),
        ({"customerDescription": None}, "MissingRequiredField", "customerDescription"),
        ({"subcategory": None}, "MissingRequiredField", "subcategory"),
        ({"type": {"name": "Hardware"}}, "NotFound", "type/name"),
        ({"productClass": "Gadget"}, "InvalidField", "productClass"),
    ],
)
def test_catalog_validation(
    client: httpx.Client, change: dict[str, Any], code: str, field: str
) -> None:
    response = client.post("/procurement/catalog", json=CATALOG_BODY | change)

    assert response.status_code == 400
    assert response.json()["message"] == "catalogItem object is invalid"
    [error] = response.json()["errors"]
    assert (error["code"], error["field"], error["resource"]) == (code, field, "catalogItem")


def test_identifier_of_75_characters_is_accepted(client: httpx.Client) -> None:
    response = client.post("/procurement/catalog", json=CATALOG_BODY | {"identifier": "X" * 75})

    assert response.status_code == 201


def test_patch_catalog_item(client: httpx.Client, sandbox: Sandbox) -> None:
    patched = client.patch(
        "/procurement/catalog/700", json=[{"op": "replace", "path": "price", "value": "4.75"}]
    )
    clash = client.patch(
        "/procurement/catalog/700",
        json=[{"op": "replace", "path": "identifier", "value": "LASTPASS-BUS"}],
    )

    assert patched.status_code == 200
    assert patched.json()["price"] == 4.75
    assert clash.status_code == 400
    assert clash.json()["errors"][0]["code"] == "ObjectExists"
    assert client.patch("/procurement/catalog/1", json=[]).status_code == 404


def test_renamed_catalog_item_shows_in_existing_additions(client: httpx.Client) -> None:
    client.patch(
        "/procurement/catalog/700",
        json=[{"op": "replace", "path": "identifier", "value": "SOPHOS-IX-ADV-2025"}],
    )

    addition = client.get(f"{ADDITIONS}/9000").json()
    assert addition["product"]["identifier"] == "SOPHOS-IX-ADV-2025"
