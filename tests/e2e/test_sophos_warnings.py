"""What the Sophos source warns about changes a bill, so a run never only logs it: each warning
reaches stderr under ``-q``, ``--json``, the ledger's summary and the run summary mail, over
loopback with the fake Sophos Central."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import Result

from psabill.sandbox import Sandbox, Store, seed_demo
from psabill.sandbox.demo import prepare
from psabill.sandbox.sophos_server import SophosSandbox
from tests.e2e.test_sophos_e2e import SophosWorld

TENANTLESS = (
    'sophos "sophos": {month}: 10 seats of usage without a tenant (accountId), listed as '
    "unmapped customer no-tenant-SA-0001"
)
DIFFERS = (
    'sophos "sophos": {month}: billableQuantity (which bills) differs from actualQuantity for '
    "2 tenants and SKUs: Acme Dental Group CIXA billable 45, in use 47; Standalone "
    "subscription CIXA billable 10, in use 9"
)
PARTIAL = (
    'sophos "sophos": reads {month} so far (the month is not over; a weekly or daily schedule '
    "bills the usage to date)"
)


@pytest.fixture(name="world")
def sophos_world(tmp_path: Path) -> Iterator[SophosWorld]:
    """The demo config reading the fake Sophos Central, synced into the sandbox PSA."""
    store = Store()
    seed_demo(store)
    psa, sophos = Sandbox(store), SophosSandbox()
    with psa, sophos:
        yield SophosWorld(psa, sophos, prepare(psa.site_url, tmp_path / "demo", sophos))


def _month(world: SophosWorld) -> str:
    """The month the "previous" source reads: the one the fake published last."""
    year, month = max(world.sophos.world.usage)
    return f"{year:04d}-{month:02d}"


def _quiet_sync(world: SophosWorld) -> tuple[Result, dict[str, Any]]:
    result = world.psabill("-q", "sync", "--now", "--json")
    return result, json.loads(result.stdout)


def _warned(result: Result) -> list[str]:
    return [line.removeprefix("warning: ") for line in result.stderr.splitlines()]


def _mail_text(world: SophosWorld) -> str:
    """The plain-text body of the one run summary the run wrote (customers get their own)."""
    messages = [
        message_from_bytes(path.read_bytes(), policy=policy.default)
        for path in sorted(world.setup.mail_dir.glob("*.eml"))
    ]
    runs = [m for m in messages if str(m["Subject"]).startswith("psabill: ")]
    assert len(runs) == 1, [str(m["Subject"]) for m in messages]
    message = runs[0]
    assert isinstance(message, EmailMessage)
    body = message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert isinstance(text, str)
    return " ".join(text.split())  # a long note may wrap


def _stored(world: SophosWorld, run_id: int) -> list[str]:
    result = world.psabill("report", str(run_id), "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)["run"]["summary"]
    warnings = summary["source_warnings"]
    assert isinstance(warnings, list)
    return [str(text) for text in warnings]


def test_tenantless_usage_and_differing_counts_are_said_everywhere(world: SophosWorld) -> None:
    month = _month(world)
    expected = [TENANTLESS.format(month=month), DIFFERS.format(month=month)]
    result, data = _quiet_sync(world)
    assert result.exit_code == 0, result.output
    assert data["source_warnings"] == expected
    assert [text for text in _warned(result) if text in expected] == expected
    mail = _mail_text(world)
    assert "Source warnings" in mail
    for text in expected:
        assert text in mail
    assert _stored(world, data["run_id"]) == expected
    # `plan` says them too, under -q and beside its --json.
    plan = world.psabill("-q", "plan", "--json")
    assert json.loads(plan.stdout)["source_warnings"] == expected
    assert [text for text in _warned(plan) if text in expected] == expected


def test_a_month_read_before_it_is_over_is_said_even_when_the_source_fails(
    world: SophosWorld,
) -> None:
    config = world.setup.config
    text = config.read_text(encoding="utf-8")
    weekly = text.replace('mode = "monthly"\nday = 1\n', 'mode = "weekly"\nweekday = "monday"\n')
    weekly = weekly.replace('usage_month = "previous"', 'usage_month = "current"')
    assert weekly.count('"weekly"') == 1
    assert 'usage_month = "current"' in weekly
    config.write_text(weekly, encoding="utf-8")
    result, data = _quiet_sync(world)
    assert result.exit_code == 3, result.output  # the fake publishes no month before it ends
    # The month as the demo account's zone sees the run's instant.
    now = datetime.fromisoformat(data["now"]).astimezone(ZoneInfo("America/New_York"))
    expected = [PARTIAL.format(month=f"{now:%Y-%m}")]
    assert data["source_warnings"] == expected
    assert expected[0] in _warned(result)
    assert any("is not published yet" in error for error in data["source_errors"])
    assert expected[0] in _mail_text(world)
    assert _stored(world, data["run_id"]) == expected


def test_a_run_with_nothing_to_warn_about_says_nothing(world: SophosWorld) -> None:
    for lines in world.sophos.world.usage.values():
        for line in lines:
            line["actualQuantity"] = line["billableQuantity"]
            line.setdefault("accountId", "7d1f3c2e-acme")
    result, data = _quiet_sync(world)
    assert result.exit_code == 0, result.output
    assert data["source_warnings"] == []
    assert "warning: " not in result.stderr
    assert "Source warnings" not in _mail_text(world)


def test_doctor_shows_what_the_source_warns_about(world: SophosWorld) -> None:
    result = world.psabill("doctor", "--json")
    checks = {str(c["name"]): c for c in json.loads(result.stdout)["checks"]}
    detail = str(checks["source sophos"]["detail"])
    month = _month(world)
    assert checks["source sophos"]["ok"] is True
    assert f"; warning: {TENANTLESS.format(month=month)}" in detail
    assert f"; warning: {DIFFERS.format(month=month)}" in detail


def test_listings_still_say_what_the_source_warns_about(world: SophosWorld) -> None:
    result = world.psabill("customers", "list", "--offline")
    assert result.exit_code == 0, result.output
    assert TENANTLESS.format(month=_month(world)) in result.stderr
