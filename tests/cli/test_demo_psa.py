"""``psabill demo --psa autotask|halopsa``: the same demo MSP synced end to end through the CLI,
and a second run that changes nothing in the PSA."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from psabill.cli import demo_cmd, main
from psabill.core.report import SyncReport
from psabill.sandbox.server import Sandbox


class Watch:
    """The demo's sandbox and its PSA state after each run (the sandbox stops with the demo)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sandbox: Sandbox | None = None
        self.states: list[dict[str, Any]] = []
        start, run = demo_cmd.start_sandbox, demo_cmd._run

        def start_sandbox(kind: str = "connectwise") -> Sandbox:
            self.sandbox = start(kind)
            self.states.append(self.sandbox.flavor.dump())
            return self.sandbox

        def run_and_snapshot(runner: Any) -> SyncReport:
            report = run(runner)
            assert self.sandbox is not None
            self.states.append(self.sandbox.flavor.dump())
            return report

        monkeypatch.setattr(demo_cmd, "start_sandbox", start_sandbox)
        monkeypatch.setattr(demo_cmd, "_run", run_and_snapshot)


def _demo(kind: str, directory: Path) -> Result:
    return CliRunner().invoke(main, ["demo", "--psa", kind, "--dir", str(directory)])


def _second_run(output: str) -> str:
    return output.split("== second run", 1)[1]


def test_demo_on_halopsa_syncs_and_the_second_run_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    watch = Watch(monkeypatch)
    result = _demo("halopsa", tmp_path)

    initial, first, second = watch.states
    assert result.exit_code == 0, result.output
    assert "sandbox PSA (HaloPSA) on http://127.0.0.1:" in result.output
    assert "CIXA -> Sophos Intercept X Advanced" in result.output
    assert "run 1: success - 4 create, 4 update; 8 confirmed, 0 failed" in result.output
    assert "run 2: success - 8 unchanged; 8 confirmed, 0 failed" in _second_run(result.output)
    assert initial != first == second
    assert watch.sandbox is not None
    assert "rate_limit" not in watch.sandbox.faults.injected()  # well under 300 in 5 minutes


def test_demo_on_autotask_says_plainly_it_creates_no_services(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Autotask's client never creates a Service, so the product the demo leaves missing on
    purpose fails as a line, in words; the run is partial (exit 3) and nothing is posted twice."""
    watch = Watch(monkeypatch)
    result = _demo("autotask", tmp_path)

    initial, first, second = watch.states
    assert result.exit_code == 3, result.output
    assert "sandbox PSA (Autotask PSA) on http://127.0.0.1:" in result.output
    assert "psabill does not create services in Autotask" in result.output
    assert "run 1: partial - 4 create, 4 update; 7 confirmed, 1 failed" in result.output
    assert "run 2: partial - 1 create, 7 unchanged; 7 confirmed, 1 failed" in result.output
    assert initial != first == second
    assert watch.sandbox is not None
    posted = watch.sandbox.adjustments()  # type: ignore[attr-defined]
    assert len(posted) == 7  # run 1's changes only; run 2 posted none


@pytest.mark.parametrize("kind", ["autotask", "halopsa"])
def test_the_demo_config_speaks_the_psas_terms(kind: str, tmp_path: Path) -> None:
    result = _demo(kind, tmp_path)
    config = tomllib.loads((tmp_path / "psabill.toml").read_text())

    assert result.exit_code in (0, 3), result.output
    assert config["psa"]["kind"] == kind
    assert config["psa"]["rate_limit"] == "none"
    assert {c["psa_company"] for c in config["customers"]} == {"250", "251", "252", "254", "255"}
    assert "Sophos Intercept X Advanced" in {p["psa_product"] for p in config["products"]}
    assert "# Custom settings: its own schedule" in (tmp_path / "psabill.toml").read_text()
