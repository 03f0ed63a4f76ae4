"""`psabill sync` against the sandbox PSA, with summaries over a real SMTP server on loopback."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from psabill.sandbox import Sandbox, Store, seed_demo
from psabill.sandbox.demo import DemoSetup, prepare
from tests.notify.conftest import StartServer
from tests.notify.support import free_port, pending, psabill

SUMMARY_TO = ["billing@northwind.example", "ops@northwind.example", "controller@northwind.example"]
DUE_AT = "2026-12-01T11:30:00+00:00"  # the global slot (2026-12) and Müller's own (2026-11)


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[DemoSetup]:
    store = Store()
    seed_demo(store)
    with Sandbox(store) as sandbox:
        yield prepare(sandbox.site_url, tmp_path / "demo")


def use_smtp(setup: DemoSetup, port: int) -> None:
    """Point the demo config's [notify] at SMTP on ``port`` instead of the mail folder."""
    text = setup.config.read_text(encoding="utf-8")
    folder = 'transport = "folder"\nfolder = "mail"\n'
    assert folder in text
    text = text.replace(folder, 'transport = "smtp"\n')
    text = text.replace("[psa]\n", "[psa]\nretries = 1\ntimeout = 3\n", 1)
    text += f'\n[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\ntimeout = 5\n'
    text += 'sender = "psabill@northwind.example"\n'
    setup.config.write_text(text, encoding="utf-8")


def csv_of(message: object) -> list[dict[str, str]]:
    (attachment,) = message.iter_attachments()  # type: ignore[attr-defined]
    return list(csv.DictReader(io.StringIO(attachment.get_content().lstrip("\ufeff"))))


def test_scheduled_sync_mails_the_team_and_the_custom_customer(
    demo: DemoSetup, start_server: StartServer
) -> None:
    server = start_server("none")
    use_smtp(demo, server.port)
    result = psabill(demo.config, "sync", env={"PSABILL_NOW": DUE_AT})
    assert result.exit_code == 0, result.output
    assert f"summary email sent to {', '.join(SUMMARY_TO)}" in result.output
    summary, customer = server.messages
    assert summary.rcpt_tos == SUMMARY_TO
    assert customer.rcpt_tos == ["buchhaltung@mueller.example"]

    message = summary.parsed()
    assert message["Subject"] == (
        "psabill: Northwind MSP 2026-11, 2026-12 — success: 4 created, 4 updated"
    )
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Trigger:            scheduled" in text
    assert "sophos 'ff00-newclient'" in text
    assert "Next scheduled run: 2027-01-01 06:00 EST" in text
    assert len(csv_of(message)) == 8

    mueller = customer.parsed()
    # One summary for the PSA company, covering both its vendor accounts (Sophos and Trend
    # Micro), for the most recent period of their two schedules.
    assert mueller["Subject"] == ("Northwind MSP: billing summary for Müller & Söhne GmbH, 2026-12")
    rows = csv_of(mueller)
    assert [(r["product"], r["previous"], r["this_period"]) for r in rows] == [
        ("Sophos Intercept X Advanced", "", "17"),
        ("Trend Micro Worry-Free Services", "17", "19"),
    ]
    body = mueller.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "Müller &amp; Söhne GmbH" in body
    assert "Acme" not in body


def test_smtp_down_keeps_the_exit_code_and_flush_sends_later(
    demo: DemoSetup, start_server: StartServer
) -> None:
    port = free_port()
    use_smtp(demo, port)
    result = psabill(demo.config, "sync", "--now")
    assert result.exit_code == 0, result.output
    assert "run 1: success" in result.output
    assert "warning: 2 summary emails wait in the outbox (SMTP failed:" in result.stderr
    assert "`psabill notify flush` resends them" in result.stderr
    state = demo.config.parent / "state"
    assert [r.recipients for r in pending(state)] == [
        tuple(SUMMARY_TO),
        ("buchhaltung@mueller.example",),
    ]

    server = start_server("none", port=port)
    flushed = psabill(demo.config, "notify", "flush")
    assert flushed.exit_code == 0, flushed.output
    assert flushed.output.splitlines()[-1] == "2 sent, 0 still in the outbox"
    assert [m.rcpt_tos for m in server.messages] == [SUMMARY_TO, ["buchhaltung@mueller.example"]]
    subject = server.messages[0].parsed()["Subject"]
    assert "— success: 4 created, 4 updated" in subject
    assert (
        psabill(demo.config, "notify", "flush").output == "the outbox is empty: nothing to send\n"
    )
    assert len(server.messages) == 2


def test_demo_writes_the_summaries_to_its_mail_folder(tmp_path: Path) -> None:
    result = psabill(tmp_path / "unused.toml", "demo", "--dir", str(tmp_path / "demo"))
    assert result.exit_code == 0, result.output
    mail = tmp_path / "demo" / "mail"
    files = sorted(mail.glob("*.eml"))
    assert len(files) == 3  # two runs' summaries; Müller's once, the second run changed nothing
    assert f"summary email written to {files[0]} (transport = folder)" in result.output
    assert f"summary emails: {mail}" in result.output


def test_quiet_heartbeats_stay_silent_while_mail_is_down(demo: DemoSetup) -> None:
    """Cron runs `psabill -q sync` hourly: an SMTP outage must not mail cron output each hour."""
    use_smtp(demo, free_port())
    assert psabill(demo.config, "sync", "--now").exit_code == 0  # leaves 2 messages queued
    quiet = psabill(demo.config, "-q", "sync", env={"PSABILL_NOW": "2026-11-29T10:00:00+00:00"})
    assert quiet.exit_code == 0
    assert (quiet.stdout, quiet.stderr) == ("", "")
    loud = psabill(demo.config, "sync", env={"PSABILL_NOW": "2026-11-29T10:00:00+00:00"})
    assert loud.stdout == ""
    assert loud.stderr.count("wait in the outbox") == 1
