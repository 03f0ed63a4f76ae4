"""The sample written by `config init` is valid and documents the whole schema."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from psabill.config.loader import load_config
from psabill.config.models import Config
from psabill.config.psa_models import PSA_KINDS, PSA_MODELS
from psabill.config.sample import sample_text
from psabill.config.source_models import CommandSource, CsvSource, HttpSource, JsonSource
from psabill.errors import UsageError
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


SAMPLE_ENV = {
    **ENV,
    "AUTOTASK_INTEGRATION_CODE": "TRACKING-CODE",
    "AUTOTASK_SECRET": "autotask-secret",
    "HALO_CLIENT_ID": "halo-client",
    "HALO_CLIENT_SECRET": "halo-secret",
}


@pytest.mark.parametrize("psa", PSA_KINDS)
def test_sample_loads(tmp_path: Path, psa: str) -> None:
    path = tmp_path / "psabill.toml"
    path.write_text(sample_text(psa))
    path.chmod(0o600)
    cfg = load_config(path, SAMPLE_ENV).config
    assert cfg.account.name == "Northwind MSP"
    assert cfg.psa.kind == psa
    assert {c.settings for c in cfg.customers} == {"global", "custom"}


@pytest.mark.parametrize("psa", PSA_KINDS)
def test_every_schema_field_is_documented_in_the_sample(psa: str) -> None:
    """Each PSA's sample documents the whole schema, its own [psa] model in place of the
    union (a key of another PSA's model does not belong in it)."""
    text = sample_text(psa)
    names = {n for n in Config.model_fields if n != "psa"} | {"psa"}
    seen: set[type[BaseModel]] = set()
    for name, field in Config.model_fields.items():
        if name != "psa":
            for inner in _models_in(field.annotation):
                names |= _field_names(inner, seen)
    names |= _field_names(PSA_MODELS[psa], seen)
    for source in (CsvSource, JsonSource, CommandSource, HttpSource):
        names |= _field_names(source, seen)
    pattern = r"^#?\s*{0}\s*=|\b{0} =|^\[{0}\]|^\[\[(\w+\.)?{0}\]\]"
    missing = sorted(n for n in names if not re.search(pattern.format(n), text, re.M))
    assert missing == []
    others = set().union(*(m.model_fields for k, m in PSA_MODELS.items() if k != psa))
    section = text.split("\n[psa]\n", 1)[1].split("\n\n", 1)[0]
    written = set(re.findall(r"^#? ?(\w+) = ", section, re.M))
    assert written == set(PSA_MODELS[psa].model_fields)
    assert written & others <= {
        "kind",
        "timeout",
        "concurrency",
        "rate_limit",
        "retries",
        "ca_bundle",
        "client_id",
    }


def test_autotask_and_halo_samples_name_companies_by_id() -> None:
    for psa in ("autotask", "halopsa"):
        companies = re.findall(r'^psa_company = "(.*)"$', sample_text(psa), re.M)
        assert companies
        assert all(company.isdigit() for company in companies)
    assert 'psa_company = "AcmeCorp"' in sample_text("connectwise")


def test_sample_for_an_unknown_psa_is_refused() -> None:
    with pytest.raises(UsageError, match="one of connectwise, autotask, halopsa"):
        sample_text("odoo")


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
