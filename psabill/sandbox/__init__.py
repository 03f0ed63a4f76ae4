"""Faithful fake PSA servers (real HTTP on loopback) for tests, demo and benchmarks.

One server core (:class:`Sandbox`, its transport, faults and admin endpoints) serves one
:class:`Flavor`: ConnectWise Manage by default, Autotask (:mod:`psabill.sandbox.autotask`) or
HaloPSA (:mod:`psabill.sandbox.halopsa`), all three seeded from the same ConnectWise demo store
(:mod:`psabill.sandbox.kinds` starts one by ``[psa] kind``). Typical use::

    from psabill.sandbox import Sandbox, Store, seed_demo

    store = Store()
    seed_demo(store)
    with Sandbox(store) as sandbox:
        ...  # point a ConnectWise client at sandbox.site_url with DEMO_CREDENTIALS
        assert store.dump()["additions"] == expected
"""

from psabill.sandbox.api_errors import ApiError, ValidationIssue
from psabill.sandbox.auth import DEMO_CREDENTIALS, SandboxCredentials
from psabill.sandbox.fault_rate import PSA_DEFAULT
from psabill.sandbox.faults import (
    FaultPlan,
    FaultRule,
    drop,
    http_error,
    latency,
    lose_response,
    rate_limited,
)
from psabill.sandbox.flavor import BilledLine, Flavor
from psabill.sandbox.seed import seed_demo, seed_large
from psabill.sandbox.server import Sandbox
from psabill.sandbox.store import Store
from psabill.sandbox.transport import RequestRecord

__all__ = [
    "DEMO_CREDENTIALS",
    "PSA_DEFAULT",
    "ApiError",
    "BilledLine",
    "FaultPlan",
    "FaultRule",
    "Flavor",
    "RequestRecord",
    "Sandbox",
    "SandboxCredentials",
    "Store",
    "ValidationIssue",
    "drop",
    "http_error",
    "latency",
    "lose_response",
    "rate_limited",
    "seed_demo",
    "seed_large",
]
