"""The managed mappings being edited, beside the hand-written config, and lookups in the merge.

A :class:`Draft` holds both files' data as parsed TOML. Lookups see the merged
view (what the loader will see); changes go to the managed data only:
:meth:`Draft.put` overrides or adds an entry, :meth:`Draft.drop` removes one,
recording the removal of a hand-written entry under ``[[removed.*]]``.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Any

from psabill.config.merge import REMOVED, Which, entry_key, merge
from psabill.errors import UsageError

Entry = dict[str, Any]


@dataclass
class Draft:
    """The managed data being edited, beside the (read-only) hand-written config."""

    config: dict[str, Any]
    managed: dict[str, Any]

    def entries(self, section: str) -> list[tuple[Which, Entry]]:
        """The merged entries of ``section`` with the file each comes from."""
        merged = merge(self.config, self.managed)
        found = merged.raw.get(section, [])
        if not isinstance(found, list):
            return []
        return [
            (merged.origins.get((section, i), ("config", i))[0], entry)
            for i, entry in enumerate(found)
            if isinstance(entry, dict)
        ]

    def put(self, section: str, entry: Entry) -> None:
        """Make ``entry`` the one entry for its key (replacing a hand-written one)."""
        key = entry_key(section, entry)
        entries = self.managed.setdefault(section, [])
        for index, existing in enumerate(entries):
            if entry_key(section, existing) == key:
                entries[index] = entry
                break
        else:
            entries.append(entry)
        self._forget_removal(section, key)

    def drop(self, section: str, entry: Entry) -> None:
        """Remove the entry with ``entry``'s key, recording a removal of a hand-written one."""
        key = entry_key(section, entry)
        kept = [e for e in self.managed.get(section, []) if entry_key(section, e) != key]
        self.managed[section] = kept
        hand = self.config.get(section, [])
        if isinstance(hand, list) and any(entry_key(section, e) == key for e in hand):
            removed = self.managed.setdefault(REMOVED, {}).setdefault(section, [])
            if all(entry_key(section, r) != key for r in removed):
                removed.append(_key_fields(section, entry))

    def _forget_removal(self, section: str, key: Hashable | None) -> None:
        removed = self.managed.get(REMOVED, {})
        if section in removed:
            removed[section] = [r for r in removed[section] if entry_key(section, r) != key]


def _key_fields(section: str, entry: Entry) -> Entry:
    names = {"products": ("sku", "source"), "customers": ("id", "source")}
    fields = names.get(section, ("email",))
    return {name: entry[name] for name in fields if entry.get(name) is not None}


ANY_SOURCE = "any"
"""``--source any``: the entry without a source (it maps usage from every source)."""


def source_label(source: str | None) -> str:
    """How the CLI names an entry's source: ``--source any`` for the source-less one."""
    return f"--source {source or ANY_SOURCE}"


def _matches(draft: Draft, entry: Entry, source: str | None) -> bool:
    """Whether ``entry`` is the one ``--source`` names: None (not given) names every entry,
    :data:`ANY_SOURCE` the source-less one, anything else the entry scoped to that source."""
    if source is None:
        return True
    if source == ANY_SOURCE:
        if any(s.get("name") == ANY_SOURCE for s in draft.config.get("sources", []) or []):
            raise UsageError(
                f"--source {ANY_SOURCE} is ambiguous: a [[sources]] entry is named {ANY_SOURCE!r}",
                hint="rename that source to name the entry without a source",
            )
        return entry.get("source") is None
    return bool(entry.get("source") == source)


def _one(matches: list[Entry], what: str, source: str | None) -> Entry | None:
    if len(matches) > 1 and source is None:
        raise UsageError(f"{what} has {len(matches)} entries: name one with {choices(matches)}")
    return copy.deepcopy(matches[0]) if matches else None


def choices(entries: list[Entry]) -> str:
    """``--source any or --source sophos``: how to name each of ``entries`` on the command line."""
    names = sorted(source_label(e.get("source")) for e in entries)
    return " or ".join([", ".join(names[:-1]), names[-1]] if len(names) > 2 else names)


