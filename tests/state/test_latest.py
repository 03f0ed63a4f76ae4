"""Every customer's latest completed period at once equals asking for each one."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from psabill.state import Ledger, ledger_path
from psabill.state.db import decode_time, encode_time
from psabill.state.latest import _time


@pytest.mark.parametrize("seed", range(8))
def test_last_completed_all_is_last_completed_of_each_customer(seed: int, tmp_path: Path) -> None:
    rng = random.Random(seed)
    customers = [f"c{n}" for n in range(rng.randint(1, 30))] + ["sophos:7d1f-acme"]
    start = datetime(2026, 1, 1, 6, tzinfo=UTC)
    with Ledger.open(ledger_path(tmp_path)) as ledger:
        for index in range(rng.randint(1, 12)):
            at = start + timedelta(days=rng.choice([index * 30, 0, 31]))  # repeated slots: ties
            run = ledger.start_run(trigger="scheduled", started_at=at)
            done = at + timedelta(minutes=rng.randrange(600))
            some = rng.sample(customers, rng.randint(1, len(customers)))
            ledger.complete_slots(
                run, customers=some, period=f"p{index}", slot_key=at.isoformat(),
                slot_at=at, completed_at=done,
            )  # fmt: skip
        every = ledger.last_completed_all()
        each = {c: ledger.last_completed(c) for c in [*customers, "never"]}
    assert every == {c: record for c, record in each.items() if record is not None}
    assert len(every) >= 1


def test_the_fast_time_decoder_decodes_as_decode_time() -> None:
    moments = [datetime(2026, 3, 29, 1, 59, 59, tzinfo=UTC), datetime(1999, 12, 31, tzinfo=UTC)]
    for moment in moments:
        text = encode_time(moment)
        assert _time(text) == decode_time(text) == moment
        assert _time(text).utcoffset() == timedelta(0)
