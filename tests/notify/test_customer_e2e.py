"""Customer summaries per PSA company and billing period: real runs against the sandbox PSA,
mail over a real SMTP server on loopback.

Müller & Söhne GmbH (PSA company ``MuellerSoehne``) has two vendor accounts here, a Sophos
one and a Trend Micro one, each naming its own recipient and its own display name; both
follow the global monthly schedule (day 1, 06:00 New York, so 11:00 UTC in winter).
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import Result

from psabill.sandbox import Sandbox, Store, seed_demo
from psabill.sandbox.demo import DemoSetup, prepare
from tests.notify.conftest import StartServer
from tests.notify.support import MailServer, psabill

MUELLER = ["it@mueller.example", "buchhaltung@mueller.example"]
TEAM = ["billing@northwind.example", "ops@northwind.example", "controller@northwind.example"]
PSA_NAME = "Müller & Söhne GmbH"  # the PSA company's name; the accounts are called otherwise
SOPHOS, TREND = "Sophos Intercept X Advanced", "Trend Micro Worry-Free Services"
DECEMBER = "2026-12-01T11:30:00+00:00"  # the global slot of period 2026-12 has come


@pytest.fixture
def setup(tmp_path: Path, start_server: StartServer) -> Iterator[tuple[DemoSetup, MailServer]]:
    """The demo against its own sandbox, mail over SMTP, Müller's accounts as described."""
    store = Store()
    seed_demo(store)
    server = start_server("none")
    with Sandbox(store) as sandbox:
        demo = prepare(sandbox.site_url, tmp_path / "demo")
        text = demo.config.read_text(encoding="utf-8")
        for old, new in [
            ('transport = "folder"\nfolder = "mail"\n', 'transport = "smtp"\n'),
            (
                'id = "4be1-mueller"\nsource = "sophos"\nname = "Müller & Söhne GmbH"\n',
                'id = "4be1-mueller"\nsource = "sophos"\nname = "Mueller via Sophos"\n'
                'settings = "custom"\nemails = "it@mueller.example"\n',
            ),
            (
                'id = "51234"\nsource = "trendmicro"\nname = "Müller & Söhne GmbH"\n',
                'id = "51234"\nsource = "trendmicro"\nname = "Mueller via Trend Micro"\n',
            ),
            ('schedule = { mode = "monthly", day = 31, hour = 7 }\n', ""),
        ]:
            assert text.count(old) == 1, old
            text = text.replace(old, new)
        text += f'\n[smtp]\nhost = "127.0.0.1"\nport = {server.port}\nsecurity = "none"\n'
        text += 'sender = "psabill@northwind.example"\n'
        demo.config.write_text(text, encoding="utf-8")
        yield demo, server


def sync(demo: DemoSetup, now: str, *args: str, code: int = 0) -> Result:
    result = psabill(demo.config, "sync", *args, env={"PSABILL_NOW": now})
    assert result.exit_code == code, result.output
    return result


def trend_seats(demo: DemoSetup, seats: int) -> None:
    (demo.directory / "usage" / "trendmicro.csv").write_text(
        "CustomerID;CompanyName;ServicePlan;Seats;ReportDate\n"
        f"51234;Müller & Söhne GmbH;WFBS-SVC;{seats};2026-11-01\n",
        encoding="utf-8",
    )


def customer_mail(server: MailServer, since: int) -> list[EmailMessage]:
    """Messages after the first ``since`` that are not the billing team's run summary."""
    found = []
    for received in server.messages[since:]:
        if received.rcpt_tos != TEAM:
            assert received.rcpt_tos == MUELLER  # the union, each once, in config order
            found.append(received.parsed())
    return found


def table(message: EmailMessage) -> list[tuple[str, ...]]:
    (attachment,) = message.iter_attachments()
    rows = csv.reader(io.StringIO(attachment.get_content().lstrip("\ufeff")))
    return [tuple(row) for row in rows]


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def recorded(demo: DemoSetup) -> list[tuple[str, str, int]]:
    with sqlite3.connect(demo.state_dir / "ledger.sqlite3") as conn:
        query = "SELECT company, period, correction FROM customer_mail ORDER BY id"
        return [tuple(row) for row in conn.execute(query)]


