"""The commented sample config of ``psabill config init``, rendered from the schema.

One schema drives validation, this sample and the README's key list, as
borgmatic's ``config/schema.yaml`` drives its ``config generate``: a key's
comment is its field ``description``; its value is the field's first
``examples`` entry, else its default. Optional keys (default None) are written
commented out with their example, unless the field is marked
:data:`~psabill.config.fields.SET_IN_SAMPLE`. Top-level keys come first, then
tables, then lists of tables. A list is rendered from the example entries in
:mod:`psabill.config.examples`, below a legend of the keys those entries take,
so the entries themselves stay as compact as a user would write them.

The sample is rendered when asked for, never stored, so it cannot drift from the
schema. Print it with ``python -m psabill.config.sample [connectwise|autotask|halopsa]``:
``[psa]`` is one table per PSA, and the sample shows the one asked for.
"""

from __future__ import annotations

import os
import re
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import tomli_w
from pydantic import BaseModel, TypeAdapter
from pydantic.fields import FieldInfo

from psabill.config.examples import examples_for
from psabill.config.fields import SET_IN_SAMPLE
from psabill.config.models import Config
from psabill.config.psa_models import PSA_KINDS
from psabill.errors import UsageError

WIDTH = 80
HEADER = """\
# psabill configuration
#
# psabill syncs vendor seat counts (Sophos, Trend Micro, LastPass, GoTo, ...)
# into your PSA's agreements once per billing period. Check this file with
#   psabill config validate
# and preview the schedule with
#   psabill schedule
#
# Secrets: write "${ENV_VAR}" to read a value from the environment, or
# "file:/run/secrets/name" to read it from a file. Keep this file mode 0600.
#
# Each key is explained above it; the keys of a [[list]] entry are explained
# above the first entry that uses them. A commented-out key is optional and
# shows an example value."""
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
Shape = Literal["key", "table", "list"]
Explained = set[tuple[str, str, str | None]]
"""(list section, key, description) already in a legend: each is explained once."""


def sample_text(psa: str = "connectwise") -> str:
    """The sample config for the PSA of kind ``psa``: header, top-level keys, tables, then
    lists of tables. A table that is a union (``[psa]``) shows the member ``psa`` names."""
    if psa not in PSA_KINDS:
        raise UsageError(f"no sample for PSA {psa!r}; one of {', '.join(PSA_KINDS)}")
    fields = Config.model_fields
    blocks = [HEADER]
    blocks += ["\n".join(_key(n, f)) for n, f in fields.items() if _shape(f) == "key"]
    blocks += [_table(n, f, psa) for n, f in fields.items() if _shape(f) == "table"]
    blocks += [_list(n, f, psa) for n, f in fields.items() if _shape(f) == "list"]
    return "\n\n".join(blocks) + "\n"


def write_sample(path: Path, *, force: bool, psa: str = "connectwise") -> None:
    """Write the sample to ``path`` with mode 0600 (it will hold secrets).

    Refuses to replace an existing file unless ``force``; the write goes to a
    temporary file that is renamed into place, so a crash never leaves half a file.
    """
    if path.exists() and not force:
        raise UsageError(
            f"{path} already exists; not overwriting it", hint="use --force to replace it"
        )
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
    temp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(sample_text(psa))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o600)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


# -- keys and tables ----------------------------------------------------------------------


def _shape(field: FieldInfo) -> Shape:
    """A plain key, a table (one model) or a list of tables (items that are models)."""
    if not entry_models(field.annotation):
        return "key"
    return "list" if get_origin(field.annotation) in (tuple, list) else "table"


def entry_models(annotation: Any) -> tuple[type[BaseModel], ...]:
    """The models a field holds: itself, its items, or the members of a union of them."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return (annotation,)
    found: tuple[type[BaseModel], ...] = ()
    for arg in get_args(annotation):
        found += entry_models(arg)
    return found


def _table(name: str, field: FieldInfo, psa: str) -> str:
    """A table; of a union of tables (``[psa]``), the member tagged ``psa``, with a line
    naming the others and how to get their sample."""
    models = entry_models(field.annotation)
    lines = [*_comment(field.description)]
    model, keys = models[0], list(models[0].model_fields)
    if len(models) > 1:  # the PSA's tag, then its own keys, then those every PSA shares
        model = next(m for m in models if psa in {_tag(f) for f in m.model_fields.values()})
        fields = model.model_fields
        shared = [k for k in fields if all(k in m.model_fields for m in models)]
        keys = sorted(fields, key=lambda k: (not _tag(fields[k]), k in shared))
        others = " or ".join(kind for kind in PSA_KINDS if kind != psa)
        lines += _comment(
            f"The keys below are {psa}'s; `psabill config init --{name} {others}` writes "
            "the sample of another PSA."
        )
    lines.append(f"[{name}]")
    for key in keys:
        lines += _key(key, model.model_fields[key])
    return "\n".join(lines)


def _key(name: str, field: FieldInfo) -> list[str]:
    if tag := _tag(field):  # a union member's tag: what picks this model, always written
        return [*_comment(field.description), f"{_toml_key(name)} = {_literal(tag)}"]
    value, active = _value(name, field)
    line = f"{_toml_key(name)} = {_literal(value)}"
    return [*_comment(field.description), line if active else f"# {line}"]


def _value(name: str, field: FieldInfo) -> tuple[Any, bool]:
    """A key's value in the sample, and whether the sample sets it (False: commented out)."""
    default = None if field.is_required() else field.get_default(call_default_factory=True)
    optional = not field.is_required() and default is None
    if field.examples:
        return field.examples[0], not optional or field.json_schema_extra == SET_IN_SAMPLE
    if field.is_required() or optional:
        raise ValueError(f"`{name}` has no default: give it Field(examples=[...]) for the sample")
    return TypeAdapter(field.rebuild_annotation()).dump_python(default, mode="json"), True


