"""The indexes planning builds once: the same answers as the lookups they replace, per case."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from psabill.config.models import Product
from psabill.core.contracts import choose_agreement, contract_for
from psabill.core.due import evaluate_targets, targets
from psabill.core.entities import Addition, Agreement, CatalogItem
from psabill.core.mapping import MappingIndex, find_customer, find_product, products_for
from psabill.core.plan import Snapshot
from psabill.core.plan_lookups import LiveAdditions, Lookups
from psabill.core.schedule.engine import Completed
from tests.core.test_mapping import ANY, FROM_S, FROM_T, config

TODAY = date(2026, 12, 1)

MAPPINGS = config(
    [
        {"sku": "A"},
        {"sku": "A", "source": "t", "psa_product": "CAT-T"},
        {"sku": "B", "source": "t", "psa_product": "CAT-B"},
        {"sku": "C", "psa_product": "CAT-C", "sync": False},
        {"sku": "D", "psa_product": "CAT-D"},
        {"sku": "D", "source": "s", "psa_product": "CAT-DS"},
    ],
    [
        {"id": "c1", "psa_company": "ANY"},
        {"id": "c1", "source": "t", "psa_company": "T"},
        {"id": "c2", "source": "s", "psa_company": "S"},
    ],
)


@pytest.mark.parametrize("source", ["s", "t", "u"])
@pytest.mark.parametrize("key", ["A", "B", "C", "D", "c1", "c2", "none"])
def test_the_mapping_index_answers_as_the_scans_do(source: str, key: str) -> None:
    index = MappingIndex(MAPPINGS)
    for _ in range(2):  # the remembered answer too
        assert index.product(source, key) == find_product(MAPPINGS, source, key)
        assert index.customer(source, key) == find_customer(MAPPINGS, source, key)


@pytest.mark.parametrize(
    ("candidates", "source", "expected"),
    [
        ([ANY, FROM_S], "s", FROM_S),
        ([FROM_S, ANY], "s", FROM_S),
        ([FROM_T], "s", None),
        ([FROM_T, ANY], "s", ANY),
        ([FROM_S, FROM_T], None, FROM_T),
    ],
)
def test_the_index_applies_the_one_precedence_rule(
    candidates: list[Product], source: str | None, expected: Product | None
) -> None:
    cfg = config([p.model_dump() for p in candidates], [])
    found = MappingIndex(cfg).products_for(
        MAPPINGS.customers[0].model_copy(update={"source": source})
    )
    assert [(p.sku, p.source) for p in found] == (
        [(expected.sku, expected.source)] if expected else []
    )


def test_products_for_a_customer_are_found_once_per_source() -> None:
    index = MappingIndex(MAPPINGS)
    for customer in MAPPINGS.customers:
        assert list(index.products_for(customer)) == products_for(MAPPINGS, customer)
    first, again = MAPPINGS.customers[0], MAPPINGS.customers[0].model_copy(update={"id": "x"})
    assert index.products_for(first) is index.products_for(again)  # an immutable tuple, shared


def addition(aid: int, identifier: str, **kw: object) -> Addition:
    return Addition(aid, 10, 1, identifier, Decimal(1), **kw)  # type: ignore[arg-type]


GONE = addition(3, "CAT-A", cancelled_date=TODAY)
ADDITIONS = (
    addition(1, "CAT-A"),
    addition(2, "cat-a"),
    GONE,
    addition(4, "CAT-OLD"),
    addition(5, "CAT-B", status="Cancelled"),
)


@pytest.mark.parametrize(
    ("known", "identifier", "drifted", "mine"),
    [
        (None, "CAT-A", None, (1, 2)),  # case does not matter; cancelled ones do not count
        (None, "CAT-B", None, ()),  # cancelled by status
        (4, "CAT-A", 4, (1, 2)),  # psabill's addition now bills another product
        (1, "Cat-A", None, (1, 2)),  # it still bills this one
        (3, "CAT-X", None, ()),  # a cancelled addition never drifts
        (99, "CAT-X", None, ()),
    ],
)
def test_live_additions_match_a_line(
    known: int | None, identifier: str, drifted: int | None, mine: tuple[int, ...]
) -> None:
    found = LiveAdditions.of(ADDITIONS, TODAY).match(known, identifier)
    assert (found.drifted.id if found.drifted else None) == drifted
    assert tuple(a.id for a in found.mine) == mine


def snapshot(catalog: dict[str, CatalogItem]) -> Snapshot:
    managed = Agreement(10, "MSA", "Managed", 1, "ACME", cancelled=False)
    other = Agreement(11, "Old", "Other", 1, "ACME", cancelled=False)
    return Snapshot(
        companies={},
        agreements={1: (managed, other)},
        additions={10: ADDITIONS, 11: (addition(6, "PSABILL-Q"),)},
        catalog=catalog,
    )


def test_a_company_bills_the_skus_whose_product_or_repair_an_addition_names() -> None:
    products = [
        Product(sku="A", psa_product="cat-a"),
        Product(sku="B", psa_product="CAT-B"),  # only a cancelled addition: still named
        Product(sku="Q", psa_product="CAT-Q"),  # its repair item bills on the other agreement
        Product(sku="Z", psa_product="CAT-Z"),
    ]
    lookups = Lookups(snapshot({}), TODAY, products)
    assert lookups.skus_billed(1) == ("A", "B", "Q")  # each once, in the agreements' order
    assert lookups.skus_billed(2) == ()


def test_repairs_are_recorded_on_every_lookup_so_the_last_product_of_a_sku_wins() -> None:
    generic = Product(
        sku="A", psa_product="GONE", unit_price=Decimal(1), on_psa_product_missing="create_default"
    )
    scoped = generic.model_copy(update={"source": "s", "description": "scoped"})
    paused = Product(sku="B", psa_product="GONE")
    fine = Product(sku="C", psa_product="CAT-C")
    lookups = Lookups(
        snapshot({"cat-c": CatalogItem(1, "CAT-C", "C")}), TODAY, [generic, scoped, paused, fine]
    )
    assert lookups.catalog_item(generic)[1] is None
    assert lookups.catalog_item(scoped)[0].description == "scoped"
    assert lookups.catalog_item(generic)[0].description == "A"
    assert (
        lookups.catalog_item(paused)[1] == "PSA product 'GONE' is not in the PSA catalog (paused)"
    )
    assert [(r.sku, r.description) for r in lookups.repairs.values()] == [("A", "A")]
    lookups.skipped(scoped)  # a product whose line is not looked at is repaired all the same
    lookups.skipped(fine)
    lookups.skipped(paused)
    assert [(r.sku, r.description) for r in lookups.repairs.values()] == [("A", "scoped")]


def test_the_agreement_choice_is_the_contracts_own() -> None:
    cfg = config([], [{"id": "c1", "psa_company": "ACME"}])
    cfg = cfg.model_copy(update={"sync": cfg.sync.model_copy(update={"agreement_type": "Other"})})
    snap = snapshot({})
    lookups = Lookups(snap, TODAY, [])
    contract = contract_for(cfg, cfg.customers[0], "A")
    assert contract is contract_for(cfg, cfg.customers[0], "B")  # one value per type
    expected = choose_agreement(contract, snap.agreements[1], on=TODAY)
    assert lookups.agreement(1, contract) == expected
    assert lookups.agreement(1, contract) is lookups.agreement(1, contract)
    assert lookups.agreement(1, None) == choose_agreement(None, snap.agreements[1], on=TODAY)


NAMED = config(
    [],
    [
        {"id": "c1", "name": "Acme", "psa_company": "A"},
        {"id": "c2", "name": "Acme", "source": "s", "psa_company": "A"},
        {"id": "c3", "psa_company": "B"},
        {"id": "c4", "name": "c3", "psa_company": "B", "sync": False},
    ],
)


def test_target_labels_tell_apart_customers_that_share_a_name() -> None:
    assert [(t.key, t.label) for t in targets(NAMED)] == [
        ("c1", "Acme (c1)"),
        ("s:c2", "Acme (s:c2)"),
        ("c3", "c3 (c3)"),  # an unsynced namesake still counts
    ]


def test_due_decisions_are_shared_only_between_alike_histories() -> None:
    now = datetime(2026, 12, 1, 7, tzinfo=UTC)
    utc = Completed("2026-11", now - timedelta(minutes=30))  # after today's 06:00 slot
    berlin = Completed("2026-11", utc.at.astimezone(ZoneInfo("Europe/Berlin")))  # same instant
    history = {"c1": utc, "s:c2": berlin}
    calls: list[str] = []

    def last(key: str) -> Completed | None:
        calls.append(key)
        return history.get(key)

    found = evaluate_targets(NAMED, last, now)
    assert calls == ["c1", "s:c2", "c3"]
    reasons = [getattr(item.decision, "reason", "due") for item in found]
    assert reasons[0] != reasons[1]  # each quotes its own time as written
    assert reasons[1].startswith("already ran for period 2026-11 at 2026-12-01T07:30+01:00")
    assert [item.target.key for item in found] == ["c1", "s:c2", "c3"]
