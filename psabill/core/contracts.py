"""Choose the agreement a customer's product is billed on: agreement type, then name.

Order: the customer's assignment for this product, else the customer's default
contract, else the global ``[sync] agreement_type``, else the company's only
active agreement. Only an agreement active on the billing date bills (cancelled, expired and
not-yet-started ones never do); several candidates is an error, never a guess.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from psabill.config.models import Config, Contract, Customer
from psabill.core.entities import Agreement


@dataclass(frozen=True)
class Choice:
    agreement: Agreement | None
    problem: str | None = None
    blocked: Agreement | None = None
    """The one agreement the contract names that is not active on the billing date, if so."""


def contract_for(config: Config, customer: Customer, sku: str) -> Contract | None:
    for assignment in customer.contracts:
        if assignment.product == sku:
            return assignment
    if customer.contract is not None:
        return customer.contract
    if config.sync.agreement_type:
        return _of_type(config.sync.agreement_type)
    return None


@lru_cache(maxsize=8)
def _of_type(agreement_type: str) -> Contract:
    """The contract naming only ``agreement_type``: one immutable value per type, not one per
    line (a plan asks for it per product of every customer)."""
    return Contract(agreement_type=agreement_type)


def choose_agreement(
    contract: Contract | None, agreements: Sequence[Agreement], *, on: date | None
) -> Choice:
    """Pick exactly one agreement active on billing date ``on``, or say why not.

    Active: not cancelled, started (``startDate`` on or before ``on``) and not ended
    (no ``endDate``, or one on or after ``on``); see :meth:`Agreement.status_on`. ``on=None``
    takes the status the PSA reported when read (a mapping check "now", with no billing date).
    Agreements that are not active are never billed, and never make a choice ambiguous; when
    only such agreements fit, the problem names each one with its status.
    """
    active = [a for a in agreements if a.status_on(on) == "Active"]
    if contract is None:
        if len(active) == 1:
            return Choice(active[0])
        return _no_contract(active, agreements, on)
    candidates = [a for a in active if _matches(a, contract)]
    what = f'type "{contract.agreement_type}"'
    if contract.agreement_name is not None:
        what += f' named "{contract.agreement_name}"'
    if len(candidates) == 1:
        return Choice(candidates[0])
    if not candidates:
        idle = [a for a in agreements if _matches(a, contract)]
        problem = f"no active agreement of {what}{_on(on)}{_idle_note(idle, on)}"
        return Choice(None, problem, idle[0] if len(idle) == 1 else None)
    names = ", ".join(f'"{a.name}" (#{a.id})' for a in candidates)
    return Choice(
        None, f"{len(candidates)} active agreements of {what}: {names}; set agreement_name"
    )


def _matches(agreement: Agreement, contract: Contract) -> bool:
    if agreement.type_name.casefold() != contract.agreement_type.casefold():
        return False
    name = contract.agreement_name
    return name is None or agreement.name.casefold() == name.casefold()


def _on(day: date | None) -> str:
    return "" if day is None else f" on {day}"


def _idle_note(idle: Sequence[Agreement], day: date | None) -> str:
    """Every agreement that fits but does not bill, with why, so the user sees which one:
    ``: "Old MSA" (#12) is Expired (ended 2024-06-30)``."""
    if not idle:
        return ""
    return ": " + "; ".join(f'"{a.name}" (#{a.id}) is {a.state_on(day)}' for a in idle)


def _no_contract(
    active: Sequence[Agreement], agreements: Sequence[Agreement], day: date | None
) -> Choice:
    if not active:
        idle = list(agreements)
        problem = f"the company has no active agreement{_on(day)}{_idle_note(idle, day)}"
        return Choice(None, problem, idle[0] if len(idle) == 1 else None)
    names = ", ".join(f'"{a.name}" ({a.type_name})' for a in active)
    return Choice(
        None,
        f"no contract configured and the company has {len(active)} active agreements "
        f"({names}); set [sync] agreement_type or the customer's contract",
    )
