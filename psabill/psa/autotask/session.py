"""Autotask REST plumbing over :class:`~psabill.psa.http.HttpClient`: zone discovery, the three
auth headers, queries paged by re-POSTing the same body to ``nextPageUrl``, creates, and the
``{"errors": [...]}`` answers turned into :class:`~psabill.errors.PsaError` (reference §1.1-§1.4).

At most :data:`THREADS` requests are in flight at once, Autotask's thread limit per integration
code (§1.5), whatever the HTTP client would allow. Queries are reads, so they are sent as
idempotent (retried on 5xx); creates are not. Two answers are judged by their text, not their
status (:func:`judge`): the thread-limit refusal (``Itgenatr005``) proves the request was not
processed, so it is retried even for a create; the 500 for a wrong user or integration code
is final, so it is not retried five times before the user hears about it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from psabill.errors import PsaError, UnknownOutcome
from psabill.psa.http import HttpClient
from psabill.psa.http_setup import body_excerpt

THREADS = 3
PAGE = 500
ZONE_LOOKUP = "https://webservices.autotask.net/atservicesrest"
"""Where every tenant's zone is looked up; its answer's ``url`` is the base of every call."""
MAX_PAGES = 10_000
THREAD_LIMIT_MARKS = ("itgenatr005", "thread threshold exceeded")
AUTH_MARKS = ("unable to authenticate", "zone information could not be determined")
CREDENTIALS_HINT = (
    "check psa.username (the API-only user), psa.integration_code (its tracking identifier) "
    "and psa.secret"
)


@dataclass(frozen=True)
class AutotaskLogin:
    """The API user's credentials; ``secret`` never appears in a message or a log line."""

    username: str
    integration_code: str = field(repr=False)
    secret: str = field(repr=False)

    def headers(self) -> dict[str, str]:
        return {
            "ApiIntegrationCode": self.integration_code,
            "UserName": self.username,
            "Secret": self.secret,
        }


def error_text(response: httpx.Response) -> str:
    """The ``errors`` of an Autotask answer joined on one line ("" when there are none)."""
    try:
        payload = response.json()
    except ValueError:
        return ""
    errors = payload.get("errors") if isinstance(payload, dict) else None
    if not isinstance(errors, list):
        return ""
    return "; ".join(" ".join(str(e).split()) for e in errors)


def judge(response: httpx.Response) -> Literal["return", "retry"] | None:
    """The retry rule's exceptions (see the module docstring); ``None``: the usual rule."""
    if response.status_code < 400:
        return None
    text = error_text(response).lower()
    if any(mark in text for mark in THREAD_LIMIT_MARKS):
        return "retry"
    if any(mark in text for mark in AUTH_MARKS):
        return "return"
    return None


async def discover_zone(http: HttpClient, username: str, lookup: str = ZONE_LOOKUP) -> str:
    """The zone's REST base URL (``…/atservicesrest``, no trailing slash) for ``username``."""
    url = lookup.rstrip("/") + "/v1.0/zoneInformation"
    response = await http.request(
        "GET", url, params={"user": username}, target="zoneInformation", classify=judge
    )
    payload = payload_of(response, "GET", "zoneInformation")
    base = payload.get("url") if isinstance(payload, dict) else None
    if not isinstance(base, str) or not base:
        raise PsaError("Autotask's zone lookup answered without a zone url")
    return base.rstrip("/")


