"""The Sophos source against the fake Sophos Central over loopback HTTP: records, tokens, paging."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from psabill.errors import SourceError
from psabill.sandbox.sophos_data import Tenant
from psabill.sources import read_all
from psabill.sources.vendors import RunMoment, read_vendor
from psabill.sources.vendors.period import usage_month
from tests.sources.sophos_support import FakeSophos, fake_sophos, many_lines  # noqa: F401

TOKEN = "/api/v2/oauth2/token"
USAGE_NOV = "/partner/v1/billing/usage/2026/11"


def test_records_sum_lines_per_tenant_and_sku_with_names(sophos: FakeSophos) -> None:
    records = {(r.customer, r.sku): r for r in sophos.read()}
    acme = records[("7d1f3c2e-acme", "CIXA")]
    assert acme.quantity == Decimal(45)  # 30 + 15 over two lines
    assert acme.customer_name == "Acme Dental Group"
    assert acme.note == "billable 45, in use 47"
    assert "(+1 line)" in acme.location
    assert records[("c0n7-contoso", "CIXA")].quantity == Decimal(8)
    assert records[("c0n7-contoso", "CIXA")].note is None
    assert records[("4be1-mueller", "CIXA")].customer_name == "Müller & Söhne GmbH"
    assert sophos.paths() == [TOKEN, "/whoami/v1", "/partner/v1/tenants", USAGE_NOV]


def test_a_line_without_a_tenant_is_kept_as_an_unmapped_customer(sophos: FakeSophos) -> None:
    records = sophos.read()
    orphan = next(r for r in records if r.customer == "no-tenant-SA-0001")
    assert orphan.quantity == Decimal(10)
    assert sophos.warnings == [
        'sophos "sophos": 2026-11: 10 seats of usage without a tenant (accountId), listed as '
        "unmapped customer no-tenant-SA-0001",
        'sophos "sophos": 2026-11: billableQuantity (which bills) differs from actualQuantity '
        "for 2 tenants and SKUs: Acme Dental Group CIXA billable 45, in use 47; "
        "Standalone subscription CIXA billable 10, in use 9",
    ]


def test_warnings_are_logged_when_nobody_collects_them(
    sophos: FakeSophos, caplog: pytest.LogCaptureFixture
) -> None:
    when = RunMoment(sophos.clock.now)
    with caplog.at_level(logging.WARNING):
        read_vendor(sophos.source(), when, frozenset(), sophos.runtime)
    assert "10 seats of usage without a tenant (accountId)" in caplog.text
    assert "billableQuantity (which bills) differs from actualQuantity for 2 tenants" in caplog.text


def test_actual_quantity_bills_when_configured(sophos: FakeSophos) -> None:
    records = {
        (r.customer, r.sku): r for r in sophos.read(sophos.source(quantity_field="actualQuantity"))
    }
    assert records[("7d1f3c2e-acme", "CIXA")].quantity == Decimal(47)
    assert records[("7d1f3c2e-acme", "CIXA")].note == "in use 47, billable 45"


def test_the_token_is_reused_until_shortly_before_it_expires(sophos: FakeSophos) -> None:
    sophos.read()
    sophos.clock.advance(3000)
    sophos.read()
    assert sophos.server.sophos.tokens_issued == 1
    sophos.clock.advance(545)  # 3545 s: within a minute of the 3600 s expiry
    sophos.read()
    assert sophos.server.sophos.tokens_issued == 2
    assert sophos.paths().count(TOKEN) == 2


def test_usage_pages_follow_next_key(sophos: FakeSophos) -> None:
    sophos.world.usage[(2026, 11)] = many_lines(250)
    records = sophos.read()
    assert sum(r.quantity for r in records) == 250
    queries = sophos.queries(USAGE_NOV)
    assert queries == [
        "pageSize=100&pageTotal=true",
        "pageSize=100&pageTotal=true&pageFromKey=k100",
        "pageSize=100&pageTotal=true&pageFromKey=k200",
    ]


def test_tenant_pages_are_numbered(sophos: FakeSophos) -> None:
    sophos.world.tenants.extend(Tenant(f"extra-{i}", f"Extra {i}") for i in range(230))
    sophos.read()
    pages = sophos.queries("/partner/v1/tenants")
    assert [q.split("&")[0] for q in pages] == ["page=1", "page=2", "page=3"]


def test_a_configured_partner_id_skips_whoami(sophos: FakeSophos) -> None:
    sophos.read(sophos.source(partner_id=sophos.world.partner_id))
    assert "/whoami/v1" not in sophos.paths()


def test_which_month_is_read() -> None:
    at = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)  # still Nov 30 in New York
    from zoneinfo import ZoneInfo

    ny = ZoneInfo("America/New_York")
    assert usage_month(RunMoment(at, ny), "current").label == "2026-11"
    assert usage_month(RunMoment(at, UTC), "current").label == "2026-12"
    assert usage_month(RunMoment(at, UTC), "previous").label == "2026-11"
    january = RunMoment(datetime(2027, 1, 2, tzinfo=UTC))
    assert usage_month(january, "previous").label == "2026-12"
    assert usage_month(RunMoment(at, UTC, "weekly"), "current").partial
    assert not usage_month(RunMoment(at, UTC, "monthly"), "current").partial


def test_a_weekly_run_reads_the_month_so_far_and_says_so(sophos: FakeSophos) -> None:
    source = sophos.source(usage_month="current")
    with pytest.raises(SourceError):
        sophos.read(source, mode="weekly")  # the fake publishes no month before it ends
    assert sophos.warnings == [  # said before the read failed, and kept
        'sophos "sophos": reads 2026-12 so far (the month is not over; a weekly or daily '
        "schedule bills the usage to date)"
    ]


def test_fractions_are_refused_unless_the_sku_allows_them(sophos: FakeSophos) -> None:
    sophos.world.usage[(2026, 11)][0]["billableQuantity"] = 2.5
    with pytest.raises(SourceError, match=r"items\[0\]: 2.5 is not a whole number"):
        sophos.read()


def test_read_all_carries_the_warnings_each_on_one_line(sophos: FakeSophos) -> None:
    for line in sophos.world.usage[(2026, 11)]:
        if "accountId" not in line:
            line["partnerAccountName"] = "Standalone\nsubscription"
    when = RunMoment(sophos.clock.now)
    [result] = read_all(
        [sophos.source()], base_dir=Path("."), env={}, decimal_skus=frozenset(), moment=when
    )
    assert result.ok
    assert len(result.warnings) == 2
    assert all(text.isprintable() for text in result.warnings)
    assert "Standalone\\nsubscription CIXA billable 10, in use 9" in result.warnings[1]