def test_one_summary_per_company_and_period_then_corrections_only(
    setup: tuple[DemoSetup, MailServer],
) -> None:
    demo, server = setup
    sync(demo, DECEMBER)
    (first,) = customer_mail(server, 0)
    assert first["Subject"] == f"Northwind MSP: billing summary for {PSA_NAME}, 2026-12"
    assert first["X-Psabill-Kind"] == "customer"
    text = text_of(first)
    assert "Mueller via" not in text
    assert "4be1" not in text
    assert "51234" not in text
    assert "Acme" not in text  # nobody else's lines
    assert table(first) == [
        ("product", "agreement", "previous", "this_period", "change"),
        (SOPHOS, "Müller - Managed Services", "", "17", "new"),
        (TREND, "Müller - Security Services", "17", "19", "+2"),
    ]

    seen = len(server.messages)
    again = sync(demo, "2026-12-03T15:00:00+00:00", "--now")
    assert customer_mail(server, seen) == []  # nothing changed for Müller: no mail
    assert len(server.messages) == seen + 1  # the billing team still hears of the run
    assert "summary email for" not in again.output

    seen = len(server.messages)
    trend_seats(demo, 21)
    changed = sync(demo, "2026-12-05T15:00:00+00:00", "--now")
    (correction,) = customer_mail(server, seen)
    assert correction["Subject"] == (
        f"Northwind MSP: corrected billing summary for {PSA_NAME}, 2026-12 "
        "(replaces the one sent on 2026-12-01)"
    )
    assert f"corrected summary email for {PSA_NAME} sent to" in changed.output
    lines = text_of(correction).splitlines()
    assert lines[0] == f"Corrected billing summary for {PSA_NAME}, 2026-12"
    assert "Replaces:       the billing summary sent on 2026-12-01" in lines
    assert table(correction)[1:] == [  # the same "previous" as the summary it replaces
        (SOPHOS, "Müller - Managed Services", "", "17", "new", ""),
        (TREND, "Müller - Security Services", "17", "21", "+4", "corrected (was 19)"),
    ]

    seen = len(server.messages)
    sync(demo, "2027-01-01T11:30:00+00:00")
    (january,) = customer_mail(server, seen)
    assert january["Subject"] == f"Northwind MSP: billing summary for {PSA_NAME}, 2027-01"
    assert table(january)[1:] == [  # measured against what December's last summary said
        (SOPHOS, "Müller - Managed Services", "17", "17", "no change"),
        (TREND, "Müller - Security Services", "21", "21", "no change"),
    ]
    assert recorded(demo) == [
        ("muellersoehne", "2026-12", 0),
        ("muellersoehne", "2026-12", 1),
        ("muellersoehne", "2027-01", 0),
    ]


def test_a_held_line_holds_the_company_summary_until_its_lines_are_confirmed(
    setup: tuple[DemoSetup, MailServer],
) -> None:
    demo, server = setup
    sync(demo, DECEMBER)
    assert len(customer_mail(server, 0)) == 1

    seen = len(server.messages)
    trend_seats(demo, 5)  # 19 → 5 trips the 50 % drop guard: Müller's Trend line is held
    held = sync(demo, "2027-01-01T11:30:00+00:00", "--json", code=4)
    assert customer_mail(server, seen) == []  # no customer mail while a line is held
    assert len(server.messages) == seen + 1  # the run summary to the team reports the hold
    assert recorded(demo) == [("muellersoehne", "2026-12", 0)]
    said = (
        f"{PSA_NAME}, 2027-01: 1 line held; its customer summary is held back until all its lines "
        "are confirmed"
    )
    assert json.loads(held.stdout)["customer_mail_held"] == [said]
    assert f"warning: {said}\n" in held.stderr  # on the terminal too, not only in --json
    team = text_of(server.messages[seen].parsed())
    title = "Customer summaries held back (sent once all the company's lines are confirmed)"
    assert f"\r\n- {said}\r\n" in team[team.index(f"{title}\r\n") :]
    with sqlite3.connect(demo.state_dir / "ledger.sqlite3") as conn:
        (stored,) = conn.execute("SELECT summary_json FROM runs ORDER BY id DESC LIMIT 1")
    assert json.loads(stored[0])["customer_mail_held"] == [said]

    seen = len(server.messages)
    sync(demo, "2027-01-02T15:00:00+00:00", "--now", "--allow-drop")
    (january,) = customer_mail(server, seen)
    assert january["Subject"] == f"Northwind MSP: billing summary for {PSA_NAME}, 2027-01"
    assert table(january)[1:] == [
        (SOPHOS, "Müller - Managed Services", "17", "17", "no change"),
        (TREND, "Müller - Security Services", "19", "5", "-14"),
    ]
