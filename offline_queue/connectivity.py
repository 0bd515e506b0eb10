"""Connectivity changes from Qt's QNetworkInformation (QtNetwork only, no widgets), when available.

Optional: without PySide6, without a backend for this OS, or without a running
Qt event loop, the sync worker still has its timer and its health probes.
"""
from __future__ import annotations

import logging

log = logging.getLogger("offline_queue.connectivity")


def watch_connectivity(worker) -> object | None:
    """Call worker.connectivity_changed(online) on reachability changes; the QNetworkInformation or None."""
    try:
        from PySide6.QtCore import QCoreApplication
        from PySide6.QtNetwork import QNetworkInformation
    except ImportError:
        return None
    if QCoreApplication.instance() is None:  # signals need the application's event loop
        return None
    try:
        if not QNetworkInformation.loadDefaultBackend():
            return None
        info = QNetworkInformation.instance()
    except Exception:  # noqa: BLE001 - a platform without a backend is not an error
        log.info("no QNetworkInformation backend; relying on timer and health probes")
        return None
    if info is None:
        return None
    online = QNetworkInformation.Reachability.Online

    def changed(reachability) -> None:
        # Runs on the Qt thread: only flag and wake, the worker thread does the database work.
        worker.connectivity_changed(reachability == online)

    info.reachabilityChanged.connect(changed)
    return info
