"""``psabill admins list|add|edit|remove``: who sees invoices and summaries, who approves pushes."""

from __future__ import annotations

import click

from psabill.app.mappings import edits
from psabill.cli.app import App, echo_json, pass_app
from psabill.cli.editing import apply_edit, json_option, print_table, text

_NOTE = (
    "Being a billing admin grants nothing in the PSA itself: it is psabill's own list of "
    "who receives summaries (view) and who may approve pushes (pay)."
)


@click.group()
def admins() -> None:
    """Billing admins: view receives run summaries and may list invoices; pay approves pushes.

    Being a billing admin grants nothing in the PSA itself. pay requires view.
    psabill records the admin named by --as; it does not authenticate them.

    \b
    Example:
      psabill admins add controller@northwind.example --name "Casey" --view --pay
    """


@admins.command("list")
@json_option
@pass_app
def list_admins(app: App, as_json: bool) -> None:
    """List billing admins and their rights.

    \b
    Example:
      psabill admins list --json
    """
    found = app.loaded().config.billing_admins
    if as_json:
        echo_json({"billing_admins": [a.model_dump() for a in found]})
        return
    if not found:
        click.echo("no billing admins (add one with `psabill admins add EMAIL --view --pay`)")
        return
    print_table(
        ("Email", "Name", "View", "Pay"),
        [(a.email, text(a.name), text(a.view_invoices), text(a.pay_invoices)) for a in found],
    )


@admins.command()
@click.argument("email")
@click.option("--name", help="The admin's name.")
@click.option("--view", is_flag=True, help="May view invoices and receives run summaries.")
@click.option("--pay", is_flag=True, help="May approve pushes (requires --view).")
@pass_app
def add(app: App, email: str, name: str | None, view: bool, pay: bool) -> None:
    """Add a billing admin. --pay requires --view; neither grants anything in the PSA.

    \b
    Example:
      psabill admins add controller@northwind.example --view --pay
    """
    apply_edit(app, lambda d: edits.add_admin(d, email, name=name, view=view, pay=pay))
    click.echo(_NOTE)


@admins.command()
@click.argument("email")
@click.option("--name", help="The admin's name.")
@click.option("--view/--no-view", default=None, help="Grant or withdraw view.")
@click.option("--pay/--no-pay", default=None, help="Grant or withdraw pay (requires view).")
@pass_app
def edit(app: App, email: str, name: str | None, view: bool | None, pay: bool | None) -> None:
    """Change a billing admin's name or rights; what is not given stays as it is.

    \b
    Example:
      psabill admins edit ops@northwind.example --no-pay
    """
    apply_edit(app, lambda d: edits.edit_admin(d, email, name=name, view=view, pay=pay))


@admins.command()
@click.argument("email")
@pass_app
def remove(app: App, email: str) -> None:
    """Remove a billing admin.

    \b
    Example:
      psabill admins remove ops@northwind.example
    """
    apply_edit(app, lambda d: edits.remove_admin(d, email))
