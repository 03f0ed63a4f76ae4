"""Secrets never leak: not to output at any verbosity, logs, errors, the ledger, files or emails.

The sandbox is started with distinctive API keys (it accepts only those), the config refers to
every secret as "${ENV}", and a real loopback HTTP usage source gets a distinctive bearer token.
Everything psabill prints, logs, raises, stores and writes is collected, then searched for each
secret and for the Basic-auth header value built from the keys.
"""

from __future__ import annotations

import asyncio
import base64
import importlib.util
import json
import logging
import os
import sqlite3
import stat
import subprocess
import sys
import threading
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from psabill.cli import main
from psabill.config.loader import load_config
from psabill.config.show import MASK
from psabill.errors import PsaError, SourceError
from psabill.psa import open_client
from psabill.sandbox import DEMO_CREDENTIALS, Sandbox, SandboxCredentials, Store, seed_demo
from psabill.sandbox.demo import prepare
from psabill.sources import read_source
from psabill.state import ledger_path

PRIVATE = "PRIVATE-7f3a9c-LEAKCHECK"
PUBLIC = "PUBLIC-51ab-LEAKCHECK"
SMTP_PASSWORD = "SMTPPASS-99e1-LEAKCHECK"
TOKEN = "TOKEN-2c4d-LEAKCHECK"
COMPANY = DEMO_CREDENTIALS.company
BASIC = base64.b64encode(f"{COMPANY}+{PUBLIC}:{PRIVATE}".encode()).decode()
SECRETS = {
    "private key": PRIVATE,
    "public key": PUBLIC,
    "SMTP password": SMTP_PASSWORD,
    "HTTP token": TOKEN,
    "Basic auth value": BASIC,
}
QUERY_KEY = "QUERYKEY-3e8f-LEAKCHECK"
URL_SECRET = {"usage URL query key": QUERY_KEY}
ENV = {
    "CW_PUBLIC_KEY": PUBLIC,
    "CW_PRIVATE_KEY": PRIVATE,
    "SMTP_PASSWORD": SMTP_PASSWORD,
    "HTTP_TOKEN": TOKEN,
}
CREDENTIALS = SandboxCredentials(COMPANY, PUBLIC, PRIVATE, DEMO_CREDENTIALS.client_id)
NOISY_LOGGERS = ("psabill", "httpx", "httpcore", "asyncio", "hpack", "aiosmtpd", "mail.log")
NOTIFY_IMPLEMENTED = importlib.util.find_spec("psabill.notify.folder") is not None


@dataclass
class Evidence:
    """Everything collected from the runs, by where it came from."""

    texts: list[tuple[str, str]] = field(default_factory=list)
    blobs: list[tuple[str, bytes]] = field(default_factory=list)

    def text(self, where: str, value: str) -> None:
        self.texts.append((where, value))

    def files(self, root: Path) -> None:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                self.blobs.append((str(path.relative_to(root.parent)), path.read_bytes()))

    def leaks(self) -> list[str]:
        found = self._find(SECRETS, skip=())
        # The usage URL's query string is shown by `config show` (it is the config) and is in
        # the config file; anywhere else it must not appear.
        return found + self._find(URL_SECRET, skip=("config show", "psabill.toml", "wrong.toml"))

    def _find(self, secrets: dict[str, str], skip: tuple[str, ...]) -> list[str]:
        found = []
        for name, secret in secrets.items():
            needles = (secret.encode(), secret.encode("utf-16-le"))
            texts = [(w, t) for w, t in self.texts if not any(s in w for s in skip)]
            blobs = [(w, b) for w, b in self.blobs if not any(s in w for s in skip)]
            found += [f"{name} in {where}" for where, text in texts if secret in text]
            found += [
                f"{name} in file {where}"
                for where, data in blobs
                if any(needle in data for needle in needles)
            ]
        return found


# -- a usage endpoint that fails, and echoes whatever it was sent -------------------------------


@dataclass
class Endpoint:
    url: str
    authorizations: list[str]


@pytest.fixture
def failing_endpoint() -> Iterator[Endpoint]:
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            auth = self.headers.get("Authorization", "")
            seen.append(auth)
            body = f"upstream error; you sent {auth}".encode()  # a server echoing the token
            self.send_response(500)
            self.send_header("Content-Type", "text/plain")
            self.send_header("X-Echo", auth)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield Endpoint(f"http://127.0.0.1:{server.server_address[1]}/usage?key={QUERY_KEY}", seen)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# -- the world ---------------------------------------------------------------------------------


