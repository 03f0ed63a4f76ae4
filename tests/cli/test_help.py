"""Every command has help text with an example and is documented in the README."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from psabill.cli import main

README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = "psabill") -> list[tuple[str, click.Command]]:
    """Every leaf command, loaded the way the CLI loads it (psabill's group is lazy)."""
    ctx = click.Context(group)
    found = []
    for name in sorted(group.list_commands(ctx)):
        command = group.get_command(ctx, name)
        assert command is not None, name
        path = f"{prefix} {name}"
        if isinstance(command, click.Group):
            found += _commands(command, path)
        else:
            found.append((path, command))
    return found


COMMANDS = _commands(main)


def test_every_command_is_found() -> None:
    assert len(COMMANDS) > 30  # the lazy group lists them all, groups' subcommands included


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[p for p, _ in COMMANDS])
def test_command_has_help_with_an_example(path: str, command: click.Command) -> None:
    assert command.help
    assert "Example" in command.help, f"{path} --help shows no example"


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[p for p, _ in COMMANDS])
def test_command_is_in_the_readme(path: str, command: click.Command) -> None:
    assert f"`{path}" in README, f"{path} is not documented in README.md"
