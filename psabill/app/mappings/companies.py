"""Find the PSA company a person names: its identifier, its record id or its exact name.

What ``customers map`` accepts. When nothing matches, the refusal lists the closest live
companies, found live in the PSA by fragments of the text and ranked by similarity, so a typo
("MulerSoehne") still finds its company ("MuellerSoehne").
"""

from __future__ import annotations

import difflib

from psabill.core.entities import Company
from psabill.errors import NotInPsa
from psabill.psa.base import PsaClient
from psabill.psa.words import PsaWords

SEARCH_LIMIT = 200
CLOSEST = 5
FRAGMENT = 3


async def find_company(client: PsaClient, text: str, psa: PsaWords) -> Company:
    """The live company ``text`` names; :class:`NotInPsa` (exit 2) with the closest otherwise.

    On a PSA whose identifier is the record id (Autotask, HaloPSA) the exact name is what a
    person types; the company found carries the id as its identifier, which is what is mapped."""
    needle = text.strip()
    by_identifier = await client.companies([needle]) if needle else []
    live = [c for c in by_identifier if not c.deleted]
    if live:
        return live[0]
    found = await client.search_companies(needle, SEARCH_LIMIT) if len(needle) >= 2 else []
    candidates = [c for c in found if not c.deleted]
    by_id = [c for c in candidates if str(c.id) == needle]
    named = [c for c in candidates if c.name.casefold() == needle.casefold()]
    if by_id or len(named) == 1:
        return (by_id or named)[0]
    if named:
        raise NotInPsa(
            f"{len(named)} PSA {psa.companies} are named {needle!r}: "
            f"name one by its {'id' if psa.companies_by_id else 'identifier'}",
            hint=listing(named, psa),
        )
    closest = await _closest(client, needle, candidates)
    company = f"PSA {psa.company}"
    if by_identifier:
        said = f"{company} {needle!r} is {psa.company_gone}"
    elif psa.companies_by_id:
        said = f"no {company} has the id or name {needle!r}"
    else:
        said = f"no {company} has the identifier, id or name {needle!r}"
    raise NotInPsa(
        said,
        hint=listing(closest, psa) if closest else "find it with `psabill customers search TEXT`",
    )


def listing(companies: list[Company], psa: PsaWords) -> str:
    """One line per company, identifier first (what ``customers map`` writes)."""
    width = max(len(c.identifier) for c in companies)
    if psa.companies_by_id:  # the identifier is the id: say it once
        lines = [f"  {c.identifier:<{width}}  {c.name}" for c in companies]
        head = f"the closest PSA {psa.companies} (map one by its id or exact name):"
    else:
        lines = [f"  {c.identifier:<{width}}  {c.name} (id {c.id})" for c in companies]
        head = f"the closest PSA {psa.companies} (map one by its identifier):"
    return "\n".join([head, *lines])


async def _closest(client: PsaClient, needle: str, found: list[Company]) -> list[Company]:
    """The live companies most like ``needle``: those containing it, or a few fragments of it."""
    pool = {c.id: c for c in found}
    for fragment in _fragments(needle):
        for company in await client.search_companies(fragment, SEARCH_LIMIT):
            if not company.deleted:
                pool.setdefault(company.id, company)
    ranked = sorted(pool.values(), key=lambda c: (-_likeness(needle, c), c.identifier))
    return [c for c in ranked if _likeness(needle, c) >= 0.4][:CLOSEST]


def _fragments(needle: str) -> list[str]:
    """The first, middle and last few characters: a typo rarely spoils all three."""
    if len(needle) < 2 * FRAGMENT:
        return [needle] if len(needle) >= 2 else []
    middle = (len(needle) - FRAGMENT) // 2
    picks = (needle[:FRAGMENT], needle[middle : middle + FRAGMENT], needle[-FRAGMENT:])
    return [p for p in dict.fromkeys(picks) if p.strip() and len(p.strip()) >= 2]


def _likeness(needle: str, company: Company) -> float:
    folded = needle.casefold()
    return max(
        difflib.SequenceMatcher(None, folded, name.casefold()).ratio()
        for name in (company.identifier, company.name)
    )
