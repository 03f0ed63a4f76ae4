"""Build the billing team's e-mails: a run's summary, a plan awaiting approval, a missed-period
alert, and the transport test message. Customer summaries (one per PSA company and billing
period) are built by :mod:`psabill.notify.customer_mail`, against the ledger.

Pure apart from ``make_msgid`` (random and unique by design). Messages are
``multipart/mixed``: a ``multipart/alternative`` (text, then HTML) and a CSV
of the lines. Display names go through :class:`email.headerregistry.Address`,
so "Jürgen Groß" is RFC 2047 encoded, and bytes are produced with
the ``SMTP`` policy (CRLF line ends), which is what the outbox stores.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from psabill import __version__
from psabill.config.models import Config, Notify
from psabill.core.report import SyncReport
from psabill.notify.formats import csv_attachment, html_body, text_body
from psabill.notify.planned import plan_counts, plan_summary
from psabill.notify.summary import (
    Summary,
    counts_text,
    missed_summary,
    missed_text,
    next_run_text,
    run_period,
    run_summary,
)
from psabill.notify.tables import Table

# `[notify].on` knows success, partial and failure; a guard holding customers back
# needs someone's attention just like a failure does.
_ON_KEY = {"guard": "failure"}


@dataclass(frozen=True)
class Composed:
    """One message ready for the outbox, and what to call it when reporting on it."""

    label: str
    message: EmailMessage
    recipients: tuple[str, ...]
    summary: Summary | None = field(default=None, repr=False, compare=False)
    """What the message says, for the other channels (:mod:`.apprise_channel`)."""

    @property
    def sender(self) -> str:
        return str(self.message["From"].addresses[0].addr_spec)

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def as_bytes(self) -> bytes:
        return self.message.as_bytes(policy=policy.SMTP)


def wants_summary(notify: Notify, outcome: str) -> bool:
    """Whether ``[notify].on`` asks for a summary of a run that ended ``outcome``."""
    return _ON_KEY.get(outcome, outcome) in notify.on


def summary_recipients(config: Config) -> list[Address]:
    """``[notify].emails`` then billing admins who view invoices; each address once."""
    admins = [(a.name or "", a.email) for a in config.billing_admins if a.view_invoices]
    return _unique([("", email) for email in config.notify.emails] + admins)


def compose_run(
    config: Config,
    report: SyncReport,
    *,
    acting_admin: str | None,
    now: datetime,
    trends: Table | None = None,
) -> list[Composed]:
    """The billing team's messages for this run; empty when ``[notify].on`` leaves this
    outcome out.

    A plan waiting for approval is always mailed: nobody can approve a plan they never see.
    ``trends`` is the block of recent quantities the team's run summary shows, if any.
    """
    if report.outcome == "planned":
        return _plan_message(config, report, now)
    if report.outcome == "not_due":
        return _missed_message(config, report, now) if report.missed else []
    if not report.missed and not wants_summary(config.notify, report.outcome):
        return []
    return _team_message(config, report, acting_admin=acting_admin, now=now, trends=trends)


def _team_message(
    config: Config,
    report: SyncReport,
    *,
    acting_admin: str | None,
    now: datetime,
    trends: Table | None = None,
) -> list[Composed]:
    """The billing team's run summary; none when nobody is set to receive it."""
    to = summary_recipients(config)
    if not to:
        return []
    summary = run_summary(config, report, acting_admin=acting_admin, now=now, trends=trends)
    return [
        _build(
            config,
            summary,
            "summary email",
            to,
            subject=run_subject(config, report),
            from_name="psabill",
            run_id=report.run_id,
            now=now,
        )
    ]


