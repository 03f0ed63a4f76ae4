"""The Sophos Central Partner API calls a usage read needs, and what each refusal means.

``POST {id_url}/api/v2/oauth2/token`` (form, client credentials) gives a bearer token valid for
``expires_in`` seconds (3600); ``GET {api_url}/whoami/v1`` names the partner and its API host;
every partner call carries ``X-Partner-ID``. Tenants page by number (``page``, ``pageTotal``),
usage by key (``pageFromKey`` = the previous page's ``nextKey``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from psabill.config.fields import is_loopback
from psabill.config.vendor_models import SophosSource
from psabill.errors import SourceError
from psabill.sources.vendors.oauth import TokenCache
from psabill.sources.vendors.paging import by_key, by_page_number
from psabill.sources.vendors.period import UsageMonth
from psabill.sources.vendors.session import Answer, VendorSession

SERVICE = "Sophos Central"
PAGE_SIZE = 100
CREDENTIALS_HINT = (
    "check client_id and client_secret of this source: a Partner API credential from "
    "Sophos Central Partner > Settings & Policies > API Credentials"
)


@dataclass(frozen=True)
class Missing:
    """What a 404 means for one request."""

    message: str
    hint: str


@dataclass(frozen=True)
class Partner:
    id: str
    api_host: str


class SophosApi:
    """One source's authenticated conversation with Sophos Central."""

    def __init__(self, source: SophosSource, session: VendorSession) -> None:
        self.source = source
        self.session = session
        secret = source.client_secret.get_secret_value()
        self._token_key = TokenCache.key(source.id_url, source.client_id, secret)

    # -- token and partner ----------------------------------------------------------------

    async def bearer(self) -> dict[str, str]:
        runtime = self.session.runtime
        token = await runtime.tokens.get(self._token_key, runtime.wall(), self._new_token)
        return {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    async def _new_token(self) -> tuple[str, float]:
        source, session = self.source, self.session
        secret = source.client_secret.get_secret_value().strip()
        if not secret:
            raise session.fail("client_secret is empty", hint="check the variable or file it names")
        form = {"grant_type": "client_credentials", "client_id": source.client_id}
        form |= {"client_secret": secret, "scope": "token"}
        url = f"{source.id_url}/api/v2/oauth2/token"
        service = f"Sophos ID ({urlsplit(url).netloc})"
        answer = await session.post_form(url, form, what=urlsplit(url).path, service=service)
        return self._token_of(answer)

    def _token_of(self, answer: Answer) -> tuple[str, float]:
        body = answer.body if isinstance(answer.body, dict) else {}
        if answer.status in (400, 401):
            raise self.session.fail(
                f"Sophos ID refused the client credentials ({refusal(answer)})",
                hint=CREDENTIALS_HINT,
            )
        if answer.status == 429:
            raise self.session.fail(
                f"Sophos ID kept answering 429 Too Many Requests ({refusal(answer)})",
                hint="try again later; psabill waited as long as the run's retry budget allows",
            )
        token, expires = body.get("access_token"), body.get("expires_in")
        if not answer.ok or not isinstance(token, str) or not token:
            raise self.session.fail(f"Sophos ID gave no access token ({refusal(answer)})")
        seconds = expires if isinstance(expires, int | float) and expires > 0 else 0
        return token, float(seconds)

    async def partner(self) -> Partner:
        """The configured partner id on ``api_url``, or the one ``whoami`` names, on its host."""
        if self.source.partner_id:
            return Partner(self.source.partner_id, self.source.api_url)
        answer = await self.call(f"{self.source.api_url}/whoami/v1", {}, "GET /whoami/v1", None)
        body = answer.body if isinstance(answer.body, dict) else {}
        kind, ident = body.get("idType"), body.get("id")
        if kind != "partner":
            raise self.session.fail(
                f"the API credential belongs to a {kind or 'unknown'!s}, not a partner "
                "(whoami idType)",
                hint="create the credential in Sophos Central Partner (not in a customer's "
                "or an organization's Sophos Central)",
            )
        hosts = body.get("apiHosts")
        host = hosts.get("global") if isinstance(hosts, dict) else None
        if not isinstance(ident, str) or not ident or not isinstance(host, str):
            raise self.session.fail("whoami named no partner id or API host")
        return Partner(ident, self._checked_host(host))

    def _checked_host(self, host: str) -> str:
        parts = urlsplit(host)
        loopback = is_loopback(parts.hostname or "")
        if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
            raise self.session.fail(f"whoami named API host {host!r}, which is not https://")
        return host.rstrip("/")

    # -- partner calls --------------------------------------------------------------------

    async def call(
        self,
        url: str,
        params: dict[str, str],
        what: str,
        partner: Partner | None,
        missing: Missing | None = None,
    ) -> Answer:
        """GET with the bearer token (and ``X-Partner-ID``); a refusal raises SourceError,
        a 404 the ``missing`` message when one is given. A 401 drops the cached token and is
        tried once more with a new one: a token the cache still thought valid may have been
        revoked, or issued by a server that has since forgotten it."""
        answer = await self._get(url, params, what, partner)
        if answer.status == 401:
            self.session.runtime.tokens.forget(self._token_key)
            answer = await self._get(url, params, what, partner)
        if answer.ok and isinstance(answer.body, dict):
            return answer
        if answer.status == 401:
            self.session.runtime.tokens.forget(self._token_key)
        if answer.status == 404 and missing is not None:
            raise self.session.fail(f"{missing.message} ({refusal(answer)})", missing.hint)
        raise self._refused(answer, what, partner)

    async def _get(
        self, url: str, params: dict[str, str], what: str, partner: Partner | None
    ) -> Answer:
        headers = await self.bearer()
        if partner is not None:
            headers["X-Partner-ID"] = partner.id
        return await self.session.get(url, params=params, headers=headers, what=what)

    def _refused(self, answer: Answer, what: str, partner: Partner | None) -> SourceError:
        status, why = answer.status, refusal(answer)
        if answer.ok:
            return self.session.fail(f"{what}: the answer is not a JSON object")
        if status == 401:
            return self.session.fail(
                f"{SERVICE} refused the access token ({why})", CREDENTIALS_HINT
            )
        if status == 403 and partner is not None:
            return self.session.fail(
                f"{SERVICE} refused partner {partner.id!r} for {what} ({why})",
                hint="check partner_id (or remove it: psabill asks whoami), and that the "
                "credential is a Partner API credential",
            )
        if status == 429:
            return self.session.fail(
                f"{SERVICE} kept answering 429 Too Many Requests to {what} ({why})",
                hint="try again later; psabill waited as long as the run's retry budget allows",
            )
        return self.session.fail(f"{what}: {SERVICE} answered {why}")

    async def tenants(self, partner: Partner) -> dict[str, str]:
        """Tenant id -> name, every page."""
        url = f"{partner.api_host}/partner/v1/tenants"

        async def page(number: int) -> tuple[list[Any], int]:
            params = {"page": str(number), "pageSize": str(PAGE_SIZE), "pageTotal": "true"}
            body = (await self.call(url, params, "GET /partner/v1/tenants", partner)).body
            return _items(body), _int(_pages(body).get("total"), 1)

        names: dict[str, str] = {}
        for tenant in await by_page_number(page, f"{self.session.label}: tenants"):
            if isinstance(tenant, dict) and isinstance(tenant.get("id"), str):
                name = tenant.get("name") or tenant.get("showAs")
                names[tenant["id"]] = name if isinstance(name, str) else tenant["id"]
        return names

    async def usage(self, partner: Partner, month: UsageMonth) -> list[Any]:
        """Every usage line of ``month``; 404 (not published) raises SourceError."""
        path = f"/partner/v1/billing/usage/{month.year}/{month.month}"
        what = f"GET {path}"
        missing = unpublished(self.source, month)

        async def page(key: str | None) -> tuple[list[Any], str | None]:
            params = {"pageSize": str(PAGE_SIZE), "pageTotal": "true"}
            if key:
                params["pageFromKey"] = key
            answer = await self.call(partner.api_host + path, params, what, partner, missing)
            next_key = _pages(answer.body).get("nextKey")
            return _items(answer.body), next_key if isinstance(next_key, str) else None

        return await by_key(page, f"{self.session.label}: usage {month.label}")


def unpublished(source: SophosSource, month: UsageMonth) -> Missing:
    """What a 404 for ``month``'s usage means, and what to do about it."""
    if source.usage_month == "current":
        hint = (
            "Sophos publishes a month's usage after it ends; to bill early in the next month, "
            'set usage_month = "previous" on this source'
        )
    else:
        hint = "Sophos has not published it yet (only MSP Flex tenants have usage); try later"
    return Missing(f"usage for {month.label} is not published yet", hint)


def refusal(answer: Answer) -> str:
    """``HTTP 403 Forbidden: <message> (requestId ...)`` from any Sophos error body, one line."""
    body = answer.body if isinstance(answer.body, dict) else {}
    code = body.get("errorCode") or body.get("code") or body.get("error")
    text = f"HTTP {answer.status}"
    if isinstance(code, str) and code:
        text += f" {_clip(code)}"
    message = body.get("message")
    if isinstance(message, str) and message:
        text += f": {_clip(message)}"
    for ref in ("requestId", "correlationId", "trackingId"):
        if isinstance(body.get(ref), str):
            return f"{text}; {ref} {_clip(body[ref])}"
    return text


def _clip(text: str, limit: int = 120) -> str:
    flat = "".join(c if c.isprintable() else " " for c in text).strip()
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _items(body: Any) -> list[Any]:
    items = body.get("items") if isinstance(body, dict) else None
    return items if isinstance(items, list) else []


def _pages(body: Any) -> dict[str, Any]:
    pages = body.get("pages") if isinstance(body, dict) else None
    return pages if isinstance(pages, dict) else {}


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default
