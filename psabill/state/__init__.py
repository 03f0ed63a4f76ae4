"""Local state: the SQLite ledger, the run lock, and where both live.

Typical use by the runner::

    state_dir = ensure_private_dir(resolve_state_dir(option, os.environ))
    with RunLock(lock_path(state_dir)), Ledger.open(ledger_path(state_dir)) as ledger:
        ledger.recover_interrupted(at=now)
        run_id = ledger.start_run(trigger="scheduled", started_at=now, ...)
"""

from psabill.core.outcome import Trigger
from psabill.state.adjustments import (
    ADJUSTMENT_TRANSITIONS,
    OPEN_STATES,
    AdjustmentRecord,
    AdjustmentState,
)
from psabill.state.customer_mail import (
    BilledLine,
    CustomerMailHistory,
    CustomerMailRecord,
    NewCustomerMail,
)
from psabill.state.ledger import LEDGER_FILENAME, Ledger, existing_ledger, ledger_path
from psabill.state.lock import LOCK_FILENAME, LockHolder, RunLock, lock_path
from psabill.state.migrations import SCHEMA_VERSION
from psabill.state.paths import ensure_private_dir, resolve_state_dir
from psabill.state.records import (
    LINE_STATUSES,
    LINE_TRANSITIONS,
    RUN_STATUSES,
    TRIGGERS,
    CompletedSlotRecord,
    LineCounts,
    LineRecord,
    LineStatus,
    LineUpdate,
    NewLine,
    NewMail,
    OutboxRecord,
    RunRecord,
    RunStatus,
)

__all__ = [
    "ADJUSTMENT_TRANSITIONS",
    "LEDGER_FILENAME",
    "LINE_STATUSES",
    "LINE_TRANSITIONS",
    "LOCK_FILENAME",
    "OPEN_STATES",
    "RUN_STATUSES",
    "SCHEMA_VERSION",
    "TRIGGERS",
    "AdjustmentRecord",
    "AdjustmentState",
    "BilledLine",
    "CompletedSlotRecord",
    "CustomerMailHistory",
    "CustomerMailRecord",
    "Ledger",
    "LineCounts",
    "LineRecord",
    "LineStatus",
    "LineUpdate",
    "LockHolder",
    "NewCustomerMail",
    "NewLine",
    "NewMail",
    "OutboxRecord",
    "RunLock",
    "RunRecord",
    "RunStatus",
    "Trigger",
    "ensure_private_dir",
    "existing_ledger",
    "ledger_path",
    "lock_path",
    "resolve_state_dir",
]
