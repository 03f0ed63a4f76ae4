"""Find, read and validate the config file.

Every problem - TOML syntax, schema, secret references, cross-field - comes
back as one ``FILE:LINE: dotted.key: message`` line, all of them at once, in
a single ``ConfigError`` (exit 78).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from pydantic import ValidationError

from psabill.config.checks import Problem, cross_check
from psabill.config.digest import Inputs, digest, references, resolved_state, value_at
from psabill.config.files import CONFIG_NAME as CONFIG_NAME
from psabill.config.files import MAPPINGS_NAME
from psabill.config.files import find_config as find_config
from psabill.config.locate import key_lines
from psabill.config.merge import Which, merge
from psabill.config.models import Config
from psabill.config.problems import Located, render, schema_problems
from psabill.config.secret_policy import PUBLIC_SANDBOX_KEYS as PUBLIC_SANDBOX_KEYS
from psabill.config.secret_policy import SECRET_PATHS as SECRET_PATHS
from psabill.config.secret_policy import literal_secret_warnings, literal_vendor_secrets
from psabill.config.secrets import Resolution, resolve_references
from psabill.errors import ConfigError

_TOML_POS = re.compile(r"^(.*) \(at line (\d+), column (\d+)\)$")


@dataclass(frozen=True)
class LoadedConfig:
    """A validated config and where it came from."""

    config: Config
    path: Path
    warnings: tuple[str, ...]
    inputs: Inputs | None = field(default=None, repr=False, compare=False)
    """What the validation depended on, for :func:`psabill.config.validated.remember`."""

    @property
    def base_dir(self) -> Path:
        """Relative paths in the config are relative to this directory."""
        return self.path.parent

    @property
    def mappings_path(self) -> Path:
        """The managed mappings file (``mappings_file``); it may not exist yet."""
        file = self.config.mappings_file.expanduser()
        return file if file.is_absolute() else self.base_dir / file


def load_config(path: Path, env: Mapping[str, str]) -> LoadedConfig:
    """Read and validate ``path`` merged with its mappings file; raise ConfigError listing
    every problem, each at the ``FILE:LINE`` of the file it is in.

    Each file is read and parsed once, and the merged config validated once."""
    text = _read_text(path)
    raw = _parse(path, text)
    managed = managed_path(path, raw)
    readable = managed.is_file() and not _same_file(path, managed)
    managed_text = _read_text(managed) if readable else None
    return _load(path, text, raw, env, managed_text=managed_text)


def managed_path(path: Path, raw: Mapping[str, Any]) -> Path:
    """Where the managed mappings file of the config at ``path`` lives (it may not exist)."""
    name = raw.get("mappings_file")
    if not isinstance(name, str) or not name.strip():
        name = MAPPINGS_NAME  # a wrong type is reported by the schema
    try:
        file = Path(name).expanduser()
    except RuntimeError:  # "~someone/..." naming an unknown user: no such file, then
        file = Path(name)
    return file if file.is_absolute() else path.parent / file


def load_texts(
    path: Path,
    text: str,
    env: Mapping[str, str],
    *,
    managed_text: str | None,
    parsed: dict[str, Any] | None = None,
) -> LoadedConfig:
    """Validate the config ``text`` (of ``path``) merged with ``managed_text``, the contents
    of its mappings file (None: there is none). Edits use this to check a change before
    writing it; ``parsed`` is ``text`` already parsed, when the caller has it."""
    raw = parsed if parsed is not None else _parse(path, text)
    return _load(path, text, raw, env, managed_text=managed_text)


def _load(
    path: Path, text: str, raw: dict[str, Any], env: Mapping[str, str], *, managed_text: str | None
) -> LoadedConfig:
    """Merge ``raw`` (``text`` parsed) with the managed file, resolve secrets, validate once."""
    managed = managed_path(path, raw)
    same = _same_file(path, managed)
    if same:
        managed_text = None
    merged = merge(raw, _parse_managed(managed, managed_text))
    located: list[Located] = [("managed", loc, message) for loc, message in merged.problems]
    if same:
        located.append(("config", ("mappings_file",), "must name a file other than this one"))
    resolved, resolution = resolve_references(merged.raw, env, path.parent)
    config, problems = _validate(resolved, resolution)
    located += [(*merged.locate(loc), message) for loc, message in problems]
    if located or config is None:
        texts: dict[Which, tuple[Path, str]] = {
            "config": (path, text),
            "managed": (managed, managed_text or ""),
        }
        _fail(path, texts, located)
    warnings = literal_secret_warnings(path, raw, resolution.indirect)
    config = _anchor_paths(config, path.parent)
    inputs = _inputs(path, text, managed, managed_text, env, merged.raw, resolved)
    return LoadedConfig(config=config, path=path, warnings=tuple(warnings), inputs=inputs)


def _inputs(
    path: Path,
    text: str,
    managed: Path,
    managed_text: str | None,
    env: Mapping[str, str],
    raw: Any,
    resolved: Any,
) -> Inputs:
    """What a validation that passed depended on: every reference with its resolved value."""
    refs = references(raw)
    states = [
        ((loc, ref), resolved_state(loc, str(value_at(resolved, loc)), [])) for loc, ref in refs
    ]
    found = digest(path, text, managed, managed_text, env, states)
    return Inputs(digest=found, references=tuple(refs), managed=managed)


def _validate(resolved: Any, resolution: Resolution) -> tuple[Config | None, list[Problem]]:
    """The config (None if invalid) and every problem: unresolved references, then the
    schema's, or the cross-field checks' when the schema is satisfied."""
    problems: list[Problem] = list(resolution.problems) + literal_vendor_secrets(
        resolved, resolution
    )
    try:
        config = Config.model_validate(resolved)
    except ValidationError as exc:
        # An unresolved reference already explains the empty value it left behind.
        unresolved = {loc for loc, _ in resolution.problems}
        return None, problems + [p for p in schema_problems(exc) if p[0] not in unresolved]
    return config, problems + cross_check(config)


def _fail(path: Path, texts: Mapping[Which, tuple[Path, str]], located: list[Located]) -> NoReturn:
    """Raise the ConfigError listing ``located``; key lines are only scanned for this."""
    files = {which: (file, key_lines(text)) for which, (file, text) in texts.items()}
    rendered = render(files, located)
    count = len(rendered)
    summary = f"{path}: {count} problem{'s' if count != 1 else ''} in the configuration"
    in_managed = any(which == "managed" for which, _, _ in located)
    hint = _managed_hint(texts["managed"][0]) if in_managed else None
    raise ConfigError(summary, problems=rendered, hint=hint)


def _anchor_paths(config: Config, base: Path) -> Config:
    """CA bundles given relative to the config file, wherever psabill is started from."""
    updates: dict[str, object] = {}
    for name in ("psa", "smtp"):
        section = getattr(config, name)
        bundle = section.ca_bundle
        if bundle is not None and not bundle.expanduser().is_absolute():
            updates[name] = section.model_copy(update={"ca_bundle": base / bundle})
    return config.model_copy(update=updates) if updates else config


def _parse(path: Path, text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_syntax_problem(path, exc)) from None


def _parse_managed(path: Path, text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        return _parse(path, text)
    except ConfigError as exc:
        raise ConfigError(exc.message, hint=_managed_hint(path)) from None


def _managed_hint(path: Path) -> str:
    return (
        f"{path.name} is written by `psabill products|customers|contracts|admins`; "
        f"fix it with those commands, or restore {path.name}.bak"
    )


def _same_file(one: Path, other: Path) -> bool:
    try:
        return one.resolve() == other.resolve()
    except (OSError, ValueError):  # ValueError: a NUL in the name
        return False


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: config file not found", hint="create one with `psabill config init`"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc.strerror}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}: encoding: the file is not valid UTF-8") from None


def _syntax_problem(path: Path, exc: tomllib.TOMLDecodeError) -> str:
    match = _TOML_POS.match(str(exc))
    if match:
        return f"{path}:{match.group(2)}: TOML syntax: {match.group(1)}"
    return f"{path}: TOML syntax: {exc}"
