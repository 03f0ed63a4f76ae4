"""Run summaries by email (SMTP or a folder of .eml files), through the ledger's outbox.

The flow after a real run: compose (:mod:`.compose`) → store in the outbox
(:mod:`.outbox`) → deliver everything pending over the configured transport
(:mod:`.smtp` or :mod:`.folder`). A mail problem never changes a run's exit
code: the message waits in the outbox for the next invocation or
``psabill notify flush``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from psabill.app.runner import SyncReport
from psabill.config.loader import LoadedConfig
from psabill.errors import PsabillError
from psabill.notify.compose import Composed, compose_run
from psabill.notify.delivery import Delivery, Envelope, MailConnectionError, MailError
from psabill.notify.dispatch import Attempt, FlushResult, enqueue, flush, open_session
from psabill.state import Ledger, ledger_path

__all__ = [
    "Delivery",
    "FlushResult",
    "MailConnectionError",
    "MailError",
    "after_run",
    "describe",
    "flush_outbox",
    "retry_pending",
    "send_test",
]
log = logging.getLogger("psabill.notify")


def after_run(
    loaded: LoadedConfig, state_dir: Path, report: SyncReport, now: datetime
) -> list[str]:
    """Queue and send the summaries of a finished run; return one line per message for the CLI.

    Never raises for a mail problem: an SMTP failure leaves the message in the
    outbox (sent again by the next invocation or `psabill notify flush`) and the
    run's exit code stays what it was.
    """
    if report.outcome in ("not_due", "dry_run"):
        return []
    try:
        return _after_run(loaded, state_dir, report, now)
    except PsabillError as exc:
        log.warning("run summary not queued: %s", exc)
        return [f"warning: no summary email: {exc.message}"]
    except Exception as exc:  # a bug here must not turn a finished sync into a failed one
        return [_internal_error(exc)]


def _after_run(
    loaded: LoadedConfig, state_dir: Path, report: SyncReport, now: datetime
) -> list[str]:
    lines: list[str] = []
    with Ledger.open(ledger_path(state_dir)) as ledger:
        try:
            messages = _compose(ledger, loaded, report, now)
        except Exception as exc:  # still send what earlier runs left in the outbox
            lines.append(_internal_error(exc))
            messages = []
        queued = enqueue(ledger, messages, report.run_id, now)
        result = flush(ledger, lambda: open_session(loaded), state_dir, now)
    return lines + describe(result, {i: c.label for i, c in queued.items()})


def _internal_error(exc: Exception) -> str:
    log.info("run summary failed", exc_info=exc)  # -v shows the traceback
    return f"warning: no summary email: internal error {exc!r} (a bug; -v shows more)"


def retry_pending(loaded: LoadedConfig, state_dir: Path, now: datetime) -> list[str]:
    """Resend what earlier runs left in the outbox; for invocations that ran nothing.

    An hourly `psabill sync` that is not due calls this, so a summary queued
    during an SMTP outage goes out within the hour, not next billing period.
    Quiet (no lines, no connection) when nothing is waiting; never raises.
    """
    path = ledger_path(state_dir)
    try:
        if not path.exists():
            return []
        with Ledger.open(path) as ledger:
            if not ledger.outbox_pending():
                return []
            result = flush(ledger, lambda: open_session(loaded), state_dir, now)
    except PsabillError as exc:
        log.warning("outbox not flushed: %s", exc)
        return [f"warning: outbox not flushed: {exc.message}"]
    return describe(result)


def flush_outbox(loaded: LoadedConfig, state_dir: Path, now: datetime) -> FlushResult:
    """Deliver every pending outbox message (`psabill notify flush`). Raises StateError."""
    if not ledger_path(state_dir).exists():
        return FlushResult()  # no ledger, so no outbox: do not create one just to look
    with Ledger.open(ledger_path(state_dir)) as ledger:
        return flush(ledger, lambda: open_session(loaded), state_dir, now)


def send_test(loaded: LoadedConfig, composed: Composed, now: datetime) -> tuple[str, Delivery]:
    """Deliver ``composed`` right away, bypassing the outbox (a failed test is not retried).

    Returns the transport's description and what it did; raises MailError.
    """
    envelope = Envelope(
        composed.sender, composed.recipients, composed.as_bytes(), f"{now:%Y%m%dT%H%M%SZ}-test"
    )
    with open_session(loaded) as session:
        return session.description, session.deliver(envelope)


def describe(result: FlushResult, labels: Mapping[int, str] | None = None) -> list[str]:
    """One line per message; ``labels`` name this run's messages, others go by outbox id."""
    labels = labels or {}
    lines = []
    for attempt in result.attempts:
        record = attempt.record
        label = labels.get(record.id) or f"outbox message #{record.id} ({record.subject})"
        lines.append(_line(label, attempt, result.transport))
    return lines


def _line(label: str, attempt: Attempt, transport: str) -> str:
    if attempt.error is not None:
        where = "writing the file" if transport.startswith("folder") else "SMTP"
        hint = f" ({attempt.error.hint})" if attempt.error.hint else ""
        return (
            f"warning: {label} queued in the outbox ({where} failed: {attempt.error.message}"
            f"{hint}); `psabill notify flush` resends it"
        )
    delivery = attempt.delivery
    assert delivery is not None
    if transport.startswith("folder"):
        return f"{label} written to {delivery.answer} (transport = folder)"
    text = f"{label} sent to {', '.join(delivery.accepted)}"
    for rcpt, answer in delivery.refused.items():
        text += f"; refused for {rcpt} ({answer}), who will not get it"
    for rcpt, answer in delivery.deferred.items():
        text += f"; deferred for {rcpt} ({answer}), kept in the outbox to retry"
    return text


def _compose(
    ledger: Ledger, loaded: LoadedConfig, report: SyncReport, now: datetime
) -> list[Composed]:
    run = ledger.run(report.run_id) if report.run_id is not None else None
    acting_admin = run.acting_admin if run is not None else None
    return compose_run(loaded.config, report, acting_admin=acting_admin, now=now)
