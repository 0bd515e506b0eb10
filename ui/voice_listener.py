"""Push-to-talk for the voice controller: one listening turn at a time.

`Listener.start(model, grammar)` opens the audio source (the microphone, or a
WAV file in tests and demos, `voice.audio_qt`) and feeds a
`voice.recognizer.Recognition`; the turn ends when the citizen stops speaking,
after MAX_LISTEN_MS at the latest, or on `stop()`. `finished(result)` then
carries what was recognised (or None). What to do with it is the controller's
business.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from voice.grammar import Grammar
from voice.recognizer import ModelStore, Recognition

MAX_LISTEN_MS = 8000  # push-to-talk never stays open longer than this


class Listener(QObject):
    """The audio source and the recognition of one turn."""

    listeningChanged = Signal()
    finished = Signal(object)  # voice.recognizer's result (text, intent), or None

    def __init__(self, audio_input: Any, models: ModelStore, parent: QObject | None = None):
        super().__init__(parent)
        self.audio_input, self.models = audio_input, models
        self._listening = False
        self._recognition: Recognition | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.stop)

    @property
    def listening(self) -> bool:
        return self._listening

    def state(self, language: str) -> tuple[str, str]:
        """ready | loading | absent | failed | no-device, and why: is there a microphone to offer?"""
        ok, reason = self.audio_input.available()
        if not ok:
            return "no-device", reason
        return self.models.state(language)

    def start(self, model: Any, grammar: Grammar) -> None:
        """Open the microphone for one turn; RuntimeError if the audio source cannot start."""
        self._recognition = Recognition(model, grammar)
        try:
            self.audio_input.start(self._on_pcm, self.stop)
        except RuntimeError:
            self._recognition = None
            raise
        self._listening = True
        self._timer.start(MAX_LISTEN_MS)
        self.listeningChanged.emit()

    def _on_pcm(self, pcm: bytes) -> None:
        if self._recognition is not None and self._recognition.feed(pcm):
            QTimer.singleShot(0, self.stop)  # the citizen stopped speaking

    @Slot()
    def stop(self) -> None:
        """End the turn and hand over what was heard."""
        if not self._listening:
            return
        self._timer.stop()
        self.audio_input.stop()
        self._listening = False
        recognition, self._recognition = self._recognition, None
        result = recognition.finish() if recognition else None
        self.listeningChanged.emit()
        self.finished.emit(result)

    def cancel(self) -> None:
        """End the turn and drop what was heard (a new screen, a new citizen)."""
        if self._listening:
            self._timer.stop()
            self.audio_input.stop()
            self._listening = False
            self._recognition = None
            self.listeningChanged.emit()
