"""A world where fault runs really write: usage histories, per-product policies, fault plans.

Shared by ``test_faults.py``, ``test_state_machine.py`` and ``benchmarks/soak.py``. Unlike the
fully seeded world of :mod:`tests.reliability.support`, only some (customer, product) keys start
with a live addition; others have none or only a cancelled one. Each product has a different
``on_usage_gone`` policy (keep, zero, cancel), and a usage history lets keys appear, change,
drop sharply (the drop guard), disappear and come back, so runs create, update, zero, cancel
and re-create additions while faults fire.

The world is seeded the ConnectWise way and served by the sandbox of any PSA kind
(:mod:`tests.reliability.psa_kinds`): Autotask and HaloPSA translate the same store, the
config's ``[psa]`` comes from the sandbox and its mappings through the PSA's identifiers, and
what the world holds is read PSA-neutrally, as the lines the PSA bills today.

**Autotask** never takes a service to 0 units (its client refuses: whether an adjustment to 0
is accepted is unverified, and a cancelled ConnectWise addition has no Autotask twin). So its
world gives every product ``on_usage_gone = "keep"`` and its usage never reports 0 seats: the
zero and cancel policies would only fail loudly, by design, and that refusal is asserted on
its own in ``test_psa_faults.py``. Its runs create (a first adjustment creates the contract
service), raise and lower units, and re-create (a service cancelled long ago, at 0 units).

Runs go through the production :class:`~psabill.app.runner.Runner` and the PSA's client over
loopback HTTP; only the client's timeout and backoff are shortened (:func:`fast_client`), so a
fault costs tenths of a second instead of seconds. The retry and re-read rules are the same code.
"""

from __future__ import annotations

import os
import random
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from psabill.app.runner import Runner
from psabill.config.loader import load_config
from psabill.core.report import SyncReport, SyncRequest
from psabill.sandbox import FaultPlan, FaultRule, Sandbox, Store
from psabill.sandbox.autotask import AutotaskSandbox
from psabill.sandbox.faults import drop, http_error, latency, lose_response, rate_limited
from psabill.sandbox.flavor import BilledLine
from psabill.sandbox.kinds import psa_section
from psabill.sandbox.seed import START
from psabill.sandbox.world import customer_id, product_sku, write_usage, write_world_config
from tests.reliability.psa_deltas import delta_problems
from tests.reliability.psa_kinds import (
    CLIENT_TIMEOUT,
    LOST,
    METHODS,
    Terms,
    fast_client,
    fault_kinds,
    fired,
    psa_world_sandbox,
)

Key = tuple[str, str]
"""(PSA company identifier, PSA product identifier); in this world also (customer id, SKU)."""

CUSTOMERS, PRODUCTS = 6, 3
KEYS: list[Key] = [
    (customer_id(c), product_sku(p))
    for c in range(1, CUSTOMERS + 1)
    for p in range(1, PRODUCTS + 1)
]
POLICIES = ("keep", "zero", "cancel")
SLOW = CLIENT_TIMEOUT + 0.1
"""A slow response: past the client's timeout, yet committed before its re-read after
:meth:`~psabill.psa.http.HttpClient.settle` (one timeout). A server slower than that can make
any client without an idempotency key create twice (the documented limit of ``_create_once``)."""

FAULT_KINDS = fault_kinds("connectwise")
"""ConnectWise's kinds; each PSA's are :func:`~tests.reliability.psa_kinds.fault_kinds`, and
:func:`~tests.reliability.psa_kinds.fired` counts each one the sandbox injected."""
Rows = dict[Key, list[BilledLine]]
"""Every line a PSA bills today per key, cancelled ones too."""


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


def random_policies(rng: random.Random, kind: str = "connectwise") -> dict[str, str]:
    """Each product gets its own ``on_usage_gone``, so every policy is in play (on Autotask
    only ``keep``: see the module docstring)."""
    policies = list(POLICIES)
    rng.shuffle(policies)
    if kind == "autotask":
        policies = ["keep"] * len(policies)
    return {product_sku(p): policies[p - 1] for p in range(1, PRODUCTS + 1)}


def first_usage(rng: random.Random) -> dict[Key, int]:
    return {key: rng.randrange(1, 300) for key in KEYS if rng.random() < 0.7}


