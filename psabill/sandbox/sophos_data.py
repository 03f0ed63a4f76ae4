"""What the fake Sophos Central holds: API credentials, a partner, tenants and monthly usage.

:func:`seed_sophos_demo` lines up with the ConnectWise demo (``seed_demo`` and the demo
config): the same tenants as the demo's Sophos customers, the same SKUs and, summed, the same
counts as ``usage/sophos.csv``, spread over several lines per tenant and SKU, with
``actualQuantity`` differing from ``billableQuantity`` and one standalone line without a tenant.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date
from typing import Any

DEMO_PARTNER = "5f0c7e3a-9d41-4b8e-a2f6-partner00001"
DEMO_CLIENT_ID = "psabill-demo-sophos"
DEMO_CLIENT_SECRET = "sandbox-sophos-secret"  # noqa: S105 - the fake's public demo secret
TENANT_CLIENT_ID = "psabill-demo-tenant"
"""A credential created in a tenant's Sophos Central: whoami says ``idType`` tenant."""
DEMO_MONTHS = 24
"""Months of usage the demo seed publishes, ending with the month before the seed date."""


@dataclass(frozen=True)
class Credential:
    secret: str
    id: str
    id_type: str


@dataclass(frozen=True)
class Tenant:
    id: str
    name: str
    billing_type: str = "usage"
    partner_assistance: bool = True
    """A term customer without Partner Assistance: partner calls about it are refused (403)."""
    data_geography: str = "US"


@dataclass
class SophosWorld:
    """The fake's data; every change goes through :attr:`lock` (one thread per connection)."""

    partner_id: str = DEMO_PARTNER
    credentials: dict[str, Credential] = field(default_factory=dict)
    tenants: list[Tenant] = field(default_factory=list)
    usage: dict[tuple[int, int], list[dict[str, Any]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add_credential(self, client_id: str, secret: str, id_type: str = "partner") -> None:
        ident = self.partner_id if id_type == "partner" else f"{client_id}-{id_type}-id"
        self.credentials[client_id] = Credential(secret, ident, id_type)

    def add_usage(self, year: int, month: int, lines: list[dict[str, Any]]) -> None:
        self.usage.setdefault((year, month), []).extend(lines)

    def dump(self) -> dict[str, Any]:
        with self.lock:
            return {
                "partner_id": self.partner_id,
                "tenants": [t.__dict__ for t in self.tenants],
                "usage": {f"{y:04d}-{m:02d}": lines for (y, m), lines in self.usage.items()},
            }


def usage_line(
    tenant: Tenant | None,
    sku: str,
    description: str,
    billable: int,
    actual: int,
    *,
    year: int,
    month: int,
    order: str,
    account: str = "",
) -> dict[str, Any]:
    """One usage line with every field the Partner API documents (``accountId`` only for a
    tenant: a standalone subscription has none)."""
    end = date(year + month // 12, month % 12 + 1, 1).toordinal() - 1
    line: dict[str, Any] = {
        "partnerAccountId": DEMO_PARTNER,
        "partnerEdiAccountNumber": "EDI-100042",
        "partnerAccountName": tenant.name if tenant else "Standalone subscription",
        "billingStartDate": f"{year:04d}-{month:02d}-01",
        "billingEndDate": date.fromordinal(end).isoformat(),
        "orderNumber": order,
        "orderLineItemNumber": f"{order}-1",
        "accountNumberOrSerialNumber": account or (tenant.id[:8] if tenant else "SA-0001"),
        "productDescription": description,
        "productGroup": "Server" if sku.endswith("SRV") else "User",
        "sku": sku,
        "productCode": sku,
        "billableQuantity": billable,
        "actualQuantity": actual,
        "externalId": None,
    }
    if tenant is not None:
        line |= {"accountId": tenant.id, "accountStatus": "active"}
    return line


DEMO_TENANTS = (
    Tenant("7d1f3c2e-acme", "Acme Dental Group"),
    Tenant("4be1-mueller", "Müller & Söhne GmbH", data_geography="DE"),
    Tenant("c0n7-contoso", "Contoso Pharmacy"),
    Tenant("ff00-newclient", "Fairview Clinic"),
    Tenant("9e9e-termco", "Termco Industries", billing_type="term", partner_assistance=False),
)
IX, XDR, SRV = "Intercept X Advanced", "Intercept X Advanced with XDR", "Intercept X for Server"
# (tenant index or None, sku, description, billable, actual): sums match usage/sophos.csv.
DEMO_LINES: tuple[tuple[int | None, str, str, int, int], ...] = (
    (0, "CIXA", IX, 30, 31),
    (0, "CIXA", IX, 15, 16),
    (0, "CIXA-XDR", XDR, 5, 5),
    (0, "CIXA-SRV", SRV, 2, 2),
    (1, "CIXA", IX, 17, 17),
    (2, "CIXA", IX, 5, 5),
    (2, "CIXA", IX, 3, 3),
    (3, "CIXA", IX, 3, 3),
    (None, "CIXA", IX, 10, 9),
)


def seed_sophos_demo(world: SophosWorld, today: date) -> None:
    """The demo partner, its credentials, tenants and :data:`DEMO_MONTHS` months of usage."""
    world.partner_id = DEMO_PARTNER
    world.add_credential(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
    world.add_credential(TENANT_CLIENT_ID, DEMO_CLIENT_SECRET, id_type="tenant")
    world.tenants.extend(DEMO_TENANTS)
    year, month = today.year, today.month
    for _ in range(DEMO_MONTHS):
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        world.add_usage(year, month, demo_month(year, month))


def demo_month(year: int, month: int) -> list[dict[str, Any]]:
    lines = []
    for number, (tenant, sku, text, billable, actual) in enumerate(DEMO_LINES, start=1):
        owner = DEMO_TENANTS[tenant] if tenant is not None else None
        order = f"SO-{year % 100:02d}{month:02d}{number:03d}"
        lines.append(
            usage_line(owner, sku, text, billable, actual, year=year, month=month, order=order)
        )
    return lines
