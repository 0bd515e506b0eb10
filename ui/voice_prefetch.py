"""Speech for the likely next screen, made while the citizen listens to the current one.

The first word of a new screen otherwise waits for its whole clip to be synthesised
(espeak-ng through the synthesis worker). When the controller starts playing a
screen's clip (`VoiceController.spoke`), `SpeechPrefetch` asks the bridge what the
next screen will most likely say (`KioskBridge.likely_next_screens`) and makes that
clip in the background, at the session's language and rate, into the shared cache:
when the citizen moves on, the clip is already there and playback starts at once.

Only words that belong to the kiosk and the service are made ahead
(`voice.cache.prefetch_text`): never a screen with an answer, an error, a reference
or the list of answers. The shared cache stays bounded (`voice.cache.SharedCache`,
`[voice] cache_max_mb`, least recently used clips leave first).

The clips are made by a synthesiser of their own (its own worker processes, same
cache folder), so speech for the screen on show never queues behind a clip made
ahead; work runs through `ui.tasks.TaskManager`, one batch at a time, and nothing is
made while voice is off.
"""
from __future__ import annotations

import logging
from concurrent.futures import Future
from typing import Any

from PySide6.QtCore import QObject, Signal

from ui.tasks import TaskManager
from voice.cache import SharedCache, prefetch_text
from voice.tts import Synthesizer

log = logging.getLogger(__name__)

MAX_AHEAD = 2  # screens made ahead per change: the next one or two, not the whole journey


class SpeechPrefetch(QObject):
    """Makes the likely next screen's speech in the background while voice is on."""

    finished = Signal(int)  # clips made (or found in the cache) by the batch that just ended

    def __init__(self, voice: Any, bridge: Any | None, *, synthesizer: Synthesizer | None = None,
                 cache: SharedCache | None = None, tasks: TaskManager | None = None,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.voice, self.bridge = voice, bridge
        # Same folder as the controller's synthesiser (whose start-up already emptied the private
        # folder), separate worker processes.
        self.synth = synthesizer or Synthesizer(voice.synth.cache_dir)
        self.cache = cache or voice.cache
        self.tasks = tasks or TaskManager(self)
        self.last_texts: list[str] = []  # what the last batch made: the kiosk's and the service's words only
        self._generation = 0
        self._running = False
        self._wanted: tuple[int, list[tuple[str, str]], int] | None = None
        self._closed = False
        voice.spoke.connect(self._on_spoke)
        if bridge is not None:  # without a bridge (benchmarks), only prefetch() makes speech ahead
            bridge.restarted.connect(self.cancel)

    @property
    def busy(self) -> bool:
        """A batch is being made or waits to be."""
        return self._running or self._wanted is not None

    def _on_spoke(self, _text: str) -> None:
        if self.voice.enabled and self.bridge is not None:
            self.prefetch(self.bridge.likely_next_screens(), int(self.voice.rate))

    def prefetch(self, screens: list, rate: int) -> None:
        """Make the speech of `screens` (ScreenContent) at `rate` percent, newest request first."""
        if self._closed:
            return
        texts = [(text, screen.language) for screen in screens[:MAX_AHEAD]
                 if (text := prefetch_text(screen, self.voice.words_for)) is not None]
        self._generation += 1
        if not texts:
            self._wanted = None
            return
        self._wanted = (self._generation, texts, rate)
        if not self._running:
            self._start_next()

    def cancel(self) -> None:
        """Drop what has not been made yet (a new citizen)."""
        self._generation += 1
        self._wanted = None

    def _start_next(self) -> None:
        if self._wanted is None or self._closed:
            return
        generation, texts, rate = self._wanted
        self._wanted = None
        self._running = True

        def run() -> list[str]:
            made = []
            for text, language in texts:
                if generation != self._generation:  # the citizen moved on: this batch is stale
                    break
                path = self.synth.synthesize(text, language, rate)
                self.cache.used(path)
                made.append(text)
            return made
        self.tasks.run_in_background(run, self._on_done)

    def _on_done(self, future: Future) -> None:
        self._running = False
        try:
            made = future.result()
        except Exception as exc:  # noqa: BLE001 - speech ahead is a nicety; the screen's own speech reports
            log.info("speech ahead not made: %s", type(exc).__name__)
            made = []
        self.last_texts = made
        self.finished.emit(len(made))
        self._start_next()

    def close(self) -> None:
        """Stop making speech ahead and end the worker processes."""
        if self._closed:
            return
        self._closed = True
        self.cancel()
        self.tasks.wait(30_000)
        self.synth.close()
