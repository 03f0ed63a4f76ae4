"""Customer summaries: one per PSA company and billing period, in the company's words. Pure.

A company hears about its licences once per billing period, under its PSA name, covering
every vendor account mapped to it. What decides whether a run sends one (the ledger says
what the company was last told; :mod:`psabill.notify.customer_mail` reads and records it):

- some line of the company failed or was held → none: the billing admins' run summary
  says why, and that the customer summary waits (:func:`held_back`);
- nothing sent for this period yet → the period's summary;
- sent already, and what the company is billed now differs → a correction that says which
  summary it replaces;
- sent already, and nothing differs → none.

Only lines in place go in (confirmed, or kept by ``on_usage_gone = keep``): a customer
never reads about a failure, a guard or the MSP's internal reasons.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from psabill.config.models import Config, Customer, Schedule
from psabill.core.mapping import customer_key
from psabill.core.outcome import LineResult
from psabill.core.plan import qty
from psabill.core.report import SyncReport
from psabill.core.schedule.engine import Slot, previous_slot
from psabill.notify.summary import Row, Summary, next_run_text
from psabill.notify.tables import Align, Table, Tone
from psabill.state import BilledLine, CustomerMailHistory, CustomerMailRecord

__all__ = [
    "CompanyDraft", "CompanyMail", "company_drafts", "company_summary", "decide", "held_back",
    "sent_on",
]  # fmt: skip
COLUMNS = ("Product", "Agreement", "Previous", "This period", "Change")


@dataclass(frozen=True)
class CompanyDraft:
    """What one run knows about one PSA company that has customer summary recipients."""

    company: str
    """The PSA company identifier, casefolded: the ledger's key."""
    name: str
    period: str
    schedule: Schedule
    recipients: tuple[str, ...]
    accounts: tuple[str, ...]
    """The company's vendor accounts this run covered; the others' lines are carried over."""
    lines: tuple[BilledLine, ...]
    """What the company is billed after this run, for ``accounts``."""
    before_run: tuple[BilledLine, ...]
    """The same lines' quantities before this run (the "previous" of a first summary ever)."""
    problems: str = ""
    """Why the summary waits ("1 line failed"); empty when every line is in place."""


@dataclass(frozen=True)
class CompanyMail:
    """A customer summary to send: the draft, everything it states, and what it replaces."""

    draft: CompanyDraft
    lines: tuple[BilledLine, ...]
    previous: tuple[BilledLine, ...]
    replaces: CustomerMailRecord | None = None

    @property
    def correction(self) -> bool:
        return self.replaces is not None


def company_drafts(config: Config, report: SyncReport) -> tuple[CompanyDraft, ...]:
    """A draft for each company with recipients and at least one line in this run."""
    by_account: dict[str, list[LineResult]] = {}
    for result in report.results:
        by_account.setdefault(result.line.customer, []).append(result)
    drafts = []
    for company, accounts in _companies(config).items():
        keys = [customer_key(c) for c in accounts]
        results = [r for key in keys for r in by_account.get(key, ())]
        if results and _recipients(accounts):
            covered = tuple(k for k in keys if k in report.scope or k in by_account)
            drafts.append(_draft(config, report.now, company, accounts, covered, results))
    return tuple(drafts)


def _draft(
    config: Config,
    now: datetime,
    company: str,
    accounts: Sequence[Customer],
    covered: tuple[str, ...],
    results: Sequence[LineResult],
) -> CompanyDraft:
    slot, schedule = _current_slot(config, accounts, now)
    name = next((r.line.company_name for r in results if r.line.company_name), None)
    return CompanyDraft(
        company=company,
        name=name or accounts[0].psa_company,
        period=slot.period if slot else now.astimezone(config.account.zone).date().isoformat(),
        schedule=schedule,
        recipients=_recipients(accounts),
        accounts=covered,
        lines=_billed(config, results, after=True),
        before_run=_billed(config, results, after=False),
        problems=_problems(results),
    )


def decide(draft: CompanyDraft, history: CustomerMailHistory) -> CompanyMail | None:
    """The summary ``draft`` calls for, given what the company was told before; or none."""
    if draft.problems:
        return None  # held back: the run summary says so
    told = history.in_period or history.before
    carried = (
        tuple(line for line in told.lines if line.account not in draft.accounts) if told else ()
    )
    lines = tuple(sorted(draft.lines + carried))
    replaced = history.in_period
    if replaced is None:
        previous = history.before.lines if history.before else draft.before_run
        return CompanyMail(draft, lines, previous)
    if _billing(lines) != _billing(replaced.lines):
        # The same "previous" as the summary it replaces: only this period's numbers move.
        return CompanyMail(draft, lines, replaced.previous, replaces=replaced)
    return None


def _billing(lines: Iterable[BilledLine]) -> set[tuple[tuple[str, str, str], Decimal]]:
    """What a company is billed, whatever the products are called today."""
    return {(line.key, line.quantity) for line in lines}


def held_back(drafts: Iterable[CompanyDraft]) -> tuple[str, ...]:
    """For the billing admins: each company whose customer summary waits, and why."""
    return tuple(
        f"{d.name}, {d.period}: {d.problems}; its customer summary is held back "
        "until all its lines are confirmed"
        for d in drafts
        if d.problems
    )


