"""Every command that reads or writes the ledger refuses an empty ledger file, exit 1."""

from __future__ import annotations

import pytest

from psabill.state import ledger_path
from tests.e2e.conftest import World


@pytest.mark.parametrize(
    "args",
    [
        ("sync", "--now"),
        ("sync",),
        ("plan",),
        ("due",),
        ("history",),
        ("report", "1"),
        ("notify", "flush"),
    ],
    ids=" ".join,
)
def test_an_empty_ledger_is_refused_not_replaced(world: World, args: tuple[str, ...]) -> None:
    ledger = ledger_path(world.setup.state_dir)
    world.setup.state_dir.mkdir(mode=0o700)
    ledger.write_bytes(b"")
    before = world.sandbox.store.dump()

    result = world.psabill(*args)

    assert result.exit_code == 1, result.output
    assert f"error: ledger {ledger} is empty" in result.stderr
    assert f"hint: restore {ledger} from a backup" in result.stderr
    assert "Traceback" not in result.output
    assert ledger.read_bytes() == b""
    assert world.sandbox.store.dump() == before  # nothing reached the PSA either
