"""Apply a plan to the PSA, recording planned -> sent -> confirmed in the ledger.

Each write line is marked ``sent`` before its request goes out, so a crash
leaves a trace; after all writes the touched agreements are read back and
each line is ``confirmed`` only if the PSA really holds what was planned.
One failing line never stops the others. Writes are absolute, so a re-run
after a crash converges instead of doubling.

The ledger is synced to disk once per batch of lines, not once per line: all
writes become ``sent`` in one transaction before the first request, and the
confirmed lines in one after the read-back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Protocol

from psabill.core.entities import Addition, NewAddition, NewCatalogItem
from psabill.core.outcome import STATUS_WITHOUT_WRITE, LineResult
from psabill.core.plan import CatalogRepair, Plan, PlanLine
from psabill.core.report import Stage
from psabill.errors import PsaError
from psabill.psa.base import PsaClient
from psabill.psa.tasks import gather_all
from psabill.state import Ledger, LineUpdate, NewLine


class Observer(Protocol):
    """Progress display hook; the CLI renders it, the runner never imports rich.

    In a run's order: ``reading`` (the PSA reads, one step per agreement whose additions are
    read; :func:`psabill.app.snapshot.read_snapshot`), ``read_done`` each, ``reads_finished``;
    then ``started`` (the writes), ``write_done`` after each write attempt, ``line_done`` as
    each line's final status is known, ``finished``.
    """

    def reading(self, agreements: int) -> None: ...

    def read_done(self) -> None: ...

    def reads_finished(self) -> None: ...

    def started(self, writes: int) -> None: ...

    def write_done(self) -> None: ...

    def line_done(self, result: LineResult) -> None: ...

    def finished(self) -> None: ...


class NullObserver:
    def reading(self, agreements: int) -> None:
        pass

    def read_done(self) -> None:
        pass

    def reads_finished(self) -> None:
        pass

    def write_done(self) -> None:
        pass

    def started(self, writes: int) -> None:
        pass

    def line_done(self, result: LineResult) -> None:
        pass

    def finished(self) -> None:
        pass


@dataclass
class Applier:
    client: PsaClient
    ledger: Ledger
    run_id: int
    now: Callable[[], datetime]
    observer: Observer = field(default_factory=NullObserver)
    stage: Callable[[Stage], None] = lambda stage: None
    """Told ``sent`` after each write the PSA accepted, before it is confirmed."""
    repaired: list[str] = field(default_factory=list)

    async def apply(self, plan: Plan) -> list[LineResult]:
        """Apply every line; effective dates are the plan's billing date, never the wall clock."""
        new = [_new_line(line) for line in plan.lines]
        ids = self.ledger.add_lines(self.run_id, new, at=self.now())
        results: dict[int, LineResult] = {}
        for line_id, line in zip(ids, plan.lines, strict=True):
            if not line.writes:
                results[line_id] = LineResult(line, STATUS_WITHOUT_WRITE[line.action], None)
        writes = {i: line for i, line in zip(ids, plan.lines, strict=True) if line.writes}
        self.observer.started(len(writes))
        writes, failed = await self._repair_catalog(plan, writes)
        results.update(failed)
        sent = await self._send_all(writes, results, plan.today)
        results.update(await self._read_back(sent, plan.today))
        self.observer.finished()
        return [results[i] for i in ids]

    async def _repair_catalog(
        self, plan: Plan, writes: dict[int, PlanLine]
    ) -> tuple[dict[int, PlanLine], dict[int, LineResult]]:
        """Create the catalog items broken mappings fall back to, then point lines at them."""
        product_ids, errors = await self._create_repairs(plan.repairs)
        return self._repoint(writes, product_ids, errors)

    async def _create_repairs(
        self, repairs: Sequence[CatalogRepair]
    ) -> tuple[dict[str, int], dict[str, str]]:
        """Catalog item ids by identifier, and why each one that could not be created failed.

        Each success is also noted in ``repaired``, since the mapping now bills differently.
        """
        product_ids: dict[str, int] = {}
        errors: dict[str, str] = {}
        for repair in repairs:
            new = NewCatalogItem(
                repair.identifier,
                repair.description,
                repair.description,
                price=repair.price,
                cost=repair.cost,
            )
            try:
                item = await self.client.create_catalog_item(new)
            except PsaError as exc:
                errors[repair.identifier] = f"could not create catalog item: {exc}"
                continue
            product_ids[repair.identifier] = item.id
            verb = "bills as" if repair.exists else "now bills as newly created"
            source = f" --source {repair.source}" if repair.source else ""
            self.repaired.append(
                f"{repair.sku} {verb} {item.identifier!r} because PSA product "
                f"{repair.missing!r} is missing; keep it that way with "
                f"`psabill products map {repair.sku} {item.identifier}{source}`"
            )
        return product_ids, errors

    def _repoint(
        self, writes: dict[int, PlanLine], product_ids: dict[str, int], errors: dict[str, str]
    ) -> tuple[dict[int, PlanLine], dict[int, LineResult]]:
        """Lines left to write (on the created item if they had none), and lines whose
        catalog item could not be created, failed now rather than sent half-mapped.
        """
        kept: dict[int, PlanLine] = {}
        failed: dict[int, LineResult] = {}
        for line_id, line in writes.items():
            ident = line.psa_product or ""
            if ident in errors:
                failed[line_id] = self._fail(line_id, line, errors[ident])
            elif line.product_id is None and ident in product_ids:
                kept[line_id] = replace(line, product_id=product_ids[ident])
            else:
                kept[line_id] = line
        return kept, failed

    async def _send_all(
        self, writes: dict[int, PlanLine], results: dict[int, LineResult], today: date
    ) -> dict[int, PlanLine]:
        self.ledger.update_lines([LineUpdate(i, "sent") for i in writes], at=self.now())
        sends = (self._send(i, line, today) for i, line in writes.items())
        outcomes = await gather_all(sends)
        sent: dict[int, PlanLine] = {}
        for line_id, outcome in zip(writes, outcomes, strict=True):
            if isinstance(outcome, LineResult):
                results[line_id] = outcome
            else:
                sent[line_id] = outcome
        return sent

    async def _send(self, line_id: int, line: PlanLine, today: date) -> PlanLine | LineResult:
        try:
            addition = await self._write(line, today)
        except PsaError as exc:
            return self._fail(line_id, line, str(exc))
        finally:
            self.observer.write_done()
        self.stage("sent")
        return replace(line, addition_id=addition.id)

    async def _write(self, line: PlanLine, today: date) -> Addition:
        agreement, addition = line.agreement_id or 0, line.addition_id or 0
        if line.action == "create":
            if line.product_id is None or line.desired is None:
                raise PsaError(f"no catalog item for {line.psa_product!r}")
            if line.unit_price is None:  # a plan saved before prices were planned
                raise PsaError(
                    f"no unit price for {line.psa_product!r}: it would bill at 0",
                    hint="compute a fresh plan, or set unit_price on the product mapping",
                )
            return await self.client.create_addition(
                NewAddition(
                    agreement_id=agreement,
                    product_id=line.product_id,
                    product_identifier=line.psa_product or "",
                    quantity=line.desired,
                    effective_date=today,
                    unit_price=line.unit_price,
                    unit_cost=line.unit_cost,
                    description=line.description or "",
                )
            )
        if line.action == "cancel":
            return await self.client.cancel_addition(agreement, addition, today)
        assert line.desired is not None
        return await self.client.update_addition_quantity(
            agreement, addition, line.desired, on=today
        )

    async def _read_back(self, sent: dict[int, PlanLine], today: date) -> dict[int, LineResult]:
        """Confirm each sent line against a fresh read of its agreement on the billing date."""
        agreements = sorted({line.agreement_id for line in sent.values() if line.agreement_id})
        try:
            reads = await gather_all(self.client.additions(a, on=today) for a in agreements)
        except PsaError as exc:
            return self._fail_all(
                {i: (line, f"read-back failed: {exc}") for i, line in sent.items()}
            )
        fresh = dict(zip(agreements, reads, strict=True))
        confirmed: dict[int, LineResult] = {}
        problems: dict[int, tuple[PlanLine, str]] = {}
        for line_id, line in sent.items():
            problem = _verify(line, fresh.get(line.agreement_id or 0, []))
            if problem:
                problems[line_id] = (line, problem)
            else:
                confirmed[line_id] = LineResult(line, "confirmed", None, line.addition_id)
        changes = [LineUpdate(i, "confirmed", r.addition_id) for i, r in confirmed.items()]
        self.ledger.update_lines(changes, at=self.now())
        for result in confirmed.values():
            self.observer.line_done(result)
        return {**confirmed, **self._fail_all(problems)}

    def _fail(self, line_id: int, line: PlanLine, error: str) -> LineResult:
        return self._fail_all({line_id: (line, error)})[line_id]

    def _fail_all(self, failures: dict[int, tuple[PlanLine, str]]) -> dict[int, LineResult]:
        """Record lines as failed, in one transaction, and tell the observer."""
        changes = [LineUpdate(i, "failed", error=error) for i, (_, error) in failures.items()]
        self.ledger.update_lines(changes, at=self.now())
        results = {}
        for line_id, (line, error) in failures.items():
            results[line_id] = LineResult(line, "failed", error, line.addition_id)
            self.observer.line_done(results[line_id])
        return results


def _verify(line: PlanLine, additions: list[Addition]) -> str | None:
    found = next((a for a in additions if a.id == line.addition_id), None)
    if found is None:
        return f"read-back: addition #{line.addition_id} is not on the agreement"
    if line.action == "cancel":
        return None if found.cancelled_date is not None else "read-back: not cancelled"
    if found.quantity != line.desired:
        return f"read-back: the PSA holds {found.quantity.normalize():f}, not {line.desired}"
    return None


def _new_line(line: PlanLine) -> NewLine:
    status = "planned" if line.writes else STATUS_WITHOUT_WRITE[line.action]
    return NewLine(
        customer=line.customer,
        product=line.sku,
        action=line.action,
        status=status,
        company=line.company,
        agreement_id=line.agreement_id,
        agreement_name=line.agreement_name,
        psa_product=line.psa_product,
        old_quantity=line.current,
        new_quantity=line.desired,
        addition_id=line.addition_id,
        why=line.why,
        error=line.why if status == "failed" else None,
    )
