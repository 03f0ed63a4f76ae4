"""What makes a sandbox one PSA and not another: the :class:`Flavor` the server core serves.

The core (:class:`~psabill.sandbox.server.Sandbox`, :mod:`~psabill.sandbox.transport`,
:mod:`~psabill.sandbox.faults`, :mod:`~psabill.sandbox.admin`) owns everything the three fake
PSAs share: the loopback HTTP server, its lifecycle, the request log, fault injection and the
``/__sandbox__/`` admin endpoints. Everything a real PSA does its own way goes through one
object, the flavor: the REST surface, what an injected error looks like, the headers on every
answer, who may use the admin endpoints, the state as JSON and the PSA's own rate limit. So a
fault plan written once behaves the same on each PSA, and each answers it in its own words.

:class:`BilledLine` is the PSA-neutral view of "what would this PSA bill on a day", so one
reliability check (no double billing under faults) can judge all three sandboxes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from psabill.sandbox.api_messages import ApiRequest, ApiResponse

RateLimit = tuple[int, float]
"""``(requests, window seconds)``: at most that many requests in any sliding window."""


class Flavor(Protocol):
    """One PSA's behaviour behind the shared server core.

    ``handle`` must never raise for a bad request (it answers the PSA's error instead); an
    exception is a sandbox bug, which the transport logs and answers with
    ``fault_response(500, 0)``.
    """

    kind: str
    """``"connectwise"``, ``"autotask"`` or ``"halopsa"``."""

    def handle(self, request: ApiRequest) -> ApiResponse:
        """The PSA's answer to one API request (never an admin one)."""
        ...

    def fault_response(self, status: int, retry_after: int) -> ApiResponse:
        """What this PSA answers with ``status`` when a fault or its rate limit refuses a
        request: a 429 carries ``Retry-After: retry_after`` and the PSA's own text; 500, 403
        and 502-504 look like this PSA's (or the proxy in front of it)."""
        ...

    def response_headers(self) -> list[tuple[str, str]]:
        """Headers on every answer, faults included (e.g. ConnectWise's request id)."""
        ...

    def admin_allowed(self, request: ApiRequest) -> bool:
        """May ``request`` use the ``/__sandbox__/`` endpoints (it holds the demo keys)?"""
        ...

    def dump(self) -> dict[str, Any]:
        """The whole PSA state as JSON-able data (what ``GET /__sandbox__/state`` shows)."""
        ...

    def load(self, state: dict[str, Any]) -> None:
        """Replace the whole state with a :meth:`dump`; ``ValueError`` if it is not one."""
        ...

    def rate_limit(self) -> RateLimit | None:
        """The PSA's own server-side limit, applied unless the fault plan sets one."""
        ...

    def billed(self, on: date) -> list[BilledLine]:
        """What the PSA bills on ``on``, one line per recurring line it holds."""
        ...


@dataclass(frozen=True)
class BilledLine:
    """One recurring line a PSA bills on a day, in no PSA's words.

    ``quantity`` is what the PSA charges for on that day; ``cancelled`` says the line has
    stopped billing (a cancelled addition, a line ended, a service at zero units).
    """

    agreement_id: int
    product_identifier: str
    quantity: Decimal
    cancelled: bool
