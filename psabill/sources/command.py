"""Run a vendor export program and capture what it prints.

The program runs directly from ``argv`` (never through a shell, so no config
value is ever interpreted by one), with no standard input, in the config
file's directory and in its own process group: on timeout the whole group is
killed, so a grandchild holding the output pipe cannot keep psabill waiting.

Standard output is spooled (to memory, then to a temporary file when large)
and parsed only after the program exited successfully: a half-written export
from a failing or stopped program is never read.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections import deque
from collections.abc import Mapping
from pathlib import Path
from tempfile import SpooledTemporaryFile
from typing import IO

from psabill.config.source_models import CommandSource
from psabill.errors import SourceError

SPOOL_IN_MEMORY = 8 * 1024 * 1024
STDERR_TAIL_BYTES = 4096
STDERR_TAIL_LINES = 3
STDERR_TAIL_CHARS = 400
STDERR_GRACE = 5.0
"""Seconds to wait for the rest of standard error once the program has exited."""


def run_command(source: CommandSource, *, base_dir: Path, env: Mapping[str, str]) -> IO[bytes]:
    """Run the program; return its standard output, rewound. Failures raise SourceError."""
    label = f"command {source.name}"
    process = _start(source, base_dir, env, label)
    output: IO[bytes] = SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 - caller closes
    try:
        _supervise(process, source, output, label)
    except BaseException:
        output.close()
        raise
    output.seek(0)
    return output


def _supervise(
    process: subprocess.Popen[bytes], source: CommandSource, output: IO[bytes], label: str
) -> None:
    """Copy the program's output into ``output`` under the timeout; raise unless it succeeded.

    Whatever happens, the program (and its process group) has ended when this returns.
    """
    timed_out = threading.Event()
    timer = threading.Timer(source.timeout, _kill, (process, timed_out))
    timer.daemon = True
    tail = _Tail()
    drain = threading.Thread(target=tail.read, args=(process.stderr,), daemon=True)
    timer.start()
    drain.start()
    try:
        _copy(process, output, label)
        status = process.wait()
    finally:
        timer.cancel()
        _kill(process, None)  # only when something went wrong before the program ended
        process.wait()
        drain.join(timeout=STDERR_GRACE)
    if timed_out.is_set():
        raise SourceError(
            f"{label}: timed out after {source.timeout} s",
            hint="raise `timeout` for this source, or make the program faster",
        )
    if status != 0:
        raise SourceError(f"{label}: {_status(status)}{tail.summary()}")


def _start(
    source: CommandSource, base_dir: Path, env: Mapping[str, str], label: str
) -> subprocess.Popen[bytes]:
    program = source.argv[0]
    try:
        return subprocess.Popen(
            source.argv,
            shell=False,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=base_dir,
            env=dict(env),
            start_new_session=True,
        )
    except FileNotFoundError:
        if not base_dir.is_dir():
            raise SourceError(f"{label}: directory {base_dir} does not exist") from None
        raise SourceError(
            f'{label}: program "{program}" not found',
            hint="give the full path in argv[0], or make sure it is on PATH",
        ) from None
    except PermissionError:
        raise SourceError(
            f'{label}: program "{program}" cannot be run (permission denied)',
            hint="make it executable (chmod +x) or run it through its interpreter in argv",
        ) from None
    except OSError as exc:
        raise SourceError(f'{label}: cannot run "{program}": {exc.strerror or exc}') from None
    except ValueError as exc:  # a NUL character in argv
        raise SourceError(f"{label}: cannot run {program!r}: {exc}") from None


def _copy(process: subprocess.Popen[bytes], output: IO[bytes], label: str) -> None:
    assert process.stdout is not None
    try:
        while chunk := process.stdout.read(64 * 1024):
            output.write(chunk)
    except OSError as exc:
        raise SourceError(f"{label}: cannot keep its output: {exc.strerror or exc}") from None
    finally:
        process.stdout.close()


class _Tail:
    """The last few KiB of standard error, read to the end so the program never blocks on it."""

    def __init__(self) -> None:
        self._chunks: deque[bytes] = deque()
        self._kept = 0
        self._dropped = False
        self._lock = threading.Lock()

    def read(self, stream: IO[bytes] | None) -> None:
        if stream is None:
            return
        with stream:
            while chunk := stream.read(4096):
                with self._lock:
                    self._chunks.append(chunk)
                    self._kept += len(chunk)
                    while self._kept - len(self._chunks[0]) >= STDERR_TAIL_BYTES:
                        self._kept -= len(self._chunks.popleft())
                        self._dropped = True

    def summary(self) -> str:
        """``": last | lines"`` for an error message, at most ``STDERR_TAIL_CHARS`` long."""
        with self._lock:
            text = b"".join(self._chunks).decode("utf-8", "replace")
            cut = self._dropped
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if cut and len(lines) > 1:
            lines = lines[1:]  # starts mid-line
        if not lines:
            return " (no error output)"
        tail = " | ".join(lines[-STDERR_TAIL_LINES:])
        if len(tail) > STDERR_TAIL_CHARS:
            tail = "..." + tail[-STDERR_TAIL_CHARS + 3 :]
        return ": " + tail


def _kill(process: subprocess.Popen[bytes], timed_out: threading.Event | None) -> None:
    """Kill the program's whole process group, if the program still runs."""
    if process.poll() is not None:
        return
    if timed_out is not None:
        timed_out.set()
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except OSError:
        process.kill()


def _status(status: int) -> str:
    if status < 0:
        try:
            name = signal.Signals(-status).name
        except ValueError:
            name = f"signal {-status}"
        return f"was killed by {name}"
    return f"exited with status {status}"
