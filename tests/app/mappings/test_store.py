"""The managed file on disk: checked first, atomic, mode kept, .bak, psabill.toml untouched."""

from __future__ import annotations

import os
import threading
import tomllib
from pathlib import Path

import pytest

from psabill.app.mappings import edits
from psabill.app.mappings.store import HEADER, MappingStore, render, write_atomically
from psabill.config.loader import load_config
from psabill.errors import EditRefused
from tests.conftest import ENV


def _state(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


def test_first_edit_creates_the_managed_file_0600_with_its_header(hand_config: Path) -> None:
    before = hand_config.read_bytes()
    stat_before = hand_config.stat()
    store = MappingStore(hand_config, ENV)
    with store.edit() as draft:
        edits.map_product(draft, "NEW", "PSA-NEW", source=None, name=None)
    path = hand_config.parent / "mappings.toml"
    assert store.saved is not None
    assert (store.saved.path, store.saved.changed, store.saved.backup) == (path, True, None)
    assert path.read_text().startswith(HEADER)
    assert path.stat().st_mode & 0o777 == 0o600
    assert hand_config.read_bytes() == before
    assert hand_config.stat().st_mtime_ns == stat_before.st_mtime_ns
    assert [p.sku for p in load_config(hand_config, ENV).config.products][-1] == "NEW"


def test_a_later_edit_keeps_the_mode_and_the_previous_version_as_bak(hand_config: Path) -> None:
    store = MappingStore(hand_config, ENV)
    with store.edit() as draft:
        edits.map_product(draft, "NEW", "PSA-NEW", source=None, name=None)
    path = hand_config.parent / "mappings.toml"
    path.chmod(0o640)
    first = path.read_bytes()
    with store.edit() as draft:
        edits.set_product_sync(draft, "NEW", False, source=None)
    assert path.stat().st_mode & 0o777 == 0o640
    backup = hand_config.parent / "mappings.toml.bak"
    assert backup.read_bytes() == first
    assert backup.stat().st_mode & 0o777 == 0o640
    assert store.saved is not None
    assert store.saved.backup == backup
    assert not [p for p in hand_config.parent.iterdir() if ".tmp" in p.name]


def test_an_edit_that_changes_nothing_writes_nothing(hand_config: Path) -> None:
    store = MappingStore(hand_config, ENV)
    with store.edit() as draft:
        edits.map_product(draft, "NEW", "PSA-NEW", source=None, name=None)
    before = _state(hand_config.parent)
    with store.edit() as draft:
        edits.map_product(draft, "NEW", "PSA-NEW", source=None, name=None)
    assert store.saved is not None
    assert not store.saved.changed
    assert _state(hand_config.parent) == before


def test_an_edit_that_changes_nothing_creates_no_file(hand_config: Path) -> None:
    store = MappingStore(hand_config, ENV)
    with store.edit():
        pass
    assert store.saved is not None
    assert not store.saved.changed
    assert not (hand_config.parent / "mappings.toml").exists()


def test_a_no_op_keeps_a_hand_tidied_managed_file_as_it_is(hand_config: Path) -> None:
    path = hand_config.parent / "mappings.toml"
    path.write_text('# my note\n[[products]]\nsku = "NEW"\npsa_product = "P"\n')
    with MappingStore(hand_config, ENV).edit() as draft:
        edits.map_product(draft, "NEW", "P", source=None, name=None)
    assert path.read_text().startswith("# my note\n")


def test_an_invalid_edit_changes_nothing_and_names_the_problem(hand_config: Path) -> None:
    store = MappingStore(hand_config, ENV)
    with store.edit() as draft:
        edits.map_product(draft, "NEW", "PSA-NEW", source=None, name=None)
    before = _state(hand_config.parent)
    with pytest.raises(EditRefused) as info, store.edit() as draft:
        edits.map_product(draft, "X", "PSA-X", source="nowhere", name=None)
    assert "nothing was written" in info.value.message
    assert "mappings.toml:" in info.value.message
    assert "no [[sources]] entry is named 'nowhere'" in info.value.message
    assert info.value.exit_code == 2
    assert _state(hand_config.parent) == before


def test_an_exception_inside_the_edit_writes_nothing(hand_config: Path) -> None:
    store = MappingStore(hand_config, ENV)
    before = _state(hand_config.parent)

    def failing() -> None:
        with store.edit() as draft:
            edits.map_product(draft, "NEW", "PSA-NEW", source=None, name=None)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        failing()
    after = _state(hand_config.parent)
    assert {k: v for k, v in after.items() if not k.endswith(".lock")} == before


def test_check_only_writes_nothing(hand_config: Path) -> None:
    store = MappingStore(hand_config, ENV)
    with store.edit(write=False) as draft:
        edits.map_product(draft, "NEW", "PSA-NEW", source=None, name=None)
    assert not (hand_config.parent / "mappings.toml").exists()


def test_concurrent_edits_both_land(hand_config: Path) -> None:
    def add(sku: str) -> None:
        with MappingStore(hand_config, ENV).edit() as draft:
            edits.map_product(draft, sku, f"PSA-{sku}", source=None, name=None)

    threads = [threading.Thread(target=add, args=(f"SKU{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    skus = {p.sku for p in load_config(hand_config, ENV).config.products}
    assert {f"SKU{i}" for i in range(6)} <= skus


def test_render_writes_tables_that_parse_back() -> None:
    managed = {
        "customers": [
            {
                "id": "51234",
                "psa_company": 'Müller "&" Söhne',
                "schedule": {"mode": "monthly", "day": 31},
                "emails": ["a@x.example", "b@x.example"],
                "contracts": [{"product": "A", "agreement_type": "T"}],
            }
        ],
        "removed": {"billing_admins": [{"email": "a@x.example"}]},
    }
    text = render(managed)
    assert "[[customers]]\n" in text
    assert "[customers.schedule]\n" in text
    assert "[[customers.contracts]]\n" in text
    assert "[[removed.billing_admins]]\n" in text
    assert tomllib.loads(text) == managed


def test_write_atomically_survives_a_failed_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "mappings.toml"
    path.write_text("old\n")

    def broken(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(Exception, match="No space left"):
        write_atomically(path, "new\n")
    assert path.read_text() == "old\n"
    assert not [p for p in tmp_path.iterdir() if ".tmp" in p.name]
