"""Quantities over the last billing periods, from the ledger: `psabill report --customer` and
the trends block of a scheduled run's summary.

Only completed periods count (a manual run completes none), each read as the quantity
psabill had confirmed when the period was completed (:mod:`psabill.core.trends`).
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from psabill.config.models import Config, Customer
from psabill.core.mapping import customer_key
from psabill.core.report import SyncReport
from psabill.core.trends import Series, biggest_changes, build_series
from psabill.errors import PsabillError, UsageError
from psabill.state import Ledger, existing_ledger

log = logging.getLogger("psabill.trends")

SUMMARY_PERIODS = 6
"""Periods the run summary's trends block looks back over."""
SUMMARY_SERIES = 5
"""Products the run summary's trends block shows at most (those that moved most)."""


@dataclass(frozen=True)
class CustomerTrends:
    """What `psabill report --customer` shows: ``label`` is who was asked for, ``keys`` the
    ledger keys of its vendor accounts (a PSA company may have several)."""

    label: str
    keys: tuple[str, ...]
    periods: int
    series: tuple[Series, ...]


def customer_trends(config: Config, state_dir: Path, wanted: str, periods: int) -> CustomerTrends:
    """Trends of the customer ``wanted`` names: its ledger key, vendor id, name or PSA
    company. Raises UsageError (with the closest names) when nothing matches."""
    customers = _matching(config, wanted)
    keys = tuple(customer_key(c) for c in customers) or (wanted,)
    labels = {customer_key(c): _label(c) for c in customers}
    with existing_ledger(state_dir) as ledger:
        marks, lines = ledger.period_history(keys, periods) if ledger else ([], [])
    if not customers and not marks:
        raise _unknown(config, wanted)
    label = _label(customers[0]) if customers else wanted
    series = build_series(marks, lines, periods=periods, labels=labels)
    return CustomerTrends(label, keys, periods, series)


def run_trends(
    ledger: Ledger,
    customers: Sequence[str],
    labels: dict[str, str],
    *,
    periods: int = SUMMARY_PERIODS,
    limit: int = SUMMARY_SERIES,
) -> tuple[Series, ...]:
    """The ``limit`` products of ``customers`` that moved most over their last periods
    (those that did not move are left out)."""
    marks, lines = ledger.period_history(customers, periods)
    series = build_series(marks, lines, periods=periods, labels=labels)
    return biggest_changes((s for s in series if len(s.known) > 1 and s.change), limit)


def _matching(config: Config, wanted: str) -> list[Customer]:
    folded = wanted.casefold()
    exact = [c for c in config.customers if wanted in (customer_key(c), c.id)]
    if exact:
        return exact
    return [
        c
        for c in config.customers
        if folded in ((c.name or "").casefold(), c.psa_company.casefold())
    ]


def _label(customer: Customer) -> str:
    return customer.name or customer.psa_company


def _unknown(config: Config, wanted: str) -> UsageError:
    known = sorted(
        {customer_key(c) for c in config.customers}
        | {c.name for c in config.customers if c.name}
        | {c.psa_company for c in config.customers}
    )
    close = difflib.get_close_matches(wanted, known, n=3, cutoff=0.6)
    hint = f"did you mean {' or '.join(close)}?" if close else "`psabill customers list` shows them"
    return UsageError(
        f"--customer {wanted!r}: no such customer in the configuration or the ledger", hint=hint
    )


def summary_trends(ledger: Ledger | None, report: SyncReport) -> tuple[Series, ...]:
    """The trends block of a scheduled run's summary, for the customers it had lines for;
    none for a manual run, and none (never an error) when the ledger cannot say."""
    if ledger is None or report.trigger == "manual" or not report.results:
        return ()
    labels = {r.line.customer: r.line.customer_label for r in report.results}
    try:
        return run_trends(ledger, list(labels), labels)
    except PsabillError as exc:  # a summary without trends beats no summary
        log.warning("trends left out of the run summary: %s", exc)
        return ()
