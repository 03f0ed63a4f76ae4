"""--log-json owns stderr: Python warnings become JSON records too, and only in that mode."""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Iterator

import pytest

from psabill.ops.logjson import configure_logging


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    logging.captureWarnings(False)
    root.handlers[:] = handlers
    root.setLevel(level)


def _warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("a library is unhappy", UserWarning, stacklevel=1)


def test_a_python_warning_is_one_json_line(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(0, json_lines=True)
    _warn()
    [line] = capsys.readouterr().err.splitlines()
    record = json.loads(line)
    assert record["level"] == "warning"
    assert record["logger"] == "py.warnings"
    assert "a library is unhappy" in record["message"]


def test_text_mode_leaves_python_warnings_to_python(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(0, json_lines=True)
    configure_logging(0, json_lines=False)  # the next invocation in the same process
    with pytest.warns(UserWarning, match="a library is unhappy"):
        _warn()
    assert capsys.readouterr().err == ""  # no JSON record of it
