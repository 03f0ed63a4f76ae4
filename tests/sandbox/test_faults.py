"""Fault injection: latency, 429/5xx, dropped connections, lost responses, the admin API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from psabill.sandbox import (
    FaultPlan,
    FaultRule,
    Sandbox,
    Store,
    drop,
    http_error,
    latency,
    lose_response,
    rate_limited,
)

ADDITIONS = "/finance/agreements/1500/additions"
NEW_ADDITION = {"product": {"id": 705}, "billCustomer": "Billable", "quantity": 3}
CONNECTION_ERRORS = (httpx.RemoteProtocolError, httpx.ReadError)


def _addition_ids(store: Store) -> set[int]:
    return {a["id"] for a in store.dump()["additions"]}


def test_latency_delays_but_answers(client: httpx.Client, sandbox: Sandbox) -> None:
    sandbox.faults.add(latency(0.01, path="companies"))

    assert client.get("/company/companies").status_code == 200
    assert client.get("/finance/agreements").status_code == 200
    assert [r.fault for r in sandbox.requests()] == ["latency", None]


def test_rate_limit_fault_uses_the_connectwise_429_body(
    client: httpx.Client, sandbox: Sandbox
) -> None:
    sandbox.faults.add(rate_limited(retry_after=7, times=1))

    limited = client.get("/company/companies")
    after = client.get("/company/companies")

    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "7"
    assert limited.json() == {
        "error": "ConnectWiseAPI",
        "message": "Too many requests. Please try again in 7 seconds.",
    }
    assert after.status_code == 200


def test_500_is_json_and_503_is_a_proxy_page(client: httpx.Client, sandbox: Sandbox) -> None:
    sandbox.faults.add(http_error(500, times=1))
    sandbox.faults.add(http_error(503, times=1))

    server_error = client.get("/company/companies")
    unavailable = client.get("/company/companies")

    assert server_error.status_code == 500
    assert server_error.json()["code"] == "UnexpectedServerError"
    assert unavailable.status_code == 503
    assert unavailable.headers["content-type"] == "text/html"
    assert "Service Unavailable" in unavailable.text


def test_fail_the_next_two_posts_to_additions(
    client: httpx.Client, sandbox: Sandbox, store: Store
) -> None:
    rule = sandbox.faults.add(http_error(503, method="POST", path=r"/additions$", times=2))

    statuses = [client.post(ADDITIONS, json=NEW_ADDITION).status_code for _ in range(3)]
    unaffected = client.get(ADDITIONS).status_code

    assert statuses == [503, 503, 201]
    assert unaffected == 200
    assert (rule.fired, rule.exhausted) == (2, True)
    assert len(_addition_ids(store)) == 7


def test_dropped_connection_raises_and_commits_nothing(
    client: httpx.Client, sandbox: Sandbox, store: Store
) -> None:
    sandbox.faults.add(drop(method="POST", times=1))

    with pytest.raises(CONNECTION_ERRORS):
        client.post(ADDITIONS, json=NEW_ADDITION)

    assert len(_addition_ids(store)) == 6
    assert client.get("/company/companies").status_code == 200
    assert sandbox.requests()[0].status is None


def test_lost_response_raises_but_the_addition_exists(
    client: httpx.Client, sandbox: Sandbox, store: Store
) -> None:
    sandbox.faults.add(lose_response(method="POST", path="additions", times=1))
    before = _addition_ids(store)

    with pytest.raises(CONNECTION_ERRORS):
        client.post(ADDITIONS, json=NEW_ADDITION)

    [created] = _addition_ids(store) - before
    listed = client.get(ADDITIONS, params={"conditions": "product/id = 705"}).json()
    assert [a["id"] for a in listed] == [created]
    assert client.post(ADDITIONS, json=NEW_ADDITION).status_code == 201


def test_lose_the_response_of_the_second_post_only(
    client: httpx.Client, sandbox: Sandbox, store: Store
) -> None:
    sandbox.faults.add(lose_response(method="POST", after=1, times=1))

    first = client.post(ADDITIONS, json=NEW_ADDITION)
    with pytest.raises(CONNECTION_ERRORS):
        client.post(ADDITIONS, json=NEW_ADDITION)
    third = client.post(ADDITIONS, json=NEW_ADDITION)

    assert (first.status_code, third.status_code) == (201, 201)
    assert len(_addition_ids(store)) == 9


def _pattern(seed: int) -> list[int]:
    plan = FaultPlan([rate_limited(probability=0.3)], seed=seed)
    return [
        429 if (d.rule is not None) else 200 for d in (plan.decide("GET", "/x") for _ in range(60))
    ]


def test_probabilistic_faults_are_repeatable_for_a_seed() -> None:
    pattern = _pattern(seed=42)

    assert pattern == _pattern(seed=42)
    assert pattern != _pattern(seed=43)
    assert 5 <= pattern.count(429) <= 35


def test_probabilistic_rate_limit_over_http(client: httpx.Client, sandbox: Sandbox) -> None:
    sandbox.faults.replace(FaultPlan([rate_limited(probability=0.3)], seed=42))

    statuses = [client.get("/company/companies/count").status_code for _ in range(60)]

    assert [429 if s == 429 else 200 for s in statuses] == _pattern(seed=42)


def test_server_side_rate_limit_per_minute(client: httpx.Client, sandbox: Sandbox) -> None:
    sandbox.faults.set_rate_limit(3)

    statuses = [client.get("/system/info").status_code for _ in range(4)]
    refused = client.get("/system/info")

    assert statuses == [200, 200, 200, 429]
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.json()["error"] == "ConnectWiseAPI"


def test_rate_limit_window_slides() -> None:
    now = [0.0]
    plan = FaultPlan(rate_limit_per_minute=2, clock=lambda: now[0])

    first = [plan.decide("GET", "/").retry_after for _ in range(3)]
    now[0] = 61.0
    later = plan.decide("GET", "/").retry_after

    assert first == [None, None, 60]
    assert later is None


def test_rules_target_method_and_path(client: httpx.Client, sandbox: Sandbox) -> None:
    sandbox.faults.add(http_error(500, method="PATCH", path=r"/additions/\d+$"))
    patch = [{"op": "replace", "path": "quantity", "value": 1}]

    assert client.get(f"{ADDITIONS}/9000").status_code == 200
    assert client.patch(f"{ADDITIONS}/9000", json=patch).status_code == 500
    assert client.patch("/procurement/catalog/700", json=[]).status_code == 200


def test_faults_apply_before_authentication(sandbox: Sandbox, anonymous: httpx.Client) -> None:
    sandbox.faults.add(http_error(503, times=1))

    assert anonymous.get("/v4_6_release/apis/3.0/system/info").status_code == 503


# -- admin endpoints ---------------------------------------------------------------------------


def test_admin_sets_faults_at_run_time(
    admin: httpx.Client, client: httpx.Client, sandbox: Sandbox
) -> None:
    plan = {"seed": 1, "rules": [{"kind": "status", "status": 503, "method": "GET", "times": 1}]}

    assert admin.post("/__sandbox__/faults", json=plan).status_code == 200
    assert client.get("/company/companies").status_code == 503
    assert client.get("/company/companies").status_code == 200
    shown = admin.get("/__sandbox__/faults").json()
    assert shown["rules"][0]["fired"] == 1
    assert admin.delete("/__sandbox__/faults").json()["rules"] == []


@pytest.mark.parametrize(
    "plan",
    [
        {"rules": [{"kind": "explode"}]},
        {"rules": [{"kind": "status", "status": 200}]},
        {"rules": [{"kind": "latency", "bogus": 1}]},
        {"rules": [{"kind": "drop", "path": "("}]},
        {"rules": [{"kind": "drop", "probability": 2}]},
        {"rules": "nope"},
        [],
    ],
)
def test_admin_rejects_bad_fault_plans(admin: httpx.Client, plan: Any) -> None:
    response = admin.post("/__sandbox__/faults", json=plan)

    assert response.status_code == 400
    assert "Invalid fault plan" in response.json()["message"]


def test_admin_needs_the_credentials(anonymous: httpx.Client) -> None:
    assert anonymous.get("/__sandbox__/state").status_code == 401
    assert anonymous.post("/__sandbox__/reset").status_code == 401


def test_admin_state_reset_and_request_log(
    admin: httpx.Client, client: httpx.Client, store: Store
) -> None:
    initial = admin.get("/__sandbox__/state").json()
    client.delete(f"{ADDITIONS}/9000")

    assert admin.get("/__sandbox__/state").json() == store.dump() != initial
    assert [r["method"] for r in admin.get("/__sandbox__/requests").json()] == ["DELETE"]
    assert admin.post("/__sandbox__/reset").status_code == 200
    assert store.dump() == initial
    assert admin.get("/__sandbox__/requests").json() == []


def test_admin_loads_a_state(admin: httpx.Client, client: httpx.Client, store: Store) -> None:
    state = store.dump()
    state["companies"] = state["companies"][:1]

    assert admin.put("/__sandbox__/state", json=state).status_code == 200
    assert client.get("/company/companies/count").json() == {"count": 1}
    assert admin.put("/__sandbox__/state", json={"format": "other"}).status_code == 400


def test_admin_is_never_faulted(admin: httpx.Client, sandbox: Sandbox) -> None:
    sandbox.faults.add(drop())

    assert admin.get("/__sandbox__/faults").status_code == 200


def test_fault_plan_json_round_trip(tmp_path: Path) -> None:
    plan = FaultPlan(
        [http_error(503, method="POST", path="additions", times=2), latency(0.5)],
        seed=9,
        rate_limit_per_minute=100,
    )
    path = tmp_path / "faults.json"
    path.write_text(json.dumps(plan.to_json()))

    loaded = FaultPlan.from_file(path)

    assert loaded.to_json() == plan.to_json()
    assert isinstance(loaded.rules[0], FaultRule)


def test_forbidden_fault_answers_the_security_body(sandbox, client) -> None:  # type: ignore[no-untyped-def]
    from psabill.sandbox.faults import http_error

    sandbox.faults.add(http_error(403, method="GET", path="/company/companies$", times=1))
    response = client.get("/company/companies")
    assert response.status_code == 403
    assert response.json()["code"] == "Security"
    assert client.get("/company/companies").status_code == 200