def next_usage(
    rng: random.Random, usage: dict[Key, int], *, zero: bool = True, slumps: float = 0.0
) -> dict[Key, int]:
    """One step of a usage history: keys appear, change, drop sharply, vanish and return;
    ``zero`` lets a key reappear at 0 seats now and then; with chance ``slumps`` a customer's
    every key drops to a fifth (on Autotask, where vanished usage is kept, the drop guard's
    only work)."""
    following: dict[Key, int] = {}
    for key in KEYS:
        draw = rng.random()
        if key not in usage:
            if draw < 0.4:  # (re)appears; now and then at 0 seats
                following[key] = 0 if draw < 0.02 and zero else rng.randrange(1, 300)
        elif draw < 0.2:
            continue  # usage gone: keep, zero or cancel as the product says
        elif draw < 0.35:
            following[key] = max(1, usage[key] // 5)  # a sharp drop: the guard's business
        elif draw < 0.7:
            following[key] = rng.randrange(1, 300)
        else:
            following[key] = usage[key]
    for number in range(1, CUSTOMERS + 1) if slumps else ():
        if rng.random() < slumps:
            mine = [key for key in following if key[0] == customer_id(number)]
            following.update({key: max(1, usage.get(key, following[key]) // 5) for key in mine})
    return following


LIKELY = {
    "lost POST": (0.5, 0.9),
    "lost PATCH": (0.4, 0.7),
    "lost adjustment": (0.5, 0.9),
    "lost create": (0.5, 0.9),
    "lost update": (0.4, 0.7),
    "lost query": (0.1, 0.3),
}
"""How likely a sure kind fires per matching request; others (0.2, 0.5), optional ones less.
A lost write is re-read, never re-sent, so it may fire often without failing the line; every
Autotask read is a POST to /query, so its lost answers stay rarer."""


def _rule(kind: str, rng: random.Random, *, likely: bool, psa: str) -> FaultRule:
    chance = rng.uniform(*LIKELY.get(kind, (0.2, 0.5))) if likely else rng.uniform(0.05, 0.2)
    target: dict[str, Any] = {"method": rng.choice(METHODS[psa]), "probability": chance}
    if kind == "429":
        return rate_limited(retry_after=0, **target)
    if kind in ("500", "503"):
        return http_error(int(kind), **target)
    if kind == "drop":
        return drop(**target)
    if kind == "slow":  # each costs a client timeout or two: keep them few
        return latency(SLOW, **target, times=rng.randrange(1, 3))
    lost = LOST[psa][kind]
    return lose_response(method=lost.method, path=lost.path, probability=chance)


def kinds_for(step: int, psa: str = "connectwise") -> tuple[str, str]:
    """Two kinds a step surely injects, rotating so that a few steps cover all of them."""
    kinds = fault_kinds(psa)
    return kinds[step % len(kinds)], kinds[(step + 3) % len(kinds)]


def random_faults(
    rng: random.Random, must: tuple[str, ...] = (), psa: str = "connectwise"
) -> FaultPlan:
    """A few random fault rules, including a likely one of each kind in ``must``; no rate
    limit (not even the PSA's own: see :mod:`~tests.reliability.psa_kinds`)."""
    optional = rng.sample(fault_kinds(psa), k=rng.randrange(1, 4))
    rules = [_rule(kind, rng, likely=True, psa=psa) for kind in must]
    rules += [_rule(kind, rng, likely=False, psa=psa) for kind in optional if kind not in must]
    rng.shuffle(rules)
    return FaultPlan(rules, seed=rng.randrange(1 << 30), rate_limit=None)


@dataclass
class FaultWorld:
    sandbox: Sandbox
    directory: Path
    policies: dict[str, str]
    terms: Terms
    usage: dict[Key, int] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return self.terms.kind

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

    def next_usage(self, rng: random.Random) -> dict[Key, int]:
        autotask = self.kind == "autotask"
        return next_usage(rng, self.usage, zero=not autotask, slumps=0.2 if autotask else 0.0)

    def faults_off(self) -> None:
        """No fault rules, and still no rate limit."""
        self.sandbox.faults.replace(FaultPlan(rate_limit=None))

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

    def additions(self) -> Rows:
        """Every line the PSA bills today (cancelled ones too) per key."""
        return self.terms.billed(self.sandbox)

    def fault_counts(self) -> tuple[Counter[str], Counter[str], Counter[str]]:
        """Faults the sandbox injected by its own kinds and by the PSA's
        (:func:`~tests.reliability.psa_kinds.fired`), and on Autotask the deltas checked."""
        injected = Counter(self.sandbox.faults.injected())
        return injected, fired(self.sandbox, self.kind), self.deltas()[1]

    def deltas(self) -> tuple[list[str], Counter[str]]:
        """Autotask: :func:`~tests.reliability.psa_deltas.delta_problems`; elsewhere none."""
        if isinstance(self.sandbox, AutotaskSandbox):
            return delta_problems(self.sandbox, self.ledger)
        return [], Counter()


def live_of(additions: Rows) -> Rows:
    """Only the live (not cancelled) lines per key; more than one is a duplicate."""
    live = {key: [row for row in rows if not row.cancelled] for key, rows in additions.items()}
    return {key: rows for key, rows in live.items() if rows}


@contextmanager
def fault_world(
    directory: Path, rng: random.Random, kind: str = "connectwise"
) -> Iterator[FaultWorld]:
    """A seeded sandbox of ``kind`` on loopback and a matching config (retries = 3)."""
    store = Store()
    seed_partial(store, rng)
    policies = random_policies(rng, kind)
    terms = Terms.of(kind, store)
    with psa_world_sandbox(kind, store) as sandbox:
        write_world_config(
            directory,
            sandbox.site_url,
            customers=CUSTOMERS,
            products=PRODUCTS,
            on_usage_gone=policies,
            extra_psa="retries = 3\n",
            psa=None if kind == "connectwise" else psa_section(sandbox),
            names=terms.names,
        )
        yield FaultWorld(sandbox, directory, policies, terms)
