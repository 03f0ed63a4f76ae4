"""The fake Halo authorisation server: ``GET /api/authinfo`` and ``POST /auth/token``.

Client credentials only (reference §2.1): a form-encoded POST of ``grant_type=client_credentials``,
``client_id``, ``client_secret`` and ``scope=all``, with ``?tenant=`` required when the sandbox has
a tenant (hosted Halo). The answer is ``{access_token, token_type: "Bearer", expires_in}``; a token
used after ``expires_in`` seconds, or after :meth:`Tokens.expire_all`, gets 401.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from urllib.parse import parse_qsl

from psabill.sandbox.api_messages import ApiRequest, ApiResponse, json_response
from psabill.sandbox.halopsa.data import HaloCredentials

TOKEN_LIFETIME = 3600


class Tokens:
    """Issued bearer tokens and when each expires (on ``clock``, a monotonic clock)."""

    def __init__(
        self,
        credentials: HaloCredentials,
        *,
        lifetime: int = TOKEN_LIFETIME,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.credentials, self.lifetime, self.clock = credentials, lifetime, clock
        self._expiry: dict[str, float] = {}
        self._lock = threading.Lock()
        self.issued = 0

    def authinfo(self, request: ApiRequest) -> ApiResponse:
        info: dict[str, object] = {"auth_url": request.site_url + "/auth"}
        if self.credentials.tenant:
            info["tenant_id"] = self.credentials.tenant
        return json_response(200, info)

    def token(self, request: ApiRequest) -> ApiResponse:
        if request.method != "POST":
            return json_response(405, {"error": "invalid_request"})
        form = dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
        expected = self.credentials
        if form.get("grant_type") != "client_credentials":
            return _oauth_error(400, "unsupported_grant_type")
        if expected.tenant and request.params.get("tenant", "") != expected.tenant:
            return _oauth_error(400, "invalid_request", "Tenant not found or not specified.")
        if (
            form.get("client_id") != expected.client_id
            or form.get("client_secret") != expected.client_secret
        ):
            return _oauth_error(401, "invalid_client")
        if "all" not in form.get("scope", "").split():
            return _oauth_error(400, "invalid_scope")
        value = secrets.token_urlsafe(24)
        with self._lock:
            self._expiry[value] = self.clock() + self.lifetime
            self.issued += 1
        answer = {"access_token": value, "token_type": "Bearer", "expires_in": self.lifetime}
        return json_response(200, answer)

    def valid(self, request: ApiRequest) -> bool:
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer":
            return False
        with self._lock:
            expires = self._expiry.get(value.strip())
        return expires is not None and self.clock() < expires

    def expire_all(self) -> None:
        """Make every issued token expired (the next request with one gets 401)."""
        with self._lock:
            self._expiry.clear()


def _oauth_error(status: int, error: str, description: str | None = None) -> ApiResponse:
    body = {"error": error}
    if description:
        body["error_description"] = description
    return json_response(status, body)