def _plan_message(config: Config, report: SyncReport, now: datetime) -> list[Composed]:
    to = summary_recipients(config)
    if not to:
        return []
    period = run_period(report, config)
    subject = (
        f"psabill: {config.account.name} {period} — plan awaits approval: "
        f"{plan_counts(report.plan)}"
    )
    summary = plan_summary(config, report, now=now)
    return [
        _build(
            config,
            summary,
            "plan for approval",
            to,
            subject=subject,
            from_name="psabill",
            run_id=report.run_id,
            now=now,
        )
    ]


def _missed_message(config: Config, report: SyncReport, now: datetime) -> list[Composed]:
    to = summary_recipients(config)
    if not to:
        return []
    summary = missed_summary(config, report, now=now)
    subject = f"psabill: {config.account.name} — {missed_text(report)}"
    return [
        _build(
            config,
            summary,
            "missed-period alert",
            to,
            subject=subject,
            from_name="psabill",
            run_id=None,
            now=now,
        )
    ]


def run_subject(config: Config, report: SyncReport) -> str:
    """e.g. "psabill: Northwind MSP 2026-11 — partial: 41 updated, 2 failed"."""
    counts = "run stopped" if report.fatal else counts_text(report.results)
    period = run_period(report, config)
    return f"psabill: {config.account.name} {period} — {report.outcome}: {counts}"


def compose_test(config: Config, recipients: Sequence[str], now: datetime) -> Composed:
    """A short message proving the transport works, with the settings it used."""
    smtp = config.smtp
    how = (
        f'folder "{config.notify.folder}"'
        if config.notify.transport == "folder"
        else f"{smtp.host}:{smtp.effective_port} ({smtp.security})"
    )
    summary = Summary(
        kind="run",
        title=f"{config.account.name}: psabill test message",
        facts=(
            ("Transport", how),
            ("Sender", smtp.sender),
            ("Sent at", f"{now.astimezone(config.account.zone):%Y-%m-%d %H:%M %Z}"),
            ("Next scheduled run", next_run_text(config.schedule, config, now)),
        ),
        footer="If you can read this, run summaries will reach you. Sent by `psabill notify test`.",
    )
    to = _unique(("", email) for email in recipients)
    subject = f"psabill: {config.account.name} — test message"
    message = _message(
        config, summary, to, subject=subject, from_name="psabill", run_id=None, now=now
    )
    return Composed("test message", message, tuple(a.addr_spec for a in to))


def _build(
    config: Config,
    summary: Summary,
    label: str,
    to: list[Address],
    *,
    subject: str,
    from_name: str,
    run_id: int | None,
    now: datetime,
) -> Composed:
    message = _message(
        config, summary, to, subject=subject, from_name=from_name, run_id=run_id, now=now
    )
    message.add_attachment(
        csv_attachment(summary),
        subtype="csv",
        charset="utf-8",
        cte="base64",
        filename=f"psabill-run-{run_id}.csv",
    )
    return Composed(label, message, tuple(a.addr_spec for a in to), summary)


def _message(
    config: Config,
    summary: Summary,
    to: list[Address],
    *,
    subject: str,
    from_name: str,
    run_id: int | None,
    now: datetime,
) -> EmailMessage:
    sender = config.smtp.sender
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = Address(display_name=from_name, addr_spec=sender)
    message["To"] = to
    message["Date"] = format_datetime(now.astimezone(config.account.zone))
    message["Message-ID"] = make_msgid("psabill", domain=sender.rpartition("@")[2])
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies, please
    message["X-Mailer"] = f"psabill {__version__}"
    message["X-Psabill-Kind"] = summary.kind if run_id is not None else "test"
    if run_id is not None:
        message["X-Psabill-Run"] = str(run_id)
    message.set_content(text_body(summary), cte="quoted-printable")
    message.add_alternative(html_body(summary), subtype="html", cte="quoted-printable")
    return message


def _unique(people: Iterable[tuple[str, str]]) -> list[Address]:
    seen: set[str] = set()
    found = []
    for name, email in people:
        if email.lower() not in seen:
            seen.add(email.lower())
            found.append(Address(display_name=name, addr_spec=email))
    return found
