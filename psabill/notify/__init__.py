"""Run summaries by email (SMTP or a folder of .eml files), through the ledger's outbox.

The flow after a real run: compose (:mod:`.compose`) → store in the outbox
(:mod:`.dispatch`) → deliver everything pending over the configured transport
(:mod:`.smtp` or :mod:`.folder`). A mail problem never changes a run's exit
code: the message waits in the outbox for the next invocation or
``psabill notify flush``. Every function here returns what happened as
:class:`~psabill.notify.events.MailEvent` values; rendering is the CLI's.

``session`` parameters are the mail transport seam: a callable that returns a
not yet opened :class:`~psabill.notify.delivery.Session`. ``None`` means the
transport the configuration names.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from psabill.config.loader import LoadedConfig
from psabill.config.models import Config
from psabill.core.report import SyncReport
from psabill.core.trends import Series
from psabill.errors import MailError, PsabillError
from psabill.notify.apprise_channel import AppriseSession, ChannelMessage, channel_messages
from psabill.notify.compose import Composed, compose_run
from psabill.notify.customer_mail import CustomerDrafts, CustomerMail
from psabill.notify.delivery import Delivery, Envelope, Session
from psabill.notify.dispatch import FlushResult, enqueue, flush, open_session
from psabill.notify.events import MailEvent, events_of, not_queued
from psabill.notify.tables import trends_table
from psabill.state import Ledger, NewMail, ledger_path

__all__ = [
    "Delivery",
    "FlushResult",
    "MailEvent",
    "Outgoing",
    "SessionFactory",
    "after_run",
    "events_of",
    "flush_outbox",
    "outgoing",
    "retry_pending",
    "send_test",
]
log = logging.getLogger("psabill.notify")
SessionFactory = Callable[[], Session]


def _opener(loaded: LoadedConfig, session: SessionFactory | None) -> SessionFactory:
    return session if session is not None else (lambda: open_session(loaded))


def _channels(loaded: LoadedConfig) -> SessionFactory:
    """The ``[notify] urls`` transport (Apprise loads only when a message goes out)."""
    urls = [url.get_secret_value() for url in loaded.config.notify.urls]
    return lambda: AppriseSession(urls)


def after_run(
    loaded: LoadedConfig,
    state_dir: Path,
    report: SyncReport,
    now: datetime,
    session: SessionFactory | None = None,
) -> list[MailEvent]:
    """Queue and send the billing team's summaries of a report; one event per message. For
    reports no run row carries (a missed-period alert) and for tests; a run queues its
    summaries, customer summaries included, with its end instead (:func:`outgoing`,
    :meth:`~psabill.state.Ledger.finish_run`).

    Never raises for a mail problem: an SMTP failure leaves the message in the
    outbox (sent again by the next invocation or `psabill notify flush`) and the
    run's exit code stays what it was.
    """
    if report.outcome == "dry_run" or (report.outcome == "not_due" and not report.missed):
        return []
    try:
        return _after_run(loaded, state_dir, report, now, _opener(loaded, session))
    except PsabillError as exc:
        log.warning("run summary not queued: %s", exc)
        return [not_queued(exc.message)]
    except Exception as exc:  # a bug here must not turn a finished sync into a failed one
        return [_internal_error(exc)]


def _after_run(
    loaded: LoadedConfig,
    state_dir: Path,
    report: SyncReport,
    now: datetime,
    session: SessionFactory,
) -> list[MailEvent]:
    events: list[MailEvent] = []
    messages: list[Composed | ChannelMessage]
    with Ledger.open(ledger_path(state_dir)) as ledger:
        try:
            composed = _compose(ledger, loaded, report, now)
            messages = [*composed, *channel_messages(loaded.config, composed)]
        except Exception as exc:  # still send what earlier runs left in the outbox
            events.append(_internal_error(exc))
            messages = []
        stored = enqueue(ledger, messages, report.run_id, now)
        result = flush(ledger, session, state_dir, now, _channels(loaded))
    return events + events_of(result, {i: c.label for i, c in stored.items()})


def _internal_error(exc: Exception) -> MailEvent:
    log.info("run summary failed", exc_info=exc)  # -v shows the traceback
    return not_queued(f"internal error {exc!r} (a bug; -v shows more)")


@dataclass(frozen=True)
class Outgoing:
    """A finished run's summaries, ready to be stored with the run's end (one transaction).

    ``problem`` says why there are none when making them failed (never raised: a mail
    problem must not fail a run that reached the PSA).
    """

    mail: tuple[NewMail, ...] = ()
    labels: tuple[str, ...] = ()
    problem: str | None = None
    customers: CustomerDrafts | None = None
    """Customer summaries the run may owe; decided against the ledger by :meth:`customer_mail`."""

    def customer_mail(self, ledger: Ledger, now: datetime) -> CustomerMail:
        """The customer summaries owed, to store with the run's end (call under the run lock)."""
        return self.customers.resolve(ledger, now) if self.customers else CustomerMail()


