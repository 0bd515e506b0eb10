"""Speech out for the voice controller: one clip at a time, the newest request wins.

`Speaker.say()` hands the text to `voice.tts.Synthesizer` (its own thread and
worker processes), then plays the clip with QtMultimedia on the GUI thread. A
clip that comes back after a newer request (the citizen moved on) is never
played. Shared clips are marked as used in the bounded shared cache
(`voice.cache.SharedCache`); private ones (a citizen's answer or reference)
stay in the synthesiser's private folder.
"""
from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from voice.cache import SharedCache
from voice.tts import Synthesizer

log = logging.getLogger(__name__)


class Speaker(QObject):
    """Synthesis and playback; tells when it speaks, what it said and why it could not."""

    speakingChanged = Signal()
    spoke = Signal(str)  # the text of every clip that starts playing
    failed = Signal(str)  # synthesis or playback failed: the reason (for the mediator)
    _synthesised = Signal(int, object, str)  # from the synthesis thread

    def __init__(self, synth: Synthesizer, cache: SharedCache, parent: QObject | None = None):
        super().__init__(parent)
        self.synth, self.cache = synth, cache
        self._generation = 0
        self._speaking = False
        self._current_text = ""
        self.last_clip: Path | None = None
        self.last_spoken = ""
        self.last_error = ""
        self._synthesised.connect(self._on_synthesised)
        from voice.audio_qt import ClipPlayer
        self._player = ClipPlayer(self)
        self._player.playingChanged.connect(self._set_speaking)

    @property
    def speaking(self) -> bool:
        return self._speaking

    @property
    def volume(self) -> float:
        """The loudness every clip plays at (0..1), applied to the audio sink."""
        return self._player.volume

    def set_volume(self, volume: float) -> None:
        self._player.set_volume(volume)

    def say(self, text: str, language: str, rate: int, private: bool) -> None:
        """Stop what is being said and say `text` (nothing for an empty text)."""
        self.stop()
        self._current_text = text
        if not text:
            return
        generation = self._generation

        def done(path, error: str) -> None:  # on the synthesis thread
            if path is not None and not private:
                self.cache.used(path)
            self._synthesised.emit(generation, path, error)
        self.synth.request(text, language, rate, done, private=private)

    def stop(self) -> None:
        """Silence now; a clip still being made for an older request will not be played."""
        self._generation += 1
        self.synth.cancel()
        self._player.stop()
        self._set_speaking(False)

    def forget(self) -> None:
        """A new citizen: nothing of what was said to the last one is kept here."""
        self._current_text, self.last_spoken, self.last_clip = "", "", None

    def _on_synthesised(self, generation: int, path, error: str) -> None:
        if generation != self._generation:
            return  # an older screen's speech: never play it
        if path is None:
            self.last_error = error
            self.failed.emit(error)
            return
        self.last_clip = Path(path)
        self.last_spoken = self._current_text
        self.spoke.emit(self._current_text)
        try:
            self._player.play(path)
        except (RuntimeError, OSError, EOFError) as exc:
            log.warning("voice playback failed: %s", exc)
            self.last_error = str(exc)
            self.failed.emit(str(exc))

    def _set_speaking(self, value: bool) -> None:
        if value != self._speaking:
            self._speaking = value
            self.speakingChanged.emit()

    def close(self) -> None:
        self.stop()
        self.synth.close()
