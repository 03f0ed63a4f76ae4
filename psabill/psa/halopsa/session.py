"""HaloPSA plumbing over :class:`~psabill.psa.http.HttpClient`: the client-credentials token,
lists paged by ``pageinate``/``page_size``/``page_no``, single records, and errors turned into
:class:`~psabill.errors.PsaError` (reference §2.1, §2.2, §2.5).

The token: ``GET {url}/api/authinfo`` names the authorisation server (else ``{url}/auth``) and,
for hosted Halo, the tenant; ``POST {auth}/token[?tenant=]`` with the client id and secret gives
a bearer token for ``expires_in`` seconds. It is renewed :data:`REFRESH_MARGIN` seconds before it
expires, and once more when a request is refused with 401 (a token revoked early).

Throttling: hosted Halo counts 300 requests per rolling 5 minutes for the whole tenant. The HTTP
client's retries give up on a ``Retry-After`` longer than two minutes, and a backoff of seconds
cannot outlast a 5-minute window (HaloAPI issue #31), so a 429 that comes back is waited out here,
up to :data:`THROTTLE_BUDGET` seconds in all; a throttled request was not processed, so resending
any request, a write included, is safe.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import httpx

from psabill.config.connection_models import HaloPsa
from psabill.errors import PsaError
from psabill.psa.http import HttpClient
from psabill.psa.pacing import Monotonic, Sleep, parse_retry_after, utc_now

REFRESH_MARGIN = 60.0
PAGE = 500
MAX_PAGES = 10_000
THROTTLE_BUDGET = 330.0
"""Seconds of 429 waits one request may sit out: a whole 5-minute window and some slack."""
THROTTLE_PAUSE = 60.0
"""The wait after a 429 without a usable ``Retry-After``."""
CREDENTIALS_HINT = (
    "check psa.client_id and psa.client_secret (Configuration > Integrations > Halo API > "
    "your application) and, for hosted Halo, psa.tenant"
)


def base_url(url: str) -> str:
    """``https://host`` from a URL or a bare host name, without a trailing slash."""
    text = url.strip().rstrip("/")
    return text if "://" in text else f"https://{text}"


