"""Setting units on Autotask, where the only write is a signed, final delta (reference §1.7).

Autotask's ``ContractServiceAdjustments`` add ``unitChange`` units from ``effectiveDate``; they
can never be read back, changed or deleted, and an extra one bills the customer. So each change
of one (contract, service) runs, under that pair's lock (never two deltas in flight for it):

1. **Settle what is open.** Every journal entry of the pair still ``sending`` (a run killed
   between recording and answer) or ``unknown`` (a lost answer) is re-read on its day: units
   at its ``after`` -> ``landed``; at its ``before`` -> ``lost``; anything else -> stop, naming
   the entry: only a person can tell what happened (``psabill adjustments resolve``).
2. **A fresh read** of the units on the billing day; nothing is posted when they are right.
3. **Journal first**: :meth:`DeltaJournal.sending` returns before the POST goes out.
4. **POST once**: an answer with an id -> ``posted``; a refusal (4xx, or a 5xx Autotask
   states is final) -> ``refused``; no usable answer -> ``unknown``, then one re-read: at
   ``after`` -> ``landed``; at ``before`` -> left ``unknown`` and an error (the next run's
   step 1 finds out; this run never posts again); else an error.
5. **Read back**: the units must equal the target; if not, an error. Never "corrected" by
   another delta.
"""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal

from psabill.errors import PsaError, UnknownOutcome
from psabill.psa.autotask import mapping as at
from psabill.psa.autotask.reads import AtReads, count_units
from psabill.psa.base import Delta, DeltaJournal, JournalEntry

ADJUSTMENTS = "ContractServiceAdjustments"
RESOLVE_HINT = (
    "look at the contract service's units in Autotask for that day, then record what "
    "happened with `psabill adjustments resolve {entry} landed` or `... lost`"
)


