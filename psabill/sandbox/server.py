"""The sandbox HTTP server: real HTTP/1.1 on loopback, stdlib only, one thread per connection.

Every response carries ``api-current-version``, ``x-cw-request-id`` and ``x-server-name``, like
the real API (reference §1.4). Fault injection (:mod:`psabill.sandbox.faults`) happens before
authentication, as a proxy or the API gateway would.

Admin endpoints — sandbox-only, under ``/__sandbox__/``, never subject to faults, and guarded by
the same Basic credentials as the API (no ``clientId`` needed), so only someone holding the
printed keys can use them:

=====================================  =========================================================
``GET    /__sandbox__/state``          :meth:`Store.dump` as JSON
``PUT    /__sandbox__/state``          :meth:`Store.load` a dump
``POST   /__sandbox__/reset``          back to the state at :meth:`Sandbox.start`, no faults
``GET    /__sandbox__/faults``         the fault plan with its counters
``POST   /__sandbox__/faults``         replace the plan: ``{"seed", "rate_limit_per_minute",
                                       "rules": [{"kind", "method", "path", ...}]}``
``DELETE /__sandbox__/faults``         remove every fault
``GET    /__sandbox__/requests``       the request log (method, path, status, fault)
=====================================  =========================================================
"""

from __future__ import annotations

import contextlib
import logging
import socket
import sys
import threading
import time
import uuid
from collections import deque
from dataclasses import asdict, dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from psabill.sandbox.admin import AdminApi
from psabill.sandbox.api import (
    API_ROOT,
    API_VERSION,
    DEMO_CREDENTIALS,
    ApiRequest,
    ApiResponse,
    ConnectWiseApi,
    SandboxCredentials,
    json_response,
)
from psabill.sandbox.faults import FaultPlan, FaultRule, too_many_requests_body
from psabill.sandbox.store import Store

logger = logging.getLogger("psabill.sandbox")
ADMIN_PREFIX = "/__sandbox__/"
REQUEST_LOG_SIZE = 10_000


@dataclass(frozen=True)
class RequestRecord:
    """One request as the server saw it; ``status`` is ``None`` when no response was sent."""

    method: str
    path: str
    query: str
    status: int | None
    fault: str | None


