"""Any sequence of edits leaves a config that loads, and never drops a hand-written line."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from psabill.app.mappings import edits
from psabill.app.mappings.edits import Draft
from psabill.app.mappings.store import MappingStore
from psabill.config.loader import load_config
from psabill.errors import UsageError
from tests.app.mappings.conftest import HAND
from tests.conftest import ENV

SKUS = st.sampled_from(["CIXA", "LP-BUS", "NEW1"])
CUSTOMERS = st.sampled_from(["acme", "51234", "c3"])
EMAILS = st.sampled_from(["boss@northwind.example", "ann@x.example", "BOSS@northwind.example"])
SOURCES = st.sampled_from([None, "sophos", "ghost"])
MAYBE = st.sampled_from([None, True, False])
Op = tuple[str, str, Callable[[Draft], str]]


def _map_product(sku: str, psa: str, source: str | None) -> Op:
    return ("sku", sku, lambda d: edits.map_product(d, sku, psa, source=source, name=None))


def _unmap_product(sku: str, source: str | None) -> Op:
    return ("sku", sku, lambda d: edits.unmap_product(d, sku, source=source))


def _sync(sku: str, on: bool) -> Op:
    return ("sku", sku, lambda d: edits.set_product_sync(d, sku, on, source=None))


def _map_customer(ident: str, company: str, source: str | None) -> Op:
    return (
        "customer",
        ident,
        lambda d: edits.map_customer(d, ident, company, source=source, name="N"),
    )


def _unmap_customer(ident: str) -> Op:
    return ("customer", ident, lambda d: edits.unmap_customer(d, ident, source=None))


def _settings(ident: str, mode: str, schedule: Any, emails: Any) -> Op:
    return (
        "customer",
        ident,
        lambda d: edits.customer_settings(
            d, ident, mode, source=None, schedule=schedule, emails=emails
        ),
    )


def _assign(ident: str, product: str | None, kind: str) -> Op:
    return (
        "customer",
        ident,
        lambda d: edits.assign_contract(d, ident, product, kind, None, source=None),
    )


def _unassign(ident: str, product: str | None) -> Op:
    return ("customer", ident, lambda d: edits.unassign_contract(d, ident, product, source=None))


def _add_admin(email: str, view: bool, pay: bool) -> Op:
    return (
        "admin",
        email.casefold(),
        lambda d: edits.add_admin(d, email, name=None, view=view, pay=pay),
    )


def _edit_admin(email: str, view: bool | None, pay: bool | None) -> Op:
    return (
        "admin",
        email.casefold(),
        lambda d: edits.edit_admin(d, email, name="X", view=view, pay=pay),
    )


def _remove_admin(email: str) -> Op:
    return ("admin", email.casefold(), lambda d: edits.remove_admin(d, email))


OPS: st.SearchStrategy[Op] = st.one_of(
    st.builds(_map_product, SKUS, st.sampled_from(["P1", "P2"]), SOURCES),
    st.builds(_unmap_product, SKUS, SOURCES),
    st.builds(_sync, SKUS, st.booleans()),
    st.builds(_map_customer, CUSTOMERS, st.sampled_from(["C1", ""]), SOURCES),
    st.builds(_unmap_customer, CUSTOMERS),
    st.builds(
        _settings,
        CUSTOMERS,
        st.sampled_from(["global", "custom"]),
        st.sampled_from([None, {"mode": "daily"}, {"mode": "monthly"}]),
        st.sampled_from([None, ["x@y.example"], ["nope"]]),
    ),
    st.builds(
        _assign, CUSTOMERS, st.sampled_from([None, "CIXA", "NEW1"]), st.sampled_from(["MS", ""])
    ),
    st.builds(_unassign, CUSTOMERS, st.sampled_from([None, "CIXA"])),
    st.builds(_add_admin, EMAILS, st.booleans(), st.booleans()),
    st.builds(_edit_admin, EMAILS, MAYBE, MAYBE),
    st.builds(_remove_admin, EMAILS),
)


def _by_ident(cfg: Any) -> dict[tuple[str, str], Any]:
    found = {("sku", p.sku): p for p in cfg.products}
    found |= {("customer", c.id): c for c in cfg.customers}
    found |= {("admin", a.email.casefold()): a for a in cfg.billing_admins}
    return found


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(OPS, max_size=12))
def test_any_sequence_of_edits_keeps_a_loadable_config_and_the_hand_written_file(
    ops: list[Op],
) -> None:
    with tempfile.TemporaryDirectory() as name:
        config = Path(name) / "psabill.toml"
        config.write_text(HAND, encoding="utf-8")
        config.chmod(0o600)
        hand_bytes = config.read_bytes()
        original = _by_ident(load_config(config, ENV).config)
        managed = config.parent / "mappings.toml"
        touched: set[tuple[str, str]] = set()
        for kind, ident, operation in ops:
            before = managed.read_bytes() if managed.exists() else None
            try:
                with MappingStore(config, ENV).edit() as draft:
                    operation(draft)
            except UsageError:
                after = managed.read_bytes() if managed.exists() else None
                assert after == before, "a refused edit changed the managed file"
            else:
                touched.add((kind, ident))
            assert config.read_bytes() == hand_bytes
            current = _by_ident(load_config(config, ENV).config)
            for key, entry in original.items():
                if key not in touched:
                    assert current.get(key) == entry, f"hand-written {key} was lost or changed"
        assert set(HAND.splitlines()) <= set(config.read_text().splitlines())
