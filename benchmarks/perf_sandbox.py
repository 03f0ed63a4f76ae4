"""The sandbox of ``benchmarks/perf.py``, in a process of its own, and the client that steers it.

Run as a script it seeds ``seed_large(companies, products, seed=1)``, serves it on 127.0.0.1,
prints one JSON line ``{"site": URL}`` and serves until SIGTERM or until its stdin closes (so it
never outlives a benchmark that crashed). Its own process keeps the server's CPU out of the
figures of the client being measured.

It adds one admin endpoint to the sandbox's own (``/__sandbox__/state``, ``faults``, ...):
``GET /__sandbox__/counts`` answers every API request served since the last
``DELETE /__sandbox__/counts``, by ``"METHOD STATUS"`` (``"GET none"``: no answer sent), and the
server process's CPU seconds. The sandbox's request log keeps only the last 10,000 requests,
fewer than one default-size run sends, so counting happens here.

:class:`SandboxProcess` is the benchmark's side: start, stop, state, faults and counts.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

import httpx

from psabill.sandbox import DEMO_CREDENTIALS, Sandbox, Store, seed_large
from psabill.sandbox.admin import ADMIN_PREFIX, AdminApi
from psabill.sandbox.api import ApiRequest, ApiResponse, json_response
from psabill.sandbox.api_errors import ApiError
from psabill.sandbox.transport import RequestRecord

COUNTS_PATH = ADMIN_PREFIX + "counts"


class CountingSandbox(Sandbox):
    """A :class:`Sandbox` that also counts every request it logs, without a size limit."""

    def __init__(self, store: Store) -> None:
        super().__init__(store)
        self.counts: Counter[str] = Counter()
        self._counts_lock = threading.Lock()
        self._refused_run = 0
        self._refused_most = 0
        """429s answered in a row (in the order answers went out), now and at most."""
        self.admin = CountingAdmin(self)

    def log_request(self, record: RequestRecord) -> None:
        super().log_request(record)
        status = "none" if record.status is None else str(record.status)
        with self._counts_lock:
            self.counts[f"{record.method} {status}"] += 1
            self._refused_run = self._refused_run + 1 if record.status == 429 else 0
            self._refused_most = max(self._refused_most, self._refused_run)

    def counts_json(self, *, reset: bool) -> dict[str, Any]:
        with self._counts_lock:
            counts, most = dict(self.counts), self._refused_most
            if reset:
                self.counts.clear()
                self._refused_run = self._refused_most = 0
        return {
            "requests": counts,
            "cpu_seconds": time.process_time(),
            "most_429_in_a_row": most,
        }


class CountingAdmin(AdminApi):
    """The sandbox's admin endpoints plus ``/__sandbox__/counts`` (same credentials)."""

    sandbox: CountingSandbox

    def handle(self, request: ApiRequest) -> ApiResponse:
        if request.path.rstrip("/") != COUNTS_PATH:
            return super().handle(request)
        try:
            self._authenticate(request)
        except ApiError as error:
            return json_response(error.status, error.body())
        if request.method not in ("GET", "DELETE"):
            return json_response(405, {"code": "MethodNotAllowed", "message": request.method})
        return json_response(200, self.sandbox.counts_json(reset=request.method == "DELETE"))


def serve(companies: int, products: int) -> None:
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
    with CountingSandbox(store) as sandbox:
        print(json.dumps({"site": sandbox.site_url}), flush=True)
        stop.wait()


def listen_overflows() -> int | None:
    """Linux's count of connections dropped for a full listen backlog (None where unknown)."""
    try:
        lines = Path("/proc/net/netstat").read_text().splitlines()
    except OSError:
        return None
    tcp = [line.split() for line in lines if line.startswith("TcpExt:")]
    if len(tcp) < 2 or "ListenOverflows" not in tcp[0]:
        return None
    return int(tcp[1][tcp[0].index("ListenOverflows")])


class SandboxProcess:
    """The benchmark's handle on a :func:`serve` child process (a context manager)."""

    def __init__(self, companies: int, products: int) -> None:
        self._process = subprocess.Popen(
            [sys.executable, str(Path(__file__)), str(companies), str(products)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError(f"the sandbox process exited ({self._process.wait()})")
        self.site: str = json.loads(line)["site"]
        if not self.site.startswith("http://127.0.0.1:"):
            raise RuntimeError(f"the sandbox is not on loopback: {self.site}")
        self._admin = httpx.Client(
            base_url=self.site + ADMIN_PREFIX, headers=DEMO_CREDENTIALS.headers(), timeout=120
        )

    def __enter__(self) -> SandboxProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._admin.close()
        assert self._process.stdin is not None
        self._process.stdin.close()
        self._process.terminate()
        self._process.wait(timeout=30)

    def _call(self, method: str, name: str, body: bytes | None = None) -> Any:
        response = self._admin.request(method, name, content=body)
        response.raise_for_status()
        return response.json()

    def state(self) -> bytes:
        """The PSA state as the JSON bytes of a :meth:`Store.dump`."""
        response = self._admin.get("state")
        response.raise_for_status()
        return response.content

    def load(self, state: bytes) -> None:
        self._call("PUT", "state", state)

    def faults(self, *, latency: float, per_minute: int | None) -> None:
        """Every request delayed ``latency`` seconds; 429 beyond ``per_minute`` in any 60 s.

        Replacing the plan also empties the server's rate window: each run starts afresh, as a
        run an hour after the last one would."""
        rules = [{"kind": "latency", "delay": latency}] if latency > 0 else []
        plan = {"seed": 0, "rate_limit_per_minute": per_minute, "rules": rules}
        self._call("POST", "faults", json.dumps(plan).encode())

    def counts(self, *, reset: bool = False) -> Mapping[str, Any]:
        return self._call("DELETE" if reset else "GET", "counts")  # type: ignore[no-any-return]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="The perf benchmark's sandbox process.")
    parser.add_argument("companies", type=int)
    parser.add_argument("products", type=int)
    arguments = parser.parse_args()
    serve(arguments.companies, arguments.products)
