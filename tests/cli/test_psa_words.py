"""Each PSA's words for what psabill bills through (psabill.psa.words)."""

from __future__ import annotations

import pytest

from psabill.config.psa_models import PSA_KINDS
from psabill.psa.words import PsaWords, words

EXPECTED = {
    # kind: (name, company, agreement, agreement type, catalog item, addition)
    "connectwise": (
        "ConnectWise",
        "company",
        "agreement",
        "agreement type",
        "catalog item",
        "addition",
    ),
    "autotask": (
        "Autotask",
        "company",
        "contract",
        "contract category",
        "service",
        "contract service",
    ),
    "halopsa": (
        "HaloPSA",
        "client",
        "recurring invoice",
        "recurring invoice type",
        "item",
        "recurring invoice line",
    ),
}


@pytest.mark.parametrize("kind", PSA_KINDS)
def test_each_psa_has_its_words(kind: str) -> None:
    said = words(kind)
    assert said.kind == kind
    assert (
        said.name,
        said.company,
        said.agreement,
        said.agreement_type,
        said.catalog_item,
        said.addition,
    ) == EXPECTED[kind]


@pytest.mark.parametrize("kind", PSA_KINDS)
def test_plurals_are_the_singular_made_plural(kind: str) -> None:
    said = words(kind)
    for one, many in (
        (said.company, said.companies),
        (said.agreement, said.agreements),
        (said.catalog_item, said.catalog_items),
        (said.addition, said.additions),
    ):
        assert many in (one + "s", one[:-1] + "ies")


def test_only_connectwise_names_companies_by_a_chosen_identifier() -> None:
    assert [k for k in PSA_KINDS if not words(k).companies_by_id] == ["connectwise"]
    assert [k for k in PSA_KINDS if not words(k).creates_catalog_items] == ["autotask"]


@pytest.mark.parametrize("kind", ["autotask", "halopsa"])
def test_no_other_psa_is_told_connectwise_things(kind: str) -> None:
    said = words(kind)
    texts = [value for value in vars(said).values() if isinstance(value, str)]
    assert not [text for text in texts if "ConnectWise" in text or "Company ID" in text]


def test_an_unknown_kind_is_a_bug_not_connectwise() -> None:
    with pytest.raises(ValueError, match="odoo"):
        words("odoo")
    assert isinstance(words("connectwise"), PsaWords)
