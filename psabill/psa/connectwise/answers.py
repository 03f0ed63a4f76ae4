"""ConnectWise error answers -> ``PsaError`` sentences with a hint a user can act on.

Endpoints are named relative to ``apis/3.0`` and without the query string. Any text the server
sends back is passed through :class:`Redactor` first, so an echo of the credentials can never
reach a message. A 403's hint names the security role setting as ``psabill doctor`` does
(:mod:`.roles`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import httpx

from psabill.errors import PsaError
from psabill.psa.connectwise import roles

CREDENTIALS_HINT = "check psa.company, psa.public_key and psa.private_key"
UNEXPECTED_HINT = (
    "is psa.site a ConnectWise server? A proxy or an unsupported API version may be in between"
)


class Redactor:
    """Blanks out secrets (private key, public key, Authorization token) in any text."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self._secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


def status_error(
    response: httpx.Response, method: str, endpoint: str, *, cloud: bool, redact: Redactor
) -> PsaError:
    """The ``PsaError`` for a non-2xx answer to ``method endpoint``; the server's own words,
    redacted, end the message."""
    detail = redact(server_message(response))
    message, hint = _explain(response.status_code, method, endpoint, detail, cloud=cloud)
    return PsaError(f"{message}: {detail}" if detail else message, hint=hint)


def _explain(
    status: int, method: str, endpoint: str, detail: str, *, cloud: bool
) -> tuple[str, str | None]:
    """What a status means for ``method endpoint``, and what the user can do about it."""
    where = f"{method} {endpoint}"
    if status == 401:
        message = f"ConnectWise refused the API credentials (401) on {where}"
        return message, _credentials_hint(detail)
    if status == 403:
        return f"the API member may not {where} (403)", _role_hint(method, endpoint)
    if status == 404:
        return f"ConnectWise found nothing at {where} (404)", _not_found_hint(cloud)
    if status == 429:
        message = f"ConnectWise kept throttling psabill (429) on {where}"
        return message, "lower psa.rate_limit or psa.concurrency, or run again later"
    if status >= 500:
        message = f"ConnectWise failed with HTTP {status} on {where}"
        return message, "the PSA may be down or overloaded; run again later"
    return f"ConnectWise refused {where} (HTTP {status})", _hint_for(status)


def _credentials_hint(detail: str) -> str:
    if "clientid" in detail.lower():
        return "check psa.client_id (the clientId from developer.connectwise.com)"
    return CREDENTIALS_HINT


def _role_hint(method: str, endpoint: str) -> str:
    """The fix ``psabill doctor`` gives for the same refusal, word for word."""
    setting = roles.setting_for(method, endpoint)
    if setting is None:
        return f"in ConnectWise, {roles.ROLE_SCREEN}: allow what {method} {endpoint} needs"
    return roles.fix(setting)


def _not_found_hint(cloud: bool) -> str:
    if cloud:
        return (
            "on ConnectWise cloud a 404 may also mean that the codebase or the credentials "
            "are wrong: check psa.codebase (or leave it unset), psa.company and the keys"
        )
    return "check the record still exists in ConnectWise"


def server_message(response: httpx.Response) -> str:
    """The server's own words: ``message`` plus each ``errors[]`` field and message.

    Empty when the body is not a ConnectWise error (an HTML page from a proxy, for example).
    """
    try:
        body: Any = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return ""
    if not isinstance(body, dict):
        return ""
    parts = [str(body["message"])] if isinstance(body.get("message"), str) else []
    for issue in body.get("errors") or []:
        if isinstance(issue, dict):
            field, message = issue.get("field"), issue.get("message")
            parts.append(f"{field}: {message}" if field else str(message))
    return "; ".join(parts)[:1000]


def _hint_for(status: int) -> str | None:
    if status == 400:
        return "ConnectWise rejected the values psabill sent; the message names the field"
    if status == 409:
        return "the record is possibly in use in ConnectWise; run again later"
    return None


def unexpected(endpoint: str, problem: str, *, write: bool = False) -> PsaError:
    hint = UNEXPECTED_HINT
    if write:
        hint = f"the change may have been made: check in ConnectWise before running again ({hint})"
    return PsaError(
        f"ConnectWise returned an unexpected response from {endpoint}: {problem}", hint=hint
    )
