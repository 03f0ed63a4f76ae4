"""Edits of a draft: overrides copy whole entries, removals are recorded, refusals say why."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

from psabill.app.mappings import edits
from psabill.app.mappings.edits import Draft
from psabill.config.merge import merge
from psabill.errors import UsageError
from tests.app.mappings.conftest import HAND


def _draft() -> Draft:
    return Draft(config=tomllib.loads(HAND), managed={})


def _merged(draft: Draft, section: str) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = merge(draft.config, draft.managed).raw[section]
    return result


def test_mapping_a_hand_written_product_copies_it_whole() -> None:
    draft = _draft()
    message = edits.map_product(draft, "CIXA", "SOPHOS-IX-XDR", source=None, name=None)
    assert message == "CIXA (sophos) now bills as PSA product 'SOPHOS-IX-XDR'"
    assert draft.managed["products"] == [
        {
            "sku": "CIXA",
            "source": "sophos",
            "name": "Intercept X",
            "psa_product": "SOPHOS-IX-XDR",
            "unit_price": "4.50",
        }
    ]
    assert draft.config == tomllib.loads(HAND)  # the hand-written data is never changed


def test_a_renamed_vendor_product_keeps_its_mapping() -> None:
    draft = _draft()
    edits.map_product(draft, "CIXA", "SOPHOS-IX-ADV", source="sophos", name="Intercept X v2")
    (entry,) = [e for e in _merged(draft, "products") if e["sku"] == "CIXA"]
    assert (entry["name"], entry["psa_product"]) == ("Intercept X v2", "SOPHOS-IX-ADV")
    assert len(_merged(draft, "products")) == 2


def test_a_new_product_is_appended_with_its_source() -> None:
    draft = _draft()
    edits.map_product(draft, "XDR", "SOPHOS-IX-XDR", source="sophos", name=None)
    assert _merged(draft, "products")[-1] == {
        "sku": "XDR",
        "source": "sophos",
        "psa_product": "SOPHOS-IX-XDR",
    }


def test_unmap_removes_an_entry_left_with_nothing_but_its_key() -> None:
    draft = _draft()
    assert edits.unmap_product(draft, "LP-BUS", source=None) == (
        "LP-BUS is unmapped (entry removed): its usage is listed, never billed"
    )
    assert [e["sku"] for e in _merged(draft, "products")] == ["CIXA"]
    assert draft.managed["removed"] == {"products": [{"sku": "LP-BUS"}]}
    with pytest.raises(UsageError, match="SKU 'LP-BUS' is not in the configuration"):
        edits.unmap_product(draft, "LP-BUS", source=None)


def test_unmap_keeps_an_entry_that_says_more_without_its_psa_product() -> None:
    draft = _draft()
    assert edits.unmap_product(draft, "CIXA", source=None) == (
        "CIXA (sophos) is unmapped: its usage is listed, never billed"
    )
    (entry,) = [e for e in _merged(draft, "products") if e["sku"] == "CIXA"]
    assert "psa_product" not in entry
    assert entry["name"] == "Intercept X"
    assert "was not mapped" in edits.unmap_product(draft, "CIXA", source=None)


def test_unmap_keeps_a_scoped_entry_that_shadows_a_mapping_without_source() -> None:
    draft = _draft()
    edits.map_product(draft, "LP-BUS", "LASTPASS-ENT", source="sophos", name=None)
    edits.unmap_product(draft, "LP-BUS", source="sophos")
    entries = [e for e in _merged(draft, "products") if e["sku"] == "LP-BUS"]
    # Removed, the entry without a source would bill sophos's LP-BUS usage: unmap means not billed.
    assert entries == [
        {"sku": "LP-BUS", "psa_product": "LASTPASS-BUS"},
        {"sku": "LP-BUS", "source": "sophos"},
    ]


def test_enable_and_disable() -> None:
    draft = _draft()
    edits.set_product_sync(draft, "CIXA", False, source=None)
    assert _merged(draft, "products")[0]["sync"] is False
    edits.set_product_sync(draft, "CIXA", True, source=None)
    assert _merged(draft, "products")[0]["sync"] is True
    assert len(draft.managed["products"]) == 1


def test_an_unknown_sku_is_refused_where_nothing_can_be_done() -> None:
    with pytest.raises(UsageError, match="SKU 'NOPE' is not in the configuration"):
        edits.unmap_product(_draft(), "NOPE", source=None)


def test_a_sku_configured_for_two_sources_needs_source() -> None:
    draft = _draft()
    edits.map_product(draft, "CIXA", "OTHER", source="trend", name=None)
    with pytest.raises(UsageError) as info:
        edits.set_product_sync(draft, "CIXA", False, source=None)
    assert info.value.message == (
        "SKU 'CIXA' has 2 entries: name one with --source sophos or --source trend"
    )
    edits.set_product_sync(draft, "CIXA", False, source="trend")
    assert [e.get("sync", True) for e in _merged(draft, "products")] == [True, True, False]


def test_source_any_names_the_entry_without_a_source() -> None:
    draft = _draft()
    edits.map_product(draft, "LP-BUS", "LASTPASS-ENT", source="sophos", name=None)
    with pytest.raises(UsageError, match="name one with --source any or --source sophos"):
        edits.unmap_product(draft, "LP-BUS", source=None)
    edits.unmap_product(draft, "LP-BUS", source="any")
    assert [e for e in _merged(draft, "products") if e["sku"] == "LP-BUS"] == [
        {"sku": "LP-BUS", "source": "sophos", "psa_product": "LASTPASS-ENT"}
    ]
    with pytest.raises(
        UsageError,
        match="SKU 'LP-BUS' has no entry for --source any; name one with --source sophos",
    ):
        edits.set_product_sync(draft, "LP-BUS", False, source="any")
    edits.map_product(draft, "LP-BUS", "LASTPASS-BUS", source="any", name=None)
    assert {
        e.get("source"): e["psa_product"]
        for e in _merged(draft, "products")
        if e["sku"] == "LP-BUS"
    } == {
        "sophos": "LASTPASS-ENT",
        None: "LASTPASS-BUS",
    }


def test_enable_and_disable_never_add_an_entry() -> None:
    draft = _draft()
    with pytest.raises(UsageError, match="SKU 'CIXA' has no entry for --source lastpass"):
        edits.set_product_sync(draft, "CIXA", False, source="lastpass")
    with pytest.raises(
        UsageError, match=r"SKU 'CIXAA' is not in the configuration; did you mean CIXA\?"
    ):
        edits.set_product_sync(draft, "CIXAA", False, source=None)
    assert "already; nothing changed" in edits.set_product_sync(draft, "CIXA", True, source=None)
    assert draft.managed == {}


def test_a_customer_unmapped_for_one_source_may_still_bill_through_the_generic_entry() -> None:
    draft = _draft()
    edits.map_customer(draft, "acme", "Contoso", source="any", name=None)
    with pytest.raises(
        UsageError,
        match="customer 'acme' has 2 entries: name one with --source any or --source sophos",
    ):
        edits.unmap_customer(draft, "acme", source=None)
    assert edits.unmap_customer(draft, "acme", source="sophos") == (
        "customer acme (sophos) is unmapped: its usage now bills to PSA company 'Contoso' "
        "through the entry without a source"
    )


def test_unmapping_a_hand_written_customer_records_its_removal() -> None:
    draft = _draft()
    edits.unmap_customer(draft, "sophos:acme", source=None)
    assert draft.managed["removed"] == {"customers": [{"id": "acme", "source": "sophos"}]}
    assert [c["id"] for c in _merged(draft, "customers")] == ["51234"]
    edits.map_customer(draft, "acme", "Contoso", source="sophos", name=None)
    assert draft.managed["removed"] == {"customers": []}
    # Mapped again: the managed entry takes the hand-written one's place, as any override does.
    customers = _merged(draft, "customers")
    assert [(c["id"], c["psa_company"]) for c in customers] == [
        ("acme", "Contoso"),
        ("51234", "MuellerSoehne"),
    ]


def test_unmapping_a_managed_customer_just_drops_it() -> None:
    draft = _draft()
    edits.map_customer(draft, "new", "Contoso", source=None, name="New")
    edits.unmap_customer(draft, "new", source=None)
    assert draft.managed == {"customers": []}


def test_global_settings_drop_the_custom_ones_and_say_which() -> None:
    draft = _draft()
    message = edits.customer_settings(draft, "51234", "global", source=None)
    assert message == "customer 51234 uses the global settings; dropped its own emails, contract"
    entry = _merged(draft, "customers")[1]
    assert entry == {"id": "51234", "psa_company": "MuellerSoehne", "settings": "global"}


def test_custom_settings_take_a_schedule_and_emails() -> None:
    draft = _draft()
    schedule = edits.parse_schedule("monthly day=31 hour=7")
    edits.customer_settings(
        draft, "acme", "custom", source=None, schedule=schedule, emails=["a@acme.example"]
    )
    entry = _merged(draft, "customers")[0]
    assert entry["settings"] == "custom"
    assert entry["schedule"] == {"mode": "monthly", "day": 31, "hour": 7}
    assert entry["emails"] == ["a@acme.example"]


def test_schedule_and_emails_are_refused_with_global() -> None:
    with pytest.raises(UsageError, match="need custom settings"):
        edits.customer_settings(_draft(), "acme", "global", source=None, emails=["a@x.example"])


@pytest.mark.parametrize(
    ("spec", "table"),
    [
        ("monthly day=1", {"mode": "monthly", "day": 1}),
        ("weekly weekday=monday hour=6", {"mode": "weekly", "weekday": "monday", "hour": 6}),
        ("daily hour=06:00 enabled=false", {"mode": "daily", "hour": "06:00", "enabled": False}),
        ("cron 0 6 * * 1-5", {"mode": "cron", "cron": "0 6 * * 1-5"}),
        ("daily catch_up=3d", {"mode": "daily", "catch_up": "3d"}),
    ],
)
def test_parse_schedule(spec: str, table: dict[str, Any]) -> None:
    assert edits.parse_schedule(spec) == table


@pytest.mark.parametrize("spec", ["yearly day=1", "monthly day", "monthly zone=UTC", ""])
def test_parse_schedule_refuses(spec: str) -> None:
    with pytest.raises(UsageError):
        edits.parse_schedule(spec)


def test_assign_a_default_and_a_product_contract() -> None:
    draft = _draft()
    message = edits.assign_contract(draft, "acme", None, "Managed Services", None, source=None)
    assert message == (
        'acme (sophos) default: agreement type "Managed Services" '
        "(now on custom settings; its schedule stays the global one)"
    )
    edits.assign_contract(draft, "acme", "CIXA", "Security Services", "Sec", source=None)
    edits.assign_contract(draft, "acme", "CIXA", "Security Services", "Sec 2", source=None)
    entry = _merged(draft, "customers")[0]
    assert entry["settings"] == "custom"
    assert entry["contract"] == {"agreement_type": "Managed Services"}
    assert entry["contracts"] == [
        {"product": "CIXA", "agreement_type": "Security Services", "agreement_name": "Sec 2"}
    ]


def test_unassign() -> None:
    draft = _draft()
    edits.unassign_contract(draft, "51234", None, source=None)
    assert "contract" not in _merged(draft, "customers")[1]
    with pytest.raises(UsageError, match="has no default contract"):
        edits.unassign_contract(draft, "51234", None, source=None)
    with pytest.raises(UsageError, match="has no contract for CIXA"):
        edits.unassign_contract(draft, "51234", "CIXA", source=None)


def test_admins_add_edit_remove() -> None:
    draft = _draft()
    assert edits.add_admin(draft, "ann@x.example", name="Ann", view=True, pay=False) == (
        "ann@x.example is a billing admin (view)"
    )
    assert edits.edit_admin(draft, "ANN@x.example", name=None, view=None, pay=True) == (
        "ann@x.example: view and pay"
    )
    edits.remove_admin(draft, "boss@northwind.example")
    assert [a["email"] for a in _merged(draft, "billing_admins")] == ["ann@x.example"]
    assert draft.managed["removed"] == {"billing_admins": [{"email": "boss@northwind.example"}]}


BOSS = "boss@northwind.example"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda d: edits.add_admin(d, "x@x.example", name=None, view=False, pay=True), "requires"),
        (lambda d: edits.edit_admin(d, BOSS, name=None, view=False, pay=None), "pay requires view"),
        (lambda d: edits.add_admin(d, BOSS.upper(), name=None, view=True, pay=False), "already"),
        (lambda d: edits.edit_admin(d, "no@x.example", name=None, view=True, pay=None), "not in"),
        (lambda d: edits.remove_admin(d, "no@x.example"), "not in the"),
    ],
)  # fmt: skip
def test_admin_refusals(call: Any, message: str) -> None:
    draft = _draft()
    with pytest.raises(UsageError, match=message):
        call(draft)
    assert draft.managed == {}


def test_a_new_customer_named_by_its_key_gets_its_source() -> None:
    draft = _draft()
    edits.map_customer(draft, "sophos:newco", "Contoso", source=None, name=None)
    assert draft.managed["customers"] == [
        {"id": "newco", "source": "sophos", "psa_company": "Contoso"}
    ]
