"""``psabill doctor``: everything a run needs, checked without changing anything anywhere.

Five sections, each a list of :class:`~psabill.psa.base.AccessCheck`:

* **PSA** — connectivity, credentials, API version and the API member's rights
  (:meth:`~psabill.psa.base.PsaClient.check_access`);
* **mail** — the SMTP server (connect, TLS as configured, login when configured; no message
  is sent), or the folder ``transport = "folder"`` writes to, and who receives summaries;
* **usage sources** — each one read and parsed as a run reads it, with its record count;
* **state directory** — where the ledger and lock live: a directory psabill can write;
* **mappings** — every customer and product mapping against the PSA
  (:mod:`psabill.app.doctor_mappings`).

Every failed check's ``hint`` names the setting to change (``[smtp] password``,
``[[sources]] "sophos" path``, ``--state-dir``, ...). The seams are parameters: the PSA
client factory and the SMTP session factory, so tests pass their own.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Literal, Protocol

from psabill.config.loader import LoadedConfig
from psabill.config.models import Config, PsaSettings
from psabill.config.source_models import CommandSource, CsvSource, HttpSource, JsonSource, Source
from psabill.errors import MailError, SourceError, StateError
from psabill.psa.base import AccessCheck, AccessReport, PsaClient
from psabill.sources import read_source
from psabill.sources.vendors.doctor import vendor_checks
from psabill.state import existing_ledger, ledger_path

SectionName = Literal["psa", "mail", "sources", "state", "mappings"]


@dataclass(frozen=True)
class Section:
    """One group of checks, with a title that says what was checked."""

    name: SectionName
    title: str
    checks: tuple[AccessCheck, ...]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks if check.required)


@dataclass(frozen=True)
class DoctorReport:
    sections: tuple[Section, ...]
    psa: AccessReport
    kind: str = "connectwise"
    """``[psa] kind``: which PSA ``psa`` is the report of."""

    @property
    def ok(self) -> bool:
        """Whether every required check passed (one that could not run counts as failed)."""
        return all(section.ok for section in self.sections)

    @property
    def failed(self) -> int:
        return sum(1 for s in self.sections for c in s.checks if c.required and not c.ok)


class MailSessionLike(Protocol):
    """What the SMTP check needs of a session (:class:`~psabill.notify.smtp.SmtpSession`):
    opening it connects, upgrades to TLS and logs in; closing it quits. Nothing is sent."""

    description: str

    def __enter__(self) -> object: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


SmtpFactory = Callable[[LoadedConfig], MailSessionLike]


def _smtp_session(loaded: LoadedConfig) -> MailSessionLike:
    from psabill.notify.smtp import SmtpSession

    return SmtpSession(loaded.config.smtp, loaded.base_dir)


def run_doctor(
    loaded: LoadedConfig,
    state_dir: Callable[[], Path],
    env: Mapping[str, str],
    psa: Callable[[PsaSettings], PsaClient],
    smtp: SmtpFactory = _smtp_session,
) -> DoctorReport:
    """Every check, in the order a run needs them; never raises for a failed check."""
    from psabill.app.doctor_mappings import psa_sections

    access, mappings = asyncio.run(psa_sections(psa(loaded.config.psa), loaded.config))
    title = f"PSA: {loaded.config.psa.kind} at {access.api_url or access.site}"
    sections = (
        Section("psa", title, access.checks),
        mail_section(loaded, smtp),
        Section("sources", "usage sources", source_checks(loaded, env)),
        state_section(state_dir),
        Section("mappings", "mappings", mappings),
    )
    return DoctorReport(sections, access, loaded.config.psa.kind)


# -- mail -------------------------------------------------------------------------------


def mail_section(loaded: LoadedConfig, smtp: SmtpFactory) -> Section:
    config = loaded.config
    recipients = _recipients(config)
    if config.notify.transport == "folder":
        folder = (loaded.base_dir / (config.notify.folder or Path("mail"))).absolute()
        check = _writable("folder", folder, '[notify] folder (transport = "folder")')
        return Section("mail", f"mail: .eml files in {folder}", (check, recipients))
    session = smtp(loaded)
    return Section(
        "mail", f"mail: SMTP {session.description}", (_smtp(config, session), recipients)
    )


def _smtp(config: Config, session: MailSessionLike) -> AccessCheck:
    s = config.smtp
    try:
        with session:
            pass
    except MailError as exc:
        return AccessCheck("mail server", False, exc.message, exc.hint)
    steps = ["connected"]
    if s.security == "starttls":
        steps.append("STARTTLS with a verified certificate")
    elif s.security == "ssl":
        steps.append("TLS with a verified certificate")
    steps.append(f"logged in as {s.username!r}" if s.username else "no login configured")
    return AccessCheck("mail server", True, ", ".join(steps) + "; nothing sent")


def _recipients(config: Config) -> AccessCheck:
    emails = {e.casefold() for e in config.notify.emails}
    emails |= {a.email.casefold() for a in config.billing_admins if a.view_invoices}
    if not emails:
        return AccessCheck(
            "recipients",
            False,
            "no one receives run summaries",
            "set [notify] emails (or add [[billing_admins]] with view_invoices)",
            required=False,
        )
    count = len(emails)
    return AccessCheck("recipients", True, f"{count} {'address' if count == 1 else 'addresses'}")


# -- usage sources ----------------------------------------------------------------------


def source_checks(loaded: LoadedConfig, env: Mapping[str, str]) -> tuple[AccessCheck, ...]:
    config = loaded.config
    if not config.sources:
        hint = "add a [[sources]] table for each vendor export"
        return (AccessCheck("sources", False, "no usage source is configured", hint),)
    decimal = frozenset(p.sku for p in config.products if p.decimal_quantities)
    checks = tuple(_source_check(s, loaded.base_dir, env, decimal) for s in config.sources)
    return checks + vendor_checks(config)


def _source_check(
    source: Source, base_dir: Path, env: Mapping[str, str], decimal: frozenset[str]
) -> AccessCheck:
    name = f"source {source.name}"
    warnings: list[str] = []
    try:
        records = read_source(
            source, base_dir=base_dir, env=env, decimal_skus=decimal, warnings=warnings
        )
    except SourceError as exc:
        setting = f'[[sources]] name = "{source.name}": {_source_setting(source)}'
        hint = f"{exc.hint} ({setting})" if exc.hint else f"check {setting}"
        return AccessCheck(name, False, exc.message, hint)
    customers = len({r.customer for r in records})
    count = len(records)
    detail = (
        f"{count} {'record' if count == 1 else 'records'} for {customers} "
        f"{'customer' if customers == 1 else 'customers'} from {_where(source)}"
    )
    warned = "".join(f"; warning: {text}" for text in warnings)  # what a run would say too
    return AccessCheck(name, True, detail + warned)


def _source_setting(source: Source) -> str:
    """The keys that say where a source's data comes from, then how it is read."""
    where = {CsvSource: "path", JsonSource: "path", CommandSource: "argv", HttpSource: "url"}
    return f"{where.get(type(source), 'kind')} or the *_field keys"


