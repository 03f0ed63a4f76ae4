"""UTF-8 decoding that says where a file stops being UTF-8.

Vendor exports are often saved as UTF-16 ("Unicode text") or in a legacy code
page by spreadsheet programs; the user needs the line of the first bad byte and
what to do, not a ``UnicodeDecodeError`` traceback.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator

from psabill.errors import SourceError

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def utf8_lines(lines: Iterable[bytes], label: str, hint: str) -> Iterator[str]:
    """Decode byte lines lazily, dropping a leading BOM; line endings are kept (for ``csv``)."""
    for number, raw in enumerate(lines, start=1):
        if number == 1:
            raw = raw.removeprefix(codecs.BOM_UTF8)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise not_utf8(label, number, raw, exc.start, hint) from None
        if "\x00" in text:
            raise not_utf8(label, number, raw, raw.index(b"\x00"), hint)
        yield text


def utf8_text(data: bytes, label: str, hint: str) -> str:
    """Decode a whole document (JSON), dropping a leading BOM."""
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        start = data.rfind(b"\n", 0, exc.start) + 1
        end = data.find(b"\n", exc.start)
        line = data[start : end if end >= 0 else len(data)]
        number = data.count(b"\n", 0, exc.start) + 1
        raise not_utf8(label, number, line, exc.start - start, hint) from None
    if "\x00" in text:
        offset = data.index(b"\x00")
        start = data.rfind(b"\n", 0, offset) + 1
        raise not_utf8(label, data.count(b"\n", 0, offset) + 1, data[start:], offset - start, hint)
    return text


def not_utf8(label: str, number: int, line: bytes, offset: int, hint: str) -> SourceError:
    """The error for a bad byte at ``offset`` of line ``number``."""
    column = len(line[:offset].decode("utf-8", "replace")) + 1
    if number == 1 and line.startswith(_UTF16_BOMS):
        what = "is UTF-16, not UTF-8"
    elif line[offset : offset + 1] == b"\x00":
        what = f"has a NUL byte at column {column} (UTF-16 text?), not UTF-8"
    else:
        what = f"is not UTF-8 (byte 0x{line[offset]:02X} at column {column})"
    return SourceError(f"{label}:{number}: {what}", hint=hint)
