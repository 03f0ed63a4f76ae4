"""Reusable field types for the config schema: hours, weekdays, durations, emails.

Each parser accepts what a billing admin would naturally type and rejects the
rest with a message that says *why*, because the message ends up on a
``FILE:LINE: key: message`` line in front of that admin.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from ipaddress import ip_address
from typing import Annotated, Any, Final

from pydantic import BeforeValidator, PlainSerializer

from psabill.core.schedule.engine import WEEKDAYS, format_duration, parse_duration

_EMAIL = re.compile(
    r"^[^@\s,;<>\"()\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?\.[A-Za-z]{2,}$"
)
_HOUR_TEXT = re.compile(r"^(\d{1,2})(?::(\d{2}))?$")

SET_IN_SAMPLE: Final[dict[str, Any]] = {"sample": "set"}
"""``json_schema_extra`` of an optional key that the sample sets to its example.

The sample (:mod:`psabill.config.sample`) writes other optional keys commented out:
an example there is a hint, while these keys are ones the sample's own story needs
(``day`` for its monthly schedule, ``agreement_type`` for its customer without a contract).
"""


def parse_hour(value: Any) -> int:
    """An hour of the day, 0-23. ``6``, ``"6"``, ``"06"`` and ``"06:00"`` all mean 6."""
    if isinstance(value, bool):
        raise ValueError("hour must be a whole number from 0 to 23")
    if isinstance(value, int):
        hour = value
    elif isinstance(value, str):
        match = _HOUR_TEXT.match(value.strip())
        if not match:
            raise ValueError(f"hour must be a whole hour from 0 to 23, got {value!r}")
        if match.group(2) not in (None, "00"):
            raise ValueError(
                f"hour must be a whole hour (got {value!r}): psabill runs at whole hours "
                'in the account\'s time zone; use e.g. 6 or "06:00"'
            )
        hour = int(match.group(1))
    else:
        raise ValueError("hour must be a whole number from 0 to 23")
    if not 0 <= hour <= 23:
        raise ValueError(f"hour must be from 0 to 23, got {hour}")
    return hour


def parse_weekday(value: Any) -> int:
    """A weekday name (``monday``, ``Mon``), case-insensitive, as 0=Monday..6=Sunday."""
    if isinstance(value, str):
        text = value.strip().lower()
        for index, name in enumerate(WEEKDAYS):
            if text in (name, name[:3]):
                return index
    raise ValueError(f'weekday must be a day name like "monday" or "mon", got {value!r}')


def parse_catch_up(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if not isinstance(value, str):
        raise ValueError('catch_up must be a duration string like "72h", "3d" or "30m"')
    return parse_duration(value)


def parse_emails(value: Any) -> tuple[str, ...]:
    """A comma-separated string or a list of addresses; validated, duplicates removed.

    Order is kept (first occurrence wins) and duplicates are detected without
    regard to case, since mail systems treat ``Ann@X.com`` and ``ann@x.com`` alike.
    """
    if isinstance(value, str):
        items = [part.strip() for part in value.split(",")]
        items = [item for item in items if item]
    elif isinstance(value, list | tuple):
        items = []
        for item in value:
            if not isinstance(item, str):
                raise ValueError("emails must be strings")
            items.extend(part.strip() for part in item.split(",") if part.strip())
    else:
        raise ValueError("emails must be a comma-separated string or a list of addresses")
    seen: set[str] = set()
    result: list[str] = []
    for item in items:
        check_email(item)
        if item.lower() not in seen:
            seen.add(item.lower())
            result.append(item)
    return tuple(result)


def check_email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not a valid email address")
    return value


def parse_share(value: Any) -> Decimal:
    """A share of a total: ``0.5`` or ``"50%"``; must be within 0..1."""
    if isinstance(value, bool):
        raise ValueError('must be a share like 0.5 or "50%"')
    try:
        if isinstance(value, str) and value.strip().endswith("%"):
            share = Decimal(value.strip()[:-1]) / 100
        elif isinstance(value, int | float | str):
            share = Decimal(str(value))
        else:
            raise ValueError('must be a share like 0.5 or "50%"')
    except InvalidOperation:  # "abc%": decimal's error is not a ValueError
        raise ValueError(f'must be a share like 0.5 or "50%", got {value!r}') from None
    if not share.is_finite() or not Decimal(0) <= share <= Decimal(1):
        raise ValueError("must be between 0 and 1 (0% and 100%)")
    return share


Hour = Annotated[int, BeforeValidator(parse_hour)]
Weekday = Annotated[
    int,
    BeforeValidator(parse_weekday),
    PlainSerializer(lambda day: WEEKDAYS[day], return_type=str),
]
CatchUp = Annotated[
    timedelta,
    BeforeValidator(parse_catch_up),
    PlainSerializer(format_duration, return_type=str),
]
EmailList = Annotated[
    tuple[str, ...], BeforeValidator(parse_emails), PlainSerializer(list, return_type=list)
]
Email = Annotated[str, BeforeValidator(lambda v: check_email(v) if isinstance(v, str) else v)]
Share = Annotated[Decimal, BeforeValidator(parse_share), PlainSerializer(str, return_type=str)]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
