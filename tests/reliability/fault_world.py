"""A world where fault runs really write: usage histories, per-product policies, fault plans.

Shared by ``test_faults.py``, ``test_state_machine.py`` and ``benchmarks/soak.py``. Unlike the
fully seeded world of :mod:`tests.reliability.support`, only some (customer, product) keys start
with a live addition; others have none or only a cancelled one. Each product has a different
``on_usage_gone`` policy (keep, zero, cancel), and a usage history lets keys appear, change,
drop sharply (the drop guard), disappear and come back, so runs create, update, zero, cancel
and re-create additions while faults fire.

Runs go through the production :class:`~psabill.app.runner.Runner` and ConnectWise client over
loopback HTTP; only the client's timeout and backoff are shortened (:func:`fast_client`), so a
fault costs tenths of a second instead of seconds. The retry and re-read rules are the same code.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from psabill.app.runner import Runner
from psabill.config.loader import load_config
from psabill.config.models import Psa
from psabill.core.report import SyncReport, SyncRequest
from psabill.psa import PsaClient, RetryPolicy
from psabill.psa.connectwise.client import ConnectWiseClient
from psabill.sandbox import FaultPlan, FaultRule, Sandbox, Store
from psabill.sandbox.faults import drop, http_error, latency, lose_response, rate_limited
from psabill.sandbox.seed import START
from psabill.sandbox.world import customer_id, product_sku, write_usage, write_world_config

Key = tuple[str, str]
"""(PSA company identifier, PSA product identifier); in this world also (customer id, SKU)."""

CUSTOMERS, PRODUCTS = 6, 3
KEYS: list[Key] = [
    (customer_id(c), product_sku(p))
    for c in range(1, CUSTOMERS + 1)
    for p in range(1, PRODUCTS + 1)
]
POLICIES = ("keep", "zero", "cancel")
CLIENT_TIMEOUT = 0.3
SLOW = CLIENT_TIMEOUT + 0.1
"""A slow response: past the client's timeout, yet committed before its re-read after
:meth:`~psabill.psa.http.HttpClient.settle` (one timeout). A server slower than that can make
any client without an idempotency key create twice (the documented limit of ``_create_once``)."""

FAULT_KINDS = ("429", "500", "503", "drop", "slow", "lost POST", "lost PATCH")
"""What a fault plan may hold; each maps to the sandbox's injected counts in :data:`COUNTED`."""
COUNTED = {
    "429": "status:429",
    "500": "status:500",
    "503": "status:503",
    "drop": "drop",
    "slow": "latency",
    "lost POST": "lose_response:POST",
    "lost PATCH": "lose_response:PATCH",
}
METHODS = (None, "GET", "POST", "PATCH")


def fast_client(psa: Psa) -> PsaClient:
    """The production ConnectWise client with a sub-second timeout and short backoff."""
    policy = RetryPolicy(max_retries=psa.retries, base_delay=0.02, max_delay=0.1, max_retry_after=5)
    return ConnectWiseClient(psa, policy=policy, timeout=CLIENT_TIMEOUT)


def seed_partial(store: Store, rng: random.Random) -> None:
    """CUSTOMERS companies with one agreement each; per product a live addition (about half
    the keys), none, or one cancelled long ago, so runs must create and re-create."""
    managed = store.add_agreement_type("Managed Services")
    for number in range(1, PRODUCTS + 1):
        store.add_catalog_item(product_sku(number), f"Vendor product {number}", price=5, cost=3)
    for number in range(1, CUSTOMERS + 1):
        company = store.add_company(customer_id(number), f"Customer {number:05d}")
        name = f"Customer {number:05d} - Managed Services"
        agreement = store.add_agreement(company, name, agreement_type=managed, start_date=START)
        for product in range(1, PRODUCTS + 1):
            draw, sku = rng.random(), product_sku(product)
            if draw < 0.5:
                store.add_addition(agreement, sku, rng.randrange(1, 300), effective_date=START)
            elif draw < 0.7:
                store.add_addition(
                    agreement, sku, 9, effective_date=START, cancelled_date="2024-06-30T00:00:00Z"
                )


def random_policies(rng: random.Random) -> dict[str, str]:
    """Each product gets its own ``on_usage_gone``, so every policy is in play."""
    policies = list(POLICIES)
    rng.shuffle(policies)
    return {product_sku(p): policies[p - 1] for p in range(1, PRODUCTS + 1)}


def first_usage(rng: random.Random) -> dict[Key, int]:
    return {key: rng.randrange(1, 300) for key in KEYS if rng.random() < 0.7}


