"""Agreement status derived from flags and dates when read, and additions priced only as sent.

Over real HTTP against the demo seed; the store clock is fixed at 2025-03-15 unless a test
moves it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from psabill.sandbox import Store, seed_demo, seed_large

ACME, NORTHWIND, HARBOR_2022, CONTOSO_SEC = 1500, 1503, 1504, 1506
NORTHWIND_OLD, NORTHWIND_NEXT, CONTOSO_MS = 1507, 1508, 1509
M365 = 705  # catalog item: price 22.00, cost 19.80


def _statuses(client: httpx.Client, **params: str) -> dict[int, str]:
    response = client.get("/finance/agreements", params={"fields": "id,agreementStatus", **params})
    assert response.status_code == 200, response.text
    return {row["id"]: row["agreementStatus"] for row in response.json()}


def test_agreement_status_is_derived_from_cancelled_flag_and_dates(client: httpx.Client) -> None:
    statuses = _statuses(client)
    assert statuses[NORTHWIND_OLD] == "Expired"  # ended 2023-12-31
    assert statuses[CONTOSO_MS] == "Expired"  # ended 2024-06-30
    assert statuses[NORTHWIND_NEXT] == "Inactive"  # starts 2099-01-01
    assert statuses[HARBOR_2022] == "Cancelled"
    assert statuses[ACME] == statuses[NORTHWIND] == statuses[CONTOSO_SEC] == "Active"
    assert set(statuses.values()) == {"Active", "Cancelled", "Expired", "Inactive"}


def test_conditions_filter_on_the_derived_status(client: httpx.Client) -> None:
    expired = _statuses(client, conditions='agreementStatus = "Expired"')
    assert sorted(expired) == [NORTHWIND_OLD, CONTOSO_MS]
    count = client.get(
        "/finance/agreements/count", params={"conditions": "agreementStatus = 'Inactive'"}
    )
    assert count.json() == {"count": 1}


def test_status_follows_the_clock_day_and_the_end_day_still_runs() -> None:
    now = [datetime(2024, 6, 30, 23, 59, tzinfo=UTC)]
    store = Store(clock=lambda: now[0])
    seed_demo(store)

    def status(agreement: int) -> Any:
        return (store.get("agreements", agreement) or {})["agreementStatus"]

    assert status(CONTOSO_MS) == "Active"
    now[0] = datetime(2024, 7, 1, tzinfo=UTC)
    assert status(CONTOSO_MS) == "Expired"
    now[0] = datetime(2023, 6, 1, tzinfo=UTC)
    assert (status(NORTHWIND_OLD), status(NORTHWIND)) == ("Active", "Inactive")


def test_a_stored_status_is_never_trusted(store: Store) -> None:
    dump = store.dump()
    for row in dump["agreements"]:
        row["agreementStatus"] = "Active"
        if row["id"] == ACME:
            row["cancelledFlag"] = True
    copy = Store(clock=store.clock)
    copy.load(dump)
    assert copy.get("agreements", NORTHWIND_OLD)["agreementStatus"] == "Expired"  # type: ignore[index]
    assert copy.get("agreements", ACME)["agreementStatus"] == "Cancelled"  # type: ignore[index]


def test_an_addition_on_an_expired_agreement_reads_expired(client: httpx.Client) -> None:
    body = {"product": {"id": M365}, "billCustomer": "Billable", "quantity": 1, "unitPrice": 22}
    created = client.post(f"/finance/agreements/{CONTOSO_MS}/additions", json=body)
    assert created.status_code == 201
    assert created.json()["agreementStatus"] == "Expired"


# -- addition prices ----------------------------------------------------------------------------


def test_prices_left_out_are_zero_on_post_put_and_patch_never_the_catalogs(
    client: httpx.Client, store: Store
) -> None:
    additions = f"/finance/agreements/{ACME}/additions"
    bare = {"product": {"id": M365}, "billCustomer": "Billable", "quantity": 2}
    posted = client.post(additions, json=bare).json()
    assert (posted["unitPrice"], posted["unitCost"], posted["description"]) == (0.0, 0.0, None)

    priced = client.post(additions, json={**bare, "unitPrice": 21.5, "unitCost": 0}).json()
    assert (priced["unitPrice"], priced["unitCost"], priced["extPrice"]) == (21.5, 0.0, 43.0)
    put = client.put(f"{additions}/{priced['id']}", json=bare)
    assert (put.json()["unitPrice"], put.json()["unitCost"]) == (0.0, 0.0)

    again = client.post(additions, json={**bare, "unitPrice": 21.5}).json()
    removed = client.patch(
        f"{additions}/{again['id']}", json=[{"op": "remove", "path": "unitPrice"}]
    )
    assert removed.status_code == 200
    assert removed.json()["unitPrice"] == 0.0

    # Only the seeding helper fills them in, as ConnectWise's screen does for a person.
    seeded = store.get("additions", store.add_addition(ACME, "M365-BP", 3)) or {}
    assert (seeded["unitPrice"], seeded["unitCost"]) == (22.0, 19.8)
    assert seeded["description"] == "Microsoft 365 Business Premium"
    explicit = store.get("additions", store.add_addition(ACME, M365, 1, unit_price=0)) or {}
    assert explicit["unitPrice"] == 0.0


# -- seeds ------------------------------------------------------------------------------------


def test_the_demo_seed_has_agreements_that_must_not_bill(store: Store) -> None:
    agreements = {a["id"]: a for a in store.dump()["agreements"]}
    assert agreements[NORTHWIND_OLD]["name"] == "Northwind - Managed Services (2021-2023)"
    assert agreements[NORTHWIND_NEXT]["name"] == "Northwind - Managed Services (next term)"
    assert agreements[CONTOSO_MS]["company"]["identifier"] == "Contoso"
    contoso = [a for a in agreements.values() if a["company"]["identifier"] == "Contoso"]
    managed = [a for a in contoso if a["type"]["name"] == "Managed Services"]
    assert [a["agreementStatus"] for a in managed] == ["Expired"]  # its only one, expired
    assert not any(a["cancelledFlag"] for a in (*managed, agreements[NORTHWIND_OLD]))


def test_the_large_seed_has_expired_and_future_terms_after_the_others() -> None:
    store = Store(clock=lambda: datetime(2026, 12, 1, tzinfo=UTC))
    seed_large(store, 22, 2, seed=3)
    agreements = store.dump()["agreements"]
    first, extra = agreements[:22], agreements[22:]
    assert [a["agreementStatus"] for a in first] == ["Active"] * 22
    assert [(a["company"]["identifier"], a["agreementStatus"]) for a in extra] == [
        ("C00007", "Expired"),
        ("C00014", "Expired"),
        ("C00021", "Expired"),
        ("C00011", "Inactive"),
        ("C00022", "Inactive"),
    ]
    assert {a["type"]["name"] for a in agreements} == {"Managed Services"}
    assert len(store.dump()["additions"]) == 44  # the extra terms carry none
