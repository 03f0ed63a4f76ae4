"""HTTP sources against a real loopback server: success, refusals, and the token kept secret."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest

from psabill.config.source_models import Source
from psabill.errors import SourceError
from psabill.sources import read_source

from .conftest import Loopback, Reply
from .support import make_source, quantities

TOKEN = "s3cret-T0ken-value"
USAGE = {"usage": [{"customer_id": "acme", "sku": "LP-BUS", "quantity": 40}]}


def http(url: str, **fields: Any) -> Source:
    return make_source(**{"kind": "http", "name": "api", "url": url, "token": TOKEN} | fields)


def unvalidated_http(url: str) -> Source:
    """A plain-http remote source `config validate` would refuse: the reader refuses it too."""
    valid = http("https://placeholder.example/usage")
    return valid.model_copy(update={"url": url})


def error_of(source: Source) -> SourceError:
    with pytest.raises(SourceError) as info:
        read_source(source, base_dir=Path("."), env={})
    error = info.value
    for text in (error.message, error.hint or "", repr(error), str(error.args)):
        assert TOKEN not in text
    return error


def test_reads_json_and_sends_the_token_as_bearer(loopback: Loopback) -> None:
    loopback.replies["/usage"] = Reply(body=json.dumps(USAGE).encode())
    records = read_source(http(loopback.url("/usage")), base_dir=Path("."), env={})
    assert quantities(records) == {("acme", "LP-BUS"): "40"}
    assert records[0].location == "http api: usage[0]"
    (request,) = loopback.requests
    assert request["authorization"] == f"Bearer {TOKEN}"
    assert request["accept"] == "application/json"


def test_no_token_no_authorization_header(loopback: Loopback) -> None:
    loopback.replies["/usage"] = Reply(body=b"[]")
    assert read_source(http(loopback.url("/usage"), token=None), base_dir=Path("."), env={}) == ()
    assert "authorization" not in loopback.requests[0]


@pytest.mark.parametrize(
    ("reply", "message", "hint"),
    [
        (Reply(500, b"boom", "text/plain"), "HTTP 500 Internal Server Error", None),
        (Reply(401, b"{}"), "HTTP 401 Unauthorized", "check the token of this source"),
        (
            Reply(302, b"", headers={"Location": "https://other.example/u?key=zz"}),
            "HTTP 302 Found to https://other.example/u (redirects are not followed)",
            "set the url of this source to the address it redirects to",
        ),
    ],
)
def test_non_2xx_is_an_error_with_the_status(
    loopback: Loopback, reply: Reply, message: str, hint: str | None
) -> None:
    loopback.replies["/usage"] = reply
    error = error_of(http(loopback.url("/usage?api_key=hidden")))
    assert error.message == f"http api: {loopback.url('/usage')}: {message}"
    assert error.hint == hint
    assert "hidden" not in error.message


def test_non_json_response(loopback: Loopback) -> None:
    loopback.replies["/usage"] = Reply(body=b"<html>login</html>", content_type="text/html")
    error = error_of(http(loopback.url("/usage")))
    assert error.message == "http api: the response is not JSON (text/html)"


def test_broken_json_with_json_content_type_names_the_position(loopback: Loopback) -> None:
    loopback.replies["/usage"] = Reply(body=b'{"usage": [}')
    assert error_of(http(loopback.url("/usage"))).message == (
        "http api:1:12: not valid JSON: Expecting value"
    )


def test_bad_record_fails_the_source(loopback: Loopback) -> None:
    body = {"usage": [*USAGE["usage"], {"customer_id": "b", "sku": "S", "quantity": -1}]}
    loopback.replies["/usage"] = Reply(body=json.dumps(body).encode())
    assert error_of(http(loopback.url("/usage"))).message == (
        "http api: usage[1].quantity: -1 is negative"
    )


@pytest.mark.parametrize(
    "url", ["http://example.com/usage", "http://10.0.0.8:8080/usage", "http://128.0.0.1/"]
)
def test_plain_http_to_a_remote_host_is_refused_before_any_request(url: str) -> None:
    error = error_of(unvalidated_http(url))
    assert error.message.endswith(": https:// is required (plain http only for a loopback host)")
    assert error.hint == "change the url of this source to https://"


def test_user_info_in_the_url_is_not_shown() -> None:
    error = error_of(unvalidated_http("http://user:pw@example.com/usage"))
    assert error.message.startswith("http api: http://example.com/usage: https:// is required")


def test_unreachable_server() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    error = error_of(http(f"http://127.0.0.1:{port}/usage"))
    assert error.message.startswith(f"http api: cannot get http://127.0.0.1:{port}/usage: ")
    assert error.hint is not None


def test_timeout(loopback: Loopback) -> None:
    loopback.replies["/slow"] = Reply(delay=2.0)
    error = error_of(http(loopback.url("/slow"), timeout=1))
    assert error.message == f"http api: {loopback.url('/slow')}: timed out after 1 s"


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("   ", "http api: token is empty"),
        (f"{TOKEN}\nX-Evil: 1", "http api: token has characters an HTTP header cannot carry"),
    ],
)
def test_unusable_tokens_are_refused_without_showing_them(
    loopback: Loopback, token: str, message: str
) -> None:
    loopback.replies["/usage"] = Reply()
    assert error_of(http(loopback.url("/usage"), token=token)).message == message
    assert loopback.requests == []
