"""Who is signed in (`mediator.signIn` in QML), and for how long that holds.

A mediator who walks away must not leave exit, retry and export to whoever
comes next: after `idle_signout_seconds` without a touch or key anywhere on
the kiosk the mediator is signed out, and every `reauth_minutes` the PIN is
asked again (as Aidants Connect does), whatever the activity. Both come from
the `[mediator]` section of the configuration.
"""
from __future__ import annotations

import logging

from PySide6.QtCore import Property, QCoreApplication, QEvent, QObject, QTimer, Signal

from kiosk.mediators import Mediator

log = logging.getLogger(__name__)

IDLE_SIGNOUT_SECONDS = 120.0
REAUTH_MINUTES = 15.0
ACTIVITY = {QEvent.Type.MouseButtonPress, QEvent.Type.TouchBegin, QEvent.Type.KeyPress}


def _positive(section: dict, key: str, default: float) -> float:
    """A positive number from the configuration; a wrong value is one warning and the default."""
    value = section.get(key, default)
    try:
        number = float(value)
        if number > 0:
            return number
    except (TypeError, ValueError):
        pass
    log.warning("[mediator] %s must be a positive number, not %r: using %s", key, value, default)
    return default


class SignIn(QObject):
    """The signed-in mediator and the two timers that end or question the sign-in."""

    changed = Signal()
    idleSignedOut = Signal()  # the idle time ran out: the owner signs the mediator out
    reauthDue = Signal()  # time to ask the PIN again

    def __init__(self, config, parent: QObject | None = None):
        super().__init__(parent)
        section = config.raw.get("mediator", {}) if isinstance(config.raw, dict) else {}
        self.idle_seconds = _positive(section, "idle_signout_seconds", IDLE_SIGNOUT_SECONDS)
        self.reauth_minutes = _positive(section, "reauth_minutes", REAUTH_MINUTES)
        self._mediator: Mediator | None = None
        self._idle = QTimer(self)
        self._idle.setSingleShot(True)
        self._idle.setInterval(max(1, round(self.idle_seconds * 1000)))
        self._idle.timeout.connect(self.idleSignedOut)
        self._reauth = QTimer(self)
        self._reauth.setSingleShot(True)
        self._reauth.setInterval(max(1, round(self.reauth_minutes * 60_000)))
        self._reauth.timeout.connect(self.reauthDue)
        self._watching = False

    @property
    def mediator(self) -> Mediator | None:
        return self._mediator

    def sign_in(self, mediator: Mediator) -> None:
        """A right PIN: start both clocks (again, when the same mediator re-entered it)."""
        self._mediator = mediator
        self._watch(True)
        self._idle.start()
        self._reauth.start()
        self.changed.emit()

    def sign_out(self) -> Mediator | None:
        """Forget the mediator; returns who it was (for the audit line)."""
        mediator, self._mediator = self._mediator, None
        self._idle.stop()
        self._reauth.stop()
        self._watch(False)
        if mediator is not None:
            self.changed.emit()
        return mediator

    def pause_reauth(self) -> None:
        """The PIN is being asked again: no second question until it is answered."""
        self._reauth.stop()

    def _watch(self, on: bool) -> None:
        app = QCoreApplication.instance()
        if app is None or on == self._watching:
            return
        (app.installEventFilter if on else app.removeEventFilter)(self)
        self._watching = on

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() in ACTIVITY and self._mediator is not None:
            self._idle.start()  # restart: the idle time counts from the last touch
        return False

    @Property(bool, notify=changed)
    def signedIn(self) -> bool:
        return self._mediator is not None

    @Property(str, notify=changed)
    def mediatorName(self) -> str:
        return self._mediator.name if self._mediator else ""

    @Property(bool, notify=changed)
    def supervisor(self) -> bool:
        return bool(self._mediator and self._mediator.is_supervisor)
