"""The outbox: queue first, deliver, never lose a message, never send one twice.

``run_and_notify`` ends a run the way the runner does: the team's summary and the customer
summaries owed (Müller & Söhne GmbH's, per PSA company and period) are stored with the run's
end, then everything pending is delivered. ``after_run`` (missed-period alerts) queues the
team's summary only.
"""

from __future__ import annotations

import re
import stat
import threading
from pathlib import Path
from typing import Any

import pytest

from psabill.config.loader import LoadedConfig
from psabill.notify import after_run, flush_outbox, retry_pending
from psabill.state import Ledger, ledger_path
from tests.notify.conftest import StartServer
from tests.notify.support import (
    DUE_AT,
    MailServer,
    Recorder,
    base_config,
    end_run,
    free_port,
    loaded,
    pending,
    recorded_report,
)

SUMMARY_TO = ["billing@northwind.example", "ops@northwind.example", "controller@northwind.example"]
MUELLER = "summary email for MuellerSoehne"  # the PSA company (the report has no PSA name)


def smtp_config(tmp_path: Path, server: MailServer, **notify: Any) -> LoadedConfig:
    data = base_config(smtp=server.settings())
    data["notify"] = {"emails": "billing@northwind.example, ops@northwind.example", **notify}
    return loaded(tmp_path, data)


def not_started(port: int) -> MailServer:
    """Settings for a server that is down: nothing listens on ``port``."""
    return MailServer(Recorder(), port, "none", None)


def run_and_notify(tmp_path: Path, config: LoadedConfig) -> list[str]:
    """A run's end as the runner records it, then delivery of everything pending; what the
    CLI would print."""
    state = tmp_path / "state"
    labels = end_run(state, config.config)
    return [str(event) for event in retry_pending(config, state, DUE_AT, labels=labels)]


def after_run_events(tmp_path: Path, config: LoadedConfig) -> list[str]:
    state = tmp_path / "state"
    report = recorded_report(state, config.config)
    return [str(event) for event in after_run(config, state, report, DUE_AT)]


def test_summaries_reach_exactly_their_recipients(
    start_server: StartServer, tmp_path: Path
) -> None:
    server = start_server("none")
    lines = run_and_notify(tmp_path, smtp_config(tmp_path, server))
    assert lines == [
        f"summary email sent to {', '.join(SUMMARY_TO)}",
        f"{MUELLER} sent to buchhaltung@mueller.example",
    ]
    summary, customer = server.messages
    assert summary.rcpt_tos == SUMMARY_TO
    assert customer.rcpt_tos == ["buchhaltung@mueller.example"]
    kinds = [m.parsed()["X-Psabill-Kind"] for m in server.messages]
    assert kinds == ["run", "customer"]  # one message each: no per-account duplicate
    assert summary.mail_from == "psabill@northwind.example"
    assert pending(tmp_path / "state") == []


def test_after_run_sends_the_team_summary_only(start_server: StartServer, tmp_path: Path) -> None:
    """Customer summaries go with a run's end only, where the ledger decides them once."""
    server = start_server("none")
    lines = after_run_events(tmp_path, smtp_config(tmp_path, server))
    assert lines == [f"summary email sent to {', '.join(SUMMARY_TO)}"]
    assert [m.parsed()["X-Psabill-Kind"] for m in server.messages] == ["run"]


def test_server_down_queues_then_flush_delivers_exactly_once(
    start_server: StartServer, tmp_path: Path
) -> None:
    port = free_port()
    config = smtp_config(tmp_path, not_started(port))
    lines = run_and_notify(tmp_path, config)
    assert len(lines) == 2
    assert lines[0].startswith("warning: summary email queued in the outbox (SMTP failed: ")
    assert "connection refused" in lines[0]
    assert lines[0].endswith("`psabill notify flush` resends it")
    waiting = pending(tmp_path / "state")
    assert [(r.attempts, r.last_error is not None) for r in waiting] == [(1, True), (1, True)]

    server = start_server("none", port=port)
    result = flush_outbox(config, tmp_path / "state", DUE_AT)
    assert (len(result.sent), len(result.failed)) == (2, 0)
    assert [m.rcpt_tos for m in server.messages] == [SUMMARY_TO, ["buchhaltung@mueller.example"]]
    for received, stored in zip(server.messages, waiting, strict=True):
        assert received.content.replace(b"\r\n", b"\n") == stored.message.replace(b"\r\n", b"\n")
    assert flush_outbox(config, tmp_path / "state", DUE_AT).attempts == []
    assert len(server.messages) == 2


def test_each_message_is_marked_sent_as_soon_as_it_is_accepted(
    start_server: StartServer, tmp_path: Path
) -> None:
    refuse_mueller = {"buchhaltung@mueller.example": "550 5.7.1 mailbox disabled"}
    server = start_server("none", answers=refuse_mueller)
    config = smtp_config(tmp_path, server)
    lines = run_and_notify(tmp_path, config)
    assert lines[0].startswith("summary email sent to")
    assert "refused every recipient (buchhaltung@mueller.example: 550 5.7.1" in lines[1]
    server.recorder.answers.clear()
    result = flush_outbox(config, tmp_path / "state", DUE_AT)
    assert [a.record.id for a in result.sent] == [2]
    assert [m.rcpt_tos for m in server.messages] == [SUMMARY_TO, ["buchhaltung@mueller.example"]]


