"""The files in examples/ are the demo's files: what `psabill demo` runs is what people read."""

from __future__ import annotations

import tomllib
from importlib.resources import files
from pathlib import Path

import pytest

from psabill.config.loader import load_config
from psabill.sandbox import Store, seed_demo
from psabill.sandbox.demo import DemoPsa, prepare
from psabill.sandbox.kinds import PSA_KINDS, identifiers, psa_sandbox, psa_section

ROOT = Path(__file__).parents[1]
DEMO = files("psabill").joinpath("data/demo")
NAMES = ["psabill.toml", *(f"usage/{p.name}" for p in (ROOT / "examples" / "usage").iterdir())]


@pytest.mark.parametrize("name", sorted(NAMES))
def test_example_matches_the_packaged_demo(name: str) -> None:
    assert (ROOT / "examples" / name).read_bytes() == DEMO.joinpath(name).read_bytes()


def test_every_demo_usage_file_is_in_examples() -> None:
    packaged = {p.name for p in DEMO.joinpath("usage").iterdir()}
    assert packaged == {p.name for p in (ROOT / "examples" / "usage").iterdir()}


PSA_EXAMPLES = {
    "autotask.toml": ("autotask", {"AUTOTASK_INTEGRATION_CODE": "code", "AUTOTASK_SECRET": "s"}),
    "halopsa.toml": ("halopsa", {"HALO_CLIENT_ID": "id", "HALO_CLIENT_SECRET": "secret"}),
}


@pytest.mark.parametrize("name", sorted(PSA_EXAMPLES))
def test_psa_examples_load_with_the_real_loader(name: str) -> None:
    kind, env = PSA_EXAMPLES[name]
    path = ROOT / "examples" / name
    text = path.read_text(encoding="utf-8")

    loaded = load_config(path, env)

    assert loaded.config.psa.kind == kind
    assert "${" in text  # secrets are references, never literal
    for secret in env.values():
        assert f'"{secret}"' not in text


@pytest.mark.parametrize("kind", PSA_KINDS)
def test_the_packaged_demo_config_loads_for_every_psa(kind: str, tmp_path: Path) -> None:
    """The demo config in each PSA's terms, pointed at a (not running) sandbox address."""
    store = Store()
    seed_demo(store)
    with psa_sandbox(kind, store) as sandbox:
        section = psa_section(sandbox)
    setup = prepare(directory=tmp_path, psa=DemoPsa(section, identifiers(kind, store)))

    loaded = load_config(setup.config, {})

    assert loaded.config.psa.kind == kind
    assert len(loaded.config.customers) == len(tomllib.loads(_packaged_demo())["customers"])


def _packaged_demo() -> str:
    return DEMO.joinpath("psabill.toml").read_text(encoding="utf-8")
