"""Customer summaries as e-mail, decided against the ledger and queued with the run's end.

:func:`psabill.notify.outgoing` drafts them from the report (:class:`CustomerDrafts`); the
run's recorder resolves the drafts against what each company was told before, inside the
run lock, and hands the messages to
:meth:`~psabill.state.Ledger.finish_run`, which stores the run's end, the messages and the
record of each company's summary in one transaction.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from psabill import __version__
from psabill.config.models import Config
from psabill.core.report import SyncReport
from psabill.notify.compose import Composed
from psabill.notify.customer import (
    CompanyDraft,
    CompanyMail,
    company_drafts,
    company_summary,
    decide,
    held_back,
    sent_on,
)
from psabill.notify.formats import html_body, text_body
from psabill.notify.summary import Summary
from psabill.state import Ledger, NewCustomerMail, NewMail

log = logging.getLogger("psabill.notify")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class CustomerMail:
    """A run's customer summaries, ready for ``finish_run``; ``problem`` says why there are
    none when deciding them failed (the next run decides again: nothing is recorded)."""

    mail: tuple[NewCustomerMail, ...] = ()
    labels: tuple[str, ...] = ()
    problem: str | None = None


@dataclass(frozen=True)
class CustomerDrafts:
    """The customer summaries a finished run may owe, before the ledger is asked."""

    config: Config
    drafts: tuple[CompanyDraft, ...] = ()
    run_id: int | None = None

    @classmethod
    def of(cls, config: Config, report: SyncReport) -> CustomerDrafts:
        return cls(config, company_drafts(config, report), report.run_id)

    @property
    def held_back(self) -> tuple[str, ...]:
        """Companies whose summary waits for failed or held lines, for the run summary."""
        return held_back(self.drafts)

    def resolve(self, ledger: Ledger, now: datetime) -> CustomerMail:
        """The summaries owed now, given what the ledger says each company was told.

        Call it holding the run lock, right before ``finish_run``: no other run can record
        a summary in between. Never raises: a problem here must not fail a finished run.
        """
        try:
            return self._resolve(ledger, now)
        except Exception as exc:  # a bug or an unreadable ledger: next run decides again
            log.info("customer summaries not queued", exc_info=exc)
            return CustomerMail(problem=f"customer summaries not queued: {exc}")

    def _resolve(self, ledger: Ledger, now: datetime) -> CustomerMail:
        ready = [d for d in self.drafts if not d.problems]
        history = ledger.customer_mail_history((d.company, d.period) for d in ready)
        found = []
        for draft in ready:
            mail = decide(draft, history[draft.company, draft.period])
            if mail is not None:
                found.append((mail, compose_company(self.config, mail, self.run_id, now)))
        return CustomerMail(
            tuple(
                NewCustomerMail(
                    m.draft.company,
                    m.draft.period,
                    m.correction,
                    m.lines,
                    m.previous,
                    NewMail(c.sender, c.recipients, c.subject, c.as_bytes()),
                )
                for m, c in found
            ),
            tuple(c.label for _, c in found),
        )


def compose_company(
    config: Config, mail: CompanyMail, run_id: int | None, now: datetime
) -> Composed:
    """One company's summary as a message sent in the MSP's name, with the lines as CSV."""
    draft = mail.draft
    summary = company_summary(config, mail, now=now)
    subject = f"{config.account.name}: billing summary for {draft.name}, {draft.period}"
    label = f"summary email for {draft.name}"
    if mail.replaces is not None:
        subject = (
            f"{config.account.name}: corrected billing summary for {draft.name}, "
            f"{draft.period} (replaces the one sent on {sent_on(config, mail.replaces)})"
        )
        label = f"corrected summary email for {draft.name}"
    to = [Address(addr_spec=email) for email in draft.recipients]
    message = _message(config, summary, to, subject=subject, run_id=run_id, now=now)
    slug = "".join(ch if ch.isalnum() else "-" for ch in draft.company).strip("-")
    message.add_attachment(
        _csv(summary),
        subtype="csv",
        charset="utf-8",
        cte="base64",
        filename=f"billing-{slug or 'company'}-{draft.period}.csv",
    )
    return Composed(label, message, draft.recipients)


def _message(
    config: Config,
    summary: Summary,
    to: list[Address],
    *,
    subject: str,
    run_id: int | None,
    now: datetime,
) -> EmailMessage:
    sender = config.smtp.sender
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = Address(display_name=config.account.name, addr_spec=sender)
    message["To"] = to
    message["Date"] = format_datetime(now.astimezone(config.account.zone))
    message["Message-ID"] = make_msgid("psabill", domain=sender.rpartition("@")[2])
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies, please
    message["X-Mailer"] = f"psabill {__version__}"
    message["X-Psabill-Kind"] = "customer"
    if run_id is not None:
        message["X-Psabill-Run"] = str(run_id)
    message.set_content(text_body(summary), cte="quoted-printable")
    message.add_alternative(html_body(summary), subtype="html", cte="quoted-printable")
    return message


def _csv(summary: Summary) -> str:
    """The summary's table for a spreadsheet: UTF-8 with a BOM (for Excel), text cells that
    a spreadsheet would run as a formula behind an apostrophe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([column.lower().replace(" ", "_") for column in summary.columns])
    for row in summary.rows:
        writer.writerow(_cell(cell) for cell in row)
    return "\ufeff" + buffer.getvalue()


def _cell(text: str) -> str:
    """Numbers ("-2", "+1.5") as they are, "-" (none) empty; other text a spreadsheet would
    run as a formula gets a leading apostrophe."""
    if text == "-":
        return ""
    if not text.startswith(_FORMULA_START):
        return text
    try:
        Decimal(text)
    except InvalidOperation:
        return f"'{text}"
    return text
