"""The one server core under each PSA flavor: fault bodies, rate limit, admin auth, reset.

The same fault plan is run against ConnectWise, Autotask and HaloPSA; each must answer it in its
own words, and every fault asserted here is also counted as injected.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import httpx
import pytest

from psabill.sandbox import FaultPlan, Sandbox, Store, http_error, rate_limited, seed_demo
from psabill.sandbox.auth import DEMO_CREDENTIALS as CW_CREDENTIALS
from psabill.sandbox.autotask import DEMO_CREDENTIALS as AT_CREDENTIALS
from psabill.sandbox.halopsa import DEMO_CREDENTIALS as HALO_CREDENTIALS
from psabill.sandbox.halopsa import RATE_LIMIT_TEXT
from psabill.sandbox.kinds import PSA_KINDS, identifiers, psa_sandbox
from psabill.sandbox.seed import seed_large
from tests.sandbox.support import make_client

KINDS = list(PSA_KINDS)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


ADMIN_HEADERS = {
    "connectwise": {"Authorization": CW_CREDENTIALS.headers()["Authorization"]},
    "autotask": AT_CREDENTIALS.headers(),
    "halopsa": _basic(HALO_CREDENTIALS.client_id, HALO_CREDENTIALS.client_secret),
}


def _start(kind: str, faults: FaultPlan | None = None, store: Store | None = None) -> Sandbox:
    if store is None:
        store = Store()
        seed_demo(store)
    return psa_sandbox(kind, store, faults=faults)


@pytest.fixture(params=KINDS)
def sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    with _start(request.param) as running:
        yield running


@pytest.fixture
def http(sandbox: Sandbox) -> Iterator[httpx.Client]:
    with make_client(base_url=sandbox.site_url) as client:
        yield client


def _is_the_psas_429(kind: str, response: httpx.Response, retry_after: int) -> bool:
    """The 429 in this PSA's words, as the reference records them."""
    if response.status_code != 429 or response.headers["retry-after"] != str(retry_after):
        return False
    if kind == "connectwise":
        return bool(response.json()["error"] == "ConnectWiseAPI")
    if kind == "autotask":
        return isinstance(response.json()["errors"], list) and bool(response.json()["errors"])
    return response.text == RATE_LIMIT_TEXT


def test_an_injected_429_is_answered_in_the_psas_own_words(
    sandbox: Sandbox, http: httpx.Client
) -> None:
    sandbox.faults.add(rate_limited(retry_after=7, times=1))

    response = http.get("/anything")

    assert _is_the_psas_429(sandbox.kind, response, 7), response.text
    assert sandbox.faults.injected() == {"status:429": 1}


@pytest.mark.parametrize("status", [500, 403, 503])
def test_injected_errors_carry_the_flavors_body_and_headers(
    sandbox: Sandbox, http: httpx.Client, status: int
) -> None:
    sandbox.faults.add(http_error(status, times=1))

    response = http.get("/anything")

    expected = sandbox.flavor.fault_response(status, 30)
    assert response.status_code == status
    assert response.content == expected.body
    for name, _ in sandbox.flavor.response_headers():
        assert name in response.headers
    assert sandbox.faults.injected() == {f"status:{status}": 1}


def test_fault_bodies_differ_per_psa() -> None:
    bodies = {kind: _start(kind).flavor.fault_response(500, 0).body for kind in KINDS}

    assert json.loads(bodies["connectwise"])["code"] == "UnexpectedServerError"
    assert "errors" in json.loads(bodies["autotask"])
    assert len(set(bodies.values())) == 3


@pytest.mark.parametrize("kind", KINDS)
def test_a_plans_rate_limit_refuses_in_the_psas_words_until_the_window_moves(kind: str) -> None:
    clock = Clock()
    plan = FaultPlan(rate_limit=(2, 10.0), clock=clock)
    with _start(kind, plan) as sandbox, make_client(base_url=sandbox.site_url) as http:
        passed = [http.get("/anything").status_code for _ in range(2)]
        refused = http.get("/anything")
        clock.now += 4
        later = http.get("/anything")
        clock.now += 6
        again = http.get("/anything")

    assert 429 not in passed
    assert _is_the_psas_429(kind, refused, 10)
    assert _is_the_psas_429(kind, later, 6)  # seconds until the oldest leaves the window
    assert again.status_code != 429
    assert sandbox.faults.injected() == {"rate_limit": 2}


