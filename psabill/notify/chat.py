"""A run summary short enough for a chat message: the banner, the facts that matter, every
failure (never shortened: they are why anyone reads it), notes as counts, where to look.

Pure. Line tables stay in the mail and the ledger (`psabill report RUN_ID`); chat services
cut long messages, and a failure must not be what gets cut.
"""

from __future__ import annotations

from psabill.notify.summary import Summary

_FACTS = ("Period", "Trigger", "Changes", "Money effect", "Checked at", "Would change", "Review")
CHANGES_SHOWN = 5
"""Changed lines a chat message lists before saying how many more there are."""


def chat_body(summary: Summary) -> str:
    banner = summary.banner
    head = f"{banner.word}: {banner.detail}" if banner and banner.detail else summary.title
    out = [head, summary.title] if banner else [head]
    out += [f"{label}: {value}" for label, value in summary.facts if label in _FACTS]
    if summary.failures:
        out += ["", f"Failures ({len(summary.failures)}):"]
        out += [f"- {failure.where}: {failure.message}" for failure in summary.failures]
    for title, items in summary.notes:
        out.append(f"{title}: {len(items)}")
    for table in summary.tables:
        if table.title.startswith("Changes"):
            out += ["", f"{table.title}:"]
            out += [_change(row) for row in table.rows[:CHANGES_SHOWN]]
            if len(table.rows) > CHANGES_SHOWN:
                out.append(f"and {len(table.rows) - CHANGES_SHOWN:,} more (see the email)")
    return "\n".join(out)  # the footer points at the CSV attachment, which chat lacks


def _change(row: tuple[str, ...]) -> str:
    customer, _agreement, product, previous, new, change, amount = row[:7]
    money = f", {amount}" if amount else ""
    return f"- {customer} {product}: {previous} → {new} ({change}{money})"
