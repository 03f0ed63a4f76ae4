"""The packaged demo config spoken in another PSA's terms: only [psa] and the mappings change."""

from __future__ import annotations

import tomllib
from importlib.resources import files

import pytest

from psabill.sandbox.demo_config import demo_config

PACKAGED = files("psabill").joinpath("data/demo/psabill.toml").read_text(encoding="utf-8")
SECTION = {"kind": "halopsa", "url": "http://127.0.0.1:1", "client_id": "c", "client_secret": "s"}


class Marked:
    """Identifiers that show they were asked: company ``X`` -> ``co:X``, catalog -> ``item:X``."""

    def company(self, cw_identifier: str) -> str:
        return f"co:{cw_identifier}"

    def catalog(self, cw_identifier: str) -> str:
        return f"item:{cw_identifier}"


def _comments(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.lstrip().startswith("#")]


def test_only_the_psa_table_and_the_mappings_change() -> None:
    before = tomllib.loads(PACKAGED)

    after = tomllib.loads(demo_config(PACKAGED, SECTION, Marked()))

    assert after["psa"] == {**SECTION, "rate_limit": "none"}
    assert [c["psa_company"] for c in after["customers"]] == [
        f"co:{c['psa_company']}" for c in before["customers"]
    ]
    assert [p["psa_product"] for p in after["products"]] == [
        f"item:{p['psa_product']}" for p in before["products"]
    ]
    unchanged = set(before) - {"psa", "customers", "products"}
    assert {key: after[key] for key in unchanged} == {key: before[key] for key in unchanged}
    for old, new in zip(before["customers"], after["customers"], strict=True):
        assert {**old, "psa_company": new["psa_company"]} == new


def test_comments_outside_the_psa_table_stay_where_they_were() -> None:
    text = demo_config(PACKAGED, SECTION, Marked())
    psa_comments = set(_comments(PACKAGED.split("[psa]")[1].split("[[sources]]")[0]))

    kept = [line for line in _comments(PACKAGED) if line not in psa_comments]

    assert [line for line in _comments(text) if line in kept] == kept
    assert "# The built-in fake HaloPSA (`psabill sandbox serve --psa halopsa`)." in text
    assert "examples/halopsa.toml" in text


def test_a_mapping_the_translation_cannot_see_is_refused_not_left_wrong() -> None:
    """Customers written as an inline array would keep ConnectWise's identifiers: refused."""
    text = 'customers = [{ id = "a", psa_company = "Acme" }]\n\n[psa]\nkind = "connectwise"\n'

    with pytest.raises(ValueError, match="did not translate cleanly"):
        demo_config(text, SECTION, Marked())


def test_keys_that_only_start_like_a_mapping_are_left_alone() -> None:
    text = '[psa]\n\n[[customers]]\nid = "a"\npsa_company = "Acme"\npsa_company_note = "x"\n'

    result = demo_config(text, SECTION, Marked())

    assert 'psa_company = "co:Acme"\npsa_company_note = "x"\n' in result
