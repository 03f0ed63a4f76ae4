"""``psabill doctor``: can psabill reach the PSA and do what a sync needs?"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import click

from psabill.cli.app import App, echo_json, pass_app
from psabill.errors import ExitCode
from psabill.psa import AccessReport, open_client
from psabill.psa.base import PsaClient

MARKS = {True: "ok  ", False: "FAIL", None: "??  "}


async def _check(client: PsaClient) -> AccessReport:
    async with client:
        return await client.check_access()


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
@pass_app
def doctor(app: App, as_json: bool) -> None:
    """Check connectivity, credentials, the API version and the API member's permissions.

    Reads companies, agreements, the catalog and invoices, and probes the
    right to add and edit agreement additions without changing any billing
    data. Each failed check says exactly what to fix; a missing permission
    is named as the security role setting to change, for example
    "Finance > Agreements: Edit Level All". Exit 0 when everything a sync
    needs works, 1 otherwise.

    \b
    Example:
      psabill doctor
    """
    cfg = app.loaded().config
    report = asyncio.run(_check(open_client(cfg.psa)))
    if as_json:
        echo_json(_report_json(report))
    else:
        click.echo(f"PSA: {cfg.psa.kind} at {report.api_url or report.site}")
        for check in report.checks:
            optional = "" if check.required else " (optional)"
            click.echo(f"  {MARKS[check.ok]} {check.name}{optional}: {check.detail}")
            if check.hint and check.ok is not True:
                click.echo(f"       fix: {check.hint}")
        click.echo("all checks passed" if report.ok else "some checks failed")
    sys.exit(int(ExitCode.OK if report.ok else ExitCode.FAILURE))


def _report_json(report: AccessReport) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "site": report.site,
        "api_url": report.api_url,
        "codebase": report.codebase,
        "checks": [
            {
                "name": c.name,
                "ok": c.ok,
                "detail": c.detail,
                "hint": c.hint,
                "required": c.required,
            }
            for c in report.checks
        ],
    }
