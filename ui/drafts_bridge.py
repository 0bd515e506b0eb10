"""The screens' side of save and resume: `save()` and `resume(code)` off the GUI thread.

A small QObject over `kiosk.drafts.DraftKeeper`. The scrypt and the disk
write run through `ui.tasks.TaskManager`; results come back on the GUI thread.
The QML (a "Pause and come back later" action, a "Go on with a code" entry)
is not written yet: the journey bridge will connect `journeyResumed` to adopt
the journey and call `clear()` at the idle wipe.

The wipe forgets the code shown and any answer still in flight (a save that
finishes after the wipe erases its draft at once: its code was never shown
to anyone); it never erases a draft whose code was shown.
"""
from __future__ import annotations

import logging
from typing import Callable

from PySide6.QtCore import Property, QObject, QTimer, Signal, Slot

from kiosk.definition import Service
from kiosk.drafts import DraftError, DraftKeeper, Locked, Resumed, Saved
from kiosk.journey import Journey
from ui.tasks import TaskManager

log = logging.getLogger(__name__)
PURGE_INTERVAL_MS = 10 * 60 * 1000


class DraftsBridge(QObject):
    """Pause a journey under a resume code; take one back from a code."""

    codeChanged = Signal()
    busyChanged = Signal()
    errorChanged = Signal()
    journeyResumed = Signal(object, list, bool)  # Journey, dropped page ids, definition changed

    def __init__(self, keeper: DraftKeeper, *, journey: Callable[[], Journey | None],
                 services: Callable[[], dict[str, Service]], tasks: TaskManager | None = None,
                 purge_interval_ms: int = PURGE_INTERVAL_MS, parent: QObject | None = None):
        super().__init__(parent)
        self._keeper = keeper
        self._journey = journey
        self._services = services
        self._tasks = tasks or TaskManager(self)
        self._generation = 0  # bumped by the wipe: a result from before it is not shown
        self._code = ""
        self._expires = ""
        self._error = ""
        self._wait = 0
        self._busy = False
        self._purge = QTimer(self)
        self._purge.setInterval(purge_interval_ms)
        self._purge.timeout.connect(self.purge)
        self._purge.start()

    # --- properties for QML -------------------------------------------------------------------------

    @Property(str, notify=codeChanged)
    def code(self) -> str:
        """The code to show, grouped (ABCD-EFGH-JK); "" when none is shown."""
        return self._code

    @Property(str, notify=codeChanged)
    def expiresAt(self) -> str:
        """Until when the code works, ISO 8601 in UTC (the screen formats it for the locale)."""
        return self._expires

    @Property(bool, notify=busyChanged)
    def busy(self) -> bool:
        return self._busy

    @Property(str, notify=errorChanged)
    def error(self) -> str:
        """The message key of the last failure (translations core: drafts.<key>); "" if none."""
        return self._error

    @Property(int, notify=errorChanged)
    def waitSeconds(self) -> int:
        """With error "locked": seconds before a code can be tried again."""
        return self._wait

    # --- actions ------------------------------------------------------------------------------------

    @Slot()
    def save(self) -> None:
        """Pause the current journey: seal it and show its code."""
        journey = self._journey()
        if journey is None or self._busy:
            return
        # The snapshot is taken here, on the GUI thread that owns the journey; only sealing runs off it.
        service, language, snapshot = journey.service, journey.language, journey.snapshot()
        generation = self._start()

        def done(future) -> None:
            try:
                saved: Saved = future.result()
            except DraftError as exc:
                return self._finish(generation, error=exc.key)
            except Exception as exc:  # noqa: BLE001 - a full disk or a bug: the citizen sees "ask a helper"
                log.error("draft not saved: %s", type(exc).__name__)
                return self._finish(generation, error="store_error")
            if generation != self._generation:
                # Wiped while sealing: nobody saw this code, so nobody can use the draft. Erase it.
                self._tasks.run_in_background(lambda: self._keeper.discard(saved.code))
                return
            self._code, self._expires = saved.shown, saved.expires_at.isoformat()
            self.codeChanged.emit()
            self._finish(generation)
        self._tasks.run_in_background(lambda: self._keeper.save_snapshot(service, language, snapshot), done)

    @Slot(str)
    def resume(self, code: str) -> None:
        """Take back the journey saved under `code`; `journeyResumed` or `error` follows."""
        if self._busy:
            return
        generation = self._start()
        services = self._services()

        def done(future) -> None:
            try:
                resumed: Resumed = future.result()
            except Locked as exc:
                return self._finish(generation, error=exc.key, wait=int(exc.wait_seconds) + 1)
            except DraftError as exc:
                return self._finish(generation, error=exc.key)
            except Exception as exc:  # noqa: BLE001
                log.error("draft not resumed: %s", type(exc).__name__)
                return self._finish(generation, error="store_error")
            if generation != self._generation:
                return  # wiped meanwhile; the draft is already erased, as after any resume
            self._finish(generation)
            self.journeyResumed.emit(resumed.journey, resumed.dropped, resumed.definition_changed)
        self._tasks.run_in_background(lambda: self._keeper.resume(code, services), done)

    @Slot()
    def clear(self) -> None:
        """The idle wipe (or the next citizen): forget the code shown and any result in flight."""
        self._generation += 1
        had_code = bool(self._code)
        self._code, self._expires = "", ""
        if had_code:
            self.codeChanged.emit()
        self._set_error("", 0)
        self._set_busy(False)

    @Slot()
    def purge(self) -> None:
        """Erase expired drafts (every PURGE_INTERVAL_MS, and on demand)."""
        self._tasks.run_in_background(self._keeper.purge)

    # --- internals ----------------------------------------------------------------------------------

    def _start(self) -> int:
        self._set_error("", 0)
        self._set_busy(True)
        return self._generation

    def _finish(self, generation: int, *, error: str = "", wait: int = 0) -> None:
        if generation != self._generation:
            return
        self._set_error(error, wait)
        self._set_busy(False)

    def _set_busy(self, busy: bool) -> None:
        if busy != self._busy:
            self._busy = busy
            self.busyChanged.emit()

    def _set_error(self, key: str, wait: int) -> None:
        if (key, wait) != (self._error, self._wait):
            self._error, self._wait = key, wait
            self.errorChanged.emit()