@dataclass
class Leakcheck:
    sandbox: Sandbox
    directory: Path
    config: Path
    state_dir: Path
    endpoint: Endpoint
    evidence: Evidence = field(default_factory=Evidence)

    def cli(self, *args: str, config: Path | None = None) -> str:
        argv = ["--config", str(config or self.config), "--state-dir", str(self.state_dir)]
        result = CliRunner().invoke(main, [*argv, *args], env={**ENV, "PSABILL_CONFIG": None})
        where = " ".join(args)
        self.evidence.text(f"`psabill {where}` output", result.output)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            self.evidence.text(f"`psabill {where}` exception", repr(result.exception))
            raise AssertionError(f"psabill {where} crashed: {result.exception!r}")
        return result.output

    def process(self, *args: str, config: Path | None = None) -> subprocess.CompletedProcess[str]:
        """A real ``python -m psabill`` process: real stderr, real logging set-up."""
        argv = [sys.executable, "-m", "psabill", "--config", str(config or self.config)]
        argv += ["--state-dir", str(self.state_dir), *args]
        env = {k: v for k, v in os.environ.items() if not k.startswith("PSABILL_")} | ENV
        done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)
        self.evidence.text(f"process `{' '.join(args)}` stdout", done.stdout)
        self.evidence.text(f"process `{' '.join(args)}` stderr", done.stderr)
        return done


def secret_config(text: str, endpoint: Endpoint, mail: str) -> str:
    text = text.replace('public_key = "sandbox-public"', 'public_key = "${CW_PUBLIC_KEY}"')
    text = text.replace('private_key = "sandbox-private"', 'private_key = "${CW_PRIVATE_KEY}"')
    assert "${CW_PRIVATE_KEY}" in text
    assert "${CW_PUBLIC_KEY}" in text
    assert 'folder = "mail"' in text
    text = text.replace('folder = "mail"', f'folder = "{mail}"')
    return text + (
        "\n[smtp]\n"
        'host = "127.0.0.1"\n'
        'security = "none"\n'
        'username = "psabill"\n'
        'password = "${SMTP_PASSWORD}"\n'
        "\n[[sources]]\n"
        'name = "vendor-api"\n'
        'kind = "http"\n'
        f'url = "{endpoint.url}"\n'
        'token = "${HTTP_TOKEN}"\n'
        "timeout = 5\n"
    )


@pytest.fixture
def leakcheck(tmp_path: Path, failing_endpoint: Endpoint) -> Iterator[Leakcheck]:
    store = Store()
    seed_demo(store)
    with Sandbox(store, credentials=CREDENTIALS) as sandbox:
        setup = prepare(sandbox.site_url, tmp_path / "demo")
        text = setup.config.read_text(encoding="utf-8")
        text = text.replace("[psa]\n", "[psa]\nretries = 1\ntimeout = 5\n", 1)
        setup.config.write_text(secret_config(text, failing_endpoint, "mail"), encoding="utf-8")
        yield Leakcheck(sandbox, setup.directory, setup.config, setup.state_dir, failing_endpoint)


def ledger_dump(path: Path) -> str:
    with sqlite3.connect(path) as connection:
        return "\n".join(connection.iterdump())


def collect_logs(evidence: Evidence, caplog: pytest.LogCaptureFixture) -> None:
    for record in caplog.records:
        evidence.text(f"log record {record.name}", f"{record.getMessage()} {record.__dict__!r}")
    evidence.text("captured log text", caplog.text)


def force_debug(caplog: pytest.LogCaptureFixture) -> None:
    """Every record at DEBUG from every logger, for direct calls (not CLI runs, whose output
    would then show debug lines at any verbosity: each CLI run sets levels from -q/-v)."""
    caplog.set_level(logging.DEBUG)
    for name in NOISY_LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    force_debug(caplog)
    return caplog


@pytest.fixture
def cli_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """caplog for CLI runs: its handler takes everything; levels are what -q/-v/-vv make them."""
    caplog.handler.setLevel(logging.DEBUG)
    return caplog


# -- tests -------------------------------------------------------------------------------------


@pytest.mark.slow
def test_no_secret_anywhere_after_real_runs(
    leakcheck: Leakcheck, cli_logs: pytest.LogCaptureFixture
) -> None:
    w = leakcheck
    for args in (
        ("config", "validate"),
        ("config", "show"),
        ("config", "show", "--json"),
        ("doctor",),
        ("doctor", "--json"),
        ("plan",),
        ("plan", "--json"),
        ("-q", "sync", "--now"),
        ("sync", "--now"),
        ("-v", "sync", "--now"),
        ("-vv", "sync", "--now"),
        ("sync", "--now", "--json"),
        ("-vv", "--log-json", "sync", "--now"),
        ("history",),
        ("history", "--json"),
        ("report", "1"),
        ("report", "1", "--json"),
    ):
        w.cli(*args)
    if NOTIFY_IMPLEMENTED:
        w.cli("-vv", "notify", "flush")
    done = w.process("-vv", "sync", "--now")
    assert done.returncode in (0, 3), done.stderr
    assert "DEBUG" in done.stderr  # -vv really logged

    # The flows were real: the keys were accepted, the token was sent (and echoed back).
    statuses = {r.status for r in w.sandbox.requests()}
    assert 200 in statuses
    assert 401 not in statuses
    assert any(r.method in ("POST", "PATCH") for r in w.sandbox.requests())
    assert w.endpoint.authorizations
    assert set(w.endpoint.authorizations) == {f"Bearer {TOKEN}"}

    collect_logs(w.evidence, cli_logs)
    w.evidence.text("ledger dump", ledger_dump(ledger_path(w.state_dir)))
    w.evidence.files(w.directory)  # config, usage, ledger (+ -wal/-shm), lock, mail
    assert not w.evidence.leaks(), w.evidence.leaks()


