"""The layers' boundaries: data flows cli → app → (core, adapters), never back up.

Every import in every module counts, including imports inside functions.
A failure names the module, the line and the import that crossed a boundary.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "psabill"

# What the pure core may use: no I/O, no clock, no network, no database, no UI.
PURE_STDLIB = {
    "__future__", "abc", "bisect", "calendar", "collections", "dataclasses", "datetime",
    "decimal", "enum", "functools", "heapq", "itertools", "math", "operator", "re",
    "string", "types", "typing", "unicodedata", "zoneinfo",
}  # fmt: skip
CORE_MAY_IMPORT = ("psabill.core", "psabill.config.models", "psabill.errors", "croniter")
UI_LIBRARIES = ("click", "rich")
UPPER_LAYERS = ("psabill.app", "psabill.cli")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else None
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                anchor = (package or _module_name(path)).split(".")
                base = ".".join(anchor[: len(anchor) - node.level + 1] + ([base] if base else []))
            yield node.lineno, base
            for alias in node.names:  # `from psabill import app` imports psabill.app
                yield node.lineno, f"{base}.{alias.name}"


def _modules(under: str = "") -> list[Path]:
    return sorted((PACKAGE / under).rglob("*.py"))


def _within(name: str, prefixes: tuple[str, ...] | set[str]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _violations(paths: list[Path], allowed: Callable[[str], bool]) -> list[str]:
    found = []
    for path in paths:
        for line, name in _imports(path):
            if not allowed(name):
                found.append(f"{path.relative_to(PACKAGE.parent)}:{line}: imports {name}")
    return found


def test_the_core_is_pure() -> None:
    def allowed(name: str) -> bool:
        top = name.split(".")[0]
        return top in PURE_STDLIB or _within(name, CORE_MAY_IMPORT)

    assert _violations(_modules("core"), allowed) == []


def test_only_the_cli_imports_click_and_rich() -> None:
    outside = [p for p in _modules() if "cli" not in p.relative_to(PACKAGE).parts]
    assert _violations(outside, lambda name: not _within(name, UI_LIBRARIES)) == []


def test_nothing_below_imports_the_use_cases_or_the_cli() -> None:
    below = [
        p
        for p in _modules()
        if p.relative_to(PACKAGE).parts[0] not in ("app", "cli", "__main__.py")
    ]
    assert _violations(below, lambda name: not _within(name, UPPER_LAYERS)) == []


def test_the_use_cases_never_import_the_cli() -> None:
    assert _violations(_modules("app"), lambda name: not _within(name, ("psabill.cli",))) == []


@pytest.mark.parametrize(
    ("source", "layer", "expected"),
    [
        ("import httpx\n", "core", "imports httpx"),
        ("def f():\n    from psabill.app import runner\n", "notify", "imports psabill.app"),
        ("from rich.table import Table\n", "state", "imports rich.table"),
    ],
)
def test_the_checks_catch_a_violation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str, layer: str, expected: str
) -> None:
    fake = tmp_path / "psabill"
    (fake / layer).mkdir(parents=True)
    (fake / layer / "bad.py").write_text(source)
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", fake)
    checks = {
        "core": test_the_core_is_pure,
        "notify": test_nothing_below_imports_the_use_cases_or_the_cli,
        "state": test_only_the_cli_imports_click_and_rich,
    }
    with pytest.raises(AssertionError, match=expected):
        checks[layer]()
