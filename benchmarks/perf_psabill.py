"""psabill as a user runs it: the ``psabill`` command in a process of its own.

:func:`run` measures one command: wall time around the process, and its own CPU (user + system)
and peak RSS from ``os.wait4``, so neither the benchmark nor the sandbox counts.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psabill


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float
    """User + system CPU seconds of the psabill process."""
    peak_rss_mib: float
    exit_code: int
    output_tail: str

    def as_json(self) -> dict[str, Any]:
        figures = asdict(self)
        figures.pop("output_tail")
        return figures


def command() -> list[str]:
    """The installed ``psabill`` script next to this interpreter, else ``python -m psabill``."""
    script = Path(sys.executable).with_name("psabill")
    return [str(script)] if script.exists() else [sys.executable, "-m", "psabill"]


PYCACHE = Path(tempfile.gettempdir()) / "psabill-perf-pycache"
"""Where psabill's processes keep their bytecode, outside the repository."""


def environment() -> dict[str, str]:
    """The environment of a psabill process: no PSABILL_* settings, no colour, and bytecode
    cached as an installed package's is. (Where PYTHONDONTWRITEBYTECODE is set, as on this
    benchmark's machine, every run would otherwise compile psabill from source.)"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PSABILL_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(NO_COLOR="1", COLUMNS="160", PYTHONPYCACHEPREFIX=str(PYCACHE))
    return env


def warm_up() -> None:
    """`psabill --help` loads every command's module once, so later runs find it compiled."""
    run(["--help"])


def run(arguments: Sequence[str]) -> Run:
    """Run ``psabill ARGUMENTS`` to its end; its output goes to a file, as under cron."""
    with tempfile.TemporaryFile() as output:
        started = time.perf_counter()
        process = subprocess.Popen(
            [*command(), *arguments], stdout=output, stderr=subprocess.STDOUT, env=environment()
        )
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        tail = output.read()[-2000:].decode("utf-8", "replace")
    return Run(
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        peak_rss_mib=usage.ru_maxrss / 1024,
        exit_code=process.returncode,
        output_tail=tail,
    )


def options(config: Path, state_dir: Path) -> list[str]:
    return ["-c", str(config), "--state-dir", str(state_dir)]


@dataclass(frozen=True)
class Startup:
    name: str
    median_ms: float
    runs: int
    exit_codes: list[int]
    expected_exit: int
    cpu_median_ms: float


def use_up_slot(config: Path, state_dir: Path) -> Run:
    """One scheduled `psabill sync` (the config's schedule is due daily): the next is not due."""
    return run([*options(config, state_dir), "sync"])


def startup(config: Path, state_dir: Path, repeats: int) -> list[Startup]:
    """Median wall time of `psabill due`, `psabill --version` and a sync that is not due
    (call :func:`use_up_slot` first)."""
    cases = (
        ("psabill due (not due)", [*options(config, state_dir), "due"], 1),
        ("psabill --version", ["--version"], 0),
        ("psabill sync (not due)", [*options(config, state_dir), "sync"], 0),
    )
    results = []
    for name, arguments, expected in cases:
        runs = [run(arguments) for _ in range(repeats)]
        results.append(
            Startup(
                name=name,
                median_ms=statistics.median(r.wall for r in runs) * 1000,
                runs=repeats,
                exit_codes=sorted({r.exit_code for r in runs}),
                expected_exit=expected,
                cpu_median_ms=statistics.median(r.cpu for r in runs) * 1000,
            )
        )
    return results


def provenance() -> str:
    """Which psabill is measured: its directory and, in a git checkout, the commit and edits."""
    where = Path(psabill.__file__).resolve().parent.parent
    git = ["git", "-C", str(where)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    if head.returncode != 0:
        return str(where)
    status = subprocess.run([*git, "status", "--porcelain", "--", "psabill"], capture_output=True)
    edited = len(status.stdout.splitlines())
    return f"{where} at {head.stdout.strip()} + {edited} uncommitted change(s) under psabill/"


def note(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)
