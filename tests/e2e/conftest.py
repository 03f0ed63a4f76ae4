"""End-to-end fixtures: a real sandbox PSA over loopback HTTP and the demo config pointing at it.

``world`` is the ConnectWise demo (tests of ConnectWise's own surface use it); ``psa_world``
runs a test once per PSA (ConnectWise Manage, Autotask, HaloPSA), each serving the same demo
MSP with the demo config spoken in that PSA's terms (:func:`psabill.sandbox.demo.prepare`).
A :class:`World` reads back what the PSA bills in the ConnectWise demo's words, so one test
judges all three: :meth:`World.quantities` maps (ConnectWise agreement id, catalog identifier)
to the quantity billed, through the PSA-neutral ``sandbox.billed``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from psabill.cli import main
from psabill.sandbox import Sandbox, Store, seed_demo
from psabill.sandbox.demo import DemoPsa, DemoSetup, prepare
from psabill.sandbox.kinds import PSA_KINDS, Identifiers, SameIdentifiers, psa_sandbox
from psabill.sandbox.transport import RequestRecord
from tests.e2e.psa_lines import add_line, make_service, write_requests

SETTLED = date(2098, 12, 31)
"""The day :meth:`World.quantities` reads by default: after every dated change a test makes
(Autotask dates each unit change), before any demo agreement ends or a renewal starts."""


@dataclass
class World:
    sandbox: Sandbox
    setup: DemoSetup
    kind: str = "connectwise"
    ids: Identifiers = field(default_factory=SameIdentifiers)
    """The ConnectWise demo's identifiers in this PSA's terms."""

    def psabill(self, *args: str, now: str | None = None) -> Result:
        env = {"PSABILL_NOW": now} if now else {}
        argv = ["--config", str(self.setup.config), "--state-dir", str(self.setup.state_dir)]
        return CliRunner().invoke(main, [*argv, *args], env=env)

    def usage(self, name: str) -> Path:
        return self.setup.directory / "usage" / name

    def additions(self, *, live_only: bool = True) -> list[dict[str, Any]]:
        """The ConnectWise store's addition rows (ConnectWise only)."""
        rows = self.sandbox.store.dump()["additions"]
        return [r for r in rows if not live_only or r["cancelledDate"] is None]

    def quantities(self, on: date = SETTLED) -> dict[tuple[int, str], float]:
        """(ConnectWise agreement id, catalog identifier) -> quantity of each line the PSA
        bills on ``on``; fails when two lines bill one product on one agreement."""
        agreements = {self.agreement(cw): cw for cw in self._cw_agreements()}
        products = {self.ids.catalog(sku): sku for sku in self._cw_catalog()}
        found: dict[tuple[int, str], float] = {}
        for line in self.sandbox.billed(on):
            if line.cancelled:
                continue
            agreement = agreements.get(line.agreement_id, line.agreement_id)
            product = products.get(line.product_identifier, line.product_identifier)
            key = (agreement, product)
            assert key not in found, f"two live lines for {key}"
            found[key] = float(line.quantity)
        return found

    def state(self) -> dict[str, Any]:
        """The whole PSA state, to show that something changed nothing."""
        return self.sandbox.flavor.dump()

    def writes(self) -> list[RequestRecord]:
        """Requests that asked the PSA to change something (not reads, logins, queries)."""
        return write_requests(self.kind, self.sandbox.requests())

    def agreement(self, cw_agreement_id: int) -> int:
        """The agreement's id in this PSA (Halo: its recurring invoice, some negative)."""
        translate = getattr(self.ids, "agreement", None)
        return int(translate(cw_agreement_id)) if translate else cw_agreement_id

    def add_line(self, cw_agreement_id: int, sku: str, quantity: int) -> None:
        """Add a line in the PSA behind psabill's back (someone editing it by hand)."""
        add_line(self.sandbox, self.agreement(cw_agreement_id), sku, quantity)

    def rewrite(self, old: str, new: str) -> None:
        """Replace ``old`` (once, and it must be there) in the config."""
        text = self.setup.config.read_text(encoding="utf-8")
        assert old in text, old
        self.setup.config.write_text(text.replace(old, new, 1), encoding="utf-8")

    def _cw_agreements(self) -> list[int]:
        return [int(row["id"]) for row in self.sandbox.store.rows("agreements")]

    def _cw_catalog(self) -> list[str]:
        return [str(row["identifier"]) for row in self.sandbox.store.rows("catalog")]


def _quick_retries(setup: DemoSetup) -> None:
    """One quick retry keeps fault tests fast; retry behaviour itself is tested in tests/psa."""
    text = setup.config.read_text().replace("[psa]\n", "[psa]\nretries = 1\ntimeout = 3\n", 1)
    setup.config.write_text(text)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    store = Store()
    seed_demo(store)
    with Sandbox(store) as sandbox:
        setup = prepare(sandbox.site_url, tmp_path / "demo")
        _quick_retries(setup)
        yield World(sandbox, setup)


@pytest.fixture(params=PSA_KINDS)
def psa_world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    """The demo on each PSA.

    On Autotask the MSP has done what ``psabill doctor`` tells it: psabill never creates an
    Autotask Service, so the demo's repaired product (``PSABILL-CIXA-XDR``) is a Service made
    by hand in Autotask; psabill finds and bills it as it creates it on the other two.
    """
    kind = str(request.param)
    store = Store()
    seed_demo(store)
    sandbox = psa_sandbox(kind, store)
    if kind == "autotask":
        make_service(sandbox, "PSABILL-CIXA-XDR", "Sophos Intercept X Advanced with XDR")
    with sandbox:
        demo = DemoPsa.of(sandbox)
        setup = prepare(directory=tmp_path / "demo", psa=demo)
        _quick_retries(setup)
        yield World(sandbox, setup, kind, demo.ids)
