"""Searching ConnectWise companies by part of their identifier or name, or by record id.

Used by ``psabill customers search`` and to find the company ``customers map`` names. The same
rules as the catalog search in :mod:`.reads`: a text with no escape-free literal is probed by
its longest quote-free run and matched in full here, so a condition is never malformed and a
server that reads ``contains`` as ``LIKE`` cannot widen the answer.
"""

from __future__ import annotations

import re

from psabill.core.entities import Company
from psabill.psa.connectwise import mapping as cw
from psabill.psa.connectwise.session import CwSession

ENDPOINT = "company/companies"
_RECORD_ID = re.compile(r"[0-9]{1,9}")  # a ConnectWise id is an int32


async def search_companies(session: CwSession, text: str, limit: int) -> list[Company]:
    """Companies whose identifier or name contains ``text`` (case-insensitive), or whose
    record id is ``text``; deleted ones included (flagged), at most ``limit``, by identifier."""
    needle = text.strip()
    if len(needle) < 2:
        raise ValueError("search text needs at least 2 characters")
    if limit < 1:
        raise ValueError("limit must be at least 1")
    literal = cw.condition_literal(needle)
    probe = literal or _probe_literal(needle)
    parts = [f"identifier contains {probe}", f"name contains {probe}"] if probe else []
    if _RECORD_ID.fullmatch(needle) and parts:
        parts.append(f"id = {int(needle)}")
    rows = await session.rows(
        ENDPOINT,
        fields=cw.COMPANY_FIELDS,
        conditions=" or ".join(parts) or None,
        order_by="identifier asc",
        limit=limit if literal else None,
    )
    found = session.map(rows, cw.company, f"GET {ENDPOINT}")
    if literal is None:  # the probe asked for more: keep what holds the whole text
        folded = needle.casefold()
        found = [
            c for c in found if folded in c.identifier.casefold() or folded in c.name.casefold()
        ]
    return found[:limit]


def _probe_literal(value: str) -> str | None:
    """The longest run of ``value`` without ``"``, ``\\`` or ``[``, double-quoted, or None."""
    run = max(re.split(r'["\\\[]', value), key=len)
    return f'"{run}"' if run else None
