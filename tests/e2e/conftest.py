"""End-to-end fixtures: the real sandbox over loopback HTTP and the demo config."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from psabill.cli import main
from psabill.sandbox import Sandbox, Store, seed_demo
from psabill.sandbox.demo import DemoSetup, prepare


@dataclass
class World:
    sandbox: Sandbox
    setup: DemoSetup

    def psabill(self, *args: str, now: str | None = None) -> Result:
        env = {"PSABILL_NOW": now} if now else {}
        argv = ["--config", str(self.setup.config), "--state-dir", str(self.setup.state_dir)]
        return CliRunner().invoke(main, [*argv, *args], env=env)

    def usage(self, name: str) -> Path:
        return self.setup.directory / "usage" / name

    def additions(self, *, live_only: bool = True) -> list[dict[str, Any]]:
        rows = self.sandbox.store.dump()["additions"]
        return [r for r in rows if not live_only or r["cancelledDate"] is None]

    def quantities(self) -> dict[tuple[int, str], float]:
        """(agreement id, product identifier) -> quantity of each live addition."""
        found: dict[tuple[int, str], float] = {}
        for row in self.additions():
            key = (row["agreementId"], row["product"]["identifier"])
            assert key not in found, f"two live additions for {key}"
            found[key] = row["quantity"]
        return found


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    store = Store()
    seed_demo(store)
    with Sandbox(store) as sandbox:
        setup = prepare(sandbox.site_url, tmp_path / "demo")
        # One quick retry keeps fault tests fast; retry behaviour itself is tested in tests/psa.
        text = setup.config.read_text().replace("[psa]\n", "[psa]\nretries = 1\ntimeout = 3\n", 1)
        setup.config.write_text(text)
        yield World(sandbox, setup)
