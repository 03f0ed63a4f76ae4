"""The run summary reads in order of urgency: banner, failed and held lines, changes, a count.

The HTML is parsed with html.parser (the structure a mail client renders); how it looks in a
real browser is checked by eye with scripts/render_summary.py, which takes a screenshot.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest

from psabill.config.models import Config
from psabill.core.outcome import LineResult
from psabill.core.report import PacingStats, SyncReport
from psabill.core.trends import Series
from psabill.notify.formats import html_body, text_body
from psabill.notify.summary import Summary, missed_summary, run_summary
from psabill.notify.tables import UNCHANGED_SHOWN_MAX, amount, money, trends_table
from tests.notify.support import DUE_AT, base_config, line, loaded, partial_report


@dataclass
class Cell:
    tag: str
    text: str = ""
    attrs: dict[str, str | None] = field(default_factory=dict)


@dataclass
class Row:
    attrs: dict[str, str | None]
    cells: list[Cell] = field(default_factory=list)


@dataclass
class Page(HTMLParser):
    """What matters of a summary's HTML: the banner, each table's rows, the "more" notes."""

    banner: list[tuple[dict[str, str | None], str]] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    more: list[str] = field(default_factory=list)
    _into: str = ""

    def __post_init__(self) -> None:
        super().__init__()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "div" and found.get("class") == "banner":
            self.banner.append((found, ""))
            self._into = "banner"
        elif tag == "tr":
            self.rows.append(Row(found))
        elif tag in ("td", "th") and self.rows:
            self.rows[-1].cells.append(Cell(tag, attrs=found))
            self._into = "cell"
        elif tag == "p" and found.get("class") == "more":
            self.more.append("")
            self._into = "more"

    def handle_endtag(self, tag: str) -> None:
        if tag in ("div", "td", "th", "p"):
            self._into = ""

    def handle_data(self, data: str) -> None:
        if self._into == "banner":
            attrs, text = self.banner[-1]
            self.banner[-1] = (attrs, text + data)
        elif self._into == "cell":
            self.rows[-1].cells[-1].text += data
        elif self._into == "more":
            self.more[-1] += data


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return loaded(tmp_path, base_config()).config


def line_rows(page: Page) -> list[Row]:
    """The rows of the line tables (nine cells), headers left out."""
    return [r for r in page.rows if len(r.cells) == 9 and r.cells[0].tag == "td"]


def by_product(page: Page, product: str) -> Row:
    return next(row for row in line_rows(page) if row.cells[2].text == product)


def parsed(summary: Summary) -> Page:
    page = Page()
    page.feed(html_body(summary))
    return page


def unchanged(count: int) -> list[LineResult]:
    return [
        LineResult(line(f"c{n}", f"Customer {n}", "CIXA", "unchanged", 7, 7), "confirmed")
        for n in range(count)
    ]


def big_report(config: Config, unchanged_lines: int) -> SyncReport:
    report = partial_report(config)
    held = line("sophos:nw", "Northwind", "CONNECT", "held", 120, 12, why="guard: drop 90%")
    results = [*unchanged(unchanged_lines), *report.results, LineResult(held, "skipped")]
    return replace(report, results=results)


def summary_of(config: Config, report: SyncReport, **extra: object) -> Summary:
    return run_summary(config, report, acting_admin=None, now=DUE_AT, **extra)  # type: ignore[arg-type]


def test_the_banner_says_the_outcome_in_one_coloured_word(config: Config) -> None:
    page = parsed(summary_of(config, partial_report(config)))
    ((attrs, text),) = page.banner
    assert text.startswith("PARTIAL")
    assert "2 updated, 2 failed" in text
    assert attrs["data-tone"] == "warn"
    assert "background: #a04f00" in (attrs["style"] or "")
    words = {"success": "SUCCESS", "failure": "FAILED", "guard": "HELD"}
    for outcome, word in words.items():
        report = replace(partial_report(config), outcome=outcome)
        assert parsed(summary_of(config, report)).banner[0][1].startswith(word)
        assert text_body(summary_of(config, report)).startswith(word)


def test_failed_and_held_rows_come_first_highlighted_then_changes(config: Config) -> None:
    page = parsed(summary_of(config, big_report(config, 3)))
    rows = line_rows(page)
    kinds = [row.attrs.get("class") or "plain" for row in rows]
    assert kinds[:3] == ["bad", "bad", "warn"]  # =HYPERLINK and LP failed, Northwind held
    assert set(kinds[3:]) == {"plain"}
    assert "background: #fdecea" in (rows[0].attrs["style"] or "")
    results = [row.cells[7].text for row in rows]
    assert results == [
        "create: failed", "ambiguous: failed", "held: skipped",
        "update: confirmed", "update: confirmed",
        *["unchanged: confirmed"] * 3,  # up to the threshold they are listed
    ]  # fmt: skip


def test_unchanged_lines_above_the_threshold_collapse_to_a_count(config: Config) -> None:
    listed = parsed(summary_of(config, big_report(config, UNCHANGED_SHOWN_MAX)))
    assert listed.more == []
    page = parsed(summary_of(config, big_report(config, 1234)))
    assert page.more == ["and 1,234 unchanged lines (every line is in the attached CSV)"]
    assert not any(c.text == "unchanged: confirmed" for r in page.rows for c in r.cells)
    text = text_body(summary_of(config, big_report(config, UNCHANGED_SHOWN_MAX + 1)))
    assert "and 11 unchanged lines (every line is in the attached CSV)" in text


def test_numbers_are_right_aligned_columns(config: Config) -> None:
    page = parsed(summary_of(config, partial_report(config)))
    header = next(row for row in page.rows if row.cells and row.cells[0].text == "Customer")
    assert header.cells[3].tag == "th"
    assert header.cells[3].attrs.get("align") == "right"
    names = [cell.text for cell in header.cells]
    assert names == [
        "Customer", "Agreement", "Product", "Previous", "New", "Change", "Amount", "Result", "Why",
    ]  # fmt: skip
    acme = by_product(page, "CIXA → CIXA-PSA")
    assert [c.text for c in acme.cells[3:6]] == ["42", "45", "+3"]
    for cell in acme.cells[3:7]:
        assert cell.attrs.get("align") == "right"
    assert acme.cells[0].attrs.get("align") == "left"
    text = text_body(summary_of(config, partial_report(config)))
    row = next(t for t in text.splitlines() if "CIXA → CIXA-PSA" in t)
    header_line = text.splitlines()[text.splitlines().index(row) - 2]
    assert row.index("42") + 2 == header_line.index("Previous") + len("Previous")  # flush right


def test_money_effect_per_line_and_for_the_run(config: Config) -> None:
    report = partial_report(config)
    priced = [replace(r, line=replace(r.line, unit_price=Decimal("4.505"))) for r in report.results]
    summary = summary_of(config, replace(report, results=priced))
    assert ("Money effect", "+22.53 per billing cycle (2 priced changes)") in summary.facts
    assert amount(priced[0].line) == Decimal("13.52")  # 3 x 4.505, half up
    page = parsed(summary)
    acme = by_product(page, "CIXA → CIXA-PSA")
    assert acme.cells[6].text == "+13.52"
    unpriced = dict(summary_of(config, report).facts)["Money effect"]
    assert unpriced == "not known: 2 changes without a known price"
    assert money(Decimal("-1234.5")) == "-1,234.50"


def test_pacing_is_one_line_and_absent_without_requests(config: Config) -> None:
    report = replace(partial_report(config), pacing=PacingStats(1, 0, 0.04))
    assert dict(summary_of(config, report).facts)["PSA requests"] == (
        "1 request, 0 throttled (429), 0.0 s waited"
    )
    report = replace(report, pacing=PacingStats(12345, 7, 61.25))
    text = text_body(summary_of(config, report))
    assert "PSA requests:       12,345 requests, 7 throttled (429), 61.2 s waited" in text
    assert "PSA requests" not in text_body(summary_of(config, partial_report(config)))


def test_the_trends_block_follows_the_lines(config: Config) -> None:
    periods = ("2026-10", "2026-11", "2026-12")
    series = Series(
        "sophos:acme", "Acme Dental Group", "CIXA", periods, (None, *map(Decimal, (40, 45)))
    )
    summary = summary_of(config, partial_report(config), trends=trends_table([series]))
    text = text_body(summary)
    assert text.index("Changes (2)") < text.index("Trends over the last 3 periods")
    row = next(t for t in text.splitlines() if t.startswith("Acme Dental Group  CIXA"))
    assert "·▁█" in row
    assert "40 → 45 (+5, +12.5%)" in row


def test_a_missed_period_keeps_its_loud_banner(config: Config) -> None:
    report = replace(partial_report(config), outcome="not_due", results=[])
    page = parsed(missed_summary(config, report, now=DUE_AT))
    assert page.banner[0][1].startswith("MISSED")
    assert page.banner[0][0]["data-tone"] == "bad"
