"""`psabill plan` gates CI: it exits as `sync` would (0, 3 failing or stopped lines, 4 a guard
would hold), over the real sandbox of each PSA, and still writes nothing anywhere."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import World


def _break_contoso(world: World) -> None:
    contoso = f'psa_company = "{world.ids.company("Contoso")}"'
    assert world.setup.config.read_text().count(contoso) == 1
    world.rewrite(contoso, 'psa_company = "Typo"')


def _stop_lastpass(world: World) -> None:
    world.usage("lastpass.json").unlink()


def _drop_northwind(world: World) -> None:
    usage = world.usage("goto.json")
    text = usage.read_text()
    assert '"users": 58' in text
    usage.write_text(text.replace('"users": 58', '"users": 5'))  # 55 seats in the PSA


def _nothing(world: World) -> None:
    pass


@pytest.mark.parametrize(
    ("change", "code", "action"),
    [
        (_nothing, 0, None),
        (_break_contoso, 3, "error"),
        (_stop_lastpass, 3, "stopped"),
        (_drop_northwind, 4, "held"),
    ],
)
def test_plan_exits_with_the_code_sync_would_and_writes_nothing(
    psa_world: World, change: object, code: int, action: str | None
) -> None:
    world = psa_world
    assert callable(change)
    change(world)
    before = world.state()

    result = world.psabill("plan")
    as_json = world.psabill("plan", "--json")

    assert result.exit_code == code, result.output
    assert as_json.exit_code == code
    data = json.loads(as_json.stdout)
    assert data["exit_code"] == code
    actions = {line["action"] for line in data["plan"]["lines"]}
    if action is not None:
        assert action in actions
    assert not actions & {"error", "stopped", "held", "paused", "ambiguous"} or code != 0
    assert world.state() == before
    assert world.sandbox.requests()
    assert world.writes() == []
    assert not world.setup.state_dir.exists()


def test_sync_exits_as_the_plan_said(psa_world: World) -> None:
    world = psa_world
    _drop_northwind(world)
    assert world.psabill("plan").exit_code == 4
    assert world.psabill("sync", "--now").exit_code == 4


def test_plan_help_documents_the_exit_codes(world: World) -> None:
    text = world.psabill("plan", "--help").output
    for words in ("3 lines would fail or stop", "4 a guard would hold", "0 nothing would fail"):
        assert words in " ".join(text.split())
