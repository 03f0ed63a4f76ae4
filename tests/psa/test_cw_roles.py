"""A 403 during a sync names the security role setting exactly as ``psabill doctor`` does.

Both run against the sandbox as its seeded API members, each missing one right: doctor's fix for
its failing check and the hint of the sync request that needs the same right must be the same
sentence.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from psabill.core.entities import NewAddition, NewCatalogItem
from psabill.errors import PsaError
from psabill.psa.connectwise import roles
from psabill.psa.connectwise.client import ConnectWiseClient
from psabill.sandbox import Sandbox, Store, seed_demo
from psabill.sandbox.security import PARTIAL_ROLES, member_credentials
from tests.psa.conftest import FakeClock, run
from tests.psa.support import sandbox_psa

NOW = datetime(2025, 3, 15, 12, 0, tzinfo=UTC)
AGREEMENT = 1500
Call = Callable[[ConnectWiseClient], Awaitable[Any]]

# member: (doctor's failing check, a sync request that needs the same right, its setting)
SYNC_CALLS: dict[str, tuple[str, Call, str]] = {
    "no-company-inquire": (
        "read companies",
        lambda c: c.companies(["AcmeDental"]),
        roles.level(roles.COMPANIES, "Inquire"),
    ),
    "no-agreement-inquire": (
        "read agreements",
        lambda c: c.agreements([1]),
        roles.level(roles.AGREEMENTS, "Inquire"),
    ),
    "no-agreement-add": (
        "add additions",
        lambda c: c.create_addition(
            NewAddition(AGREEMENT, 705, "M365-BP", Decimal(3), date(2025, 4, 1))
        ),
        roles.level(roles.AGREEMENTS, "Add"),
    ),
    "no-agreement-edit": (
        "edit additions",
        lambda c: c.update_addition_quantity(AGREEMENT, 1, Decimal(5)),
        roles.level(roles.AGREEMENTS, "Edit"),
    ),
    "no-catalog-inquire": (
        "read the product catalog",
        lambda c: c.catalog_items(["M365-BP"]),
        roles.level(roles.CATALOG, "Inquire"),
    ),
    "no-catalog-add": (
        "add catalog items (for create_default)",
        lambda c: c.create_catalog_item(NewCatalogItem("NEW-SKU", "New", "New", Decimal(1))),
        roles.level(roles.CATALOG, "Add"),
    ),
    "no-invoice-inquire": (
        "read invoices",
        lambda c: c.invoices([1], date(2025, 1, 1), date(2025, 3, 1)),
        roles.level(roles.INVOICING, "Inquire"),
    ),
}


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    store = Store(clock=lambda: NOW)
    seed_demo(store)
    with Sandbox(store) as running:
        yield running


def _client(sandbox: Sandbox, member: str) -> ConnectWiseClient:
    keys = member_credentials(member)
    psa = sandbox_psa(sandbox, keys)
    clock = FakeClock()
    return ConnectWiseClient(psa, sleep=clock.sleep, monotonic=clock.monotonic, timeout=5.0)


def test_every_partial_member_has_a_sync_call() -> None:
    assert set(SYNC_CALLS) == set(PARTIAL_ROLES) - {"readonly"}


@pytest.mark.parametrize("member", sorted(SYNC_CALLS))
def test_the_sync_time_403_hint_is_doctor_s_fix(sandbox: Sandbox, member: str) -> None:
    failing, call, setting = SYNC_CALLS[member]
    report = run(_client(sandbox, member), lambda c: c.check_access())
    [doctor] = [check for check in report.checks if check.name == failing]
    assert doctor.ok is False
    with pytest.raises(PsaError, match=r"\(403\)") as caught:
        run(_client(sandbox, member), call)

    assert caught.value.hint == doctor.hint
    assert caught.value.hint == (
        f"in ConnectWise, System > Security Roles > the API member's role: set {setting} to All"
    )
    assert f"{setting} All" in doctor.detail
