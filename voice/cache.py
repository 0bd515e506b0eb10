"""A size cap for the shared speech cache: least recently used clips go first.

The shared cache (`Synthesizer.cache_dir`) holds clips of the screens' own
words, which every citizen hears again; without a bound it grows with every
wording, voice and rate for as long as the kiosk runs. `SharedCache.used(path)`
marks a clip as just played (its modification time) and, once the folder is
over `max_bytes`, deletes the oldest clips until it is back under 90 % of it.
Clips that hold a citizen's answers never come here: they live in the private
folder, deleted when the citizen leaves. `prefetch_text` says which screens' words
may be made ahead of time (ui/voice_prefetch.py) and so join this cache.
"""
from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

from kiosk.screen import ATTRACT, LANGUAGE, QUESTION, SERVICES, START, ScreenContent
from voice.script import script

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 200 * 1024 * 1024


class SharedCache:
    """Keeps one cache folder under a size, evicting by last use."""

    def __init__(self, directory: Path | str, max_bytes: int = DEFAULT_MAX_BYTES):
        self.directory = Path(directory)
        self.max_bytes = max(0, int(max_bytes))
        self._lock = threading.Lock()

    def _clips(self) -> list[tuple[float, int, Path]]:
        clips = []
        try:
            entries = list(os.scandir(self.directory))
        except FileNotFoundError:
            return []
        for entry in entries:
            if entry.name.endswith(".wav") and entry.is_file(follow_symlinks=False):
                try:
                    st = entry.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue
                clips.append((st.st_mtime, st.st_size, Path(entry.path)))
        return clips

    def size(self) -> int:
        """Bytes of clips in the folder now (a scan)."""
        return sum(size for _, size, _ in self._clips())

    def used(self, path: Path | str) -> None:
        """`path` was just played: it becomes the most recent; trim if the folder is over its cap.

        Called on the synthesis thread, never the GUI's: the check is one scan of the folder.
        """
        path = Path(path)
        if path.parent != self.directory:
            return  # not a shared clip (a private one, or another folder)
        with self._lock:
            try:
                os.utime(path)
            except OSError:
                return
            if self.size() > self.max_bytes:
                self._trim(keep=path)

    def trim(self) -> int:
        """Delete least recently used clips until the folder is under 90 % of its cap; returns bytes freed."""
        with self._lock:
            return self._trim()

    def _trim(self, keep: Path | None = None) -> int:
        clips = sorted(self._clips())  # oldest use first
        total = sum(size for _, size, _ in clips)
        target = int(self.max_bytes * 0.9)
        freed = 0
        for _, size, clip in clips:
            if total - freed <= target:
                break
            if clip == keep:
                continue
            try:
                clip.unlink()
                freed += size
            except FileNotFoundError:
                continue
            except OSError as exc:
                log.warning("speech cache: could not delete a clip: %s", type(exc).__name__)
        return freed


# Screens whose speech may be made ahead and kept in the shared cache: their words are the
# service's and the kiosk's own. Check answers (every answer) and the confirmation (the
# reference number) are never made ahead.
PREFETCHABLE = frozenset({ATTRACT, LANGUAGE, SERVICES, START, QUESTION})


def prefetch_text(screen: ScreenContent, words: Callable[[ScreenContent], str] = script) -> str | None:
    """The words said for `screen` (by `words`: the voice controller's, else `voice.script`), if they
    may be made ahead into the shared cache.

    None for a screen that holds anything of the citizen's: an answer (personal or not: the
    controller keeps any clip with an answer private), an error about what they typed, a
    reference number, or a screen that lists their answers.
    """
    if screen.kind not in PREFETCHABLE or screen.answer or screen.error or screen.reference:
        return None
    text = words(screen)
    return text or None
