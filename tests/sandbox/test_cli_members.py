"""``psabill sandbox serve --member``: the printed keys are that member's, with its rights."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tomllib
from pathlib import Path

from click.testing import CliRunner

from psabill.cli.sandbox_cmd import sandbox
from tests.sandbox.support import make_client

ROOT = Path(__file__).resolve().parents[2]


def test_member_option_lists_every_seeded_member() -> None:
    result = CliRunner().invoke(sandbox, ["serve", "--help"])
    assert result.exit_code == 0
    assert "no-agreement-edit" in result.output
    assert "readonly" in result.output
    refused = CliRunner().invoke(sandbox, ["serve", "--member", "nobody"])
    assert refused.exit_code == 2


def test_print_config_as_a_partial_member(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "psabill.cli.sandbox_cmd", "serve", "--print-config"]
    process = subprocess.Popen(
        [*command, "--member", "no-agreement-edit"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        assert process.stdout is not None
        config = tomllib.loads("".join(process.stdout.readline() for _ in range(7)))["psa"]
        assert config["public_key"] == "sandbox-public-no-agreement-edit"
        auth = (f"{config['company']}+{config['public_key']}", config["private_key"])
        api = config["site"] + "/v4_6_release/apis/3.0"
        headers = {"clientId": config["client_id"]}
        with make_client(base_url=api, auth=auth, headers=headers) as http:
            assert http.get("finance/agreements/1500/additions").status_code == 200
            patch = [{"op": "replace", "path": "quantity", "value": 1}]
            edit = http.patch("finance/agreements/1500/additions/9000", json=patch)
            assert edit.status_code == 403
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        assert process.stderr is not None
        assert "members:" in process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
