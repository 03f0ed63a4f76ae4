"""Authentication, discovery and routing errors, over real HTTP."""

from __future__ import annotations

import base64

import httpx
import pytest

from psabill.sandbox import DEMO_CREDENTIALS

API = "/v4_6_release/apis/3.0"
ERROR_KEYS = {"code", "message", "errors"}


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_valid_credentials_get_data_and_the_real_headers(client: httpx.Client) -> None:
    response = client.get("/company/companies")

    assert response.status_code == 200
    assert response.headers["content-type"] == (
        "application/vnd.connectwise.com+json; version=2025.8"
    )
    assert response.headers["api-current-version"] == "2025.8"
    assert response.headers["x-cw-request-id"]
    assert "Müller & Söhne GmbH" in {company["name"] for company in response.json()}


def test_company_part_of_the_login_is_case_insensitive(anonymous: httpx.Client) -> None:
    headers = {"Authorization": _basic("PSABILL_DEMO+sandbox-public", "sandbox-private")}
    headers["clientId"] = DEMO_CREDENTIALS.client_id
    response = anonymous.get(API + "/system/info", headers=headers)

    assert response.status_code == 200
    assert response.json()["isCloud"] is False


@pytest.mark.parametrize(
    "authorization",
    [
        _basic("psabill_demo+sandbox-public", "wrong-private"),
        _basic("psabill_demo+wrong-public", "sandbox-private"),
        _basic("other_company+sandbox-public", "sandbox-private"),
        _basic("psabill_demo", "sandbox-private"),
        "Basic not-base64!!",
        "Bearer sandbox-private",
        None,
    ],
)
def test_bad_credentials_answer_401_with_the_real_body(
    anonymous: httpx.Client, authorization: str | None
) -> None:
    headers = {"clientId": DEMO_CREDENTIALS.client_id}
    if authorization is not None:
        headers["Authorization"] = authorization
    response = anonymous.get(API + "/company/companies", headers=headers)

    assert response.status_code == 401
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert body["code"] == "Unauthorized"
    assert body["errors"] is None
    assert body["message"]


def test_missing_client_id_is_401_naming_the_header(anonymous: httpx.Client) -> None:
    headers = {"Authorization": DEMO_CREDENTIALS.headers()["Authorization"]}
    response = anonymous.get(API + "/company/companies", headers=headers)

    assert response.status_code == 401
    assert response.json()["code"] == "Unauthorized"
    assert "clientId" in response.json()["message"]


def test_unregistered_client_id_is_refused(anonymous: httpx.Client) -> None:
    headers = DEMO_CREDENTIALS.headers() | {"clientId": "00000000-0000-0000-0000-000000000000"}
    response = anonymous.get(API + "/company/companies", headers=headers)

    assert response.status_code == 401


@pytest.mark.parametrize("name", ["ClientID", "clientid", "CLIENTID"])
def test_client_id_header_name_is_case_insensitive(anonymous: httpx.Client, name: str) -> None:
    headers = {
        "Authorization": DEMO_CREDENTIALS.headers()["Authorization"],
        name: DEMO_CREDENTIALS.client_id,
    }
    response = anonymous.get(API + "/company/companies/count", headers=headers)

    assert response.status_code == 200


def test_company_info_needs_no_auth_and_uses_pascal_case(anonymous: httpx.Client) -> None:
    response = anonymous.get("/login/companyinfo/PSABILL_demo")

    assert response.status_code == 200
    assert response.json() == {
        "CompanyName": "psabill sandbox",
        "Codebase": "v4_6_release/",
        "VersionCode": "v2025.8",
        "VersionNumber": "v4.6.99999",
        "CompanyID": "psabill_demo",
        "IsCloud": False,
    }


def test_company_info_for_an_unknown_company_is_json_null(anonymous: httpx.Client) -> None:
    response = anonymous.get("/login/companyinfo/nobody")

    assert response.status_code == 200
    assert response.content == b"null"


@pytest.mark.parametrize(
    "path",
    [
        "/v4_6_release/apis/3.0/company/nothing",
        "/v4_6_release/apis/3.0/company/companies/abc",
        "/v2025_1/apis/3.0/company/companies",
        "/",
    ],
)
def test_unknown_paths_are_404_with_the_error_shape(anonymous: httpx.Client, path: str) -> None:
    response = anonymous.get(path, headers=DEMO_CREDENTIALS.headers())

    assert response.status_code == 404
    assert response.json()["code"] == "NotFound"
    assert set(response.json()) == ERROR_KEYS


def test_unknown_id_is_404(client: httpx.Client) -> None:
    response = client.get("/company/companies/999999")

    assert response.status_code == 404
    assert response.json() == {
        "code": "NotFound",
        "message": "Company with id 999999 was not found.",
        "errors": None,
    }


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/company/companies/250", "GET"),
        ("POST", "/finance/invoices", "GET"),
        ("DELETE", "/procurement/catalog/700", "GET, PATCH"),
        ("POST", "/finance/agreements/1500/additions/count", "GET"),
    ],
)
def test_wrong_method_is_405_with_allow(
    client: httpx.Client, method: str, path: str, allowed: str
) -> None:
    response = client.request(method, path, json={})

    assert response.status_code == 405
    assert response.headers["allow"] == allowed
    assert response.json()["code"] == "MethodNotAllowed"


def test_paths_are_case_insensitive_and_tolerate_a_trailing_slash(client: httpx.Client) -> None:
    assert client.get("/Company/Companies/").status_code == 200
    assert client.get("/procurement/subcategories/").status_code == 200
    assert client.get("/procurement/subcategories").status_code == 200


def test_system_info(client: httpx.Client) -> None:
    info = client.get("/system/info").json()

    assert set(info) == {
        "version",
        "isCloud",
        "serverTimeZone",
        "licenseBits",
        "cloudRegion",
        "maxWorkFlowRecordsAllowed",
    }
