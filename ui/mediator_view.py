"""Which mediator view is on the screen (`mediator.layer` in QML), and which of them are modal.

One view at a time: nothing, the "a helper is coming" card, the PIN pad, the
side panel or its collapsed tab, the consent screen, the console or the
settings. Modal views dim the citizen's screen and swallow touches behind
them; they also hide the citizen's inactivity warning, so while one is up
(for at most KEEP_ALIVE_SECONDS) the citizen session is kept alive.
"""
from __future__ import annotations

import enum
import time
from typing import Callable

from PySide6.QtCore import Property, QObject, QTimer, Signal

KEEP_ALIVE_SECONDS = 300  # longest a modal view holds off the inactivity wipe


class View(str, enum.Enum):
    """The views of the mediator layer; the value is what QML compares against."""

    HIDDEN = ""
    CALLED = "called"
    PIN = "pin"
    PANEL = "panel"
    TAB = "tab"
    CONSENT = "consent"
    CONSOLE = "console"
    SETTINGS = "settings"


MODAL_VIEWS = frozenset({View.CALLED, View.PIN, View.CONSENT, View.CONSOLE, View.SETTINGS})
# Views that belong to a signed-in mediator's console rather than to a citizen's visit.
CONSOLE_VIEWS = frozenset({View.CONSOLE, View.SETTINGS})


class MediatorView(QObject):
    """The current view; `viewChanged` is this group's only signal."""

    viewChanged = Signal()

    def __init__(self, touch_citizen: Callable[[], None] = lambda: None, *,
                 keep_alive_ms: int = 5000, parent: QObject | None = None):
        super().__init__(parent)
        self._view = View.HIDDEN
        self._since = time.monotonic()
        self._touch_citizen = touch_citizen
        self._keep_alive = QTimer(self)
        self._keep_alive.setInterval(keep_alive_ms)
        self._keep_alive.timeout.connect(self.keep_session_alive)
        self._keep_alive.start()

    @property
    def current(self) -> View:
        return self._view

    def set(self, view: View) -> None:
        """Show `view` (any change of view counts as the citizen session being in use)."""
        view = View(view)
        if view != self._view:
            self._since = time.monotonic()
            self._view = view
            self.viewChanged.emit()
        self._touch_citizen()

    def keep_session_alive(self) -> None:
        """Called every few seconds: a modal view hides the idle warning, so it keeps the citizen
        session alive, but not for ever (a citizen who left is still wiped)."""
        if self._view in MODAL_VIEWS and time.monotonic() - self._since < KEEP_ALIVE_SECONDS:
            self._touch_citizen()

    def stop(self) -> None:
        self._keep_alive.stop()

    @Property(str, notify=viewChanged)
    def view(self) -> str:
        return self._view.value

    @Property(bool, notify=viewChanged)
    def modal(self) -> bool:
        """True while the view covers the citizen's screen (dimmed, touches blocked behind)."""
        return self._view in MODAL_VIEWS

    @Property("QStringList", constant=True)
    def modalViews(self) -> list[str]:
        return sorted(v.value for v in MODAL_VIEWS)
