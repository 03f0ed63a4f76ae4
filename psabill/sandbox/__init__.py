"""A faithful fake ConnectWise Manage server (real HTTP on loopback) for tests, demo and benchmarks.

Typical use::

    from psabill.sandbox import Sandbox, Store, seed_demo

    store = Store()
    seed_demo(store)
    with Sandbox(store) as sandbox:
        ...  # point a ConnectWise client at sandbox.site_url with DEMO_CREDENTIALS
        assert store.dump()["additions"] == expected
"""

from psabill.sandbox.api_errors import ApiError, ValidationIssue
from psabill.sandbox.auth import DEMO_CREDENTIALS, SandboxCredentials
from psabill.sandbox.faults import (
    FaultPlan,
    FaultRule,
    drop,
    http_error,
    latency,
    lose_response,
    rate_limited,
)
from psabill.sandbox.seed import seed_demo, seed_large
from psabill.sandbox.server import Sandbox
from psabill.sandbox.store import Store
from psabill.sandbox.transport import RequestRecord

__all__ = [
    "DEMO_CREDENTIALS",
    "ApiError",
    "FaultPlan",
    "FaultRule",
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
