"""The PSA's invoices for a billing period, so a billing admin can check what was billed."""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, datetime

from psabill.config.models import Config, Customer
from psabill.core.entities import Invoice
from psabill.core.mapping import customer_key
from psabill.errors import UsageError
from psabill.psa.base import PsaClient

_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Period:
    """A calendar month, as billing periods are named (``2026-11``)."""

    name: str
    first: date
    last: date


def parse_period(text: str) -> Period:
    match = _PERIOD.match(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise UsageError(f"--period must be a month like 2026-11, got {text!r}")
    year, month = int(match.group(1)), int(match.group(2))
    return Period(text.strip(), date(year, month, 1), date(year, month, monthrange(year, month)[1]))


def current_period(config: Config, now: datetime) -> Period:
    """The month ``now`` falls in, in the account's time zone."""
    local = now.astimezone(config.account.zone)
    return parse_period(f"{local:%Y-%m}")


def companies_of(config: Config, customer: str | None) -> list[str]:
    """PSA company identifiers of every mapped customer, or of one (vendor id or source:id)."""
    chosen: list[Customer] = [
        c for c in config.customers if customer is None or customer in (c.id, customer_key(c))
    ]
    if customer is not None and not chosen:
        raise UsageError(
            f"customer {customer!r} is not mapped", hint="see `psabill customers list`"
        )
    return sorted({c.psa_company for c in chosen})


async def invoices_for(client: PsaClient, identifiers: list[str], period: Period) -> list[Invoice]:
    """Invoices of these companies dated within ``period``, by date then number."""
    return (await named_invoices(client, identifiers, period)).invoices


@dataclass(frozen=True)
class NamedInvoices:
    """Invoices, and the names of the companies they bill (by company id), for people."""

    invoices: list[Invoice]
    names: dict[int, str]


async def named_invoices(
    client: PsaClient, identifiers: list[str], period: Period
) -> NamedInvoices:
    """:func:`invoices_for`, with the PSA names of the companies (read anyway)."""
    if not identifiers:
        return NamedInvoices([], {})
    companies = [c for c in await client.companies(identifiers) if not c.deleted]
    if not companies:
        return NamedInvoices([], {})
    found = await client.invoices([c.id for c in companies], period.first, period.last)
    names = {c.id: c.name for c in companies if c.name}
    return NamedInvoices(sorted(found, key=lambda i: (i.date, i.number)), names)
