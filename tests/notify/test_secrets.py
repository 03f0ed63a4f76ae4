"""The SMTP password (and the PSA keys) never appear in output, logs, e-mails or the ledger."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from psabill.config.loader import load_config
from psabill.notify import retry_pending
from tests.notify.conftest import StartServer
from tests.notify.support import (
    DUE_AT,
    PASSWORD,
    USER,
    base_config,
    end_run,
    psabill,
    write_config,
)

PSA_KEY = "psa-private-key-do-not-leak"
WRONG = "wrong-but-still-a-secret-7f3a"


def scan(tmp_path: Path, secret: str, *texts: str, mail: list[bytes]) -> None:
    """Fail if ``secret`` is in any text, any message, or any file under ``tmp_path``."""
    needles = [secret.encode(), secret.encode("utf-16-le")]
    for text in texts:
        assert secret not in text
    for message in mail:
        assert secret.encode() not in message
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.name != "psabill.toml":
            data = path.read_bytes()
            assert not any(n in data for n in needles), f"{secret!r} found in {path}"


@pytest.mark.parametrize("password", [PASSWORD, WRONG])
def test_no_secret_anywhere(
    start_server: StartServer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    password: str,
) -> None:
    server = start_server("starttls", auth=True)
    smtp = server.settings(username=USER, password="${SMTP_PASSWORD}")
    config = write_config(tmp_path, base_config(smtp=smtp))
    env = {"SMTP_PASSWORD": password}
    caplog.set_level(logging.DEBUG)

    loaded = load_config(config, env)
    state = tmp_path / "state"
    labels = end_run(state, loaded.config)  # the team's and Müller's summaries
    events = retry_pending(loaded, state, DUE_AT, labels=labels)
    lines = [str(event) for event in events]
    outputs = [
        psabill(config, "-vv", "notify", "test", env=env).output,
        psabill(config, "-vv", "notify", "flush", env=env).output,
        psabill(config, "config", "show", env=env).output,
    ]
    if password == PASSWORD:
        assert lines[0].startswith("summary email sent to")
        assert len(server.messages) == 3  # two summaries and the test message
    else:
        assert "refused the login for 'psabill-user'" in lines[0]
        assert server.messages == []
    mail = [m.content for m in server.messages]
    for secret in (password, PSA_KEY):
        scan(tmp_path, secret, *lines, *outputs, caplog.text, mail=mail)
