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
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from psabill.config.checks import Problem
from psabill.config.locate import PathKey, dotted, line_of
from psabill.config.merge import Which
from psabill.config.models import Config
from psabill.config.psa_models import PSA_KINDS, PSA_MODELS, PSA_NAMES
from psabill.config.sample import entry_models


def _tag_of(model: type[BaseModel]) -> str | None:
    """The ``kind`` a union member answers to (``"csv"``, ``"autotask"``), if it has one."""
    field = model.model_fields.get("kind")
    args = get_args(field.annotation) if field else ()
    return str(args[0]) if len(args) == 1 else None


SOURCE_KINDS = tuple(
    str(_tag_of(model)) for model in entry_models(Config.model_fields["sources"].annotation)
)
"""The ``kind`` of each source model, read from the schema so a new one is never missed."""
Located = tuple[Which, PathKey, str]
"""A problem, the file it is in, and its path inside that file."""


def schema_problems(exc: ValidationError) -> list[Problem]:
    """Each pydantic error as (path, message), the message in the user's words."""
    problems: list[Problem] = []
    for error in exc.errors():
        tagged: PathKey = tuple(error["loc"])
        loc = _strip_union_tags(tagged)
        kind = error["type"]
        if kind == "missing":
            message = "required key is missing"
        elif kind == "extra_forbidden":
            message = _unknown_key_message(tagged)
        elif kind == "psa_kind":
            loc = (*loc, "kind")
            message = f"kind must be one of {', '.join(PSA_KINDS)}"
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
    if len(loc) > 1 and loc[0] == "psa" and loc[1] in PSA_KINDS:
        return (loc[0], *loc[2:])
    return loc


def _unknown_key_message(tagged: PathKey) -> str:
    """Why a key is unknown: another PSA's key left behind, else with the closest known key.

    ``tagged`` is pydantic's path, union tags in it (``psa.autotask.site``), so the
    suggestions come from the model the entry's ``kind`` picked."""
    key = str(tagged[-1])
    if len(tagged) == 3 and tagged[0] == "psa" and tagged[1] in PSA_MODELS:
        owners = " and ".join(PSA_NAMES[k] for k, m in PSA_MODELS.items() if key in m.model_fields)
        if owners:
            article = "an" if owners[0] in "AEIOU" else "a"
            return f'{article} {owners} key, not used with kind = "{tagged[1]}": remove it'
    close = difflib.get_close_matches(key, _fields_at(tagged[:-1]), n=1)
    suffix = f"; did you mean `{close[0]}`?" if close else ""
    return f"unknown key (not part of the psabill schema){suffix}"


def _fields_at(tagged: PathKey) -> list[str]:
    """Field names of the model at ``tagged`` (union tags included), for "did you mean"."""
    choices: tuple[type[BaseModel], ...] = (Config,)
    for part in tagged:
        if isinstance(part, int):
            continue
        picked = tuple(model for model in choices if _tag_of(model) == part)
        if picked:
            choices = picked
            continue
        field = choices[0].model_fields.get(part)
        choices = entry_models(field.annotation) if field else ()
        if not choices:
            return []
    return list(choices[0].model_fields)


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return repr(value) if isinstance(value, str | int | float | bool) else type(value).__name__


def _one_line(text: str) -> str:
    """``text`` with line breaks and other control characters escaped: one problem, one line."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)
