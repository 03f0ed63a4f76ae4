"""The managed mappings being edited, beside the hand-written config, and lookups in the merge.

A :class:`Draft` holds both files' data as parsed TOML. Lookups see the merged
view (what the loader will see); changes go to the managed data only:
:meth:`Draft.put` overrides or adds an entry, :meth:`Draft.drop` removes one,
recording the removal of a hand-written entry under ``[[removed.*]]``.
"""

from __future__ import annotations

import copy
from collections.abc import Hashable
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


def _one(matches: list[Entry], what: str, source: str | None) -> Entry | None:
    if len(matches) > 1 and source is None:
        sources = ", ".join(sorted(str(m.get("source") or "any source") for m in matches))
        raise UsageError(
            f"{what} is configured for several sources ({sources})",
            hint="name one with --source",
        )
    return copy.deepcopy(matches[0]) if matches else None


def find_product(draft: Draft, sku: str, source: str | None = None) -> Entry | None:
    """The product entry for ``sku`` (and ``source`` when given); UsageError if ambiguous."""
    matches = [
        e
        for _, e in draft.entries("products")
        if e.get("sku") == sku and (source is None or e.get("source") == source)
    ]
    return _one(matches, f"SKU {sku!r}", source)


def find_customer(draft: Draft, ident: str, source: str | None = None) -> Entry | None:
    """The customer entry by vendor id or ``source:id`` key; UsageError if ambiguous."""
    matches = [
        e
        for _, e in draft.entries("customers")
        if ident in (e.get("id"), f"{e.get('source')}:{e.get('id')}")
        and (source is None or e.get("source") == source)
    ]
    return _one(matches, f"customer {ident!r}", source)


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
    if source is not None:
        entry["source"] = source
    return entry


def require(entry: Entry | None, what: str, command: str) -> Entry:
    if entry is None:
        raise UsageError(f"{what} is not in the configuration", hint=f"see `psabill {command}`")
    return entry
