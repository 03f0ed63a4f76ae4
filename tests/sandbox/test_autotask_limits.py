"""The fake Autotask's thread limit and the shared fault layer, over real HTTP."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from psabill.sandbox.autotask import THREAD_LIMIT_KIND, AutotaskSandbox
from psabill.sandbox.faults import FaultPlan, http_error, lose_response
from tests.sandbox.autotask_support import at_client, autotask, everything

__all__ = ["at_client", "autotask"]  # fixtures


def test_a_fourth_concurrent_request_gets_the_thread_limit_error(
    autotask: AutotaskSandbox, at_client: httpx.Client
) -> None:
    gate = autotask.autotask.gate
    gate.hold(3)
    with ThreadPoolExecutor(3) as pool:
        held = [
            pool.submit(at_client.post, "/Companies/query", json=everything()) for _ in range(3)
        ]
        assert gate.wait_held(3)
        fourth = at_client.post("/Services/query", json=everything())
        zone = at_client.get(
            autotask.zone_lookup_url + "/v1.0/zoneInformation",
            params={"user": "psabill-api@example.com"},
        )
        gate.open()
        answers = [future.result() for future in held]
    assert fourth.status_code == 500
    assert "Itgenatr005" in fourth.json()["errors"][0]
    assert zone.status_code == 200  # zone lookups are exempt
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert autotask.faults.injected() == {THREAD_LIMIT_KIND: 1}
    assert autotask.autotask.threads.peak("DEMO7TRACKING5CODE") == 3
    assert at_client.post("/Services/query", json=everything()).status_code == 200


def test_the_shared_fault_layer_applies(autotask: AutotaskSandbox, at_client: httpx.Client) -> None:
    autotask.faults.replace(
        FaultPlan(
            [
                http_error(503, path="/query$", times=2),
                lose_response(method="POST", path="/Companies$", times=1),
            ]
        )
    )
    statuses = [at_client.post("/Companies/query", json=everything()).status_code for _ in range(3)]
    with pytest.raises(httpx.RemoteProtocolError):
        at_client.post("/Companies", json={"companyName": "Lost but kept"})
    assert statuses == [503, 503, 200]
    assert autotask.faults.injected() == {"status:503": 2, "lose_response:POST": 1}
    names = [c["companyName"] for c in autotask.world.records("Companies")]
    assert "Lost but kept" in names  # a lost answer still committed the create
