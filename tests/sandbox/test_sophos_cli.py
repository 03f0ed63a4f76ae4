"""``psabill sandbox serve --vendor sophos`` as a process: its printed [[sources]] section reads
usage from it with psabill's own source reader."""

from __future__ import annotations

import json
import signal
import tomllib
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner
from pydantic import TypeAdapter

from psabill.cli.sandbox_cmd import sandbox
from psabill.config.source_models import Source
from psabill.sources import read_source
from tests.sandbox.test_cli import _start, processes  # noqa: F401

SECTION_LINES = 9


def test_serve_vendor_sophos_prints_a_source_that_reads(
    tmp_path: Path,
    processes: list,  # noqa: F811 - the fixture
) -> None:
    state_out = tmp_path / "sophos.json"
    process = _start("--vendor", "sophos", "--print-config", "--state-out", str(state_out))
    processes.append(process)
    assert process.stdout is not None
    text = "".join(process.stdout.readline() for _ in range(SECTION_LINES))
    section = tomllib.loads(text)["sources"][0]
    assert section["kind"] == "sophos"
    assert section["id_url"].startswith("http://127.0.0.1:")
    source = TypeAdapter(Source).validate_python(section)
    records = read_source(source, base_dir=tmp_path, env={})
    assert {r.customer for r in records} >= {"7d1f3c2e-acme", "no-tenant-SA-0001"}
    assert records[0].as_of is not None
    assert records[0].as_of < datetime.now(UTC).date()
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 0
    assert "7d1f3c2e-acme" in json.dumps(json.loads(state_out.read_text())["tenants"])
    assert process.stderr is not None
    assert "fake Sophos Central" in process.stderr.read()


def test_serve_vendor_refuses_a_large_seed() -> None:
    result = CliRunner().invoke(sandbox, ["serve", "--vendor", "sophos", "--seed", "large:5:5"])
    assert result.exit_code == 2
    assert "a vendor sandbox takes --seed demo or empty" in result.output