def _where(source: Source) -> str:
    if isinstance(source, CsvSource | JsonSource):
        return str(source.path)
    if isinstance(source, CommandSource):
        return f"command {source.argv[0]}"
    if isinstance(source, HttpSource):
        return f"http {source.name}"
    return source.name


# -- state directory --------------------------------------------------------------------

STATE_SETTING = "--state-dir (or $PSABILL_STATE_DIR)"


def state_section(state_dir: Callable[[], Path]) -> Section:
    try:
        path = state_dir().absolute()
    except StateError as exc:
        check = AccessCheck("state directory", False, exc.message, f"set {STATE_SETTING}")
        return Section("state", "state directory", (check,))
    checks = [_writable("writable", path, STATE_SETTING)]
    if checks[0].ok:
        checks.append(_ledger(path))
    return Section("state", f"state directory: {path}", tuple(checks))


def _writable(name: str, path: Path, setting: str) -> AccessCheck:
    """Whether psabill can create files in ``path``, found by creating (and removing) one.

    A new directory's nearest existing parent is tried instead: psabill creates the rest.
    Permission bits are not read: root writes regardless, and ACLs or a read-only mount
    decide too. Nothing is left behind.
    """
    probe = path
    while not probe.exists() and not probe.is_symlink() and probe.parent != probe:
        probe = probe.parent
    if not probe.is_dir():
        return AccessCheck(name, False, f"{probe} is not a directory", f"set {setting}")
    try:
        handle, temp = tempfile.mkstemp(prefix=".psabill-doctor-", dir=probe)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return AccessCheck(name, False, f"cannot write in {probe}: {reason}", f"set {setting}")
    os.close(handle)
    os.unlink(temp)
    if probe != path:
        return AccessCheck(name, True, f"{path} will be created on the first run")
    return AccessCheck(name, True, f"psabill can write in {path}")


def _ledger(path: Path) -> AccessCheck:
    if not ledger_path(path).exists():
        return AccessCheck("ledger", True, "none yet: the first run creates it")
    try:
        with existing_ledger(path) as ledger:
            runs = ledger.runs(limit=1) if ledger else []
    except StateError as exc:
        return AccessCheck("ledger", False, exc.message, exc.hint or f"set {STATE_SETTING}")
    last = f"last run {runs[0].id}" if runs else "no runs yet"
    return AccessCheck("ledger", True, f"{ledger_path(path).name} opens; {last}")