def next_usage(rng: random.Random, usage: dict[Key, int]) -> dict[Key, int]:
    """One step of a usage history: keys appear, change, drop sharply, vanish and return."""
    following: dict[Key, int] = {}
    for key in KEYS:
        draw = rng.random()
        if key not in usage:
            if draw < 0.4:  # (re)appears; now and then at 0 seats
                following[key] = 0 if draw < 0.02 else rng.randrange(1, 300)
        elif draw < 0.2:
            continue  # usage gone: keep, zero or cancel as the product says
        elif draw < 0.35:
            following[key] = max(1, usage[key] // 5)  # a sharp drop: the guard's business
        elif draw < 0.7:
            following[key] = rng.randrange(1, 300)
        else:
            following[key] = usage[key]
    return following


LIKELY = {"lost POST": (0.5, 0.9), "lost PATCH": (0.4, 0.7)}
"""How likely a sure kind fires per matching request; others (0.2, 0.5), optional ones less.
A lost POST is re-read, never re-sent, so it may fire often without failing the line."""


def _rule(kind: str, rng: random.Random, *, likely: bool) -> FaultRule:
    chance = rng.uniform(*LIKELY.get(kind, (0.2, 0.5))) if likely else rng.uniform(0.05, 0.2)
    target: dict[str, Any] = {"method": rng.choice(METHODS), "probability": chance}
    if kind == "429":
        return rate_limited(retry_after=0, **target)
    if kind in ("500", "503"):
        return http_error(int(kind), **target)
    if kind == "drop":
        return drop(**target)
    if kind == "slow":  # each costs a client timeout or two: keep them few
        return latency(SLOW, **target, times=rng.randrange(1, 3))
    return lose_response(**{**target, "method": kind.removeprefix("lost ")})


def kinds_for(step: int) -> tuple[str, str]:
    """Two kinds a step surely injects, rotating so that a few steps cover all of them."""
    return FAULT_KINDS[step % len(FAULT_KINDS)], FAULT_KINDS[(step + 3) % len(FAULT_KINDS)]


def random_faults(rng: random.Random, must: tuple[str, ...] = ()) -> FaultPlan:
    """A few random fault rules, including a likely one of each kind in ``must``."""
    optional = rng.sample(FAULT_KINDS, k=rng.randrange(1, 4))
    rules = [_rule(kind, rng, likely=True) for kind in must]
    rules += [_rule(kind, rng, likely=False) for kind in optional if kind not in must]
    rng.shuffle(rules)
    return FaultPlan(rules, seed=rng.randrange(1 << 30))


@dataclass
class FaultWorld:
    sandbox: Sandbox
    directory: Path
    policies: dict[str, str]
    usage: dict[Key, int] = field(default_factory=dict)

    @property
    def config(self) -> Path:
        return self.directory / "psabill.toml"

    @property
    def state_dir(self) -> Path:
        return self.directory / "state"

    @property
    def ledger(self) -> Path:
        return self.state_dir / "ledger.sqlite3"

    def set_usage(self, usage: dict[Key, int]) -> None:
        self.usage = dict(usage)
        write_usage(self.directory, usage)

    def run(self, *, allow_drop: bool = True, dry_run: bool = False) -> SyncReport:
        """One whole ``sync --now``; waits until no request of an earlier run is in flight."""
        self.settle()
        loaded = load_config(self.config, os.environ)
        runner = Runner(loaded, self.state_dir, os.environ, psa=fast_client)
        request = SyncRequest(trigger="manual", allow_drop=allow_drop, dry_run=dry_run)
        report = runner.sync(request)
        self.settle()
        return report

    def settle(self) -> None:
        """Let requests a timed-out client left behind (slow faults) land before judging."""
        if not self.sandbox.wait_idle(timeout=10):
            raise RuntimeError("the sandbox is still busy 10 s after a run")

    def additions(self) -> dict[Key, list[dict[str, Any]]]:
        """Every addition row (cancelled ones too) per key, oldest first."""
        dump = self.sandbox.store.dump()
        company_of = {a["id"]: a["company"]["identifier"] for a in dump["agreements"]}
        rows: dict[Key, list[dict[str, Any]]] = {}
        for row in dump["additions"]:
            key = (company_of[row["agreementId"]], row["product"]["identifier"])
            rows.setdefault(key, []).append(row)
        return rows


def live_of(additions: dict[Key, list[dict[str, Any]]]) -> dict[Key, list[dict[str, Any]]]:
    """Only the live (not cancelled) additions per key; more than one is a duplicate."""
    live = {
        key: [row for row in rows if row["cancelledDate"] is None]
        for key, rows in additions.items()
    }
    return {key: rows for key, rows in live.items() if rows}


@contextmanager
def fault_world(directory: Path, rng: random.Random) -> Iterator[FaultWorld]:
    """A seeded sandbox on loopback and a matching config (retries = 3) in ``directory``."""
    store = Store()
    seed_partial(store, rng)
    policies = random_policies(rng)
    with Sandbox(store) as sandbox:
        write_world_config(
            directory,
            sandbox.site_url,
            customers=CUSTOMERS,
            products=PRODUCTS,
            on_usage_gone=policies,
            extra_psa="retries = 3\n",
        )
        yield FaultWorld(sandbox, directory, policies)
