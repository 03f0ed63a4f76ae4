"""One error tree, in errors.py: documented, used, and with exit codes that never alias."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

from psabill import errors
from psabill.errors import ExitCode, PsabillError

PACKAGE = Path(errors.__file__).parent
README = PACKAGE.parent / "README.md"


def _error_classes() -> list[type[PsabillError]]:
    return [
        cls
        for _, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, PsabillError) and cls.__module__ == errors.__name__
    ]


def test_exit_codes_are_distinct_and_each_has_its_own_name() -> None:
    values = [int(code) for code in ExitCode]
    assert len(values) == len(set(values))
    assert ExitCode(1).name == "FAILURE"
    assert "FAILURE" in [code.name for code in ExitCode]


def test_every_exit_code_is_in_the_readme_table() -> None:
    section = README.read_text(encoding="utf-8").split("## Exit codes", 1)[1].split("\n## ")[0]
    documented = {int(code) for code in re.findall(r"^\| (\d+) \|", section, re.M)}
    assert documented == {int(code) for code in ExitCode}


def test_no_error_class_is_defined_outside_errors_py() -> None:
    outside = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == Path(errors.__file__):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases = {getattr(b, "id", getattr(b, "attr", "")) for b in node.bases}
                if bases & {cls.__name__ for cls in _error_classes()}:
                    outside.append(f"{path.relative_to(PACKAGE.parent)}: {node.name}")
    assert outside == []


def test_every_error_class_is_documented_and_used() -> None:
    tree = errors.__doc__ or ""
    code = "\n".join(
        path.read_text(encoding="utf-8")
        for path in PACKAGE.rglob("*.py")
        if path != Path(errors.__file__)
    )
    for cls in _error_classes():
        assert re.search(rf"\b{cls.__name__}\b", tree), f"{cls.__name__} is not in the tree"
        if cls is not PsabillError:
            assert re.search(rf"\b{cls.__name__}\b", code), f"{cls.__name__} is never used"