def test_a_refused_recipient_is_reported_and_a_deferred_one_retried(
    start_server: StartServer, tmp_path: Path
) -> None:
    answers = {
        "ops@northwind.example": "550 no such user",
        "controller@northwind.example": "452 full",
    }
    server = start_server("none", answers=answers)
    config = smtp_config(tmp_path, server)
    lines = run_and_notify(tmp_path, config)
    assert lines[0] == (
        "summary email sent to billing@northwind.example"
        "; refused for ops@northwind.example (550 no such user), who will not get it"
        "; deferred for controller@northwind.example (452 full), kept in the outbox to retry"
    )
    (retry,) = pending(tmp_path / "state")
    assert retry.recipients == ("controller@northwind.example",)
    server.recorder.answers.clear()
    flush_outbox(config, tmp_path / "state", DUE_AT)
    assert [m.rcpt_tos for m in server.messages] == [
        ["billing@northwind.example"],
        ["buchhaltung@mueller.example"],
        ["controller@northwind.example"],
    ]
    assert server.messages[0].content == server.messages[2].content  # same Message-ID too


def test_the_next_run_sends_what_an_earlier_one_left_behind(
    start_server: StartServer, tmp_path: Path
) -> None:
    port = free_port()
    down = smtp_config(tmp_path, not_started(port))
    run_and_notify(tmp_path, down)
    server = start_server("none", port=port)
    lines = run_and_notify(tmp_path, smtp_config(tmp_path, server))
    assert len(lines) == 3
    assert lines[0].startswith("outbox message #1 (psabill: Northwind MSP")
    assert lines[1].startswith(
        "outbox message #2 (Northwind MSP: billing summary for MuellerSoehne"
    )
    # Müller was told about this period already and nothing differs: no second summary.
    assert lines[2] == f"summary email sent to {', '.join(SUMMARY_TO)}"
    assert [m.rcpt_tos for m in server.messages] == [
        SUMMARY_TO,
        ["buchhaltung@mueller.example"],
        SUMMARY_TO,
    ]
    assert pending(tmp_path / "state") == []


def test_two_flushes_at_once_still_send_each_message_once(
    start_server: StartServer, tmp_path: Path
) -> None:
    port = free_port()
    down = smtp_config(tmp_path, not_started(port))
    for _ in range(3):
        run_and_notify(tmp_path, down)
    waiting = [r.message.replace(b"\r\n", b"\n") for r in pending(tmp_path / "state")]
    assert len(waiting) == 4  # three team summaries and Müller's one
    server = start_server("none", port=port)
    config = smtp_config(tmp_path, server)
    threads = [
        threading.Thread(target=flush_outbox, args=(config, tmp_path / "state", DUE_AT))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sent = [m.content.replace(b"\r\n", b"\n") for m in server.messages]
    assert sorted(sent) == sorted(waiting)  # each once, none twice
    assert pending(tmp_path / "state") == []


def test_outcomes_left_out_of_notify_on_send_the_team_nothing(
    start_server: StartServer, tmp_path: Path
) -> None:
    """``[notify].on`` is the billing team's choice; a customer's summary is owed regardless."""
    server = start_server("none")
    config = smtp_config(tmp_path, server, on=["failure"])
    assert run_and_notify(tmp_path, config) == [f"{MUELLER} sent to buchhaltung@mueller.example"]
    assert [m.rcpt_tos for m in server.messages] == [["buchhaltung@mueller.example"]]
    assert after_run_events(tmp_path, config) == []
    assert len(server.messages) == 1


def test_folder_transport_writes_private_eml_files(tmp_path: Path) -> None:
    data = base_config(notify={"emails": "a@example.com", "transport": "folder", "folder": "mail"})
    config = loaded(tmp_path, data)
    lines = run_and_notify(tmp_path, config)
    files = sorted((tmp_path / "mail").iterdir())
    assert [f.name for f in files] == ["20261201T113000Z-run1-1.eml", "20261201T113000Z-run1-2.eml"]
    assert lines == [
        f"summary email written to {files[0]} (transport = folder)",
        f"{MUELLER} written to {files[1]} (transport = folder)",
    ]
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "mail").stat().st_mode) == 0o700
    with Ledger.open(ledger_path(tmp_path / "state")) as ledger:
        (run,) = ledger.runs()
    assert b"Subject: psabill: Northwind MSP" in files[0].read_bytes()
    assert run.id == 1
    assert pending(tmp_path / "state") == []


def test_folder_transport_without_a_folder_keeps_the_message(tmp_path: Path) -> None:
    data = base_config(notify={"emails": "a@example.com", "transport": "folder"})
    lines = run_and_notify(tmp_path, loaded(tmp_path, data))
    assert re.search(r"folder.*is not set", lines[0])
    assert 'folder = "mail"' in lines[0]
    assert len(pending(tmp_path / "state")) == 2


def test_a_bug_while_composing_never_fails_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("boom")

    monkeypatch.setattr("psabill.notify.compose_run", broken)
    data = base_config(notify={"emails": "a@example.com", "transport": "folder", "folder": "m"})
    lines = after_run_events(tmp_path, loaded(tmp_path, data))
    assert lines == [
        "warning: no summary email: internal error KeyError('boom') (a bug; -v shows more)"
    ]


def test_retry_pending_is_quiet_when_nothing_waits_and_sends_what_does(
    start_server: StartServer, tmp_path: Path
) -> None:
    port = free_port()
    state = tmp_path / "state"
    assert retry_pending(smtp_config(tmp_path, not_started(port)), state, DUE_AT) == []
    assert not state.exists()  # no ledger created just to look
    run_and_notify(tmp_path, smtp_config(tmp_path, not_started(port)))
    server = start_server("none", port=port)
    config = smtp_config(tmp_path, server)
    lines = [str(event) for event in retry_pending(config, state, DUE_AT)]
    assert [line.split(" (")[0] for line in lines] == ["outbox message #1", "outbox message #2"]
    assert len(server.messages) == 2
    assert retry_pending(config, state, DUE_AT) == []
