"""``psabill approve RUN_ID --as EMAIL``: push exactly the plan a scheduled run stored."""

from __future__ import annotations

import sys

import click

from psabill.app.approval import load_pending, require_admin
from psabill.app.runner import Runner
from psabill.cli.app import App, echo_json, pass_app, stdout_console, warn
from psabill.cli.progress import observer_for
from psabill.cli.render import echo_alarms, echo_mail, plan_table, print_report, report_json
from psabill.core.planfile import plan_to_data
from psabill.core.report import SyncRequest
from psabill.errors import UsageError
from psabill.state import Ledger, ledger_path


@click.command()
@click.argument("run_id", type=int)
@click.option(
    "--as", "as_admin", metavar="EMAIL", help="The billing admin (with pay) approving the plan."
)
@click.option("--show", is_flag=True, help="Only show the stored plan; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_app
def approve(app: App, run_id: int, as_admin: str | None, show: bool, as_json: bool) -> None:
    """Push the plan that scheduled run RUN_ID stored for approval, exactly as planned.

    With [approval] required = true, scheduled runs only plan: they store the
    plan (outcome `planned` in `psabill history`) and email it to the billing
    admins with view. An admin with pay then approves it here. psabill first
    re-reads every agreement the plan touches and refuses, naming what
    changed, if the PSA is not as it was when the plan was made. The new run
    records the admin and the plan it approved; the customers' billing
    periods are then complete. A plan is approved once; a newer plan for the
    same period supersedes it. --as records who approved; it is not a login.
    Exit codes as for sync (0 success, 1 failure or stale, 2 refused, 3 partial).

    \b
    Example:
      psabill approve 12 --show
      psabill approve 12 --as controller@northwind.example
    """
    loaded = app.loaded()
    if show:
        _show(app, run_id, as_json)
        return
    admin = require_admin(loaded.config, as_admin, pay=True)
    runner = Runner(
        loaded=loaded,
        state_dir=app.state_dir(),
        env=app.env,
        clock=app.now,
        observer=observer_for(not as_json and app.verbosity >= 0),
    )
    if not ledger_path(app.state_dir()).exists():
        raise UsageError(f"no run {run_id}: there is no ledger yet", hint="see `psabill history`")
    result = runner.run(SyncRequest(trigger="approval", approves=run_id, acting_admin=admin.email))
    echo_mail(result.mail, as_json)
    for problem in result.ping_problems:
        warn(problem)
    if result.error is not None:
        raise result.error
    report = result.report
    echo_alarms(report)  # as `sync` does: what changes a bill is shown under -q too
    if as_json:
        echo_json(report_json(report) | {"approves": run_id, "acting_admin": admin.email})
    else:
        print_report(report)
        if report.fatal is None:
            click.echo(f"run {report.run_id} applied plan {run_id}, approved by {admin.email}")
    sys.exit(int(report.exit_code))


def _show(app: App, run_id: int, as_json: bool) -> None:
    path = ledger_path(app.state_dir())
    if not path.exists():
        raise UsageError(f"no run {run_id}: there is no ledger yet", hint="see `psabill history`")
    account = app.loaded().config.account.name
    with Ledger.open(path) as ledger:
        pending = load_pending(ledger, run_id, account)
    if as_json:
        echo_json(
            {
                "run_id": run_id,
                "plan": plan_to_data(pending.plan, account=account, scope=pending.scope),
                "periods": sorted({f"{s.customer} {s.period}" for s in pending.slots}),
            }
        )
        return
    stdout_console().print(plan_table(pending.plan))
    periods = ", ".join(sorted({s.period for s in pending.slots})) or "-"
    click.echo(
        f"run {run_id}: plan for {periods}, awaiting approval; apply it with "
        f"`psabill approve {run_id} --as EMAIL`"
    )
