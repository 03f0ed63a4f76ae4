"""The fake Autotask's units: adjustments are create-only deltas that split the unit rows."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from psabill.sandbox.autotask import AutotaskSandbox
from psabill.sandbox.autotask.data import recurring_contract
from tests.sandbox.autotask_support import TODAY, at_client, autotask

__all__ = ["at_client", "autotask"]  # fixtures


def units_rows(http: httpx.Client, contract: int, service: int) -> list[dict[str, Any]]:
    conditions = [
        {"op": "eq", "field": "contractID", "value": contract},
        {"op": "eq", "field": "serviceID", "value": service},
    ]
    answer = http.post("/ContractServiceUnits/query", json={"filter": conditions})
    assert answer.status_code == 200
    return list(answer.json()["items"])


def units_on(http: httpx.Client, contract: int, service: int, day: str) -> list[int]:
    conditions = [
        {"op": "eq", "field": "contractID", "value": contract},
        {"op": "eq", "field": "serviceID", "value": service},
        {"op": "lte", "field": "startDate", "value": day},
        {"op": "gte", "field": "endDate", "value": day},
    ]
    answer = http.post("/ContractServiceUnits/query", json={"filter": conditions})
    return [row["units"] for row in answer.json()["items"]]


def first_link(autotask: AutotaskSandbox) -> tuple[int, int]:
    link = min(autotask.world.records("ContractServices"), key=lambda r: r["id"])
    return int(link["contractID"]), int(link["serviceID"])


def test_an_adjustment_splits_the_month_from_its_date(
    autotask: AutotaskSandbox, at_client: httpx.Client
) -> None:
    contract, service = first_link(autotask)
    assert units_on(at_client, contract, service, "2026-06-15") == [12]
    body = {
        "contractID": contract,
        "serviceID": service,
        "effectiveDate": "2026-06-15T00:00:00",
        "unitChange": 3,
    }
    created = at_client.post("/ContractServiceAdjustments", json=body)
    assert created.status_code == 200
    assert isinstance(created.json()["itemId"], int)
    assert units_on(at_client, contract, service, "2026-06-14") == [12]
    assert units_on(at_client, contract, service, "2026-06-15T00:00:00") == [15]
    june = [
        r for r in units_rows(at_client, contract, service) if r["startDate"].startswith("2026-06")
    ]
    assert [(r["startDate"], r["endDate"], r["units"]) for r in june] == [
        ("2026-06-01T00:00:00", "2026-06-14T00:00:00", 12),
        ("2026-06-15T00:00:00", "2026-06-30T00:00:00", 15),
    ]
    assert june[1]["price"] == 15 * 12.5  # the line total, not the unit price


@pytest.mark.parametrize("method", ["GET", "PATCH", "PUT", "DELETE"])
def test_adjustments_can_never_be_read_changed_or_deleted(
    at_client: httpx.Client, method: str
) -> None:
    assert at_client.request(method, "/ContractServiceAdjustments").status_code == 405
    assert at_client.request(method, "/ContractServiceAdjustments/1").status_code == 405
    query = at_client.post(
        "/ContractServiceAdjustments/query",
        json={"filter": [{"op": "gte", "field": "id", "value": 0}]},
    )
    assert query.status_code == 405


def test_adjustments_are_refused_below_zero_and_off_recurring_contracts(
    autotask: AutotaskSandbox, at_client: httpx.Client
) -> None:
    contract, service = first_link(autotask)
    below = {
        "contractID": contract,
        "serviceID": service,
        "effectiveDate": "2026-06-15T00:00:00",
        "unitChange": -13,
    }
    assert at_client.post("/ContractServiceAdjustments", json=below).status_code == 500
    company = autotask.world.records("Companies")[0]["id"]
    block = autotask.world.add(
        "Contracts", {**recurring_contract(company, "Hours", TODAY), "contractType": 1}
    )
    other = {**below, "contractID": block, "unitChange": 1}
    refused = at_client.post("/ContractServiceAdjustments", json=other)
    assert refused.status_code == 500
    assert "Recurring Service" in refused.json()["errors"][0]
    outside = {**below, "unitChange": 1, "effectiveDate": "2027-01-05T00:00:00"}
    assert at_client.post("/ContractServiceAdjustments", json=outside).status_code == 500
    assert units_on(at_client, contract, service, "2026-06-15") == [12]


def test_an_adjustment_adds_the_missing_contract_service(
    autotask: AutotaskSandbox, at_client: httpx.Client
) -> None:
    contract, _ = first_link(autotask)
    service = autotask.world.add(
        "Services",
        {
            "name": "Mail filter",
            "unitPrice": 2.0,
            "unitCost": 1.0,
            "invoiceDescription": "Mail filter",
            "periodType": 3,
        },
    )
    body = {
        "contractID": contract,
        "serviceID": service,
        "effectiveDate": "2026-06-01",
        "unitChange": 4,
    }
    assert at_client.post("/ContractServiceAdjustments", json=body).status_code == 200
    links = at_client.post(
        "/ContractServices/query",
        json={"filter": [{"op": "eq", "field": "serviceID", "value": service}]},
    )
    assert [link["contractID"] for link in links.json()["items"]] == [contract]
    assert units_on(at_client, contract, service, "2026-06-30") == [4]
    assert units_on(at_client, contract, service, "2026-05-31") == [0]


def test_reset_restores_the_world_and_forgets_faults(
    autotask: AutotaskSandbox, at_client: httpx.Client
) -> None:
    contract, service = first_link(autotask)
    body = {
        "contractID": contract,
        "serviceID": service,
        "effectiveDate": "2026-06-15",
        "unitChange": 5,
    }
    assert at_client.post("/ContractServiceAdjustments", json=body).status_code == 200
    assert at_client.post("/Companies", json={"companyName": "Gone after reset"}).status_code == 200
    autotask.reset()
    assert units_on(at_client, contract, service, "2026-06-15") == [12]
    assert len(autotask.world.records("Companies")) == 2
