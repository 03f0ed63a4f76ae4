"""Lines moved in batches: one transaction (one sync to disk) for many lines, same rules as one.

A sync marks all its writes ``sent`` in one transaction before the first request and the
confirmed ones in one after the read-back; the end-to-end tests here check, through a second
connection to the file, that each line is ``sent`` on disk when its request reaches the PSA,
and that the number of ledger transactions of a sync does not grow with its lines.
"""

from __future__ import annotations

import os
import random
import sqlite3
from contextlib import AbstractContextManager
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from psabill.app.runner import Runner
from psabill.config.loader import load_config
from psabill.config.models import Psa
from psabill.core.report import SyncRequest
from psabill.psa.connectwise.client import ConnectWiseClient
from psabill.psa.pacing import RetryPolicy
from psabill.sandbox import Sandbox, Store, seed_large
from psabill.sandbox.world import customer_id, product_sku, write_usage, write_world_config
from psabill.state import Ledger, LineUpdate, ledger_path
from psabill.state.db import transaction

from .support import T0, at, line

NAIVE = datetime(2026, 11, 1, 6, 0, 0)
PRODUCTS = 3


def _lines(ledger: Ledger, count: int) -> list[int]:
    run_id = ledger.start_run(trigger="manual", started_at=T0)
    return ledger.add_lines(run_id, [line(product=f"P{i}") for i in range(count)], at=T0)


def _statuses(ledger: Ledger, ids: list[int]) -> list[str]:
    by_id = {record.id: record for record in ledger.lines(ledger.runs(limit=1)[0].id)}
    return [by_id[i].status for i in ids]


def test_many_lines_move_at_once_with_their_fields(ledger: Ledger) -> None:
    ids = _lines(ledger, 3)
    ledger.update_lines([LineUpdate(i, "sent") for i in ids], at=at(1))
    ledger.update_lines(
        [
            LineUpdate(ids[0], "confirmed", addition_id=901),
            LineUpdate(ids[1], "failed", error="HTTP 400"),
            LineUpdate(ids[2], "confirmed", old_quantity=Decimal("2.50")),
        ],
        at=at(2),
    )
    first, second, third = ledger.lines(ledger.runs(limit=1)[0].id)
    assert (first.status, first.addition_id, first.updated_at) == ("confirmed", 901, at(2))
    assert (second.status, second.error) == ("failed", "HTTP 400")
    assert (third.status, third.old_quantity) == ("confirmed", Decimal("2.50"))


def test_a_line_may_move_twice_in_one_batch(ledger: Ledger) -> None:
    (line_id,) = _lines(ledger, 1)
    ledger.update_lines([LineUpdate(line_id, "sent"), LineUpdate(line_id, "confirmed")], at=at(1))
    assert _statuses(ledger, [line_id]) == ["confirmed"]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (LineUpdate(10_000, "sent"), "no run line 10000"),
        (LineUpdate(-1, "confirmed"), "no run line -1"),
        (LineUpdate(0, "planned"), "cannot become planned"),  # id replaced below
        (LineUpdate(0, "bogus"), "unknown line status"),  # type: ignore[arg-type]
    ],
)
def test_a_bad_move_in_a_batch_moves_nothing(ledger: Ledger, bad: LineUpdate, message: str) -> None:
    ids = _lines(ledger, 3)
    if bad.line_id == 0:
        bad = LineUpdate(ids[1], bad.status)
    changes = [LineUpdate(ids[0], "sent"), bad, LineUpdate(ids[2], "sent")]
    with pytest.raises(ValueError, match=message):
        ledger.update_lines(changes, at=at(1))
    assert _statuses(ledger, ids) == ["planned"] * 3


def test_a_batch_refuses_a_naive_time_and_an_empty_one_does_nothing(ledger: Ledger) -> None:
    ids = _lines(ledger, 2)
    with pytest.raises(ValueError, match="naive"):
        ledger.update_lines([LineUpdate(i, "sent") for i in ids], at=NAIVE)
    ledger.update_lines([], at=at(1))
    assert _statuses(ledger, ids) == ["planned"] * 2


# -- a real sync against the sandbox --------------------------------------------------------


class SentFirst(httpx.AsyncBaseTransport):
    """Real HTTP to the sandbox; at each addition PATCH, reads that addition's line of the
    running run from the ledger file through a connection of its own."""

    def __init__(self, ledger: Path) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.ledger = ledger
        self.seen: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "PATCH":
            addition_id = int(request.url.path.rsplit("/", 1)[1])
            self.seen.append(self._status(addition_id))
        return await self.inner.handle_async_request(request)

    def _status(self, addition_id: int) -> str:
        query = (
            "SELECT status FROM run_lines WHERE addition_id = ?"
            " AND run_id = (SELECT MAX(id) FROM runs)"
        )
        with sqlite3.connect(f"file:{self.ledger}?mode=ro", uri=True) as conn:
            row = conn.execute(query, (addition_id,)).fetchone()
        conn.close()
        return "missing" if row is None else str(row[0])

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture
def count_transactions(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the ledger's write transactions (``BEGIN IMMEDIATE`` ... ``COMMIT``)."""
    counted = [0]

    def counting(conn: sqlite3.Connection) -> AbstractContextManager[sqlite3.Connection]:
        counted[0] += 1
        return transaction(conn)

    monkeypatch.setattr("psabill.state._base.transaction", counting)
    return counted


def _sync(directory: Path, customers: int) -> tuple[list[str], int]:
    """A sync changing every quantity of ``customers`` × :data:`PRODUCTS`; the statuses the
    PATCHes saw and the sync's ledger transactions (counted by the caller's fixture)."""
    store = Store()
    seed_large(store, customers, PRODUCTS, seed=1)
    rng = random.Random(3)
    usage = {
        (customer_id(c), product_sku(p)): rng.randrange(500, 900)  # differs from every seed qty
        for c in range(1, customers + 1)
        for p in range(1, PRODUCTS + 1)
    }
    state = directory / "state"
    transport = SentFirst(ledger_path(state))

    def client(psa: Psa) -> ConnectWiseClient:
        return ConnectWiseClient(psa, policy=RetryPolicy(max_retries=0), transport=transport)

    with Sandbox(store) as sandbox:
        config = write_world_config(
            directory, sandbox.site_url, customers=customers, products=PRODUCTS
        )
        write_usage(directory, usage)
        runner = Runner(load_config(config, os.environ), state, os.environ, psa=client)
        report = runner.sync(SyncRequest(trigger="manual", allow_drop=True))
    assert report.outcome == "success", report
    return transport.seen, len(report.results)


def test_each_line_is_sent_on_disk_before_its_request(tmp_path: Path) -> None:
    seen, lines = _sync(tmp_path, customers=3)
    assert lines == 3 * PRODUCTS
    assert seen == ["sent"] * lines


def test_ledger_transactions_do_not_grow_with_the_lines(
    tmp_path: Path, count_transactions: list[int]
) -> None:
    counts = []
    for customers in (2, 8):
        count_transactions[0] = 0
        seen, lines = _sync(tmp_path / str(customers), customers)
        assert len(seen) == lines == customers * PRODUCTS
        counts.append(count_transactions[0])
    assert counts[0] == counts[1], counts  # per line it would be 2 more for each of 18 lines
    assert counts[1] < 8 * PRODUCTS
