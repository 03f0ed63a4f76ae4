"""A :class:`~psabill.notify.summary.Summary` as plain text, HTML and CSV.

Pure. The HTML escapes every value (customer names, PSA error texts and
product names all come from outside); the CSV guards text cells against
spreadsheet formula injection and is written as UTF-8 with a BOM so that
Excel shows "Müller & Söhne GmbH" rather than mojibake.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from decimal import Decimal
from html import escape

from psabill.core.outcome import LineResult
from psabill.core.plan import qty
from psabill.notify.summary import Summary
from psabill.notify.tables import Banner, Table

_INK = {"good": "#1b7f3b", "warn": "#a04f00", "bad": "#b00020", "info": "#1a5fb4"}
"""Banner colours: white text on each stays above WCAG's 4.5:1 contrast."""
_WASH = {"bad": "#fdecea", "warn": "#fff4e5"}
"""Row backgrounds of failed and held lines."""

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_RUN_CSV = (
    "customer_id", "customer", "company", "agreement_id", "agreement", "sku", "psa_product",
    "action", "status", "current", "new", "addition_id", "why", "error",
)  # fmt: skip
_CUSTOMER_CSV = ("customer", "sku", "product", "agreement", "previous", "new", "status")


def text_body(summary: Summary) -> str:
    out = [_banner_text(summary.banner)] if summary.banner else []
    out += [summary.title, "=" * len(summary.title), ""]
    width = max(len(label) for label, _ in summary.facts) + 1
    out += [f"{label + ':':<{width}} {value}" for label, value in summary.facts]
    if summary.failures:
        out += _heading(f"Failures ({len(summary.failures)})")
        for failure in summary.failures:
            out.append(f"- {failure.where}: {failure.message}")
            if failure.hint:
                out.append(f"  hint: {failure.hint}")
    for title, items in summary.notes:
        out += _heading(title)
        out += [f"- {item}" for item in items]
    for table in summary.tables:
        out += _heading(table.title) + _text_table(table.columns, table.rows, table.align)
        out += [_after_text(table)] if table.hidden or table.note else []
    if not summary.tables:
        out += _heading(f"Lines ({len(summary.rows)})")
        out += _text_table(summary.columns, summary.rows) if summary.rows else ["(none)"]
    out += ["", "-- ", summary.footer, ""]
    return "\n".join(out)


def _after_text(table: Table) -> str:
    """ "and 1,234 unchanged lines (every line is in the attached CSV)", or the note alone."""
    if table.hidden:
        return f"{table.more} ({table.note})" if table.note else table.more
    return table.note


def _banner_text(banner: Banner) -> str:
    return f"{banner.word}: {banner.detail}" if banner.detail else banner.word


def _heading(title: str) -> list[str]:
    return ["", title, "-" * len(title)]


def _text_table(
    columns: Sequence[str], rows: Sequence[Sequence[str]], align: Sequence[str] = ()
) -> list[str]:
    if not rows:
        return []
    widths = [max(len(str(cell)) for cell in column) for column in zip(columns, *rows, strict=True)]
    sides = list(align) or ["l"] * len(columns)

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            f"{cell:>{w}}" if side == "r" else f"{cell:<{w}}"
            for cell, w, side in zip(cells, widths, sides, strict=True)
        ).rstrip()

    return [line(columns), line(["-" * w for w in widths]), *(line(row) for row in rows)]


