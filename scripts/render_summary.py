"""Render a sample run summary (HTML and text) and, when chromium is installed, screenshot it.

For checking the HTML summary by eye in a real browser engine; the test suite asserts its
structure (tests/notify/test_summary_layout.py) and needs no browser.

Usage (from the repository root)::

    .venv/bin/python scripts/render_summary.py [--out DIR] [--unchanged N]

writes DIR/summary.html, DIR/summary.txt and, if ``chromium`` (Debian: ``apt-get install
chromium``) or ``chromium-browser`` is on PATH, DIR/summary.png taken headless at 1400x1600.
The sample: a partial run with two failed lines, a held customer, priced changes, N
unchanged lines (more than 10 collapse to a count), pacing figures and a trends block.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from psabill.config.models import Config
from psabill.core.outcome import LineResult
from psabill.core.plan import Action, Plan, PlanLine
from psabill.core.report import PacingStats, SyncReport
from psabill.core.trends import Series
from psabill.notify.formats import html_body, text_body
from psabill.notify.summary import run_summary
from psabill.notify.tables import trends_table

NOW = datetime(2026, 12, 1, 11, 30, tzinfo=UTC)
CONFIG = {
    "account": {"name": "Northwind MSP", "timezone": "America/New_York"},
    "psa": {
        "site": "http://127.0.0.1:8917",
        "company": "demo",
        "public_key": "public",
        "private_key": "private",
        "client_id": "00000000-0000-4000-8000-000000000000",
    },
    "smtp": {"sender": "psabill@northwind.example"},
}


def _line(
    label: str, sku: str, action: Action, cur: int | None, new: int | None, **extra: object
) -> PlanLine:
    values: dict[str, object] = {
        "customer": label.lower().replace(" ", "-"),
        "customer_label": label,
        "sku": sku,
        "action": action,
        "why": "usage changed",
        "agreement_name": f"{label.split()[0]} - Managed Services",
        "psa_product": f"PSA-{sku}",
        "current": None if cur is None else Decimal(cur),
        "desired": None if new is None else Decimal(new),
        "unit_price": Decimal("4.50"),
    }
    return PlanLine(**(values | extra))  # type: ignore[arg-type]


def sample_report(unchanged: int) -> SyncReport:
    results = [
        LineResult(_line("Acme Dental Group", "CIXA", "update", 42, 45), "confirmed"),
        LineResult(_line("Contoso Pharmacy", "LP-BUS", "create", None, 9), "confirmed"),
        LineResult(
            _line("Blue Harbor Legal LLP", "WFBS-SVC", "cancel", 6, 0, why="no usage; cancel"),
            "confirmed",
        ),
        LineResult(
            _line("Müller & Söhne GmbH", "CIXA-XDR", "create", None, 5),
            "failed",
            "the PSA answered 500: internal error",
        ),
        LineResult(
            _line("Northwind Logistics", "CONNECT", "held", 120, 12, why="guard: drop 90%"),
            "skipped",
        ),
        LineResult(
            _line("Acme Dental Group", "LP-BUS", "ambiguous", 3, None, why="two additions"),
            "failed",
        ),
    ]
    results += [
        LineResult(_line(f"Customer {n:03d}", "CIXA", "unchanged", 10 + n, 10 + n), "confirmed")
        for n in range(unchanged)
    ]
    return SyncReport(
        outcome="partial",
        now=NOW,
        trigger="scheduled",
        run_id=42,
        plan=Plan(NOW.date(), tuple(r.line for r in results)),
        results=results,
        pacing=PacingStats(requests=1204, throttled=3, waited=12.4),
    )


def sample_trends() -> list[Series]:
    periods = ("2026-07", "2026-08", "2026-09", "2026-10", "2026-11", "2026-12")

    def series(label: str, sku: str, *values: int | None) -> Series:
        numbers = tuple(None if v is None else Decimal(v) for v in values)
        return Series(label.lower(), label, sku, periods, numbers)

    return [
        series("Acme Dental Group", "CIXA", 30, 34, 38, 40, 42, 45),
        series("Contoso Pharmacy", "LP-BUS", None, None, None, 4, 7, 9),
        series("Blue Harbor Legal LLP", "WFBS-SVC", 8, 8, 7, 6, 6, 0),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("summary-sample"))
    parser.add_argument("--unchanged", type=int, default=1234)
    args = parser.parse_args()
    config = Config.model_validate(CONFIG)
    summary = run_summary(
        config,
        sample_report(args.unchanged),
        acting_admin=None,
        now=NOW,
        trends=trends_table(sample_trends()),
    )
    args.out.mkdir(parents=True, exist_ok=True)
    html = args.out / "summary.html"
    html.write_text(html_body(summary), encoding="utf-8")
    (args.out / "summary.txt").write_text(text_body(summary), encoding="utf-8")
    print(f"wrote {html} and {args.out / 'summary.txt'}")
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("chromium not found: no screenshot (Debian: apt-get install chromium)")
        return 0
    png = args.out / "summary.png"
    command = [
        browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
        f"--screenshot={png.resolve()}", "--window-size=1400,1600", html.resolve().as_uri(),
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    print(f"wrote {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
