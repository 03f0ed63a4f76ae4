"""A fake Sophos Central (Sophos ID token service and Partner API) behind the sandbox's transport.

Served on one loopback port (point a source's ``id_url`` and ``api_url`` at it):

======================================================  ========================================
``POST /api/v2/oauth2/token``                           form ``grant_type=client_credentials``,
                                                        ``client_id``, ``client_secret``,
                                                        ``scope=token`` -> bearer, 3600 s
``GET  /whoami/v1``                                     ``{id, idType, apiHosts: {global}}``
``GET  /partner/v1/tenants``                            page-number paging (``page``,
                                                        ``pageSize`` <= 100, ``pageTotal``)
``GET  /partner/v1/billing/usage/{year}/{month}``       key paging (``pageFromKey`` = previous
                                                        ``nextKey``), ``accountId`` filter
======================================================  ========================================

Strict where the documentation is silent: the token endpoint takes a form body only and
refuses a wrong secret with 401 ``oauth.invalid_client_secret``; partner calls need a live
token and the partner's own ``X-Partner-ID`` (else 403); a month without data, and the current
and future months (by the fake's clock), answer 404 "No data for requested year or month"; a
term tenant without Partner Assistance is refused (403). Errors carry ``correlationId`` and
``requestId``. Faults: the sandbox's :class:`~psabill.sandbox.faults.FaultPlan` (latency,
5xx, dropped connections, 429 with ``Retry-After``) through the shared transport, plus
:meth:`SophosApi.throttle` for 429 without ``Retry-After`` (counted as
``status:429:no-retry-after``).
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

from psabill.sandbox.api_messages import ApiRequest, ApiResponse, json_response
from psabill.sandbox.faults import FaultPlan
from psabill.sandbox.sophos_data import SophosWorld, Tenant

TOKEN_SECONDS = 3600
MAX_PAGE_SIZE = 100
NO_RETRY_AFTER = "status:429:no-retry-after"
_USAGE = re.compile(r"^/partner/v1/billing/usage/(\d{4})/(\d{1,2})/?$")
Clock = Callable[[], datetime]


class Refusal(Exception):
    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error, self.message = status, error, message

    def body(self, now: datetime) -> dict[str, Any]:
        return error_body(self.error, self.message, now)


class OAuthRefusal(Refusal):
    """Sophos ID's own error shape: ``{errorCode, message, trackingId}``."""

    def body(self, now: datetime) -> dict[str, Any]:
        return {"errorCode": self.error, "message": self.message, "trackingId": str(uuid.uuid4())}


def error_body(error: str, message: str, now: datetime) -> dict[str, Any]:
    """The Partner API's error body."""
    return {
        "error": error,
        "message": message,
        "correlationId": str(uuid.uuid4()),
        "code": error,
        "createdAt": now.isoformat().replace("+00:00", "Z"),
        "requestId": str(uuid.uuid4()),
        "docUrl": "https://developer.sophos.com/intro",
    }


