"""Usage lines from a vendor API into validated usage records, summed per customer and SKU.

Vendors report several lines for one customer and product (one per order line, subscription
or serial number); a bill needs their sum. A line without a customer is never dropped: it
becomes a record of a placeholder customer (``no-tenant-<account>``), which a run lists as an
unmapped customer like any other.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from psabill.config.source_base import SourceBase
from psabill.errors import SourceError
from psabill.sources.parse import MAX_QUANTITY, UsageRecord, parse_quantity, show


@dataclass(frozen=True, slots=True)
class VendorRecord(UsageRecord):
    """A usage record that also knows the vendor's names and what a reader should notice."""

    customer_name: str | None = None
    product_name: str | None = None
    note: str | None = None
    """E.g. ``billable 45, in use 47``: shown beside the line, never changes the count."""


@dataclass(frozen=True)
class VendorLine:
    """One usage line as the vendor reported it, already picked apart."""

    location: str
    customer: str
    sku: str
    quantity: object
    other: object
    """The count that does not bill (actual when billable bills, and vice versa)."""
    customer_name: str | None = None
    product_name: str | None = None
    as_of: date | None = None


def quantity_of(raw: object, where: str, *, decimal: bool, sku: str) -> Decimal:
    """``raw`` as a seat count, by the rules every source follows."""
    number = parse_quantity(raw)
    if isinstance(number, str):
        raise SourceError(f"{where}: {show(raw)} {number}")
    if number > MAX_QUANTITY:
        raise SourceError(f"{where}: {show(raw)} is too large (more than {MAX_QUANTITY:,})")
    if number != number.to_integral_value() and not decimal:
        raise SourceError(
            f"{where}: {show(raw)} is not a whole number",
            hint=f'set decimal_quantities = true on product "{sku}" if it is billed in fractions',
        )
    return number if number != number.to_integral_value() else Decimal(int(number))


def summed(
    source: SourceBase, lines: Iterable[VendorLine], decimal_skus: frozenset[str]
) -> tuple[VendorRecord, ...]:
    """One record per (customer, SKU): the lines' counts added up (or, with ``duplicates =
    "refuse"``, a second line fails the source); a note when the other count differs."""
    groups: dict[tuple[str, str], list[VendorLine]] = {}
    for line in lines:
        group = groups.setdefault((line.customer, line.sku), [])
        if group and source.duplicates == "refuse":
            raise SourceError(
                f'{source.name}: customer "{line.customer}" SKU "{line.sku}" appears twice: '
                f"{group[0].location} and {line.location}",
                hint='set duplicates = "sum" to add up the lines of one customer and SKU',
            )
        group.append(line)
    field = source.quantity_field
    return tuple(_record(source.name, group, decimal_skus, field) for group in groups.values())


def _record(
    source: str, group: list[VendorLine], decimal_skus: frozenset[str], field: str
) -> VendorRecord:
    first = group[0]
    decimal = first.sku in decimal_skus
    total = sum(
        (quantity_of(x.quantity, x.location, decimal=decimal, sku=x.sku) for x in group), Decimal(0)
    )
    other = _other_total(group)
    where = (
        group[0].location if len(group) == 1 else f"{group[0].location} (+{_lines(len(group) - 1)})"
    )
    if total > MAX_QUANTITY:
        raise SourceError(
            f'{source}: customer "{first.customer}" SKU "{first.sku}" adds up to {total}'
        )
    note = None
    if other is not None and other != total:
        billable = field == "billableQuantity"
        note = (
            f"billable {total}, in use {other}" if billable else f"in use {total}, billable {other}"
        )
    dates = [x.as_of for x in group if x.as_of is not None]
    return VendorRecord(
        source, first.customer, first.sku, total, max(dates, default=None), where,
        customer_name=first.customer_name, product_name=first.product_name, note=note,
    )  # fmt: skip


def _other_total(group: list[VendorLine]) -> Decimal | None:
    """The sum of the other count, ``None`` when any line lacks a readable one."""
    total = Decimal(0)
    for line in group:
        number = parse_quantity(line.other)
        if isinstance(number, str):
            return None
        total += number
    return total


def _lines(n: int) -> str:
    return "1 line" if n == 1 else f"{n} lines"


def names_seen(records: Iterable[UsageRecord]) -> dict[tuple[str, str], str]:
    """(source, vendor customer id or SKU) -> the name the vendor gave it, for listings that
    show what the vendor reports (``customers list``, ``products list``)."""
    names: dict[tuple[str, str], str] = {}
    for record in records:
        if isinstance(record, VendorRecord):
            if record.customer_name:
                names[(record.source, record.customer)] = record.customer_name
            if record.product_name:
                names[(record.source, record.sku)] = record.product_name
    return names
