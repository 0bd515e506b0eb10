"""Recognition of short spoken answers with vosk and a per-screen grammar.

`ModelStore` loads models lazily on a background thread (the Korean small
model takes seconds and hundreds of MB): the first screens never wait, and the
microphone appears when the model is ready. It holds the model of one language
at a time, the session's: asking for another language (a change of language, or
the default language again at the wipe) releases the others and hands their
memory back to the system, so memory does not grow with the languages used. A model folder that was not
installed with `kiosk voice install-model` is first loaded once in a child
process, so a corrupt model cannot take the kiosk down with it.

`Recognition` is one push-to-talk turn: 16 kHz mono 16-bit PCM in, the text
and its intent (see `voice.grammar`) out.
"""
from __future__ import annotations

import ctypes
import gc
import json
import statistics
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from voice.grammar import Grammar, Intent
from voice.models import ModelError, check_loads, is_checked, mark_checked, model_path

SAMPLE_RATE = 16000
FRAME_BYTES = 960  # 30 ms of 16 kHz 16-bit audio
# A turn counts as speech only if its loudest 30 ms frame stands out from the
# typical one: steady noise (a fan, a hum) and silence are not answers, even
# though a grammar without a usable [unk] would force them onto a phrase.
MIN_PEAK_RMS = 200
MIN_PEAK_TO_MEDIAN = 2.5

with warnings.catch_warnings():  # deprecated in 3.13; this project pins Python 3.11
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop


def has_speech(frame_rms: list[int]) -> bool:
    if not frame_rms:
        return False
    peak = max(frame_rms)
    return peak >= MIN_PEAK_RMS and peak >= MIN_PEAK_TO_MEDIAN * max(1.0, statistics.median(frame_rms))

ABSENT, LOADING, READY, FAILED = "absent", "loading", "ready", "failed"


def _vosk():
    import vosk
    vosk.SetLogLevel(-2)
    return vosk


class ModelStore:
    """Vosk models by language, loaded in the background on first need."""

    def __init__(self, data_dir: Path | str, *, on_change: Callable[[str, str, str], None] | None = None,
                 keep_others: bool = False):
        self.data_dir = Path(data_dir)
        # True keeps every model loaded once (a test module sharing one store across many screens);
        # the kiosk holds only the session's language.
        self.keep_others = keep_others
        # Listeners get (language, state, message), called on the loading thread.
        self.listeners: list[Callable[[str, str, str], None]] = [on_change] if on_change else []
        self._models: dict[str, object] = {}
        self._state: dict[str, tuple[str, str]] = {}
        self._threads: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()
        self.load_seconds: dict[str, float] = {}

    def state(self, language: str) -> tuple[str, str]:
        """(state, message) for a language; an unknown language with no model folder is ABSENT."""
        with self._lock:
            if language in self._state:
                return self._state[language]
        if model_path(self.data_dir, language) is None:
            return ABSENT, f"no speech recognition model for '{language}' in {self.data_dir / 'voice-models'}"
        return ABSENT, "not loaded yet"

    def has_model(self, language: str) -> bool:
        return model_path(self.data_dir, language) is not None

    def preload(self, language: str) -> None:
        """Start loading the model for a language in the background (once); release the others."""
        if not self.keep_others:
            self.release(keep=language)
        with self._lock:
            if language in self._threads or language in self._models:
                return
            path = model_path(self.data_dir, language)
            if path is None:
                self._state[language] = (ABSENT, f"no speech recognition model for '{language}'")
                notify = (ABSENT, self._state[language][1])
            else:
                self._state[language] = (LOADING, str(path))
                thread = threading.Thread(target=self._load, args=(language, path),
                                          name=f"voice-model-{language}", daemon=True)
                self._threads[language] = thread
                thread.start()
                notify = (LOADING, str(path))
        self._notify(language, *notify)

    def release(self, keep: str | None = None) -> list[str]:
        """Forget the models of every language but `keep` (all with None); returns the languages released.

        A load still running for a released language finishes and is dropped. A recognition
        still running keeps its model alive until it ends (vosk counts references).
        """
        with self._lock:
            gone = sorted(({*self._models, *self._threads} - {keep}))
            for language in gone:
                self._models.pop(language, None)
                self._threads.pop(language, None)
                self._state.pop(language, None)
        if gone:
            gc.collect()  # a model object caught in a reference cycle would otherwise wait for the collector
            _give_back_memory()
        return gone

    def loaded(self) -> list[str]:
        """Languages whose model is in memory now."""
        with self._lock:
            return sorted(self._models)

    def _load(self, language: str, path: Path) -> None:
        started = time.perf_counter()
        try:
            if not is_checked(path):
                check_loads(path)  # in a child process: a bad model cannot crash us
                try:
                    mark_checked(path)
                except OSError:
                    pass  # read-only model folder: check again next time
            model = _vosk().Model(str(path))
        except ModelError as exc:
            result = (FAILED, str(exc))
        except Exception as exc:
            result = (FAILED, f"{path}: {exc}")
        else:
            result = (READY, str(path))
        with self._lock:
            wanted = self._threads.get(language) is threading.current_thread()
            if wanted:
                self._state[language] = result
                if result[0] == READY:
                    self._models[language] = model
                    self.load_seconds[language] = time.perf_counter() - started
        if not wanted:  # released while it loaded (the citizen changed language, or left)
            model = None
            _give_back_memory()
            return
        self._notify(language, *result)

    def _notify(self, language: str, state: str, message: str) -> None:
        for listener in list(self.listeners):
            listener(language, state, message)

    def model(self, language: str, wait: float | None = 0.0):
        """The loaded model, or None. `wait` seconds to wait for a load in progress (None: forever)."""
        with self._lock:
            thread = self._threads.get(language)
        if thread is not None and wait != 0.0:
            thread.join(wait)
        with self._lock:
            return self._models.get(language)


