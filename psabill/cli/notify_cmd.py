"""``psabill notify test`` and ``psabill notify flush``."""

from __future__ import annotations

import sys
from datetime import UTC

import click

from psabill.cli.app import App, pass_app, warn
from psabill.config.fields import check_email
from psabill.errors import ExitCode, UsageError
from psabill.notify import events_of, flush_outbox, send_test, send_test_urls
from psabill.notify.compose import compose_test, summary_recipients


@click.group()
def notify() -> None:
    """Run summaries by email: send a test message, resend what is waiting.

    \b
    Examples:
      psabill notify test --to you@example.com
      psabill notify flush
    """


@notify.command("test")
@click.option("--to", "to", metavar="EMAIL", multiple=True, help="Send here instead (repeatable).")
@pass_app
def test_message(app: App, to: tuple[str, ...]) -> None:
    """Send a test message now and show the server's answer (or the file written).

    Goes to [notify] emails and the billing admins who view invoices, or to
    --to. It uses the configured transport ([smtp], or transport = "folder")
    but not the outbox: a failed test is not sent again later. Without --to
    it also sends a test notification to each [notify] urls entry (shown
    masked). Exit 1 when anything was not delivered, or when the server
    refused any recipient.

    \b
    Examples:
      psabill notify test
      psabill notify test --to billing@example.com --to ops@example.com
    """
    loaded = app.loaded()
    recipients = [_address(item) for item in to]
    recipients = recipients or [a.addr_spec for a in summary_recipients(loaded.config)]
    if not recipients:
        raise UsageError(
            "nobody to send a test message to",
            hint="set [notify] emails (or billing admins), or pass --to ADDRESS",
        )
    composed = compose_test(loaded.config, recipients, app.now())
    transport, delivery = send_test(loaded, composed, app.now())
    problems: dict[str, str] = {}
    if loaded.config.notify.transport == "folder":
        click.echo(f"test message written to {delivery.answer} (transport = folder)")
    else:
        click.echo(f"test message sent through {transport} to {', '.join(delivery.accepted)}")
        click.echo(f"the server answered: {delivery.answer}")
        problems = {**delivery.refused, **delivery.deferred}
        for rcpt, answer in problems.items():
            warn(f"the server refused {rcpt}: {answer}")
    failed_urls = 0
    for url, why in [] if to else send_test_urls(loaded, app.now()):
        if why is None:
            click.echo(f"test notification delivered to {url}")
        else:
            failed_urls += 1
            warn(f"test notification to {url} failed: {why}")
    if problems or failed_urls:
        sys.exit(int(ExitCode.FAILURE))


@notify.command("flush")
@pass_app
def flush(app: App) -> None:
    """Send every message waiting in the outbox (summaries whose delivery failed).

    psabill queues each summary in the ledger before sending it, so a mail
    server outage delays a summary but never loses it; each run also retries
    whatever is waiting. A message the server accepted is marked sent at
    once and never sent again. Exit 1 when something is still waiting.

    \b
    Example:
      psabill notify flush
    """
    result = flush_outbox(app.loaded(), app.state_dir(), app.now().astimezone(UTC))
    if not result.attempts:
        click.echo("the outbox is empty: nothing to send")
        return
    for event in events_of(result):
        click.echo(str(event))
    sent, failed = len(result.sent), len(result.failed)
    click.echo(f"{sent} sent, {failed} still in the outbox")
    if failed:
        sys.exit(int(ExitCode.FAILURE))


def _address(text: str) -> str:
    try:
        return check_email(text.strip())
    except ValueError as exc:
        raise UsageError(f"--to: {exc}") from None
