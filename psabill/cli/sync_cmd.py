"""``psabill sync`` and ``psabill plan``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from psabill.cli.app import App, echo_err, echo_json, pass_app, warn
from psabill.cli.not_due import echo_not_due, finish_heartbeat
from psabill.errors import ConfigError, ExitCode, UsageError

if TYPE_CHECKING:  # the rest loads when used: an hourly `sync` with nothing due stays fast
    from psabill.app.runner import Runner, RunResult
    from psabill.config.loader import LoadedConfig
    from psabill.config.models import Config
    from psabill.core.report import SyncReport


def _runner(app: App, *, progress: bool) -> Runner:
    from psabill.app.runner import Runner
    from psabill.cli.progress import observer_for

    return Runner(
        loaded=app.loaded(),
        state_dir=app.state_dir(),
        env=app.env,
        clock=app.now,
        observer=observer_for(progress and app.verbosity >= 0),
    )


def _who() -> str:
    import getpass
    import socket

    try:
        return f"{getpass.getuser()}@{socket.gethostname()}"
    except (KeyError, OSError):
        return "unknown"


@click.command()
@click.option("--now", "run_now", is_flag=True, help="Run now, whatever the schedule says.")
@click.option("--customer", help="Only this customer (vendor customer id); implies --now.")
@click.option("--dry-run", is_flag=True, help="Print the plan; write nothing anywhere.")
@click.option(
    "--plan",
    "plan_file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Apply this saved plan, only if the PSA still matches it.",
)
@click.option(
    "--allow-drop", is_flag=True, help="Let lines through that trip a drop (or rise) guard."
)
@click.option("--allow-rise", is_flag=True, help="Let lines through that trip the rise guard.")
@click.option(
    "--as",
    "as_admin",
    metavar="EMAIL",
    help="Billing admin with pay pushing this run by hand; recorded in the ledger. "
    "Required for a push by hand when [approval] required = true.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (for CI).")
@pass_app
def sync(
    app: App,
    run_now: bool,
    customer: str | None,
    dry_run: bool,
    plan_file: Path | None,
    allow_drop: bool,
    allow_rise: bool,
    as_admin: str | None,
    as_json: bool,
) -> None:
    """Sync usage into the PSA for every customer that is due.

    Without --now only due customers are synced (run it hourly from cron or a
    systemd timer; it exits 0 quietly when nothing is due). --now syncs every
    customer (or --customer) immediately; a manual run never uses up a
    scheduled slot, and since quantities are absolute, the scheduled run then
    changes nothing. With [approval] required = true a scheduled run only
    stores its plan for `psabill approve`, and a push by hand needs --as EMAIL
    (a billing admin with pay). A scheduled period that passed unrun beyond
    catch_up is reported once, as an error (exit 1) with the command that
    bills it by hand. Exit codes: 0 ok, not due or planned, 1 failure or a
    missed period, 2 usage, 3 partial, 4 guard held customers, 75 locked,
    78 config.

    \b
    Examples:
      psabill sync                          # from cron: runs only when due
      psabill sync --now --dry-run          # what would change right now
      psabill sync --now --customer 51234   # one customer, by hand
      psabill sync --now --as controller@northwind.example
      psabill plan --out plan.json && psabill sync --plan plan.json
    """
    manual = run_now or customer is not None or plan_file is not None
    if not (manual or dry_run or as_admin or as_json):
        finish_heartbeat(app)  # exits when nothing is due and the config is unchanged
    from psabill.app.plans import load_plan
    from psabill.core.report import SyncRequest

    cfg = _loaded_or_fail_ping(app, dry_run=dry_run).config
    admin = _acting_admin(cfg, as_admin, manual=manual, dry_run=dry_run)
    saved = load_plan(plan_file, account=cfg.account.name) if plan_file else None
    request = SyncRequest(
        trigger="manual" if manual else "scheduled",
        only=customer,
        dry_run=dry_run,
        allow_drop=allow_drop,
        allow_rise=allow_rise,
        saved_plan=saved,
        acting_admin=admin or (_who() if manual else None),
    )
    result = _runner(app, progress=not as_json).run(request)
    if not dry_run:  # the next hourly run may then skip validating an unchanged config
        app.remember_validated()
    _finish_run(app, result, as_json)


def _acting_admin(cfg: Config, email: str | None, *, manual: bool, dry_run: bool) -> str | None:
    """The admin pushing by hand (checked), or None; refuses a push approval requires."""
    from psabill.app.approval import require_admin

    if email is not None and not manual:
        raise UsageError("--as is for a push by hand: add --now (or --customer / --plan)")
    if email is None and manual and not dry_run and cfg.approval.required:
        raise UsageError(
            "approval is required ([approval] required = true): a push by hand needs "
            "--as EMAIL of a billing admin with pay_invoices",
            hint="or approve a planned run with `psabill approve RUN_ID --as EMAIL`",
        )
    return require_admin(cfg, email, pay=True).email if email is not None else None


def _loaded_or_fail_ping(app: App, *, dry_run: bool) -> LoadedConfig:
    """The config; when it does not load, monitoring hears of the failed run first."""
    try:
        return app.loaded()
    except ConfigError:
        if not dry_run:
            _fail_ping(app)
        raise


def _fail_ping(app: App) -> None:
    try:
        path = app.config_path()
    except ConfigError:  # no config file at all: no ping URL either
        return
    from psabill.app.monitoring import ping_unloadable

    problem = ping_unloadable(path, app.env)
    if problem:
        warn(problem)


def _finish_run(app: App, result: RunResult, as_json: bool) -> None:
    """Where the summaries went, what monitoring said, then the report and its exit code."""
    from psabill.cli.render import echo_alarms, echo_mail

    echo_mail(result.mail, as_json)
    for problem in result.ping_problems:
        warn(problem)
    if result.error is not None:
        raise result.error
    echo_alarms(result.report)
    _finish(app, result.report, as_json)


@click.command()
@click.option("--customer", help="Only this customer (vendor customer id).")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="Save the plan.")
@click.option("--allow-drop", is_flag=True, help="Plan lines that trip a drop guard anyway.")
@click.option("--allow-rise", is_flag=True, help="Plan lines that trip the rise guard anyway.")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON (every line).")
@click.option("--all", "show_all", is_flag=True, help="Show every unchanged line in the table.")
@pass_app
def plan(
    app: App,
    customer: str | None,
    out: Path | None,
    allow_drop: bool,
    allow_rise: bool,
    as_json: bool,
    show_all: bool,
) -> None:
    """Show what `sync --now` would change, and write nothing to the PSA.

    The table lists customer, agreement, product, current -> new quantity,
    action and why; more than 20 unchanged lines fold into one count line
    (--all or -v lists them; --json always has every line).
    Unmapped customers and products are listed below it. --out saves the
    plan; `psabill sync --plan FILE` applies exactly that plan later, and
    refuses if the PSA changed in between.

    The exit code is the one `sync` would give, so a CI job can gate on it:
    0 nothing would fail, 3 lines would fail or stop (sync says 1 instead
    when no line at all would be in place), 4 a guard would hold customers,
    1 the plan could not be made (PSA unreachable, ...), 2 usage, 78 config.
    Nothing is written either way.

    \b
    Examples:
      psabill plan
      psabill plan --customer 51234 --json
      psabill plan --out plan.json
      psabill plan > plan.txt || echo "look at the plan first"
    """
    from psabill.app.plans import save_plan
    from psabill.core.plan_gate import plan_exit_code
    from psabill.core.report import SyncRequest

    request = SyncRequest(
        trigger="manual",
        only=customer,
        dry_run=True,
        allow_drop=allow_drop,
        allow_rise=allow_rise,
    )
    report = _runner(app, progress=not as_json).sync(request)
    if out is not None and report.plan is not None:
        save_plan(out, report.plan, account=app.loaded().config.account.name, scope=report.scope)
        echo_err(f"plan saved to {out}; apply it with `psabill sync --plan {out}`")
    from psabill.cli.render import echo_source_warnings

    echo_source_warnings(report)  # as `sync` does: shown under -q and beside --json too
    # The plan is this command's result, even with -q; it exits as `sync` would.
    _finish(app, report, as_json, always=True, code=plan_exit_code(report.plan), show_all=show_all)


def _finish(
    app: App,
    report: SyncReport,
    as_json: bool,
    *,
    always: bool = False,
    code: ExitCode | None = None,
    show_all: bool = False,
) -> None:
    """Print the report; exit with ``code`` (``plan``'s gate), else the report's own code."""
    from psabill.cli.pacing import pacing_line
    from psabill.cli.render import print_report, report_json

    exit_code = report.exit_code if code is None else code
    if as_json:
        echo_json(report_json(report, exit_code))
    elif report.outcome == "not_due":
        echo_not_due(app, report.due)
    elif always or app.verbosity >= 0 or exit_code != 0:
        print_report(report, show_all=show_all or app.verbosity > 0)
    if app.verbosity > 0 and not as_json and report.pacing is not None:
        click.echo(pacing_line(report.pacing))
    sys.exit(int(exit_code))
