"""Config problems in a billing admin's words, as ``FILE:LINE: dotted.key: message`` lines.

pydantic reports errors at its own paths and in its own phrasing (a
discriminator tag inside the path, "Extra inputs are not permitted"); this turns
them into messages that say what to change, and then places every problem -
schema, secret reference, cross-field, managed file - at the line of the file it
is in.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from psabill.config.checks import Problem
from psabill.config.locate import PathKey, dotted, line_of
from psabill.config.merge import Which
from psabill.config.models import Config

SOURCE_KINDS = ("csv", "json", "command", "http")
Located = tuple[Which, PathKey, str]
"""A problem, the file it is in, and its path inside that file."""


def schema_problems(exc: ValidationError) -> list[Problem]:
    """Each pydantic error as (path, message), the message in the user's words."""
    problems: list[Problem] = []
    for error in exc.errors():
        loc = _strip_union_tags(tuple(error["loc"]))
        kind = error["type"]
        if kind == "missing":
            message = "required key is missing"
        elif kind == "extra_forbidden":
            message = _unknown_key_message(loc)
        elif kind == "union_tag_invalid":
            loc = (*loc, "kind")
            message = f"kind must be one of {', '.join(SOURCE_KINDS)}"
        elif kind == "union_tag_not_found":
            loc = (*loc, "kind")
            message = f"required key is missing (one of {', '.join(SOURCE_KINDS)})"
        else:
            message = str(error["msg"]).removeprefix("Value error, ")
            if kind.endswith("_type") or kind.endswith("_parsing"):
                message = f"{message} (got {_describe(error.get('input'))})"
        problems.append((loc, message))
    return problems


def render(
    files: Mapping[Which, tuple[Path, dict[PathKey, int]]], problems: list[Located]
) -> list[str]:
    """``FILE:LINE: key: message`` lines, the config file's first, each file by line."""
    located = []
    for which, loc, message in problems:
        path, lines = files[which]
        located.append((which != "config", line_of(lines, loc) or 0, dotted(loc), path, message))
    located.sort(key=lambda item: item[:3])
    rendered = []
    for _, line, key, path, message in located:
        where = f"{path}:{line}" if line else str(path)
        rendered.append(f"{where}: {_one_line(key)}: {_one_line(message)}")
    return list(dict.fromkeys(rendered))


def _strip_union_tags(loc: PathKey) -> PathKey:
    """Drop the discriminator tag pydantic inserts: ``sources.0.csv.path`` -> ``sources.0.path``."""
    if len(loc) > 2 and loc[0] == "sources" and loc[2] in SOURCE_KINDS:
        return (*loc[:2], *loc[3:])
    return loc


def _unknown_key_message(loc: PathKey) -> str:
    fields = _fields_at(loc[:-1])
    close = difflib.get_close_matches(str(loc[-1]), fields, n=1)
    suffix = f"; did you mean `{close[0]}`?" if close else ""
    return f"unknown key (not part of the psabill schema){suffix}"


def _fields_at(loc: PathKey) -> list[str]:
    """Field names of the model found at ``loc``, for "did you mean" suggestions."""
    model: type[BaseModel] | None = Config
    for part in loc:
        if model is None or isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        model = _model_of(field.annotation) if field else None
    return list(model.model_fields) if model else []


def _model_of(annotation: Any) -> type[BaseModel] | None:
    candidates = [annotation, *getattr(annotation, "__args__", ())]
    for candidate in candidates:
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
        for inner in getattr(candidate, "__args__", ()):
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                return inner
    return None


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return repr(value) if isinstance(value, str | int | float | bool) else type(value).__name__


def _one_line(text: str) -> str:
    """``text`` with line breaks and other control characters escaped: one problem, one line."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)
