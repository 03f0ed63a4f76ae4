"""`psabill notify test` and `psabill notify flush` through the CLI."""

from __future__ import annotations

from pathlib import Path

from psabill.config.loader import load_config
from tests.notify.conftest import StartServer
from tests.notify.support import (
    base_config,
    end_run,
    free_port,
    pending,
    psabill,
    write_config,
)


def test_notify_test_reports_the_servers_answer(start_server: StartServer, tmp_path: Path) -> None:
    server = start_server("starttls")
    config = write_config(tmp_path, base_config(smtp=server.settings()))
    result = psabill(config, "notify", "test")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"test message sent through 127.0.0.1:{server.port} (starttls) to "
        "billing@northwind.example, ops@northwind.example, controller@northwind.example",
        "the server answered: 250 2.0.0 OK queued as Q1",
    ]
    assert server.messages[0].parsed()["X-Psabill-Kind"] == "test"
    assert not (tmp_path / "state").exists()  # a test message is not queued anywhere


def test_notify_test_to_overrides_and_a_refusal_is_exit_1(
    start_server: StartServer, tmp_path: Path
) -> None:
    server = start_server("none", answers={"bad@example.com": "550 5.1.1 unknown"})
    config = write_config(tmp_path, base_config(smtp=server.settings()))
    result = psabill(config, "notify", "test", "--to", "me@example.com", "--to", "bad@example.com")
    assert result.exit_code == 1
    assert "to me@example.com\n" in result.output
    assert "warning: the server refused bad@example.com: 550 5.1.1 unknown" in result.output
    assert server.messages[0].rcpt_tos == ["me@example.com"]


def test_notify_test_with_the_server_down_is_exit_1_with_a_hint(tmp_path: Path) -> None:
    smtp = {"host": "127.0.0.1", "port": free_port(), "security": "none", "timeout": 5}
    config = write_config(tmp_path, base_config(smtp=smtp))
    result = psabill(config, "notify", "test")
    assert result.exit_code == 1
    assert "connection refused" in result.output
    assert "hint: check [smtp] host, port and security" in result.output


def test_notify_test_refuses_a_bad_address(tmp_path: Path) -> None:
    config = write_config(tmp_path, base_config())
    result = psabill(config, "notify", "test", "--to", "not-an-address")
    assert result.exit_code == 2
    assert "--to: 'not-an-address' is not a valid email address" in result.output


def test_notify_test_into_a_folder(tmp_path: Path) -> None:
    data = base_config(notify={"emails": "a@example.com", "transport": "folder", "folder": "out"})
    result = psabill(write_config(tmp_path, data), "notify", "test")
    assert result.exit_code == 0, result.output
    (written,) = (tmp_path / "out").iterdir()
    assert result.output == f"test message written to {written} (transport = folder)\n"


def test_notify_flush_resends_what_is_waiting(start_server: StartServer, tmp_path: Path) -> None:
    port = free_port()
    smtp = {"host": "127.0.0.1", "port": port, "security": "none", "timeout": 5}
    config = write_config(tmp_path, base_config(smtp=smtp))
    assert psabill(config, "notify", "flush").output == "the outbox is empty: nothing to send\n"
    state = tmp_path / "state"
    end_run(state, load_config(config, {}).config)  # the team's and Müller's summaries

    still_down = psabill(config, "notify", "flush")
    assert still_down.exit_code == 1
    assert still_down.output.endswith("0 sent, 2 still in the outbox\n")
    assert [r.attempts for r in pending(state)] == [1, 1]

    server = start_server("none", port=port)
    result = psabill(config, "notify", "flush")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "2 sent, 0 still in the outbox"
    assert "outbox message #2 (Northwind MSP: billing summary for MuellerSoehne" in result.output
    assert len(server.messages) == 2
    assert psabill(config, "notify", "flush").output == "the outbox is empty: nothing to send\n"
