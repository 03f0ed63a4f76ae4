"""Composing the billing team's summaries: recipients, subject, MIME structure, bodies, CSV.

Customer summaries (per PSA company and period) are tested in test_customer*.py.
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from psabill.config.models import Config
from psabill.notify.compose import Composed, compose_run, compose_test, wants_summary
from tests.notify.support import DUE_AT, base_config, loaded, partial_report


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return loaded(tmp_path, base_config()).config


def compose(config: Config, **report_changes: object) -> list[Composed]:
    report = replace(partial_report(config), **report_changes)  # type: ignore[arg-type]
    return compose_run(config, report, acting_admin="ann@host", now=DUE_AT)


def parse(composed: Composed) -> EmailMessage:
    message = message_from_bytes(composed.as_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def csv_rows(message: EmailMessage) -> list[dict[str, str]]:
    (attachment,) = message.iter_attachments()
    assert isinstance(attachment, EmailMessage)
    text = attachment.get_content()
    assert text.startswith("\ufeff")  # BOM, so Excel reads UTF-8
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_summary_goes_to_the_list_plus_admins_who_view_invoices_each_once(config: Config) -> None:
    (summary,) = compose(config)
    assert summary.recipients == (
        "billing@northwind.example",
        "ops@northwind.example",
        "controller@northwind.example",
    )
    to = parse(summary)["To"].addresses
    assert [a.addr_spec for a in to] == list(summary.recipients)
    assert to[2].display_name == "Jürgen Groß"


def test_subject_names_account_period_outcome_and_counts(config: Config) -> None:
    (summary,) = compose(config)
    assert (
        summary.subject == "psabill: Northwind MSP 2026-11, 2026-12 — partial: 2 updated, 2 failed"
    )
    manual = compose(config, trigger="manual", results=[], outcome="success")[0]
    assert manual.subject == "psabill: Northwind MSP 2026-12-01 — success: no changes"
    fatal = compose(config, outcome="failure", fatal="PSA unreachable", results=[])[0]
    assert fatal.subject.endswith("— failure: run stopped")


def test_headers_are_encoded_and_decode_back(config: Config) -> None:
    (summary,) = compose(config)
    raw = summary.as_bytes()
    assert raw.isascii()  # RFC 2047 and quoted-printable: nothing 8-bit on the wire
    assert b"\r\n" in raw
    assert "Jürgen".encode() not in raw
    assert b"=?utf-8?" in raw
    message = parse(summary)
    assert message["Subject"] == summary.subject
    assert message["To"].addresses[2].display_name == "Jürgen Groß"
    assert message["From"].addresses[0].display_name == "psabill"
    assert parsedate_to_datetime(message["Date"]) == DUE_AT
    assert message["Message-ID"].endswith("@northwind.example>")
    assert message["Message-ID"] != parse(compose(config)[0])["Message-ID"]
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["X-Psabill-Kind"] == "run"


def test_mime_parts_are_alternative_text_and_html_plus_a_csv(config: Config) -> None:
    message = parse(compose(config)[0])
    assert message.get_content_type() == "multipart/mixed"
    body, attachment = message.iter_parts()
    assert body.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in body.iter_parts()] == ["text/plain", "text/html"]
    assert attachment.get_content_type() == "text/csv"
    assert attachment.get_filename() == "psabill-run-1.csv"


def test_text_body_puts_failures_with_hints_first(config: Config) -> None:
    message = parse(compose(config)[0])
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    for expected in (
        "Outcome:            partial",
        "Trigger:            scheduled",
        "Changes:            2 updated, 2 failed",
        "Next scheduled run: 2027-01-01 06:00 EST (2027-01-01 11:00 UTC)",
        "- Acme Dental Group / =HYPERLINK: the PSA answered 500: <b>internal</b>",
        "  hint: the write did not stick; the next run retries this line",
        "- Acme Dental Group / LP: several active additions (#1, #2)",
        "  hint: cancel the extra addition in the PSA; psabill never guesses which is right",
        "- sophos 'ff00': 3 seats in 1 rows",
        "- sophos 'CIXA-SRV': 2 seats",
        "- CIXA-XDR now bills as 'PSABILL-CIXA-XDR'",
        "- Acme: drop 60%",
    ):
        assert expected in text, expected
    assert text.startswith("PARTIAL: 2 updated, 2 failed\r\n")
    assert (
        text.index("Failures (2)")
        < text.index("Unmapped customers")
        < text.index("Failed and held lines (2)")
        < text.index("Changes (2)")
    )
    assert "Unchanged lines" not in text  # no unchanged line: no empty section


def test_manual_run_says_who(config: Config) -> None:
    message = parse(compose(config, trigger="manual")[0])
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Trigger:            manual run by ann@host" in text
    assert "Period:             2026-12-01" in text  # the account-local date


def test_an_approved_plan_says_who_approved_it(config: Config) -> None:
    message = parse(compose(config, trigger="approval")[0])
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Trigger:            approval: plan approved by ann@host" in text
    assert "Period:             2026-11, 2026-12" in text


def test_html_escapes_everything_from_outside(config: Config) -> None:
    message = parse(compose(config)[0])
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "<b>internal</b>" not in html
    assert "&lt;b&gt;internal&lt;/b&gt;" in html
    assert "Müller &amp; Söhne GmbH" in html


def test_csv_has_every_line_and_defuses_formulas(config: Config) -> None:
    rows = csv_rows(parse(compose(config)[0]))
    assert [(r["customer_id"], r["sku"], r["status"]) for r in rows] == [
        ("sophos:acme", "CIXA", "confirmed"),
        ("sophos:acme", "'=HYPERLINK", "failed"),
        ("trendmicro:51234", "WFBS-SVC", "confirmed"),
        ("sophos:acme", "LP", "failed"),
    ]
    assert rows[0]["current"] == "42"
    assert rows[0]["new"] == "45"
    assert rows[2]["customer"] == "Müller & Söhne GmbH"
    assert rows[2]["addition_id"] == "9001"


def test_the_run_summary_says_which_customer_summaries_are_held_back(config: Config) -> None:
    held = "Müller & Söhne GmbH, 2026-12: 1 line held; its customer summary is held back"
    title = "Customer summaries held back (sent once all the company's lines are confirmed)"
    message = parse(compose(config, customer_mail_held=[held])[0])
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert f"{title}\r\n" in text
    assert f"- {held}\r\n" in text
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "Müller &amp; Söhne GmbH, 2026-12: 1 line held" in html
    plain = parse(compose(config)[0]).get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Customer summaries held back" not in plain  # no holds: no empty section


def test_the_run_sends_the_team_summary_only(config: Config) -> None:
    """Müller (custom settings, with emails and lines) gets its summary per PSA company and
    period, from the run's end (notify.customer_mail), never from compose_run."""
    assert [(c.label, c.message["X-Psabill-Kind"]) for c in compose(config)] == [
        ("summary email", "run")
    ]


