"""The sandbox's HTTP transport: real HTTP/1.1 on loopback, stdlib only, one thread per connection.

Owns the bytes: :class:`LoopbackServer` accepts connections and tracks them so a stopping
sandbox can hang up on keep-alive clients; :class:`RequestHandler` reads a request, applies the
fault decision (:mod:`psabill.sandbox.faults`) and writes the answer of the sandbox's flavor
(:mod:`psabill.sandbox.flavor`) or the admin endpoints. :class:`~psabill.sandbox.server.Sandbox`
owns the lifecycle and the request log.

Nothing here knows a PSA: every answer carries the flavor's headers, an injected error or a
refusal by the rate limit is the flavor's ``fault_response``. Fault injection happens before
authentication, as a proxy or the API gateway would; admin requests are never subject to faults.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from psabill.sandbox.admin import ADMIN_PREFIX
from psabill.sandbox.api_messages import ApiRequest, ApiResponse
from psabill.sandbox.faults import DROP, LATENCY, RATE_LIMIT, lost_kind, status_kind

if TYPE_CHECKING:
    from psabill.sandbox.server import Sandbox

logger = logging.getLogger("psabill.sandbox")


@dataclass(frozen=True)
class RequestRecord:
    """One request as the server saw it; ``status`` is ``None`` when no response was sent."""

    method: str
    path: str
    query: str
    status: int | None
    fault: str | None


class LoopbackServer(ThreadingHTTPServer):
    """Tracks its open connections so :meth:`close_connections` can end keep-alive clients."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    """Connections the kernel queues before they are accepted. socketserver's default, 5,
    overflows when a client opens dozens at once, and their requests then wait out TCP
    retransmissions (0.2 s, 0.4 s, ...) that a real server's backlog never causes."""

    def __init__(self, host: str, port: int, sandbox: Sandbox) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sandbox = sandbox
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__((host, port), RequestHandler)

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


class RequestHandler(BaseHTTPRequestHandler):
    """One connection: read each request, apply the fault decision, answer or misbehave."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    wbufsize = -1  # headers and body leave in one write (flushed after each request)
    server_version = "psabill-sandbox"
    sys_version = ""
    timeout = 60
    server: LoopbackServer

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
            raw_query=split.query,
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
            site_url=f"http://{host}",
        )
        if split.path.startswith(ADMIN_PREFIX):
            self._send(sandbox.admin.handle(request))
            return
        with sandbox.busy():
            response, fault = self._respond(sandbox, request)
            # Logged before the answer leaves, so a client that has it finds it in the log.
            status = None if response is None else response.status
            sandbox.log_request(RequestRecord(self.command, split.path, split.query, status, fault))
            if response is not None:
                self._send(response)

    def _read_body(self) -> bytes | None:
        """The request body, or ``None`` after answering 411 (no chunked uploads here)."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            self._send(self.server.sandbox.flavor.fault_response(411, 0))
            return None
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        return self.rfile.read(length) if length > 0 else b""

    def _respond(
        self, sandbox: Sandbox, request: ApiRequest
    ) -> tuple[ApiResponse | None, str | None]:
        """The answer to send (``None``: hang up) and the fault applied, if any.

        Each fault is counted as it is injected, before the client can notice it, so a count
        read after a client call already includes it."""
        faults, flavor = sandbox.faults, sandbox.flavor
        decision = faults.decide(request.method, request.path)
        if decision.delay:
            faults.count(LATENCY)
            time.sleep(decision.delay)
        if decision.retry_after is not None:
            faults.count(RATE_LIMIT)
            return flavor.fault_response(429, decision.retry_after), "rate_limit"
        rule = decision.rule
        if rule is not None and rule.kind == "drop":
            faults.count(DROP)
            self.close_connection = True
            return None, "drop"
        if rule is not None and rule.kind == "status":
            faults.count(status_kind(rule.status))
            return flavor.fault_response(rule.status, rule.retry_after), f"status:{rule.status}"
        try:
            response = flavor.handle(request)
        except Exception:
            logger.exception("sandbox bug while answering %s %s", request.method, request.path)
            response = flavor.fault_response(500, 0)
        if rule is not None and rule.kind == "lose_response":
            faults.count(lost_kind(request.method, response.status))
            self.close_connection = True
            return None, "lose_response"
        return response, "latency" if decision.delay else None

    def _send(self, response: ApiResponse) -> int:
        self.send_response(response.status)
        for name, value in self.server.sandbox.flavor.response_headers():
            self.send_header(name, value)
        for name, value in response.headers:
            self.send_header(name, value)
        if response.status != 204:
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if response.status != 204 and self.command != "HEAD":
            self.wfile.write(response.body)
        return response.status
