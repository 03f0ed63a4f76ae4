"""Check mappings against the live PSA before they are written (like a vendor portal's "Verify").

A name that does not exist in the PSA is refused with :class:`NotInPsa` (exit 2:
the command's argument is wrong); a PSA that cannot be reached raises
:class:`~psabill.errors.PsaError` (exit 1) from the client.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from psabill.config.models import Config, Contract, Customer
from psabill.core.contracts import choose_agreement, contract_for
from psabill.core.entities import Agreement, CatalogItem, Company
from psabill.core.mapping import MappingIndex, customer_key
from psabill.errors import NotInPsa
from psabill.psa import PsaClient, RetryPolicy, open_client
from psabill.psa.words import PsaWords, words

T = TypeVar("T")


def with_client(config: Config, job: Callable[[PsaClient], Awaitable[T]]) -> T:
    """Run ``job`` with an open client for the configured PSA."""

    async def run() -> T:
        policy = RetryPolicy(max_retries=config.psa.retries)
        async with open_client(config.psa, policy=policy) as client:
            return await job(client)

    return asyncio.run(run())


async def catalog_item(client: PsaClient, identifier: str, psa: PsaWords) -> CatalogItem:
    """The active catalog item ``identifier``; NotInPsa (with close matches) otherwise."""
    items = await client.catalog_items([identifier])
    active = [i for i in items if not i.inactive]
    if active:
        return next((i for i in active if i.identifier == identifier), active[0])
    inactive = " (only an inactive one)" if items else ""
    similar = await client.search_catalog(identifier, 5) if len(identifier.strip()) >= 2 else []
    names = ", ".join(i.identifier for i in similar if not i.inactive)
    raise NotInPsa(
        f"the PSA has no active {psa.catalog_item} {identifier!r}{inactive}",
        hint=f"similar: {names}" if names else "find it with `psabill products search TEXT`",
    )


async def company(client: PsaClient, identifier: str, psa: PsaWords) -> Company:
    """The live company ``identifier``; NotInPsa if it is missing or deleted."""
    found = await client.companies([identifier])
    live = [c for c in found if not c.deleted]
    if live:
        return live[0]
    state = f"is {psa.company_gone}" if found else "does not exist"
    raise NotInPsa(f"PSA {psa.company} {identifier!r} {state}", hint=psa.company_id_hint)


async def agreement(
    client: PsaClient, company_id: str, contract: Contract, psa: PsaWords
) -> Agreement:
    """The one active agreement ``contract`` names for the company: type first, then name.

    Active as the PSA reports it now (``agreementStatus``): a mapping check has no billing date.
    """
    types = await client.agreement_types()
    if contract.agreement_type.casefold() not in {t.casefold() for t in types}:
        raise NotInPsa(
            f"the PSA has no active {psa.agreement_type} {contract.agreement_type!r}",
            hint=f"{psa.agreement_type}s: {', '.join(types) or 'none'}",
        )
    owner = await company(client, company_id, psa)
    agreements = await client.agreements([owner.id])
    choice = choose_agreement(contract, agreements, on=None)
    if choice.agreement is None:
        active = [a for a in agreements if a.status_on(None) == "Active"]
        names = ", ".join(f'"{a.name}"' for a in active) or "none"
        raise NotInPsa(
            f"{owner.identifier}: {choice.problem}", hint=f"its active {psa.agreements}: {names}"
        )
    return choice.agreement


@dataclass(frozen=True)
class CustomerCheck:
    """The verdict on one customer mapping; ``problems`` empty means it works."""

    key: str
    label: str
    psa_company: str
    problems: tuple[str, ...]
    company_found: bool = True
    """False: the PSA company itself is missing or deleted (else the problems are agreements)."""


async def verify_customers(client: PsaClient, config: Config) -> list[CustomerCheck]:
    """Check every customer mapping: its company, and the agreement each product bills on."""
    identifiers = sorted({c.psa_company for c in config.customers})
    companies = await client.companies(identifiers) if identifiers else []
    live = {c.identifier.casefold(): c for c in companies if not c.deleted}
    deleted = {c.identifier.casefold() for c in companies if c.deleted}
    agreements = await client.agreements([c.id for c in live.values()]) if live else []
    by_company: dict[int, list[Agreement]] = {}
    for item in agreements:
        by_company.setdefault(item.company_id, []).append(item)
    checks = []
    mappings = MappingIndex(config)
    psa = words(config.psa.kind)
    for customer in config.customers:
        found = live.get(customer.psa_company.casefold())
        if found is None:
            gone = customer.psa_company.casefold() in deleted
            state = f"is {psa.company_gone}" if gone else "was not found"
            problems = [f"PSA {psa.company} {customer.psa_company!r} {state}"]
        else:
            problems = _contract_problems(config, mappings, customer, by_company.get(found.id, []))
        checks.append(
            CustomerCheck(
                customer_key(customer),
                customer.name or customer.id,
                customer.psa_company,
                tuple(problems),
                company_found=found is not None,
            )
        )
    return checks


def _contract_problems(
    config: Config, mappings: MappingIndex, customer: Customer, agreements: list[Agreement]
) -> list[str]:
    skus = [product.sku for product in mappings.products_for(customer)]
    problems = []
    for sku in skus or ["*"]:
        choice = choose_agreement(contract_for(config, customer, sku), agreements, on=None)
        if choice.agreement is None:
            problems.append(f"{sku}: {choice.problem}" if sku != "*" else str(choice.problem))
    return list(dict.fromkeys(problems))
