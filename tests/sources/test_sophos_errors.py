"""Every way Sophos Central can refuse, over loopback HTTP: one clear line each, faults counted."""

from __future__ import annotations

import socket

import pytest

from psabill.errors import SourceError
from psabill.sandbox.faults import drop, http_error, rate_limited
from psabill.sandbox.sophos import NO_RETRY_AFTER
from psabill.sandbox.sophos_data import DEMO_CLIENT_SECRET, TENANT_CLIENT_ID
from tests.sources.sophos_support import FakeSophos, fake_sophos  # noqa: F401

USAGE = "/partner/v1/billing/usage/"


def _fails(sophos: FakeSophos, **changes: object) -> SourceError:
    with pytest.raises(SourceError) as caught:
        sophos.read(sophos.source(**changes) if changes else None)
    message = caught.value.message
    assert message.isprintable()
    assert "\n" not in message
    assert DEMO_CLIENT_SECRET not in message
    assert "Bearer" not in message
    return caught.value


def test_a_wrong_secret_names_the_oauth_error(sophos: FakeSophos) -> None:
    error = _fails(sophos, client_secret="not-the-secret")
    assert error.message == (
        'sophos "sophos": Sophos ID refused the client credentials '
        "(HTTP 401 oauth.invalid_client_secret: Unauthorized; trackingId "
        + error.message.rsplit("trackingId ", 1)[1]
    )
    assert error.hint is not None
    assert "client_secret" in error.hint
    assert "not-the-secret" not in error.message


def test_an_unknown_client_id_is_refused(sophos: FakeSophos) -> None:
    assert "oauth.invalid_client_id" in _fails(sophos, client_id="nobody").message


def test_a_tenant_credential_is_not_a_partner(sophos: FakeSophos) -> None:
    error = _fails(sophos, client_id=TENANT_CLIENT_ID)
    assert "belongs to a tenant, not a partner (whoami idType)" in error.message
    assert error.hint is not None
    assert "Sophos Central Partner" in error.hint


def test_a_wrong_partner_id_is_refused_with_the_request_id(sophos: FakeSophos) -> None:
    error = _fails(sophos, partner_id="not-our-partner")
    assert (
        "refused partner 'not-our-partner' for GET /partner/v1/tenants (HTTP 403" in error.message
    )
    assert "; requestId " in error.message
    assert error.hint is not None
    assert "partner_id" in error.hint


@pytest.mark.parametrize("month", ["current", "future"])
def test_a_month_not_over_is_not_published(sophos: FakeSophos, month: str) -> None:
    if month == "future":
        sophos.clock.advance(-40 * 86400)  # psabill's "now" is in October; the fake's too
        sophos.world.usage.clear()
    error = _fails(sophos, usage_month="current")
    label = "2026-12" if month == "current" else "2026-10"
    assert f"usage for {label} is not published yet (HTTP 404" in error.message
    assert "No data for requested year or month" in error.message
    assert error.hint is not None
    assert 'usage_month = "previous"' in error.hint


def test_429_with_retry_after_is_waited_for(sophos: FakeSophos) -> None:
    sophos.server.faults.add(rate_limited(retry_after=7, path=USAGE, times=2))
    assert sophos.read()
    assert sophos.server.faults.injected() == {"status:429": 2}
    assert sophos.clock.slept == [7.0, 7.0]


def test_429_without_retry_after_backs_off(sophos: FakeSophos) -> None:
    sophos.server.sophos.throttle(2)
    assert sophos.read()
    assert sophos.server.faults.injected() == {NO_RETRY_AFTER: 2}
    assert len(sophos.clock.slept) == 2
    assert all(0.5 <= s <= 2.0 for s in sophos.clock.slept)


def test_429_past_the_budget_fails_the_source(sophos: FakeSophos) -> None:
    sophos.read()  # a token in the cache: the next read starts at whoami
    sophos.server.sophos.throttle(10)
    error = _fails(sophos)
    assert "kept answering 429 Too Many Requests to GET /whoami/v1" in error.message
    assert sophos.server.faults.injected() == {NO_RETRY_AFTER: 4}  # first try + 3 retries


def test_429_from_the_token_service_past_the_budget(sophos: FakeSophos) -> None:
    sophos.server.sophos.throttle(10)
    error = _fails(sophos)
    assert "Sophos ID kept answering 429 Too Many Requests (HTTP 429" in error.message
    assert sophos.server.faults.injected() == {NO_RETRY_AFTER: 4}


def test_5xx_is_retried_within_the_budget(sophos: FakeSophos) -> None:
    sophos.server.faults.add(http_error(503, path="/partner/v1/tenants", times=2))
    sophos.server.faults.add(drop(path=USAGE, times=1))
    assert sophos.read()
    assert sophos.server.faults.injected() == {"status:503": 2, "drop": 1}


def test_5xx_past_the_budget_fails_the_source(sophos: FakeSophos) -> None:
    sophos.server.faults.add(http_error(500, path=USAGE))
    error = _fails(sophos)
    assert error.message.startswith('sophos "sophos": GET /partner/v1/billing/usage/2026/11: ')
    assert "Sophos Central answered HTTP 500" in error.message
    assert sophos.server.faults.injected() == {"status:500": 4}


def test_the_token_service_is_retried_too(sophos: FakeSophos) -> None:
    sophos.server.faults.add(http_error(502, path="/oauth2/token", times=1))
    assert sophos.read()
    assert sophos.server.faults.injected() == {"status:502": 1}


def test_a_revoked_token_is_replaced_once_and_never_reused(sophos: FakeSophos) -> None:
    sophos.read()
    sophos.server.sophos._tokens.clear()  # revoked on the server
    sophos.read()  # the cached token is refused, a new one is asked for, the read goes on
    assert sophos.server.sophos.tokens_issued == 2


def test_a_token_refused_even_when_new_fails_the_source(sophos: FakeSophos) -> None:
    rule = sophos.server.faults.add(http_error(401, path="/whoami/v1", times=2))
    error = _fails(sophos)
    assert "Sophos Central refused the access token (HTTP 401" in error.message
    assert rule.fired == 2  # the first answer, and the one to the new token
    assert sophos.server.sophos.tokens_issued == 2


def test_an_unreachable_api_names_the_vendor(sophos: FakeSophos) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    error = _fails(sophos, api_url=f"http://127.0.0.1:{port}")
    assert "could not reach Sophos Central for GET /whoami/v1" in error.message
    assert "PSA" not in error.message
    assert "PSA" not in (error.hint or "")
    error = _fails(sophos, id_url=f"http://127.0.0.1:{port}")
    assert "could not reach Sophos ID (127.0.0.1:" in error.message


def test_plain_http_is_refused_for_a_remote_host(sophos: FakeSophos) -> None:
    with pytest.raises(ValueError, match="api_url must use https://"):
        sophos.source(api_url="http://api.central.sophos.com")
