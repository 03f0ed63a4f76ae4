"""The HaloPSA client's token and throttling: renewal before expiry and after a 401, the tenant,
refused credentials, and Halo's 429 waited out on the fake clock."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from psabill.config.models import HaloPsa
from psabill.errors import PsaError
from psabill.psa.halopsa.client import HaloClient
from psabill.sandbox import FaultPlan
from psabill.sandbox.halopsa import HaloSandbox
from tests.psa.conftest import FakeClock
from tests.psa.halopsa.support import ACME, halo_client, run


def statuses(halo: HaloSandbox) -> list[int | None]:
    return [record.status for record in halo.requests()]


def test_token_is_renewed_before_it_expires(halo: HaloSandbox, clock: FakeClock) -> None:
    async def read(client: HaloClient) -> Any:
        await client.companies([str(ACME)])
        clock.now += 3600 - 30  # within a minute of expiry: renew rather than use it
        return await client.companies([str(ACME)])

    assert [c.id for c in run(halo_client(halo, clock), read)] == [ACME]
    assert halo.halo.tokens.issued == 2
    assert 401 not in statuses(halo)


def test_a_refused_token_is_renewed_once(halo: HaloSandbox, clock: FakeClock) -> None:
    async def read(client: HaloClient) -> Any:
        await client.companies([str(ACME)])
        halo.halo.tokens.expire_all()
        return await client.companies([str(ACME)])

    assert [c.id for c in run(halo_client(halo, clock), read)] == [ACME]
    assert statuses(halo).count(401) == 1
    assert halo.halo.tokens.issued == 2


def test_the_tenant_comes_from_authinfo_when_not_configured(
    halo: HaloSandbox, clock: FakeClock
) -> None:
    client = halo_client(halo, clock, psa={"tenant": None})
    assert [c.id for c in run(client, lambda c: c.companies([str(ACME)]))] == [ACME]
    assert any(r.query == "tenant=psabill" for r in halo.requests() if r.path == "/auth/token")


def test_wrong_secret_fails_plainly_and_never_shows_it(halo: HaloSandbox, clock: FakeClock) -> None:
    secret = "wr0ng-s3cret-value"
    client = halo_client(halo, clock, psa={"client_secret": secret})
    with pytest.raises(PsaError) as raised:
        run(client, lambda c: c.companies([str(ACME)]))
    text = f"{raised.value} {raised.value.hint} {client!r}"
    assert "invalid_client" in text
    assert "client_secret" in (raised.value.hint or "")
    assert secret not in text
    report = run(
        halo_client(halo, clock, psa={"client_secret": secret}), lambda c: c.check_access()
    )
    assert not report.ok
    assert report.checks[0].name == "credentials"
    assert secret not in repr(report)


def test_429_at_halos_limit_is_waited_out(clock: FakeClock) -> None:
    """Four requests per 300 s: the fifth gets Halo's 429 with a Retry-After of minutes,
    longer than the HTTP client waits by itself; the session sits it out on the fake clock."""
    plan = FaultPlan(clock=clock.monotonic, rate_limit=(4, 300.0))
    with HaloSandbox(faults=plan) as halo:

        async def read(client: HaloClient) -> Any:
            companies = await client.companies([str(ACME)])
            return await client.agreements([c.id for c in companies])

        found = run(halo_client(halo, clock), read)
        assert [a.id for a in found] == [1500]
        assert halo.faults.injected().get("rate_limit", 0) >= 1
        assert 429 in statuses(halo)
    assert max(clock.sleeps) >= 200  # a wait of minutes, not seconds


def test_authinfo_missing_falls_back_to_the_auth_path(clock: FakeClock) -> None:
    """An instance without ``authinfo`` (404): the token comes from ``{url}/auth/token``; lists
    are paged by what came back, not by what was asked."""
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}?{request.url.query.decode()}")
        if request.url.path == "/api/authinfo":
            return httpx.Response(404, text="Not found")
        if request.url.path == "/auth/token":
            assert request.url.params["tenant"] == "acme"
            return httpx.Response(200, json={"access_token": "t0k", "expires_in": 3600})
        assert request.headers["Authorization"] == "Bearer t0k"
        page = int(request.url.params["page_no"])
        clients = [{"id": n, "name": f"C{n}"} for n in range(2 * page - 1, min(2 * page, 5) + 1)]
        return httpx.Response(200, content=json.dumps({"record_count": 5, "clients": clients}))

    psa = HaloPsa(
        kind="halopsa",
        url="https://acme.halopsa.com",
        client_id="id",
        client_secret="s3cret",
        tenant="acme",
        rate_limit="none",
    )
    client = HaloClient(
        psa,
        transport=httpx.MockTransport(answer),
        sleep=clock.sleep,
        monotonic=clock.monotonic,
    )
    found = run(client, lambda c: c.companies(["1", "5"]))
    assert [c.id for c in found] == [1, 5]
    assert [line.split("?")[0] for line in seen] == [
        "GET /api/authinfo",
        "POST /auth/token",
        "GET /api/Client",
        "GET /api/Client",
        "GET /api/Client",
    ]
