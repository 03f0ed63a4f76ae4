"""``[[sources]] kind = "sophos"``: monthly usage of every tenant from the Sophos Central
Partner API.

Customer = tenant id (``accountId``), named after the tenant; SKU = ``sku`` (else
``productCode``); quantity = ``billableQuantity`` (or ``actualQuantity``, per the source)
added up over the lines of one tenant and SKU. A line without ``accountId`` (a standalone
subscription) is kept as customer ``no-tenant-<account number>``, so a run lists it as an
unmapped customer. What a reader should notice (counts that bill differently from what is
in use, lines without a tenant, a month not over yet) changes a bill, so it is not a log line a
``-q`` cron run would swallow: it is one of the source's *warnings* (a sentence naming the
source), which the run shows on stderr, in ``--json`` and in its summary mail.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from psabill.config.vendor_models import SophosSource
from psabill.errors import SourceError
from psabill.sources.parse import parse_date
from psabill.sources.vendors.period import RunMoment, UsageMonth, usage_month
from psabill.sources.vendors.records import VendorLine, VendorRecord, summed
from psabill.sources.vendors.session import DEFAULT_RUNTIME, Runtime, VendorSession, run_sync
from psabill.sources.vendors.sophos_api import SERVICE, SophosApi

log = logging.getLogger(__name__)

NO_TENANT = "no-tenant"
SHOWN = 3
"""Examples a warning names before "and N more"."""


def label(source: SophosSource) -> str:
    return f'sophos "{source.name}"'


def read_sophos(
    source: SophosSource,
    moment: RunMoment,
    decimal_skus: frozenset[str],
    runtime: Runtime = DEFAULT_RUNTIME,
    warnings: list[str] | None = None,
) -> tuple[VendorRecord, ...]:
    """Every tenant's usage of the month the run reads. Raises SourceError.

    Warnings go into ``warnings`` as they are found, so one said before a failure (the month
    is not over) survives it; without a list they are logged, as nothing may go unsaid.
    """
    warn: Callable[[str], None] = warnings.append if warnings is not None else log.warning
    month = usage_month(moment, source.usage_month)
    if month.partial:
        warn(
            f"{label(source)}: reads {month.label} so far (the month is not over; a weekly or "
            "daily schedule bills the usage to date)"
        )
    names, items = run_sync(lambda: _fetch(source, month, runtime))
    lines = list(_lines(source, month, items, names))
    records = summed(source, lines, decimal_skus)
    _warn_about(source, month, records, warn)
    return records


async def _fetch(
    source: SophosSource, month: UsageMonth, runtime: Runtime
) -> tuple[dict[str, str], list[Any]]:
    session = VendorSession(label(source), SERVICE, runtime, source.timeout)
    try:
        api = SophosApi(source, session)
        partner = await api.partner()
        names = await api.tenants(partner)
        return names, await api.usage(partner, month)
    finally:
        await session.aclose()


def _lines(
    source: SophosSource, month: UsageMonth, items: list[Any], names: dict[str, str]
) -> Iterator[VendorLine]:
    quantity = source.quantity_field
    other = "actualQuantity" if quantity == "billableQuantity" else "billableQuantity"
    for index, item in enumerate(items):
        where = f"{label(source)}: usage {month.label} items[{index}]"
        if not isinstance(item, dict):
            raise SourceError(f"{where}: expected an object")
        sku = _text(item, source.sku_field) or _text(item, "productCode")
        if sku is None:
            raise SourceError(f'{where}: no "{source.sku_field}" or "productCode"')
        if quantity not in item:
            raise SourceError(f'{where}: no "{quantity}"')
        tenant = _text(item, source.customer_field)
        customer = tenant or _placeholder(item)
        name = names.get(tenant) if tenant else _text(item, "partnerAccountName")
        ended = _text(item, source.date_field) if source.date_field else None
        yield VendorLine(
            where, customer, sku, item[quantity], item.get(other),
            customer_name=name, product_name=_text(item, "productDescription"),
            as_of=parse_date(ended) if ended else None,
        )  # fmt: skip


def _text(item: dict[str, Any], key: str) -> str | None:
    value = item.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return value.strip() or None if isinstance(value, str) else None


def _placeholder(item: dict[str, Any]) -> str:
    account = _text(item, "accountNumberOrSerialNumber") or _text(item, "orderNumber")
    return f"{NO_TENANT}-{account}" if account else NO_TENANT


def _warn_about(
    source: SophosSource,
    month: UsageMonth,
    records: tuple[VendorRecord, ...],
    warn: Callable[[str], None],
) -> None:
    where = f"{label(source)}: {month.label}"
    orphans = [r for r in records if r.customer.startswith(NO_TENANT)]
    if orphans:
        seats = sum(r.quantity for r in orphans)
        whom = "customer" if len(orphans) == 1 else "customers"
        warn(
            f"{where}: {seats} seats of usage without a tenant (accountId), listed as unmapped "
            f"{whom} {_some(r.customer for r in orphans)}"
        )
    noted = [r for r in records if r.note]
    if noted:
        quantity = source.quantity_field
        other = "actualQuantity" if quantity == "billableQuantity" else "billableQuantity"
        count = _count(len(noted), "tenant and SKU", "tenants and SKUs")
        some = _some(f"{r.customer_name or r.customer} {r.sku} {r.note}" for r in noted)
        warn(f"{where}: {quantity} (which bills) differs from {other} for {count}: {some}")


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one}" if n == 1 else f"{n} {many}"


def _some(texts: Iterator[str] | Any) -> str:
    shown = list(texts)
    head = "; ".join(shown[:SHOWN])
    return head if len(shown) <= SHOWN else f"{head} and {len(shown) - SHOWN} more"