@pytest.mark.parametrize(
    ("on", "outcome", "sent"),
    [
        (("success", "partial", "failure"), "success", True),
        (("failure",), "success", False),
        (("failure",), "partial", False),
        (("failure",), "failure", True),
        (("failure",), "guard", True),  # a held customer needs attention like a failure
        (("success",), "guard", False),
        ((), "failure", False),
    ],
)
def test_notify_on_decides_which_outcomes_send(
    tmp_path: Path, on: tuple[str, ...], outcome: str, sent: bool
) -> None:
    data = base_config(notify={"emails": "a@example.com", "on": list(on)})
    config = loaded(tmp_path, data).config
    assert wants_summary(config.notify, outcome) is sent
    assert bool(compose(config, outcome=outcome)) is sent


def test_no_list_and_no_admins_means_no_run_summary(tmp_path: Path) -> None:
    data = base_config(notify={"emails": []}, billing_admins=[])
    config = loaded(tmp_path, data).config
    assert compose(config) == []


def test_test_message_is_short_and_addressed(config: Config) -> None:
    composed = compose_test(config, ["a@example.com", "A@example.com", "b@example.com"], DUE_AT)
    assert composed.recipients == ("a@example.com", "b@example.com")
    message = parse(composed)
    assert message["Subject"] == "psabill: Northwind MSP — test message"
    assert message["X-Psabill-Kind"] == "test"
    assert list(message.iter_attachments()) == []
