"""Every mapping command against every combination of hand-written and managed entries.

One SKU (one vendor customer id) may have an entry without a source (``--source any``) and one
for source ``sophos``; each slot is absent, hand-written in psabill.toml, written by the CLI in
mappings.toml, hand-written and overridden by the CLI, or hand-written and hidden under
``[[removed.*]]``. Every command runs with no ``--source``, ``--source any`` and
``--source sophos`` through the CLI (``map`` verified against the sandbox PSA), and the files'
resulting entries are compared with the table below: the entry the command names changes,
nothing else does, psabill.toml is never rewritten, and a refusal leaves mappings.toml
byte-identical.
"""

from __future__ import annotations

import itertools
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from psabill.app.mappings.store import render
from psabill.cli import main
from psabill.config.loader import load_config
from psabill.sandbox import DEMO_CREDENTIALS, Sandbox, Store, seed_demo

Entry = dict[str, Any]
SLOTS = ("any", "sophos")
STATES = ("absent", "hand", "managed", "overridden", "hidden")
FLAGS = (None, "any", "sophos")


@dataclass(frozen=True)
class Section:
    name: str  # products | customers
    ident: str  # sku | id
    value: str  # the SKU or vendor id
    field: str  # psa_product | psa_company
    hand: dict[str, Entry]
    managed: dict[str, Entry]
    target: str  # what map maps to (exists in the sandbox)


PRODUCTS = Section(
    "products",
    "sku",
    "CIXA",
    "psa_product",
    hand={
        "any": {"sku": "CIXA", "psa_product": "HAND-ANY"},
        "sophos": {"sku": "CIXA", "source": "sophos", "psa_product": "HAND-SOPHOS", "sync": False},
    },
    managed={
        "any": {"sku": "CIXA", "psa_product": "MANAGED-ANY", "sync": False},
        "sophos": {"sku": "CIXA", "source": "sophos", "psa_product": "MANAGED-SOPHOS"},
    },
    target="SOPHOS-IX-XDR",
)
CUSTOMERS = Section(
    "customers",
    "id",
    "acme",
    "psa_company",
    hand={
        "any": {"id": "acme", "psa_company": "Contoso"},
        "sophos": {"id": "acme", "source": "sophos", "psa_company": "AcmeDental"},
    },
    managed={
        "any": {"id": "acme", "psa_company": "Northwind"},
        "sophos": {"id": "acme", "source": "sophos", "psa_company": "BlueHarbor"},
    },
    target="MuellerSoehne",
)
OTHER = {  # the one fixed entry of the other section
    "products": '[[customers]]\nid = "acme"\nsource = "sophos"\npsa_company = "AcmeDental"\n',
    "customers": '[[products]]\nsku = "CIXA"\nsource = "sophos"\npsa_product = "SOPHOS-IX-ADV"\n',
}


@dataclass
class Files:
    """The two files' entries of one section, by slot, and the hidden hand-written slots."""

    hand: dict[str, Entry] = field(default_factory=dict)
    managed: dict[str, Entry] = field(default_factory=dict)
    removed: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, section: Section, states: tuple[str, str]) -> Files:
        files = cls()
        for slot, state in zip(SLOTS, states, strict=True):
            if state in ("hand", "overridden", "hidden"):
                files.hand[slot] = dict(section.hand[slot])
            if state in ("managed", "overridden"):
                files.managed[slot] = dict(section.managed[slot])
            if state == "hidden":
                files.removed.add(slot)
        return files

    def effective(self, slot: str) -> Entry | None:
        if slot in self.managed:
            return self.managed[slot]
        return None if slot in self.removed else self.hand.get(slot)


def expected(section: Section, before: Files, command: str, flag: str | None) -> Files | None:
    """The files after ``command``, or None when it must be refused (exit 2)."""
    present = [slot for slot in SLOTS if before.effective(slot)]
    if flag is not None:
        slot = flag
    elif len(present) > 1:
        return None  # two entries: the user must name one
    elif present:
        slot = present[0]
    elif command == "map":
        slot = "any"  # a new mapping without --source has no source
    else:
        return None
    entry = before.effective(slot)
    after = Files(dict(before.hand), dict(before.managed), set(before.removed))
    if command == "map":
        key = {section.ident: section.value} | ({"source": slot} if slot != "any" else {})
        return _write(after, slot, (entry or key) | {section.field: section.target})
    if entry is None:
        return None
    if command == "unmap" and section.name == "customers":
        return _drop(after, slot)
    if command == "unmap":
        rest = {k: v for k, v in entry.items() if k != section.field}
        generic = before.effective("any")
        shadows = slot == "sophos" and generic is not None and section.field in generic
        return (
            _drop(after, slot)
            if set(rest) <= {"sku", "source"} and not shadows
            else (_write(after, slot, rest))
        )
    wanted = command == "enable"
    if entry.get("sync", True) == wanted:
        return after  # already so: nothing is written
    return _write(after, slot, entry | {"sync": wanted})


def _write(files: Files, slot: str, entry: Entry) -> Files:
    files.managed[slot] = entry
    files.removed.discard(slot)
    return files


def _drop(files: Files, slot: str) -> Files:
    files.managed.pop(slot, None)
    if slot in files.hand:
        files.removed.add(slot)
    return files


# -- running it -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    store = Store()
    seed_demo(store)
    with Sandbox(store) as sandbox:
        yield sandbox.site_url


