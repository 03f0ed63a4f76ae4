"""Where log records go: stderr, as text or (``--log-json``) one JSON object per line.

A JSON line has ``time`` (ISO 8601, UTC), ``level`` (lower case), ``logger``
and ``message``, then any ``extra=`` fields of the record, and
``exception`` (the formatted traceback) when there is one. A message with
newlines stays on one line, so log shippers (journald, Loki, Vector, ...)
can split the stream on newlines.

Verbosity picks the level: ``-q`` errors only, default warnings, ``-v``
info, ``-vv`` debug.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

TEXT_FORMAT = "%(levelname)s %(name)s: %(message)s"
# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_") and key not in data:
                data[key] = value
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            data["stack"] = self.formatStack(record.stack_info)
        return json.dumps(data, ensure_ascii=False, default=str)


class StderrHandler(logging.Handler):
    """Writes to whatever ``sys.stderr`` is at the time of the record.

    Holding no stream of its own means a handler installed by one invocation
    never writes to a stream that has since been closed or replaced (click's
    test runner swaps stderr for every invocation).
    """

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
            sys.stderr.flush()
        except Exception:
            self.handleError(record)


def level_for(verbosity: int) -> int:
    if verbosity > 1:
        return logging.DEBUG
    if verbosity == 1:
        return logging.INFO
    return logging.WARNING if verbosity == 0 else logging.ERROR


def configure_logging(verbosity: int, *, json_lines: bool) -> None:
    """Send every log record at or above the verbosity's level to stderr.

    Replaces the handler an earlier call installed, so calling it once per
    invocation never duplicates lines. With ``json_lines``, Python warnings
    (a library's ``UserWarning``, say) become log records too: no plain line
    may reach a stderr that log shippers read as JSON lines.
    """
    logging.captureWarnings(json_lines)
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, StderrHandler)]:
        root.removeHandler(old)
    handler = StderrHandler()
    handler.setFormatter(JsonFormatter() if json_lines else logging.Formatter(TEXT_FORMAT))
    root.addHandler(handler)
    root.setLevel(level_for(verbosity))
