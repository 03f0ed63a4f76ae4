"""Map TOML key paths to line numbers.

``tomllib`` does not report positions, yet every config problem must be shown
as ``FILE:LINE: dotted.key: message``. This scanner walks a document that
``tomllib`` has already accepted and records the line where each key path is
defined: ``("customers", 2, "schedule", "hour") -> 41``. It understands table
headers, arrays of tables, dotted keys, and skips the insides of multi-line
strings and arrays; keys inside inline tables map to the line of the table.
"""

from __future__ import annotations

import re
import tomllib

PathKey = tuple[str | int, ...]

_BARE = r"[A-Za-z0-9_-]+"
_QUOTED = r"\"(?:[^\"\\]|\\.)*\"|'[^']*'"
_KEY = rf"(?:{_BARE}|{_QUOTED})"
_DOTTED = rf"{_KEY}(?:\s*\.\s*{_KEY})*"
_HEADER = re.compile(rf"^\s*(\[\[?)\s*({_DOTTED})\s*\]\]?")
_ASSIGN = re.compile(rf"^\s*({_DOTTED})\s*=\s*(.*)$")
_PART = re.compile(_KEY)


def _split_key(dotted: str) -> list[str]:
    parts = []
    for match in _PART.finditer(dotted):
        text = match.group(0)
        if text[0] == '"':
            text = _unescape(text)
        elif text[0] == "'":
            text = text[1:-1]
        parts.append(text)
    return parts


def _unescape(quoted: str) -> str:
    """The key a basic string spells: ``"\\u00e9"`` is ``é``, as tomllib reads it."""
    try:
        return str(tomllib.loads(f"k = {quoted}")["k"])
    except tomllib.TOMLDecodeError:
        return quoted[1:-1]


def _opens_multiline(value: str) -> str | None:
    """Return what closes a multi-line value that starts on this line, if any."""
    for quote in ('"""', "'''"):
        if value.startswith(quote) and value.count(quote) == 1:
            return quote
    if value.startswith("["):
        depth = 0
        in_str: str | None = None
        for char in value:
            if in_str:
                if char == in_str:
                    in_str = None
            elif char in "\"'":
                in_str = char
            elif char == "#":
                break
            elif char == "[":
                depth += 1
            elif char == "]":
                depth -= 1
        if depth > 0:
            return "]"
    return None


def key_lines(text: str) -> dict[PathKey, int]:
    """Line number (1-based) of every table and key path in a valid TOML document."""
    lines: dict[PathKey, int] = {}
    array_counts: dict[PathKey, int] = {}
    table: PathKey = ()
    closing: str | None = None
    # Only "\n" ends a TOML line; str.splitlines() would also split at U+0085, U+2028, ...
    for number, line in enumerate(text.split("\n"), start=1):
        if closing is not None:
            if closing in line:
                closing = None
            continue
        header = _HEADER.match(line)
        if header:
            keys = _split_key(header.group(2))
            if header.group(1) == "[[":
                base = (*_resolve(keys[:-1], array_counts), keys[-1])
                index = array_counts.get(base, -1) + 1
                array_counts[base] = index
                table = (*base, index)
            else:
                table = _resolve(keys, array_counts)
            _define(lines, table, number)
            continue
        assign = _ASSIGN.match(line)
        if assign:
            path = (*table, *_split_key(assign.group(1)))
            _define(lines, path, number)
            closing = _opens_multiline(assign.group(2).strip())
    return lines


def _define(lines: dict[PathKey, int], path: PathKey, number: int) -> None:
    """Record ``path`` and the tables it implicitly defines (``[a.b]`` defines ``a``)."""
    for end in range(1, len(path) + 1):
        lines.setdefault(path[:end], number)


def _resolve(keys: list[str], array_counts: dict[PathKey, int]) -> PathKey:
    """Turn header keys into a path, entering the latest element of arrays of tables."""
    path: PathKey = ()
    for key in keys:
        path = (*path, key)
        if path in array_counts:
            path = (*path, array_counts[path])
    return path


def line_of(lines: dict[PathKey, int], path: PathKey) -> int | None:
    """The line of ``path``, or of its nearest defined ancestor."""
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return None


def dotted(path: PathKey) -> str:
    """``("customers", 2, "schedule")`` -> ``customers[2].schedule``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "(top level)"