class SophosApi:
    """Turns an :class:`ApiRequest` into the answer Sophos Central would give."""

    def __init__(self, world: SophosWorld, clock: Clock, faults: FaultPlan) -> None:
        self.world = world
        self.clock = clock
        self.faults = faults
        self.tokens_issued = 0
        self._tokens: dict[str, tuple[str, datetime]] = {}
        self._throttled = 0

    def throttle(self, times: int) -> None:
        """Answer the next ``times`` API requests 429 without ``Retry-After``."""
        with self.world.lock:
            self._throttled += times

    def handle(self, request: ApiRequest) -> ApiResponse:
        try:
            self._maybe_throttled()
            return json_response(200, self._route(request))
        except Refusal as refusal:
            return json_response(refusal.status, refusal.body(self.clock()))

    def _maybe_throttled(self) -> None:
        with self.world.lock:
            if self._throttled <= 0:
                return
            self._throttled -= 1
        self.faults.count(NO_RETRY_AFTER)
        raise Refusal(429, "TooManyRequests", "Too many requests.")

    def _route(self, request: ApiRequest) -> Any:
        path, method = request.path, request.method
        if path.rstrip("/") == "/api/v2/oauth2/token":
            return self._token(request) if method == "POST" else _not_allowed()
        if method != "GET":
            raise _not_allowed()
        client = self._authenticated(request)
        if path.rstrip("/") == "/whoami/v1":
            return self._whoami(client, request)
        self._check_partner(client, request)
        if path.rstrip("/") == "/partner/v1/tenants":
            return self._tenants(request)
        if match := _USAGE.match(path):
            return self._usage(request, int(match.group(1)), int(match.group(2)))
        raise Refusal(404, "NotFound", "Resource not found.")

    # -- Sophos ID --------------------------------------------------------------------------

    def _token(self, request: ApiRequest) -> Any:
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/x-www-form-urlencoded":
            raise _oauth(400, "oauth.invalid_request", "Expected a form-encoded body.")
        form = dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
        if form.get("grant_type") != "client_credentials":
            raise _oauth(400, "oauth.unsupported_grant_type", "Unsupported grant type.")
        if form.get("scope") != "token":
            raise _oauth(400, "oauth.invalid_scope", "Invalid scope.")
        credential = self.world.credentials.get(form.get("client_id", ""))
        if credential is None:
            raise _oauth(401, "oauth.invalid_client_id", "Unauthorized")
        if not secrets.compare_digest(credential.secret, form.get("client_secret", "")):
            raise _oauth(401, "oauth.invalid_client_secret", "Unauthorized")
        token = secrets.token_urlsafe(24)
        with self.world.lock:
            self.tokens_issued += 1
            expires = self.clock() + timedelta(seconds=TOKEN_SECONDS)
            self._tokens[token] = (form["client_id"], expires)
        return {
            "access_token": token,
            "refresh_token": secrets.token_urlsafe(16),
            "token_type": "bearer",
            "message": "OK",
            "errorCode": "success",
            "expires_in": TOKEN_SECONDS,
            "trackingId": str(uuid.uuid4()),
        }

    def _authenticated(self, request: ApiRequest) -> str:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        with self.world.lock:
            found = self._tokens.get(token) if scheme.lower() == "bearer" else None
        if found is None or found[1] <= self.clock():
            raise Refusal(
                401, "Unauthorized", "Authentication failed: the token is invalid or expired."
            )
        return found[0]

    # -- Partner API ------------------------------------------------------------------------

    def _whoami(self, client: str, request: ApiRequest) -> Any:
        credential = self.world.credentials[client]
        hosts = {"global": request.site_url}
        if credential.id_type != "partner":
            hosts["dataRegion"] = request.site_url
        return {"id": credential.id, "idType": credential.id_type, "apiHosts": hosts}

    def _check_partner(self, client: str, request: ApiRequest) -> None:
        credential = self.world.credentials[client]
        asked = request.headers.get("x-partner-id")
        if asked is None:
            raise Refusal(400, "BadRequest", "The X-Partner-ID header is required.")
        if credential.id_type != "partner" or asked != self.world.partner_id:
            raise Refusal(403, "Forbidden", "Access denied for the requested partner.")

    def _tenants(self, request: ApiRequest) -> Any:
        params = request.params
        size, page = _number(params, "pagesize", 50), _number(params, "page", 1)
        with self.world.lock:
            tenants = list(self.world.tenants)
        chosen = tenants[(page - 1) * size : page * size]
        pages: dict[str, Any] = {"current": page, "size": size, "maxSize": MAX_PAGE_SIZE}
        if params.get("pagetotal") == "true":
            pages |= {"total": max(1, -(-len(tenants) // size)), "items": len(tenants)}
        return {"items": [self._tenant_json(t, request) for t in chosen], "pages": pages}

    def _tenant_json(self, tenant: Tenant, request: ApiRequest) -> dict[str, Any]:
        return {
            "id": tenant.id,
            "name": tenant.name,
            "showAs": tenant.name,
            "dataGeography": tenant.data_geography,
            "dataRegion": tenant.data_geography.lower() + "01",
            "billingType": tenant.billing_type,
            "partner": {"id": self.world.partner_id},
            "organization": {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, tenant.id))},
            "apiHost": request.site_url,
        }

    def _usage(self, request: ApiRequest, year: int, month: int) -> Any:
        params = request.params
        today = self.clock().astimezone(UTC).date()
        if not 1 <= month <= 12:
            raise Refusal(400, "BadRequest", "Invalid month.")
        with self.world.lock:
            lines = list(self.world.usage.get((year, month), []))
            tenants = {t.id: t for t in self.world.tenants}
        if (year, month) >= (today.year, today.month) or not lines:
            raise Refusal(404, "NotFound", "No data for requested year or month")
        account = params.get("accountid")
        if account is not None:
            tenant = tenants.get(account)
            if tenant is not None and not tenant.partner_assistance:
                raise Refusal(
                    403, "Forbidden", "Partner Assistance is not enabled for this tenant."
                )
            lines = [line for line in lines if line.get("accountId") == account]
        return _key_page(lines, params)


def _key_page(lines: list[dict[str, Any]], params: dict[str, str]) -> dict[str, Any]:
    size = _number(params, "pagesize", 50)
    key = params.get("pagefromkey")
    start = 0
    if key is not None:
        if not key.startswith("k") or not key[1:].isdigit() or int(key[1:]) >= max(1, len(lines)):
            raise Refusal(400, "BadRequest", "Invalid pageFromKey.")
        start = int(key[1:])
    pages: dict[str, Any] = {"size": size, "maxSize": MAX_PAGE_SIZE}
    if key is not None:
        pages["fromKey"] = key
    if start + size < len(lines):
        pages["nextKey"] = f"k{start + size}"
    if params.get("pagetotal") == "true":
        pages |= {"total": -(-len(lines) // size), "items": len(lines)}
    return {"items": lines[start : start + size], "pages": pages}


def _number(params: dict[str, str], name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise Refusal(400, "BadRequest", f"Invalid {name}.")
    if name == "pagesize" and int(raw) > MAX_PAGE_SIZE:
        raise Refusal(400, "BadRequest", f"pageSize must be at most {MAX_PAGE_SIZE}.")
    return int(raw)


def _oauth(status: int, code: str, message: str) -> Refusal:
    return OAuthRefusal(status, code, message)


def _not_allowed() -> Refusal:
    return Refusal(405, "MethodNotAllowed", "Method not allowed.")
