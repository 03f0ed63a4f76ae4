"""Autotask as a :class:`~psabill.sandbox.flavor.Flavor`: the fake REST API over an
:class:`~psabill.sandbox.autotask.data.AutotaskWorld`, and Autotask's words for errors it did
not choose.

Every error is ``{"errors": [...]}``, as Autotask's are (reference §1.4). An injected or
rate-limited 429 names the hourly threshold and carries ``Retry-After`` (current peers read it;
it is not documented). The server core applies :meth:`AutotaskFlavor.rate_limit`, Autotask's
10,000 requests a rolling hour, unless a fault plan sets its own. 502-504 are the HTML page a
proxy in front of the API answers.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from http import HTTPStatus
from typing import Any

from psabill.sandbox.api_messages import ApiRequest, ApiResponse, json_response
from psabill.sandbox.autotask.api import AutotaskApi
from psabill.sandbox.autotask.data import ACTIVE, AutotaskCredentials, AutotaskWorld, parse_day
from psabill.sandbox.autotask.metadata import HOURLY_THRESHOLD, WINDOW
from psabill.sandbox.faults import FaultPlan
from psabill.sandbox.flavor import BilledLine, RateLimit


class AutotaskFlavor:
    kind = "autotask"

    def __init__(
        self, world: AutotaskWorld, credentials: AutotaskCredentials, faults: FaultPlan
    ) -> None:
        self.world, self.credentials = world, credentials
        self.api = AutotaskApi(world, credentials, faults)

    def handle(self, request: ApiRequest) -> ApiResponse:
        return self.api.handle(request)

    def fault_response(self, status: int, retry_after: int) -> ApiResponse:
        return autotask_fault(status, retry_after)

    def response_headers(self) -> list[tuple[str, str]]:
        return [("x-server-name", "psabill-sandbox")]

    def admin_allowed(self, request: ApiRequest) -> bool:
        """The demo API user's three headers, exactly as its API calls carry them."""
        expected = {k.lower(): v for k, v in self.credentials.headers().items()}
        return all(request.headers.get(name, "") == value for name, value in expected.items())

    def dump(self) -> dict[str, Any]:
        return self.world.dump()

    def load(self, state: dict[str, Any]) -> None:
        self.world.load(state)

    def rate_limit(self) -> RateLimit | None:
        return (HOURLY_THRESHOLD, WINDOW)

    def billed(self, on: date) -> list[BilledLine]:
        """Each contract service of a contract started by ``on``: its units that day;
        stopped (``cancelled``) at 0 units, on an inactive contract, or after its end."""
        lines = []
        with self.world.lock:
            for link in self.world.records("ContractServices"):
                contract = self.world.tables["Contracts"][link["contractID"]]
                start, end = parse_day(contract["startDate"]), parse_day(contract["endDate"])
                if start is None or start > on:
                    continue
                units = self.world.units_on(link["id"], on)
                stopped = contract["status"] != ACTIVE or (end is not None and end < on)
                name = self.world.tables["Services"][link["serviceID"]]["name"]
                lines.append(
                    BilledLine(
                        agreement_id=int(link["contractID"]),
                        product_identifier=str(name),
                        quantity=Decimal(units),
                        cancelled=stopped or units == 0,
                    )
                )
        return lines


def autotask_fault(status: int, retry_after: int) -> ApiResponse:
    """Autotask's answer (or its proxy's) with ``status``; see the module docstring."""
    if status == 429:
        message = (
            f"The Autotask API hourly request threshold of {HOURLY_THRESHOLD} requests has "
            f"been exceeded. Try again in {retry_after} seconds."
        )
        return json_response(429, {"errors": [message]}, [("Retry-After", str(retry_after))])
    if status in (502, 503, 504):
        phrase = HTTPStatus(status).phrase
        title = f"{status} {phrase}"
        page = f"<html><head><title>{title}</title></head><body><h1>{phrase}</h1></body></html>"
        return ApiResponse(status, page.encode(), [("Content-Type", "text/html")])
    messages = {
        500: "An unexpected error has occurred. Please try again later.",
        403: "The logged in Resource does not have the adequate permissions to do this.",
        411: "Send a Content-Length; chunked request bodies are not supported.",
    }
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return json_response(status, {"errors": [messages.get(status, phrase + ".")]})
