"""The sandbox counts each fault as it injects it, by kind: the evidence the fault tests assert."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from psabill.sandbox import DEMO_CREDENTIALS, FaultPlan, Sandbox, Store, seed_demo
from psabill.sandbox.faults import drop, http_error, latency, lose_response, rate_limited
from tests.sandbox.support import make_client

ADDITIONS = "/finance/agreements/1500/additions"
NEW_ADDITION = {"product": {"id": 705}, "billCustomer": "Billable", "quantity": 3}
LOST = (httpx.RemoteProtocolError, httpx.ReadError)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    store = Store()
    seed_demo(store)
    with Sandbox(store) as running:
        yield running


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[httpx.Client]:
    with make_client(base_url=sandbox.api_url, headers=DEMO_CREDENTIALS.headers()) as http:
        yield http


def test_each_kind_is_counted_once_per_injection(client: httpx.Client, sandbox: Sandbox) -> None:
    sandbox.faults.add(rate_limited(retry_after=0, method="GET", times=2))
    sandbox.faults.add(http_error(503, method="GET", times=1))
    sandbox.faults.add(latency(0.01, method="GET", times=1))
    statuses = [client.get("/company/companies").status_code for _ in range(5)]
    assert statuses == [429, 429, 503, 200, 200]
    assert sandbox.faults.injected() == {"status:429": 2, "status:503": 1, "latency": 1}


def test_a_lost_answer_says_whether_the_write_was_committed(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    additions = len(sandbox.store.dump()["additions"])
    sandbox.faults.add(lose_response(method="POST", times=2))
    sandbox.faults.add(lose_response(method="PATCH", times=1))
    sandbox.faults.add(drop(method="DELETE", times=1))
    with pytest.raises(LOST):
        client.post(ADDITIONS, json=NEW_ADDITION)  # committed
    with pytest.raises(LOST):
        client.post(ADDITIONS, json={"quantity": 3})  # refused: no product
    with pytest.raises(LOST):
        client.patch(f"{ADDITIONS}/9000", json=[{"op": "replace", "path": "quantity", "value": 9}])
    with pytest.raises(LOST):
        client.delete(f"{ADDITIONS}/9000")
    assert len(sandbox.store.dump()["additions"]) == additions + 1
    assert sandbox.store.get("additions", 9000)["quantity"] == 9  # type: ignore[index]
    assert sandbox.faults.injected() == {
        "lose_response:POST": 1,
        "lose_response:POST:refused": 1,
        "lose_response:PATCH": 1,
        "drop": 1,
    }


def test_counts_outlive_a_new_plan_until_reset(client: httpx.Client, sandbox: Sandbox) -> None:
    sandbox.faults.replace(FaultPlan([http_error(500, times=1)]))
    client.get("/company/companies")
    sandbox.faults.replace(FaultPlan(rate_limit_per_minute=1))
    client.get("/company/companies")
    client.get("/company/companies")
    sandbox.faults.clear()
    assert sandbox.faults.injected() == {"status:500": 1, "rate_limit": 1}
    assert sandbox.faults.to_json()["injected"] == {"rate_limit": 1, "status:500": 1}
    sandbox.reset()
    assert sandbox.faults.injected() == {}


def test_wait_idle_waits_for_a_request_its_client_gave_up_on(sandbox: Sandbox) -> None:
    sandbox.faults.add(latency(0.5, method="PATCH"))
    body = [{"op": "replace", "path": "quantity", "value": 11}]
    url = f"{sandbox.api_url}{ADDITIONS}/9000"

    impatient = make_client(headers=DEMO_CREDENTIALS.headers(), timeout=0.1)
    with impatient, pytest.raises(httpx.ReadTimeout):
        impatient.patch(url, json=body)
    assert sandbox.store.get("additions", 9000)["quantity"] != 11  # type: ignore[index]
    started = time.monotonic()
    assert sandbox.wait_idle(timeout=5)
    assert time.monotonic() - started > 0.2
    assert sandbox.store.get("additions", 9000)["quantity"] == 11  # type: ignore[index]
