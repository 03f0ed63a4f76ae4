"""Output a terminal cannot encode degrades; it never turns a recorded success into exit 1."""

from __future__ import annotations

import os
import subprocess
import sys

from psabill.state import Ledger, ledger_path
from tests.e2e.conftest import World


def test_an_ascii_stdout_gets_question_marks_and_the_exit_code_of_the_run(world: World) -> None:
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    env.pop("NO_COLOR", None)
    argv = ["--config", str(world.setup.config), "--state-dir", str(world.setup.state_dir)]

    done = subprocess.run(
        [sys.executable, "-m", "psabill", *argv, "sync", "--now"],
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )

    # click writes UTF-8 to a stream that claims ASCII (it calls that misconfigured); rich
    # writes through the stream itself, which is what used to fail. Off a terminal the plan
    # table is plain text written by click; the summary-mail line is click's too.
    stdout, stderr = done.stdout.decode(), done.stderr.decode()
    assert "UnicodeEncodeError" not in stderr
    assert done.returncode == 0, stdout + stderr
    rows = [line for line in stdout.splitlines() if line.startswith("Müller & Söhne GmbH  ")]
    assert len(rows) == 2  # the plan table's two lines for the customer
    with Ledger.open(ledger_path(world.setup.state_dir)) as ledger:
        assert [run.outcome for run in ledger.runs()] == ["success"]