class DeltaPoster:
    """Posts unit deltas for one client, journalled, one at a time per contract service."""

    def __init__(self, reads: AtReads, journal: DeltaJournal) -> None:
        self.reads, self.journal = reads, journal
        self._locks: dict[tuple[int, int], asyncio.Lock] = {}
        self._unknown: set[tuple[int, int]] = set()
        """Pairs whose delta this client left ``unknown``: not written again by it."""

    def lock(self, contract_id: int, service_id: int) -> asyncio.Lock:
        return self._locks.setdefault((contract_id, service_id), asyncio.Lock())

    async def set_units(
        self, contract_id: int, service_id: int, reference: int | None, day: date, target: int
    ) -> int:
        """Make the units on ``day`` equal ``target``; the units read back. The contract is
        forgotten by the client's read cache before and after, whatever happens between."""
        async with self.lock(contract_id, service_id):
            self.reads.forget(contract_id)
            try:
                return await self._set_units(contract_id, service_id, reference, day, target)
            finally:
                self.reads.forget(contract_id)

    async def _set_units(
        self, contract_id: int, service_id: int, reference: int | None, day: date, target: int
    ) -> int:
        if (contract_id, service_id) in self._unknown:
            raise PsaError(
                f"not changing service {service_id} on contract {contract_id} again: an "
                "adjustment of it this run has an unknown outcome",
                hint="the next run re-reads the units before posting anything for it",
            )
        await self._check_contract(contract_id, day)
        await self.settle_open(contract_id, service_id)
        rows = await self.reads.unit_rows(contract_id, service_id, day)
        before = count_units(rows)
        if before == target:
            return before
        if not rows and reference is not None:
            await self._check_link(contract_id, service_id, reference)
        if any(row.get("approveAndPostDate") for row in rows):
            raise PsaError(
                f"contract {contract_id}'s period holding {day} is approved and posted in "
                "Autotask: its units cannot change",
                hint="bill the change from a day in an open period (the next billing date)",
            )
        delta = Delta(
            contract_id, service_id, reference, day, Decimal(before), Decimal(target - before)
        )
        return await self._post(delta)

    async def settle_open(self, contract_id: int, service_id: int) -> None:
        """Step 1 of the module docstring: every open entry of the pair is settled or fatal."""
        for entry in self.journal.open_entries(contract_id, service_id):
            units = Decimal(await self.reads.units_on(contract_id, service_id, entry.delta.day))
            if units == entry.delta.after:
                self.journal.settle(entry.id, "landed", note=f"re-read: {units} units")
            elif units == entry.delta.before:
                self.journal.settle(entry.id, "lost", note=f"re-read: {units} units")
            else:
                raise _unresolved(entry, units)

    async def settle_quietly(self, contract_id: int, service_id: int) -> None:
        """:meth:`settle_open` where a read can settle; an entry it cannot settle stays open
        (the next write of the pair stops on it, naming it) and a failed read changes nothing."""
        if not self.journal.open_entries(contract_id, service_id):
            return
        async with self.lock(contract_id, service_id):
            try:
                await self.settle_open(contract_id, service_id)
            except PsaError:
                return

    async def _check_link(self, contract_id: int, service_id: int, reference: int) -> None:
        """A contract service the client found in an earlier read, and without units on the
        day, is looked for again: if it was removed in Autotask since, a delta would add the
        service back rather than change its units."""
        links = await self.reads.links(contract_id, service_id)
        if not any(link.get("id") == reference for link in links):
            raise PsaError(
                f"Autotask contract {contract_id} has no contract service {reference}",
                hint="it may have been removed in Autotask; run again to plan afresh",
            )

    async def _check_contract(self, contract_id: int, day: date) -> None:
        """What Autotask would refuse with a 500 (an unknown outcome), refused here first; the
        contract as this client listed or first read it (its type, status and term do not
        change during a run, and reading it once per line cost a request per line)."""
        row = await self.reads.contract(contract_id)
        where = f"Autotask contract {contract_id}"
        if row is None:
            raise PsaError(f"{where} does not exist", hint="check the customer's mapping")
        if row.get("contractType") != at.RECURRING_SERVICE:
            raise PsaError(
                f"{where} is not a Recurring Service contract: it has no seat units",
                hint="map the customer to its Recurring Service contract",
            )
        if row.get("status") != at.ACTIVE:
            raise PsaError(f"{where} is inactive", hint="activate it in Autotask, or remap")
        start, end = at.day_of(row.get("startDate")), at.day_of(row.get("endDate"))
        if (start is not None and day < start) or (end is not None and day > end):
            raise PsaError(
                f"{where} runs {start} to {end}: it does not cover {day}",
                hint="extend the contract in Autotask, or map the customer to its new term",
            )

    async def _post(self, delta: Delta) -> int:
        body = {
            "contractID": delta.agreement_id,
            "serviceID": delta.product_id,
            "effectiveDate": at.at_date(delta.day),
            "unitChange": int(delta.change),
        }
        entry = self.journal.sending(delta)
        try:
            item_id = await self.reads.session.create(ADJUSTMENTS, body)
        except UnknownOutcome as unknown:
            self.journal.settle(entry, "unknown", note=unknown.reason)
            return await self._after_unknown(entry, delta, unknown)
        except PsaError as error:
            self.journal.settle(entry, "refused", note=error.message)
            raise
        self.journal.settle(entry, "posted", note=str(item_id))
        after = await self.reads.units_on(delta.agreement_id, delta.product_id, delta.day)
        if after != delta.after:
            raise PsaError(
                f"Autotask took adjustment {item_id} ({_signed(delta)} units of service "
                f"{delta.product_id} on contract {delta.agreement_id} from {delta.day}) but "
                f"shows {after} units instead of {delta.after}",
                hint="something else changed the units meanwhile; check the contract in "
                "Autotask before running again: adjustments are final",
            )
        return after

    async def _after_unknown(self, entry: int, delta: Delta, unknown: UnknownOutcome) -> int:
        what = (
            f"adjustment {_signed(delta)} of service {delta.product_id} on contract "
            f"{delta.agreement_id} from {delta.day} (journal entry {entry})"
        )
        try:
            units = await self.reads.units_on(delta.agreement_id, delta.product_id, delta.day)
        except PsaError as error:
            self._unknown.add((delta.agreement_id, delta.product_id))
            raise PsaError(
                f"{unknown.message}, and re-reading the units failed: {error.message}",
                hint=f"the next run re-reads before posting anything for this service; "
                f"{what} stays open until then",
            ) from None
        if Decimal(units) == delta.after:
            self.journal.settle(entry, "landed", note=f"re-read after {unknown.reason}")
            return units
        if Decimal(units) == delta.before:
            self._unknown.add((delta.agreement_id, delta.product_id))
            raise PsaError(
                f"{unknown.message}: the {what} does not show in Autotask yet",
                hint="psabill will not post it again in this run; the next run re-reads "
                "the units before posting anything for this service",
            )
        raise PsaError(
            f"{unknown.message}, and Autotask now shows {units} units where the {what} "
            f"expected {delta.before} or {delta.after}",
            hint=RESOLVE_HINT.format(entry=entry),
        )


def _signed(delta: Delta) -> str:
    return f"{int(delta.change):+d}"


def _unresolved(entry: JournalEntry, units: Decimal) -> PsaError:
    delta = entry.delta
    return PsaError(
        f"journal entry {entry.id} ({_signed(delta)} units of service {delta.product_id} on "
        f"contract {delta.agreement_id} from {delta.day}, {entry.state}) cannot be settled: "
        f"Autotask shows {units} units, neither {delta.before} (not landed) nor "
        f"{delta.after} (landed)",
        hint=RESOLVE_HINT.format(entry=entry.id),
    )
