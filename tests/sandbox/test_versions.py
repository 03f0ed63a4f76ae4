"""The ``Accept`` version and the ``Content-Type`` that answers it, seen by a plain HTTP client."""

from __future__ import annotations

import httpx
import pytest

from psabill.sandbox import Sandbox
from psabill.sandbox.security import member_credentials
from psabill.sandbox.versions import requested_version

SERVED = "application/vnd.connectwise.com+json; version=2025.8"
ADDITIONS = "finance/agreements/1500/additions"


@pytest.mark.parametrize(
    "accept",
    [
        None,
        "*/*",
        "application/json",
        "application/vnd.connectwise.com+json",
        "application/vnd.connectwise.com+json; version=2025.8",
        'application/vnd.connectwise.com+json;Version="2025.8"',
        "application/json, application/vnd.connectwise.com+json; version=2099.1",
    ],
)
def test_known_or_no_version_is_served_as_2025_8(client: httpx.Client, accept: str | None) -> None:
    headers = {} if accept is None else {"Accept": accept}
    response = client.get("company/companies", headers=headers)

    assert response.status_code == 200
    assert response.headers["content-type"] == SERVED


@pytest.mark.parametrize("version", ["2099.1", "2025.9", "2020.4", "3.0.0"])
def test_an_unknown_version_is_refused_with_connectwise_s_error(
    client: httpx.Client, sandbox: Sandbox, version: str
) -> None:
    accept = f"application/vnd.connectwise.com+json; version={version}"
    response = client.get("company/companies/250", headers={"Accept": accept})

    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    url = f"{sandbox.api_url}/company/companies/250"
    assert response.json() == {
        "code": "ConnectWiseApi",
        "message": f"The HTTP resource that matches the request URI '{url}' "
        f"does not support the API version '{version}'.",
        "errors": None,
    }


def test_every_answer_of_an_agreed_version_says_so(client: httpx.Client) -> None:
    body = {"product": {"id": 705}, "billCustomer": "Billable", "quantity": 1}
    answers = [
        client.post(ADDITIONS, json=body),  # 201
        client.patch(f"{ADDITIONS}/9000", json=[]),  # 200
        client.post(ADDITIONS, json={}),  # 400 validation
        client.get(f"{ADDITIONS}/1"),  # 404 record
        client.delete(ADDITIONS),  # 405
        client.get(f"{ADDITIONS}/count"),
    ]
    assert [a.status_code for a in answers] == [201, 200, 400, 404, 405, 200]
    assert {a.headers["content-type"] for a in answers} == {SERVED}
    deleted = client.delete(f"{ADDITIONS}/9000")
    assert deleted.status_code == 204
    assert "content-type" not in deleted.headers


def test_a_security_refusal_is_in_the_agreed_version(sandbox: Sandbox) -> None:
    headers = member_credentials("readonly").headers()
    with httpx.Client(base_url=sandbox.api_url, headers=headers) as readonly:
        response = readonly.post(ADDITIONS, json={})
    assert response.status_code == 403
    assert response.headers["content-type"] == SERVED


def test_discovery_is_plain_json_and_needs_no_version(anonymous: httpx.Client) -> None:
    accept = {"Accept": "application/vnd.connectwise.com+json; version=2099.1"}
    response = anonymous.get("/login/companyinfo/psabill_demo", headers=accept)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"


@pytest.mark.parametrize(
    ("accept", "version"),
    [
        ("application/vnd.connectwise.com+json; version=2025.8", "2025.8"),
        ("APPLICATION/VND.CONNECTWISE.COM+JSON;version=2020.4", "2020.4"),
        ("application/json; version=2099.1", None),
        ("application/json, application/vnd.connectwise.com+json; version=2099.1", None),
        ("", None),
    ],
)
def test_only_the_first_media_range_pins_a_version(accept: str, version: str | None) -> None:
    assert requested_version(accept) == version
