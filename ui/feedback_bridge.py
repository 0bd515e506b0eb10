"""The screens' side of "How was it?": the fixed lists for QML, and `give(face, reason)`.

The faces and reasons arrive from `kiosk.feedback` as properties (QML only lays
them out and words them with translations core feedback.*). `give` checks the
answer on the GUI thread, counts it in the day's statistics, and hands the
outbox write to the queue's writer thread (the outbox's own thread, see
ui.bridge.QueueWriter). One answer per journey; `clear()` at the wipe or the
next journey. The card is ui/qml/FeedbackCard.qml on the confirmation screen.
"""
from __future__ import annotations

import logging
from concurrent.futures import Future
from typing import Any, Callable

from PySide6.QtCore import Property, QObject, Signal, Slot

from kiosk.config import Config
from kiosk.feedback import FACES, REASONS, Feedback, FeedbackError, give_feedback, today
from kiosk.journey import Journey

log = logging.getLogger(__name__)


class FeedbackBridge(QObject):
    """One optional "How was it?" answer after each journey."""

    givenChanged = Signal()

    def __init__(self, config: Config, *, journey: Callable[[], Journey | None],
                 submit: Callable[[Callable[[Any], Any]], Future], stats=None, parent: QObject | None = None):
        super().__init__(parent)
        self._config = config
        self._journey = journey
        self._submit = submit  # QueueWriter.submit: runs fn(outbox) on the outbox's thread
        self._stats = stats
        self._given = False

    @Property(list, constant=True)
    def faces(self) -> list[int]:
        """1 very unhappy ... 5 very happy (message keys feedback.face.<n>)."""
        return list(FACES)

    @Property(list, constant=True)
    def reasons(self) -> list[str]:
        """Reason ids (message keys feedback.reason.<id>); never free text."""
        return list(REASONS)

    @Property(bool, notify=givenChanged)
    def given(self) -> bool:
        """True once this journey's answer was taken: the screen says thank you and moves on."""
        return self._given

    @Slot(int, str)
    def give(self, face: int, reason: str = "") -> None:
        """Take the citizen's face and optional reason ("" for none)."""
        journey = self._journey()
        if self._given or journey is None:
            return
        try:
            feedback = Feedback(face, journey.service.id, journey.language, today(), reason or None)
        except FeedbackError as exc:  # a screen bug: nothing is queued, the citizen is not stopped
            log.error("feedback refused: %s", exc)
            return
        self._given = True
        self.givenChanged.emit()
        if self._stats is not None:
            self._stats.record_feedback(feedback.service, feedback.language, feedback.face, feedback.reason)
        config = self._config

        def write(outbox) -> bool:
            return give_feedback(outbox, config, feedback)

        def done(future: Future) -> None:
            if future.exception() is not None:  # feedback is optional: logged by type, never retried
                log.warning("feedback not queued: %s", type(future.exception()).__name__)
        self._submit(write).add_done_callback(done)

    @Slot()
    def clear(self) -> None:
        """A new journey (or the wipe): ready for the next answer."""
        if self._given:
            self._given = False
            self.givenChanged.emit()
