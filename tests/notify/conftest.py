"""Fixtures: real SMTP servers on loopback (plain, STARTTLS, implicit TLS) with a test CA."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from tests.notify.support import MailServer, Recorder, free_port

StartServer = Callable[..., MailServer]


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> Path:
    path = tmp_path / "test-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture
def server_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


@pytest.fixture
def start_server(ca_file: Path, server_tls: ssl.SSLContext) -> Iterator[StartServer]:
    """``start_server(security="none"|"starttls"|"ssl", answers={rcpt: reply}, auth, port)``.

    With ``auth`` the server requires a login (USER/PASSWORD from support).
    """
    running: list[MailServer] = []

    def start(
        security: str = "none",
        answers: dict[str, str] | None = None,
        auth: bool = False,
        port: int | None = None,
    ) -> MailServer:
        ca = ca_file if security != "none" else None
        server = MailServer(Recorder(answers or {}), port or free_port(), security, ca)
        smtp: dict[str, Any] = {}
        if auth:
            smtp["authenticator"] = server.recorder.authenticator
            smtp["auth_required"] = True
            # aiosmtpd sees implicit TLS as plain; the socket is encrypted all the same.
            smtp["auth_require_tls"] = security == "starttls"
        running.append(server.start(server_tls, **smtp))
        return server

    yield start
    for server in running:
        server.stop()
