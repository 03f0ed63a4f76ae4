"""A real SMTP server on loopback (aiosmtpd) that records what it receives, and test data."""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import tomli_w
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from click.testing import CliRunner, Result

from psabill.cli import main
from psabill.cli.notify_cmd import notify
from psabill.config.loader import LoadedConfig
from psabill.config.models import Config
from psabill.core.due import evaluate_targets
from psabill.core.mapping import Resolution, Unmapped
from psabill.core.outcome import LineResult
from psabill.core.plan import Action, GuardTrip, Plan, PlanLine
from psabill.core.report import SyncReport
from psabill.notify import outgoing
from psabill.state import Ledger, OutboxRecord, ledger_path

PASSWORD = "s3cret-Passw0rd-for-smtp"
USER = "psabill-user"
DUE_AT = datetime(2026, 12, 1, 11, 30, tzinfo=UTC)  # 06:30 New York: the global slot has come


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    tls: bool

    def parsed(self) -> EmailMessage:
        message = message_from_bytes(self.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        return message


@dataclass
class Recorder:
    """aiosmtpd handler: answers RCPT from ``answers`` (default 250) and keeps every message."""

    answers: dict[str, str] = field(default_factory=dict)
    messages: list[Received] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        answer = self.answers.get(address, "250 OK")
        if answer.startswith("250"):
            envelope.rcpt_tos.append(address)
        return answer

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        self.messages.append(
            Received(
                str(envelope.mail_from),
                list(envelope.rcpt_tos),
                envelope.content,
                server.transport.get_extra_info("ssl_object") is not None,
            )
        )
        return f"250 2.0.0 OK queued as Q{len(self.messages)}"

    def authenticator(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        login, password = data.login.decode(), data.password.decode()
        self.logins.append((login, password))
        return AuthResult(success=(login, password) == (USER, PASSWORD), handled=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class MailServer:
    """One running aiosmtpd; ``settings`` is the matching ``[smtp]`` table."""

    recorder: Recorder
    port: int
    security: str
    ca_file: Path | None
    controller: Controller | None = None

    @property
    def messages(self) -> list[Received]:
        return self.recorder.messages

    def settings(self, **extra: Any) -> dict[str, Any]:
        found: dict[str, Any] = {
            "host": "127.0.0.1",
            "port": self.port,
            "security": self.security,
            "sender": "psabill@northwind.example",
            "timeout": 10,
        }
        if self.ca_file is not None:
            found["ca_bundle"] = str(self.ca_file)
        return found | extra

    def start(self, server_tls: ssl.SSLContext | None = None, **smtp: Any) -> MailServer:
        kwargs: dict[str, Any] = {"hostname": "127.0.0.1", "port": self.port, **smtp}
        if self.security == "ssl":
            kwargs["ssl_context"] = server_tls
        elif self.security == "starttls":
            kwargs["tls_context"] = server_tls
            kwargs["require_starttls"] = True
        self.controller = Controller(self.recorder, **kwargs)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def base_config(smtp: dict[str, Any] | None = None, **sections: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "account": {"name": "Northwind MSP", "timezone": "America/New_York"},
        "psa": {
            "site": "http://127.0.0.1:8917",
            "company": "psabill_demo",
            "public_key": "sandbox-public",
            "private_key": "psa-private-key-do-not-leak",
            "client_id": "00000000-0000-4000-8000-000000000000",
        },
        "notify": {"emails": "billing@northwind.example, ops@northwind.example"},
        "sources": [
            {
                "name": name,
                "kind": "csv",
                "path": f"{name}.csv",
                "customer_field": "c",
                "sku_field": "s",
                "quantity_field": "q",
            }
            for name in ("sophos", "trendmicro")
        ],
        "customers": [
            {"id": "acme", "source": "sophos", "name": "Acme Dental Group", "psa_company": "A"},
            {
                "id": "51234",
                "source": "trendmicro",
                "name": "Müller & Söhne GmbH",
                "psa_company": "MuellerSoehne",
                "settings": "custom",
                "schedule": {"mode": "monthly", "day": 31, "hour": 7},
                "emails": "buchhaltung@mueller.example",
            },
            {"id": "c0", "name": "Contoso", "psa_company": "C", "settings": "custom"},
        ],
        "products": [
            {"sku": "WFBS-SVC", "name": "Trend Micro Worry-Free Services", "psa_product": "TM"}
        ],
        "billing_admins": [
            {"email": "controller@northwind.example", "name": "Jürgen Groß"},
            {"email": "BILLING@northwind.example", "name": "Duplicate of the list"},
            {"email": "auditor@northwind.example", "view_invoices": False},
        ],
    }
    data["smtp"] = smtp if smtp is not None else {"sender": "psabill@northwind.example"}
    return data | sections


def loaded(tmp_path: Path, data: dict[str, Any]) -> LoadedConfig:
    return LoadedConfig(Config.model_validate(data), tmp_path / "psabill.toml", ())


def line(
    customer: str,
    label: str,
    sku: str,
    action: Action,
    cur: int | None,
    new: int | None,
    why: str = "usage changed",
) -> PlanLine:
    return PlanLine(
        customer=customer,
        customer_label=label,
        sku=sku,
        action=action,
        why=why,
        company="C",
        agreement_id=1500,
        agreement_name=f"{label} - Managed Services",
        psa_product=f"{sku}-PSA",
        current=None if cur is None else Decimal(cur),
        desired=None if new is None else Decimal(new),
    )


def partial_report(config: Config, *, run_id: int = 1, now: datetime = DUE_AT) -> SyncReport:
    """A scheduled run at DUE_AT: two updates, a create and an ambiguous line failed."""
    lines = [
        LineResult(line("sophos:acme", "Acme Dental Group", "CIXA", "update", 42, 45), "confirmed"),
        LineResult(
            line("sophos:acme", "Acme Dental Group", "=HYPERLINK", "create", None, 5),
            "failed",
            "the PSA answered 500: <b>internal</b>",
        ),
        LineResult(
            line("trendmicro:51234", "Müller & Söhne GmbH", "WFBS-SVC", "update", 17, 19),
            "confirmed",
            addition_id=9001,
        ),
        LineResult(
            line(
                "sophos:acme",
                "Acme Dental Group",
                "LP",
                "ambiguous",
                3,
                None,
                why="several active additions (#1, #2)",
            ),
            "failed",
        ),
    ]
    resolution = Resolution(
        unmapped_customers={("sophos", "ff00"): Unmapped("sophos", "ff00", 1, Decimal(3))},
        unmapped_products={("sophos", "CIXA-SRV"): Unmapped("sophos", "CIXA-SRV", 2, Decimal(2))},
    )
    return SyncReport(
        outcome="partial",
        now=now,
        trigger="scheduled",
        run_id=run_id,
        due=evaluate_targets(config, lambda key: None, now),
        scope=("sophos:acme", "trendmicro:51234"),
        plan=Plan(
            now.date(),
            tuple(r.line for r in lines),
            guard_trips=(GuardTrip("acme", "Acme", ("drop 60%",)),),
        ),
        results=lines,
        resolution=resolution,
        repairs=["CIXA-XDR now bills as 'PSABILL-CIXA-XDR'"],
    )


def recorded_report(
    state_dir: Path, config: Config, *, trigger: str = "scheduled", admin: str | None = None
) -> SyncReport:
    """``partial_report`` for a run that really is in the ledger (the outbox refers to it)."""
    with Ledger.open(ledger_path(state_dir)) as ledger:
        run_id = ledger.start_run(
            trigger="manual" if trigger == "manual" else "scheduled",
            started_at=DUE_AT,
            acting_admin=admin,
        )
        ledger.finish_run(run_id, outcome="partial", finished_at=DUE_AT)
    report = partial_report(config, run_id=run_id)
    report.trigger = "manual" if trigger == "manual" else "scheduled"
    return report


def end_run(state_dir: Path, config: Config) -> dict[int, str]:
    """Record ``partial_report``'s run and its end as the runner does: the team's summary and
    the customer summaries owed, queued with the run's end in one transaction (nothing sent
    yet). Returns outbox id → label, for ``retry_pending``."""
    with Ledger.open(ledger_path(state_dir)) as ledger:
        run_id = ledger.start_run(trigger="scheduled", started_at=DUE_AT, acting_admin=None)
        report = partial_report(config, run_id=run_id)
        out = outgoing(config, report, acting_admin=None, now=DUE_AT)
        customers = out.customer_mail(ledger, DUE_AT)
        assert (out.problem, customers.problem) == (None, None)
        ids = ledger.finish_run(
            run_id,
            outcome="partial",
            finished_at=DUE_AT,
            mail=out.mail,
            customer_mail=customers.mail,
        )
    return dict(zip(ids, out.labels + customers.labels, strict=True))


def pending(state_dir: Path) -> list[OutboxRecord]:
    with Ledger.open(ledger_path(state_dir)) as ledger:
        return ledger.outbox_pending()


def write_config(tmp_path: Path, data: dict[str, Any]) -> Path:
    """``data`` as a psabill.toml (mode 0600, so literal secrets raise no warning)."""
    path = tmp_path / "psabill.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    path.chmod(0o600)
    return path


def psabill(config: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    """Run the CLI (with the notify group, registered or not) against ``config``."""
    if "notify" not in main.commands:
        main.add_command(notify)
    state = config.parent / "state"
    argv = ["--config", str(config), "--state-dir", str(state), *args]
    return CliRunner().invoke(main, argv, env=env or {})
