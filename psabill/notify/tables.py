"""The run summary's banner and line tables, as plain data both bodies render alike. Pure.

A billing admin reads a run summary for what needs them first: the banner says how the run
ended in one coloured word, failed and held lines come first, then the changes, and the
unchanged lines (often hundreds) shrink to a count once there are more than
:data:`UNCHANGED_SHOWN_MAX`. Quantities and money are separate right-aligned columns, and the
money effect of a change is its quantity change times the unit price the line bills at.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from psabill.core.outcome import LineResult
from psabill.core.plan import PROBLEMS, PlanLine, qty
from psabill.core.trends import Series

UNCHANGED_SHOWN_MAX = 10
"""Unchanged lines are listed up to this many; more collapse to "and 1,234 unchanged lines"."""

Tone = Literal["good", "warn", "bad", "info"]
Align = Literal["l", "r"]
LINE_COLUMNS = (
    "Customer", "Agreement", "Product", "Previous", "New", "Change", "Amount", "Result", "Why",
)  # fmt: skip
LINE_ALIGN: tuple[Align, ...] = ("l", "l", "l", "r", "r", "r", "r", "l", "l")
_BANNERS: dict[str, tuple[str, Tone]] = {
    "success": ("SUCCESS", "good"),
    "partial": ("PARTIAL", "warn"),
    "failure": ("FAILED", "bad"),
    "guard": ("HELD", "warn"),
    "planned": ("AWAITING APPROVAL", "info"),
    "missed": ("MISSED", "bad"),
}
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class Banner:
    """The outcome in one word (``SUCCESS``, ``PARTIAL``, ``FAILED``, ``HELD``) and a tone
    the HTML turns into a colour; ``detail`` is the short why beside it."""

    word: str
    tone: Tone
    detail: str = ""


@dataclass(frozen=True)
class Table:
    """One titled table; ``tones`` colour its rows (``None``: plain), ``hidden`` counts the
    rows left out and ``hidden_text`` says what they are ("unchanged lines")."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    align: tuple[Align, ...]
    tones: tuple[Tone | None, ...] = ()
    hidden: int = 0
    hidden_text: str = ""
    note: str = ""

    @property
    def more(self) -> str:
        """ "and 1,234 unchanged lines", or "" when nothing is left out."""
        if not self.hidden:
            return ""
        return f"and {self.hidden:,} {self.hidden_text}{'' if self.hidden == 1 else 's'}"


def banner(outcome: str, detail: str = "") -> Banner:
    word, tone = _BANNERS.get(outcome, (outcome.upper(), "info"))
    return Banner(word, tone, detail)


def delta(line: PlanLine) -> Decimal | None:
    """How much the quantity changes (``None``: the line sets no quantity)."""
    if line.desired is None:
        return None
    return line.desired - (line.current or Decimal(0))


def amount(line: PlanLine) -> Decimal | None:
    """The change's money effect at the line's unit price; ``None`` when either is unknown."""
    change = delta(line)
    if change is None or line.unit_price is None:
        return None
    return (change * line.unit_price).quantize(_CENT, ROUND_HALF_UP)


def money(value: Decimal, *, sign: bool = True) -> str:
    """Two decimals, thousands separated, signed: "+1,234.50"."""
    return format(value.quantize(_CENT, ROUND_HALF_UP), "+,.2f" if sign else ",.2f")


def signed(value: Decimal) -> str:
    """ "+3", "-2", "0"."""
    text = qty(value)
    return text if value <= 0 else f"+{text}"


def problem(result: LineResult) -> bool:
    """Failed, held, paused or a write that did not happen: the lines a reader must see."""
    line = result.line
    if result.status == "failed" or line.action in PROBLEMS:
        return True
    return line.writes and result.status != "confirmed"


def changed(result: LineResult) -> bool:
    return result.line.writes and result.status == "confirmed"


def line_tables(results: Sequence[LineResult]) -> tuple[Table, ...]:
    """Failed and held lines, then changes, then unchanged lines (collapsed when many)."""
    problems = [r for r in results if problem(r)]
    changes = [r for r in results if changed(r)]
    rest = [r for r in results if not problem(r) and not changed(r)]
    tables = []
    if problems:
        tones = tuple(_tone(r) for r in problems)
        rows = _rows(problems)
        tables.append(_lines(f"Failed and held lines ({len(problems)})", rows, tones))
    if changes:
        tables.append(_lines(f"Changes ({len(changes)})", _rows(changes), ()))
    if rest:
        shown = rest if len(rest) <= UNCHANGED_SHOWN_MAX else []
        hidden = len(rest) - len(shown)
        table = _lines(
            "Unchanged lines" if hidden else f"Unchanged lines ({len(rest)})", _rows(shown), ()
        )
        note = "every line is in the attached CSV" if hidden else ""
        tables.append(_more(table, hidden, "unchanged line", note))
    return tuple(tables)


def money_effect(results: Iterable[LineResult]) -> str:
    """The confirmed changes' money effect at their unit prices, per agreement billing cycle:
    "+123.45 per billing cycle (3 priced changes; 1 without a known price)"."""
    priced = unpriced = 0
    total = Decimal(0)
    for result in results:
        if not changed(result):
            continue
        value = amount(result.line)
        if value is None:
            unpriced += 1
        else:
            priced, total = priced + 1, total + value
    if not priced:
        return f"not known: {_changes(unpriced)} without a known price" if unpriced else ""
    extra = f"; {unpriced} without a known price" if unpriced else ""
    noun = "change" if priced == 1 else "changes"
    return f"{money(total)} per billing cycle ({priced} priced {noun}{extra})"


def _changes(count: int) -> str:
    return f"{count} {'change' if count == 1 else 'changes'}"


def _lines(title: str, rows: tuple[tuple[str, ...], ...], tones: tuple[Tone | None, ...]) -> Table:
    return Table(title, LINE_COLUMNS, rows, LINE_ALIGN, tones)


def _more(table: Table, hidden: int, text: str, note: str) -> Table:
    return Table(
        table.title, table.columns, table.rows, table.align, table.tones, hidden, text, note
    )


def _tone(result: LineResult) -> Tone:
    return "warn" if result.line.action == "held" else "bad"


def _rows(results: Sequence[LineResult]) -> tuple[tuple[str, ...], ...]:
    return tuple(_row(r) for r in results)


def _row(result: LineResult) -> tuple[str, ...]:
    line = result.line
    product = f"{line.sku} → {line.psa_product}" if line.psa_product else line.sku
    change = delta(line)
    value = amount(line)
    return (
        line.customer_label,
        line.agreement_name or "-",
        product,
        qty(line.current),
        qty(line.desired),
        "" if change is None else signed(change),
        "" if value is None or change == 0 else money(value),
        f"{line.action}: {result.status}",
        result.error or line.why,
    )


def trends_table(series: Sequence[Series]) -> Table | None:
    """The run summary's compact trends block: the products that moved most lately."""
    if not series:
        return None
    periods = max(len(s.periods) for s in series)
    rows = tuple(
        (s.label, s.product, s.sparkline, qty(s.first), qty(s.last), s.change_text) for s in series
    )
    return Table(
        f"Trends over the last {periods} periods (biggest moves)",
        ("Customer", "Product", "Trend", "First", "Last", "Change"),
        rows,
        ("l", "l", "l", "r", "r", "l"),
        note="`psabill report --customer ID --periods 12` shows every product",
    )
