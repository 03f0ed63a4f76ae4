"""Usage straight from vendors' partner APIs: one module per vendor, shared plumbing beside them.

A connector is a function ``(source config, run moment, decimal SKUs, runtime, warnings) ->
records`` registered in :data:`READERS` by its config model; what a reader should notice but
that does not fail the source goes into ``warnings`` (a list, or ``None``: logged). What every
connector shares lives here: HTTP with the PSA clients' retries (:mod:`.session`), OAuth
client-credentials tokens with a cache (:mod:`.oauth`), page-number and key paging
(:mod:`.paging`), summing lines into records (:mod:`.records`) and the month a run reads
(:mod:`.period`).

Adding a vendor: a config model in :mod:`psabill.config.vendor_models` (added to the
``Source`` union), a ``<vendor>.py`` here with its reader, one entry in :data:`READERS`, and a
fake in ``psabill/sandbox/<vendor>.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from psabill.config.vendor_models import SophosSource
from psabill.sources.vendors.period import RunMoment
from psabill.sources.vendors.records import VendorRecord
from psabill.sources.vendors.session import DEFAULT_RUNTIME, Runtime
from psabill.sources.vendors.sophos import read_sophos

VendorSource = SophosSource
Reader = Callable[
    [Any, RunMoment, frozenset[str], Runtime, list[str] | None], tuple[VendorRecord, ...]
]

READERS: dict[type[Any], Reader] = {SophosSource: read_sophos}


def read_vendor(
    source: VendorSource,
    moment: RunMoment,
    decimal_skus: frozenset[str],
    runtime: Runtime = DEFAULT_RUNTIME,
    warnings: list[str] | None = None,
) -> tuple[VendorRecord, ...]:
    """The records of one vendor source (raises SourceError); its warnings go into
    ``warnings`` (logged when ``None``)."""
    return READERS[type(source)](source, moment, decimal_skus, runtime, warnings)


__all__ = ["READERS", "RunMoment", "Runtime", "VendorRecord", "VendorSource", "read_vendor"]
