"""How the sandbox describes entity fields (see :mod:`.model`) and checks input values.

Kinds: ``str``, ``int``, ``float`` (a JSON double on the wire), ``bool``, ``date`` (UTC text
``YYYY-MM-DDTHH:MM:SSZ``), ``enum`` (case-insensitive on input, canonical on output), ``ref``
(a reference to a row of another table, stored as ``{"id": n}`` and expanded when read),
``json`` (an opaque embedded object such as a company status) and ``unlinked`` (a field the
spec defines for records the sandbox does not have: sites, contacts, opportunities, custom
fields ... It always reads ``null``; a write that names one is refused as ``NotFound``,
as the real server refuses a reference to a record that does not exist).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

Table = Literal[
    "companies",
    "agreementTypes",
    "agreements",
    "productTypes",
    "subcategories",
    "catalog",
    "additions",
    "invoices",
]
TABLES: tuple[Table, ...] = (
    "companies",
    "agreementTypes",
    "agreements",
    "productTypes",
    "subcategories",
    "catalog",
    "additions",
    "invoices",
)
Kind = Literal["str", "int", "float", "bool", "date", "enum", "ref", "json", "unlinked"]

DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


@dataclass(frozen=True)
class Ref:
    """How a reference field points at another table."""

    table: Table
    keys: tuple[str, ...]
    """Keys the expanded reference shows, e.g. ``("id", "identifier", "name")``."""
    lookup: tuple[str, ...]
    """Keys a client may use to name the target, tried in order (``id`` first)."""


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind
    required: bool = False
    max_length: int | None = None
    choices: tuple[str, ...] = ()
    ref: Ref | None = None
    writable: bool = True
    """False for server-owned fields: ignored in POST/PUT bodies, refused by PATCH."""
    derived: bool = False
    """Computed whenever the row is read; never stored."""
    default: Any = None


@dataclass(frozen=True)
class Resource:
    name: str
    """Lower-case name used in error bodies (``"addition"``)."""
    label: str
    """Name used in 404 messages (``"Addition"``)."""
    table: Table
    path: str
    """API path of the collection, used for ``*_href`` links; ``{agreementId}`` is filled in."""
    href_key: str
    """Key of the ``_info`` link inside references to this table (``company_href``)."""
    fields: tuple[Field, ...]

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    def knows(self, name: str) -> bool:
        """Whether ``name`` is a top-level field, compared case-insensitively as conditions are."""
        folded = name.casefold()
        return folded == "_info" or any(f.name.casefold() == folded for f in self.fields)


class FieldProblem(ValueError):
    """A value that does not fit its field; ``code`` is the ValidationError code to report."""

    def __init__(self, code: str, message: str, subfield: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.subfield = subfield
        """Key inside a reference that was wrong (``id`` for ``product/id``)."""


def format_timestamp(moment: datetime) -> str:
    """UTC wire format ``YYYY-MM-DDTHH:MM:SSZ``; naive datetimes are refused, not guessed."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime; pass an aware one")
    return moment.astimezone(UTC).strftime(DATE_FORMAT)


@functools.lru_cache(maxsize=4096)
def parse_timestamp(text: str) -> datetime:
    """The aware UTC datetime of a wire timestamp (cached: rows are read far more often than
    their dates change, and ``strptime`` is slow); ``ValueError`` when it is not one."""
    return datetime.strptime(text, DATE_FORMAT).replace(tzinfo=UTC)


def coerce(field: Field, value: Any) -> Any:
    """Check and normalise one input value for ``field`` (not for ``ref`` fields).

    Numbers arrive as JSON numbers or numeric strings (ConnectWise accepts both, reference §4.1)
    and leave as floats. Dates must already be in the documented UTC format: the sandbox is
    stricter than the real server here so that a client sending local or naive times fails fast.
    A bad value raises :class:`FieldProblem`.
    """
    if value is None or field.kind == "json":
        return value
    coercer = _COERCERS.get(field.kind)
    if coercer is None:
        raise TypeError(f"coerce() does not handle {field.kind} fields")
    return coercer(field, value)


def _coerce_str(field: Field, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise FieldProblem("InvalidField", f"The field {field.name} must be a string.")
    text = str(value)
    if field.max_length is not None and len(text) > field.max_length:
        raise FieldProblem(
            "MaxLengthField",
            f"The field {field.name} must be a string with a maximum length of {field.max_length}.",
        )
    return text


def _coerce_number(field: Field, value: Any) -> float | int:
    number = _number(value)
    if number is None or (field.kind == "int" and number != int(number)):
        raise FieldProblem("InvalidField", f"The field {field.name} must be a number.")
    return int(number) if field.kind == "int" else number


def _coerce_bool(field: Field, value: Any) -> bool:
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if not isinstance(value, bool):
        raise FieldProblem("InvalidField", f"The field {field.name} must be true or false.")
    return value


def _coerce_enum(field: Field, value: Any) -> str:
    wanted = value.lower() if isinstance(value, str) else None
    choice = next((c for c in field.choices if c.lower() == wanted), None)
    if choice is None:
        allowed = ", ".join(field.choices)
        raise FieldProblem("InvalidField", f"The field {field.name} must be one of: {allowed}.")
    return choice


def _coerce_date(field: Field, value: Any) -> str:
    if isinstance(value, str) and _DATE_RE.fullmatch(value):
        try:
            parse_timestamp(value)
        except ValueError:
            pass
        else:
            return value
    raise FieldProblem(
        "InvalidField",
        f"The field {field.name} must be a UTC date-time like 2024-01-31T00:00:00Z.",
    )


def _coerce_unlinked(field: Field, value: Any) -> None:
    if value == []:  # "none of them", e.g. customFields sent back as read
        return None
    raise FieldProblem("NotFound", f"{field.name} was not found: the sandbox has no such records.")


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(Decimal(value.strip()))
        except InvalidOperation:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


_COERCERS: dict[Kind, Callable[[Field, Any], Any]] = {
    "str": _coerce_str,
    "int": _coerce_number,
    "float": _coerce_number,
    "bool": _coerce_bool,
    "date": _coerce_date,
    "enum": _coerce_enum,
    "unlinked": _coerce_unlinked,
}


def json_copy(value: Any) -> Any:
    """A deep copy of JSON data (dicts, lists, immutable scalars), as :func:`copy.deepcopy`
    makes it but several times faster: rows and views never share mutable objects."""
    if isinstance(value, dict):
        return {key: json_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_copy(item) for item in value]
    return value