def _give_back_memory() -> None:
    """Return freed heap pages to the system (glibc's malloc_trim): a released model's hundreds of
    MB would otherwise stay in the process's resident memory, reused only by later allocations."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the allocator keeps its own policy
        pass


@dataclass(frozen=True)
class Heard:
    text: str
    intent: Intent | None
    seconds_of_audio: float
    seconds_spent: float


class Recognition:
    """One push-to-talk turn with the grammar of the current screen."""

    def __init__(self, model, grammar: Grammar, sample_rate: int = SAMPLE_RATE):
        self.grammar = grammar
        self.sample_rate = sample_rate
        started = time.perf_counter()
        self._rec = _vosk().KaldiRecognizer(model, sample_rate, grammar.vosk_grammar())
        self._spent = time.perf_counter() - started
        self._bytes = 0
        self._texts: list[str] = []
        self._rms: list[int] = []
        self._rest = b""

    def feed(self, pcm: bytes) -> bool:
        """Recognise a chunk; True once an utterance with words has ended (the turn can stop)."""
        if not pcm:
            return False
        started = time.perf_counter()
        self._bytes += len(pcm)
        frames = self._rest + pcm
        whole = len(frames) - len(frames) % FRAME_BYTES
        self._rms.extend(audioop.rms(frames[i:i + FRAME_BYTES], 2) for i in range(0, whole, FRAME_BYTES))
        self._rest = frames[whole:]
        ended = False
        if self._rec.AcceptWaveform(pcm):  # end of an utterance: keep its text
            ended = self._keep(self._rec.Result())
        self._spent += time.perf_counter() - started
        return ended

    def _keep(self, result_json: str) -> bool:
        text = json.loads(result_json).get("text", "").replace("[unk]", " ").strip()
        if text:
            self._texts.append(text)
        return bool(text)

    def finish(self) -> Heard:
        started = time.perf_counter()
        self._keep(self._rec.FinalResult())
        self._spent += time.perf_counter() - started
        text = " ".join(self._texts) if has_speech(self._rms) else ""
        return Heard(text, self.grammar.intent(text), self._bytes / 2 / self.sample_rate, self._spent)


def recognise_pcm(model, grammar: Grammar, pcm: bytes, chunk: int = 3200) -> Heard:
    """Recognise a whole buffer of 16 kHz mono 16-bit PCM (tests, CLI, benchmarks)."""
    recognition = Recognition(model, grammar)
    for i in range(0, len(pcm), chunk):
        recognition.feed(pcm[i:i + chunk])
    return recognition.finish()