class Sandbox:
    """A ConnectWise Manage look-alike serving ``store`` on ``host:port`` in a background thread.

    Use as a context manager (``with Sandbox(store) as sandbox: ...``) or call :meth:`start` and
    :meth:`stop`. ``port=0`` picks a free port; read :attr:`site_url` / :attr:`api_url` after
    starting. ``faults`` may be changed at any time from any thread.
    """

    def __init__(
        self,
        store: Store | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        credentials: SandboxCredentials = DEMO_CREDENTIALS,
        faults: FaultPlan | None = None,
    ) -> None:
        self.store = store if store is not None else Store()
        self.credentials = credentials
        self.faults = faults if faults is not None else FaultPlan()
        self.api = ConnectWiseApi(self.store, credentials)
        self.admin = AdminApi(self)
        self._host, self._port = host, port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._initial_state: dict[str, Any] | None = None
        self._log: deque[RequestRecord] = deque(maxlen=REQUEST_LOG_SIZE)
        self._log_lock = threading.Lock()

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        if self._server is not None:
            raise RuntimeError("the sandbox is already running")
        self._initial_state = self.store.dump()
        server = _Server(self._host, self._port, self)
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

    def __enter__(self) -> Sandbox:
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
        """Restore the state captured at :meth:`start`, clear faults and the request log."""
        if self._initial_state is not None:
            self.store.load(self._initial_state)
        self.faults.clear()
        with self._log_lock:
            self._log.clear()

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
        return self.site_url + API_ROOT

    # -- request log ------------------------------------------------------------------------

    def requests(self) -> list[RequestRecord]:
        """Every request served (up to the last 10 000), oldest first."""
        with self._log_lock:
            return list(self._log)

    def _record(self, record: RequestRecord) -> None:
        with self._log_lock:
            self._log.append(record)

    def requests_json(self) -> list[dict[str, Any]]:
        return [asdict(record) for record in self.requests()]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, host: str, port: int, sandbox: Sandbox) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sandbox = sandbox
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__((host, port), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (timeout, dropped fault) is routine, not a traceback."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            logger.debug("client %s went away", client_address)
            return
        super().handle_error(request, client_address)

    def close_connections(self) -> None:
        """Hang up on keep-alive clients so their handler threads end with the server."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    wbufsize = -1  # headers and body leave in one write (flushed after each request)
    server_version = "psabill-sandbox"
    sys_version = ""
    timeout = 60
    server: _Server

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.address_string(), *args)

    def _serve(self) -> None:
        sandbox = self.server.sandbox
        body = self._read_body()
        if body is None:
            return
        split = urlsplit(self.path)
        host = self.headers.get("Host") or sandbox.site_url.removeprefix("http://")
        request = ApiRequest(
            method=self.command,
            path=split.path,
            query=tuple(parse_qsl(split.query, keep_blank_values=True)),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
            site_url=f"http://{host}",
        )
        if split.path.startswith(ADMIN_PREFIX):
            self._send(sandbox.admin.handle(request))
            return
        status, fault = self._respond(sandbox, request)
        sandbox._record(RequestRecord(self.command, split.path, split.query, status, fault))

    def _read_body(self) -> bytes | None:
        """The request body, or ``None`` after answering 411 (no chunked uploads here)."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            message = "Send a Content-Length; chunked request bodies are not supported."
            error = {"code": "LengthRequired", "message": message, "errors": None}
            self._send(json_response(411, error))
            return None
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        return self.rfile.read(length) if length > 0 else b""

    def _respond(self, sandbox: Sandbox, request: ApiRequest) -> tuple[int | None, str | None]:
        decision = sandbox.faults.decide(request.method, request.path)
        if decision.delay:
            time.sleep(decision.delay)
        if decision.retry_after is not None:
            return self._send(_too_many(decision.retry_after)), "rate_limit"
        rule = decision.rule
        if rule is not None and rule.kind == "drop":
            self.close_connection = True
            return None, "drop"
        if rule is not None and rule.kind == "status":
            return self._send(_fault_response(rule)), f"status:{rule.status}"
        try:
            response = sandbox.api.handle(request)
        except Exception:
            logger.exception("sandbox bug while answering %s %s", request.method, request.path)
            response = json_response(500, _server_error_body())
        if rule is not None and rule.kind == "lose_response":
            self.close_connection = True
            return None, "lose_response"
        return self._send(response), "latency" if decision.delay else None

    def _send(self, response: ApiResponse) -> int:
        self.send_response(response.status)
        self.send_header("api-current-version", API_VERSION)
        self.send_header("x-cw-request-id", str(uuid.uuid4()))
        self.send_header("x-server-name", "psabill-sandbox")
        for name, value in response.headers:
            self.send_header(name, value)
        if response.status != 204:
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if response.status != 204 and self.command != "HEAD":
            self.wfile.write(response.body)
        return response.status


def _too_many(retry_after: int) -> ApiResponse:
    return json_response(
        429, too_many_requests_body(retry_after), [("Retry-After", str(retry_after))]
    )


def _fault_response(rule: FaultRule) -> ApiResponse:
    if rule.status == 429:
        return _too_many(rule.retry_after)
    if rule.status == 500:
        return json_response(500, _server_error_body())
    try:
        phrase = HTTPStatus(rule.status).phrase
    except ValueError:
        phrase = "Error"
    if rule.status == 403:
        # What ConnectWise answers when the API member's security role lacks the permission.
        message = "You do not have security permission to perform this action."
        return json_response(403, {"code": "Security", "message": message, "errors": None})
    if rule.status in (502, 503, 504):
        title = f"{rule.status} {phrase}"
        page = f"<html><head><title>{title}</title></head><body><h1>{phrase}</h1></body></html>"
        return ApiResponse(rule.status, page.encode(), [("Content-Type", "text/html")])
    body = {"code": phrase.replace(" ", ""), "message": phrase + ".", "errors": None}
    return json_response(rule.status, body)


def _server_error_body() -> dict[str, object]:
    message = "An unexpected server error has occurred."
    return {"code": "UnexpectedServerError", "message": message, "errors": None}