# -- lists of tables ----------------------------------------------------------------------


def _list(name: str, field: FieldInfo, psa: str) -> str:
    """The list's examples, each below the legend of the keys it is the first to use."""
    blocks = []
    explained: Explained = set()
    for example in examples_for(name, psa):
        mark = "" if example.active else "# "  # an alternative, to uncomment
        blocks.append("\n".join(_entries(name, field, [example.entry], explained, mark)))
    return "\n\n".join(blocks) if blocks else "\n".join(_comment(field.description))


def _entries(
    section: str,
    field: FieldInfo,
    entries: list[Mapping[str, Any]],
    done: Explained,
    mark: str,
) -> list[str]:
    """``[[section]]`` tables for ``entries``, the first below the list's description, each
    below the legend of the keys it is the first to use. ``mark`` starts every line of the
    tables but not the comments: "# " comments an entry out and leaves its legend readable."""
    models = entry_models(field.annotation)
    lines: list[str] = []
    for entry in entries:
        if lines:
            lines.append("")
        if not any(explained[0] == section for explained in done):
            lines += _comment(field.description)
        lines += _legend(section, models, entry, done)
        lines += _entry(section, _model_for(models, entry), entry, done, mark)
    return lines


def _entry(
    section: str, model: type[BaseModel], entry: Mapping[str, Any], done: Explained, mark: str
) -> list[str]:
    """One entry's header and keys; its lists of tables follow as ``[[section.key]]``."""
    lines, nested = [f"{mark}[[{section}]]"], []
    for key, value in entry.items():
        if key not in model.model_fields:
            raise ValueError(f"the [[{section}]] example has a key the schema lacks: {key}")
        inner = model.model_fields[key]
        if _shape(inner) == "list":
            nested += ["", *_entries(f"{section}.{key}", inner, value, done, mark)]
        else:
            lines.append(f"{mark}{_toml_key(key)} = {_literal(value)}")
    return lines + nested


def _model_for(models: tuple[type[BaseModel], ...], entry: Mapping[str, Any]) -> type[BaseModel]:
    """The model of an entry: the one whose tag (``kind = "csv"``) it carries."""
    for model in models:
        tags = {key: _tag(field) for key, field in model.model_fields.items() if _tag(field)}
        if all(entry.get(key) == value for key, value in tags.items()):
            return model
    raise ValueError(f"no model of {[m.__name__ for m in models]} fits the example {entry}")


def _tag(field: FieldInfo) -> str | None:
    """The value of a one-value ``Literal`` field: the tag that picks a union member."""
    args = get_args(field.annotation)
    if get_origin(field.annotation) is Literal and len(args) == 1:
        return str(args[0])
    return None


def _legend(
    section: str, models: tuple[type[BaseModel], ...], entry: Mapping[str, Any], done: Explained
) -> list[str]:
    """Keys of the entry's model not yet explained in ``section``: shared ones, its tag, its
    own; each group in the entry's order, then the keys the entry leaves out."""
    fields = _model_for(models, entry).model_fields
    order = [*(k for k in entry if k in fields), *(k for k in fields if k not in entry)]
    shared = [k for k in order if _in_all(models, k, fields[k]) and not _tag(fields[k])]
    lines: list[str] = []
    for key in [*shared, *(k for k in order if k not in shared)]:
        field = fields[key]
        if (section, key, field.description) in done:
            continue
        done.add((section, key, field.description))
        if tag := _tag(field):
            lines += _comment(f"With {key} = {_literal(tag)}: {field.description}")
        else:
            lines += _comment(f"{key}: {field.description}", indent="  ")
    return lines


def _in_all(models: tuple[type[BaseModel], ...], key: str, field: FieldInfo) -> bool:
    return all(
        key in m.model_fields and m.model_fields[key].description == field.description
        for m in models
    )


# -- text -----------------------------------------------------------------------------------


def _comment(text: str | None, *, indent: str = "") -> list[str]:
    """``text`` as ``#`` lines of at most WIDTH characters; later lines indented further."""
    if not text:
        return []
    later = f"# {indent}  " if indent else "# "
    return textwrap.wrap(
        text,
        WIDTH,
        initial_indent=f"# {indent}",
        subsequent_indent=later,
        break_long_words=False,
        break_on_hyphens=False,
    )


def _literal(value: Any) -> str:
    """``value`` as an inline TOML value: tables and arrays on one line, as a person writes."""
    if isinstance(value, Mapping):
        items = ", ".join(f"{_toml_key(k)} = {_literal(v)}" for k, v in value.items())
        return f"{{ {items} }}" if items else "{}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_literal(item) for item in value) + "]"
    return tomli_w.dumps({"v": value}).removeprefix("v = ").rstrip("\n")


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else _literal(key)


if __name__ == "__main__":
    sys.stdout.write(sample_text(*sys.argv[1:2]))
