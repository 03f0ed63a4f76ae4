"""What differs between ConnectWise, Autotask and HaloPSA in the reliability worlds, in one place.

Every world is seeded the ConnectWise way (a :class:`~psabill.sandbox.store.Store`); the
Autotask and HaloPSA sandboxes translate that store into their own records, keeping its ids.
So a world is judged in ConnectWise's terms on every PSA: a key is (customer id, SKU), and
:class:`Terms` turns what a sandbox bills (:meth:`~psabill.sandbox.server.Sandbox.billed`,
PSA-neutral) back into those keys. What cannot be neutral is here too: the client factory,
and which fault kinds exist on each PSA and how the sandbox's log shows each one fired.

The three sandboxes run without their PSA's own server-side rate limit (Halo's 300 requests
per 5 minutes would end a soak in its first minutes; 429s are injected by the fault plans
instead): :func:`psa_world_sandbox`.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Final

from psabill.config.models import AutotaskPsa, HaloPsa, Psa
from psabill.psa import DeltaJournal, PsaClient, RetryPolicy
from psabill.psa.autotask.client import AutotaskClient
from psabill.psa.connectwise.client import ConnectWiseClient
from psabill.psa.halopsa.client import HaloClient
from psabill.sandbox import Sandbox, Store
from psabill.sandbox.flavor import BilledLine
from psabill.sandbox.kinds import Identifiers, identifiers, psa_sandbox

PSA_KINDS: Final = ("connectwise", "autotask", "halopsa")
Key = tuple[str, str]
"""(customer id, SKU): the ConnectWise identifiers, whatever the PSA."""
CLIENT_TIMEOUT: Final = 0.3


def today() -> date:
    """The billing day of a run at the wall clock (worlds bill in UTC)."""
    return datetime.now(UTC).date()


def fast_client(psa: Psa, *, journal: DeltaJournal | None = None) -> PsaClient:
    """The production client of ``psa``'s kind with a sub-second timeout and short backoff;
    Autotask's gets the run's delta journal (without one it would only read)."""
    policy = RetryPolicy(max_retries=psa.retries, base_delay=0.02, max_delay=0.1, max_retry_after=5)
    if isinstance(psa, AutotaskPsa):
        return AutotaskClient(psa, policy=policy, journal=journal, timeout=CLIENT_TIMEOUT)
    if isinstance(psa, HaloPsa):
        return HaloClient(psa, policy=policy, timeout=CLIENT_TIMEOUT)
    return ConnectWiseClient(psa, policy=policy, timeout=CLIENT_TIMEOUT)


def psa_world_sandbox(kind: str, store: Store) -> Sandbox:
    """A (not started) sandbox of ``kind`` over ``store``, without the PSA's own rate limit."""
    sandbox = psa_sandbox(kind, store)
    sandbox.faults.use_psa_limit(None)
    return sandbox


@dataclass(frozen=True)
class Terms:
    """A store's identifiers on one PSA, both ways, and its agreements' companies."""

    kind: str
    names: Identifiers
    company_of: dict[int, str]
    """Agreement (or Halo recurring invoice header) id -> ConnectWise company identifier."""
    sku_of: dict[str, str]
    """The PSA's product identifier (Service/Item name on Autotask and Halo) -> SKU."""

    @classmethod
    def of(cls, kind: str, store: Store) -> Terms:
        names = identifiers(kind, store)
        company_of: dict[int, str] = {}
        for row in store.rows("agreements"):
            company = str(row["company"]["identifier"])
            company_of[int(row["id"])] = company
            header = getattr(names, "agreement", None)  # Halo: some header ids are negative
            if header is not None:
                company_of[int(header(int(row["id"])))] = company
        skus = [str(row["identifier"]) for row in store.rows("catalog")]
        return cls(kind, names, company_of, {names.catalog(sku): sku for sku in skus})

    def billed(self, sandbox: Sandbox, on: date | None = None) -> dict[Key, list[BilledLine]]:
        """Every line the PSA bills on ``on`` (default: today), cancelled ones too, per key."""
        found: dict[Key, list[BilledLine]] = {}
        for line in sandbox.billed(on or today()):
            company = self.company_of.get(line.agreement_id)
            if company is None:
                raise AssertionError(f"{self.kind} bills agreement {line.agreement_id}, unseeded")
            key = (company, self.sku_of.get(line.product_identifier, line.product_identifier))
            found.setdefault(key, []).append(line)
        return found

    def expect(self, desired: Decimal | None) -> list[Decimal]:
        """What a key's live lines hold once ``desired`` is billed: Autotask bills no line
        for a service at 0 units (:meth:`~psabill.sandbox.flavor.Flavor.billed`)."""
        if desired is None or (desired == 0 and self.kind == "autotask"):
            return []
        return [desired]


def live_quantities(lines: list[BilledLine]) -> list[Decimal]:
    return sorted(line.quantity for line in lines if not line.cancelled)


# -- fault kinds ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lost:
    """Answers lost (the request processed, then the connection closed) to ``method``
    requests whose path matches ``path`` (any path when ``None``)."""

    method: str
    path: str | None = None


COMMON: Final = ("429", "500", "503", "drop", "slow")
LOST: Final[dict[str, dict[str, Lost]]] = {
    "connectwise": {"lost POST": Lost("POST"), "lost PATCH": Lost("PATCH")},
    # Every Autotask write is a POST of an adjustment; its reads are POSTs to /query too.
    "autotask": {
        "lost adjustment": Lost("POST", "/ContractServiceAdjustments$"),
        "lost query": Lost("POST", "/query$"),
    },
    # Halo writes only by POST: a new line, or changed lines (quantity, end date).
    "halopsa": {
        "lost create": Lost("POST", "/RecurringInvoice/Lines$"),
        "lost update": Lost("POST", "/RecurringInvoice/updatelines$"),
    },
}
METHODS: Final[dict[str, tuple[str | None, ...]]] = {
    "connectwise": (None, "GET", "POST", "PATCH"),
    "autotask": (None, "GET", "POST"),
    "halopsa": (None, "GET", "POST"),
}
"""What a random rule may target; a method the PSA's client never sends would never fire."""
STATUS_KINDS: Final = {"429": "status:429", "500": "status:500", "503": "status:503"}


def fault_kinds(kind: str) -> tuple[str, ...]:
    return COMMON + tuple(LOST[kind])


def fired(sandbox: Sandbox, kind: str) -> Counter[str]:
    """Faults of each of :func:`fault_kinds` the sandbox really injected: statuses, drops and
    slow answers as it counted them, lost answers from its request log by method and path."""
    injected = sandbox.faults.injected()
    counts = Counter({name: injected.get(key, 0) for name, key in STATUS_KINDS.items()})
    counts["drop"] = injected.get("drop", 0)
    counts["slow"] = injected.get("latency", 0)
    for record in sandbox.requests():
        if record.fault != "lose_response":
            continue
        for name, lost in LOST[kind].items():
            if record.method == lost.method and _matches(lost.path, record.path):
                counts[name] += 1
                break
    return counts


def _matches(pattern: str | None, path: str) -> bool:
    return pattern is None or re.search(pattern, path) is not None
