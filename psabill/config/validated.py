"""The hourly fast path: a config unchanged since its last full validation, without the schema.

Building and validating the pydantic models costs an hourly ``psabill sync`` that finds
nothing due (and ``psabill due``) most of its time. So after a full validation that passed,
:func:`remember` stores, in the state directory, what the due decision reads (time zone,
schedules, customers, whether monitoring pings, the load's warnings) under a digest of
everything the validation depended on; :func:`recall` hands it back only when that digest
still matches (:mod:`psabill.config.digest`: psabill's version and schema, the config and
mappings files, and every reference resolved again; no secret, nor any hash of one, is stored).

Anything else - no cache, another format, a changed or unreadable file, a reference that no
longer resolves the same, a seal that does not match - is a miss, and the caller validates in
full as always: an edit that breaks the config fails loudly (exit 78) on the very next run.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

from psabill.config.digest import FORMAT, digest, resolved_state
from psabill.core.schedule.engine import Mode, Rule

if TYPE_CHECKING:
    from psabill.config.loader import LoadedConfig
    from psabill.config.models import Config, Schedule
    from psabill.config.ops_models import Monitoring


@dataclass(frozen=True)
class QuickSchedule:
    """A validated ``[schedule]`` (or a customer's own), as :mod:`psabill.core.due` reads it."""

    enabled: bool
    mode: Mode
    hour: int
    day: int | None
    weekday: int | None
    cron: str | None
    catch_up: timedelta

    def rule(self) -> Rule:
        return Rule(
            mode=self.mode, hour=self.hour, day=self.day, weekday=self.weekday, cron=self.cron
        )


@dataclass(frozen=True)
class QuickCustomer:
    id: str
    source: str | None
    name: str | None
    sync: bool
    schedule: QuickSchedule | None


@dataclass(frozen=True)
class QuickAccount:
    timezone: str

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class Validated:
    """The part of a validated config the due decision and a not-due run read: a
    :class:`~psabill.core.due.Timetable`, the load's warnings and whether monitoring pings."""

    path: Path
    account: QuickAccount
    schedule: QuickSchedule
    customers: tuple[QuickCustomer, ...]
    pings: bool
    warnings: tuple[str, ...]
    text: str = field(repr=False, default="")

    def monitoring(self, env: Mapping[str, str]) -> Monitoring | None:
        """``[monitoring]`` as the full load validated it; None when it does not (then the
        caller takes the full path, which says why)."""
        import tomllib

        from pydantic import ValidationError

        from psabill.config.ops_models import Monitoring
        from psabill.config.secrets import resolve_references

        section = tomllib.loads(self.text).get("monitoring", {})
        resolved, resolution = resolve_references(section, env, self.path.parent, ("monitoring",))
        if resolution.problems:
            return None
        try:
            return Monitoring.model_validate(resolved)
        except ValidationError:
            return None


# -- remember and recall -----------------------------------------------------------------------


def cache_path(state_dir: Path, config: Path) -> Path:
    """The cache file of the config at ``config`` (one per config file)."""
    name = hashlib.blake2b(str(config.absolute()).encode(), digest_size=8).hexdigest()
    return state_dir / f"config-{name}.validated.json"


def remember(loaded: LoadedConfig, state_dir: Path) -> bool:
    """Store ``loaded``'s due-check view for :func:`recall`, if ``state_dir`` exists (this never
    creates state). False when nothing was stored; a cache is only ever a shortcut."""
    inputs = loaded.inputs
    if inputs is None or not state_dir.is_dir():
        return False
    payload = _payload(loaded.config, loaded.warnings)
    refs = [[list(location), ref] for location, ref in inputs.references]
    data = {
        "format": FORMAT,
        "managed": str(inputs.managed),
        "references": refs,
        "config": payload,
        "seal": _seal(inputs.digest, str(inputs.managed), refs, payload),
    }
    target = cache_path(state_dir, loaded.path)
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False)
        os.replace(temp, target)
    except OSError:
        temp.unlink(missing_ok=True)
        return False
    return True


def recall(path: Path, env: Mapping[str, str], state_dir: Path) -> Validated | None:
    """The stored view of the config at ``path``, when every input of its last full
    validation is unchanged; None otherwise (validate in full)."""
    try:
        data = json.loads(cache_path(state_dir, path).read_text(encoding="utf-8"))
        text = path.read_bytes().decode("utf-8-sig")
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            return None
        managed = Path(data["managed"])
        managed_text = managed.read_bytes().decode("utf-8-sig") if managed.is_file() else None
        refs = [(tuple(location), str(ref)) for location, ref in data["references"]]
        states = []
        if refs:  # (secrets.py loads only for a config that has references)
            from psabill.config.secrets import resolve_references
        for location, ref in refs:
            value, resolution = resolve_references(ref, env, path.parent, location)
            states.append(((location, ref), resolved_state(location, value, resolution.problems)))
        found = digest(path, text, managed, managed_text, env, states)
        payload = data["config"]
        if data["seal"] != _seal(found, str(managed), data["references"], payload):
            return None
        return _validated(path, text, payload)
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, IndexError):
        return None


def _seal(found: str, managed: str, refs: object, payload: object) -> str:
    """The digest of the inputs, bound to what is stored under it."""
    encoded = json.dumps([found, managed, refs, payload], sort_keys=True, ensure_ascii=False)
    return hashlib.blake2b(encoded.encode("utf-8", "surrogatepass"), digest_size=32).hexdigest()


def _payload(config: Config, warnings: Sequence[str]) -> dict[str, Any]:
    return {
        "timezone": config.account.timezone,
        "schedule": _schedule_data(config.schedule),
        "customers": [
            [
                c.id,
                c.source,
                c.name,
                c.sync,
                _schedule_data(c.schedule) if c.schedule else None,
            ]
            for c in config.customers
        ],
        "pings": config.monitoring.ping_url is not None,
        "warnings": list(warnings),
    }


def _schedule_data(schedule: Schedule) -> list[object]:
    return [
        schedule.enabled,
        schedule.mode,
        schedule.hour,
        schedule.day,
        schedule.weekday,
        schedule.cron,
        schedule.catch_up.total_seconds(),
    ]


def _validated(path: Path, text: str, payload: dict[str, Any]) -> Validated:
    schedules: dict[str, QuickSchedule] = {}

    def schedule(data: list[Any]) -> QuickSchedule:
        key = json.dumps(data)
        if key not in schedules:  # thousands of customers share a handful of schedules
            enabled, mode, hour, day, weekday, cron, catch_up = data
            schedules[key] = QuickSchedule(
                bool(enabled),
                cast("Mode", str(mode)),
                int(hour),
                day,
                weekday,
                cron,
                timedelta(seconds=catch_up),
            )
        return schedules[key]

    customers = tuple(
        QuickCustomer(str(ident), source, name, bool(sync), schedule(own) if own else None)
        for ident, source, name, sync, own in payload["customers"]
    )
    return Validated(
        path=path,
        account=QuickAccount(str(payload["timezone"])),
        schedule=schedule(payload["schedule"]),
        customers=customers,
        pings=bool(payload["pings"]),
        warnings=tuple(str(w) for w in payload["warnings"]),
        text=text,
    )