class HaloSession:
    """Authenticated calls to one Halo instance as one API application."""

    def __init__(
        self, psa: HaloPsa, http: HttpClient, *, monotonic: Monotonic, sleep: Sleep
    ) -> None:
        self.psa, self.http = psa, http
        self.site = base_url(psa.url)
        self.api = self.site + "/api"
        self._monotonic, self._sleep = monotonic, sleep
        self._token: str | None = None
        self._expires = 0.0
        self._token_lock = asyncio.Lock()
        self.tokens_fetched = 0

    # -- the token -----------------------------------------------------------------------------

    async def token(self) -> str:
        async with self._token_lock:
            if self._token is not None and self._monotonic() < self._expires - REFRESH_MARGIN:
                return self._token
            auth_url, tenant = await self._authinfo()
            params = {"tenant": tenant} if tenant else None
            form = {
                "grant_type": "client_credentials",
                "client_id": self.psa.client_id,
                "client_secret": self.psa.client_secret.get_secret_value(),
                "scope": "all",
            }
            asked = self._monotonic()
            response = await self.http.request(
                "POST",
                auth_url.rstrip("/") + "/token",
                params=params,
                data=form,
                idempotent=True,
                target="auth/token",
            )
            payload = _json(response)
            value = payload.get("access_token") if isinstance(payload, dict) else None
            if response.status_code >= 400 or not isinstance(value, str) or not value:
                raise _token_refused(response, payload)
            lifetime = payload.get("expires_in")
            seconds = float(lifetime) if isinstance(lifetime, int | float) else 3600.0
            self._token, self._expires = value, asked + seconds
            self.tokens_fetched += 1
            return value

    async def _authinfo(self) -> tuple[str, str | None]:
        """The authorisation server and tenant: ``authinfo``'s, else ``{url}/auth`` and the
        configured tenant (which always wins)."""
        auth_url, tenant = self.site + "/auth", self.psa.tenant
        try:
            response = await self.http.request("GET", self.api + "/authinfo", target="authinfo")
        except PsaError:
            return auth_url, tenant
        payload = _json(response) if response.status_code == 200 else None
        if isinstance(payload, dict):
            found = payload.get("auth_url")
            auth_url = found if isinstance(found, str) and found else auth_url
            named = payload.get("tenant_id")
            tenant = tenant or (named if isinstance(named, str) and named else None)
        return auth_url, tenant

    def forget(self, token: str) -> None:
        if self._token == token:
            self._token = None

    # -- calls ---------------------------------------------------------------------------------

    async def call(
        self,
        method: str,
        resource: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        idempotent: bool | None = None,
        missing_ok: bool = False,
    ) -> Any:
        """The JSON answer of ``method /api/{resource}``; ``None`` for a 404 when
        ``missing_ok``. A 401 renews the token once."""
        label = f"{method} {resource}"
        for attempt in (1, 2):
            token = await self.token()
            headers = {"Authorization": f"Bearer {token}"}
            response = await self._throttled(method, resource, params, body, headers, idempotent)
            if response.status_code == 401 and attempt == 1:
                self.forget(token)
                continue
            break
        if response.status_code == 404 and missing_ok:
            return None
        payload = _json(response)
        if response.status_code >= 400:
            raise _refused(response, label)
        if payload is None:
            raise PsaError(f"HaloPSA answered {label} with something other than JSON")
        return payload

    async def _throttled(
        self,
        method: str,
        resource: str,
        params: Mapping[str, str] | None,
        body: Any,
        headers: dict[str, str],
        idempotent: bool | None,
    ) -> httpx.Response:
        waited = 0.0
        while True:
            response = await self.http.request(
                method,
                f"{self.api}/{resource}",
                params=params,
                json=body,
                headers=headers,
                idempotent=idempotent,
                target=resource,
            )
            if response.status_code != 429:
                return response
            asked = parse_retry_after(response.headers.get("Retry-After"), utc_now())
            pause = THROTTLE_PAUSE if asked is None else max(asked, 1.0)
            if waited + pause > THROTTLE_BUDGET:
                return response
            waited += pause
            self.http.pacer.pause(pause)
            await self._sleep(pause)

    async def rows(self, resource: str, key: str, params: Mapping[str, str]) -> list[Any]:
        """Every record of a list, page by page, until ``record_count`` are in (or a page is
        empty): the page Halo serves may be smaller than the ``page_size`` asked."""
        found: list[Any] = []
        for page in range(1, MAX_PAGES + 1):
            query = {**params, "pageinate": "true", "page_size": str(PAGE), "page_no": str(page)}
            payload = await self.call("GET", resource, params=query)
            batch = payload.get(key) if isinstance(payload, dict) else None
            if not isinstance(batch, list):
                raise PsaError(f"HaloPSA answered GET {resource} without its {key!r} list")
            found.extend(batch)
            total = payload.get("record_count")
            if not batch or (isinstance(total, int) and len(found) >= total):
                return found
        raise PsaError(f"HaloPSA kept paging {resource} past {MAX_PAGES} pages")


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _excerpt(response: httpx.Response) -> str:
    if "html" in response.headers.get("content-type", ""):
        return ""
    return " ".join(response.text.split())[:300]


def _refused(response: httpx.Response, label: str) -> PsaError:
    status, text = response.status_code, _excerpt(response)
    message = f"HaloPSA answered {status} to {label}" + (f": {text}" if text else "")
    hints = {
        401: CREDENTIALS_HINT,
        403: "give the API application's agent permission for this (Configuration > Teams & "
        "Agents: billing and recurring invoices), and check the application's permissions",
        429: "HaloPSA is throttling this tenant (300 requests per 5 minutes on hosted Halo); "
        "run again later or lower psa.rate_limit",
    }
    return PsaError(message, hint=hints.get(status))


def _token_refused(response: httpx.Response, payload: Any) -> PsaError:
    error = payload.get("error") if isinstance(payload, dict) else None
    detail = payload.get("error_description") if isinstance(payload, dict) else None
    said = ": ".join(str(part) for part in (error, detail) if part)
    return PsaError(
        f"HaloPSA refused a token ({response.status_code}" + (f", {said})" if said else ")"),
        hint=CREDENTIALS_HINT,
    )
