"""The sandbox store indexes additions by agreement: an agreement's additions list reads only
its own rows, and always the same rows a scan of the whole table finds."""

from __future__ import annotations

import random
from typing import Any

from psabill.sandbox import Store, seed_large
from psabill.sandbox.transport import LoopbackServer


def scanned(store: Store, agreement_id: int) -> list[dict[str, Any]]:
    return store.rows("additions", lambda row: row.get("agreementId") == agreement_id)


def agreement_ids(store: Store) -> list[int]:
    return [a["id"] for a in store.dump()["agreements"]] + [999_999]


def test_additions_of_matches_a_scan_through_inserts_replaces_deletes_and_loads() -> None:
    store = Store()
    seed_large(store, 12, 3, seed=1)
    rng = random.Random(5)
    additions = [a["id"] for a in store.dump()["additions"]]
    assert len(additions) > 20  # evidence: there is something to index
    for addition_id in rng.sample(additions, 6):
        store.delete("additions", addition_id)
    moved = rng.choice([a for a in additions if store.raw("additions", a) is not None])
    row = store.raw("additions", moved)
    assert row is not None
    target = agreement_ids(store)[0]
    row["agreementId"] = target
    store.replace("additions", moved, row)
    for agreement_id in agreement_ids(store):
        assert store.additions_of(agreement_id) == scanned(store, agreement_id)
    assert moved in [a["id"] for a in store.additions_of(target)]
    copy = Store()
    copy.load(store.dump())
    for agreement_id in agreement_ids(store):
        assert copy.additions_of(agreement_id) == scanned(copy, agreement_id)
    copy.clear()
    assert copy.additions_of(target) == []


def test_the_server_queues_a_burst_of_connections() -> None:
    """socketserver's default listen backlog is 5; psabill opens up to 64 connections at once."""
    assert LoopbackServer.request_queue_size >= 64
