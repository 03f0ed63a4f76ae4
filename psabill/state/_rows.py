"""Ledger rows ⇄ records: the queries' column lists and the conversions, in one place."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from typing import Any

from psabill.state.db import (
    decode_decimal,
    decode_optional_time,
    decode_time,
    encode_decimal,
)
from psabill.state.records import (
    CompletedSlotRecord,
    LineCounts,
    LineRecord,
    LineUpdate,
    NewLine,
    OutboxRecord,
    RunRecord,
)

RUN_SELECT = """
    SELECT r.*,
        COALESCE(SUM(l.status = 'planned'), 0) AS n_planned,
        COALESCE(SUM(l.status = 'sent'), 0) AS n_sent,
        COALESCE(SUM(l.status = 'confirmed'), 0) AS n_confirmed,
        COALESCE(SUM(l.status = 'failed'), 0) AS n_failed,
        COALESCE(SUM(l.status = 'skipped'), 0) AS n_skipped
    FROM runs AS r LEFT JOIN run_lines AS l ON l.run_id = r.id
"""
"""Runs with their line counts; append ``WHERE ...`` then ``GROUP BY r.id``."""

LINE_INSERT = """
    INSERT INTO run_lines (run_id, customer, company, agreement_id, agreement_name, product,
        psa_product, old_quantity, new_quantity, action, status, addition_id, why, error,
        updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""


LINE_UPDATE = """
    UPDATE run_lines SET status = ?, updated_at = ?, addition_id = COALESCE(?, addition_id),
        error = COALESCE(?, error), old_quantity = COALESCE(?, old_quantity)
    WHERE id = ?
"""
"""A line's move: fields given as ``NULL`` keep their stored value."""


def line_update_values(change: LineUpdate, updated_at: str) -> tuple[Any, ...]:
    """Parameters for :data:`LINE_UPDATE`; raises on a float or non-finite quantity."""
    old_quantity = encode_decimal(change.old_quantity)
    return (
        change.status,
        updated_at,
        change.addition_id,
        change.error,
        old_quantity,
        change.line_id,
    )


def line_values(run_id: int, line: NewLine, updated_at: str) -> tuple[Any, ...]:
    """Parameters for :data:`LINE_INSERT`; raises on a float or non-finite quantity."""
    return (
        run_id,
        line.customer,
        line.company,
        line.agreement_id,
        line.agreement_name,
        line.product,
        line.psa_product,
        encode_decimal(line.old_quantity),
        encode_decimal(line.new_quantity),
        line.action,
        line.status,
        line.addition_id,
        line.why,
        line.error,
        updated_at,
    )


def run_record(row: sqlite3.Row) -> RunRecord:
    summary: Mapping[str, object] | None = (
        None if row["summary_json"] is None else json.loads(row["summary_json"])
    )
    return RunRecord(
        id=row["id"],
        trigger=row["trigger"],
        slot_key=row["slot_key"],
        period=row["period"],
        started_at=decode_time(row["started_at"]),
        finished_at=decode_optional_time(row["finished_at"]),
        outcome=row["outcome"],
        acting_admin=row["acting_admin"],
        dry_run=bool(row["dry_run"]),
        pid=row["pid"],
        hostname=row["hostname"],
        version=row["version"],
        summary=summary,
        line_counts=LineCounts(
            planned=row["n_planned"],
            sent=row["n_sent"],
            confirmed=row["n_confirmed"],
            failed=row["n_failed"],
            skipped=row["n_skipped"],
        ),
    )


def line_record(row: sqlite3.Row) -> LineRecord:
    return LineRecord(
        id=row["id"],
        run_id=row["run_id"],
        customer=row["customer"],
        company=row["company"],
        agreement_id=row["agreement_id"],
        agreement_name=row["agreement_name"],
        product=row["product"],
        psa_product=row["psa_product"],
        old_quantity=decode_decimal(row["old_quantity"]),
        new_quantity=decode_decimal(row["new_quantity"]),
        action=row["action"],
        status=row["status"],
        addition_id=row["addition_id"],
        why=row["why"],
        error=row["error"],
        updated_at=decode_time(row["updated_at"]),
    )


def completed_slot_record(row: sqlite3.Row) -> CompletedSlotRecord:
    return CompletedSlotRecord(
        customer=row["customer"],
        period=row["period"],
        slot_key=row["slot_key"],
        slot_at=decode_time(row["slot_at"]),
        run_id=row["run_id"],
        completed_at=decode_time(row["completed_at"]),
    )


def outbox_record(row: sqlite3.Row) -> OutboxRecord:
    return OutboxRecord(
        id=row["id"],
        run_id=row["run_id"],
        created_at=decode_time(row["created_at"]),
        sender=row["sender"],
        recipients=tuple(json.loads(row["recipients_json"])),
        subject=row["subject"],
        message=bytes(row["message"]),
        attempts=row["attempts"],
        last_error=row["last_error"],
        last_attempt_at=decode_optional_time(row["last_attempt_at"]),
        sent_at=decode_optional_time(row["sent_at"]),
    )
