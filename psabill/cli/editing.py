"""What the mapping commands share: one edit transaction, the PSA, options and output."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import click
from rich.markup import escape
from rich.table import Table

from psabill.app.mappings.edits import Draft
from psabill.app.mappings.store import MappingStore
from psabill.app.mappings.verify import with_client
from psabill.cli.app import App, stdout_console, warn
from psabill.errors import UsageError
from psabill.psa.base import PsaClient

T = TypeVar("T")

source_option = click.option(
    "--source",
    metavar="NAME",
    help="The entry for this usage source ([[sources]] name), or 'any' for the entry without "
    "a source (it maps every source's usage). Needed when there are several entries.",
)
new_option = click.option(
    "--new",
    "new_sku",
    is_flag=True,
    help="Map it though no usage source reports it yet and no mapping names it "
    "(without --new that is refused as a likely typo).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def apply_edit(app: App, operation: Callable[[Draft], str]) -> None:
    """Run ``operation`` as one checked, atomic edit of the managed file; say what it did."""
    store = MappingStore(app.loaded().path, app.env)
    with store.edit() as draft:
        message = operation(draft)
    click.echo(message)
    saved = store.saved
    if saved is not None and saved.changed:
        kept = f"; previous version in {saved.backup.name}" if saved.backup else ""
        click.echo(f"saved to {saved.path}{kept}")


def check_edit(app: App, operation: Callable[[Draft], str]) -> None:
    """Check that an edit would be accepted, writing nothing (before a PSA write)."""
    store = MappingStore(app.loaded().path, app.env)
    with store.edit(write=False) as draft:
        operation(draft)


def on_psa(app: App, job: Callable[[PsaClient], Awaitable[T]]) -> T:
    return with_client(app.loaded().config, job)


def print_table(columns: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    table = Table(box=None, pad_edge=False)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(escape(cell) for cell in row))  # "[sync]" is text, not rich markup
    stdout_console().print(table)


def report_problems(source_errors: Iterable[str], psa_error: str | None) -> None:
    for error in source_errors:
        warn(f"source failed: {error}; what it reports is missing from this list")
    if psa_error:
        warn(f"the PSA was not checked: {psa_error}")


def text(value: Any) -> str:
    """A cell: ``-`` for nothing, numbers without exponent or trailing zeros."""
    if value is None or value == ():
        return "-"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


class Money(click.ParamType):  # type: ignore[type-arg]
    """A non-negative decimal amount such as ``4.50``."""

    name = "AMOUNT"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            self.fail(f"{value!r} is not an amount like 4.50", param, ctx)
        if not amount.is_finite() or amount < 0:
            self.fail(f"{value!r} must be a number of 0 or more", param, ctx)
        return amount


MIN_SEARCH = 2
"""Fewest characters a live PSA search takes (``products search``, ``customers search``)."""


def search_needle(text: str, example: str) -> str:
    """The search text, stripped; a usage error (naming ``example``) when it is too short."""
    needle = text.strip()
    if len(needle) < MIN_SEARCH:
        raise UsageError(
            f"search text needs at least {MIN_SEARCH} characters, got {needle!r}",
            hint=f"e.g. `{example}`",
        )
    return needle
