"""What a new invoice line carries, and which agreements may carry it: table tests per rule."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from psabill.config.models import Contract
from psabill.core.contracts import choose_agreement
from psabill.core.entities import Agreement, AgreementStatus, CatalogItem
from tests.core.test_plan import MANAGED, TODAY, addition, make_config, only, plan_for, snapshot

OLD = Agreement(
    11, "Acme MSA 2021", "Managed", 1, "ACME", cancelled=False,
    start_date=date(2021, 1, 1), end_date=date(2023, 12, 31),
)  # fmt: skip
NEXT = Agreement(
    12, "Acme MSA 2099", "Managed", 1, "ACME", cancelled=False, start_date=date(2099, 1, 1)
)


def _agreement(**kw: Any) -> Agreement:
    return Agreement(10, "MSA", "Managed", 1, "ACME", **{"cancelled": False, **kw})


# -- agreement status on the billing date --------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({}, "Active"),
        ({"start_date": TODAY, "end_date": TODAY}, "Active"),  # both ends of the day count
        ({"start_date": date(2026, 12, 2)}, "Inactive"),
        ({"end_date": date(2026, 11, 30)}, "Expired"),
        ({"cancelled": True}, "Cancelled"),
        ({"status": "Cancelled"}, "Cancelled"),
        ({"cancelled": True, "end_date": date(2020, 1, 1)}, "Cancelled"),
        # The PSA's word for *its* today stands only where no date says otherwise:
        ({"status": "Expired"}, "Expired"),
        ({"status": "Inactive"}, "Inactive"),
        ({"status": "Expired", "end_date": date(2026, 12, 31)}, "Active"),  # billing an earlier day
        ({"status": "Active", "end_date": date(2026, 11, 30)}, "Expired"),
    ],
)
def test_status_on_the_billing_date(fields: dict[str, Any], status: AgreementStatus) -> None:
    assert _agreement(**fields).status_on(TODAY) == status


def test_without_a_billing_date_the_status_is_the_psas() -> None:
    assert _agreement(status="Expired", end_date=date(2099, 1, 1)).status_on(None) == "Expired"
    assert _agreement(cancelled=True).status_on(None) == "Cancelled"


def test_state_on_says_when() -> None:
    assert OLD.state_on(TODAY) == "Expired (ended 2023-12-31)"
    assert NEXT.state_on(TODAY) == "Inactive (starts 2099-01-01)"
    assert MANAGED.state_on(TODAY) == "Active"


# -- choosing the agreement ------------------------------------------------------------------


def test_expired_and_future_agreements_never_make_the_choice_ambiguous() -> None:
    contract = Contract(agreement_type="Managed")
    assert choose_agreement(contract, [OLD, MANAGED, NEXT], on=TODAY).agreement == MANAGED
    assert choose_agreement(None, [OLD, MANAGED, NEXT], on=TODAY).agreement == MANAGED


def test_the_billing_date_decides_not_the_psas_today() -> None:
    choice = choose_agreement(Contract(agreement_type="Managed"), [OLD], on=date(2023, 6, 1))
    assert choice.agreement == OLD


@pytest.mark.parametrize(
    ("agreements", "problem"),
    [
        (
            [OLD],
            'no active agreement of type "Managed" on 2026-12-01: '
            '"Acme MSA 2021" (#11) is Expired (ended 2023-12-31)',
        ),
        (
            [NEXT],
            'no active agreement of type "Managed" on 2026-12-01: '
            '"Acme MSA 2099" (#12) is Inactive (starts 2099-01-01)',
        ),
        (
            [OLD, NEXT],
            'no active agreement of type "Managed" on 2026-12-01: "Acme MSA 2021" (#11) is '
            'Expired (ended 2023-12-31); "Acme MSA 2099" (#12) is Inactive (starts 2099-01-01)',
        ),
        ([], 'no active agreement of type "Managed" on 2026-12-01'),
    ],
)
def test_no_active_agreement_names_each_one_and_its_status(
    agreements: list[Agreement], problem: str
) -> None:
    choice = choose_agreement(Contract(agreement_type="Managed"), agreements, on=TODAY)
    assert (choice.agreement, choice.problem) == (None, problem)
    assert choice.blocked == (agreements[0] if len(agreements) == 1 else None)


def test_without_a_contract_the_only_agreement_expired_is_named() -> None:
    choice = choose_agreement(None, [OLD], on=TODAY)
    assert choice.problem == (
        'the company has no active agreement on 2026-12-01: "Acme MSA 2021" (#11) is '
        "Expired (ended 2023-12-31)"
    )


def test_an_addition_on_an_expired_agreement_is_an_error_line_naming_it() -> None:
    mine = addition(1, "CAT-A", "4")  # on agreement 10, which has ended
    ended = Agreement(10, "Acme MSA", "Managed", 1, "ACME", False, end_date=date(2026, 6, 30))
    line = only(plan_for({"A": 5}, snapshot((mine,), agreements=(ended,))), "A")
    assert (line.action, line.agreement_id, line.agreement_name) == ("error", None, "Acme MSA")
    assert line.why.endswith('"Acme MSA" (#10) is Expired (ended 2026-06-30)')
    assert not line.writes


def test_a_not_yet_started_agreement_is_never_billed() -> None:
    future = Agreement(10, "Acme MSA", "Managed", 1, "ACME", False, start_date=date(2027, 1, 1))
    line = only(plan_for({"A": 5}, snapshot(agreements=(future,))), "A")
    assert line.action == "error"
    assert line.why.endswith('"Acme MSA" (#10) is Inactive (starts 2027-01-01)')


def test_an_expired_agreement_beside_the_active_one_changes_nothing() -> None:
    expired = Agreement(11, "Old", "Managed", 1, "ACME", False, end_date=date(2025, 1, 1))
    line = only(plan_for({"A": 5}, snapshot(agreements=(MANAGED, expired))), "A")
    assert (line.action, line.agreement_id) == ("create", 10)


# -- price, cost and description of a new line ---------------------------------------------


def _catalog_snapshot(**item: Any) -> Any:
    snap = snapshot()
    fields: dict[str, Any] = {"description": "Sophos Intercept X Advanced", **item}
    catalog = {"cat-a": CatalogItem(100, "CAT-A", **fields)}
    return type(snap)(snap.companies, snap.agreements, snap.additions, catalog)


def test_a_new_line_takes_the_catalog_items_price_cost_and_description() -> None:
    snap = _catalog_snapshot(price=Decimal("4.50"), cost=Decimal("2.75"))
    line = only(plan_for({"A": 5}, snap), "A")
    assert (line.action, line.unit_price, line.unit_cost) == ("create", Decimal("4.50"), 2.75)
    assert line.description == "Sophos Intercept X Advanced"


def test_the_mapping_wins_over_the_catalog() -> None:
    config = make_config(
        products=[
            {
                "sku": "A",
                "psa_product": "CAT-A",
                "unit_price": "5",
                "unit_cost": "0",
                "description": "Endpoint protection, per device",
            }
        ]
    )
    snap = _catalog_snapshot(price=Decimal("4.50"), cost=Decimal("2.75"))
    line = only(plan_for({"A": 5}, snap, config), "A")
    assert (line.unit_price, line.unit_cost) == (5, 0)
    assert line.description == "Endpoint protection, per device"


def test_a_catalog_price_of_zero_is_a_price() -> None:
    line = only(plan_for({"A": 5}, _catalog_snapshot(price=Decimal(0))), "A")
    assert (line.action, line.unit_price, line.unit_cost) == ("create", 0, None)


def test_no_price_anywhere_is_an_error_not_a_line_at_zero() -> None:
    line = only(plan_for({"A": 5}, _catalog_snapshot(cost=Decimal(1))), "A")
    assert line.action == "error"
    assert line.why.startswith(
        "no unit price: neither the product mapping nor catalog item 'CAT-A' has one"
    )


def test_no_price_only_matters_to_new_lines() -> None:
    snap = _catalog_snapshot()
    snap = type(snap)(
        snap.companies, snap.agreements, {10: (addition(1, "CAT-A", "3"),)}, snap.catalog
    )
    assert only(plan_for({"A": 5}, snap), "A").action == "update"


def test_the_description_is_never_the_sku() -> None:
    config = make_config(products=[{"sku": "CIXA", "psa_product": "CAT-A", "name": "Intercept"}])
    snap = _catalog_snapshot(price=Decimal(1))
    usage = {"CIXA": 2}
    line = only(plan_for(usage, snap, config), "CIXA")
    assert line.description == "Sophos Intercept X Advanced"


def test_an_unpriced_repair_is_an_error_and_creates_no_catalog_item() -> None:
    config = make_config(
        products=[{"sku": "X", "psa_product": "GONE", "on_psa_product_missing": "create_default"}]
    )
    plan = plan_for({"X": 2}, snapshot(), config)
    line = only(plan, "X")
    assert line.action == "error"
    assert "('PSABILL-X') has none, so it would bill at 0; set unit_price" in line.why
    assert plan.repairs == ()


def test_a_priced_repair_describes_the_line_by_the_product_name() -> None:
    config = make_config(
        products=[
            {
                "sku": "X",
                "name": "Sophos XDR",
                "psa_product": "GONE",
                "on_psa_product_missing": "create_default",
                "unit_price": "6.25",
            }
        ]
    )
    plan = plan_for({"X": 2}, snapshot(), config)
    line = only(plan, "X")
    assert (line.action, line.unit_price, line.description) == ("create", 6.25, "Sophos XDR")
    assert plan.repairs[0].description == "Sophos XDR"
