"""Real speech synthesis (pyttsx3 + espeak-ng) to WAV files: voices, cache, every sample screen."""
from __future__ import annotations

import shutil
import threading
import wave

import pytest

from kiosk.config import SAMPLE_SERVICES
from kiosk.definition import load_catalogue
from kiosk.screen import DONE, QUESTION, ScreenContent, SpokenOption
from translations import text as tr
from voice.script import script
from voice.tts import Synthesizer, Voice, choose_voice, wav_duration, wpm

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
LANGS = ("en", "pt", "fr", "es", "ar")


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    s = Synthesizer(tmp_path_factory.mktemp("voice-cache"))
    yield s
    s.close()


def service_screens(language: str) -> list[ScreenContent]:
    """The screens of every sample service, built the way the UI builds them."""
    catalogue = load_catalogue([SAMPLE_SERVICES])
    assert catalogue.services, catalogue.problems
    screens = []
    for service in catalogue.for_language(language):
        for page in service.pages:
            if page.type == "yes_no":
                options = tuple(SpokenOption(i + 1, v, tr(language, f"answer.{v}"))
                                for i, v in enumerate(("yes", "no")))
            else:
                options = tuple(SpokenOption(i + 1, o.value, service.text(o.label, language))
                                for i, o in enumerate(page.options))
            screens.append(ScreenContent(QUESTION, language, service.text(page.question, language),
                                         hint=service.text(page.hint, language), options=options,
                                         question_type=page.type, personal=page.personal))
    screens.append(ScreenContent(DONE, language, tr(language, "done.title"),
                                 body=tr(language, "done.reference_help"), reference="K7Q2M9"))
    return screens


def test_change_of_address_sample_exists():
    assert (SAMPLE_SERVICES / "change-of-address.yaml").is_file()


@pytest.mark.parametrize("lang", LANGS)
def test_a_voice_for_every_kiosk_language(synth, lang):
    choice = synth.voice_for(lang)
    assert choice.voice is not None and not choice.fallback, choice


def test_voice_choice_prefers_exact_then_falls_back():
    voices = [Voice("gmw/en-us", "US", ("en-us",)), Voice("gmw/en", "GB", ("en-gb",)),
              Voice("roa/pt-br", "BR", ("pt-br",))]
    assert choose_voice(voices, "en").voice.id == "gmw/en"
    assert choose_voice(voices, "pt").voice.id == "roa/pt-br"
    missing = choose_voice(voices, "ar")
    assert missing.fallback and missing.voice.id == "gmw/en"
    assert choose_voice([], "en").voice is None


@pytest.mark.parametrize("lang", LANGS)
def test_every_sample_screen_in_every_language_becomes_plausible_audio(synth, lang):
    screens = service_screens(lang)
    assert len(screens) > 5
    for screen in screens:
        text = script(screen)
        path = synth.synthesize(text, lang)
        with wave.open(str(path)) as w:
            frames = w.readframes(w.getnframes())
            assert w.getnframes() > 0
        assert any(frames[i:i + 2] != b"\0\0" for i in range(0, len(frames), 2 * 97)), "silent audio"
        seconds = wav_duration(path)
        # Speech at ~165 words a minute is 8–25 characters a second in these languages.
        assert len(text) / 30 < seconds < len(text) / 5 + 2, (lang, len(text), seconds, text[:80])


def test_rate_changes_the_duration(synth):
    text = "Your reference number is: K, 7, Q, 2, M, 9."
    slow = wav_duration(synth.synthesize(text, "en", 70))
    normal = wav_duration(synth.synthesize(text, "en", 100))
    fast = wav_duration(synth.synthesize(text, "en", 150))
    assert slow > normal > fast
    # Back and forth: every clip at its own rate (pyttsx3 alone sometimes keeps an old one).
    for rate, expected in ((70, slow), (150, fast), (100, normal), (70, slow), (150, fast)):
        synth.cache_dir = synth.cache_dir.parent / f"{synth.cache_dir.name}-{rate}-{expected}"
        assert abs(wav_duration(synth.synthesize(text, "en", rate)) - expected) < 0.05, rate
    assert wpm(10) == wpm(50) and wpm(500) == wpm(200)


def test_clips_are_cached_by_text_voice_and_rate(synth):
    first = synth.synthesize("Listen again, please.", "en")
    mtime = first.stat().st_mtime_ns
    assert synth.synthesize("Listen again, please.", "en") == first
    assert first.stat().st_mtime_ns == mtime
    assert synth.cached("Listen again, please.", "en") == first
    assert synth.synthesize("Listen again, please.", "pt") != first
    assert synth.synthesize("Listen again, please.", "en", 120) != first


def test_newest_request_wins_and_callbacks_come_from_another_thread(synth):
    done = []
    finished = threading.Event()
    main = threading.get_ident()

    def cb(label):
        def callback(path, error):
            done.append((label, path, error, threading.get_ident() != main))
            if label == "last":
                finished.set()
        return callback

    for i in range(20):
        synth.request(f"Old screen number {i}.", "en", 100, cb(f"old{i}"))
    synth.request("The new screen.", "en", 100, cb("last"))
    assert finished.wait(30)
    labels = [d[0] for d in done]
    assert labels[-1] == "last" and len(labels) < 21  # stale requests were dropped
    assert all(d[3] for d in done) and done[-1][1].is_file() and not done[-1][2]


def test_worker_restarts_after_a_crash(synth):
    synth.synthesize("Before.", "en")
    worker = synth._worker_for(synth.voice_for("en").voice.id, wpm(100))
    worker._proc.kill()
    worker._proc.wait()
    assert wav_duration(synth.synthesize("After the crash.", "en")) > 0.3


def test_missing_engine_is_a_clear_error(tmp_path):
    from voice.tts import SynthesisError
    broken = Synthesizer(tmp_path, python="/nonexistent/python")
    with pytest.raises((SynthesisError, OSError)):
        broken.synthesize("Hello", "en")
    broken.close()


def test_clips_match_espeak_ng_itself_over_many_requests(synth, tmp_path):
    """pyttsx3's espeak driver can return early or write a short clip; the worker checks and retries."""
    import random
    import subprocess
    rng = random.Random(7)
    words = "please touch the green button to continue with your request today".split()
    for i in range(30):
        text = " ".join(rng.choice(words) for _ in range(rng.choice([2, 12, 45]))) + f" {i}."
        ours = wav_duration(synth.synthesize(text, "en"))
        direct = tmp_path / "direct.wav"
        subprocess.run(["espeak-ng", "-v", synth.voice_for("en").voice.id, "-s", str(wpm(100)),
                        "-w", str(direct), text], check=True)
        assert abs(ours - wav_duration(direct)) / wav_duration(direct) < 0.1, (i, ours, wav_duration(direct))
