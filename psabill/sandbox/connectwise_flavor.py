"""ConnectWise Manage as a :class:`~psabill.sandbox.flavor.Flavor`: the fake REST API over a
:class:`~psabill.sandbox.store.Store`, and ConnectWise's own words for errors it did not choose.

Every answer carries ``api-current-version``, ``x-cw-request-id`` and ``x-server-name`` like the
real API (reference §1.4). An injected 429 has ConnectWise's odd body
``{"error": "ConnectWiseAPI", "message": "Too many requests. Please try again in N seconds."}``
(§5.1); a 500 the ``ErrorResponseMessage`` shape; a 403 the security-role refusal; 502-504 the
small HTML page a proxy in front of the API answers. ConnectWise documents no server-side rate
limit that a client can count on, so :meth:`ConnectWiseFlavor.rate_limit` is ``None``.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from http import HTTPStatus
from typing import Any

from psabill.sandbox.api import API_VERSION, ConnectWiseApi
from psabill.sandbox.api_messages import ApiRequest, ApiResponse, json_response
from psabill.sandbox.auth import SandboxCredentials
from psabill.sandbox.flavor import BilledLine, RateLimit
from psabill.sandbox.store import Store


class ConnectWiseFlavor:
    """The fake ConnectWise Manage behind the server core; ``api`` may be swapped for another
    object with the same ``handle`` (the vendor fakes built before flavors existed do)."""

    kind = "connectwise"

    def __init__(self, store: Store, credentials: SandboxCredentials) -> None:
        self.store = store
        self.credentials = credentials
        self.api = ConnectWiseApi(store, credentials)

    def handle(self, request: ApiRequest) -> ApiResponse:
        return self.api.handle(request)

    def fault_response(self, status: int, retry_after: int) -> ApiResponse:
        return connectwise_fault(status, retry_after)

    def response_headers(self) -> list[tuple[str, str]]:
        return [
            ("api-current-version", API_VERSION),
            ("x-cw-request-id", str(uuid.uuid4())),
            ("x-server-name", "psabill-sandbox"),
        ]

    def admin_allowed(self, request: ApiRequest) -> bool:
        """The full-rights member's Basic credentials (no ``clientId`` needed)."""
        expected = self.credentials.headers()["Authorization"]
        return request.headers.get("authorization", "").strip() == expected

    def dump(self) -> dict[str, Any]:
        return self.store.dump()

    def load(self, state: dict[str, Any]) -> None:
        self.store.load(state)

    def rate_limit(self) -> RateLimit | None:
        return None

    def billed(self, on: date) -> list[BilledLine]:
        """Each addition in effect on ``on`` (started by then), cancelled once its
        ``cancelledDate`` has come."""
        day = on.isoformat()
        lines = []
        for row in self.store.rows("additions"):
            effective, cancelled = row.get("effectiveDate"), row.get("cancelledDate")
            if effective is not None and effective[:10] > day:
                continue
            lines.append(
                BilledLine(
                    agreement_id=int(row["agreementId"]),
                    product_identifier=str(row["product"]["identifier"]),
                    quantity=Decimal(str(row["quantity"])),
                    cancelled=cancelled is not None and cancelled[:10] <= day,
                )
            )
        return lines


def connectwise_fault(status: int, retry_after: int) -> ApiResponse:
    """ConnectWise's answer (or its proxy's) with ``status``; see the module docstring."""
    if status == 429:
        message = f"Too many requests. Please try again in {retry_after} seconds."
        body = {"error": "ConnectWiseAPI", "message": message}
        return json_response(429, body, [("Retry-After", str(retry_after))])
    if status == 500:
        message = "An unexpected server error has occurred."
        return json_response(500, _error("UnexpectedServerError", message))
    if status == 403:
        # What ConnectWise answers when the API member's security role lacks the permission.
        message = "You do not have security permission to perform this action."
        return json_response(403, _error("Security", message))
    if status == 411:
        message = "Send a Content-Length; chunked request bodies are not supported."
        return json_response(411, _error("LengthRequired", message))
    phrase = _phrase(status)
    if status in (502, 503, 504):
        title = f"{status} {phrase}"
        page = f"<html><head><title>{title}</title></head><body><h1>{phrase}</h1></body></html>"
        return ApiResponse(status, page.encode(), [("Content-Type", "text/html")])
    return json_response(status, _error(phrase.replace(" ", ""), phrase + "."))


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _error(code: str, message: str) -> dict[str, Any]:
    return {"code": code, "message": message, "errors": None}
