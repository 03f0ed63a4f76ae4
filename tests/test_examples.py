"""The files in examples/ are the demo's files: what `psabill demo` runs is what people read."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
DEMO = files("psabill").joinpath("data/demo")
NAMES = ["psabill.toml", *(f"usage/{p.name}" for p in (ROOT / "examples" / "usage").iterdir())]


@pytest.mark.parametrize("name", sorted(NAMES))
def test_example_matches_the_packaged_demo(name: str) -> None:
    assert (ROOT / "examples" / name).read_bytes() == DEMO.joinpath(name).read_bytes()


def test_every_demo_usage_file_is_in_examples() -> None:
    packaged = {p.name for p in DEMO.joinpath("usage").iterdir()}
    assert packaged == {p.name for p in (ROOT / "examples" / "usage").iterdir()}