def product_entries(draft: Draft, sku: str, source: str | None = None) -> list[Entry]:
    """The merged product entries of ``sku`` that ``source`` names (see :func:`_matches`)."""
    return [
        e
        for _, e in draft.entries("products")
        if e.get("sku") == sku and _matches(draft, e, source)
    ]


def customer_entries(draft: Draft, ident: str, source: str | None = None) -> list[Entry]:
    """The merged customer entries of vendor id (or ``source:id`` key) ``ident``."""
    return [
        e
        for _, e in draft.entries("customers")
        if ident in (e.get("id"), f"{e.get('source')}:{e.get('id')}") and _matches(draft, e, source)
    ]


def find_product(draft: Draft, sku: str, source: str | None = None) -> Entry | None:
    """The product entry for ``sku`` that ``source`` names; UsageError if that is several."""
    return _one(product_entries(draft, sku, source), f"SKU {sku!r}", source)


def find_customer(draft: Draft, ident: str, source: str | None = None) -> Entry | None:
    """The customer entry by vendor id or ``source:id`` key; UsageError if ambiguous."""
    return _one(customer_entries(draft, ident, source), f"customer {ident!r}", source)


def find_admin(draft: Draft, email: str) -> Entry | None:
    for _, entry in draft.entries("billing_admins"):
        if str(entry.get("email", "")).casefold() == email.casefold():
            return copy.deepcopy(entry)
    return None


def label(entry: Entry, ident: str = "sku") -> str:
    source = entry.get("source")
    return f"{entry[ident]} ({source})" if source else str(entry[ident])


def new_entry(ident: str, value: str, source: str | None) -> Entry:
    entry: Entry = {ident: value}
    if source is not None and source != ANY_SOURCE:
        entry["source"] = source
    return entry


def require(entry: Entry | None, what: str, command: str) -> Entry:
    if entry is None:
        raise UsageError(f"{what} is not in the configuration", hint=f"see `psabill {command}`")
    return entry


def require_product(draft: Draft, sku: str, source: str | None) -> Entry:
    """The existing entry for ``sku`` that ``source`` names, else a UsageError that names the
    entries there are (or the closest configured SKUs)."""
    found = find_product(draft, sku, source)
    if found is not None:
        return found
    others = product_entries(draft, sku)
    if others:
        raise UsageError(
            f"SKU {sku!r} has no entry for {source_label(source)}; name one with {choices(others)}"
        )
    known = [str(e.get("sku")) for _, e in draft.entries("products")]
    raise UsageError(f"SKU {sku!r} is not in the configuration{did_you_mean(sku, known)}")


def require_customer(draft: Draft, ident: str, source: str | None) -> Entry:
    """The existing customer entry ``ident`` and ``source`` name (see :func:`require_product`)."""
    found = find_customer(draft, ident, source)
    if found is not None:
        return found
    others = customer_entries(draft, ident)
    if others:
        raise UsageError(
            f"customer {ident!r} has no entry for {source_label(source)}; "
            f"name one with {choices(others)}"
        )
    known = [str(e.get("id")) for _, e in draft.entries("customers")]
    raise UsageError(f"customer {ident!r} is not in the configuration{did_you_mean(ident, known)}")


def did_you_mean(text: str, known: Iterable[str]) -> str:
    """``"; did you mean CIXA?"`` (up to three close matches, closest first), or ``""``."""
    close = difflib.get_close_matches(text, sorted(set(known)), n=3, cutoff=0.6)
    if not close:
        folded = {k.casefold(): k for k in known}
        close = [folded[m] for m in difflib.get_close_matches(text.casefold(), folded, n=3)]
    if not close:
        return ""
    listed = [", ".join(close[:-1]), close[-1]] if len(close) > 2 else close
    return f"; did you mean {' or '.join(listed)}?"
