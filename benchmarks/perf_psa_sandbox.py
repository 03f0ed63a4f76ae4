"""The sandbox of ``benchmarks/perf_psa.py``: any PSA's fake, in a process of its own.

Run as a script (``perf_psa_sandbox.py KIND COMPANIES PRODUCTS``) it seeds the ConnectWise
``seed_large(companies, products, seed=1)`` store, lets the PSA's sandbox translate it (Autotask
and HaloPSA keep the ConnectWise record ids), serves it on 127.0.0.1 and prints one JSON line:
the ``[psa]`` table reaching it and the world's identifiers in that PSA's terms. It serves until
SIGTERM or until its stdin closes, as ``perf_sandbox.py`` does.

Counting is ``perf_sandbox.CountingSandbox``'s, mixed into the PSA's own sandbox class, plus a
count by route (``"POST Contracts/query"``, ids folded to ``{id}``) so a reader can see which
requests a scenario spent its allowance on. The fault plan it starts with leaves the PSA's own
rate limit on (Autotask 10,000 an hour, HaloPSA 300 per 5 minutes); :meth:`PsaSandboxProcess.faults`
switches it off for the unthrottled mode.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import signal
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
from perf_sandbox import CountingSandbox, SandboxProcess

from psabill.sandbox import DEMO_CREDENTIALS, Store, seed_large
from psabill.sandbox.admin import ADMIN_PREFIX
from psabill.sandbox.kinds import identifiers, psa_section
from psabill.sandbox.server import Sandbox
from psabill.sandbox.transport import RequestRecord
from psabill.sandbox.world import customer_id, product_sku

_ID = re.compile(r"/-?\d+(?=/|$)")
_ROOTS = ("/atservicesrest/v1.0/", "/api/", "/v4_6_release/apis/3.0/")


def route(method: str, path: str) -> str:
    """``"POST ContractServices/query"``: the request's route, ids folded, roots dropped."""
    lowered = path.lower()
    for root in _ROOTS:
        if lowered.startswith(root):
            path = path[len(root) :]
            break
    return f"{method} {_ID.sub('/{id}', path.split('?')[0]).strip('/')}"


def _base(kind: str) -> type[Sandbox]:
    if kind == "autotask":
        from psabill.sandbox.autotask import AutotaskSandbox

        return AutotaskSandbox
    if kind == "halopsa":
        from psabill.sandbox.halopsa import HaloSandbox

        return HaloSandbox
    return Sandbox


def counting(kind: str) -> type[Sandbox]:
    """The PSA's sandbox class with ``CountingSandbox``'s counts and a count by route."""
    base = _base(kind)

    class Counting(CountingSandbox, base):  # type: ignore[valid-type,misc]
        def __init__(self, store: Store) -> None:
            self.routes: Counter[str] = Counter()
            super().__init__(store)

        def log_request(self, record: RequestRecord) -> None:
            super().log_request(record)
            with self._counts_lock:
                self.routes[route(record.method, record.path)] += 1

        def counts_json(self, *, reset: bool) -> dict[str, Any]:
            with self._counts_lock:
                routes = dict(self.routes)
                if reset:
                    self.routes.clear()
            return {**super().counts_json(reset=reset), "routes": routes}

    return Counting


def serve(kind: str, companies: int, products: int) -> None:
    store = Store()
    seed_large(store, companies, products, seed=1)
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)

    def _orphaned() -> None:
        sys.stdin.read()
        stop.set()

    threading.Thread(target=_orphaned, daemon=True).start()
    ids = identifiers(kind, store)
    with counting(kind)(store) as sandbox:
        hello = {
            "site": sandbox.site_url,
            "psa": psa_section(sandbox),
            "companies": {
                customer_id(n): ids.company(customer_id(n)) for n in range(1, companies + 1)
            },
            "products": {
                product_sku(n): ids.catalog(product_sku(n)) for n in range(1, products + 1)
            },
        }
        print(json.dumps(hello), flush=True)
        stop.wait()


def admin_headers(section: dict[str, Any]) -> dict[str, str]:
    """What the sandbox's admin endpoints take: the PSA's public demo credentials."""
    kind = section["kind"]
    if kind == "autotask":
        return {
            "ApiIntegrationCode": section["integration_code"],
            "UserName": section["username"],
            "Secret": section["secret"],
        }
    if kind == "halopsa":
        pair = f"{section['client_id']}:{section['client_secret']}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode()}
    return DEMO_CREDENTIALS.headers()


class PsaSandboxProcess(SandboxProcess):
    """:class:`perf_sandbox.SandboxProcess` for a sandbox of any ``kind``.

    ``section`` is the ``[psa]`` table reaching it; ``companies`` / ``products`` map the world's
    ConnectWise identifiers (``C00001``, ``VENDOR-SKU-0001``) to this PSA's."""

    def __init__(self, kind: str, companies: int, products: int) -> None:
        self.kind = kind
        self._process = subprocess.Popen(
            [sys.executable, str(Path(__file__)), kind, str(companies), str(products)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError(f"the sandbox process exited ({self._process.wait()})")
        hello = json.loads(line)
        self.site: str = hello["site"]
        if not self.site.startswith("http://127.0.0.1:"):
            raise RuntimeError(f"the sandbox is not on loopback: {self.site}")
        self.section: dict[str, Any] = hello["psa"]
        self.companies: dict[str, str] = hello["companies"]
        self.products: dict[str, str] = hello["products"]
        self._admin = httpx.Client(
            base_url=self.site + ADMIN_PREFIX, headers=admin_headers(self.section), timeout=300
        )

    def __enter__(self) -> PsaSandboxProcess:
        return self

    def faults(self, *, latency: float, per_minute: int | None, own_limit: bool = True) -> None:
        """Every request delayed ``latency`` seconds; the PSA's own rate limit on
        (``own_limit``) or none at all. Replacing the plan empties the rate window."""
        rules = [{"kind": "latency", "delay": latency}] if latency > 0 else []
        plan: dict[str, Any] = {"seed": 0, "rules": rules}
        if per_minute is not None:
            plan["rate_limit"] = {"requests": per_minute, "window_seconds": 60}
        elif not own_limit:
            plan["rate_limit"] = None
        self._call("POST", "faults", json.dumps(plan).encode())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="The PSA benchmark's sandbox process.")
    parser.add_argument("kind", choices=("connectwise", "autotask", "halopsa"))
    parser.add_argument("companies", type=int)
    parser.add_argument("products", type=int)
    arguments = parser.parse_args()
    serve(arguments.kind, arguments.companies, arguments.products)
