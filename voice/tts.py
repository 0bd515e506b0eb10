"""Speech synthesis to WAV files, cached, never on the caller's thread.

`Synthesizer` talks to `voice.tts_worker` processes that own the pyttsx3
engine (espeak-ng on Linux), one per (voice, rate) in use (at most three);
`save_to_file` + `runAndWait` there, never `say()`. Clips are cached on disk by (text, voice, rate), so "Listen again" and
a screen seen twice cost nothing.

`request()` is the asynchronous entry point used by the UI: the newest request
replaces any that has not started yet (a new screen interrupts the old one),
and its callback runs on the synthesis thread with the WAV path or an error.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

DEFAULT_WPM = 165  # espeak-ng's own default is 175; a little slower is kinder
MIN_RATE, MAX_RATE = 50, 200  # percent of DEFAULT_WPM


@dataclass(frozen=True)
class Voice:
    id: str
    name: str
    languages: tuple[str, ...]


@dataclass(frozen=True)
class VoiceChoice:
    language: str
    voice: Voice | None
    fallback: bool  # True: no voice for the language, another one speaks


class SynthesisError(Exception):
    pass


def wpm(rate_percent: int) -> int:
    rate_percent = max(MIN_RATE, min(MAX_RATE, int(rate_percent)))
    return round(DEFAULT_WPM * rate_percent / 100)


def choose_voice(voices: list[Voice], language: str, fallback_language: str = "en") -> VoiceChoice:
    """The best voice for a language: exact language, then `.../lang` id, then a regional variant."""
    def find(lang: str) -> Voice | None:
        for test in (lambda v: lang in v.languages,
                     lambda v: v.id.rsplit("/", 1)[-1] == lang,
                     lambda v: any(x.split("-")[0] == lang for x in v.languages)):
            for v in voices:
                if test(v):
                    return v
        return None

    if (v := find(language)) is not None:
        return VoiceChoice(language, v, False)
    return VoiceChoice(language, find(fallback_language) or (voices[0] if voices else None), True)


def wav_duration(path: Path | str) -> float:
    with wave.open(str(path)) as w:
        return w.getnframes() / float(w.getframerate())


class _Worker:
    """One tts_worker process; requests are serialised by a lock."""

    def __init__(self, python: str = sys.executable):
        self._python = python
        self._proc: subprocess.Popen | None = None
        self._lock = threading.Lock()

    def call(self, request: dict, timeout: float = 30.0) -> dict:
        with self._lock:
            for _attempt in (1, 2):  # a dead worker is restarted once
                proc = self._ensure()
                try:
                    proc.stdin.write(json.dumps(request) + "\n")
                    proc.stdin.flush()
                    line = proc.stdout.readline()
                except (BrokenPipeError, OSError):
                    line = ""
                if line:
                    return json.loads(line)
                self._kill()
            raise SynthesisError("the speech worker stopped; is espeak-ng installed?")

    def _ensure(self) -> subprocess.Popen:
        if self._proc is None or self._proc.poll() is not None:
            root = str(Path(__file__).resolve().parent.parent)
            env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
            self._proc = subprocess.Popen(
                [self._python, "-m", "voice.tts_worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL, text=True, encoding="utf-8", env=env, bufsize=1)
        return self._proc

    def _kill(self) -> None:
        if self._proc is not None:
            try:
                self._proc.kill()
                self._proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self._proc = None

    def close(self) -> None:
        with self._lock:
            if self._proc is not None and self._proc.poll() is None:
                try:
                    self._proc.stdin.close()
                    self._proc.wait(timeout=5)
                except (OSError, subprocess.TimeoutExpired):
                    self._kill()
            self._proc = None


class Synthesizer:
    # One worker process per (voice, rate): measured, pyttsx3's espeak driver sometimes
    # ignores a rate change for every later clip of the process (it runs espeak in
    # its asynchronous mode). A process whose voice and rate never change is exact.
    MAX_WORKERS = 3

    def __init__(self, cache_dir: Path | str, *, python: str = sys.executable):
        self.cache_dir = Path(cache_dir)
        # Clips that carry a citizen's own answer never join the shared cache: they live
        # here until the session ends (purge_private) and are cleared at every start.
        self.private_dir = self.cache_dir.parent / (self.cache_dir.name + "-private")
        self.purge_private()
        self._python = python
        self._worker = _Worker(python)  # answers the voice list
        self._workers: dict[tuple[str, int], _Worker] = {}
        self._workers_lock = threading.Lock()
        self._voices: list[Voice] | None = None
        self._pending: tuple | None = None
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False

    # --- blocking calls (CLI, tests, the synthesis thread) ----------------------

    def voices(self) -> list[Voice]:
        if self._voices is None:
            answer = self._worker.call({"cmd": "voices"})
            if not answer.get("ok"):
                raise SynthesisError(answer.get("error", "no voices"))
            self._voices = [Voice(v["id"], v["name"], tuple(v["languages"])) for v in answer["voices"]]
        return self._voices

    def voice_for(self, language: str) -> VoiceChoice:
        return choose_voice(self.voices(), language)

    def cache_path(self, text: str, voice_id: str, rate: int, private: bool = False) -> Path:
        key = hashlib.sha256(json.dumps([text, voice_id, rate], ensure_ascii=False).encode()).hexdigest()[:32]
        return (self.private_dir if private else self.cache_dir) / f"{key}.wav"

    def purge_private(self) -> None:
        """Delete every clip that held a citizen's answer (end of session, start-up)."""
        if self.private_dir.is_dir():
            for clip in self.private_dir.iterdir():
                clip.unlink(missing_ok=True)

    def cached(self, text: str, language: str, rate_percent: int = 100) -> Path | None:
        choice = self.voice_for(language)
        path = self.cache_path(text, choice.voice.id if choice.voice else "", wpm(rate_percent))
        return path if path.is_file() else None

    def synthesize(self, text: str, language: str, rate_percent: int = 100, private: bool = False) -> Path:
        """The WAV for `text` in `language` (from the cache when it is there)."""
        choice = self.voice_for(language)
        voice_id = choice.voice.id if choice.voice else ""
        rate = wpm(rate_percent)
        path = self.cache_path(text, voice_id, rate, private)
        if path.is_file():
            return path
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        answer = self._worker_for(voice_id, rate).call({"cmd": "say", "text": text, "voice": voice_id or None,
                                                        "rate": rate, "out": str(path)})
        if not answer.get("ok"):
            raise SynthesisError(answer.get("error", "synthesis failed"))
        return path

    def _worker_for(self, voice_id: str, rate: int) -> _Worker:
        with self._workers_lock:
            key = (voice_id, rate)
            worker = self._workers.pop(key, None)
            if worker is None:
                worker = _Worker(self._python)
                while len(self._workers) >= self.MAX_WORKERS:
                    oldest = next(iter(self._workers))
                    self._workers.pop(oldest).close()
            self._workers[key] = worker  # most recently used last
            return worker

    # --- asynchronous: newest request wins ------------------------------------------

    def request(self, text: str, language: str, rate_percent: int,
                done: Callable[[Path | None, str], None], private: bool = False) -> None:
        """Synthesise on the synthesis thread, then call done(path, "") or done(None, error).

        A request that has not started when a newer one arrives is dropped
        without a callback: only the current screen's speech matters.
        """
        with self._cond:
            self._pending = (text, language, rate_percent, done, private)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="voice-tts", daemon=True)
                self._thread.start()
            self._cond.notify()

    def cancel(self) -> None:
        with self._cond:
            self._pending = None

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._pending is None and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                text, language, rate, done, private = self._pending
                self._pending = None
            try:
                path, error = self.synthesize(text, language, rate, private), ""
            except Exception as exc:  # the UI must hear about it, not die of it
                path, error = None, str(exc)
            done(path, error)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._worker.close()
        with self._workers_lock:
            for worker in self._workers.values():
                worker.close()
            self._workers.clear()
