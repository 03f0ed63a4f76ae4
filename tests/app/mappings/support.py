"""Shared helpers: register the new commands (until psabill.cli does) and read the files."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from psabill.cli import main
from psabill.cli.admins_cmd import admins
from psabill.cli.approve_cmd import approve
from psabill.cli.contracts_cmd import contracts
from psabill.cli.customers_cmd import customers
from psabill.cli.invoices_cmd import invoices
from psabill.cli.products_cmd import products

NEW_COMMANDS = (products, customers, contracts, admins, approve, invoices)


def register() -> None:
    """Add the commands to ``psabill.cli.main`` unless it has them already.

    Called from a fixture (at run time, not import time) so that tests/cli/test_help.py,
    which lists ``main``'s commands when it is collected, sees only what psabill.cli
    itself registers.
    """
    for command in NEW_COMMANDS:
        assert command.name is not None
        if command.name not in main.commands:
            main.add_command(command)


def managed(config: Path) -> dict[str, Any]:
    """The managed mappings file next to ``config``, parsed ({} when there is none)."""
    path = config.parent / "mappings.toml"
    return tomllib.loads(path.read_text()) if path.exists() else {}
