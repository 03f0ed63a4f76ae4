"""Store: seeding, dump/load, helper validation, derived fields, concurrency."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime

import httpx
import pytest

from psabill.sandbox import ApiError, Sandbox, Store, seed_demo, seed_large
from tests.sandbox.conftest import fixed_clock
from tests.sandbox.support import make_client


def test_seed_demo_is_deterministic_whatever_the_clock() -> None:
    one, two = Store(), Store(clock=fixed_clock)
    seed_demo(one)
    seed_demo(two)

    assert json.dumps(one.dump()) == json.dumps(two.dump())


def test_seed_demo_has_the_realistic_traps(store: Store) -> None:
    state = store.dump()
    companies = {c["id"]: c for c in state["companies"]}
    agreements = state["agreements"]

    assert 4 <= len([c for c in companies.values() if not c["deletedFlag"]]) <= 6
    assert "Müller & Söhne GmbH" in {c["name"] for c in companies.values()}
    assert [a["name"] for a in agreements if a["cancelledFlag"]] == [
        "Blue Harbor - Managed Services (2022)"
    ]
    types: dict[int, set[str]] = {}
    for agreement in agreements:
        types.setdefault(agreement["company"]["id"], set()).add(agreement["type"]["name"])
    both = {"Managed Services", "Security Services"}
    assert both in types.values()
    assert {t["name"] for t in state["agreementTypes"]} == both
    assert "SOPHOS-IX-ADV" in {i["identifier"] for i in state["catalog"]}
    assert len(state["invoices"]) == 2
    assert {a["agreementStatus"] for a in state["additions"]} == {"Active", "Cancelled"}


def test_dump_is_json_and_load_round_trips(store: Store) -> None:
    dumped = json.loads(json.dumps(store.dump()))
    copy = Store(clock=fixed_clock)
    copy.load(dumped)

    assert copy.dump() == store.dump()


def test_load_continues_ids_after_the_highest(store: Store) -> None:
    copy = Store()
    copy.load(store.dump())
    agreement = store.dump()["agreements"][0]["id"]

    new_id = copy.add_addition(agreement, "SOPHOS-IX-ADV", 1)

    assert new_id == max(a["id"] for a in store.dump()["additions"]) + 1


@pytest.mark.parametrize("data", [{}, {"format": "psabill-sandbox/0"}, []])
def test_load_rejects_what_is_not_a_dump(data: object) -> None:
    with pytest.raises(ValueError, match="not a sandbox dump"):
        Store().load(data)  # type: ignore[arg-type]


def test_load_needs_integer_ids(store: Store) -> None:
    state = store.dump()
    state["companies"][0]["id"] = "250"

    with pytest.raises(ValueError, match="integer id"):
        Store().load(state)


def test_helpers_validate_like_the_api(store: Store) -> None:
    with pytest.raises(ApiError) as error:
        store.add_catalog_item("X" * 76, "too long an identifier")

    assert error.value.status == 400
    assert error.value.body()["errors"][0]["code"] == "MaxLengthField"
    with pytest.raises(ApiError, match="NotFound"):
        store.add_addition(999, "SOPHOS-IX-ADV", 1)


def test_helpers_reject_naive_datetimes(store: Store) -> None:
    naive = datetime(2025, 1, 1)
    with pytest.raises(ValueError, match="naive"):
        store.add_addition(1500, "SOPHOS-IX-ADV", 1, effective_date=naive)


def test_addition_status_follows_the_clock_and_the_agreement() -> None:
    now = [datetime(2025, 3, 1, tzinfo=UTC)]
    store = Store(clock=lambda: now[0])
    seed_demo(store)
    agreement = next(a for a in store.dump()["agreements"] if a["name"].startswith("Acme"))
    addition = store.add_addition(
        agreement["id"], "LASTPASS-BUS", 2, cancelled_date="2025-03-31T00:00:00Z"
    )

    assert store.get("additions", addition)["agreementStatus"] == "Active"  # type: ignore[index]
    now[0] = datetime(2025, 4, 1, tzinfo=UTC)
    assert store.get("additions", addition)["agreementStatus"] == "Cancelled"  # type: ignore[index]


def test_seed_large_shape_and_determinism() -> None:
    one, two, other = Store(), Store(), Store()
    seed_large(one, 5, 3, seed=1)
    seed_large(two, 5, 3, seed=1)
    seed_large(other, 5, 3, seed=2)

    state = one.dump()
    assert (len(state["companies"]), len(state["agreements"])) == (5, 5)
    assert (len(state["catalog"]), len(state["additions"])) == (3, 15)
    assert state == two.dump()
    assert [a["quantity"] for a in state["additions"]] != [
        a["quantity"] for a in other.dump()["additions"]
    ]


def test_concurrent_posts_get_unique_ids(sandbox: Sandbox, store: Store) -> None:
    headers = sandbox.credentials.headers()
    body = {"product": {"id": 705}, "billCustomer": "Billable", "quantity": 1}
    created: list[int] = []
    lock = threading.Lock()

    def post_five() -> None:
        with make_client(base_url=sandbox.api_url, headers=headers) as http:
            for _ in range(5):
                response = http.post("/finance/agreements/1500/additions", json=body)
                with lock:
                    created.append(response.json()["id"])

    threads = [threading.Thread(target=post_five) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(set(created)) == 40
    assert len(store.dump()["additions"]) == 46


def test_stopped_sandbox_refuses_connections(store: Store) -> None:
    sandbox = Sandbox(store)
    sandbox.start()
    url = sandbox.api_url
    with make_client(headers=sandbox.credentials.headers()) as http:
        assert http.get(url + "/system/info").status_code == 200
        sandbox.stop()
        with pytest.raises(httpx.TransportError):
            http.get(url + "/system/info")
