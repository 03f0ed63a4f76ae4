"""`psabill doctor` on each PSA's demo: it passes, and a wrong secret fails with a hint that
names the setting, never the secret. ConnectWise's role-by-role checks are ``test_doctor.py``'s."""

from __future__ import annotations

import json
from pathlib import Path

from psabill.sandbox.demo import DemoPsa, prepare, start_sandbox
from tests.e2e.conftest import World

WRONG = "wrong-secret-Zq81"
SECRETS = {
    "connectwise": ("sandbox-private", "psa.private_key"),
    "autotask": ("demo-autotask-secret", "psa.secret"),
    "halopsa": ("sandbox-halo-secret", "psa.client_secret"),
}
"""Per PSA: the demo secret in the config, and the setting doctor must name when it is wrong."""


def test_doctor_passes_on_each_demo_and_changes_nothing(psa_world: World) -> None:
    before = psa_world.state()
    result = psa_world.psabill("doctor", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    failed = [c["name"] for c in report["checks"] if c["ok"] is False and c["required"]]
    assert failed == []
    assert psa_world.state() == before
    # ConnectWise's permission probes are writes its API refuses (400); none is accepted.
    assert all((r.status or 0) >= 400 for r in psa_world.writes())


def test_doctor_with_a_wrong_secret_fails_with_a_hint(psa_world: World) -> None:
    secret, setting = SECRETS[psa_world.kind]
    psa_world.rewrite(f'"{secret}"', f'"{WRONG}"')
    result = psa_world.psabill("doctor")
    assert result.exit_code == 1, result.output
    assert f"PSA: {psa_world.kind} at http://127.0.0.1:" in result.output
    assert "FAIL credentials" in result.output
    assert setting in result.output
    assert WRONG not in result.output
    assert secret not in result.output


def test_doctor_on_the_untouched_autotask_demo_names_the_service_to_create(
    tmp_path: Path,
) -> None:
    """The Autotask demo as ``psabill demo --psa autotask`` writes it: the product the demo
    leaves missing on purpose is a check a run needs (psabill creates no Autotask Service),
    so doctor fails on that one check and says where to create the service."""
    sandbox = start_sandbox("autotask")
    try:
        setup = prepare(directory=tmp_path / "demo", psa=DemoPsa.of(sandbox))
        world = World(sandbox, setup, "autotask", DemoPsa.of(sandbox).ids)
        result = world.psabill("doctor", "--json")
    finally:
        sandbox.stop()
    assert result.exit_code == 1, result.output
    checks = json.loads(result.stdout)["checks"]
    failed = [c for c in checks if c["ok"] is False and c["required"]]
    assert [c["name"] for c in failed] == ["product CIXA-XDR"]
    assert "Services" in (failed[0]["hint"] or "")
