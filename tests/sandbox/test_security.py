"""Security roles, seen by a plain HTTP client: each seeded API member gets exactly its rights."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest

from psabill.sandbox import DEMO_CREDENTIALS, Sandbox, Store
from psabill.sandbox.security import (
    ADMIN,
    DEMO_MEMBER,
    PARTIAL_ROLES,
    member_credentials,
    seed_members,
)
from tests.sandbox.support import make_client

SECURITY_BODY = {
    "code": "Security",
    "message": "You do not have security permission to perform this action.",
    "errors": None,
}
ADDITIONS = "finance/agreements/1500/additions"
VALID_ADDITION = {"product": {"id": 705}, "billCustomer": "Billable", "quantity": 3}
QUANTITY = [{"op": "replace", "path": "quantity", "value": 7}]
VALID_ITEM = {
    "identifier": "NEW-SKU",
    "description": "New",
    "customerDescription": "New",
    "type": {"id": 20},
    "subcategory": {"id": 40},
}

# (name, method, endpoint, body): one request per permission the seeded roles take away
REQUESTS: dict[str, tuple[str, str, Any]] = {
    "no-company-inquire": ("GET", "company/companies", None),
    "no-agreement-inquire": ("GET", f"{ADDITIONS}/count", None),
    "no-agreement-add": ("POST", ADDITIONS, VALID_ADDITION),
    "no-agreement-edit": ("PATCH", f"{ADDITIONS}/9000", QUANTITY),
    "no-catalog-inquire": ("GET", "procurement/catalog/700", None),
    "no-catalog-add": ("POST", "procurement/catalog", VALID_ITEM),
    "no-invoice-inquire": ("GET", "finance/invoices/count", None),
}


@pytest.fixture
def as_member(sandbox: Sandbox) -> Iterator[Any]:
    clients: list[httpx.Client] = []

    def open_as(name: str) -> httpx.Client:
        headers = member_credentials(name).headers()
        clients.append(make_client(base_url=sandbox.api_url, headers=headers))
        return clients[-1]

    yield open_as
    for opened in clients:
        opened.close()


def _send(client: httpx.Client, method: str, endpoint: str, body: Any) -> httpx.Response:
    return client.request(method, endpoint, json=body)


def _state(store: Store) -> str:
    return json.dumps(store.dump(), sort_keys=True)


@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_a_member_without_a_right_gets_connectwise_s_403(
    as_member: Any, store: Store, name: str
) -> None:
    method, endpoint, body = REQUESTS[name]
    before = _state(store)
    response = _send(as_member(name), method, endpoint, body)

    assert response.status_code == 403
    assert response.json() == SECURITY_BODY
    assert _state(store) == before


@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_the_same_request_passes_with_full_rights(client: httpx.Client, name: str) -> None:
    method, endpoint, body = REQUESTS[name]
    assert _send(client, method, endpoint, body).status_code < 300


@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_a_partial_member_keeps_every_other_right(as_member: Any, name: str) -> None:
    member = as_member(name)
    for other, (method, endpoint, body) in REQUESTS.items():
        if other != name and method == "GET":
            assert _send(member, method, endpoint, body).status_code == 200, other


def test_the_role_is_checked_before_the_body_and_the_record(
    as_member: Any, client: httpx.Client
) -> None:
    cannot_add, cannot_edit = as_member("no-agreement-add"), as_member("no-agreement-edit")
    # the demo member sees validation and lookup errors for the same requests
    assert client.post(ADDITIONS, json={}).status_code == 400
    assert client.patch(f"{ADDITIONS}/0", json=QUANTITY).status_code == 404
    assert cannot_add.post(ADDITIONS, json={}).status_code == 403
    assert cannot_edit.patch(f"{ADDITIONS}/0", json=QUANTITY).status_code == 403
    assert cannot_edit.put(f"{ADDITIONS}/9000", json=VALID_ADDITION).status_code == 403


def test_readonly_reads_everything_and_writes_nothing(as_member: Any, store: Store) -> None:
    readonly = as_member("readonly")
    before = _state(store)
    for endpoint in ("company/companies", ADDITIONS, "procurement/catalog", "finance/invoices"):
        assert readonly.get(endpoint).status_code == 200
    refused = [
        readonly.post(ADDITIONS, json=VALID_ADDITION),
        readonly.patch(f"{ADDITIONS}/9000", json=QUANTITY),
        readonly.delete(f"{ADDITIONS}/9000"),
        readonly.post("procurement/catalog", json=VALID_ITEM),
        readonly.patch("procurement/catalog/700", json=[]),
    ]
    assert [r.status_code for r in refused] == [403] * 5
    assert all(r.json() == SECURITY_BODY for r in refused)
    assert _state(store) == before


def test_setup_tables_and_system_info_are_open_to_every_member(as_member: Any) -> None:
    member = as_member("no-catalog-inquire")
    for endpoint in ("procurement/types", "procurement/subcategories", "system/info"):
        assert member.get(endpoint).status_code == 200


def test_each_partial_role_lacks_exactly_one_setting() -> None:
    assert ADMIN.missing() == ()
    missing = {name: role.missing() for name, role in PARTIAL_ROLES.items()}
    assert missing.pop("readonly") == tuple(
        f"{module}: {action} Level"
        for module in (
            "Companies > Company Maintenance",
            "Finance > Agreements",
            "Finance > Invoicing",
            "Procurement > Product Catalog",
        )
        for action in ("Add", "Edit", "Delete")
    )
    assert missing == {
        "no-company-inquire": ("Companies > Company Maintenance: Inquire Level",),
        "no-agreement-inquire": ("Finance > Agreements: Inquire Level",),
        "no-agreement-add": ("Finance > Agreements: Add Level",),
        "no-agreement-edit": ("Finance > Agreements: Edit Level",),
        "no-catalog-inquire": ("Procurement > Product Catalog: Inquire Level",),
        "no-catalog-add": ("Procurement > Product Catalog: Add Level",),
        "no-invoice-inquire": ("Finance > Invoicing: Inquire Level",),
    }


def test_members_are_told_apart_by_their_keys_only(anonymous: httpx.Client) -> None:
    members = seed_members()
    assert members[0].identifier == DEMO_MEMBER
    assert members[0].credentials == DEMO_CREDENTIALS
    assert len({(m.credentials.public_key, m.credentials.private_key) for m in members}) == len(
        members
    )
    crossed = replace(member_credentials("readonly"), private_key=DEMO_CREDENTIALS.private_key)
    response = anonymous.get("/v4_6_release/apis/3.0/system/info", headers=crossed.headers())
    assert response.status_code == 401
    with pytest.raises(KeyError, match="no API member 'nobody'"):
        member_credentials("nobody")
