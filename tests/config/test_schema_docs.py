"""One schema, three readers: the sample config, the README's key list and the examples agree.

A section is named by its dotted path from the top level (``""`` is the top level
itself); an entry of a tagged union is ``sources[kind=csv]``. A model reached a
second time (a customer's ``schedule`` is a ``[schedule]``) is not a section again.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import pytest
from pydantic import BaseModel, TypeAdapter
from pydantic.fields import FieldInfo

from psabill.config.examples import EXAMPLES
from psabill.config.fields import SET_IN_SAMPLE
from psabill.config.models import Config
from psabill.config.psa_models import PSA_KINDS
from psabill.config.sample import entry_models, sample_text

ROOT = Path(__file__).parents[2]
Sections = dict[str, frozenset[str]]
_COMMENTED_KEY = re.compile(r"^# (?=\[|[A-Za-z_][A-Za-z0-9_]* = )")
_README_LINE = re.compile(r"^- (top level|`\[*([\w.]+)\]*`): (.*)$")
_README_TAG = re.compile(r'^`(\w+) = "([\w-]+)"`: (.*)$')
_TICKED_KEY = re.compile(r"`(\w+)`")


def _tag(model: type[BaseModel]) -> str:
    """``[kind=csv]`` for a model with a one-value Literal field, else ``""``."""
    for name, field in model.model_fields.items():
        args = get_args(field.annotation)
        if get_origin(field.annotation) is Literal and len(args) == 1:
            return f"[{name}={args[0]}]"
    return ""


def schema_sections() -> Sections:
    sections: Sections = {}
    seen: set[type[BaseModel]] = set()
    pending: list[tuple[str, tuple[type[BaseModel], ...]]] = [("", (Config,))]
    while pending:
        path, models = pending.pop(0)
        for model in models:
            if model in seen:
                continue
            seen.add(model)
            sections[path + _tag(model)] = frozenset(model.model_fields)
            for name, field in model.model_fields.items():
                if inner := entry_models(field.annotation):
                    pending.append((f"{path}.{name}".lstrip("."), inner))
    return sections


def document_sections(document: dict[str, Any], names: list[str]) -> Sections:
    """The keys ``document`` uses in each of the sections ``names``, over all entries."""
    sections: Sections = {}
    for name in names:
        path, _, tag = name.partition("[")
        tables: list[Any] = [document]
        for part in filter(None, path.split(".")):
            values = [table[part] for table in tables if part in table]
            tables = [
                v for value in values for v in (value if isinstance(value, list) else [value])
            ]
        if tag:
            key, value = tag.rstrip("]").split("=")
            tables = [table for table in tables if table.get(key) == value]
        sections[name] = frozenset(key for table in tables for key in table)
    return sections


def readme_sections() -> Sections:
    """The README's key list, as :func:`fold` shapes a union: shared keys, then each kind's."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    configuration = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    lines = re.sub(r"\n  (?=\S)", " ", configuration).splitlines()  # join wrapped list items
    sections: Sections = {}
    for line in lines:
        if not (match := _README_LINE.match(line)):
            continue
        path = match.group(2) or ""
        common, *tagged = match.group(3).split("; ")
        sections[path] = frozenset(_TICKED_KEY.findall(common))
        for group in tagged:
            tag = _README_TAG.match(group)
            assert tag, f'README: {group!r} is not `key = "value"`: keys'
            keys = frozenset(_TICKED_KEY.findall(tag.group(3)))
            sections[f"{path}[{tag.group(1)}={tag.group(2)}]"] = keys
    for path in list(sections):
        if path:
            sections[""] |= {path.split(".")[0].split("[")[0]}
    return sections


def fold(sections: Sections, schema: Sections) -> Sections:
    """Keys every member of a tagged union shares count once, under the untagged name:
    ``sources`` gets ``name``, ``kind``, ...; ``sources[kind=csv]`` keeps ``path``, ...
    That is how the README lists them and how the sample's legend explains them."""
    folded = dict(sections)
    for base in {name.split("[")[0] for name in schema if "[" in name}:
        members = [name for name in schema if name.startswith(f"{base}[")]
        shared = frozenset.intersection(*(schema[name] for name in members))
        folded[base] = frozenset().union(*(sections[name] & shared for name in members))
        for name in members:
            folded[name] = sections[name] - shared
    return folded


def uncommented_sample(psa: str = "connectwise") -> dict[str, Any]:
    """The sample for ``psa`` with every commented-out key and entry written in, parsed."""
    lines = [_COMMENTED_KEY.sub("", line) for line in sample_text(psa).splitlines()]
    return tomllib.loads("\n".join(lines))


