"""Run summaries to Apprise URLs: a real HTTP receiver on loopback (Apprise's ``json://``).

Same outbox guarantees as mail: queued with the run, retried while the receiver is down,
reported when stuck; the URL (with its token) never shows in output, logs or the ledger.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from psabill.config.loader import LoadedConfig
from psabill.notify import after_run, flush_outbox, retry_pending
from psabill.notify.apprise_channel import mask_url, scrub
from psabill.state import ledger_path
from tests.e2e.conftest import World
from tests.e2e.conftest import world as world
from tests.notify.support import (
    DUE_AT,
    base_config,
    free_port,
    loaded,
    pending,
    recorded_report,
)

TOKEN = "hook-T0KEN-8d1e5f2a9c"
PASSWORD = "basic-Pa55-for-the-hook"


@dataclass
class Receiver:
    """A loopback HTTP server that keeps every JSON body POSTed to it."""

    port: int
    posts: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    def url(self, path: str = TOKEN) -> str:
        return f"json://psabill:{PASSWORD}@127.0.0.1:{self.port}/{path}"

    def start(self) -> Receiver:
        posts = self.posts

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                posts.append((self.path, json.loads(self.rfile.read(length))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver(free_port()).start()
    yield running
    running.stop()


def chat_config(tmp_path: Path, url: str, **smtp: Any) -> LoadedConfig:
    data = base_config(smtp=smtp or None)
    data["notify"] = {"emails": "billing@northwind.example", "urls": [url]}
    if not smtp:
        data["notify"] |= {"transport": "folder", "folder": "mail"}
    return loaded(tmp_path, data)


def test_the_run_summary_arrives_at_the_url(tmp_path: Path, receiver: Receiver) -> None:
    config = chat_config(tmp_path, receiver.url())
    state = tmp_path / "state"
    events = after_run(config, state, recorded_report(state, config.config), DUE_AT)
    shown = [str(e) for e in events]
    masked = f"json://****@127.0.0.1:{receiver.port}/****"
    assert f"summary notification sent to {masked}" in shown
    ((path, body),) = receiver.posts
    assert path == f"/{TOKEN}"
    assert body["title"] == "psabill: Northwind MSP 2026-11, 2026-12 — partial: 2 updated, 2 failed"
    assert body["type"] == "warning"
    message = body["message"]
    assert message.startswith("PARTIAL: 2 updated, 2 failed\n")
    assert "Failures (2):" in message
    assert "- Acme Dental Group / LP: several active additions (#1, #2)" in message
    assert pending(state) == []


def test_a_receiver_that_is_down_keeps_it_queued_until_it_is_back(tmp_path: Path) -> None:
    down = Receiver(free_port())  # nothing listens there yet
    config = chat_config(tmp_path, down.url())
    state = tmp_path / "state"
    events = after_run(config, state, recorded_report(state, config.config), DUE_AT)
    (queued,) = [e for e in events if e.problem]
    assert queued.status == "queued"
    assert queued.via == "Apprise"
    assert str(queued).startswith(
        "warning: summary notification queued in the outbox (Apprise failed: json://****@127.0.0.1:"
    )
    assert "`psabill notify flush` resends it" in str(queued)
    (waiting,) = pending(state)
    assert waiting.attempts == 1
    assert waiting.last_error is not None
    assert "Connection error" in waiting.last_error
    assert retry_pending(config, state, DUE_AT)[0].status == "queued"  # still down: retried
    assert down.posts == []
    down.start()
    try:
        result = flush_outbox(config, state, DUE_AT)
    finally:
        down.stop()
    assert [a.record.id for a in result.sent] == [waiting.id]
    assert len(down.posts) == 1
    assert pending(state) == []
    assert flush_outbox(config, state, DUE_AT).attempts == []  # never sent twice


def test_a_mail_outage_does_not_hold_back_the_chat_message(
    tmp_path: Path, receiver: Receiver
) -> None:
    config = chat_config(
        tmp_path, receiver.url(), host="127.0.0.1", port=free_port(), security="none",
        sender="psabill@northwind.example", timeout=5,
    )  # fmt: skip
    state = tmp_path / "state"
    events = after_run(config, state, recorded_report(state, config.config), DUE_AT)
    chat = [e.status for e in events if e.label == "summary notification"]
    assert chat == ["sent"]
    assert len(receiver.posts) == 1
    mail = [e.status for e in events if e.label.startswith("summary email")]
    assert mail
    assert set(mail) == {"queued"}
    assert len(pending(state)) == len(mail)  # the emails wait; the chat message went


def test_secrets_never_show_in_events_logs_or_the_ledger(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    down = Receiver(free_port())
    config = chat_config(tmp_path, down.url())
    state = tmp_path / "state"
    with caplog.at_level(logging.DEBUG):
        events = after_run(config, state, recorded_report(state, config.config), DUE_AT)
        retry_pending(config, state, DUE_AT)
    texts = [str(e) for e in events] + [r.getMessage() for r in caplog.records]
    assert any("not delivered" in t for t in texts)  # the failure was logged, masked
    for secret in (TOKEN, PASSWORD):
        assert not [t for t in texts if secret in t]
        with sqlite3.connect(ledger_path(state)) as conn:
            dump = "\n".join(conn.iterdump())
        assert secret not in dump
    assert not [r for r in caplog.records if r.name.startswith(("apprise", "urllib3"))]


def test_masking_hides_tokens_of_common_services() -> None:
    assert mask_url("ntfy://ntfy.sh/billing-topic-s3cret") == "ntfy://ntfy.sh/****"
    assert mask_url("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ") == "slack://****/****"
    assert mask_url("json://localhost:8080/") == "json://localhost:8080/"
    assert mask_url("mailto://user:pw@gmail.com") == "mailto://****@gmail.com/"
    url = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ"
    text = "POST to https://hooks.slack.com/services/T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ"
    assert scrub(text, [url]) == "POST to https://hooks.slack.com/services/****/****/****"


def test_config_refuses_a_non_url_without_echoing_it(tmp_path: Path) -> None:
    from pydantic import ValidationError

    data = base_config()
    data["notify"] = {"urls": ["not-a-url-but-a-T0KEN"]}
    with pytest.raises(ValidationError) as info:
        loaded(tmp_path, data)
    message = str(info.value.errors()[0]["msg"])
    assert "urls[0] is not a URL like ntfy://ntfy.sh/TOPIC" in message
    assert "T0KEN" not in message


def test_a_sync_queues_the_chat_message_with_the_run(world: World, receiver: Receiver) -> None:
    config = world.setup.config
    url = receiver.url()
    text = config.read_text().replace(
        'folder = "mail"\n', f'folder = "mail"\nurls = ["{url}"]\n', 1
    )
    config.write_text(text)
    result = world.psabill("sync", "--now")
    assert result.exit_code == 0, result.output
    assert len(receiver.posts) == 1
    assert receiver.posts[0][1]["message"].startswith("SUCCESS: ")
    assert TOKEN not in result.output
    assert PASSWORD not in result.output
    shown = world.psabill("config", "show")
    assert TOKEN not in shown.output
    assert PASSWORD not in shown.output


def test_a_chat_message_stuck_past_alert_after_is_an_error(world: World) -> None:
    down = Receiver(free_port())  # never started
    config = world.setup.config
    line = f'folder = "mail"\nurls = ["{down.url()}"]\n'
    config.write_text(config.read_text().replace('folder = "mail"\n', line, 1))
    queued = world.psabill("sync", now="2026-12-01T12:00:00+00:00")
    assert queued.exit_code == 0, queued.output  # a delivery problem never fails the run
    (warning,) = [t for t in queued.stderr.splitlines() if "summary notification" in t]
    assert "queued in the outbox (Apprise failed: json://****@127.0.0.1:" in warning
    late = world.psabill("-q", "sync", "--json", now="2026-12-01T14:30:00+00:00")
    (error,) = [t for t in late.stderr.splitlines() if t.startswith("error:")]
    assert "unsent since 2026-12-01 12:00 UTC" in error
    assert json.loads(late.stdout)["stuck_mail"][0]["attempts"] == 2
    for text in (queued.output, late.output):
        assert TOKEN not in text
        assert PASSWORD not in text


def _cli_config(tmp_path: Path, url: str) -> Path:
    import tomli_w

    data = base_config()
    data["notify"] = {
        "emails": "billing@northwind.example",
        "urls": [url],
        "transport": "folder",
        "folder": "mail",
    }
    path = tmp_path / "psabill.toml"
    path.write_text(tomli_w.dumps(data))
    path.chmod(0o600)
    return path


def test_notify_test_reaches_each_url_and_says_so_masked(
    tmp_path: Path, receiver: Receiver
) -> None:
    from click.testing import CliRunner

    from psabill.cli import main

    config = _cli_config(tmp_path, receiver.url())
    argv = ["--config", str(config), "--state-dir", str(tmp_path / "state"), "notify", "test"]
    result = CliRunner().invoke(main, argv)
    assert result.exit_code == 0, result.output
    masked = f"json://****@127.0.0.1:{receiver.port}/****"
    assert f"test notification delivered to {masked}" in result.output
    ((path, body),) = receiver.posts
    assert (path, body["title"]) == (f"/{TOKEN}", "psabill: test notification for Northwind MSP")
    assert TOKEN not in result.output
    assert PASSWORD not in result.output


def test_notify_test_fails_loudly_when_a_url_cannot_be_reached(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from psabill.cli import main

    down = Receiver(free_port())  # never started: nothing listens there
    config = _cli_config(tmp_path, down.url())
    argv = ["--config", str(config), "--state-dir", str(tmp_path / "state"), "notify", "test"]
    result = CliRunner().invoke(main, argv)
    assert result.exit_code == 1, result.output
    assert f"test notification to json://****@127.0.0.1:{down.port}/**** failed" in result.output
    assert TOKEN not in result.output
    assert PASSWORD not in result.output
