"""What the end-to-end tests do to a sandbox PSA behind psabill's back, per PSA.

A person editing the PSA by hand (a line added, a Service created), and which requests are
writes and where a test aims a fault: the only places the PSA-neutral tests need to know
which PSA they are on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import cast

from psabill.sandbox import Sandbox
from psabill.sandbox.autotask import AutotaskSandbox
from psabill.sandbox.autotask.data import MONTHLY
from psabill.sandbox.halopsa import HaloSandbox
from psabill.sandbox.transport import RequestRecord

WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})


@dataclass(frozen=True)
class WritePaths:
    """Fault targets (method, path regular expression) for one PSA's writes."""

    create: tuple[str, str]
    """The request that makes a new line (Autotask: any unit adjustment)."""
    update: tuple[str, str]
    """The request that changes a line's quantity."""


WRITE_PATHS = {
    "connectwise": WritePaths(
        ("POST", "/additions$"), ("PATCH", r"/agreements/\d+/additions/\d+$")
    ),
    "autotask": WritePaths(
        ("POST", "/ContractServiceAdjustments$"), ("POST", "/ContractServiceAdjustments$")
    ),
    "halopsa": WritePaths(
        ("POST", "/RecurringInvoice/Lines$"), ("POST", "/RecurringInvoice/updatelines$")
    ),
}


def write_requests(kind: str, requests: list[RequestRecord]) -> list[RequestRecord]:
    """The requests that asked the PSA to change something: not reads, not Autotask's
    queries (POSTs that read), not Halo's token requests."""
    writes = [r for r in requests if r.method in WRITE_METHODS]
    if kind == "autotask":
        return [r for r in writes if not r.path.rstrip("/").endswith("/query")]
    if kind == "halopsa":
        return [r for r in writes if r.path.rstrip("/").lower() != "/auth/token"]
    return writes


def make_service(sandbox: Sandbox, name: str, description: str) -> None:
    """An active Autotask Service named ``name``, made by hand (not yet started sandbox)."""
    world = cast(AutotaskSandbox, sandbox).world
    world.put(
        "Services",
        {
            "id": world.new_id(),
            "name": name,
            "description": description,
            "invoiceDescription": description,
            "isActive": True,
            "periodType": MONTHLY,
            "unitPrice": 6.25,
            "unitCost": 3.9,
        },
    )


def add_line(sandbox: Sandbox, agreement_id: int, sku: str, quantity: int) -> None:
    """A line for catalog item ``sku`` (the ConnectWise identifier) on agreement
    ``agreement_id`` (this PSA's id), billing ``quantity`` from the demo's start."""
    start = date(2024, 1, 1)
    [item] = [row for row in sandbox.store.rows("catalog") if row["identifier"] == sku]
    if sandbox.kind == "connectwise":
        sandbox.store.add_addition(
            agreement_id, sku, quantity, effective_date="2024-01-01T00:00:00Z"
        )
    elif sandbox.kind == "autotask":
        world = cast(AutotaskSandbox, sandbox).world
        link = world.put(
            "ContractServices",
            {
                "id": world.new_id(),
                "contractID": agreement_id,
                "serviceID": item["id"],
                "unitPrice": float(item["price"]),
                "unitCost": float(item["cost"]),
                "adjustedPrice": None,
                "invoiceDescription": item["description"],
                "internalDescription": None,
            },
        )
        world.adjust(agreement_id, int(item["id"]), link, start, quantity, seeded=True)
    else:
        halo = cast(HaloSandbox, sandbox).world
        halo.put(
            "lines",
            {
                "id": halo.new_id("lines"),
                "ihid": agreement_id,
                "_itemid": item["id"],
                "item_code": item["description"],
                "item_shortdescription": item["description"],
                "qty_order": quantity,
                "unit_price": float(item["price"]),
                "unit_cost": float(item["cost"]),
                "startdate": "2024-01-01T00:00:00",
                "enddate": None,
                "isinactive": False,
                "recurring_invoice_quantity_type": 0,
                "quantity_licences": [],
            },
        )