@pytest.mark.slow
def test_no_secret_when_the_psa_refuses_the_keys(
    leakcheck: Leakcheck, cli_logs: pytest.LogCaptureFixture
) -> None:
    """Against a PSA expecting other keys every request is a 401; the keys still never show."""
    w = leakcheck
    store = Store()
    seed_demo(store)
    with Sandbox(store, credentials=DEMO_CREDENTIALS) as strict:
        wrong = w.directory / "wrong.toml"
        wrong.write_text(
            w.config.read_text().replace(w.sandbox.site_url, strict.site_url), encoding="utf-8"
        )
        for args in (
            ("-vv", "sync", "--now"),
            ("doctor",),
            ("-v", "plan"),
            ("sync", "--now", "--json"),
        ):
            w.cli(*args, config=wrong)
        done = w.process("-vv", "sync", "--now", config=wrong)
        assert done.returncode == 1
        assert "refused the API credentials (401)" in done.stderr + done.stdout

        loaded = load_config(wrong, ENV)
        force_debug(cli_logs)

        async def read() -> None:
            async with open_client(loaded.config.psa) as client:
                await client.companies(["AcmeDental"])

        with pytest.raises(PsaError) as caught:
            asyncio.run(read())
        api = [r for r in strict.requests() if "/login/companyinfo/" not in r.path]
        assert api
        assert {r.status for r in api} == {401}

    error = caught.value
    for what, text in (
        ("message", error.message),
        ("hint", error.hint or ""),
        ("str", str(error)),
        ("repr", repr(error)),
        ("args", repr(error.args)),
        ("traceback", "".join(traceback.format_exception(error))),
        ("cause", repr(error.__cause__) + repr(error.__context__)),
    ):
        w.evidence.text(f"PsaError {what}", text)
    collect_logs(w.evidence, cli_logs)
    w.evidence.files(w.directory)
    assert not w.evidence.leaks(), w.evidence.leaks()


def test_the_http_source_error_hides_the_token(
    leakcheck: Leakcheck, debug_logs: pytest.LogCaptureFixture
) -> None:
    config = load_config(leakcheck.config, ENV).config
    (source,) = [s for s in config.sources if s.name == "vendor-api"]
    with pytest.raises(SourceError) as caught:
        read_source(source, base_dir=leakcheck.directory, env=ENV)
    error = caught.value
    assert "HTTP 500" in error.message
    assert QUERY_KEY not in error.message  # the query string is not shown either
    assert leakcheck.endpoint.authorizations == [f"Bearer {TOKEN}"]
    evidence = Evidence()
    for text in (error.message, error.hint or "", repr(error), str(error.args)):
        evidence.text("SourceError", text)
    evidence.text("SourceError traceback", "".join(traceback.format_exception(error)))
    collect_logs(evidence, debug_logs)
    assert not evidence.leaks(), evidence.leaks()


@pytest.mark.slow
@pytest.mark.skipif(
    not NOTIFY_IMPLEMENTED,
    reason="psabill.notify has no real implementation yet (no psabill.notify.folder): "
    "no summary email to scan",
)
def test_summary_emails_and_the_outbox_hold_no_secret(leakcheck: Leakcheck) -> None:
    leakcheck.cli("sync", "--now")
    mail = leakcheck.directory / "mail"
    messages = sorted(mail.glob("*.eml"))
    assert messages, f"no .eml file in {mail}"
    evidence = Evidence()
    evidence.files(mail)
    evidence.text("ledger dump (outbox included)", ledger_dump(ledger_path(leakcheck.state_dir)))
    assert not evidence.leaks(), evidence.leaks()


@pytest.mark.slow
def test_state_is_private_after_a_run(leakcheck: Leakcheck) -> None:
    old = os.umask(0o022)  # the usual umask: what a careless default would leak through
    try:
        leakcheck.cli("sync", "--now")
    finally:
        os.umask(old)
    state = leakcheck.state_dir
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    assert stat.S_IMODE(ledger_path(state).stat().st_mode) == 0o600
    for path in state.rglob("*"):  # -wal, -shm, the lock file: none readable by others
        assert not path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO), path


def test_a_generated_config_is_0600(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        target = tmp_path / "new" / "psabill.toml"
        result = CliRunner().invoke(main, ["config", "init", str(target)])
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert stat.S_IMODE(target.parent.stat().st_mode) == 0o700
    assert not [p for p in target.parent.iterdir() if p != target]  # no temporary file left


def test_config_show_masks_every_secret_but_keeps_the_reference_working(
    leakcheck: Leakcheck,
) -> None:
    shown = json.loads(leakcheck.cli("config", "show", "--json"))
    assert shown["psa"]["private_key"] == shown["psa"]["public_key"] == MASK
    assert shown["smtp"]["password"] == MASK
    (source,) = [s for s in shown["sources"] if s["name"] == "vendor-api"]
    assert source["token"] == MASK
    assert not leakcheck.evidence.leaks(), leakcheck.evidence.leaks()
