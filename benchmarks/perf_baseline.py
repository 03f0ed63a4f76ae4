"""The baseline of ``benchmarks/perf.py``: a seat sync the way a typical script does it.

Sequential, one customer at a time, a lookup per product, ConnectWise's default page size (25):

    GET company, GET its agreements, GET the agreement's additions,
    then per product: GET the catalog item, then POST a new addition or PATCH its quantity.

Written plainly with httpx against the same sandbox and data as psabill; a dry run skips the
writes. It keeps one connection open (as ``httpx.Client`` does), retries nothing and paces
nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from psabill.sandbox import DEMO_CREDENTIALS

AGREEMENT_TYPE = "Managed Services"


def sync(
    site: str, usage: Mapping[tuple[str, str], int], customers: list[str], *, dry_run: bool
) -> None:
    """Sync ``usage`` of ``customers`` (in this order) into the PSA at ``site``."""
    by_customer: dict[str, dict[str, int]] = defaultdict(dict)
    for (customer, sku), quantity in usage.items():
        by_customer[customer][sku] = quantity
    creds = DEMO_CREDENTIALS
    with httpx.Client(headers=creds.headers(), timeout=60) as client:
        info = client.get(f"{site}/login/companyinfo/{creds.company}").json()
        client.base_url = httpx.URL(f"{site}/{info['Codebase']}apis/3.0/")
        for customer in customers:
            _customer(client, customer, by_customer[customer], dry_run=dry_run)


def _customer(
    client: httpx.Client, identifier: str, seats: dict[str, int], *, dry_run: bool
) -> None:
    company = _one(client, "company/companies", f'identifier="{identifier}"')
    agreements = _all(
        client, "finance/agreements", f'company/id={company["id"]} and type/name="{AGREEMENT_TYPE}"'
    )
    agreement = next(a for a in agreements if a["agreementStatus"] == "Active")
    additions = {
        a["product"]["identifier"]: a
        for a in _all(client, f"finance/agreements/{agreement['id']}/additions")
        if a["cancelledDate"] is None
    }
    for sku, quantity in sorted(seats.items()):
        product = _one(client, "procurement/catalog", f'identifier="{sku}"')
        existing = additions.get(sku)
        if dry_run or (existing is not None and existing["quantity"] == quantity):
            continue
        if existing is None:
            _check(
                client.post(
                    f"finance/agreements/{agreement['id']}/additions", json=_new(product, quantity)
                )
            )
        else:
            patch = [{"op": "replace", "path": "quantity", "value": quantity}]
            _check(
                client.patch(
                    f"finance/agreements/{agreement['id']}/additions/{existing['id']}", json=patch
                )
            )


def _new(product: Mapping[str, Any], quantity: int) -> dict[str, Any]:
    month = datetime.now(UTC).date().replace(day=1)
    return {
        "product": {"id": product["id"]},
        "quantity": quantity,
        "billCustomer": "Billable",
        "effectiveDate": f"{month.isoformat()}T00:00:00Z",
    }


def _pages(client: httpx.Client, path: str, conditions: str | None) -> Iterator[dict[str, Any]]:
    page = 1
    while True:
        params: dict[str, Any] = {"page": page}
        if conditions:
            params["conditions"] = conditions
        rows = _check(client.get(path, params=params)).json()
        yield from rows
        if len(rows) < 25:
            return
        page += 1


def _all(client: httpx.Client, path: str, conditions: str | None = None) -> list[dict[str, Any]]:
    return list(_pages(client, path, conditions))


def _one(client: httpx.Client, path: str, conditions: str) -> dict[str, Any]:
    rows = _check(client.get(path, params={"conditions": conditions})).json()
    if len(rows) != 1:
        raise RuntimeError(f"baseline: {len(rows)} rows for {path}?conditions={conditions}")
    return dict(rows[0])


def _check(response: httpx.Response) -> httpx.Response:
    if response.is_error:
        raise RuntimeError(
            f"baseline: {response.request.method} {response.request.url.path} "
            f"answered {response.status_code}: {response.text[:200]}"
        )
    return response
