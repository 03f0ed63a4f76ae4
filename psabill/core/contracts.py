"""Choose the agreement a customer's product is billed on: agreement type, then name.

Order: the customer's assignment for this product, else the customer's default
contract, else the global ``[sync] agreement_type``, else the company's only
billable agreement. Several candidates is an error, never a guess.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from psabill.config.models import Config, Contract, Customer
from psabill.core.entities import Agreement


@dataclass(frozen=True)
class Choice:
    agreement: Agreement | None
    problem: str | None = None


def contract_for(config: Config, customer: Customer, sku: str) -> Contract | None:
    for assignment in customer.contracts:
        if assignment.product == sku:
            return assignment
    if customer.contract is not None:
        return customer.contract
    if config.sync.agreement_type:
        return Contract(agreement_type=config.sync.agreement_type)
    return None


def choose_agreement(contract: Contract | None, agreements: Sequence[Agreement]) -> Choice:
    """Pick exactly one billable agreement, or say why not."""
    billable = [a for a in agreements if a.billable]
    if contract is None:
        if len(billable) == 1:
            return Choice(billable[0])
        return Choice(None, _no_contract_problem(billable))
    wanted_type = contract.agreement_type.casefold()
    candidates = [a for a in billable if a.type_name.casefold() == wanted_type]
    what = f'type "{contract.agreement_type}"'
    if contract.agreement_name is not None:
        wanted_name = contract.agreement_name.casefold()
        candidates = [a for a in candidates if a.name.casefold() == wanted_name]
        what += f' named "{contract.agreement_name}"'
    if len(candidates) == 1:
        return Choice(candidates[0])
    if not candidates:
        cancelled = [a for a in agreements if not a.billable and _matches(a, contract)]
        note = " (only a cancelled one)" if cancelled else ""
        return Choice(None, f"no active agreement of {what}{note}")
    names = ", ".join(f'"{a.name}" (#{a.id})' for a in candidates)
    return Choice(
        None, f"{len(candidates)} active agreements of {what}: {names}; set agreement_name"
    )


def _matches(agreement: Agreement, contract: Contract) -> bool:
    if agreement.type_name.casefold() != contract.agreement_type.casefold():
        return False
    name = contract.agreement_name
    return name is None or agreement.name.casefold() == name.casefold()


def _no_contract_problem(billable: Sequence[Agreement]) -> str:
    if not billable:
        return "the company has no active agreement"
    names = ", ".join(f'"{a.name}" ({a.type_name})' for a in billable)
    return (
        f"no contract configured and the company has {len(billable)} active agreements "
        f"({names}); set [sync] agreement_type or the customer's contract"
    )
