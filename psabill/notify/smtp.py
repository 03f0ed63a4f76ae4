"""Deliver over SMTP with :mod:`smtplib`: starttls, implicit TLS or none, optional login.

One connection serves every message of a flush. Each message is its own
MAIL/RCPT/DATA transaction, so a recipient refused with a 5xx does not cost
the others their copy, and the server's final answer can be reported.
Certificates are always verified (``ssl.create_default_context``), against
``[smtp].ca_bundle`` when set. The password is handed to ``login`` and
nowhere else: it is not in any message, log line or error.
"""

from __future__ import annotations

import contextlib
import smtplib
import socket
import ssl
from pathlib import Path
from types import TracebackType

from psabill.config.models import Smtp
from psabill.errors import MailConnectionError, MailError
from psabill.notify.delivery import Delivery, Envelope


class SmtpSession:
    """A connection to ``[smtp]``, opened on ``__enter__`` (MailConnectionError if it cannot)."""

    def __init__(self, settings: Smtp, base_dir: Path) -> None:
        self.settings = settings
        self.ca_bundle = base_dir / settings.ca_bundle if settings.ca_bundle else None
        self.description = f"{settings.host}:{settings.effective_port} ({settings.security})"
        self._conn: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpSession:
        try:
            self._conn = self._connect()
        except MailError:
            raise
        except (smtplib.SMTPException, OSError) as exc:
            raise self._connection_error(exc) from exc
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.quit()
        except (smtplib.SMTPException, OSError):
            conn.close()

    def deliver(self, envelope: Envelope) -> Delivery:
        """One transaction. MailError: this message failed; MailConnectionError: all will."""
        if self._conn is None:
            raise RuntimeError("SmtpSession.deliver outside `with`")
        try:
            return self._transaction(self._conn, envelope)
        except MailError:
            self._reset()
            raise
        except smtplib.SMTPServerDisconnected as exc:
            raise self._connection_error(exc) from exc
        except smtplib.SMTPResponseException as exc:
            self._reset()
            raise MailError(f"the SMTP server refused the message: {_reply(exc)}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise self._connection_error(exc) from exc

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        context = self._tls_context()
        conn: smtplib.SMTP
        if s.security == "ssl":
            conn = smtplib.SMTP_SSL(s.host, s.effective_port, timeout=s.timeout, context=context)
        else:
            conn = smtplib.SMTP(s.host, s.effective_port, timeout=s.timeout)
        try:
            conn.ehlo()
            if s.security == "starttls":
                if not conn.has_extn("starttls"):
                    raise MailConnectionError(
                        f"{self.description}: the server does not offer STARTTLS",
                        hint='use security = "ssl" for an implicit-TLS port (465), or check port',
                    )
                conn.starttls(context=context)
                conn.ehlo()
            if s.username:
                self._login(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _tls_context(self) -> ssl.SSLContext:
        try:
            return ssl.create_default_context(
                cafile=str(self.ca_bundle) if self.ca_bundle else None
            )
        except (OSError, ssl.SSLError) as exc:
            raise MailConnectionError(
                f"cannot read the CA bundle {self.ca_bundle}: {getattr(exc, 'strerror', exc)}",
                hint="[smtp] ca_bundle must be a PEM file of CA certificates",
            ) from exc

    def _login(self, conn: smtplib.SMTP) -> None:
        s = self.settings
        if s.password is None:
            raise MailConnectionError(
                f"[smtp] username = {s.username!r} is set but no password",
                hint='set [smtp] password, e.g. password = "${SMTP_PASSWORD}"',
            )
        try:
            conn.login(s.username or "", s.password.get_secret_value())
        except smtplib.SMTPAuthenticationError as exc:
            raise MailConnectionError(
                f"{self.description}: the server refused the login for {s.username!r}: "
                f"{_reply(exc)}",
                hint="check [smtp] username and password",
            ) from None
        except smtplib.SMTPNotSupportedError:
            raise MailConnectionError(
                f"{self.description}: the server offers no login (AUTH) on this connection",
                hint='most servers allow login only over TLS: use security = "starttls" or "ssl"',
            ) from None

    def _transaction(self, conn: smtplib.SMTP, envelope: Envelope) -> Delivery:
        options = self._utf8_options(conn, envelope)
        code, text = conn.mail(envelope.sender, options)
        if code != 250:
            raise MailError(f"the SMTP server refused sender {envelope.sender}: {code} {_t(text)}")
        accepted: list[str] = []
        refused: dict[str, str] = {}
        deferred: dict[str, str] = {}
        for rcpt in envelope.recipients:
            code, text = conn.rcpt(rcpt)
            if code in (250, 251):
                accepted.append(rcpt)
            else:
                (deferred if 400 <= code < 500 else refused)[rcpt] = f"{code} {_t(text)}"
        if not accepted:
            answers = "; ".join(f"{r}: {a}" for r, a in {**refused, **deferred}.items())
            raise MailError(f"the SMTP server refused every recipient ({answers})")
        code, text = conn.data(envelope.message)
        if code != 250:
            raise MailError(f"the SMTP server did not accept the message: {code} {_t(text)}")
        return Delivery(tuple(accepted), f"{code} {_t(text)}", refused, deferred)

    def _utf8_options(self, conn: smtplib.SMTP, envelope: Envelope) -> list[str]:
        addresses = (envelope.sender, *envelope.recipients)
        if all(address.isascii() for address in addresses):
            return []
        if not conn.has_extn("smtputf8"):
            raise MailError(
                "an address is not plain ASCII and the SMTP server does not support SMTPUTF8"
            )
        return ["SMTPUTF8"]

    def _reset(self) -> None:
        # The next transaction finds out whether the connection still works.
        if self._conn is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._conn.rset()

    def _connection_error(self, exc: BaseException) -> MailConnectionError:
        where = self.description
        hint = "check [smtp] host, port and security, and that the server is running"
        if isinstance(exc, ssl.SSLCertVerificationError):
            message = f"{where}: the server's certificate is not trusted ({exc.verify_message})"
            hint = "set [smtp] ca_bundle to the CA that signed it (certificates are always checked)"
        elif isinstance(exc, ssl.SSLError):
            message = f"{where}: TLS failed ({exc.reason or exc})"
            hint = 'security = "ssl" is implicit TLS (port 465); "starttls" upgrades (port 587)'
        elif isinstance(exc, socket.gaierror):
            message = f"{where}: unknown host {self.settings.host!r}"
        elif isinstance(exc, TimeoutError):
            message = f"{where}: no answer within {self.settings.timeout}s"
        elif isinstance(exc, ConnectionRefusedError):
            message = f"{where}: connection refused"
        elif isinstance(exc, smtplib.SMTPResponseException):
            message = f"{where}: {_reply(exc)}"
        elif isinstance(exc, OSError):
            message = f"{where}: {exc.strerror or exc}"
        else:
            message = f"{where}: {exc or type(exc).__name__}"
        return MailConnectionError(message, hint=hint)


def _reply(exc: smtplib.SMTPResponseException) -> str:
    return f"{exc.smtp_code} {_t(exc.smtp_error)}"


def _t(text: bytes | str) -> str:
    raw = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return " ".join(raw.split())
