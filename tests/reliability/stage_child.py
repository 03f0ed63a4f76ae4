"""A real run in its own process that stops at a stage and waits there to be killed.

    python -m tests.reliability.stage_child CONFIG STATE_DIR MAIL_LOG NOW STAGE OCCURRENCE MODE

Runs :meth:`psabill.app.runner.Runner.run` (a scheduled sync at ``NOW``, with
``--allow-drop``, summaries through :class:`~tests.reliability.mail_log.LoggedFolder`).
The ``OCCURRENCE``-th time the run passes ``STAGE`` it prints ``reached STAGE``
and blocks inside the stage hook: MODE ``kill`` waits there for the parent's
SIGKILL (so it lands exactly there), MODE ``hold`` until the parent writes a
line (or closes stdin), then goes on. A run that ends prints ``finished OUTCOME``
and exits 0.

Besides the runner's stages, a PSA that posts deltas (Autotask) has two more, reached
through a journal wrapper handed to the production client:

* ``sending``: the journal entry is committed (on disk), the adjustment not yet POSTed;
* ``posted``: the POST was answered with the adjustment's id (it landed), the entry not yet
  settled: still ``sending`` in the ledger.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from psabill.app.connect import connect_psa
from psabill.app.runner import Runner
from psabill.config.loader import load_config
from psabill.config.models import Psa
from psabill.core.report import SyncRequest
from psabill.psa import DeltaJournal, PsaClient
from psabill.psa.base import Delta, DeltaState, JournalEntry
from tests.reliability.mail_log import LoggedFolder

ORPHANED = 70
"""Exit code of a ``kill`` child whose stdin closed first: its parent died, nobody will kill it."""
JOURNAL_STAGES = ("sending", "posted")


class HeldJournal:
    """The run's journal, calling ``hook`` after ``sending`` commits and before a ``posted``
    settle."""

    keeps = True

    def __init__(self, inner: DeltaJournal, hook: Callable[[str], None]) -> None:
        self.inner, self.hook = inner, hook

    def sending(self, delta: Delta) -> int:
        entry = self.inner.sending(delta)
        self.hook("sending")
        return entry

    def settle(self, entry: int, state: DeltaState, *, note: str | None = None) -> None:
        if state == "posted":
            self.hook("posted")
        self.inner.settle(entry, state, note=note)

    def open_entries(self, agreement_id: int, product_id: int) -> list[JournalEntry]:
        return self.inner.open_entries(agreement_id, product_id)


def main(argv: list[str]) -> int:
    config, state_dir, mail_log, now, stage, occurrence, mode = argv
    loaded = load_config(Path(config), os.environ)
    moment = datetime.fromisoformat(now)
    passed = 0

    def hook(reached: str) -> None:
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

    def factory(psa: Psa, *, journal: DeltaJournal | None = None) -> PsaClient:
        held = HeldJournal(journal, hook) if journal is not None else None
        return connect_psa(psa, journal=held)

    folder = loaded.base_dir / (loaded.config.notify.folder or "mail")
    runner = Runner(
        loaded,
        Path(state_dir),
        os.environ,
        clock=lambda: moment,
        psa=factory,
        mail=lambda: LoggedFolder(folder, Path(mail_log)),
        stage=hook,
    )
    result = runner.run(SyncRequest(trigger="scheduled", allow_drop=True))
    print(f"finished {result.report.outcome}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
