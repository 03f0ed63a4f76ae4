"""The ledger's vocabulary: status literals and the frozen records it takes and returns.

Every datetime here is aware (UTC when read back, at whole seconds) and every
quantity a :class:`~decimal.Decimal`, read back exactly as it was written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Final, Literal, get_args

from psabill.core.outcome import Trigger

RunStatus = Literal["running", "success", "partial", "failure", "guard", "interrupted", "planned"]
"""How a run ended. ``running`` until :meth:`Ledger.finish_run`; ``interrupted`` when the
process died first; ``planned`` when it stopped at a plan awaiting approval."""

LineStatus = Literal["planned", "sent", "confirmed", "failed", "skipped"]
"""Where one line stands: planned → sent → confirmed (or failed); skipped lines are never sent."""

TRIGGERS: Final[tuple[Trigger, ...]] = get_args(Trigger)
RUN_STATUSES: Final[tuple[RunStatus, ...]] = get_args(RunStatus)
LINE_STATUSES: Final[tuple[LineStatus, ...]] = get_args(LineStatus)

LINE_TRANSITIONS: Final[Mapping[LineStatus, tuple[LineStatus, ...]]] = {
    "planned": (),
    "sent": ("planned",),
    "confirmed": ("planned", "sent"),
    "failed": ("planned", "sent"),
    "skipped": ("planned",),
}
"""For each status, the statuses a line may move to it *from*. Nothing moves back to
``planned``, and ``confirmed``/``failed``/``skipped`` are final: a retry is a new run."""


@dataclass(frozen=True)
class NewMail:
    """One e-mail to queue: envelope addresses, subject and the full RFC 5322 bytes."""

    sender: str
    recipients: tuple[str, ...]
    subject: str
    message: bytes


@dataclass(frozen=True, kw_only=True)
class NewLine:
    """One line of a run's plan, as the runner records it before touching the PSA.

    ``product`` is the vendor SKU; ``action`` is the planner's verb (``create``,
    ``update``, ``unchanged``, ``zero``, ``cancel``, ``skip``, ...), stored as given.
    """

    customer: str
    product: str
    action: str
    status: LineStatus = "planned"
    company: str | None = None
    agreement_id: int | None = None
    agreement_name: str | None = None
    psa_product: str | None = None
    old_quantity: Decimal | None = None
    new_quantity: Decimal | None = None
    addition_id: int | None = None
    why: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class LineUpdate:
    """One line's move for :meth:`~psabill.state.ledger.Ledger.update_lines`; a field left
    ``None`` keeps the stored value."""

    line_id: int
    status: LineStatus
    addition_id: int | None = None
    error: str | None = None
    old_quantity: Decimal | None = None


@dataclass(frozen=True)
class LineCounts:
    """How many of a run's lines are in each status."""

    planned: int = 0
    sent: int = 0
    confirmed: int = 0
    failed: int = 0
    skipped: int = 0

    @property
    def total(self) -> int:
        return self.planned + self.sent + self.confirmed + self.failed + self.skipped


@dataclass(frozen=True)
class RunRecord:
    """One run, with its line counts and its parsed summary."""

    id: int
    trigger: Trigger
    slot_key: str | None
    period: str | None
    started_at: datetime
    finished_at: datetime | None
    outcome: RunStatus
    acting_admin: str | None
    dry_run: bool
    pid: int
    hostname: str
    version: str
    summary: Mapping[str, object] | None
    line_counts: LineCounts


@dataclass(frozen=True)
class LineRecord:
    """One stored line of a run (see :class:`NewLine`)."""

    id: int
    run_id: int
    customer: str
    company: str | None
    agreement_id: int | None
    agreement_name: str | None
    product: str
    psa_product: str | None
    old_quantity: Decimal | None
    new_quantity: Decimal | None
    action: str
    status: LineStatus
    addition_id: int | None
    why: str | None
    error: str | None
    updated_at: datetime


@dataclass(frozen=True)
class CompletedSlotRecord:
    """A billing period that is done for one customer: the once-per-period record."""

    customer: str
    period: str
    slot_key: str
    slot_at: datetime
    run_id: int
    completed_at: datetime


@dataclass(frozen=True)
class OutboxRecord:
    """One e-mail waiting to be (or already) sent; ``message`` is the full RFC 5322 bytes."""

    id: int
    run_id: int | None
    created_at: datetime
    sender: str
    recipients: tuple[str, ...]
    subject: str
    message: bytes
    attempts: int
    last_error: str | None
    last_attempt_at: datetime | None
    sent_at: datetime | None
