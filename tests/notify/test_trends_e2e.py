"""Trends from a ledger built by real scheduled syncs over four billing periods (sandbox PSA).

`psabill report --customer` shows each product per completed period with a sparkline and the
change; the monthly run summary carries a compact block of the biggest moves.
"""

from __future__ import annotations

import json
import re
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from tests.e2e.conftest import World
from tests.e2e.conftest import world as world

# The global slot is the 1st at 06:00 New York; these instants are half an hour after it.
MONTHS = ("2026-12-01", "2027-01-01", "2027-02-01", "2027-03-01")
ACME_CIXA = (45, 50, 50, 61)  # licences reported before each month's run
ACME = "7d1f3c2e-acme"


def _set_acme_cixa(world: World, count: int) -> None:
    path = world.usage("sophos.csv")
    pattern = rf"^({re.escape(ACME)},Acme Dental Group,CIXA,Intercept X Advanced,)\d+,"
    text, found = re.subn(pattern, rf"\g<1>{count},", path.read_text(), flags=re.MULTILINE)
    assert found == 1
    path.write_text(text, encoding="utf-8")
    assert f"{ACME},Acme Dental Group,CIXA,Intercept X Advanced,{count}," in path.read_text()


@pytest.fixture
def synced(world: World) -> World:
    """Four scheduled runs, a month apart, Acme's CIXA count changing between them."""
    original = world.usage("sophos.csv").read_text(encoding="utf-8")
    for month, count in zip(MONTHS, ACME_CIXA, strict=True):
        world.usage("sophos.csv").write_text(original, encoding="utf-8")
        _set_acme_cixa(world, count)
        result = world.psabill("sync", now=f"{month}T11:30:00+00:00")
        assert result.exit_code == 0, result.output
    return world


def test_report_shows_each_product_over_the_periods(synced: World) -> None:
    result = synced.psabill("report", "--customer", ACME, "--periods", "12")
    assert result.exit_code == 0, result.output
    lines = [line.rstrip() for line in result.output.splitlines()]
    assert lines[0] == "Acme Dental Group: quantities over the last 4 periods (of 12 asked)"
    header = lines[1].split()
    assert header == ["Product", "2026-12", "2027-01", "2027-02", "2027-03", "Trend", "Change"]
    cixa = next(line for line in lines if line.startswith("CIXA "))
    assert cixa.split()[:6] == ["CIXA", "45", "50", "50", "61", "▁▃▃█"]
    assert cixa.endswith("45 → 61 (+16, +35.6%)")
    xdr = next(line for line in lines if line.startswith("CIXA-XDR "))
    assert "▄▄▄▄" in xdr
    assert xdr.endswith("5 → 5 (+0, +0.0%)")


def test_report_json_and_a_short_window(synced: World) -> None:
    result = synced.psabill("report", "--customer", ACME, "--periods", "2", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["keys"] == [f"sophos:{ACME}"]
    cixa = next(s for s in data["series"] if s["product"] == "CIXA")
    assert cixa["periods"] == ["2027-02", "2027-03"]
    assert cixa["quantities"] == ["50", "61"]
    assert (cixa["first"], cixa["last"], cixa["change"]) == ("50", "61", "11")
    assert cixa["sparkline"] == "▁█"


def test_a_company_name_covers_all_its_vendor_accounts(synced: World) -> None:
    result = synced.psabill("report", "--customer", "acme dental group", "--json")
    data = json.loads(result.stdout)
    assert data["keys"] == [f"sophos:{ACME}", "lastpass:acme-lp-1001"]
    assert {s["customer"] for s in data["series"]} == set(data["keys"])
    text = synced.psabill("report", "--customer", "Acme Dental Group").output.splitlines()
    assert text[1].split()[:2] == ["Account", "Product"]  # several accounts: say whose
    assert [f"sophos:{ACME}", "CIXA"] in [line.split()[:2] for line in text]


def test_a_manual_run_completes_no_period(synced: World) -> None:
    _set_acme_cixa(synced, 70)
    assert synced.psabill("sync", "--now", now="2027-03-10T12:00:00+00:00").exit_code == 0
    data = json.loads(synced.psabill("report", "--customer", ACME, "--json").stdout)
    cixa = next(s for s in data["series"] if s["product"] == "CIXA")
    assert cixa["quantities"] == ["45", "50", "50", "61"]  # March is still what March billed


def test_unknown_customer_is_a_usage_error_with_suggestions(synced: World) -> None:
    result = synced.psabill("report", "--customer", "7d1f3c2e-acmee")
    assert result.exit_code == 2
    assert "--customer '7d1f3c2e-acmee': no such customer" in result.output
    assert f"did you mean sophos:{ACME}?" in result.output
    assert "Traceback" not in result.output
    both = synced.psabill("report", "1", "--customer", ACME)
    assert both.exit_code == 2
    assert "either a RUN_ID or --customer ID" in both.output


def test_run_id_still_shows_one_run(synced: World) -> None:
    result = synced.psabill("report", "1")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Run 1: scheduled, period ")


def test_the_monthly_summary_carries_the_biggest_moves(synced: World) -> None:
    mail = sorted((synced.setup.directory / "mail").glob("*-run4-*.eml"))
    assert mail, "the fourth run wrote no summary"
    message = message_from_bytes(mail[0].read_bytes(), policy=policy.default)
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    block = text[text.index("Trends over the last 4 periods") :]
    first = next(line for line in block.splitlines() if "CIXA " in line)
    assert first.startswith("Acme Dental Group")
    assert "45 → 61 (+16, +35.6%)" in first
    assert "CIXA-XDR" not in block  # 5 every month: not a move


def test_no_periods_yet_says_so(world: World, tmp_path: Path) -> None:
    assert world.psabill("sync", "--now").exit_code == 0
    result = world.psabill("report", "--customer", ACME)
    assert result.exit_code == 0, result.output
    assert "no completed billing period in the ledger yet" in result.output
