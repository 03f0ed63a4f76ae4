"""Monitoring pings from real `psabill sync` runs against the sandbox PSA."""

from __future__ import annotations

import json

from click.testing import CliRunner

from psabill.cli import main
from psabill.sandbox.faults import http_error
from tests.e2e.conftest import World
from tests.ops.support import dead_url, ping_server

NORTHWIND_MS = 1503
SECRET = "5f1c0d2e-secret-uuid"
# The demo's monthly slot is the 1st at 06:00 New York; an hour after it, it is due.
DUE = "2026-12-01T12:00:00+00:00"
NOT_DUE = "2026-12-15T12:00:00+00:00"


def _monitor(world: World, url: str, timeout: int = 2) -> None:
    text = world.setup.config.read_text(encoding="utf-8")
    text += f'\n[monitoring]\nping_url = "{url}"\ntimeout = {timeout}\n'
    world.setup.config.write_text(text, encoding="utf-8")


def test_a_run_pings_start_then_success(world: World) -> None:
    with ping_server() as server:
        _monitor(world, server.url)
        result = world.psabill("sync", "--now")
    assert result.exit_code == 0, result.output
    assert [path for _, path in server.hits] == [f"/ping/{SECRET}/start", f"/ping/{SECRET}"]


def test_a_scheduled_run_that_is_not_due_still_sends_the_heartbeat(world: World) -> None:
    with ping_server() as server:
        _monitor(world, server.url)
        assert world.psabill("sync", now=DUE).exit_code == 0
        server.hits.clear()
        quiet = world.psabill("sync", now=NOT_DUE)
    assert quiet.exit_code == 0, quiet.output
    assert quiet.output == ""
    assert [path for _, path in server.hits] == [f"/ping/{SECRET}/start", f"/ping/{SECRET}"]


def test_a_partial_run_pings_fail(world: World) -> None:
    world.sandbox.faults.add(http_error(500, method="PATCH", path=f"/agreements/{NORTHWIND_MS}/"))
    with ping_server() as server:
        _monitor(world, server.url)
        result = world.psabill("sync", "--now")
    assert result.exit_code == 3, result.output
    assert [path for _, path in server.hits] == [f"/ping/{SECRET}/start", f"/ping/{SECRET}/fail"]


def test_a_dead_ping_url_warns_but_the_run_succeeds(world: World) -> None:
    _monitor(world, dead_url())
    result = world.psabill("sync", "--now")
    assert result.exit_code == 0, result.output
    assert "run 1: success" in result.stdout
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 2  # start and success
    assert all("monitoring ping" in w and "http://127.0.0.1:" in w for w in warnings)
    assert SECRET not in result.output


def test_a_dead_ping_url_keeps_json_output_clean(world: World) -> None:
    _monitor(world, dead_url())
    result = world.psabill("sync", "--now", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["outcome"] == "success"
    assert "monitoring ping" in result.stderr


def test_a_config_that_does_not_load_still_pings_fail(world: World) -> None:
    with ping_server() as server:
        _monitor(world, server.url)
        config = world.setup.config
        config.write_text(config.read_text().replace("day = 1", "day = 99"))
        result = world.psabill("-q", "sync")
    assert result.exit_code == 78, result.output
    assert "schedule.day" in result.output
    assert [path for _, path in server.hits] == [f"/ping/{SECRET}/fail"]


def test_a_config_with_its_ping_url_in_the_environment_still_pings_fail(world: World) -> None:
    with ping_server() as server:
        _monitor(world, "${PING_URL}")
        config = world.setup.config
        config.write_text(config.read_text().replace('kind = "connectwise"', 'kind = "nope"'))
        env = {"PING_URL": server.url}
        argv = ["--config", str(world.setup.config), "--state-dir", str(world.setup.state_dir)]
        result = CliRunner().invoke(main, [*argv, "sync"], env=env)
    assert result.exit_code == 78, result.output
    assert [path for _, path in server.hits] == [f"/ping/{SECRET}/fail"]


def test_an_unparseable_config_cannot_ping(world: World) -> None:
    with ping_server() as server:
        _monitor(world, server.url)
        config = world.setup.config
        config.write_text(config.read_text() + "\nthis is not toml\n")
        result = world.psabill("sync")
    assert result.exit_code == 78, result.output
    assert server.hits == []
