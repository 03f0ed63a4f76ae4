"""Helpers for the operations tests: a loopback ping server, unit-file parsing, CLI checks."""

from __future__ import annotations

import shlex
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from click.testing import CliRunner

from psabill.cli import main

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "examples"
SHELL_OPERATORS = {">", ">>", "<", "||", "&&", "|", ";", "2>&1"}


@dataclass
class PingServer:
    """A Healthchecks stand-in on loopback: records each request's method and path."""

    status: int = 200
    slow: bool = False
    hits: list[tuple[str, str]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    url: str = ""


@contextmanager
def ping_server(status: int = 200, *, slow: bool = False) -> Iterator[PingServer]:
    state = PingServer(status=status, slow=slow)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.hits.append(("GET", self.path))
            if state.slow:
                state.release.wait(10)
            self.send_response(state.status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"OK")

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/ping/5f1c0d2e-secret-uuid"
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


def dead_url() -> str:
    """A loopback URL nothing listens on: connecting is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/ping/5f1c0d2e-secret-uuid"


def unit_entries(text: str) -> list[tuple[str, str, str]]:
    """(section, key, value) for every setting of a systemd unit, repeated keys kept."""
    entries: list[tuple[str, str, str]] = []
    section = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, sep, value = line.partition("=")
        assert sep, f"not a setting: {raw!r}"
        entries.append((section, key.strip(), value.strip()))
    return entries


def settings(text: str, section: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for sect, key, value in unit_entries(text):
        if sect == section:
            found.setdefault(key, []).append(value)
    return found


def psabill_args(command_line: str, variables: dict[str, str] | None = None) -> list[str]:
    """The arguments after ``psabill`` in a shell line, up to the first shell operator."""
    variables = variables or {}
    words = shlex.split(command_line)
    start = next(i for i, word in enumerate(words) if Path(word).name == "psabill")
    args: list[str] = []
    for word in words[start + 1 :]:
        if word in SHELL_OPERATORS or word.startswith((">", "2>")):
            break
        if word.startswith("$"):
            value = variables.get(word.strip("${}"), "")
            args += value.split()
        else:
            args.append(word)
    return args


def subcommand_of(args: list[str]) -> str:
    """Parse ``args`` with the real CLI (without running it); return the subcommand's name.

    ``--help`` is eager, so click checks every option name first and then
    stops: an option or command psabill does not have fails here.
    """
    result = CliRunner().invoke(main, [*args, "--help"], prog_name="psabill")
    assert result.exit_code == 0, f"psabill {' '.join(args)}: {result.output}"
    usage = result.output.splitlines()[0]
    assert usage.startswith("Usage: psabill "), usage
    return usage.removeprefix("Usage: psabill ").split()[0]
