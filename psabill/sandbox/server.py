"""The :class:`Sandbox`: a fake PSA you start, stop, reset and inspect.

Owns the lifecycle (a background thread serving one :class:`~psabill.sandbox.flavor.Flavor` on a
loopback port), the addresses a client needs, the reset to the state at start and the request
log. The bytes on the wire are :mod:`psabill.sandbox.transport`'s; the PSA behind them is the
flavor's (ConnectWise Manage by default, :mod:`psabill.sandbox.connectwise_flavor`); the
sandbox-only admin endpoints under ``/__sandbox__/`` are :mod:`psabill.sandbox.admin`'s.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import date
from types import TracebackType
from typing import Any, Self

from psabill.sandbox.admin import AdminApi
from psabill.sandbox.api import API_ROOT, ConnectWiseApi
from psabill.sandbox.auth import DEMO_CREDENTIALS, SandboxCredentials
from psabill.sandbox.connectwise_flavor import ConnectWiseFlavor
from psabill.sandbox.faults import FaultPlan
from psabill.sandbox.flavor import BilledLine, Flavor
from psabill.sandbox.store import Store
from psabill.sandbox.transport import LoopbackServer, RequestRecord

REQUEST_LOG_SIZE = 10_000


class Sandbox:
    """A fake PSA serving ``flavor`` on ``host:port`` in a background thread.

    Use as a context manager (``with Sandbox(store) as sandbox: ...``) or call :meth:`start` and
    :meth:`stop`. ``port=0`` picks a free port; read :attr:`site_url` / :attr:`api_url` after
    starting. ``faults`` may be changed at any time from any thread.

    Without ``flavor`` it is ConnectWise Manage over ``store`` with ``credentials``, and
    :attr:`api` and :attr:`credentials` are that fake's. With another flavor (Autotask, HaloPSA
    build theirs from a ConnectWise store), :attr:`store` is only the store it was given.
    """

    def __init__(
        self,
        store: Store | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        credentials: SandboxCredentials = DEMO_CREDENTIALS,
        faults: FaultPlan | None = None,
        flavor: Flavor | None = None,
    ) -> None:
        self.store = store if store is not None else Store()
        self.flavor: Flavor = flavor or ConnectWiseFlavor(self.store, credentials)
        self.faults = faults if faults is not None else FaultPlan()
        self.faults.use_psa_limit(self.flavor.rate_limit())
        self.admin = AdminApi(self)
        self._host, self._port = host, port
        self._server: LoopbackServer | None = None
        self._thread: threading.Thread | None = None
        self._initial_state: dict[str, Any] | None = None
        self._log: deque[RequestRecord] = deque(maxlen=REQUEST_LOG_SIZE)
        self._log_lock = threading.Lock()
        self._in_flight = 0
        self._idle = threading.Condition()

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        if self._server is not None:
            raise RuntimeError("the sandbox is already running")
        self._initial_state = self.flavor.dump()
        server = LoopbackServer(self._host, self._port, self)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.02},
            daemon=True,
            name="psabill-sandbox",
        )
        self._thread.start()

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def reset(self) -> None:
        """Restore the state captured at :meth:`start`; clear faults, their counts and the
        request log."""
        if self._initial_state is not None:
            self.flavor.load(self._initial_state)
        self.faults.clear()
        self.faults.reset_injected()
        with self._log_lock:
            self._log.clear()

    # -- the PSA ----------------------------------------------------------------------------

    @property
    def kind(self) -> str:
        """Which PSA this is: ``"connectwise"``, ``"autotask"`` or ``"halopsa"``."""
        return self.flavor.kind

    @property
    def api(self) -> ConnectWiseApi:
        """The fake ConnectWise REST surface (only on the ConnectWise flavor)."""
        return self._connectwise().api

    @api.setter
    def api(self, api: ConnectWiseApi) -> None:
        # Kept for the vendor fakes that subclass Sandbox and answer with their own API.
        self._connectwise().api = api

    @property
    def credentials(self) -> SandboxCredentials:
        """The full-rights ConnectWise API member's keys (only on the ConnectWise flavor)."""
        return self._connectwise().credentials

    def billed(self, on: date) -> list[BilledLine]:
        """What the PSA bills on ``on``, in no PSA's words (for checks that judge all three)."""
        return self.flavor.billed(on)

    def _connectwise(self) -> ConnectWiseFlavor:
        if not isinstance(self.flavor, ConnectWiseFlavor):
            raise AttributeError(f"a {self.flavor.kind} sandbox has no ConnectWise API")
        return self.flavor

    # -- addresses --------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the sandbox is not running; call start() first")
        return int(self._server.server_address[1])

    @property
    def site_url(self) -> str:
        host = self._host if ":" not in self._host else f"[{self._host}]"
        return f"http://{host}:{self.port}"

    @property
    def api_url(self) -> str:
        """ConnectWise's API base; the Autotask and HaloPSA sandboxes override it."""
        return self.site_url + API_ROOT

    # -- requests in flight -----------------------------------------------------------------

    @contextmanager
    def busy(self) -> Iterator[None]:
        """Count one API request in flight (the transport wraps each in this)."""
        with self._idle:
            self._in_flight += 1
        try:
            yield
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until no API request is being served; ``False`` if ``timeout`` passed first.

        A client that timed out has moved on while its request may still be delayed here
        (a ``latency`` fault) and land later; call this before judging the store.
        """
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._in_flight:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
            return True

    # -- request log ------------------------------------------------------------------------

    def requests(self) -> list[RequestRecord]:
        """Every request served (up to the last 10 000), oldest first."""
        with self._log_lock:
            return list(self._log)

    def log_request(self, record: RequestRecord) -> None:
        """Append to the request log (called by the transport for every non-admin request)."""
        with self._log_lock:
            self._log.append(record)

    def requests_json(self) -> list[dict[str, Any]]:
        return [asdict(record) for record in self.requests()]
