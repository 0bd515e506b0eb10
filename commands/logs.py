"""Logging, set up once for every command and the running kiosk.

stdlib logging, loggers named by module (`logging.getLogger(__name__)`), one
handler on stderr. The level comes from `--verbose` (-v: info, -vv: debug),
else from $PONTE_LOG_LEVEL (debug, info, warning, error), else warning. Under
systemd (JOURNAL_STREAM set) lines carry a syslog priority prefix that journald
reads and no timestamp (journald adds its own); elsewhere a short time.

Never log personal data: log counts, states, ids of rows and the type of an
exception, not answers, names, reference numbers or exception messages that may
echo them.
"""
from __future__ import annotations

import logging
import os
import sys
import traceback
from types import TracebackType
from typing import TextIO

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR,
          "critical": logging.CRITICAL}
ENV_LEVEL = "PONTE_LOG_LEVEL"
# syslog priorities journald understands as a "<N>" line prefix (sd-daemon(3)).
_PRIORITY = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3, logging.CRITICAL: 2}


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (a test's capture, a redirected stream)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


class JournalFormatter(logging.Formatter):
    """`<prio>logger: message`, one journal line per line of the record, no timestamp (journald adds it)."""

    def format(self, record: logging.LogRecord) -> str:
        prefix = f"<{_PRIORITY.get(record.levelno, 6)}>{record.name}: "
        text = super().format(record)
        return "\n".join(prefix + line for line in text.splitlines() or [""])


def level_from(verbosity: int, environ: dict[str, str] | os._Environ[str] = os.environ) -> int:
    """-v/-vv win; else $PONTE_LOG_LEVEL (a name or a number); else warning."""
    if verbosity >= 2:
        return logging.DEBUG
    if verbosity == 1:
        return logging.INFO
    value = environ.get(ENV_LEVEL, "").strip().lower()
    if value.isdigit():
        return int(value)
    return LEVELS.get(value, logging.WARNING)


def setup_logging(verbosity: int = 0) -> None:
    """Configure the root logger once per process (a second call replaces what the first set)."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_ponte", False)]:
        root.removeHandler(handler)
    handler = _StderrHandler()
    handler._ponte = True  # type: ignore[attr-defined]
    if os.environ.get("JOURNAL_STREAM"):
        handler.setFormatter(JournalFormatter("%(message)s"))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S"))
    root.addHandler(handler)
    root.setLevel(level_from(verbosity))
    logging.captureWarnings(True)


def log_unexpected(logger: logging.Logger, exc: BaseException, tb: TracebackType | None) -> None:
    """Where an unexpected error happened, at debug level: file, line and function of each frame.

    Neither the exception's message nor the source lines are logged: either may hold a value.
    """
    frames = "\n".join(f"  {f.filename}:{f.lineno} in {f.name}" for f in traceback.extract_tb(tb))
    logger.debug("unexpected %s at:\n%s", type(exc).__name__, frames)