def every_sample_sections(names: list[str]) -> Sections:
    """The keys the three samples (one per PSA) use in each section, together."""
    shown = [document_sections(uncommented_sample(psa), names) for psa in PSA_KINDS]
    return {name: frozenset().union(*(one[name] for one in shown)) for name in names}


def test_readme_lists_exactly_the_schema_keys() -> None:
    schema = schema_sections()
    assert readme_sections() == fold(schema, schema)


def test_sample_shows_exactly_the_schema_keys_counting_commented_ones() -> None:
    """Across the three samples; each shows its own PSA's [psa] keys and no other's."""
    schema = schema_sections()
    shown = every_sample_sections(list(schema))
    assert fold(shown, schema) == fold(schema, schema)
    for psa in PSA_KINDS:
        own = document_sections(uncommented_sample(psa), list(schema))
        assert own[f"psa[kind={psa}]"] == schema[f"psa[kind={psa}]"]
        assert not any(own[f"psa[kind={other}]"] for other in PSA_KINDS if other != psa)


@pytest.mark.parametrize("psa", PSA_KINDS)
def test_a_table_key_is_commented_out_exactly_when_it_is_optional(psa: str) -> None:
    """Optional (default None) and not marked SET_IN_SAMPLE: shown, but not set. Of the
    union [psa], the member the sample is for."""
    commented: set[tuple[str, str]] = set()
    table = ""
    for line in sample_text(psa).splitlines():
        if header := re.match(r"^\[(\w+)\]$", line):
            table = header.group(1)
        elif line.startswith("[["):
            break  # lists of tables follow the tables; a commented entry is an alternative
        elif key := re.match(r"^# (\w+) = ", line):
            commented.add((table, key.group(1)))
    optional: set[tuple[str, str]] = set()
    for name, field in Config.model_fields.items():
        models = entry_models(field.annotation)
        if name == "psa":
            models = tuple(m for m in models if m.model_fields["kind"].annotation == Literal[psa])
        if models and get_origin(field.annotation) not in (tuple, list):
            (model,) = models
            optional |= {(name, key) for key, inner in model.model_fields.items() if _unset(inner)}
        elif not entry_models(model) and _unset(field):
            optional.add(("", name))
    assert ("schedule", "weekday") in commented
    assert commented == optional


def _unset(field: FieldInfo) -> bool:
    return (
        not field.is_required()
        and field.default is None
        and field.json_schema_extra != SET_IN_SAMPLE
    )


def _comments(psa: str) -> str:
    text = " ".join(
        line.lstrip("# ") for line in sample_text(psa).splitlines() if line.startswith("#")
    )
    return " ".join(text.split())


@pytest.mark.parametrize("psa", PSA_KINDS)
def test_every_description_is_a_comment_of_the_sample(psa: str) -> None:
    """Every model's, in the sample of each PSA; of the [psa] models, the PSA's own."""
    comments = _comments(psa)
    psa_models = set(entry_models(Config.model_fields["psa"].annotation))
    missing = []
    for models in _all_models():
        if models in psa_models and _tag(models) != f"[kind={psa}]":
            continue
        for name, field in models.model_fields.items():
            if " ".join((field.description or "").split()) not in comments:
                missing.append(f"{models.__name__}.{name}")
    assert missing == []


def _all_models() -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = []
    pending: list[type[BaseModel]] = [Config]
    while pending:
        model = pending.pop()
        if model not in found:
            found.append(model)
            for field in model.model_fields.values():
                pending.extend(entry_models(field.annotation))
    return found


@pytest.mark.parametrize("section", sorted(EXAMPLES))
def test_every_example_entry_is_valid_on_its_own(section: str) -> None:
    """Commented-out entries too: the loader never sees those."""
    adapter: TypeAdapter[Any] = TypeAdapter(Config.model_fields[section].annotation)
    entries = [example.entry for example in EXAMPLES[section]]
    assert len(adapter.validate_python(entries)) == len(entries)


def test_examples_config_uses_only_keys_the_sample_documents() -> None:
    """examples/psabill.toml is the demo's file, not the sample: it is checked against it."""
    schema = schema_sections()
    with (ROOT / "examples" / "psabill.toml").open("rb") as handle:
        used = fold(document_sections(tomllib.load(handle), list(schema)), schema)
    documented = fold(document_sections(uncommented_sample(), list(schema)), schema)
    undocumented = {name: keys - documented[name] for name, keys in used.items()}
    assert {name: keys for name, keys in undocumented.items() if keys} == {}
    assert used["sources[kind=csv]"]  # the check saw the demo's entries
