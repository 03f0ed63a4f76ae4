"""A real run in its own process that stops at a stage and waits there to be killed.

    python -m tests.reliability.stage_child CONFIG STATE_DIR MAIL_LOG NOW STAGE OCCURRENCE MODE

Runs :meth:`psabill.app.runner.Runner.run` (a scheduled sync at ``NOW``, with
``--allow-drop``, summaries through :class:`~tests.reliability.mail_log.LoggedFolder`).
The ``OCCURRENCE``-th time the run passes ``STAGE`` it prints ``reached STAGE``
and blocks inside the stage hook: MODE ``kill`` waits there for the parent's
SIGKILL (so it lands exactly there), MODE ``hold`` until the parent writes a
line (or closes stdin), then goes on. A run that ends prints ``finished OUTCOME``
and exits 0.
"""

from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path

from psabill.app.runner import Runner
from psabill.config.loader import load_config
from psabill.core.report import Stage, SyncRequest
from tests.reliability.mail_log import LoggedFolder

ORPHANED = 70
"""Exit code of a ``kill`` child whose stdin closed first: its parent died, nobody will kill it."""


def main(argv: list[str]) -> int:
    config, state_dir, mail_log, now, stage, occurrence, mode = argv
    loaded = load_config(Path(config), os.environ)
    moment = datetime.fromisoformat(now)
    passed = 0

    def hook(reached: Stage) -> None:
        nonlocal passed
        if reached != stage:
            return
        passed += 1
        if passed == int(occurrence):
            print(f"reached {stage}", flush=True)
            sys.stdin.readline()  # the parent's line ("hold"), its SIGKILL, or its death (EOF)
            if mode == "hold":
                return
            os._exit(ORPHANED)

    folder = loaded.base_dir / (loaded.config.notify.folder or "mail")
    runner = Runner(
        loaded,
        Path(state_dir),
        os.environ,
        clock=lambda: moment,
        mail=lambda: LoggedFolder(folder, Path(mail_log)),
        stage=hook,
    )
    result = runner.run(SyncRequest(trigger="scheduled", allow_drop=True))
    print(f"finished {result.report.outcome}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
