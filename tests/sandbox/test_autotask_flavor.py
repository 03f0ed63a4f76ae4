"""The fake Autotask as a flavor of the shared core: the ConnectWise demo translated, its
metadata, the hourly threshold, Autotask-shaped faults, and the stricter-than-real refusals."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest

from psabill.config.models import AutotaskPsa
from psabill.sandbox.autotask import (
    DEMO_CREDENTIALS,
    AutotaskSandbox,
    Identifiers,
    psa_section,
)
from psabill.sandbox.faults import FaultPlan, http_error
from psabill.sandbox.flavor import BilledLine
from psabill.sandbox.seed import seed_demo, seed_large
from psabill.sandbox.store import Store
from tests.sandbox.autotask_support import everything
from tests.sandbox.support import make_client

DAY = "2026-06-15T00:00:00"


@pytest.fixture
def demo() -> Iterator[AutotaskSandbox]:
    with AutotaskSandbox() as running:
        yield running


@pytest.fixture
def http(demo: AutotaskSandbox) -> Iterator[httpx.Client]:
    with make_client(base_url=demo.api_url + "/v1.0", headers=DEMO_CREDENTIALS.headers()) as c:
        yield c


def items(http: httpx.Client, entity: str, *conditions: dict[str, Any]) -> list[dict[str, Any]]:
    answer = http.post(
        f"/{entity}/query", json={"filter": list(conditions) or everything()["filter"]}
    )
    assert answer.status_code == 200, answer.text
    return list(answer.json()["items"])


def eq(field: str, value: Any) -> dict[str, Any]:
    return {"op": "eq", "field": field, "value": value}


def test_the_connectwise_demo_is_translated_keeping_its_ids(http: httpx.Client) -> None:
    companies = {c["id"]: c for c in items(http, "Companies")}
    assert (companies[250]["companyName"], companies[253]["isActive"]) == (
        "Acme Dental Group",
        False,
    )
    contracts = {c["id"]: c for c in items(http, "Contracts")}
    assert {c["contractType"] for c in contracts.values()} == {7}
    assert (contracts[1504]["status"], contracts[1500]["status"]) == (0, 1)
    assert contracts[1509]["endDate"] == "2024-06-30T00:00:00"
    services = {s["id"]: s for s in items(http, "Services")}
    assert services[700]["name"] == "Sophos Intercept X Advanced"
    assert services[706]["isActive"] is False
    links = items(http, "ContractServices", eq("contractID", 1500))
    assert [(link["id"], link["serviceID"]) for link in links] == [(9000, 700), (9001, 703)]
    window = [
        {"op": "lte", "field": "startDate", "value": DAY},
        {"op": "gte", "field": "endDate", "value": DAY},
    ]
    units = items(http, "ContractServiceUnits", eq("contractID", 1500), *window)
    assert [(u["contractServiceID"], u["units"], u["price"]) for u in units] == [
        (9000, 42, 42 * 4.5),
        (9001, 38, 38 * 7.0),
    ]


def test_contract_categories_are_a_picklist_read_from_entity_information(
    http: httpx.Client,
) -> None:
    fields = http.get("/Contracts/entityInformation/fields").json()["fields"]
    by_name = {f["name"]: f for f in fields}
    labels = {v["value"]: v["label"] for v in by_name["contractCategory"]["picklistValues"]}
    assert labels == {"10": "Managed Services", "11": "Security Services"}
    assert {v["label"] for v in by_name["status"]["picklistValues"]} == {"Active", "Inactive"}
    periods = http.get("/Services/entityInformation/fields").json()["fields"]
    monthly = next(f for f in periods if f["name"] == "periodType")["picklistValues"][0]
    assert (monthly["value"], monthly["label"]) == ("1", "Monthly")
    assert http.post("/Contracts/entityInformation/fields").status_code == 405


def test_identifiers_psa_section_and_billed_lines(demo: AutotaskSandbox) -> None:
    store = Store()
    seed_demo(store)
    ids = Identifiers.of(store)
    assert (ids.company("AcmeDental"), ids.catalog("SOPHOS-IX-ADV")) == (
        "250",
        "Sophos Intercept X Advanced",
    )
    assert ids.company("Unknown") == "Unknown"
    psa = AutotaskPsa.model_validate(psa_section(demo))
    assert (psa.kind, psa.zone_lookup) == ("autotask", demo.zone_lookup_url)
    billed = demo.billed(date(2026, 6, 15))
    assert BilledLine(1500, "Sophos Intercept X Advanced", Decimal(42), False) in billed
    assert BilledLine(1503, "LastPass Business", Decimal(0), True) in billed
    assert BilledLine(1503, "LastPass Business", Decimal(12), False) in demo.billed(
        date(2024, 3, 1)
    )


def test_threshold_information_counts_the_hour(http: httpx.Client, demo: AutotaskSandbox) -> None:
    assert demo.flavor.rate_limit() == (10_000, 3600.0)
    first = http.get("/ThresholdInformation").json()
    items(http, "Companies")
    second = http.get("/ThresholdInformation").json()
    assert first["externalRequestThreshold"] == 10_000
    assert first["requestThresholdTimeframe"] == 60
    assert second["currentTimeframeRequestCount"] == first["currentTimeframeRequestCount"] + 2


def test_the_hourly_threshold_answers_429_in_autotasks_words(
    demo: AutotaskSandbox, http: httpx.Client
) -> None:
    demo.faults.replace(FaultPlan(rate_limit=(2, 3600.0)))
    statuses = [http.post("/Companies/query", json=everything()) for _ in range(3)]
    assert [s.status_code for s in statuses] == [200, 200, 429]
    refused = statuses[2]
    assert int(refused.headers["Retry-After"]) > 0
    assert "hourly request threshold" in refused.json()["errors"][0]
    assert demo.faults.injected() == {"rate_limit": 1}


@pytest.mark.parametrize("status", [500, 403, 429, 404])
def test_injected_errors_are_autotask_shaped(
    demo: AutotaskSandbox, http: httpx.Client, status: int
) -> None:
    demo.faults.replace(FaultPlan([http_error(status, times=1)]))
    answer = http.post("/Companies/query", json=everything())
    assert answer.status_code == status
    assert isinstance(answer.json()["errors"], list)
    assert demo.faults.injected() == {f"status:{status}": 1}


def test_invoices_are_queried_by_company_and_date_and_never_written(http: httpx.Client) -> None:
    november = [
        eq("companyID", 250),
        {"op": "gte", "field": "invoiceDateTime", "value": "2024-11-01T00:00:00"},
    ]
    found = items(http, "Invoices", *november)
    assert [(i["invoiceNumber"], i["invoiceTotal"]) for i in found] == [("INV-10231", 455.0)]
    assert http.post("/Invoices", json={"companyID": 250}).status_code == 405


def adjustment(
    contract: int, service: int, change: int, day: str = DAY, **extra: Any
) -> dict[str, Any]:
    return {
        "contractID": contract,
        "serviceID": service,
        "effectiveDate": day,
        "unitChange": change,
        **extra,
    }


def test_stricter_than_real_adjustment_rules(demo: AutotaskSandbox, http: httpx.Client) -> None:
    refusals = {
        "no units": adjustment(1500, 700, -42),
        "new at zero": adjustment(1505, 700, 0),
        "other link": adjustment(1500, 700, 1, contractServiceID=9001),
        "inactive": adjustment(1504, 700, 1),
    }
    for why, body in refusals.items():
        answer = http.post("/ContractServiceAdjustments", json=body)
        assert answer.status_code == 500, why
        assert answer.json()["errors"], why
    demo.world.posted_until[1500] = date(2026, 6, 30)
    posted = http.post("/ContractServiceAdjustments", json=adjustment(1500, 700, 1))
    assert "approved and posted" in posted.json()["errors"][0]
    later = "2026-07-01T00:00:00"
    for change in (2, 3):  # same-day adjustments add up
        body = adjustment(1500, 700, change, later, contractServiceID=9000)
        assert http.post("/ContractServiceAdjustments", json=body).status_code == 200
    assert demo.world.units_on(9000, date(2026, 7, 1)) == 47
    assert [(a.unit_change, a.seeded) for a in demo.adjustments()] == [(2, False), (3, False)]
    june = items(
        http,
        "ContractServiceUnits",
        eq("contractServiceID", 9000),
        {"op": "lte", "field": "startDate", "value": DAY},
        {"op": "gte", "field": "endDate", "value": DAY},
    )
    assert june[0]["approveAndPostDate"] == "2026-06-30T00:00:00"


def test_state_dumps_loads_and_resets(demo: AutotaskSandbox, http: httpx.Client) -> None:
    state = demo.flavor.dump()
    assert (
        http.post("/ContractServiceAdjustments", json=adjustment(1500, 700, 5)).status_code == 200
    )
    demo.reset()
    assert demo.world.units_on(9000, date(2026, 6, 15)) == 42
    assert demo.flavor.dump() == state
    with pytest.raises(ValueError, match="psabill-autotask-1"):
        demo.flavor.load({"format": "other"})
    admin = make_client(base_url=demo.site_url, headers=DEMO_CREDENTIALS.headers())
    with admin, make_client(base_url=demo.site_url) as stranger:
        assert admin.get("/__sandbox__/state").json() == state
        assert stranger.get("/__sandbox__/state").status_code != 200


def test_a_large_seed_translates_and_answers_unit_queries_by_window() -> None:
    store = Store()
    seed_large(store, companies=300, products=10)
    with AutotaskSandbox(store) as large:
        headers = DEMO_CREDENTIALS.headers()
        with make_client(base_url=large.api_url + "/v1.0", headers=headers) as http:
            window = [
                {"op": "lte", "field": "startDate", "value": DAY},
                {"op": "gte", "field": "endDate", "value": DAY},
            ]
            agreement = store.rows("agreements")[0]["id"]
            rows = items(http, "ContractServiceUnits", eq("contractID", agreement), *window)
    assert len(rows) == 10
    assert len(large.world.tables["ContractServices"]) == 3000
