"""Value codecs: what goes into the ledger comes back the same, for every input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from psabill.state.db import (
    decode_decimal,
    decode_time,
    encode_decimal,
    encode_json,
    encode_time,
)

zones: st.SearchStrategy[tzinfo] = st.builds(
    timezone, st.integers(min_value=-23 * 60, max_value=23 * 60).map(lambda m: timedelta(minutes=m))
)

aware = st.datetimes(datetime(1970, 1, 2), datetime(2999, 12, 30), timezones=zones)


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_every_finite_decimal_round_trips_with_its_exponent(value: Decimal) -> None:
    back = decode_decimal(encode_decimal(value))
    assert back is not None
    assert back.as_tuple() == value.as_tuple()


@given(aware)
def test_every_aware_datetime_round_trips_to_the_second(value: datetime) -> None:
    text = encode_time(value)
    assert text.endswith("Z")
    assert decode_time(text) == value.replace(microsecond=0)
    assert decode_time(text).tzinfo == UTC


@given(aware, aware)
def test_stored_times_sort_as_text_like_the_instants(a: datetime, b: datetime) -> None:
    a, b = a.replace(microsecond=0), b.replace(microsecond=0)
    assert (encode_time(a) < encode_time(b)) == (a < b)


def test_encode_time_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive"):
        encode_time(datetime(2026, 11, 1, 6))


def test_summary_json_keeps_decimals_exact_and_refuses_unknown_types() -> None:
    moment = datetime(2026, 11, 1, 7, tzinfo=timezone(timedelta(hours=1)))
    assert encode_json({"qty": Decimal("12.50"), "at": moment}) == (
        '{"at": "2026-11-01T06:00:00Z", "qty": "12.50"}'
    )
    with pytest.raises(TypeError, match="set"):
        encode_json({"bad": {1, 2}})
