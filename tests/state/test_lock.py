"""The run lock, against real processes: it excludes them, and it dies with its holder."""

from __future__ import annotations

import os
import socket
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from psabill.errors import ExitCode, LockedError
from psabill.state import RunLock, lock_path
from psabill.state.lock import parse_holder

from .support import Child

HOLD_LOCK = """
import sys
from pathlib import Path
from psabill.state import RunLock, lock_path

lock = RunLock(Path(sys.argv[1]))
lock.acquire()
print("locked", flush=True)
sys.stdin.readline()
lock.release()
"""

HOLD_BARE_FLOCK = """
import fcntl, os, sys

fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
print("locked", flush=True)
sys.stdin.readline()
"""

Spawn = Callable[..., Child]


@pytest.fixture
def lock_file(tmp_path: Path) -> Path:
    return lock_path(tmp_path / "state")


def test_acquire_records_this_process_in_a_private_file(lock_file: Path) -> None:
    with RunLock(lock_file) as lock:
        holder = lock.holder()
        assert holder is not None
        assert holder.pid == os.getpid()
        assert holder.host == socket.gethostname()
        assert holder.started is not None
        assert holder.started.tzinfo is not None
        assert lock_file.read_text().startswith(f"pid={os.getpid()} host=")
    assert stat.S_IMODE(lock_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(lock_file.parent.stat().st_mode) == 0o700


def test_release_keeps_the_file_and_clears_the_holder(lock_file: Path) -> None:
    lock = RunLock(lock_file)
    lock.acquire()
    lock.release()

    assert lock_file.exists()
    assert lock.holder() is None
    assert not lock.held
    lock.release()  # A second release is a no-op.


def test_release_then_reacquire_in_the_same_process(lock_file: Path) -> None:
    lock = RunLock(lock_file)
    for _ in range(3):
        lock.acquire()
        assert lock.held
        lock.release()
    with RunLock(lock_file):
        pass


def test_two_locks_exclude_each_other_even_in_one_process(lock_file: Path) -> None:
    with RunLock(lock_file), pytest.raises(LockedError, match=f"PID {os.getpid()} on"):
        RunLock(lock_file).acquire()


def test_acquiring_twice_through_one_object_is_a_bug(lock_file: Path) -> None:
    with RunLock(lock_file) as lock, pytest.raises(RuntimeError):
        lock.acquire()


def test_context_manager_releases_on_error(lock_file: Path) -> None:
    with pytest.raises(KeyError), RunLock(lock_file):
        raise KeyError("boom")
    with RunLock(lock_file) as again:
        assert again.held


def test_another_process_holding_the_lock_is_named(lock_file: Path, spawn: Spawn) -> None:
    child = spawn(HOLD_LOCK, str(lock_file))
    child.wait_for("locked")

    with pytest.raises(LockedError) as caught:
        RunLock(lock_file).acquire()

    error = caught.value
    assert f"PID {child.pid} on {socket.gethostname()}, started " in str(error)
    assert str(lock_file) in str(error)
    assert error.exit_code == ExitCode.LOCKED
    assert error.hint is not None
    assert "wait" in error.hint
    # The refused attempt must not have disturbed the holder's record.
    holder = RunLock(lock_file).holder()
    assert holder is not None
    assert holder.pid == child.pid

    assert child.finish() == 0
    with RunLock(lock_file) as lock:
        assert lock.held


def test_a_killed_holder_never_blocks_the_next_run(lock_file: Path, spawn: Spawn) -> None:
    child = spawn(HOLD_LOCK, str(lock_file))
    child.wait_for("locked")
    with pytest.raises(LockedError):
        RunLock(lock_file).acquire()

    child.kill()

    stale = RunLock(lock_file).holder()
    assert stale is not None
    assert stale.pid == child.pid  # The file still names it; the kernel freed the lock anyway.
    with RunLock(lock_file) as lock:
        mine = lock.holder()
        assert mine is not None
        assert mine.pid == os.getpid()


def test_a_holder_that_wrote_nothing_yet_still_blocks(lock_file: Path, spawn: Spawn) -> None:
    lock_file.parent.mkdir()
    child = spawn(HOLD_BARE_FLOCK, str(lock_file))
    child.wait_for("locked")

    with pytest.raises(LockedError) as caught:
        RunLock(lock_file).acquire()

    assert str(caught.value) == f"another psabill run holds the lock {lock_file}"


@pytest.mark.parametrize(
    "text",
    ["", "garbage", "pid=abc host=h", "host=h started=2026-11-22T06:00:03Z", "\x00\x01"],
)
def test_parse_holder_returns_none_for_unusable_contents(text: str) -> None:
    assert parse_holder(text) is None


def test_parse_holder_tolerates_a_bad_start_time() -> None:
    holder = parse_holder("pid=42 host=box started=yesterday\n")
    assert holder is not None
    assert (holder.pid, holder.host, holder.started) == (42, "box", None)
    assert holder.describe() == "PID 42 on box"
