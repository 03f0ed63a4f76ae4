"""A fake HaloPSA API behind the sandbox's transport (reference §2).

=============================================  ===============================================
``GET  /api/authinfo``                         ``{auth_url, tenant_id}``; no auth
``POST /auth/token[?tenant=]``                 client credentials -> bearer token
``GET  /api/{Resource}``                       ``{record_count, <key>: [...]}`` (:mod:`.lists`)
``GET  /api/{Resource}/{id}``                  the bare record; 404 when missing
``POST /api/{Resource}``                       an array of upserts (:mod:`.writes`)
``POST /api/RecurringInvoice/updatelines``     change lines by id
``POST /api/RecurringInvoice/Lines``           append lines
``POST /api/RecurringInvoice/process``         "invoice now": logged in ``world.processed``
=============================================  ===============================================

Resources: ``Client``, ``ClientContract``, ``RecurringInvoice``, ``Item``, ``Invoice``; paths
match case-insensitively, ids may be negative. Errors are plain text, as Halo documents no error
shape. Two writes to one recurring invoice at the same time fail as Halo's did in
homotechsual/HaloAPI#61 (:data:`OVERLAP_MESSAGE`); :meth:`HaloApi.hold_writes` and
``write_latency`` let a test make writes overlap.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from psabill.sandbox.api_messages import ApiRequest, ApiResponse, json_response
from psabill.sandbox.halopsa.auth import Tokens
from psabill.sandbox.halopsa.data import HaloWorld
from psabill.sandbox.halopsa.lists import RESOURCES, HaloError, get_record, list_records
from psabill.sandbox.halopsa.writes import (
    add_lines,
    headers_touched,
    records_of,
    update_lines,
    upsert,
)

OVERLAP_MESSAGE = (
    "Failed to save Invoice Lines - The database operation was expected to affect 1 row(s), "
    "but actually affected 0 row(s); data may have been modified or deleted since entities "
    "were loaded."
)
OVERLAP_KIND = "halo_overlap"
"""The :meth:`FaultPlan.injected` kind counting overlapping-write refusals."""
_ROUTE = re.compile(r"^/api/([A-Za-z]+)(?:/(-?\d+|updatelines|lines|process))?/?$", re.I)


class HaloApi:
    """Turns an :class:`ApiRequest` into the answer HaloPSA would give."""

    def __init__(self, world: HaloWorld, tokens: Tokens) -> None:
        self.world, self.tokens = world, tokens
        self.write_latency = 0.0
        """Seconds each invoice write takes while it holds its invoice (for overlap tests)."""
        self.overlaps = 0
        self._writing: set[int] = set()
        self._writing_lock = threading.Lock()
        self._hold: tuple[threading.Event, threading.Event] | None = None

    def handle(self, request: ApiRequest) -> ApiResponse:
        path = request.path.rstrip("/").lower()
        if path == "/api/authinfo" and request.method == "GET":
            return self.tokens.authinfo(request)
        if path == "/auth/token":
            return self.tokens.token(request)
        try:
            match = _ROUTE.match(request.path)
            resource = RESOURCES.get(match.group(1).lower()) if match else None
            if match is None or resource is None:
                raise HaloError(404, "The requested resource was not found.")
            if not self.tokens.valid(request):
                return ApiResponse(401, b"", [("WWW-Authenticate", 'Bearer error="invalid_token"')])
            return self._route(request, resource.name, (match.group(2) or "").lower())
        except HaloError as error:
            return _text(error.status, error.message)

    def _route(self, request: ApiRequest, name: str, tail: str) -> ApiResponse:
        resource, params = RESOURCES[name.lower()], request.params
        if request.method == "GET" and not tail:
            return json_response(200, list_records(self.world, resource, params))
        if request.method == "GET" and re.fullmatch(r"-?\d+", tail):
            return json_response(200, get_record(self.world, resource, int(tail), params))
        if request.method != "POST" or re.fullmatch(r"-?\d+", tail):
            raise HaloError(405, f"The requested resource does not support {request.method}.")
        if name == "RecurringInvoice" and tail == "process":
            return self._process(request)
        if tail and name != "RecurringInvoice":
            raise HaloError(404, "The requested resource was not found.")
        rows = records_of(_body(request))
        if name != "RecurringInvoice":
            return _one_or_many(upsert(self.world, resource, rows))
        touched = {int(r["id"]) for r in rows if r.get("id")} if not tail else headers_touched(rows)
        with self._writing_to(touched):
            if tail == "updatelines":
                return _one_or_many(update_lines(self.world, rows))
            if tail == "lines":
                return _one_or_many(add_lines(self.world, rows))
            return _one_or_many(upsert(self.world, resource, rows))

    def _process(self, request: ApiRequest) -> ApiResponse:
        ids = _body(request)
        if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
            raise HaloError(400, "The request body must be a JSON array of invoice ids.")
        with self.world.lock:
            self.world.processed.extend(ids)
        return json_response(200, [])

    @contextmanager
    def _writing_to(self, headers: set[int]) -> Iterator[None]:
        """Hold ``headers`` for one write; a second write to one of them meanwhile fails."""
        with self._writing_lock:
            if headers & self._writing:
                self.overlaps += 1
                raise HaloError(400, OVERLAP_MESSAGE)
            self._writing |= headers
        try:
            hold = self._hold
            if hold is not None:
                hold[0].set()
                hold[1].wait(10)
            if self.write_latency:
                time.sleep(self.write_latency)
            yield
        finally:
            with self._writing_lock:
                self._writing -= headers

    @contextmanager
    def hold_writes(self) -> Iterator[tuple[threading.Event, threading.Event]]:
        """Make the next invoice writes wait, holding their invoice, until ``release`` is set.

        Yields ``(entered, release)``: ``entered`` is set once a write holds its invoice."""
        hold = (threading.Event(), threading.Event())
        self._hold = hold
        try:
            yield hold
        finally:
            hold[1].set()
            self._hold = None


def _body(request: ApiRequest) -> Any:
    try:
        return json.loads(request.body.decode("utf-8") or "null")
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise HaloError(400, "The request body is not valid JSON.") from None


def _one_or_many(records: list[Any]) -> ApiResponse:
    """One record posted: the object; several: the array (reference §2.2)."""
    return json_response(200, records[0] if len(records) == 1 else records)


def _text(status: int, message: str) -> ApiResponse:
    return ApiResponse(status, message.encode(), [("Content-Type", "text/plain; charset=utf-8")])