class AutotaskSession:
    """Calls to one zone as one API user, :data:`THREADS` at a time.

    The zone is looked up once, on first use (``base_url`` skips the lookup)."""

    def __init__(
        self,
        http: HttpClient,
        login: AutotaskLogin,
        *,
        zone_lookup: str = ZONE_LOOKUP,
        base_url: str | None = None,
    ) -> None:
        self.http, self.login, self.zone_lookup = http, login, zone_lookup
        self.base_url = None if base_url is None else base_url.rstrip("/")
        self._threads = asyncio.Semaphore(THREADS)
        self._zone_lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"AutotaskSession(user={self.login.username!r}, zone={self.base_url!r})"

    async def root(self) -> str:
        """``{zone url}/v1.0``, looking the zone up the first time."""
        if self.base_url is None:
            async with self._zone_lock:
                if self.base_url is None:
                    self.base_url = await discover_zone(
                        self.http, self.login.username, self.zone_lookup
                    )
        return self.base_url + "/v1.0"

    async def query(
        self,
        entity: str,
        conditions: list[dict[str, Any]],
        *,
        page: int = PAGE,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Records matching the and-ed ``conditions`` (the first ``limit`` when given),
        following ``nextPageUrl`` by POSTing the same body again."""
        size = page if limit is None else max(1, min(page, limit))
        body = {"filter": conditions, "MaxRecords": size}
        url: str | None = f"{await self.root()}/{entity}/query"
        items: list[dict[str, Any]] = []
        for _ in range(MAX_PAGES):
            if url is None or (limit is not None and len(items) >= limit):
                return items[:limit]
            payload = await self._call("POST", url, body, entity, idempotent=True)
            found = payload.get("items")
            if not isinstance(found, list):
                raise PsaError(f"Autotask answered a {entity} query without items")
            items.extend(item for item in found if isinstance(item, dict))
            details = payload.get("pageDetails") or {}
            url = details.get("nextPageUrl") or None
        raise PsaError(f"Autotask kept paging {entity} past {MAX_PAGES} pages")

    async def get(self, path: str, what: str) -> dict[str, Any]:
        """``GET {root}/{path}``: metadata, ``ThresholdInformation``, one record."""
        return await self._call("GET", f"{await self.root()}/{path}", None, what, idempotent=True)

    async def create(self, entity: str, body: dict[str, Any]) -> int:
        """POST a new record; its ``itemId``. Not retried: a lost answer is UnknownOutcome."""
        url = f"{await self.root()}/{entity}"
        payload = await self._call("POST", url, body, entity, idempotent=False)
        item_id = payload.get("itemId")
        if not isinstance(item_id, int) or isinstance(item_id, bool):
            raise UnknownOutcome("POST", entity, "the answer held no itemId")
        return item_id

    async def send(self, method: str, path: str, body: Any = None) -> httpx.Response:
        """The raw answer to one request, whatever its status (``check_access`` reads them)."""
        url = f"{await self.root()}/{path}"
        async with self._threads:
            return await self.http.request(
                method, url, json=body, headers=self.login.headers(), target=path, classify=judge
            )

    def describe(self, response: httpx.Response) -> str:
        """A 5xx body's gist for an unknown outcome, the credentials scrubbed from it."""
        text = body_excerpt(response)
        for secret in (self.login.secret, self.login.integration_code):
            if secret:
                text = text.replace(secret, "[redacted]")
        return text

    async def _call(
        self, method: str, url: str, body: Any, what: str, *, idempotent: bool
    ) -> dict[str, Any]:
        async with self._threads:
            response = await self.http.request(
                method,
                url,
                json=body,
                headers=self.login.headers(),
                idempotent=idempotent,
                target=what,
                classify=judge,
                describe=self.describe,
            )
        payload = payload_of(response, method, what)
        if not isinstance(payload, dict):
            raise PsaError(f"Autotask answered {method} {what} with something other than JSON")
        return payload


def payload_of(response: httpx.Response, method: str, target: str) -> Any:
    """The JSON of a successful answer; :class:`PsaError` with Autotask's text otherwise."""
    if response.status_code < 400:
        try:
            return response.json()
        except ValueError:
            return None
    text = error_text(response)
    lowered = text.lower()
    hint = None
    if response.status_code == 401 or any(mark in lowered for mark in AUTH_MARKS):
        hint = CREDENTIALS_HINT
    elif response.status_code == 429 or any(mark in lowered for mark in THREAD_LIMIT_MARKS):
        hint = (
            "Autotask is throttling this integration (10,000 requests an hour for the whole "
            "database, 3 at once per integration code); run again later"
        )
    elif response.status_code == 403 or "permission" in lowered:
        hint = "give the API user's security level the permission named above"
    raise PsaError(
        f"Autotask answered {response.status_code} to {method} {target}"
        + (f": {text}" if text else ""),
        hint=hint,
    )
