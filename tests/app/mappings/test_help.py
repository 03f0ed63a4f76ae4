"""Every new command has help with an example (the README check lives in tests/cli/test_help.py)."""

from __future__ import annotations

import click
import pytest

from tests.app.mappings.support import NEW_COMMANDS


def _leaves(command: click.Command, prefix: str) -> list[tuple[str, click.Command]]:
    if isinstance(command, click.Group):
        return [
            leaf
            for name, sub in sorted(command.commands.items())
            for leaf in _leaves(sub, f"{prefix} {name}")
        ]
    return [(prefix, command)]


LEAVES = [leaf for c in NEW_COMMANDS for leaf in _leaves(c, f"psabill {c.name}")]


@pytest.mark.parametrize(("path", "command"), LEAVES, ids=[p for p, _ in LEAVES])
def test_command_has_help_with_an_example(path: str, command: click.Command) -> None:
    assert command.help
    assert "Example" in command.help, f"{path} --help shows no example"


def test_every_issue_command_exists() -> None:
    paths = {path for path, _ in LEAVES}
    for name in (
        "products list", "products search", "products map", "products unmap", "products enable",
        "products disable", "products create", "customers list", "customers search",
        "customers map", "customers unmap", "customers verify", "customers settings",
        "contracts list", "contracts assign", "contracts unassign", "admins list", "admins add",
        "admins edit", "admins remove", "approve", "invoices list",
    ):  # fmt: skip
        assert f"psabill {name}" in paths
