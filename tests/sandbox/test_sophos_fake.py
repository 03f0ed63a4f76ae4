"""The fake Sophos Central, checked with a plain HTTP client (not psabill's): each behaviour the
Partner API documents, and the strict choice where it is silent."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from psabill.sandbox.faults import rate_limited
from psabill.sandbox.sophos import NO_RETRY_AFTER
from psabill.sandbox.sophos_data import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_PARTNER,
    TENANT_CLIENT_ID,
    SophosWorld,
    seed_sophos_demo,
)
from psabill.sandbox.sophos_server import SophosSandbox

NOW = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)
FORM = {
    "grant_type": "client_credentials",
    "client_id": DEMO_CLIENT_ID,
    "client_secret": DEMO_CLIENT_SECRET,
    "scope": "token",
}


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def fake() -> Iterator[tuple[SophosSandbox, httpx.Client, Clock]]:
    clock = Clock()
    world = SophosWorld()
    seed_sophos_demo(world, NOW.date())
    with (
        SophosSandbox(world, clock=clock) as server,
        httpx.Client(base_url=server.site_url) as http,
    ):
        yield server, http, clock


def _token(http: httpx.Client, client_id: str = DEMO_CLIENT_ID) -> str:
    answer = http.post("/api/v2/oauth2/token", data=FORM | {"client_id": client_id})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["expires_in"] == 3600
    assert body["token_type"] == "bearer"
    return str(body["access_token"])


def _partner(
    http: httpx.Client, path: str, partner: str = DEMO_PARTNER, **params: Any
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {_token(http)}", "X-Partner-ID": partner}
    return http.get(path, params=params, headers=headers)


def _is_error_body(answer: httpx.Response, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    body: dict[str, Any] = answer.json()
    assert {"error", "message", "correlationId", "code", "createdAt", "requestId", "docUrl"} <= set(
        body
    )
    return body


def test_the_token_endpoint_takes_a_form_only(
    fake: tuple[SophosSandbox, httpx.Client, Clock],
) -> None:
    _, http, _ = fake
    _token(http)
    as_json = http.post("/api/v2/oauth2/token", json=FORM)
    assert as_json.status_code == 400
    wrong = http.post("/api/v2/oauth2/token", data=FORM | {"client_secret": "nope"})
    assert wrong.status_code == 401
    assert wrong.json()["errorCode"] == "oauth.invalid_client_secret"
    assert wrong.json()["message"] == "Unauthorized"
    assert wrong.json()["trackingId"]
    grant = http.post("/api/v2/oauth2/token", data=FORM | {"grant_type": "password"})
    assert grant.status_code == 400


def test_tokens_expire_after_3600_seconds(fake: tuple[SophosSandbox, httpx.Client, Clock]) -> None:
    _, http, clock = fake
    headers = {"Authorization": f"Bearer {_token(http)}"}
    assert http.get("/whoami/v1", headers=headers).status_code == 200
    clock.now += timedelta(seconds=3600)
    _is_error_body(http.get("/whoami/v1", headers=headers), 401)


def test_whoami_names_the_id_type(fake: tuple[SophosSandbox, httpx.Client, Clock]) -> None:
    server, http, _ = fake
    partner = http.get("/whoami/v1", headers={"Authorization": f"Bearer {_token(http)}"}).json()
    assert partner == {
        "id": DEMO_PARTNER,
        "idType": "partner",
        "apiHosts": {"global": server.site_url},
    }
    tenant_token = _token(http, TENANT_CLIENT_ID)
    tenant = http.get("/whoami/v1", headers={"Authorization": f"Bearer {tenant_token}"}).json()
    assert tenant["idType"] == "tenant"


def test_tenants_page_by_number(fake: tuple[SophosSandbox, httpx.Client, Clock]) -> None:
    _, http, _ = fake
    first = _partner(http, "/partner/v1/tenants", page=1, pageSize=2, pageTotal="true").json()
    assert [t["name"] for t in first["items"]] == ["Acme Dental Group", "Müller & Söhne GmbH"]
    assert first["pages"] == {"current": 1, "size": 2, "total": 3, "items": 5, "maxSize": 100}
    last = _partner(http, "/partner/v1/tenants", page=3, pageSize=2).json()
    assert len(last["items"]) == 1
    assert "total" not in last["pages"]
    assert _partner(http, "/partner/v1/tenants", pageSize=101).status_code == 400


def test_usage_pages_by_key(fake: tuple[SophosSandbox, httpx.Client, Clock]) -> None:
    _, http, _ = fake
    path = "/partner/v1/billing/usage/2026/11"
    seen, key, pages = [], None, 0
    while True:
        params: dict[str, Any] = {"pageSize": 4} | ({"pageFromKey": key} if key else {})
        body = _partner(http, path, **params).json()
        seen.extend(body["items"])
        pages += 1
        key = body["pages"].get("nextKey")
        if key is None:
            break
    assert pages == 3
    assert len(seen) == 9
    assert _partner(http, path, pageFromKey="bogus").status_code == 400
    acme = [
        line for line in seen if line.get("accountId") == "7d1f3c2e-acme" and line["sku"] == "CIXA"
    ]
    assert len(acme) == 2  # several lines per tenant and SKU
    assert any(line["billableQuantity"] != line["actualQuantity"] for line in acme)
    assert any("accountId" not in line for line in seen)  # a standalone subscription


def test_usage_filters_by_account(fake: tuple[SophosSandbox, httpx.Client, Clock]) -> None:
    _, http, _ = fake
    body = _partner(http, "/partner/v1/billing/usage/2026/11", accountId="c0n7-contoso").json()
    assert {line["accountId"] for line in body["items"]} == {"c0n7-contoso"}
    assert len(body["items"]) == 2
    term = _partner(http, "/partner/v1/billing/usage/2026/11", accountId="9e9e-termco")
    _is_error_body(term, 403)


@pytest.mark.parametrize("month", ["2026/12", "2027/1", "2020/1"])
def test_a_month_without_data_is_404(
    fake: tuple[SophosSandbox, httpx.Client, Clock], month: str
) -> None:
    _, http, _ = fake
    body = _is_error_body(_partner(http, f"/partner/v1/billing/usage/{month}"), 404)
    assert body["message"] == "No data for requested year or month"


def test_a_wrong_partner_id_is_403(fake: tuple[SophosSandbox, httpx.Client, Clock]) -> None:
    _, http, _ = fake
    _is_error_body(_partner(http, "/partner/v1/tenants", partner="someone-else"), 403)
    missing = http.get("/partner/v1/tenants", headers={"Authorization": f"Bearer {_token(http)}"})
    _is_error_body(missing, 400)


def test_429_with_and_without_retry_after_are_counted(
    fake: tuple[SophosSandbox, httpx.Client, Clock],
) -> None:
    server, http, _ = fake
    server.faults.add(rate_limited(retry_after=9, path="/whoami", times=1))
    headers = {"Authorization": f"Bearer {_token(http)}"}
    with_header = http.get("/whoami/v1", headers=headers)
    assert with_header.status_code == 429
    assert with_header.headers["Retry-After"] == "9"
    server.sophos.throttle(1)
    without = http.get("/whoami/v1", headers=headers)
    assert without.status_code == 429
    assert "Retry-After" not in without.headers
    _is_error_body(without, 429)
    assert server.faults.injected() == {"status:429": 1, NO_RETRY_AFTER: 1}
    assert http.get("/whoami/v1", headers=headers).status_code == 200


def test_admin_endpoints_need_the_demo_credentials(
    fake: tuple[SophosSandbox, httpx.Client, Clock],
) -> None:
    _, http, _ = fake
    assert http.get("/__sandbox__/state").status_code == 401
    state = http.get("/__sandbox__/state", auth=(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)).json()
    assert state["partner_id"] == DEMO_PARTNER
    assert "2026-11" in state["usage"]
    assert (
        http.get("/__sandbox__/faults", auth=(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)).status_code
        == 200
    )
