"""Is this SKU or vendor customer id known? A typo is refused before anything is mapped.

Known means named by a mapping (either file) or reported by a usage source. The sources are
read only when the mappings do not name it, and never need the PSA. A source that cannot be
read leaves the question open, so the answer is then a refusal that says so: mapping a name
nobody reports is what ``--new`` is for (usage that has not appeared yet).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from psabill.app.mappings.draft import did_you_mean
from psabill.app.mappings.inventory import read_sources
from psabill.config.loader import LoadedConfig
from psabill.errors import UsageError
from psabill.sources import SourceResult

NEW_HINT = "(--new maps it anyway, for usage not seen yet)"


def require_known_sku(loaded: LoadedConfig, env: Mapping[str, str], sku: str) -> None:
    """UsageError (exit 2) unless a mapping names ``sku`` or a readable source reports it."""
    configured = [p.sku for p in loaded.config.products]
    _require("SKU", sku, configured, lambda: _read(loaded, env, _skus))


def require_known_customer(loaded: LoadedConfig, env: Mapping[str, str], ident: str) -> None:
    """Like :func:`require_known_sku`, for a vendor customer id (or its ``source:id`` key)."""
    configured = [c.id for c in loaded.config.customers]
    configured += [f"{c.source}:{c.id}" for c in loaded.config.customers if c.source]
    _require("vendor customer", ident, configured, lambda: _read(loaded, env, _customers))


def _require(
    what: str,
    text: str,
    configured: list[str],
    read: Callable[[], tuple[set[str], list[str]]],
) -> None:
    if text in configured:
        return
    seen, errors = read()
    if text in seen:
        return
    keyed = ":" in text  # suggest "source:id" keys for a key, plain ids for an id
    suggestion = did_you_mean(text, [k for k in (*configured, *seen) if (":" in k) == keyed])
    if errors:
        raise UsageError(
            f"{what} {text!r} is in no mapping and in none of the usage sources that could be "
            f"read, and {len(errors)} could not ({'; '.join(errors)}){suggestion} {NEW_HINT}"
        )
    raise UsageError(f"{what} {text!r} is in no usage source or mapping{suggestion} {NEW_HINT}")


def _read(
    loaded: LoadedConfig,
    env: Mapping[str, str],
    names: Callable[[Iterable[SourceResult]], set[str]],
) -> tuple[set[str], list[str]]:
    results, errors = read_sources(loaded, env)
    return names(results), errors


def _skus(results: Iterable[SourceResult]) -> set[str]:
    return {record.sku for result in results for record in result.records}


def _customers(results: Iterable[SourceResult]) -> set[str]:
    found: set[str] = set()
    for result in results:
        for record in result.records:
            found.update((record.customer, f"{result.source}:{record.customer}"))
    return found
