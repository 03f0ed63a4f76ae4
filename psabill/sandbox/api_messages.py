"""One exchange with the sandbox's REST surface: the request and response values, and the
answers every route shares.

:class:`ApiRequest` and :class:`ApiResponse` are what :mod:`psabill.sandbox.transport` hands
:class:`~psabill.sandbox.api.ConnectWiseApi` and gets back: plain values, no sockets. The helpers
here build the answers that belong to no one resource: a JSON body, the ``Content-Type`` that
names the served version, ConnectWise's 405, IIS's 404.15 for an over-long query string, and the
415/400 for a body that is not JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from psabill.sandbox import versions
from psabill.sandbox.api_errors import ApiError

JSON_TYPE = "application/json; charset=utf-8"


@dataclass(frozen=True)
class ApiRequest:
    method: str
    path: str
    """The request path as received (still percent-encoded), without the query string."""
    query: tuple[tuple[str, str], ...]
    headers: Mapping[str, str]
    """Header names in lower case."""
    body: bytes = b""
    site_url: str = "http://127.0.0.1"
    raw_query: str | None = None
    """The query string exactly as received; ``None`` when the transport does not pass it."""

    @property
    def params(self) -> dict[str, str]:
        """Query parameters by lower-cased name (the last occurrence wins)."""
        return {key.lower(): value for key, value in self.query}

    @property
    def query_length(self) -> int:
        """Bytes of the query string as received or, without it, percent-encoded in full
        (``%20`` for a space): never shorter than what a usual client sent."""
        if self.raw_query is not None:
            return len(self.raw_query.encode("utf-8"))
        return len(urlencode(self.query, quote_via=quote))


@dataclass
class ApiResponse:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)


def json_response(
    status: int, payload: Any, headers: list[tuple[str, str]] | None = None
) -> ApiResponse:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return ApiResponse(status, body, [("Content-Type", JSON_TYPE), *(headers or [])])


def versioned(response: ApiResponse) -> ApiResponse:
    """``response`` labelled with the served version (an answer without a body stays bare)."""
    if response.body:
        others = [(k, v) for k, v in response.headers if k.lower() != "content-type"]
        response.headers = [("Content-Type", versions.CONTENT_TYPE), *others]
    return response


def method_not_allowed(method: str, allowed: list[str]) -> ApiResponse:
    message = f"The requested resource does not support http method '{method}'."
    response = json_response(405, ApiError(405, "MethodNotAllowed", message).body())
    response.headers.append(("Allow", ", ".join(allowed)))
    return response


def query_string_too_long() -> ApiResponse:
    """IIS 10's detailed error page for request filtering's ``maxQueryString`` (HTTP 404.15)."""
    page = (
        "<!DOCTYPE html>\n<html><head><title>IIS 10.0 Detailed Error - 404.15 - Not Found</title>"
        "</head><body><h3>HTTP Error 404.15 - Not Found</h3><h4>The request filtering module is"
        " configured to deny a request where the query string is too long.</h4></body></html>\n"
    )
    return ApiResponse(404, page.encode(), [("Content-Type", "text/html")])


def json_body(request: ApiRequest) -> Any:
    """The request's JSON body; 415 unless it is sent as JSON, 400 unless it parses."""
    content_type = request.headers.get("content-type", "")
    if "json" not in content_type.lower():
        message = (
            f"Content-Type {content_type or '(none)'} is not supported; send application/json."
        )
        raise ApiError(415, "UnsupportedMediaType", message)
    try:
        return json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ApiError(
            400, "InvalidObject", f"The request body is not valid JSON: {error}."
        ) from None
