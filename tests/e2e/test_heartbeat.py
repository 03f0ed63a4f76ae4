"""The hourly heartbeat's fast path, end to end: a scheduled `sync` (and `due`) that finds
nothing due answers without the schema, the PSA client or the mail stack, says and pings
exactly what the full path does, and a config edited into an invalid one fails the very next
run loudly (exit 78, the /fail ping)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import Result

from psabill.config.validated import cache_path
from tests.e2e.conftest import World
from tests.e2e.test_monitoring import DUE, NOT_DUE, SECRET, _monitor
from tests.ops.support import ping_server

HEAVY = ("pydantic", "psabill.config.models", "httpx", "rich", "psabill.notify", "psabill.psa")
HEAVY += ("psabill.sandbox", "psabill.app.runner", "psabill.app.planning")


def _cache(world: World) -> Path:
    return cache_path(world.setup.state_dir, world.setup.config)


def _subprocess(world: World, *args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """``psabill ARGS`` in a process of its own, and every module it imported."""
    config, state = str(world.setup.config), str(world.setup.state_dir)
    env = {**os.environ, "PSABILL_NOW": NOT_DUE}
    command = [sys.executable, "-X", "importtime", "-m", "psabill", "-c", config]
    done = subprocess.run(
        [*command, "--state-dir", state, *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    imported = {
        line.split("|")[-1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }
    return done, imported


def _heavy(imported: set[str]) -> set[str]:
    return {m for m in imported if any(m == h or m.startswith(h + ".") for h in HEAVY)}


def test_a_not_due_sync_and_due_load_no_schema_client_or_mail(world: World) -> None:
    assert world.psabill("sync", now=DUE).exit_code == 0
    assert _cache(world).exists()
    sync, imported = _subprocess(world, "sync")
    assert sync.returncode == 0, sync.stderr[-2000:]
    assert sync.stdout == ""
    assert "psabill.app.heartbeat" in imported  # evidence: the import list is real
    assert _heavy(imported) == set()
    due, imported = _subprocess(world, "due")
    assert due.returncode == 1, due.stderr[-2000:]
    assert "not due: " in due.stdout
    assert _heavy(imported) == set()


def test_without_its_cache_the_same_run_takes_the_full_path(world: World) -> None:
    assert world.psabill("sync", now=DUE).exit_code == 0
    _cache(world).unlink()
    sync, imported = _subprocess(world, "sync")
    assert sync.returncode == 0, sync.stderr[-2000:]
    assert "psabill.config.models" in imported
    assert _cache(world).exists()  # and it is remembered for the next run


def _both_paths(world: World, *args: str) -> tuple[Result, Result]:
    """``psabill ARGS`` at NOT_DUE through the fast path, then with the cache gone."""
    fast = world.psabill(*args, now=NOT_DUE)
    assert _cache(world).exists()
    _cache(world).unlink()
    return fast, world.psabill(*args, now=NOT_DUE)


def test_the_fast_path_says_what_the_full_path_says(world: World) -> None:
    config = world.setup.config
    config.write_text(config.read_text() + '\n[smtp]\npassword = "literal-pass"\n')
    config.chmod(0o644)  # a literal secret others can read: every load warns
    assert world.psabill("sync", now=DUE).exit_code == 0
    for args in (("-v", "sync"), ("sync",), ("-q", "sync"), ("due",), ("due", "--json")):
        fast, full = _both_paths(world, *args)
        assert (fast.exit_code, fast.stdout, fast.stderr) == (
            full.exit_code,
            full.stdout,
            full.stderr,
        )
        assert args[0] != "-v" or "not due: " in fast.stdout  # evidence: they say something
        assert args[0] == "-q" or "holds a literal secret (smtp.password)" in fast.stderr


def test_the_fast_path_pings_as_the_full_path_does(world: World) -> None:
    with ping_server() as server:
        _monitor(world, server.url)
        assert world.psabill("sync", now=DUE).exit_code == 0
        server.hits.clear()
        fast, full = _both_paths(world, "sync")
    assert (fast.exit_code, fast.output) == (full.exit_code, full.output) == (0, "")
    beat = [f"/ping/{SECRET}/start", f"/ping/{SECRET}"]
    assert [path for _, path in server.hits] == beat + beat


def test_a_config_edited_into_an_invalid_one_fails_the_very_next_run(world: World) -> None:
    with ping_server() as server:
        _monitor(world, server.url)
        assert world.psabill("sync", now=DUE).exit_code == 0
        assert world.psabill("sync", now=NOT_DUE).exit_code == 0
        assert _cache(world).exists()
        server.hits.clear()
        config = world.setup.config
        config.write_text(config.read_text().replace("day = 1", "day = 99"))
        result = world.psabill("sync", now=NOT_DUE)
        due = world.psabill("due", now=NOT_DUE)
    assert result.exit_code == 78, result.output
    assert "schedule.day" in result.output
    assert [path for _, path in server.hits] == [f"/ping/{SECRET}/fail"]
    assert due.exit_code == 78, due.output
    assert "schedule.day" in due.output


def test_a_mappings_file_edited_into_an_invalid_one_fails_the_very_next_run(world: World) -> None:
    assert world.psabill("sync", now=DUE).exit_code == 0
    assert world.psabill("sync", now=NOT_DUE).exit_code == 0
    mappings = world.setup.config.parent / "mappings.toml"
    mappings.write_text('[[customers]]\nid = "x"\npsa_company = ""\n')
    result = world.psabill("sync", now=NOT_DUE)
    assert result.exit_code == 78, result.output
    assert "mappings.toml" in result.output
