"""systemd's service notifications, fed from the Qt event loop.

Under `ponte-kiosk.service` (Type=notify, WatchdogSec=) systemd gives the kiosk a
datagram socket in $NOTIFY_SOCKET. The kiosk says READY=1 once its first frame is
on screen, then WATCHDOG=1 from a QTimer on the GUI thread: if the event loop
freezes, the pings stop and systemd kills and restarts the kiosk, exactly as if it
had crashed. This is the sd_notify protocol (a text datagram on a unix socket),
spoken with the socket module: no libsystemd binding is needed.

Outside systemd (development, tests, screenshots) NOTIFY_SOCKET is unset and all
of this does nothing.
"""
from __future__ import annotations

import logging
import os
import socket
from typing import Mapping

from PySide6.QtCore import QObject, QTimer

log = logging.getLogger(__name__)


class SystemdNotifier:
    """Sends sd_notify messages ("READY=1", "WATCHDOG=1", ...) to $NOTIFY_SOCKET.

    The address is a file system path, or an abstract socket when it starts with "@".
    A failed send is logged once and never raised: the kiosk must not stop because
    the service manager went away.
    """

    def __init__(self, address: str | None = None):
        self.address = address if address is not None else os.environ.get("NOTIFY_SOCKET", "")
        self._sock: socket.socket | None = None
        self._warned = False

    @property
    def enabled(self) -> bool:
        return bool(self.address)

    def notify(self, message: str) -> bool:
        """Send one message; True if the datagram left."""
        if not self.address:
            return False
        target = "\0" + self.address[1:] if self.address.startswith("@") else self.address
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
            self._sock.sendto(message.encode("utf-8"), target)
            return True
        except OSError as exc:
            if not self._warned:
                log.warning("cannot notify the service manager (%s): %s", self.address, exc.strerror or exc)
                self._warned = True
            return False

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


def watchdog_interval_ms(environ: Mapping[str, str] | None = None) -> int | None:
    """Half of systemd's WatchdogSec (from $WATCHDOG_USEC), as sd_watchdog_enabled(3) advises; None when off.

    $WATCHDOG_PID is not checked: under cage the service's main process is the session
    script, and the kiosk is its grandchild (the unit says NotifyAccess=all).
    """
    environ = os.environ if environ is None else environ
    try:
        usec = int(environ.get("WATCHDOG_USEC", "0"))
    except ValueError:
        return None
    if usec <= 0:
        return None
    return max(1, usec // 2000)


class Watchdog(QObject):
    """READY=1 after the window's first frame, then WATCHDOG=1 from the GUI thread's event loop."""

    def __init__(self, window=None, *, notifier: SystemdNotifier | None = None,
                 interval_ms: int | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.notifier = notifier or SystemdNotifier()
        self.window = window
        self.interval_ms = interval_ms if interval_ms is not None else watchdog_interval_ms()
        self.ready = False
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.ping)

    def start(self) -> None:
        """Begin: READY=1 waits for the first frame when there is a window, pings start now."""
        if not self.notifier.enabled:
            return
        if self.window is not None and hasattr(self.window, "frameSwapped"):
            self.window.frameSwapped.connect(self._first_frame)
        else:
            self._first_frame()
        if self.interval_ms:
            self._timer.start(self.interval_ms)

    def _first_frame(self) -> None:
        if self.ready:
            return
        self.ready = True
        if self.window is not None and hasattr(self.window, "frameSwapped"):
            try:
                self.window.frameSwapped.disconnect(self._first_frame)
            except (RuntimeError, TypeError):
                pass
        self.notifier.notify("READY=1\nSTATUS=showing the start screen")

    def ping(self) -> None:
        """One WATCHDOG=1; runs only while the GUI thread's event loop runs."""
        self.notifier.notify("WATCHDOG=1")

    def stop(self) -> None:
        """STOPPING=1 and no more pings (a clean exit, not a hang)."""
        self._timer.stop()
        if self.notifier.enabled:
            self.notifier.notify("STOPPING=1")
        self.notifier.close()
