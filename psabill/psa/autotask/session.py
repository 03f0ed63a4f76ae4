"""Autotask REST plumbing over :class:`~psabill.psa.http.HttpClient`: zone discovery, the three
auth headers, queries paged by re-POSTing the same body to ``nextPageUrl``, creates, and the
``{"errors": [...]}`` answers turned into :class:`~psabill.errors.PsaError` (reference §1.1-§1.4).

At most :data:`THREADS` requests are in flight at once, Autotask's thread limit per integration
code (§1.5), whatever the HTTP client would allow. Queries are reads, so they are sent as
idempotent (retried on 5xx, which is also how the thread-limit error comes); creates are not.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import httpx

from psabill.errors import PsaError
from psabill.psa.http import HttpClient

THREADS = 3
PAGE = 500
ZONE_LOOKUP = "https://webservices.autotask.net/atservicesrest"
"""Where every tenant's zone is looked up; its answer's ``url`` is the base of every call."""
MAX_PAGES = 10_000


@dataclass(frozen=True)
class AutotaskLogin:
    """The API user's credentials; ``secret`` never appears in a message or a log line."""

    username: str
    integration_code: str
    secret: str = field(repr=False)

    def headers(self) -> dict[str, str]:
        return {
            "ApiIntegrationCode": self.integration_code,
            "UserName": self.username,
            "Secret": self.secret,
        }


async def discover_zone(http: HttpClient, username: str, lookup: str = ZONE_LOOKUP) -> str:
    """The zone's REST base URL (``…/atservicesrest``, no trailing slash) for ``username``."""
    url = lookup.rstrip("/") + "/v1.0/zoneInformation"
    response = await http.request("GET", url, params={"user": username}, target="zoneInformation")
    payload = _payload(response, "GET", "zoneInformation")
    base = payload.get("url") if isinstance(payload, dict) else None
    if not isinstance(base, str) or not base:
        raise PsaError("Autotask's zone lookup answered without a zone url")
    return base.rstrip("/")


class AutotaskSession:
    """Calls to one zone as one API user, :data:`THREADS` at a time."""

    def __init__(self, http: HttpClient, base_url: str, login: AutotaskLogin) -> None:
        self.http, self.login = http, login
        self.root = base_url.rstrip("/") + "/v1.0"
        self._threads = asyncio.Semaphore(THREADS)

    async def query(
        self, entity: str, conditions: list[dict[str, Any]], page: int = PAGE
    ) -> list[dict[str, Any]]:
        """Every record matching the and-ed ``conditions``, following ``nextPageUrl`` by POST."""
        body = {"filter": conditions, "MaxRecords": page}
        url: str | None = f"{self.root}/{entity}/query"
        items: list[dict[str, Any]] = []
        for _ in range(MAX_PAGES):
            if url is None:
                return items
            payload = await self._call("POST", url, body, entity, idempotent=True)
            items.extend(payload.get("items") or [])
            details = payload.get("pageDetails") or {}
            url = details.get("nextPageUrl") or None
        raise PsaError(f"Autotask kept paging {entity} past {MAX_PAGES} pages")

    async def create(self, entity: str, body: dict[str, Any]) -> int:
        """POST a new record; its ``itemId``. Not retried: a lost answer is UnknownOutcome."""
        payload = await self._call("POST", f"{self.root}/{entity}", body, entity, idempotent=False)
        item_id = payload.get("itemId")
        if not isinstance(item_id, int):
            raise PsaError(f"Autotask created a {entity} record but answered no itemId")
        return item_id

    async def _call(
        self, method: str, url: str, body: dict[str, Any], entity: str, *, idempotent: bool
    ) -> dict[str, Any]:
        async with self._threads:
            response = await self.http.request(
                method,
                url,
                json=body,
                headers=self.login.headers(),
                idempotent=idempotent,
                target=entity,
            )
        payload = _payload(response, method, entity)
        if not isinstance(payload, dict):
            raise PsaError(f"Autotask answered {method} {entity} with something other than JSON")
        return payload


def _payload(response: httpx.Response, method: str, target: str) -> Any:
    try:
        payload = response.json()
    except ValueError:
        payload = None
    if response.status_code < 400:
        return payload
    errors = payload.get("errors") if isinstance(payload, dict) else None
    text = "; ".join(str(e).strip() for e in errors) if isinstance(errors, list) else ""
    hint = None
    if response.status_code == 401 or "authenticat" in text.lower():
        hint = "check the API user's username, integration code and secret"
    raise PsaError(
        f"Autotask answered {response.status_code} to {method} {target}"
        + (f": {text}" if text else ""),
        hint=hint,
    )
