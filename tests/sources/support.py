"""Helpers for the source tests: build source configs, read them, catch their errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter

from psabill.config.source_models import Source
from psabill.errors import SourceError
from psabill.sources import UsageRecord, read_source

_SOURCE = TypeAdapter(Source)

SOPHOS_HEADER = "Customer ID,Customer Name,Product Code,Product Name,Licenses,Date\n"


def make_source(**fields: Any) -> Source:
    """A source config as the TOML loader would build it (defaults: a CSV "sophos" source)."""
    defaults: dict[str, Any] = {
        "name": "sophos",
        "kind": "csv",
        "path": "usage.csv",
        "customer_field": "Customer ID",
        "sku_field": "Product Code",
        "quantity_field": "Licenses",
        "date_field": "Date",
    }
    if fields.get("kind", "csv") != "csv":
        defaults = {key: value for key, value in defaults.items() if key in ("name",)}
    return _SOURCE.validate_python(defaults | fields)


def read(
    source: Source, base_dir: Path, decimal_skus: frozenset[str] = frozenset()
) -> tuple[UsageRecord, ...]:
    return read_source(source, base_dir=base_dir, env={}, decimal_skus=decimal_skus)


def failure(
    source: Source, base_dir: Path, decimal_skus: frozenset[str] = frozenset()
) -> SourceError:
    with pytest.raises(SourceError) as info:
        read(source, base_dir, decimal_skus)
    return info.value


def quantities(records: tuple[UsageRecord, ...]) -> dict[tuple[str, str], str]:
    """(customer, sku) -> quantity as text, for compact assertions."""
    return {(r.customer, r.sku): str(r.quantity) for r in records}