def _config(site: str, section: Section, files: Files) -> str:
    creds = DEMO_CREDENTIALS
    head = f"""\
[account]
name = "Northwind MSP"
timezone = "America/New_York"

[psa]
site = "{site}"
company = "{creds.company}"
public_key = "{creds.public_key}"
private_key = "{creds.private_key}"
client_id = "{creds.client_id}"

[[sources]]
name = "sophos"
kind = "csv"
path = "usage.csv"
customer_field = "Customer"
sku_field = "SKU"
quantity_field = "Seats"

[[sources]]
name = "lastpass"
kind = "csv"
path = "usage.csv"
customer_field = "Customer"
sku_field = "SKU"
quantity_field = "Seats"

{OTHER[section.name]}
"""
    tables = [f"[[{section.name}]]\n" + _toml(files.hand[slot]) for slot in files.hand]
    return head + "\n".join(tables)


def _toml(entry: Entry) -> str:
    return "".join(
        f"{k} = {str(v).lower() if isinstance(v, bool) else repr(v)}\n" for k, v in entry.items()
    ).replace("'", '"')


def _managed_text(section: Section, files: Files) -> str | None:
    data: dict[str, Any] = {section.name: list(files.managed.values())}
    removed = [
        {section.ident: section.value} | ({"source": s} if s != "any" else {})
        for s in files.removed
    ]
    if removed:
        data["removed"] = {section.name: removed}
    return render(data) if files.managed or removed else None


def _read_back(section: Section, directory: Path) -> Files:
    """The files' entries of ``section`` for this SKU/id, by slot, as they are on disk."""
    hand = tomllib.loads((directory / "psabill.toml").read_text())
    path = directory / "mappings.toml"
    managed = tomllib.loads(path.read_text()) if path.exists() else {}

    def by_slot(entries: list[Entry]) -> dict[str, Entry]:
        mine = [e for e in entries if e.get(section.ident) == section.value]
        slots = {e.get("source", "any"): e for e in mine}
        assert len(slots) == len(mine), f"two entries for one key: {mine}"
        return slots

    removed = by_slot(managed.get("removed", {}).get(section.name, []))
    return Files(
        by_slot(hand.get(section.name, [])), by_slot(managed.get(section.name, [])), set(removed)
    )


def _contents(directory: Path) -> dict[str, bytes]:
    """Every file but the edit lock (an empty file an edit leaves behind)."""
    return {p.name: p.read_bytes() for p in directory.iterdir() if p.name != ".mappings.toml.lock"}


def _walk(
    site: str, tmp_path: Path, section: Section, states: tuple[str, str], command: str
) -> None:
    for flag in FLAGS:
        directory = tmp_path / f"flag-{flag}"
        directory.mkdir()
        before = Files.of(section, states)
        config = directory / "psabill.toml"
        config.write_text(_config(site, section, before))
        config.chmod(0o600)
        (directory / "usage.csv").write_text("Customer,SKU,Seats\nacme,CIXA,5\n")
        text = _managed_text(section, before)
        if text is not None:
            (directory / "mappings.toml").write_text(text)
        load_config(config, {})  # the starting point is a valid configuration
        files_before = _contents(directory)
        args = [command, section.value]
        args += [section.target] if command == "map" else []
        args += ["--source", flag] if flag else []
        argv = ["--config", str(config), "--state-dir", str(directory / "state")]
        result = CliRunner().invoke(main, [*argv, section.name, *args])
        want = expected(section, before, command, flag)
        case = f"{section.name} {' '.join(args)} with {states}: {result.output}"
        if want is None:
            assert result.exit_code == 2, case
            assert _contents(directory) == files_before, case
            continue
        assert result.exit_code == 0, case
        assert config.read_bytes() == files_before["psabill.toml"], case
        got = _read_back(section, directory)
        assert (got.hand, got.managed, got.removed) == (want.hand, want.managed, want.removed), case
        load_config(config, {})  # and the result loads


COMBINATIONS = list(itertools.product(STATES, STATES))


@pytest.mark.parametrize("command", ["map", "unmap", "enable", "disable"])
@pytest.mark.parametrize("states", COMBINATIONS, ids="-".join)
def test_products(site: str, tmp_path: Path, states: tuple[str, str], command: str) -> None:
    _walk(site, tmp_path, PRODUCTS, states, command)


@pytest.mark.parametrize("command", ["map", "unmap"])
@pytest.mark.parametrize("states", COMBINATIONS, ids="-".join)
def test_customers(site: str, tmp_path: Path, states: tuple[str, str], command: str) -> None:
    _walk(site, tmp_path, CUSTOMERS, states, command)


def test_the_table_refuses_and_changes_what_the_issue_names() -> None:
    """The table itself, on the issue's case: mapped without a source and for one source."""
    both = Files.of(PRODUCTS, ("hand", "managed"))
    assert expected(PRODUCTS, both, "unmap", None) is None
    after = expected(PRODUCTS, both, "unmap", "any")
    assert after is not None
    assert (after.managed, after.removed) == ({"sophos": PRODUCTS.managed["sophos"]}, {"any"})
    only_scoped = Files.of(PRODUCTS, ("absent", "hand"))
    assert expected(PRODUCTS, only_scoped, "disable", "any") is None  # never a second entry
