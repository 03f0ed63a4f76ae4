"""Monitoring pings against a real loopback server: right URLs, and failures only warn."""

from __future__ import annotations

import logging
import time

import pytest

from psabill.config.ops_models import Monitoring
from psabill.ops.monitor import ping, ping_target, shown
from tests.ops.support import dead_url, ping_server

SECRET = "5f1c0d2e-secret-uuid"


@pytest.mark.parametrize(
    ("state", "suffix"), [("start", "/start"), ("success", ""), ("fail", "/fail")]
)
def test_each_state_gets_its_healthchecks_path(state: str, suffix: str) -> None:
    with ping_server() as server:
        assert ping(Monitoring(ping_url=server.url), state) is None
    assert server.hits == [("GET", f"/ping/{SECRET}{suffix}")]


def test_a_trailing_slash_is_not_doubled() -> None:
    assert ping_target("https://hc-ping.com/abc/", "start") == "https://hc-ping.com/abc/start"
    assert ping_target("https://hc-ping.com/abc", "success") == "https://hc-ping.com/abc"


def test_no_url_means_no_ping() -> None:
    assert ping(Monitoring(), "start") is None


def test_a_server_that_is_down_is_a_warning_without_the_secret() -> None:
    warning = ping(Monitoring(ping_url=dead_url()), "fail")
    assert warning is not None
    assert warning.startswith("monitoring ping 'fail' to http://127.0.0.1:")
    assert "run itself is unaffected" in warning
    assert SECRET not in warning


def test_a_slow_server_is_given_up_on_after_the_timeout() -> None:
    with ping_server(slow=True) as server:
        started = time.monotonic()
        warning = ping(Monitoring(ping_url=server.url, timeout=1), "start")
        elapsed = time.monotonic() - started
    assert warning is not None
    assert "no answer within 1s" in warning
    assert SECRET not in warning
    assert elapsed < 5


@pytest.mark.parametrize("status", [404, 500])
def test_an_error_status_is_a_warning(status: int) -> None:
    with ping_server(status) as server:
        warning = ping(Monitoring(ping_url=server.url), "success")
    assert warning is not None
    assert f"HTTP {status}" in warning
    assert SECRET not in warning


def test_an_unusable_url_is_a_warning_not_an_exception() -> None:
    warning = ping(Monitoring(ping_url="http://[::1"), "start")
    assert warning is not None
    assert "monitoring ping 'start'" in warning


def test_an_unknown_state_is_reported_not_sent() -> None:
    with ping_server() as server:
        assert ping(Monitoring(ping_url=server.url), "finish") is not None
    assert server.hits == []


def test_httpx_request_logs_never_show_the_secret(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with ping_server() as server:
        ping(Monitoring(ping_url=server.url), "start")
    assert any(r.name == "httpx" for r in caplog.records), "httpx logs each request at INFO"
    assert SECRET not in caplog.text
    assert "http://127.0.0.1" in caplog.text


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://hc-ping.com/5f1c0d2e", "https://hc-ping.com"),
        ("https://user:pw@ping.example:8443/a/b?c=d", "https://ping.example:8443"),
        ("http://[::1]:8000/x", "http://[::1]:8000"),
    ],
)
def test_shown_keeps_only_scheme_host_and_port(url: str, expected: str) -> None:
    assert shown(url) == expected
