""":class:`HaloSandbox`: the fake HaloPSA on the sandbox's server core, and its :class:`HaloFlavor`.

The same lifecycle, transport, request log, admin endpoints and
:class:`~psabill.sandbox.faults.FaultPlan` as the other fakes; what is Halo's own is here. An
injected 429 says "Rate Limit Reached - 300 Requests per rolling 5 minute window", the text hosted
Halo was seen to answer (reference §2.5), with ``Retry-After``; other injected errors are plain
text, as Halo documents no error shape. The flavor's own limit is 300 requests per 300 seconds.
The admin endpoints take the demo application's credentials as HTTP Basic, or a valid token.
"""

from __future__ import annotations

import base64
from datetime import date
from decimal import Decimal
from http import HTTPStatus
from typing import Any

from psabill.sandbox.api_messages import ApiRequest, ApiResponse
from psabill.sandbox.faults import FaultPlan
from psabill.sandbox.flavor import BilledLine, RateLimit
from psabill.sandbox.halopsa.api import HaloApi
from psabill.sandbox.halopsa.auth import TOKEN_LIFETIME, Tokens
from psabill.sandbox.halopsa.data import DEMO_CREDENTIALS, HaloCredentials, HaloWorld, parse_day
from psabill.sandbox.halopsa.translate import translate
from psabill.sandbox.seed import seed_demo
from psabill.sandbox.server import Sandbox
from psabill.sandbox.store import Store

RATE_LIMIT_TEXT = "Rate Limit Reached - 300 Requests per rolling 5 minute window"
HALO_RATE_LIMIT: RateLimit = (300, 300.0)


class HaloFlavor:
    """HaloPSA behind the server core: :class:`HaloApi` over a :class:`HaloWorld`."""

    kind = "halopsa"

    def __init__(
        self,
        world: HaloWorld,
        credentials: HaloCredentials = DEMO_CREDENTIALS,
        *,
        token_lifetime: int = TOKEN_LIFETIME,
    ) -> None:
        self.world, self.credentials = world, credentials
        self.tokens = Tokens(credentials, lifetime=token_lifetime)
        self.api = HaloApi(world, self.tokens)

    def handle(self, request: ApiRequest) -> ApiResponse:
        return self.api.handle(request)

    def fault_response(self, status: int, retry_after: int) -> ApiResponse:
        if status == 429:
            return _text(429, RATE_LIMIT_TEXT, [("Retry-After", str(retry_after))])
        if status in (502, 503, 504):
            phrase = _phrase(status)
            page = f"<html><head><title>{status} {phrase}</title></head><body>{phrase}</body>"
            return ApiResponse(status, page.encode(), [("Content-Type", "text/html")])
        if status == 403:
            return _text(403, "You do not have permission to perform this action.")
        if status == 500:
            return _text(500, "An error occurred while processing your request.")
        return _text(status, _phrase(status))

    def response_headers(self) -> list[tuple[str, str]]:
        return [("Server", "psabill-sandbox (HaloPSA)")]

    def admin_allowed(self, request: ApiRequest) -> bool:
        pair = f"{self.credentials.client_id}:{self.credentials.client_secret}"
        basic = "Basic " + base64.b64encode(pair.encode()).decode()
        return request.headers.get("authorization", "").strip() == basic or self.tokens.valid(
            request
        )

    def dump(self) -> dict[str, Any]:
        return self.world.dump()

    def load(self, state: dict[str, Any]) -> None:
        self.world.load(state)

    def rate_limit(self) -> RateLimit | None:
        return HALO_RATE_LIMIT

    def billed(self, on: date) -> list[BilledLine]:
        """Each line started by ``on``, cancelled once past its ``enddate`` (the last day it
        bills) or when its header is disabled; identified by its Item's name."""
        items = {row["id"]: row["name"] for row in self.world.records("items")}
        headers = {row["id"]: row for row in self.world.records("recurring")}
        lines = []
        for line in self.world.records("lines"):
            start, end = parse_day(line.get("startdate")), parse_day(line.get("enddate"))
            if start is not None and start > on:
                continue
            header = headers.get(line["ihid"], {})
            lines.append(
                BilledLine(
                    agreement_id=int(line["ihid"]),
                    product_identifier=str(items.get(line["_itemid"], line.get("item_code"))),
                    quantity=Decimal(str(line.get("qty_order") or 0)),
                    cancelled=(end is not None and end < on) or bool(header.get("disabled")),
                )
            )
        return lines


class HaloSandbox(Sandbox):
    """HaloPSA look-alike serving ``store``'s demo MSP (translated, :mod:`.translate`) on
    ``host:port``; ``store=None`` seeds a fresh :func:`seed_demo` store."""

    def __init__(
        self,
        store: Store | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: FaultPlan | None = None,
        credentials: HaloCredentials = DEMO_CREDENTIALS,
        token_lifetime: int = TOKEN_LIFETIME,
    ) -> None:
        if store is None:
            store = Store()
            seed_demo(store)
        self.halo = HaloFlavor(translate(store), credentials, token_lifetime=token_lifetime)
        super().__init__(store, host=host, port=port, faults=faults, flavor=self.halo)
        self.halo_credentials = credentials

    def __enter__(self) -> HaloSandbox:
        self.start()
        return self

    @property
    def world(self) -> HaloWorld:
        return self.halo.world

    @property
    def api_url(self) -> str:
        return self.site_url + "/api"

    def billed(self, on: date) -> list[BilledLine]:
        return self.halo.billed(on)


def psa_section(sandbox: HaloSandbox) -> dict[str, Any]:
    """The ``[psa]`` table reaching ``sandbox`` with its demo application's credentials."""
    credentials = sandbox.halo_credentials
    section: dict[str, Any] = {
        "kind": "halopsa",
        "url": sandbox.site_url,
        "client_id": credentials.client_id,
        "client_secret": credentials.client_secret,
    }
    if credentials.tenant:
        section["tenant"] = credentials.tenant
    return section


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _text(status: int, message: str, headers: list[tuple[str, str]] | None = None) -> ApiResponse:
    return ApiResponse(
        status, message.encode(), [("Content-Type", "text/plain; charset=utf-8"), *(headers or [])]
    )
