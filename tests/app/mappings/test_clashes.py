"""Two lines that would bill one addition, found in the configuration before an edit is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from psabill.app.mappings import edits
from psabill.app.mappings.clashes import Clash, clashes
from psabill.app.mappings.draft import did_you_mean
from psabill.app.mappings.store import MappingStore
from psabill.config.loader import load_texts
from psabill.config.models import Config
from psabill.errors import EditRefused
from tests.conftest import ENV, MINIMAL

TWO_ACCOUNTS = (
    MINIMAL
    + """
[sync]
agreement_type = "Managed Services"

[[sources]]
name = "sophos"
kind = "csv"
path = "sophos.csv"
customer_field = "C"
sku_field = "S"
quantity_field = "Q"

[[sources]]
name = "lastpass"
kind = "csv"
path = "lastpass.csv"
customer_field = "C"
sku_field = "S"
quantity_field = "Q"

[[customers]]
id = "acme-s"
source = "sophos"
psa_company = "AcmeDental"

[[customers]]
id = "acme-l"
source = "lastpass"
psa_company = "AcmeDental"
"""
)


def _config(extra: str = "") -> Config:
    return load_texts(Path("psabill.toml"), TWO_ACCOUNTS + extra, ENV, managed_text=None).config


def _product(sku: str, psa: str, source: str | None = None, more: str = "") -> str:
    scoped = f'source = "{source}"\n' if source else ""
    return f'\n[[products]]\nsku = "{sku}"\n{scoped}psa_product = "{psa}"\n{more}'


def test_a_product_without_source_lands_both_accounts_on_one_addition() -> None:
    (clash,) = clashes(_config(_product("SRV", "SOPHOS-SRV")))
    assert clash == Clash(
        "AcmeDental",
        'agreement type "Managed Services"',
        "SOPHOS-SRV",
        (("lastpass:acme-l", "SRV, any source"), ("sophos:acme-s", "SRV, any source")),
    )
    assert clash.sentence() == (
        "lastpass:acme-l (SRV, any source) and sophos:acme-s (SRV, any source) would bill "
        'SOPHOS-SRV on one AcmeDental agreement (agreement type "Managed Services"), and '
        "psabill bills one addition once"
    )


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param(_product("SRV", "SOPHOS-SRV", "sophos"), id="scoped to one source"),
        pytest.param(_product("SRV", "SOPHOS-SRV", more="sync = false\n"), id="not synced"),
        pytest.param(
            _product("SRV", "SOPHOS-SRV", "sophos") + _product("LP", "LASTPASS", "lastpass"),
            id="different PSA products",
        ),
    ],
)
def test_what_bills_separate_additions_is_no_clash(extra: str) -> None:
    assert all(c.company != "AcmeDental" for c in clashes(_config(extra)))


def test_two_skus_of_one_account_on_one_psa_product_clash() -> None:
    extra = _product("A", "SOPHOS", "sophos") + _product("B", "sophos", "sophos")
    (clash,) = clashes(_config(extra))
    assert clash.lines == (
        ("sophos:acme-s", "A, source sophos"),
        ("sophos:acme-s", "B, source sophos"),
    )


def test_the_contract_decides_the_agreement() -> None:
    custom = (
        '\n[[customers]]\nid = "acme-x"\npsa_company = "AcmeDental"\nsettings = "custom"\n'
        'contract = { agreement_type = "Security Services" }\n'
    )
    extra = _product("SRV", "SOPHOS-SRV", "sophos") + custom
    # acme-x has no source, so every scoped product may bill it; its own contract keeps it apart.
    assert clashes(_config(extra)) == frozenset()
    same = custom.replace("Security Services", "Managed Services")
    (clash,) = clashes(_config(_product("SRV", "SOPHOS-SRV", "sophos") + same))
    assert [key for key, _ in clash.lines] == ["acme-x", "sophos:acme-s"]


def test_a_customer_that_is_not_synced_bills_nothing() -> None:
    text = TWO_ACCOUNTS.replace('id = "acme-l"\n', 'id = "acme-l"\nsync = false\n')
    config = load_texts(Path("x.toml"), text + _product("SRV", "P"), ENV, managed_text=None).config
    assert clashes(config) == frozenset()


def _store(tmp_path: Path, extra: str = "") -> MappingStore:
    path = tmp_path / "psabill.toml"
    path.write_text(TWO_ACCOUNTS + extra)
    path.chmod(0o600)
    return MappingStore(path, ENV)


def test_an_edit_that_adds_a_clash_is_refused_and_writes_nothing(tmp_path: Path) -> None:
    store = _store(tmp_path)
    with store.edit() as draft:
        edits.map_product(draft, "LP", "LASTPASS", source="lastpass", name=None)
    before = store.path.read_bytes()
    with pytest.raises(EditRefused) as info, store.edit() as draft:
        edits.map_product(draft, "SRV", "SOPHOS-SRV", source=None, name=None)
    assert info.value.message.startswith("refused, nothing was written: lastpass:acme-l (SRV, ")
    assert "\n" not in info.value.message
    assert store.path.read_bytes() == before


def test_a_clash_the_configuration_had_before_does_not_block_other_edits(tmp_path: Path) -> None:
    store = _store(tmp_path, _product("SRV", "SOPHOS-SRV"))  # hand-written: the sync reports it
    with store.edit() as draft:
        edits.map_product(draft, "LP", "LASTPASS", source="lastpass", name=None)
    assert "LASTPASS" in store.path.read_text()
    with pytest.raises(EditRefused), store.edit() as draft:  # but a new one is refused
        edits.map_product(draft, "SRV2", "SOPHOS-SRV", source="sophos", name=None)


@pytest.mark.parametrize(
    ("text", "known", "said"),
    [
        ("CIXAA", ["CIXA", "LP-BUS"], "; did you mean CIXA?"),
        ("cixa", ["CIXA"], "; did you mean CIXA?"),
        ("CIXA-XD", ["CIXA-XDR", "CIXA-SRV", "CIXA"], "; did you mean CIXA-XDR, CIXA or CIXA-SRV?"),
        ("zzzz", ["CIXA"], ""),
    ],
)
def test_did_you_mean(text: str, known: list[str], said: str) -> None:
    assert did_you_mean(text, known) == said
