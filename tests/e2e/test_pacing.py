"""Pacing end to end: a whole sync over real HTTP against a sandbox that enforces a limit.

The sandbox refuses (429 with Retry-After) requests beyond N in any 60 seconds, on the same
virtual clock psabill's pacer reads and sleeps on (:class:`~tests.psa.virtual_clock.VirtualClock`):
minutes pass in no real time, and time stands still while a request is on the wire, so the
server sees each request at the moment psabill started it.
"""

from __future__ import annotations

import itertools
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from psabill.app.runner import Runner
from psabill.config.loader import load_config
from psabill.config.models import Psa
from psabill.core.report import SyncReport, SyncRequest
from psabill.psa.connectwise.client import ConnectWiseClient
from psabill.psa.pacing import RetryPolicy
from psabill.sandbox import FaultPlan, Sandbox, Store
from psabill.sandbox.faults import FaultDecision
from psabill.sandbox.seed import seed_large
from psabill.sandbox.world import customer_id, product_sku, write_usage, write_world_config
from tests.psa.virtual_clock import VirtualClock

COMPANIES, PRODUCTS = 12, 3
LIMIT = 20
"""Requests a minute the sandbox allows: a sync of this world needs several minutes of them."""


class LoggedPlan(FaultPlan):
    """The fault plan, noting (moment, refused) for every request it decides on."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.log: list[tuple[float, bool]] = []

    def decide(self, method: str, path: str) -> FaultDecision:
        decision = super().decide(method, path)
        self.log.append((self._clock(), decision.retry_after is not None))
        return decision


@dataclass
class Limited:
    sandbox: Sandbox
    plan: LoggedPlan
    clock: VirtualClock
    directory: Path
    clients: list[ConnectWiseClient] = field(default_factory=list)

    def sync(self, rate_limit: str) -> SyncReport:
        """A full sync of new usage with ``rate_limit`` as the [psa] line ("" = unset)."""
        config = write_world_config(
            self.directory, self.sandbox.site_url, customers=COMPANIES, products=PRODUCTS
        )
        text = config.read_text(encoding="utf-8").replace('rate_limit = "none"\n', rate_limit)
        config.write_text(text, encoding="utf-8")
        rng = random.Random(5)
        usage = {
            (customer_id(c), product_sku(p)): rng.randrange(600, 900)
            for c in range(1, COMPANIES + 1)
            for p in range(1, PRODUCTS + 1)
        }
        write_usage(self.directory, usage)
        runner = Runner(
            load_config(config, os.environ), self.directory / "state", os.environ, psa=self.psa
        )
        return runner.sync(SyncRequest(trigger="manual", allow_drop=True, allow_rise=True))

    def psa(self, psa: Psa) -> ConnectWiseClient:
        client = ConnectWiseClient(
            psa,
            policy=RetryPolicy(max_retries=psa.retries),
            transport=self.clock.track(httpx.AsyncHTTPTransport()),
            sleep=self.clock.sleep,
            monotonic=self.clock.monotonic,
        )
        self.clients.append(client)
        return client

    def refused_in_a_row(self) -> list[tuple[float, float]]:
        """Moments of each two consecutive requests the sandbox refused."""
        log = self.plan.log
        return [
            (first[0], second[0])
            for first, second in itertools.pairwise(log)
            if first[1] and second[1]
        ]


@pytest.fixture
def limited(tmp_path: Path) -> Iterator[Limited]:
    clock = VirtualClock()
    store = Store()
    seed_large(store, COMPANIES, PRODUCTS, seed=4)
    plan = LoggedPlan(rate_limit_per_minute=LIMIT, clock=clock.monotonic)
    with Sandbox(store, faults=plan) as sandbox:
        yield Limited(sandbox, plan, clock, tmp_path)


def test_a_cap_at_the_psa_limit_never_draws_a_429(limited: Limited) -> None:
    report = limited.sync(f"rate_limit = {LIMIT}\n")
    assert report.outcome == "success", report.fatal
    log = limited.plan.log
    assert len(log) > 3 * LIMIT  # the run needs several minutes of the allowance
    assert not any(refused for _, refused in log)
    assert limited.clock.now - 1000.0 >= 3 * 60.0
    assert report.pacing is not None
    assert (report.pacing.requests, report.pacing.throttled) == (len(log), 0)
    assert report.pacing.ceiling == LIMIT == report.pacing.final_rate


def test_at_the_defaults_a_lower_limit_never_draws_429_after_429(limited: Limited) -> None:
    """psabill starts at 900 a minute, far above the sandbox's 20. The requests on the wire
    when the first 429 comes back are refused with it (up to ``concurrency``, all sent at the
    same moment); from then on psabill paces itself, and a request it sends after a 429 is
    never refused before one has gone through. (A fixed limiter pausing for Retry-After and
    then bursting again draws 429s at moment after moment.)"""
    report = limited.sync("")
    assert report.outcome == "success", report.fatal
    log = limited.plan.log
    refused = sum(1 for _, no in log if no)
    assert limited.sandbox.faults.injected().get("rate_limit") == refused >= 1
    # Requests in flight together when the first 429 came back may be refused together (they
    # were sent at the same moment); none sent after a 429 is refused before one goes through.
    assert all(first == second for first, second in limited.refused_in_a_row())
    moments = sorted({moment for moment, no in log if no})
    assert len(moments) <= 3, moments
    assert report.pacing is not None
    assert (report.pacing.requests, report.pacing.throttled) == (len(log), refused)
    assert report.pacing.ceiling == 900
    assert report.pacing.final_rate is not None
    assert report.pacing.final_rate < 900
    assert report.pacing.waited >= 60.0  # Retry-After, then the slower pace


def test_no_limit_against_a_limiting_psa_still_honours_retry_after(limited: Limited) -> None:
    report = limited.sync('rate_limit = "none"\n')
    assert report.outcome == "success", report.fatal
    assert report.pacing is not None
    assert report.pacing.ceiling is None
    assert report.pacing.final_rate is None
    assert report.pacing.throttled == sum(1 for _, no in limited.plan.log if no) >= 1
