"""The summary a customer on custom settings gets: its own lines, in its own words.

Pure, like :mod:`psabill.notify.summary`, whose :class:`Summary` it fills: the
customer sees products by name, its billing period and what changed for it,
never another customer's lines or the MSP's internal reasons.
"""

from __future__ import annotations

from datetime import datetime

from psabill.config.models import Config, Customer
from psabill.core.mapping import customer_key
from psabill.core.outcome import LineResult
from psabill.core.report import SyncReport
from psabill.notify.summary import Row, Summary, change_text, next_run_text, run_period

CUSTOMER_COLUMNS = ("Product", "Agreement", "Previous → New", "Status")
_CUSTOMER_RESULT = {
    "create": "added",
    "update": "updated",
    "zero": "set to 0",
    "cancel": "cancelled",
    "unchanged": "no change",
}


def customer_summary(
    config: Config, customer: Customer, report: SyncReport, *, now: datetime
) -> Summary | None:
    """The executive summary one customer on custom settings gets: its own lines only."""
    key = customer_key(customer)
    results = tuple(r for r in report.results if r.line.customer == key)
    if not results:
        return None
    label = customer.name or customer.id
    names = {p.sku: p.name for p in config.products if p.name}
    period = run_period(report, config, key)
    return Summary(
        kind="customer",
        title=f"Billing summary for {label}, {period}",
        facts=_customer_facts(config, customer, results, label=label, period=period, now=now),
        columns=CUSTOMER_COLUMNS,
        rows=tuple(_customer_row(r, names) for r in results),
        footer=f"Sent by {config.account.name} on its billing schedule. "
        "Questions about these quantities? Reply to your account manager.",
        results=results,
    )


def _customer_facts(
    config: Config,
    customer: Customer,
    results: tuple[LineResult, ...],
    *,
    label: str,
    period: str,
    now: datetime,
) -> tuple[tuple[str, str], ...]:
    """Who, for when, how many lines changed, and when the customer's own schedule runs next."""
    changed = sum(1 for r in results if r.status == "confirmed" and r.line.writes)
    schedule = customer.schedule or config.schedule
    return (
        ("Customer", label),
        ("Provider", config.account.name),
        ("Period", period),
        ("Licence lines", f"{len(results)} ({changed} changed)"),
        ("Next update", next_run_text(schedule, config, now)),
    )


def _customer_row(result: LineResult, names: dict[str, str]) -> Row:
    """One line as the customer reads it: the product's name rather than its SKU."""
    line = result.line
    return (
        names.get(line.sku, line.sku),
        line.agreement_name or "-",
        change_text(line),
        _customer_result(result),
    )


def _customer_result(result: LineResult) -> str:
    if result.status == "failed":
        return "pending: not updated yet, your provider is on it"
    if result.status == "skipped":
        return "not changed this period"
    return _CUSTOMER_RESULT.get(result.line.action, "no change")
