"""Merge the hand-written ``psabill.toml`` with the machine-managed mappings file.

``psabill products|customers|contracts|admins ...`` never rewrite the file a
person wrote: they write ``mappings.toml`` (``mappings_file``), and the two are
merged here, as raw TOML data, before validation. Precedence, per entry key -
products by ``(sku, source)``, customers by ``(id, source)``, billing admins by
email (case-insensitive):

1. A key listed under ``[[removed.<section>]]`` in the managed file drops the
   hand-written entry with that key (how ``unmap``/``remove`` undo a
   hand-written entry without touching ``psabill.toml``).
2. A managed entry with the key of a hand-written entry replaces it
   *wholesale*, in its place: the managed entry is the whole truth for that key.
3. Any other managed entry is appended after the hand-written ones.

Everything else comes from ``psabill.toml`` alone; other keys in the managed
file are reported as problems. Every merged list entry remembers which file
and index it came from, so a problem is reported at the right ``FILE:LINE``.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any, Literal

from psabill.config.locate import PathKey

SECTIONS = ("products", "customers", "billing_admins")
REMOVED = "removed"
Which = Literal["config", "managed"]


def entry_key(section: str, entry: Any) -> Hashable | None:
    """The identity of one entry, or None when it is too malformed to have one."""
    if not isinstance(entry, dict):
        return None
    if section == "billing_admins":
        email = entry.get("email")
        return email.casefold() if isinstance(email, str) else None
    name = "sku" if section == "products" else "id"
    ident, source = entry.get(name), entry.get("source")
    if not isinstance(ident, str) or not isinstance(source, str | None):
        return None
    return (ident, source)


@dataclass
class Merged:
    """The merged raw config, where each list entry came from, and managed-file problems."""

    raw: dict[str, Any]
    origins: dict[tuple[str, int], tuple[Which, int]] = field(default_factory=dict)
    problems: list[tuple[PathKey, str]] = field(default_factory=list)
    """Structural problems of the managed file, at paths in that file."""

    def locate(self, loc: PathKey) -> tuple[Which, PathKey]:
        """Which file a merged path comes from, and the path inside that file."""
        if len(loc) >= 2 and loc[0] in SECTIONS and isinstance(loc[1], int):
            which, index = self.origins.get((str(loc[0]), loc[1]), ("config", loc[1]))
            return which, (loc[0], index, *loc[2:])
        return "config", loc


def merge(config: dict[str, Any], managed: dict[str, Any] | None) -> Merged:
    """Apply ``managed`` over ``config`` by the precedence in the module docstring."""
    result = Merged(raw=dict(config))
    for section in SECTIONS:
        if isinstance(config.get(section), list):
            for index in range(len(config[section])):
                result.origins[(section, index)] = ("config", index)
    if managed is None:
        return result
    result.problems.extend(_structure_problems(managed))
    removed = managed.get(REMOVED)
    if not isinstance(removed, dict):
        removed = {}
    for section in SECTIONS:
        entries = managed.get(section, [])
        drops = removed.get(section, [])
        if not isinstance(entries, list) or not isinstance(drops, list):
            continue
        if not entries and not drops:
            continue
        hand = config.get(section, [])
        if not isinstance(hand, list):
            continue  # the schema reports the hand-written value; nothing sane to merge into
        _merge_section(result, section, hand, entries, drops)
    return result


def _merge_section(
    result: Merged, section: str, hand: list[Any], entries: list[Any], drops: list[Any]
) -> None:
    gone = {entry_key(section, drop) for drop in drops} - {None}
    merged: list[Any] = []
    origins: list[tuple[Which, int]] = []
    replaceable: dict[Hashable, int] = {}
    for index, entry in enumerate(hand):
        key = entry_key(section, entry)
        if key is not None and key in gone:
            continue
        if key is not None:
            replaceable.setdefault(key, len(merged))
        merged.append(entry)
        origins.append(("config", index))
    for index, entry in enumerate(entries):
        key = entry_key(section, entry)
        position = replaceable.pop(key, None) if key is not None else None
        if position is None:
            merged.append(entry)
            origins.append(("managed", index))
        else:
            merged[position] = entry
            origins[position] = ("managed", index)
    result.raw[section] = merged
    for key in [k for k in result.origins if k[0] == section]:
        del result.origins[key]
    for position, origin in enumerate(origins):
        result.origins[(section, position)] = origin


def _structure_problems(managed: dict[str, Any]) -> list[tuple[PathKey, str]]:
    problems: list[tuple[PathKey, str]] = []
    allowed = ", ".join(SECTIONS)
    for key, value in managed.items():
        if key == REMOVED:
            problems.extend(_removed_problems(value))
        elif key not in SECTIONS:
            problems.append(
                ((key,), f"not allowed in the managed mappings file (only {allowed}); "
                 "put it in psabill.toml")
            )  # fmt: skip
        elif not _is_table_list(value):
            problems.append(((key,), f"must be an array of tables ([[{key}]])"))
    return problems


def _removed_problems(value: Any) -> list[tuple[PathKey, str]]:
    if not isinstance(value, dict):
        return [((REMOVED,), "must be a table of removed keys")]
    problems: list[tuple[PathKey, str]] = []
    for section, drops in value.items():
        if section not in SECTIONS:
            problems.append(((REMOVED, section), f"unknown section; one of {', '.join(SECTIONS)}"))
        elif not _is_table_list(drops):
            problems.append(((REMOVED, section), "must be an array of tables"))
        else:
            for index, drop in enumerate(drops):
                if entry_key(section, drop) is None:
                    problems.append(((REMOVED, section, index), "names no valid key"))
    return problems


def _is_table_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)
