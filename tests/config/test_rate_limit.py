"""``[psa] rate_limit``: unset adapts from the default ceiling, a number caps, "none" lifts it."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from psabill.config.connection_models import ADAPTIVE_CEILING
from psabill.config.models import ConnectWisePsa

BASE = {
    "site": "na.myconnectwise.net",
    "company": "northwind",
    "public_key": "pub",
    "private_key": "priv",
    "client_id": "id",
}


def psa(**settings: Any) -> ConnectWisePsa:
    return ConnectWisePsa(**BASE, **settings)


@pytest.mark.parametrize(
    ("settings", "stored", "ceiling"),
    [
        ({}, None, ADAPTIVE_CEILING),
        ({"rate_limit": 600}, 600, 600),  # an old config's value: now a cap
        ({"rate_limit": 10000}, 10000, 10000),
        ({"rate_limit": "none"}, "none", None),
        ({"rate_limit": " None "}, "none", None),
        ({"rate_limit": "600"}, 600, 600),
    ],
)
def test_rate_limit_values(settings: dict[str, Any], stored: object, ceiling: int | None) -> None:
    loaded = psa(**settings)
    assert loaded.rate_limit == stored
    assert loaded.rate_ceiling == ceiling


@pytest.mark.parametrize("value", [0, -5, 10001, True, "fast", 1.5, "unlimited"])
def test_rate_limit_refuses_anything_else_naming_the_choices(value: object) -> None:
    with pytest.raises(ValidationError, match='from 1 to 10000, or "none" for no limit'):
        psa(rate_limit=value)


def test_the_default_ceiling_stays_below_connectwise_throttling() -> None:
    assert 0 < ADAPTIVE_CEILING < 1000
