"""`psabill doctor` against the sandbox: what works, and exactly what is missing."""

from __future__ import annotations

import json

from psabill.sandbox.faults import http_error
from tests.e2e.conftest import World


def test_doctor_passes_against_the_sandbox(world: World) -> None:
    result = world.psabill("doctor")
    assert result.exit_code == 0, result.output
    assert "ok   add additions" in result.output
    assert "all checks passed" in result.output
    assert world.sandbox.store.dump()["additions"] == world.additions(live_only=False)


def test_doctor_names_the_missing_role(world: World) -> None:
    world.sandbox.faults.add(http_error(403, method="POST", path="/additions$"))
    result = world.psabill("doctor", "--json")
    assert result.exit_code == 1
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["add additions"]["ok"] is False
    assert "Agreement" in (checks["add additions"]["hint"] or checks["add additions"]["detail"])
    assert checks["read companies"]["ok"] is True


def test_doctor_reports_bad_credentials_without_leaking_them(world: World) -> None:
    text = world.setup.config.read_text().replace("sandbox-private", "wrong-private-key")
    world.setup.config.write_text(text)
    result = world.psabill("doctor")
    assert result.exit_code == 1
    assert "FAIL credentials" in result.output
    assert "psa.private_key" in result.output
    assert "wrong-private-key" not in result.output


def test_doctor_does_not_call_keys_accepted_when_the_server_fails(world: World) -> None:
    world.sandbox.faults.add(http_error(500, method="GET", path="/system/info$"))
    result = world.psabill("doctor", "--json")
    assert result.exit_code == 1
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["credentials"]["ok"] is None