@pytest.mark.parametrize(
    ("kind", "limit"),
    [("connectwise", None), ("autotask", (10_000, 3600.0)), ("halopsa", (300, 300.0))],
)
def test_each_psas_own_limit_applies_unless_the_plan_sets_one(
    kind: str, limit: tuple[int, float] | None
) -> None:
    clock = Clock()
    sandbox = _start(kind, FaultPlan(clock=clock))
    count = 400 if limit is None else limit[0]

    decisions = [sandbox.faults.decide("GET", "/x").retry_after for _ in range(count)]
    beyond = sandbox.faults.decide("GET", "/x").retry_after
    sandbox.faults.set_rate_limit(None)
    lifted = sandbox.faults.decide("GET", "/x").retry_after

    assert sandbox.flavor.rate_limit() == limit
    assert decisions == [None] * count
    assert beyond == (None if limit is None else int(limit[1]))
    assert lifted is None


@pytest.mark.parametrize("kind", KINDS)
def test_admin_endpoints_take_only_the_psas_demo_credentials(kind: str) -> None:
    with _start(kind) as sandbox, make_client(base_url=sandbox.site_url) as http:
        anonymous = http.get("/__sandbox__/state")
        wrong = http.get("/__sandbox__/state", headers=_basic("someone", "else"))
        state = http.get("/__sandbox__/state", headers=ADMIN_HEADERS[kind])

        assert (anonymous.status_code, wrong.status_code) == (401, 401)
        assert anonymous.json()["code"] == "Unauthorized"
        assert state.status_code == 200
        assert state.json() == json.loads(json.dumps(sandbox.flavor.dump()))


@pytest.mark.parametrize("kind", KINDS)
def test_admin_loads_a_state_and_reset_restores_the_start(kind: str) -> None:
    other = Store()
    seed_large(other, 2, 2)
    small = json.loads(json.dumps(_start(kind, store=other).flavor.dump()))
    with _start(kind) as sandbox, make_client(base_url=sandbox.site_url) as http:
        headers = ADMIN_HEADERS[kind]
        initial = http.get("/__sandbox__/state", headers=headers).json()
        http.get("/anything")

        loaded = http.put("/__sandbox__/state", headers=headers, json=small)
        after_load = http.get("/__sandbox__/state", headers=headers).json()
        reset = http.post("/__sandbox__/reset", headers=headers)
        after_reset = http.get("/__sandbox__/state", headers=headers).json()
        log = http.get("/__sandbox__/requests", headers=headers).json()

    assert loaded.status_code == reset.status_code == 200
    assert after_load == small != initial
    assert after_reset == initial
    assert log == []


@pytest.mark.parametrize("kind", KINDS)
def test_a_sandbox_bug_is_answered_with_the_psas_500(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(request: object) -> None:
        raise RuntimeError("a bug in the fake")

    with _start(kind) as sandbox, make_client(base_url=sandbox.site_url) as http:
        monkeypatch.setattr(sandbox.flavor, "handle", broken)
        response = http.get("/anything")

    assert response.status_code == 500
    assert response.content == sandbox.flavor.fault_response(500, 0).body


def test_the_three_psas_bill_the_same_demo_msp() -> None:
    """``billed`` judges all three alike: the same lines, cancellations and live seats."""
    day = date(2025, 3, 15)
    store = Store()
    seed_demo(store)
    cw_lines = _start("connectwise").billed(day)
    cw_seats = sum((line.quantity for line in cw_lines if not line.cancelled), Decimal(0))
    for kind in KINDS:
        ids = identifiers(kind, store)
        lines = _start(kind).billed(day)
        expected = sorted(
            (ids.catalog(line.product_identifier), line.cancelled) for line in cw_lines
        )
        seats = sum((line.quantity for line in lines if not line.cancelled), Decimal(0))

        assert sorted((line.product_identifier, line.cancelled) for line in lines) == expected
        assert seats == cw_seats == 177


def test_connectwise_only_attributes_say_so_on_another_psa() -> None:
    sandbox = _start("halopsa")

    assert sandbox.kind == "halopsa"
    with pytest.raises(AttributeError, match="halopsa sandbox has no ConnectWise API"):
        _ = sandbox.credentials
