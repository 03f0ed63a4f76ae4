"""The SMTP transport against a real aiosmtpd server on loopback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from psabill.config.models import Smtp
from psabill.errors import MailConnectionError, MailError
from psabill.notify.delivery import Envelope
from psabill.notify.smtp import SmtpSession
from tests.notify.conftest import StartServer
from tests.notify.support import PASSWORD, USER, MailServer, free_port

MESSAGE = b"From: psabill@northwind.example\r\nSubject: hi\r\n\r\nhello\r\n.dot line\r\n"
TO = ("a@example.com", "b@example.com", "c@example.com")


def envelope(recipients: tuple[str, ...] = TO) -> Envelope:
    return Envelope("psabill@northwind.example", recipients, MESSAGE, "m")


def session(server: MailServer, tmp_path: Path, **extra: Any) -> SmtpSession:
    return SmtpSession(Smtp.model_validate(server.settings(**extra)), tmp_path)


def test_plain_delivers_to_every_recipient(start_server: StartServer, tmp_path: Path) -> None:
    server = start_server("none")
    with session(server, tmp_path) as smtp:
        delivery = smtp.deliver(envelope())
        second = smtp.deliver(envelope(("d@example.com",)))  # same connection, next message
    assert delivery.accepted == TO
    assert delivery.answer == "250 2.0.0 OK queued as Q1"
    assert second.answer == "250 2.0.0 OK queued as Q2"
    first = server.messages[0]
    assert (first.mail_from, first.rcpt_tos, first.tls) == (
        "psabill@northwind.example",
        list(TO),
        False,
    )
    assert first.content.replace(b"\r\n", b"\n") == MESSAGE.replace(b"\r\n", b"\n")


def test_starttls_verifies_the_server_against_ca_bundle(
    start_server: StartServer, tmp_path: Path
) -> None:
    server = start_server("starttls")
    with session(server, tmp_path) as smtp:
        smtp.deliver(envelope())
    assert server.messages[0].tls


def test_starttls_refuses_an_untrusted_certificate(
    start_server: StartServer, tmp_path: Path
) -> None:
    server = start_server("starttls")
    with pytest.raises(MailConnectionError) as caught, session(server, tmp_path, ca_bundle=None):
        pass
    assert "certificate is not trusted" in caught.value.message
    assert "ca_bundle" in (caught.value.hint or "")
    assert server.messages == []


def test_implicit_ssl(start_server: StartServer, tmp_path: Path) -> None:
    server = start_server("ssl")
    with session(server, tmp_path) as smtp:
        delivery = smtp.deliver(envelope(("a@example.com",)))
    assert delivery.accepted == ("a@example.com",)
    assert server.messages[0].tls


def test_starttls_against_a_server_without_it_is_a_clear_error(
    start_server: StartServer, tmp_path: Path
) -> None:
    server = start_server("none")
    with pytest.raises(MailConnectionError, match="does not offer STARTTLS"):
        session(server, tmp_path, security="starttls").__enter__()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
@pytest.mark.parametrize("security", ["starttls", "ssl", "none"])
def test_login_accepted(start_server: StartServer, tmp_path: Path, security: str) -> None:
    server = start_server(security, auth=True)
    with session(server, tmp_path, username=USER, password=PASSWORD) as smtp:
        smtp.deliver(envelope())
    assert server.recorder.logins == [(USER, PASSWORD)]
    assert len(server.messages) == 1


def test_login_refused_names_the_user_never_the_password(
    start_server: StartServer, tmp_path: Path
) -> None:
    server = start_server("starttls", auth=True)
    with pytest.raises(MailConnectionError) as caught:
        session(server, tmp_path, username=USER, password="wrong-password").__enter__()
    assert "refused the login for 'psabill-user'" in caught.value.message
    assert "535" in caught.value.message
    assert "wrong-password" not in f"{caught.value.message} {caught.value.hint}"
    assert server.messages == []


def test_login_needs_a_password(start_server: StartServer, tmp_path: Path) -> None:
    server = start_server("starttls", auth=True)
    with pytest.raises(MailConnectionError, match="no password"):
        session(server, tmp_path, username=USER).__enter__()


def test_server_down_is_a_connection_error(tmp_path: Path) -> None:
    settings = Smtp(host="127.0.0.1", port=free_port(), security="none", timeout=5)
    with pytest.raises(MailConnectionError, match="connection refused") as caught:
        SmtpSession(settings, tmp_path).__enter__()
    assert "host, port" in (caught.value.hint or "")


def test_a_5xx_for_one_recipient_does_not_cost_the_others(
    start_server: StartServer, tmp_path: Path
) -> None:
    server = start_server("none", answers={"b@example.com": "550 5.1.1 no such user"})
    with session(server, tmp_path) as smtp:
        delivery = smtp.deliver(envelope())
    assert delivery.accepted == ("a@example.com", "c@example.com")
    assert delivery.refused == {"b@example.com": "550 5.1.1 no such user"}
    assert delivery.deferred == {}
    assert server.messages[0].rcpt_tos == ["a@example.com", "c@example.com"]


def test_every_recipient_refused_is_a_message_failure_and_the_session_goes_on(
    start_server: StartServer, tmp_path: Path
) -> None:
    answers = {"a@example.com": "550 no", "b@example.com": "451 later"}
    server = start_server("none", answers=answers)
    with session(server, tmp_path) as smtp:
        with pytest.raises(MailError) as caught:
            smtp.deliver(envelope(("a@example.com", "b@example.com")))
        assert not isinstance(caught.value, MailConnectionError)
        assert "a@example.com: 550 no" in caught.value.message
        assert smtp.deliver(envelope(("c@example.com",))).accepted == ("c@example.com",)
    assert [m.rcpt_tos for m in server.messages] == [["c@example.com"]]