def company_summary(config: Config, mail: CompanyMail, *, now: datetime) -> Summary:
    """What the company reads: its licences this period against the previous one."""
    draft = mail.draft
    rows = _rows(mail)
    changed = sum(1 for row in rows if row[4] != "no change")
    facts = [
        ("Company", draft.name),
        ("Provider", config.account.name),
        ("Billing period", draft.period),
        ("Licence lines", f"{_count(len(mail.lines), 'line')} ({changed} changed)"),
        ("Next update", next_run_text(draft.schedule, config, now)),
    ]
    title = f"Billing summary for {draft.name}, {draft.period}"
    footer = (
        f"Sent by {config.account.name} once per billing period. "
        "Questions about these quantities? Reply to your account manager."
    )
    if mail.replaces is not None:
        sent = sent_on(config, mail.replaces)
        facts.insert(3, ("Replaces", f"the billing summary sent on {sent}"))
        title = f"Corrected {title[0].lower()}{title[1:]}"
        footer = f"This corrected summary replaces the one sent on {sent}. {footer}"
    columns = (*COLUMNS, "Correction") if mail.correction else COLUMNS
    return Summary(
        kind="customer", title=title, facts=tuple(facts), columns=columns, rows=rows,
        footer=footer, tables=(_table(columns, rows, correction=mail.correction),),
    )  # fmt: skip


def _table(columns: tuple[str, ...], rows: tuple[Row, ...], *, correction: bool) -> Table:
    """Quantities right-aligned; a correction highlights the lines it corrects."""
    align: tuple[Align, ...] = ("l", "l", "r", "r", "r")
    tones: tuple[Tone | None, ...] = ()
    if correction:
        align = (*align, "l")
        tones = tuple("warn" if row[5] else None for row in rows)
    return Table("Licences", columns, rows, align, tones)


def sent_on(config: Config, record: CustomerMailRecord) -> str:
    """The day ``record`` was queued, in the account's zone: "2026-12-01"."""
    return f"{record.queued_at.astimezone(config.account.zone):%Y-%m-%d}"


def _rows(mail: CompanyMail) -> tuple[Row, ...]:
    """Every line billed now or in the previous period (or the replaced summary), by name."""
    now, before = _by_key(mail.lines), _by_key(mail.previous)
    told = _by_key(mail.replaces.lines) if mail.replaces else {}
    every = told | before | now
    keys = sorted(every, key=lambda k: (every[k].product.casefold(), every[k].agreement, k))
    rows = []
    for key in keys:
        new = now[key].quantity if key in now else Decimal(0)
        old = before[key].quantity if key in before else None
        cells = (every[key].product, every[key].agreement, "-" if old is None else qty(old))
        row: Row = (*cells, qty(new), _change(old, new))
        if mail.replaces is not None:
            row = (*row, _correction(told.get(key), new))
        rows.append(row)
    return tuple(rows)


def _change(old: Decimal | None, new: Decimal) -> str:
    if old is None:
        return "new"
    if old == new:
        return "no change"
    return f"{'+' if new > old else ''}{qty(new - old)}"


def _correction(told: BilledLine | None, new: Decimal) -> str:
    was = told.quantity if told else Decimal(0)
    return "" if was == new else f"corrected (was {qty(was)})"


def _by_key(lines: Iterable[BilledLine]) -> dict[tuple[str, str, str], BilledLine]:
    return {line.key: line for line in lines}


def _companies(config: Config) -> dict[str, list[Customer]]:
    """Synced vendor accounts per PSA company (casefolded identifier), in config order."""
    found: dict[str, list[Customer]] = {}
    for customer in config.customers:
        if customer.sync:
            found.setdefault(customer.psa_company.casefold(), []).append(customer)
    return found


def _recipients(accounts: Sequence[Customer]) -> tuple[str, ...]:
    """Every address any of the company's vendor accounts configures, each once."""
    seen: dict[str, str] = {}
    for customer in accounts:
        for email in customer.emails:
            seen.setdefault(email.casefold(), email)
    return tuple(seen.values())


def _current_slot(
    config: Config, accounts: Sequence[Customer], now: datetime
) -> tuple[Slot | None, Schedule]:
    """The billing period a company is in: the latest slot any of its accounts' schedules
    has reached (accounts on one schedule agree; on several, the most recent period wins)."""
    best: tuple[Slot | None, Schedule] = (None, accounts[0].schedule or config.schedule)
    for schedule in dict.fromkeys(c.schedule or config.schedule for c in accounts):
        slot = previous_slot(schedule.rule(), config.account.zone, now)
        if slot is not None and (best[0] is None or slot.at > best[0].at):
            best = (slot, schedule)
    return best


def _billed(
    config: Config, results: Sequence[LineResult], *, after: bool
) -> tuple[BilledLine, ...]:
    """The company's lines in place after this run at their new quantity (``after``), or every
    line at its quantity before the run; lines at 0 are not billed, so not listed."""
    names: Mapping[str, str] = {p.sku: p.name for p in config.products if p.name}
    found = []
    for result in results:
        line = result.line
        quantity = line.current
        if after:
            if result.status != "confirmed" and line.action != "keep":
                continue
            quantity = line.desired if line.desired is not None else line.current
        if quantity:
            product = names.get(line.sku, line.sku)
            agreement = line.agreement_name or "-"
            found.append(BilledLine(line.customer, line.sku, agreement, product, quantity))
    return tuple(sorted(found))


def _problems(results: Sequence[LineResult]) -> str:
    failed = sum(1 for r in results if r.status == "failed")
    held = sum(1 for r in results if r.status != "failed" and r.line.action == "held")
    parts = [(n, word) for n, word in ((failed, "failed"), (held, "held")) if n]
    # "1 line failed, 2 held", "2 lines held": the noun once, on the first count.
    return ", ".join(
        f"{_count(n, 'line') if i == 0 else n} {word}" for i, (n, word) in enumerate(parts)
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