def outgoing(
    config: Config,
    report: SyncReport,
    *,
    acting_admin: str | None,
    now: datetime,
    trends: Sequence[Series] = (),
) -> Outgoing:
    """The summaries ``report`` calls for, as outbox rows; compose problems as data.
    ``trends``: recent quantities of the run's customers, for the team's summary."""
    try:
        customers = CustomerDrafts.of(config, report)
        report.customer_mail_held = list(customers.held_back)  # for the run summary to say
        table = trends_table(trends)
        composed = compose_run(config, report, acting_admin=acting_admin, now=now, trends=table)
        queued: list[Composed | ChannelMessage] = [*composed, *channel_messages(config, composed)]
    except Exception as exc:  # a bug in a summary must not turn a finished sync into a failure
        return Outgoing(problem=_internal_error(exc).reason)
    mail = tuple(NewMail(c.sender, c.recipients, c.subject, c.as_bytes()) for c in queued)
    return Outgoing(mail, tuple(c.label for c in queued), customers=customers)


def retry_pending(
    loaded: LoadedConfig,
    state_dir: Path,
    now: datetime,
    session: SessionFactory | None = None,
    *,
    labels: Mapping[int, str] | None = None,
) -> list[MailEvent]:
    """Send everything pending in the outbox; ``labels`` (outbox id → label) name a run's own
    messages, others go by outbox id.

    An hourly `psabill sync` that is not due calls this, so a summary queued
    during an SMTP outage goes out within the hour, not next billing period.
    Quiet (no events, no connection) when nothing is waiting; never raises.
    """
    path = ledger_path(state_dir)
    try:
        if not path.exists():
            return []
        with Ledger.open(path) as ledger:
            if not ledger.outbox_pending():
                return []
            result = flush(ledger, _opener(loaded, session), state_dir, now, _channels(loaded))
    except PsabillError as exc:
        log.warning("outbox not flushed: %s", exc)
        return [MailEvent("outbox not flushed", "not_queued", reason=exc.message)]
    return events_of(result, labels)


def flush_outbox(
    loaded: LoadedConfig, state_dir: Path, now: datetime, session: SessionFactory | None = None
) -> FlushResult:
    """Deliver every pending outbox message (`psabill notify flush`). Raises StateError."""
    if not ledger_path(state_dir).exists():
        return FlushResult()  # no ledger, so no outbox: do not create one just to look
    with Ledger.open(ledger_path(state_dir)) as ledger:
        return flush(ledger, _opener(loaded, session), state_dir, now, _channels(loaded))


def send_test(loaded: LoadedConfig, composed: Composed, now: datetime) -> tuple[str, Delivery]:
    """Deliver ``composed`` right away, bypassing the outbox (a failed test is not retried).

    Returns the transport's description and what it did; raises MailError.
    """
    envelope = Envelope(
        composed.sender, composed.recipients, composed.as_bytes(), f"{now:%Y%m%dT%H%M%SZ}-test"
    )
    with open_session(loaded) as session:
        return session.description, session.deliver(envelope)


def send_test_urls(loaded: LoadedConfig, now: datetime) -> list[tuple[str, str | None]]:
    """A test notification to each ``[notify] urls`` entry, right away (not queued): each
    URL, masked, with ``None`` when delivered or why it was not."""
    from psabill.notify.apprise_channel import mask_url, test_envelope

    urls = [secret.get_secret_value() for secret in loaded.config.notify.urls]
    results: list[tuple[str, str | None]] = []
    with AppriseSession(urls, timeout=30) as session:
        for url in urls:
            try:
                session.deliver(test_envelope(loaded.config, url, now))
            except MailError as exc:
                results.append((mask_url(url), exc.message))
            else:
                results.append((mask_url(url), None))
    return results


def _compose(
    ledger: Ledger, loaded: LoadedConfig, report: SyncReport, now: datetime
) -> list[Composed]:
    run = ledger.run(report.run_id) if report.run_id is not None else None
    acting_admin = run.acting_admin if run is not None else None
    return compose_run(loaded.config, report, acting_admin=acting_admin, now=now)
