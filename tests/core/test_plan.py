"""The plan decision table: one test per branch, each with its why."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from psabill.config.models import Config
from psabill.core.entities import Addition, Agreement, CatalogItem, Company
from psabill.core.guards import apply_guards
from psabill.core.mapping import Usage, resolve
from psabill.core.plan import Plan, PlanContext, Snapshot, default_identifier
from psabill.core.plan_build import build_plan
from psabill.core.planfile import plan_from_data, plan_to_data

TODAY = date(2026, 12, 1)


def make_config(**overrides: Any) -> Config:
    data: dict[str, Any] = {
        "account": {"name": "MSP"},
        "psa": {
            "site": "http://127.0.0.1:1",
            "company": "c",
            "public_key": "p",
            "private_key": "k",
            "client_id": "i",
        },
        "sync": {"agreement_type": "Managed"},
        "sources": [{"name": "s", "kind": "csv", "path": "u.csv"}],
        "products": [{"sku": "A", "psa_product": "CAT-A"}, {"sku": "B", "psa_product": "CAT-B"}],
        "customers": [{"id": "c1", "name": "Acme", "psa_company": "ACME"}],
    }
    data.update(overrides)
    return Config.model_validate(data)


COMPANY = Company(1, "ACME", "Acme Corp")
MANAGED = Agreement(10, "Acme MSA", "Managed", 1, "ACME", cancelled=False)
CATALOG = {
    "cat-a": CatalogItem(100, "CAT-A", "A", price=Decimal("4.50"), cost=Decimal("2.75")),
    "cat-b": CatalogItem(101, "CAT-B", "B", price=Decimal("7"), cost=Decimal("4")),
}


def addition(aid: int, product: str, qty: str, **kw: Any) -> Addition:
    pid = {"CAT-A": 100, "CAT-B": 101}.get(product, 999)
    return Addition(aid, 10, pid, product, Decimal(qty), **kw)


def snapshot(
    additions: tuple[Addition, ...] = (), agreements: tuple[Agreement, ...] = (MANAGED,)
) -> Snapshot:
    return Snapshot(
        companies={"acme": COMPANY},
        agreements={1: agreements},
        additions={a.id: tuple(x for x in additions if x.agreement_id == a.id) for a in agreements},
        catalog=CATALOG,
    )


def plan_for(
    usage: dict[str, int],
    snap: Snapshot,
    config: Config | None = None,
    **kw: Any,
) -> Plan:
    config = config or make_config()
    records = [Usage("s", "c1", sku, Decimal(q)) for sku, q in usage.items()]
    resolution = resolve(config, records, ["c1"])
    return build_plan(PlanContext(config, resolution, ("c1",), snap, TODAY, **kw))


def only(plan: Plan, sku: str) -> Any:
    (line,) = [line for line in plan.lines if line.sku == sku]
    return line


def test_create_when_no_addition_exists() -> None:
    line = only(plan_for({"A": 5}, snapshot()), "A")
    assert (line.action, line.desired, line.product_id, line.agreement_id) == ("create", 5, 100, 10)
    assert line.why == "no active addition yet"


def test_update_and_unchanged() -> None:
    plan = plan_for(
        {"A": 7, "B": 3}, snapshot((addition(1, "CAT-A", "5.0"), addition(2, "CAT-B", "3.0")))
    )
    a, b = only(plan, "A"), only(plan, "B")
    assert (a.action, a.current, a.desired, a.addition_id) == ("update", 5, 7, 1)
    assert (b.action, b.why) == ("unchanged", "quantity already matches")


def test_zero_usage_and_no_addition_creates_nothing() -> None:
    line = only(plan_for({"A": 0}, snapshot()), "A")
    assert line.action == "unchanged"


@pytest.mark.parametrize(
    ("policy", "action", "desired"),
    [("keep", "keep", None), ("zero", "zero", 0), ("cancel", "cancel", 0)],
)
def test_usage_gone_policies(policy: str, action: str, desired: int | None) -> None:
    config = make_config(
        products=[{"sku": "A", "psa_product": "CAT-A", "on_usage_gone": policy}],
    )
    line = only(plan_for({}, snapshot((addition(1, "CAT-A", "4"),)), config), "A")
    assert (line.action, line.desired, line.current) == (action, desired, 4)


def test_usage_gone_without_addition_says_nothing() -> None:
    assert plan_for({}, snapshot()).lines == ()


def test_cancelled_additions_are_never_touched() -> None:
    cancelled = addition(1, "CAT-A", "9", cancelled_date=date(2026, 11, 1))
    line = only(plan_for({"A": 5}, snapshot((cancelled,))), "A")
    assert line.action == "create"


def test_future_cancelled_date_is_still_live() -> None:
    live = addition(1, "CAT-A", "9", cancelled_date=date(2027, 1, 1))
    assert only(plan_for({"A": 5}, snapshot((live,))), "A").action == "update"


def test_two_active_additions_are_ambiguous() -> None:
    adds = (addition(1, "CAT-A", "4"), addition(2, "CAT-A", "1"))
    line = only(plan_for({"A": 5}, snapshot(adds)), "A")
    assert line.action == "ambiguous"
    assert "#1, #2" in line.why


def test_cancelled_agreement_is_never_billed() -> None:
    dead = Agreement(10, "Acme MSA", "Managed", 1, "ACME", cancelled=True)
    line = only(plan_for({"A": 5}, snapshot(agreements=(dead,))), "A")
    assert line.action == "error"
    assert line.why.endswith('"Acme MSA" (#10) is Cancelled')


def test_several_candidate_agreements_is_an_error_not_a_guess() -> None:
    other = Agreement(11, "Acme MSA 2", "Managed", 1, "ACME", cancelled=False)
    line = only(plan_for({"A": 5}, snapshot(agreements=(MANAGED, other))), "A")
    assert line.action == "error"
    assert '2 active agreements of type "Managed"' in line.why


def test_product_contract_beats_customer_default_beats_global() -> None:
    security = Agreement(11, "Sec", "Security", 1, "ACME", cancelled=False)
    gold = Agreement(12, "Gold", "Managed", 1, "ACME", cancelled=False)
    config = make_config(
        customers=[
            {
                "id": "c1",
                "psa_company": "ACME",
                "settings": "custom",
                "contract": {"agreement_type": "Managed", "agreement_name": "Gold"},
                "contracts": [{"product": "A", "agreement_type": "Security"}],
            }
        ]
    )
    plan = plan_for({"A": 1, "B": 2}, snapshot(agreements=(MANAGED, security, gold)), config)
    assert only(plan, "A").agreement_id == 11
    assert only(plan, "B").agreement_id == 12


def test_only_agreement_is_used_when_no_type_is_configured() -> None:
    config = make_config(sync={})
    assert only(plan_for({"A": 1}, snapshot(), config), "A").agreement_id == 10


def test_unknown_company() -> None:
    config = make_config(customers=[{"id": "c1", "psa_company": "NOPE"}])
    (line,) = plan_for({"A": 1}, snapshot(), config).lines
    assert line.action == "error"
    assert "'NOPE' was not found" in line.why


def test_missing_psa_product_paused() -> None:
    config = make_config(products=[{"sku": "A", "psa_product": "GONE"}])
    line = only(plan_for({"A": 1}, snapshot(), config), "A")
    assert line.action == "paused"
    assert "'GONE' is not in the PSA catalog" in line.why


def test_missing_psa_product_create_default() -> None:
    config = make_config(
        products=[
            {
                "sku": "A b/c",
                "psa_product": "GONE",
                "on_psa_product_missing": "create_default",
                "unit_price": "3",
            }
        ]
    )
    plan = plan_for({"A b/c": 2}, snapshot(), config)
    line = only(plan, "A b/c")
    assert (line.action, line.psa_product, line.product_id) == ("create", "PSABILL-A-b-c", None)
    (repair,) = plan.repairs
    assert (repair.missing, repair.identifier, repair.exists) == ("GONE", "PSABILL-A-b-c", False)


def test_default_identifier_stays_within_limits() -> None:
    assert len(default_identifier("x" * 200)) == 60
    assert default_identifier("///") == "PSABILL-PRODUCT"


def test_renamed_product_on_a_known_addition_is_never_duplicated() -> None:
    renamed = addition(1, "CAT-A-2025", "4")
    line = only(plan_for({"A": 5}, snapshot((renamed,)), known_additions={("c1", "A"): 1}), "A")
    assert line.action == "error"
    assert "renamed" in line.why


def test_failed_source_stops_its_products() -> None:
    line = only(
        plan_for({}, snapshot((addition(1, "CAT-A", "4"),)), failed_sources=frozenset({"s"})), "A"
    )
    assert line.action == "stopped"


def test_unmapped_customers_and_products_are_listed() -> None:
    config = make_config()
    records = [Usage("s", "zz", "A", Decimal(3)), Usage("s", "c1", "NEW", Decimal(2))]
    resolution = resolve(config, records, ["c1"])
    assert list(resolution.unmapped_customers) == [("s", "zz")]
    assert list(resolution.unmapped_products) == [("s", "NEW")]


def test_sync_off_is_reported_not_billed() -> None:
    config = make_config(products=[{"sku": "A", "psa_product": "CAT-A", "sync": False}])
    resolution = resolve(config, [Usage("s", "c1", "A", Decimal(3), "u.csv:2")], ["c1"])
    assert resolution.desired == {}
    assert resolution.not_synced == ["product A has sync = false (u.csv:2)"]


def test_drop_guard_holds_only_that_customer() -> None:
    snap = snapshot((addition(1, "CAT-A", "100"),))
    plan = plan_for({"A": 10}, snap)
    guarded = apply_guards(plan, snap, Decimal("0.5"), allow_drop=False)
    line = only(guarded, "A")
    assert line.action == "held"
    assert "drops from 100 to 10 (-90%, limit 50%)" in str(guarded.guard_trips[0])
    allowed = apply_guards(plan, snap, Decimal("0.5"), allow_drop=True)
    assert only(allowed, "A").action == "update"
    assert "allowed by --allow-drop" in str(allowed.guard_trips[0])


def test_small_drop_passes_the_guard() -> None:
    snap = snapshot((addition(1, "CAT-A", "100"),))
    plan = apply_guards(plan_for({"A": 60}, snap), snap, Decimal("0.5"), allow_drop=False)
    assert only(plan, "A").action == "update"
    assert plan.guard_trips == ()


def test_zeroing_every_line_of_an_agreement_trips_the_guard() -> None:
    config = make_config(products=[{"sku": "A", "psa_product": "CAT-A", "on_usage_gone": "zero"}])
    snap = snapshot((addition(1, "CAT-A", "1"),))
    plan = apply_guards(plan_for({}, snap, config), snap, Decimal("1"), allow_drop=False)
    assert only(plan, "A").action == "held"
    assert 'every line of agreement "Acme MSA" would be 0' in str(plan.guard_trips[0])


def test_a_guard_trip_is_a_value_even_for_a_name_with_a_colon() -> None:
    config = make_config(customers=[{"id": "c1", "name": "Acme: Dental", "psa_company": "ACME"}])
    snap = snapshot((addition(1, "CAT-A", "100"),))
    plan = plan_for({"A": 10}, snap, config)
    guarded = apply_guards(plan, snap, Decimal("0.5"), allow_drop=False)
    (trip,) = guarded.guard_trips
    assert (trip.customer, trip.label) == ("c1", "Acme: Dental")
    assert trip.reasons == ("total drops from 100 to 10 (-90%, limit 50%)",)
    assert only(guarded, "A").why == "guard: total drops from 100 to 10 (-90%, limit 50%)"
    again, _, _ = plan_from_data(plan_to_data(guarded, account="MSP", scope=("c1",)))
    assert again.guard_trips == guarded.guard_trips


def test_plan_round_trips_through_json() -> None:
    snap = snapshot((addition(1, "CAT-A", "5"),))
    plan = plan_for({"A": 7, "B": 1}, snap)
    data = plan_to_data(plan, account="MSP", scope=("c1",))
    again, scope, account = plan_from_data(data)
    assert (again, scope, account) == (plan, ("c1",), "MSP")


@pytest.mark.parametrize("bad", [{}, {"format": "psabill-plan/1"}, [], {"format": "x"}])
def test_damaged_plan_file(bad: Any) -> None:
    with pytest.raises(ValueError, match="plan"):
        plan_from_data(bad)


def test_plan_with_a_priced_repair_round_trips_through_json() -> None:
    import json

    config = make_config(
        products=[
            {
                "sku": "A",
                "psa_product": "GONE",
                "on_psa_product_missing": "create_default",
                "unit_price": "6.25",
                "unit_cost": "3.90",
            }
        ]
    )
    plan = plan_for({"A": 2}, snapshot(), config)
    assert plan.repairs[0].price == Decimal("6.25")
    data = json.loads(json.dumps(plan_to_data(plan, account="MSP", scope=("c1",))))
    assert plan_from_data(data)[0] == plan


def test_a_generic_and_a_scoped_mapping_of_one_sku_bill_once() -> None:
    config = make_config(
        products=[
            {"sku": "A", "psa_product": "CAT-A", "source": "s"},
            {"sku": "A", "psa_product": "CAT-A"},
        ]
    )
    plan = plan_for({"A": 5}, snapshot(), config)
    assert [line.action for line in plan.lines] == ["create"]


def test_two_vendor_accounts_never_bill_one_addition_twice() -> None:
    """Two vendor customers of one PSA company and a generic product: refuse, never guess."""
    config = make_config(
        products=[{"sku": "A", "psa_product": "CAT-A", "on_usage_gone": "zero"}],
        customers=[
            {"id": "c1", "psa_company": "ACME"},
            {"id": "c2", "psa_company": "ACME"},
        ],
    )
    records = [Usage("s", "c1", "A", Decimal(40))]  # c2 reports nothing for A
    resolution = resolve(config, records, ["c1", "c2"])
    snap = snapshot((addition(1, "CAT-A", "40"),))
    plan = build_plan(PlanContext(config, resolution, ("c1", "c2"), snap, TODAY))
    assert [(line.customer, line.action) for line in plan.lines] == [
        ("c1", "error"),
        ("c2", "error"),
    ]
    assert "psabill bills one addition once" in plan.lines[0].why
    assert plan.writes == ()
