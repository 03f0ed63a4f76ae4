"""``psabill doctor``: does everything a run needs work, from the PSA to the state directory?"""

from __future__ import annotations

import sys
from typing import Any

import click

from psabill.app.doctor import DoctorReport, run_doctor
from psabill.app.runner import connect_psa
from psabill.cli.app import App, echo_json, pass_app
from psabill.cli.words import plural
from psabill.errors import ExitCode
from psabill.psa.base import AccessCheck

MARKS = {True: "ok  ", False: "FAIL", None: "??  "}


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
@pass_app
def doctor(app: App, as_json: bool) -> None:
    """Check everything a run needs, changing nothing and sending nothing.

    \b
    - the PSA ([psa] kind): connectivity, credentials, the API version
      and the API user's permissions (the write rights are probed with
      requests that cannot save anything); a missing permission is named
      as the setting to change, e.g. ConnectWise's "Finance > Agreements:
      Edit Level All", Autotask's API user security level, or the HaloPSA
      application's permissions;
    - mail: the SMTP server (connect, STARTTLS or TLS as configured, login
      when a username is set; no message is sent), or the folder
      transport = "folder" writes to, and who receives summaries;
    - every usage source: read and parsed as a run reads it, with how many
      records it gave;
    - the state directory: psabill can write there (tried with a file it
      removes), and the ledger in it opens;
    - the mappings: every customer's PSA company and agreement (Autotask:
      contract; HaloPSA: client and recurring invoice), and every product's
      catalog item (Autotask: service; HaloPSA: item).

    Each failed check names the setting to fix, e.g. "[smtp] password".
    Exit 0 when every check a run needs passed (optional ones, marked so,
    may fail), 1 otherwise, 78 when the config itself does not load.

    \b
    Example:
      psabill doctor
      psabill doctor --json
    """
    loaded = app.loaded()
    report = run_doctor(loaded, app.state_dir, app.env, connect_psa)
    if as_json:
        echo_json(_report_json(report))
    else:
        _print(report)
    sys.exit(int(ExitCode.OK if report.ok else ExitCode.FAILURE))


def _print(report: DoctorReport) -> None:
    for section in report.sections:
        click.echo(section.title)
        for check in section.checks:
            optional = "" if check.required else " (optional)"
            click.echo(f"  {MARKS[check.ok]} {check.name}{optional}: {check.detail}")
            if check.hint and check.ok is not True:
                click.echo(f"       fix: {check.hint}")
    extra = sum(1 for s in report.sections for c in s.checks if not c.required and not c.ok)
    if not report.ok:
        click.echo(f"some checks failed: {plural(report.failed, 'check')} a run needs")
    elif extra:
        click.echo(f"every check a run needs passed; {plural(extra, 'optional check')} did not")
    else:
        click.echo("all checks passed")


def _report_json(report: DoctorReport) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "kind": report.kind,
        "site": report.psa.site,
        "api_url": report.psa.api_url,
        "codebase": report.psa.codebase,
        "checks": [
            _check_json(section.name, check)
            for section in report.sections
            for check in section.checks
        ],
        "sections": [{"name": s.name, "title": s.title, "ok": s.ok} for s in report.sections],
    }


def _check_json(section: str, check: AccessCheck) -> dict[str, Any]:
    return {
        "section": section,
        "name": check.name,
        "ok": check.ok,
        "detail": check.detail,
        "hint": check.hint,
        "required": check.required,
    }
