"""psabill.toml merged with mappings.toml: precedence, and problems at the right FILE:LINE."""

from __future__ import annotations

from pathlib import Path

import pytest

from psabill.config.loader import load_config
from psabill.config.merge import entry_key, merge
from psabill.errors import ConfigError
from tests.conftest import ENV, MINIMAL


def _write(directory: Path, hand: str, managed: str | None, name: str = "mappings.toml") -> Path:
    config = directory / "psabill.toml"
    config.write_text(MINIMAL + hand, encoding="utf-8")
    config.chmod(0o600)
    if managed is not None:
        (directory / name).write_text(managed, encoding="utf-8")
    return config


HAND = """
[[products]]
sku = "A"
psa_product = "PA"
unit_price = "1.00"

[[products]]
sku = "B"
psa_product = "PB"

[[billing_admins]]
email = "Boss@Example.com"
pay_invoices = true
"""


def test_without_a_managed_file_the_config_is_as_written(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, HAND, None), ENV).config
    assert [(p.sku, p.psa_product) for p in cfg.products] == [("A", "PA"), ("B", "PB")]


def test_a_managed_entry_replaces_the_hand_written_one_wholesale_in_place(tmp_path: Path) -> None:
    managed = '[[products]]\nsku = "A"\npsa_product = "PA2"\n'
    cfg = load_config(_write(tmp_path, HAND, managed), ENV).config
    first = cfg.products[0]
    assert (first.sku, first.psa_product) == ("A", "PA2")
    assert first.unit_price is None  # wholesale: fields not in the managed entry are not inherited
    assert [p.sku for p in cfg.products] == ["A", "B"]


def test_other_managed_entries_are_appended(tmp_path: Path) -> None:
    managed = (
        '[[products]]\nsku = "C"\npsa_product = "PC"\n\n[[products]]\nsku = "A"\nsource = "x"\n'
    )
    source = (
        '\n[[sources]]\nname = "x"\nkind = "csv"\npath = "u.csv"\n'
        'customer_field = "c"\nsku_field = "s"\nquantity_field = "q"\n'
    )
    config = _write(tmp_path, HAND + source, managed)
    cfg = load_config(config, ENV).config
    assert [(p.sku, p.source) for p in cfg.products] == [
        ("A", None),
        ("B", None),
        ("C", None),
        ("A", "x"),  # another source is another key
    ]


def test_removed_keys_hide_hand_written_entries(tmp_path: Path) -> None:
    managed = '[[removed.products]]\nsku = "B"\n\n'
    managed += '[[removed.billing_admins]]\nemail = "boss@example.com"\n'
    cfg = load_config(_write(tmp_path, HAND, managed), ENV).config
    assert [p.sku for p in cfg.products] == ["A"]
    assert cfg.billing_admins == ()  # emails compare case-insensitively


def test_a_removed_key_with_a_managed_entry_keeps_the_managed_one(tmp_path: Path) -> None:
    managed = '[[products]]\nsku = "B"\npsa_product = "NEW"\n\n[[removed.products]]\nsku = "B"\n'
    cfg = load_config(_write(tmp_path, HAND, managed), ENV).config
    assert [(p.sku, p.psa_product) for p in cfg.products] == [("A", "PA"), ("B", "NEW")]


