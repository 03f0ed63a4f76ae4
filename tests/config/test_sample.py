"""The sample written by `config init` is valid and documents the whole schema."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from psabill.config.loader import load_config
from psabill.config.models import Config
from psabill.config.sample import sample_text
from psabill.config.source_models import CommandSource, CsvSource, HttpSource, JsonSource
from tests.conftest import ENV


def _field_names(model: type[BaseModel], seen: set[type[BaseModel]]) -> set[str]:
    names: set[str] = set()
    if model in seen:
        return names
    seen.add(model)
    for name, field in model.model_fields.items():
        names.add(name)
        for inner in _models_in(field.annotation):
            names |= _field_names(inner, seen)
    return names


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in getattr(annotation, "__args__", ()):
        found += _models_in(arg)
    return found


def test_sample_loads(tmp_path: Path) -> None:
    path = tmp_path / "psabill.toml"
    path.write_text(sample_text())
    path.chmod(0o600)
    cfg = load_config(path, ENV).config
    assert cfg.account.name == "Northwind MSP"
    assert {c.settings for c in cfg.customers} == {"global", "custom"}


def test_every_schema_field_is_documented_in_the_sample() -> None:
    text = sample_text()
    names = _field_names(Config, set())
    for source in (CsvSource, JsonSource, CommandSource, HttpSource):
        names |= _field_names(source, set())
    pattern = r"^#?\s*{0}\s*=|\b{0} =|^\[{0}\]|^\[\[(\w+\.)?{0}\]\]"
    missing = sorted(n for n in names if not re.search(pattern.format(n), text, re.M))
    assert missing == []


def test_every_field_has_a_description() -> None:
    models = [Config, CsvSource, JsonSource, CommandSource, HttpSource]
    seen: set[type[BaseModel]] = set()
    pending = list(models)
    undocumented = []
    while pending:
        model = pending.pop()
        if model in seen:
            continue
        seen.add(model)
        for name, field in model.model_fields.items():
            if not field.description:
                undocumented.append(f"{model.__name__}.{name}")
            pending.extend(_models_in(field.annotation))
    assert undocumented == []
