"""ConnectWise JSON <-> psabill value objects, strictly.

Reading: every row is checked field by field; a missing required field, a wrong type or a value
out of range raises :class:`Malformed`, which the adapter turns into one ``PsaError`` naming the
endpoint. A list is mapped whole or not at all, so no caller ever sees a half-read answer.
Fields the spec marks nullable may be ``null`` or absent (``fields=`` leaves out what was
not asked for, and some versions drop nulls).

Numbers arrive as JSON doubles and are parsed straight to ``Decimal`` from their text (the
adapter decodes with ``parse_float=Decimal``), so ``4.5`` is ``Decimal("4.5")`` and no float
arithmetic ever touches a quantity or a price.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar, cast, get_args

from psabill.core.entities import (
    Addition,
    Agreement,
    AgreementStatus,
    CatalogItem,
    Company,
    Invoice,
)

T = TypeVar("T")

COMPANY_FIELDS = "id,identifier,name,deletedFlag"
AGREEMENT_FIELDS = (
    "id,name,type/name,company/id,company/identifier,cancelledFlag,agreementStatus,"
    "startDate,endDate"
)
ADDITION_FIELDS = (
    "id,agreementId,product/id,product/identifier,quantity,unitPrice,unitCost,"
    "effectiveDate,cancelledDate,agreementStatus,description"
)
CATALOG_FIELDS = "id,identifier,description,inactiveFlag,price,cost"
INVOICE_FIELDS = "id,invoiceNumber,company/id,company/identifier,date,total,agreement/id"
SETUP_FIELDS = "id,name,defaultFlag,inactiveFlag"
_STATUSES: tuple[str, ...] = get_args(AgreementStatus)


class Malformed(Exception):
    """A JSON value does not have the shape psabill relies on; the message says where."""


class Row:
    """Typed, strict access to one JSON object; ``where`` prefixes every complaint.

    A sync maps thousands of rows, so each accessor first takes the value as it is when its
    type is exactly the expected one (``json`` builds nothing else) and only otherwise goes
    the long way, which says what is wrong.
    """

    def __init__(self, data: Any, where: str) -> None:
        if type(data) is not dict and not isinstance(data, Mapping):
            raise Malformed(f"{where}: expected an object, got {_kind(data)}")
        self.data: Mapping[str, Any] = data
        self.where = where

    def _get(self, key: str, required: bool) -> Any:
        value = self.data.get(key)
        if value is None and required:
            raise Malformed(f"{self.where}: field {key!r} is missing")
        return value

    def _typed(self, key: str, kind: type[T], required: bool, what: str) -> T | None:
        value = self._get(key, required)
        if value is None:
            return None
        if not isinstance(value, kind) or isinstance(value, bool) != (kind is bool):
            raise Malformed(f"{self.where}: field {key!r} should be {what}, got {_kind(value)}")
        return value

    def integer(self, key: str) -> int:
        value = self.data.get(key)
        if type(value) is int:
            return value
        return cast(int, self._typed(key, int, True, "an integer"))

    def opt_integer(self, key: str) -> int | None:
        value = self.data.get(key)
        if value is None or type(value) is int:
            return value
        return self._typed(key, int, False, "an integer")

    def text(self, key: str) -> str:
        value = self.data.get(key)
        if type(value) is str:
            return value
        return cast(str, self._typed(key, str, True, "a string"))

    def opt_text(self, key: str, default: str = "") -> str:
        value = self.data.get(key)
        if type(value) is str:
            return value
        value = self._typed(key, str, False, "a string")
        return default if value is None else value

    def flag(self, key: str) -> bool:
        """A boolean flag; absent (null) counts as ``False``."""
        value = self.data.get(key)
        if type(value) is bool:
            return value
        return bool(self._typed(key, bool, False, "true or false"))

    def opt_decimal(self, key: str) -> Decimal | None:
        value = self.data.get(key)
        if value is None:
            return None
        if type(value) is Decimal:
            number = value
        elif isinstance(value, bool) or not isinstance(value, int | Decimal | float):
            raise Malformed(f"{self.where}: field {key!r} should be a number, got {_kind(value)}")
        else:
            number = value if isinstance(value, Decimal) else Decimal(str(value))
        if not number.is_finite():
            raise Malformed(f"{self.where}: field {key!r} is not a finite number")
        # A double on the wire shows whole numbers as "42.0"; psabill's are plain "42".
        whole = number.to_integral_value()
        return whole if number == whole else number

    def decimal(self, key: str) -> Decimal:
        self._get(key, True)
        return cast(Decimal, self.opt_decimal(key))

    def opt_day(self, key: str) -> date | None:
        text = self.data.get(key)
        if text is None:
            return None
        if type(text) is not str:
            text = cast(str, self._typed(key, str, False, "a date-time"))
        try:
            moment = datetime.fromisoformat(text)
            return moment.astimezone(UTC).date() if moment.tzinfo else moment.date()
        except (ValueError, OverflowError):  # OverflowError: before year 1 or after 9999 in UTC
            raise Malformed(f"{self.where}: field {key!r} is not a date-time: {text!r}") from None

    def day(self, key: str) -> date:
        self._get(key, True)
        return cast(date, self.opt_day(key))

    def status(self, key: str) -> AgreementStatus:
        value = self.opt_text(key, "Active")
        if value not in _STATUSES:
            raise Malformed(f"{self.where}: field {key!r} has unknown value {value!r}")
        return cast(AgreementStatus, value)

    def ref(self, key: str) -> Row:
        return Row(self._get(key, True), f"{self.where}.{key}")

    def opt_ref(self, key: str) -> Row | None:
        value = self.data.get(key)
        return None if value is None else Row(value, f"{self.where}.{key}")


def map_list(payload: Any, mapper: Callable[[Row], T], what: str) -> list[T]:
    if not isinstance(payload, list):
        raise Malformed(f"expected a list of {what}, got {_kind(payload)}")
    return [mapper(Row(item, f"{what}[{index}]")) for index, item in enumerate(payload)]


def map_one(payload: Any, mapper: Callable[[Row], T], what: str) -> T:
    return mapper(Row(payload, what))


def company(row: Row) -> Company:
    return Company(
        id=row.integer("id"),
        identifier=row.text("identifier"),
        name=row.text("name"),
        deleted=row.flag("deletedFlag"),
    )


def agreement(row: Row) -> Agreement:
    owner = row.ref("company")
    return Agreement(
        id=row.integer("id"),
        name=row.text("name"),
        type_name=row.ref("type").text("name"),
        company_id=owner.integer("id"),
        company_identifier=owner.text("identifier"),
        cancelled=row.flag("cancelledFlag"),
        status=row.status("agreementStatus"),
        start_date=row.opt_day("startDate"),
        end_date=row.opt_day("endDate"),
    )


def addition_of(agreement_id: int) -> Callable[[Row], Addition]:
    """Mapper for additions read under ``agreement_id``; a row naming another one is refused."""

    def addition(row: Row) -> Addition:
        stated = row.opt_integer("agreementId")
        if stated is not None and stated != agreement_id:
            raise Malformed(f"{row.where}: belongs to agreement {stated}, not {agreement_id}")
        product = row.ref("product")
        quantity = row.opt_decimal("quantity")
        return Addition(
            id=row.integer("id"),
            agreement_id=agreement_id,
            product_id=product.integer("id"),
            product_identifier=product.text("identifier"),
            # A null quantity bills nothing; psabill reads it as 0 rather than failing the run.
            quantity=Decimal(0) if quantity is None else quantity,
            unit_price=row.opt_decimal("unitPrice"),
            unit_cost=row.opt_decimal("unitCost"),
            effective_date=row.opt_day("effectiveDate"),
            cancelled_date=row.opt_day("cancelledDate"),
            status=row.status("agreementStatus"),
            description=row.opt_text("description"),
        )

    return addition


def catalog_item(row: Row) -> CatalogItem:
    return CatalogItem(
        id=row.integer("id"),
        identifier=row.text("identifier"),
        description=row.opt_text("description"),
        inactive=row.flag("inactiveFlag"),
        price=row.opt_decimal("price"),
        cost=row.opt_decimal("cost"),
    )


def invoice(row: Row) -> Invoice:
    owner = row.ref("company")
    linked = row.opt_ref("agreement")
    return Invoice(
        id=row.integer("id"),
        number=row.text("invoiceNumber"),
        company_id=owner.integer("id"),
        company_identifier=owner.text("identifier"),
        date=row.day("date"),
        total=row.decimal("total"),
        agreement_id=None if linked is None else linked.opt_integer("id"),
    )


def setup_entry(row: Row) -> tuple[int, str, bool, bool]:
    """``(id, name, default, inactive)`` of a product type or subcategory."""
    return (row.integer("id"), row.text("name"), row.flag("defaultFlag"), row.flag("inactiveFlag"))


# -- request bodies ----------------------------------------------------------------------------


def condition_literal(value: str) -> str | None:
    """A string literal for ``conditions`` that needs no escape, or ``None`` if there is none.

    ConnectWise documents double- and single-quoted strings but no escape inside them
    (reference §3.1): a ``"`` would end a double-quoted string (a 400 for the whole query) and a
    server reading ``\\`` as an escape would quietly look for another value. So: double quotes;
    single quotes for a value with a ``"`` but no ``'``; ``None`` for a value with a backslash or
    both quotes, which the caller must find another way (see ``CwReads``).
    """
    if "\\" in value:
        return None
    if '"' not in value:
        return f'"{value}"'
    return f"'{value}'" if "'" not in value else None


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float | Decimal):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__
