"""A sandbox-backed world for fault, crash and overlap tests, and the figures they report.

The world is seeded the ConnectWise way and served by the sandbox of any PSA kind; what it
holds is read PSA-neutrally, as the lines the PSA bills on the world's billing day
(:class:`~tests.reliability.psa_kinds.Terms`)."""

from __future__ import annotations

import fcntl
import json
import os
import random
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from psabill.app.runner import Runner
from psabill.config.loader import load_config
from psabill.core.report import SyncReport, SyncRequest
from psabill.sandbox import Sandbox, Store
from psabill.sandbox.kinds import psa_section
from psabill.sandbox.seed import seed_large
from psabill.sandbox.world import customer_id, product_sku, write_usage, write_world_config
from tests.reliability.psa_kinds import Terms, psa_world_sandbox

CUSTOMERS, PRODUCTS = 4, 3
KEYS = [(customer_id(c), product_sku(p)) for c in range(1, CUSTOMERS + 1) for p in range(1, 4)]
STATS_FILE = Path(__file__).parent / ".." / ".." / ".reliability-figures.json"


@dataclass
class Figures:
    """What the reliability tests did, for the README's "How psabill keeps billing safe"."""

    runs: int = 0
    faults: int = 0
    crashes: int = 0
    duplicates: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    kills: dict[str, int] = field(default_factory=dict)
    """SIGKILLs that landed inside a run, by the stage it was held at; ``crashes`` sums them."""

    def killed(self, stage: str) -> None:
        """Count one SIGKILL that interrupted a run at a stage it reported."""
        self.crashes += 1
        self.kills[stage] = self.kills.get(stage, 0) + 1

    def save(self) -> None:
        data = {"runs": self.runs, "faults": self.faults, "crashes": self.crashes}
        data["duplicates"] = self.duplicates
        _save_merged({**data, "kills": self.kills, "counts": self.counts})


def _save_merged(data: dict[str, Any]) -> None:
    """Write the figures; under xdist, added to what this session's other workers wrote.

    Each xdist worker has its own FIGURES and saves them at its end; without
    the merge the file held one worker's share. The file names its session.
    """
    session = os.environ.get("PYTEST_XDIST_TESTRUNUID", "")
    fd = os.open(STATS_FILE.resolve(), os.O_RDWR | os.O_CREAT, 0o644)
    with os.fdopen(fd, "r+", encoding="utf-8") as file:
        fcntl.flock(file, fcntl.LOCK_EX)
        try:
            earlier = json.loads(file.read() or "{}")
        except ValueError:
            earlier = {}
        if session and earlier.get("session") == session:
            for name in ("runs", "faults", "crashes", "duplicates"):
                data[name] += earlier.get(name, 0)
            data["kills"] = dict(Counter(earlier.get("kills", {})) + Counter(data["kills"]))
            data["counts"] = dict(Counter(earlier.get("counts", {})) + Counter(data["counts"]))
        file.seek(0)
        file.truncate()
        file.write(json.dumps({**data, "session": session}, indent=2) + "\n")


FIGURES = Figures()


@dataclass
class World:
    sandbox: Sandbox
    directory: Path
    terms: Terms
    usage: dict[tuple[str, str], int] = field(default_factory=dict)
    counted: int = 0
    billing_day: date | None = None
    """The day runs bill (None: today), on which :meth:`live` reads the PSA."""

    @property
    def kind(self) -> str:
        return self.terms.kind

    @property
    def config(self) -> Path:
        return self.directory / "psabill.toml"

    @property
    def state_dir(self) -> Path:
        return self.directory / "state"

    def set_usage(self, usage: dict[tuple[str, str], int]) -> None:
        self.usage = dict(usage)
        write_usage(self.directory, usage)

    def run(self, **request: Any) -> SyncReport:
        runner = Runner(load_config(self.config, os.environ), self.state_dir, os.environ)
        report = runner.sync(SyncRequest(trigger="manual", allow_drop=True, **request))
        FIGURES.runs += 1
        return report

    def live(self) -> dict[tuple[str, str], Decimal]:
        """(customer, SKU) -> quantity of each live line the PSA bills; counts duplicates."""
        found: dict[tuple[str, str], Decimal] = {}
        for key, lines in self.terms.billed(self.sandbox, self.billing_day).items():
            live = [line.quantity for line in lines if not line.cancelled]
            if len(live) > 1:
                FIGURES.duplicates += 1
                raise AssertionError(f"{len(live)} live lines for {key}")
            if live:
                found[key] = live[0]
        return found

    def count_faults(self) -> None:
        """Add the faults the sandbox injected since the last count to the figures."""
        log = self.sandbox.requests()
        FIGURES.faults += sum(1 for entry in log[self.counted :] if entry.fault)
        self.counted = len(log)

    def assert_converged(self) -> None:
        live = self.live()
        for key, quantity in self.usage.items():
            assert live.get(key) == quantity, (key, live.get(key), quantity)

    def ledger_rows(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.state_dir / "ledger.sqlite3") as conn:
            return conn.execute(query, params).fetchall()

    def sync_process(self, *args: str) -> subprocess.Popen[str]:
        """`psabill sync --now` as a real process, for kill -9 and overlap tests."""
        argv = [sys.executable, "-m", "psabill", "--config", str(self.config)]
        argv += ["--state-dir", str(self.state_dir), "sync", "--now", "--allow-drop", *args]
        FIGURES.runs += 1
        return subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ)
        )


@contextmanager
def world(
    tmp_path: Path,
    *,
    extra_psa: str = "retries = 2\ntimeout = 1\n",
    kind: str = "connectwise",
    prepare: Callable[[Store], None] | None = None,
    on_usage_gone: dict[str, str] | None = None,
) -> Iterator[World]:
    """A seeded world on PSA ``kind``; ``prepare`` changes the seeded store before the
    sandbox serves (and Autotask or HaloPSA translates) it."""
    store = Store()
    seed_large(store, CUSTOMERS, PRODUCTS, seed=11)
    if prepare is not None:
        prepare(store)
    terms = Terms.of(kind, store)
    with psa_world_sandbox(kind, store) as sandbox:
        directory = tmp_path / "world"
        write_world_config(
            directory,
            sandbox.site_url,
            customers=CUSTOMERS,
            products=PRODUCTS,
            on_usage_gone=on_usage_gone,
            extra_psa=extra_psa,
            psa=None if kind == "connectwise" else psa_section(sandbox),
            names=terms.names,
        )
        yield World(sandbox, directory, terms)


def random_usage(rng: random.Random) -> dict[tuple[str, str], int]:
    """Usage for every key (so "disappeared" policies do not blur the expectations)."""
    return {key: rng.randrange(1, 300) for key in KEYS}
