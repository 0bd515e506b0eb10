"""What the mediator should know about speech on this kiosk: no voice for a language, no
recognition model, no microphone. Each message is told once per language of the session,
to the log and to the mediator's panel; the citizen never sees it.
"""
from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, Signal

from translations import text as tr
from voice.recognizer import ABSENT, FAILED, ModelStore
from voice.tts import Synthesizer

log = logging.getLogger(__name__)


class VoiceNotices(QObject):
    """Checks what speech needs and tells the mediator, once per message."""

    told = Signal(str)

    def __init__(self, synth: Synthesizer, models: ModelStore, audio_input: Any, parent: QObject | None = None,
                 language: str = "en"):
        super().__init__(parent)
        self.synth, self.models = synth, models
        self.language = language  # the mediator's: the kiosk's default language, whatever the citizen's is
        self._audio_input = audio_input  # a callable giving the current audio source
        self._sent: set[str] = set()
        self.notice = ""

    def new_language(self) -> None:
        """The session's language changed: the same problem is worth telling again."""
        self._sent.clear()

    def tell(self, message: str) -> None:
        if message in self._sent:
            return
        self._sent.add(message)
        self.notice = message
        log.info("voice: %s", message)
        self.told.emit(message)

    def check_voice(self, language: str) -> None:
        """Is there a synthesis voice for `language` (else which one stands in)?"""
        try:
            choice = self.synth.voice_for(language)
        except Exception as exc:  # noqa: BLE001 - the engine itself is missing
            return self.tell(tr(self.language, "voice.mediator.no_tts", reason=str(exc)))
        if choice.fallback:
            fallback = choice.voice.name if choice.voice else "-"
            self.tell(tr(self.language, "voice.mediator.no_voice", lang=language, fallback=fallback))

    def check_microphone(self, language: str) -> None:
        """Is there a recognition model for `language`, and a microphone?"""
        # The model first: the mediator can fix that, whatever the microphone does.
        state, message = self.models.state(language)
        if state == ABSENT and not self.models.has_model(language):
            self.tell(tr(self.language, "voice.mediator.no_model", lang=language))
        elif state == FAILED:
            self.tell(tr(self.language, "voice.mediator.model_failed", lang=language, reason=message))
        if not self._audio_input().available()[0]:
            self.tell(tr(self.language, "voice.mediator.no_microphone"))
