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

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_RUN_CSV = (
    "customer_id", "customer", "company", "agreement_id", "agreement", "sku", "psa_product",
    "action", "status", "current", "new", "addition_id", "why", "error",
)  # fmt: skip
_CUSTOMER_CSV = ("customer", "sku", "product", "agreement", "previous", "new", "status")


def text_body(summary: Summary) -> str:
    out = [summary.title, "=" * len(summary.title), ""]
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
    out += _heading(f"Lines ({len(summary.rows)})")
    out += _text_table(summary.columns, summary.rows) if summary.rows else ["(none)"]
    out += ["", "-- ", summary.footer, ""]
    return "\n".join(out)


def _heading(title: str) -> list[str]:
    return ["", title, "-" * len(title)]


def _text_table(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(str(cell)) for cell in column) for column in zip(columns, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(f"{cell:<{w}}" for cell, w in zip(cells, widths, strict=True)).rstrip()

    return [line(columns), line(["-" * w for w in widths]), *(line(row) for row in rows)]


def html_body(summary: Summary) -> str:
    e = escape
    parts = [
        '<!DOCTYPE html><html><head><meta charset="utf-8">',
        f"<title>{e(summary.title)}</title></head>",
        '<body style="font-family: sans-serif; font-size: 14px;">',
        f"<h2>{e(summary.title)}</h2>",
        '<table cellpadding="3">',
        *(f"<tr><th align='left'>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in summary.facts),
        "</table>",
    ]
    if summary.failures:
        parts.append(f'<h3 style="color: #b00020;">Failures ({len(summary.failures)})</h3><ul>')
        for failure in summary.failures:
            hint = f"<br><i>hint: {e(failure.hint)}</i>" if failure.hint else ""
            parts.append(f"<li><b>{e(failure.where)}</b>: {e(failure.message)}{hint}</li>")
        parts.append("</ul>")
    for title, items in summary.notes:
        parts.append(f"<h3>{e(title)}</h3><ul>")
        parts += [f"<li>{e(item)}</li>" for item in items]
        parts.append("</ul>")
    parts.append(f"<h3>Lines ({len(summary.rows)})</h3>")
    parts.append('<table border="1" cellpadding="4" style="border-collapse: collapse;">')
    parts.append("<tr>" + "".join(f"<th>{e(c)}</th>" for c in summary.columns) + "</tr>")
    for row in summary.rows:
        parts.append("<tr>" + "".join(f"<td>{e(cell)}</td>" for cell in row) + "</tr>")
    parts += ["</table>", f"<p><small>{e(summary.footer)}</small></p>", "</body></html>", ""]
    return "\n".join(parts)


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
