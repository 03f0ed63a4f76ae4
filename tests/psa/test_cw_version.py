"""The API version psabill pins, against the sandbox over loopback HTTP.

The pin is a deliberate choice (the models psabill's mapping reads); these tests make changing
it a visible decision and prove the sandbox, which refuses versions it does not serve, answers
psabill in that version.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from psabill.errors import PsaError
from psabill.psa.connectwise import session as cw_session
from psabill.psa.connectwise.client import ConnectWiseClient
from psabill.sandbox import Sandbox, Store, seed_demo, versions
from tests.psa.conftest import run
from tests.psa.support import sandbox_psa


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    store = Store(clock=lambda: datetime(2025, 3, 15, tzinfo=UTC))
    seed_demo(store)
    with Sandbox(store) as running:
        yield running


def _client(sandbox: Sandbox) -> ConnectWiseClient:
    psa = sandbox_psa(sandbox, retries=0)
    return ConnectWiseClient(psa, timeout=5.0)


def test_the_pin_is_2025_8_in_the_spec_s_media_type() -> None:
    assert cw_session.API_VERSION == "2025.8"
    assert cw_session.ACCEPT == "application/vnd.connectwise.com+json; version=2025.8"


def test_the_sandbox_answers_psabill_in_the_pinned_version(sandbox: Sandbox) -> None:
    async def system_info(client: ConnectWiseClient) -> httpx.Response:
        return await client.session.send("GET", "system/info")

    response = run(_client(sandbox), system_info)
    assert response.status_code == 200
    assert response.headers["content-type"] == (
        f"application/vnd.connectwise.com+json; version={cw_session.API_VERSION}"
    )


def test_a_server_without_the_pinned_version_fails_every_request(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(versions, "KNOWN_VERSIONS", ("2026.1",))
    with pytest.raises(PsaError, match=r"does not support the API version '2025\.8'") as caught:
        run(_client(sandbox), lambda client: client.companies(["AcmeDental"]))
    assert "400" in caught.value.message
    assert [r.status for r in sandbox.requests()] == [200, 400]
