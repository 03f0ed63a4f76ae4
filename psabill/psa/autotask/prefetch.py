"""What the Autotask adapter remembers between calls, so a run costs requests per page, not
per contract.

Asked one contract at a time, a sync's reads cost three queries per contract (its
ContractServices, their Services, its ContractServiceUnits): 1,500 requests to find that 500
contracts need nothing. So :meth:`AtReads.additions` reads at once every contract it knows
of (those :meth:`AtReads.agreements` listed whose term covers the day, and those asked for
meanwhile), with ``in`` filters of 500 ids, and keeps the answer here for the client's
lifetime. Services are kept by id the same way (a run does not change them).

What a write may have changed is never answered from here: a contract is forgotten when a
unit delta for it starts and again when it ends (:meth:`ContractCache.forget`), and an answer
read while a write of the contract was under way is handed to its caller but not kept (the
``generation`` check). The app's read-back after its writes thus reads the contracts written
afresh. The delta itself never uses this cache for units: it reads them fresh every time
(:mod:`.deltas`). The ContractService rows last seen stay known to the writes
(:meth:`ContractCache.known_links`): an adjustment does not change them, and they name the
service a contract service id is for.
"""

from __future__ import annotations

import asyncio
from datetime import date

from psabill.psa.autotask.mapping import Row

Entry = tuple[list[Row], list[Row]]
"""A contract's ContractServices and its ContractServiceUnits rows covering one day."""
Term = tuple[date | None, date | None]
"""A contract's first and last day (None: open)."""


class ContractCache:
    """Contracts' services and units by day, read in bulk, forgotten per contract on a write."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        """Held while a bulk read is under way: callers behind it find their answer kept."""
        self._listed: dict[int, Term] = {}
        self._asked: dict[date, dict[int, None]] = {}
        self._links: dict[int, list[Row]] = {}
        self._fresh_links: set[int] = set()
        self._units: dict[int, dict[date, list[Row]]] = {}
        self._generation: dict[int, int] = {}

    def listed(self, terms: dict[int, Term]) -> None:
        """Contracts worth reading in a bulk read for a day their term covers."""
        self._listed.update(terms)

    def ask(self, contract_id: int, day: date) -> None:
        self._asked.setdefault(day, {})[contract_id] = None

    def get(self, contract_id: int, day: date) -> Entry | None:
        units = self._units.get(contract_id, {}).get(day)
        if units is None or contract_id not in self._fresh_links:
            return None
        return self._links.get(contract_id, []), units

    def batch(self, contract_id: int, day: date) -> list[int]:
        """``contract_id`` and every other contract listed or asked for that has no answer
        kept for ``day``."""
        covering = [c for c, (start, end) in self._listed.items() if _covers(start, end, day)]
        others = [*covering, *self._asked.get(day, {})]
        wanted = dict.fromkeys([contract_id, *others])
        return [c for c in wanted if self.get(c, day) is None]

    def generations(self, contract_ids: list[int]) -> dict[int, int]:
        return {c: self._generation.get(c, 0) for c in contract_ids}

    def store(self, day: date, found: dict[int, Entry], started: dict[int, int]) -> None:
        """Keep what a bulk read found, except for contracts written since it started."""
        for contract_id, (links, units) in found.items():
            if self._generation.get(contract_id, 0) != started.get(contract_id):
                continue
            self._links[contract_id] = links
            self._fresh_links.add(contract_id)
            self._units.setdefault(contract_id, {})[day] = units
            self._asked.get(day, {}).pop(contract_id, None)

    def needs_links(self, contract_id: int) -> bool:
        return contract_id not in self._fresh_links

    def links_of(self, contract_id: int) -> list[Row]:
        return self._links.get(contract_id, [])

    def known_links(self, contract_id: int) -> list[Row] | None:
        """The contract's ContractServices as last read by this client (None: never read)."""
        return self._links.get(contract_id)

    def forget(self, contract_id: int) -> None:
        """Nothing kept for the contract is answered again (its services may be re-read)."""
        self._generation[contract_id] = self._generation.get(contract_id, 0) + 1
        self._fresh_links.discard(contract_id)
        self._units.pop(contract_id, None)

    def learn(self, link: Row) -> None:
        """A ContractService a write created, known to later writes of its contract."""
        contract_id = link.get("contractID")
        if isinstance(contract_id, int) and contract_id in self._links:
            ids = {known.get("id") for known in self._links[contract_id]}
            if link.get("id") not in ids:
                self._links[contract_id] = [*self._links[contract_id], link]


def _covers(start: date | None, end: date | None, day: date) -> bool:
    return (start is None or start <= day) and (end is None or day <= end)