def _problems(config: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(config, ENV)
    return info.value.problems


def test_a_problem_in_the_managed_file_cites_that_file_and_line(tmp_path: Path) -> None:
    managed = '# header\n\n[[products]]\nsku = "C"\npsa_product = "PC"\nunit_price = "-1"\n'
    (problem,) = _problems(_write(tmp_path, HAND, managed))
    assert problem.startswith(f"{tmp_path / 'mappings.toml'}:6: products[0].unit_price: ")


def test_problems_in_both_files_are_all_reported_each_at_its_line(tmp_path: Path) -> None:
    hand = HAND.replace('psa_product = "PB"', 'psa_product = "PB"\nsync = "maybe"')
    managed = '[[products]]\nsku = "A"\nsurprise = 1\n'
    problems = _problems(_write(tmp_path, hand, managed))
    assert problems == [
        f"{tmp_path / 'psabill.toml'}:20: products[1].sync: Input should be a valid boolean, "
        "unable to interpret input (got 'maybe')",
        f"{tmp_path / 'mappings.toml'}:3: products[0].surprise: unknown key (not part of the "
        "psabill schema)",
    ]


def test_a_duplicate_made_in_the_managed_file_is_reported_there(tmp_path: Path) -> None:
    managed = (
        '[[products]]\nsku = "C"\npsa_product = "X"\n\n[[products]]\nsku = "C"\npsa_product = "Y"\n'
    )
    (problem,) = _problems(_write(tmp_path, HAND, managed))
    assert problem == f"{tmp_path / 'mappings.toml'}:6: products[1].sku: SKU 'C' is mapped twice"


@pytest.mark.parametrize(
    ("managed", "line", "key", "message"),
    [
        ('[account]\nname = "x"\n', 1, "account", "not allowed in the managed mappings file"),
        ('products = "A"\n', 1, "products", "must be an array of tables"),
        ('[[removed.sources]]\nname = "x"\n', 1, "removed.sources", "unknown section"),
        ("[[removed.products]]\nsource = 'x'\n", 1, "removed.products[0]", "names no valid key"),
    ],
)
def test_the_managed_file_may_only_hold_mappings(
    tmp_path: Path, managed: str, line: int, key: str, message: str
) -> None:
    problems = _problems(_write(tmp_path, HAND, managed))
    assert any(
        p.startswith(f"{tmp_path / 'mappings.toml'}:{line}: {key}: {message}") for p in problems
    ), problems


def test_a_syntax_error_in_the_managed_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(_write(tmp_path, HAND, "[[products]\n"), ENV)
    assert info.value.message.startswith(f"{tmp_path / 'mappings.toml'}:1: TOML syntax")
    assert info.value.hint is not None
    assert "restore mappings.toml.bak" in info.value.hint


def test_mappings_file_names_another_file(tmp_path: Path) -> None:
    managed = '[[products]]\nsku = "Z"\npsa_product = "PZ"\n'
    (tmp_path / "edits").mkdir()
    config = _write(tmp_path, HAND, None)
    config.write_text('mappings_file = "edits/cli.toml"\n' + config.read_text())
    (tmp_path / "edits" / "cli.toml").write_text(managed)
    loaded = load_config(config, ENV)
    assert loaded.mappings_path == tmp_path / "edits" / "cli.toml"
    assert [p.sku for p in loaded.config.products] == ["A", "B", "Z"]


def test_mappings_file_cannot_be_the_config_itself(tmp_path: Path) -> None:
    config = _write(tmp_path, HAND, None)
    config.write_text('mappings_file = "psabill.toml"\n' + config.read_text())
    assert _problems(config) == [
        f"{config}:1: mappings_file: must name a file other than this one",
    ]


@pytest.mark.parametrize(
    ("section", "entry", "key"),
    [
        ("products", {"sku": "A"}, ("A", None)),
        ("products", {"sku": "A", "source": "s"}, ("A", "s")),
        ("customers", {"id": "7", "source": "s"}, ("7", "s")),
        ("billing_admins", {"email": "A@B.example"}, "a@b.example"),
        ("products", {"sku": 3}, None),
        ("products", "not a table", None),
        ("customers", {"id": "7", "source": 1}, None),
    ],
)
def test_entry_keys(section: str, entry: object, key: object) -> None:
    assert entry_key(section, entry) == key


def test_merge_tracks_where_each_entry_comes_from() -> None:
    hand = {"products": [{"sku": "A"}, {"sku": "B"}, {"sku": "C"}]}
    managed = {
        "products": [{"sku": "D"}, {"sku": "B", "sync": False}],
        "removed": {"products": [{"sku": "A"}]},
    }
    merged = merge(hand, managed)
    assert merged.raw["products"] == [{"sku": "B", "sync": False}, {"sku": "C"}, {"sku": "D"}]
    assert merged.locate(("products", 0, "sync")) == ("managed", ("products", 1, "sync"))
    assert merged.locate(("products", 1)) == ("config", ("products", 2))
    assert merged.locate(("products", 2, "sku")) == ("managed", ("products", 0, "sku"))
    assert merged.locate(("account", "name")) == ("config", ("account", "name"))
    assert hand == {"products": [{"sku": "A"}, {"sku": "B"}, {"sku": "C"}]}  # never mutated
