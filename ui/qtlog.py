"""Qt's and QML's own messages (warnings, binding errors) routed into Python logging.

Installed once by the app at start-up (`install_qt_message_handler`), so they
reach the same handler as every other log line (the journal under systemd)
instead of being printed by Qt on its own. Loggers: `qml` for messages that
come from a QML file, `qt.<category>` for the rest.
"""
from __future__ import annotations

import logging

from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def qt_message_handler(mode: QtMsgType, context: QMessageLogContext, message: str) -> None:
    """Log one Qt message at the matching level."""
    source = context.file or ""
    category = context.category or "default"
    if source.endswith(".qml") or category.startswith("qml") or ".qml:" in message:
        name = "qml"
    else:
        name = "qt" if category == "default" else category if category.startswith("qt") else f"qt.{category}"
    logging.getLogger(name).log(_LEVELS.get(mode, logging.WARNING), "%s", message)


def install_qt_message_handler() -> None:
    """Route Qt's messages into logging (again: a test harness may have put its own in between)."""
    qInstallMessageHandler(qt_message_handler)