def html_body(summary: Summary) -> str:
    e = escape
    parts = [
        '<!DOCTYPE html><html><head><meta charset="utf-8">',
        f"<title>{e(summary.title)}</title></head>",
        '<body style="font-family: sans-serif; font-size: 14px;">',
        *([_banner_html(summary.banner)] if summary.banner else []),
        f"<h2>{e(summary.title)}</h2>",
        '<table cellpadding="3">',
        *(f"<tr><th align='left'>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in summary.facts),
        "</table>",
        *_failures_html(summary),
    ]
    for title, items in summary.notes:
        parts.append(f"<h3>{e(title)}</h3><ul>")
        parts += [f"<li>{e(item)}</li>" for item in items]
        parts.append("</ul>")
    for table in summary.tables:
        parts += _table_html(table)
    if not summary.tables:
        lines = Table(f"Lines ({len(summary.rows)})", summary.columns, summary.rows, ())
        parts += _table_html(lines)
    parts += [f"<p><small>{e(summary.footer)}</small></p>", "</body></html>", ""]
    return "\n".join(parts)


def _banner_html(banner: Banner) -> str:
    detail = f' <span style="font-size: 15px; font-weight: normal;">{escape(banner.detail)}</span>'
    return (
        f'<div class="banner" data-tone="{banner.tone}" style="background: {_INK[banner.tone]}; '
        "color: #ffffff; padding: 12px 16px; font-size: 22px; font-weight: bold; "
        f'border-radius: 4px;">{escape(banner.word)}{detail if banner.detail else ""}</div>'
    )


def _failures_html(summary: Summary) -> list[str]:
    if not summary.failures:
        return []
    parts = [f'<h3 style="color: {_INK["bad"]};">Failures ({len(summary.failures)})</h3><ul>']
    for failure in summary.failures:
        hint = f"<br><i>hint: {escape(failure.hint)}</i>" if failure.hint else ""
        parts.append(f"<li><b>{escape(failure.where)}</b>: {escape(failure.message)}{hint}</li>")
    return [*parts, "</ul>"]


def _table_html(table: Table) -> list[str]:
    """A bordered table; right-aligned numbers; failed rows red, held rows amber."""
    e = escape
    sides = table.align or ("l",) * len(table.columns)
    tones = table.tones or (None,) * len(table.rows)
    parts = [f"<h3>{e(table.title)}</h3>"]
    if table.rows:
        parts.append('<table border="1" cellpadding="4" style="border-collapse: collapse;">')
        parts.append(
            "<tr>"
            + "".join(_cell_html(c, s, "th") for c, s in zip(table.columns, sides, strict=True))
            + "</tr>"
        )
        for row, tone in zip(table.rows, tones, strict=True):
            style = f' class="{tone}" style="background: {_WASH[tone]};"' if tone in _WASH else ""
            cells = "".join(_cell_html(c, s, "td") for c, s in zip(row, sides, strict=True))
            parts.append(f"<tr{style}>{cells}</tr>")
        parts.append("</table>")
    if table.hidden:
        note = f" ({e(table.note)})" if table.note else ""
        parts.append(f'<p class="more"><i>{e(table.more)}</i>{note}</p>')
    elif table.note:
        parts.append(f"<p><small>{e(table.note)}</small></p>")
    return parts


def _cell_html(text: str, side: str, tag: str) -> str:
    if side == "r":
        style = "text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums;"
        return f'<{tag} align="right" style="{style}">{escape(text)}</{tag}>'
    return f'<{tag} align="left">{escape(text)}</{tag}>'


def csv_attachment(summary: Summary) -> str:
    """Every line of the summary, one row each, for a spreadsheet (BOM first, for Excel)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if summary.kind == "customer":
        writer.writerow(_CUSTOMER_CSV)
        for result, row in zip(summary.results, summary.rows, strict=True):
            writer.writerow(_customer_row(result, row))
    else:
        writer.writerow(_RUN_CSV)
        for result in summary.results:
            cells = _run_row(result)
            if summary.kind == "plan":
                cells[8] = "awaiting approval" if result.line.writes else "no change"
            writer.writerow(cells)
    return "\ufeff" + buffer.getvalue()


def _run_row(result: LineResult) -> list[str]:
    line = result.line
    addition = result.addition_id or line.addition_id
    return [
        _cell(line.customer),
        _cell(line.customer_label),
        _cell(line.company or ""),
        str(line.agreement_id or ""),
        _cell(line.agreement_name or ""),
        _cell(line.sku),
        _cell(line.psa_product or ""),
        line.action,
        result.status,
        _number(line.current),
        _number(line.desired),
        str(addition or ""),
        _cell(line.why),
        _cell(result.error or ""),
    ]


def _customer_row(result: LineResult, row: Sequence[str]) -> list[str]:
    line = result.line
    product, agreement, _change, status = row
    return [
        _cell(line.customer_label),
        _cell(line.sku),
        _cell(product),
        _cell(agreement),
        _number(line.current),
        _number(line.desired),
        _cell(status),
    ]


def _number(value: Decimal | None) -> str:
    return "" if value is None else qty(value)


def _cell(text: str) -> str:
    """Text a spreadsheet would run as a formula gets a leading apostrophe."""
    return f"'{text}" if text.startswith(_FORMULA_START) else text
