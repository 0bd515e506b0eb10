"""Speech for the likely next screen is made while the current one is read (ui/voice_prefetch.py).

Real parts: the bridge with the sample services, the voice controller with espeak-ng behind the
synthesis workers, the shared cache on disk. Never a clip holding a citizen's answer.
"""
from __future__ import annotations

import pytest

from kiosk.screen import CHECK, DONE, QUESTION, START, ScreenContent, SpokenOption
from voice.cache import SharedCache, prefetch_text
from voice.tts import wpm

pytestmark = pytest.mark.timeout(180)

NIF, NAME = "123456789", "Zeferino Canario"


@pytest.fixture
def kiosk(qtbot, tmp_path, request):
    from kiosk.config import Config
    from kiosk.definition import load_catalogue
    from ui.bridge import KioskBridge, QueueWriter
    from ui.voice_bridge import VoiceController
    from ui.voice_prefetch import SpeechPrefetch
    from voice.audio_qt import WavFileSource
    from voice.recognizer import ModelStore

    config = Config(data_dir=tmp_path / "data", raw={})
    enabled = getattr(request, "param", True)
    writer = QueueWriter(lambda: None)
    bridge = KioskBridge(config, load_catalogue(config.services_dirs), writer)
    voice = VoiceController(config, audio_input=WavFileSource(realtime=False), models=ModelStore(tmp_path / "data"),
                            enabled=enabled)
    voice.spoken = []
    voice.spoke.connect(voice.spoken.append)
    bridge.screenShown.connect(voice.show)
    prefetch = SpeechPrefetch(voice, bridge)
    prefetch.batches = []
    prefetch.finished.connect(lambda n: prefetch.batches.append(list(prefetch.last_texts)))
    yield bridge, voice, prefetch
    prefetch.close()
    voice.close()
    writer.close()


def _settle(qtbot, voice, prefetch, words: str) -> None:
    """Until the screen's speech (holding `words`) has started and what it made ahead is done."""
    qtbot.waitUntil(lambda: bool(voice.spoken) and words in voice.spoken[-1], timeout=60_000)
    qtbot.waitUntil(lambda: bool(prefetch.batches) and not prefetch.busy, timeout=60_000)


def test_nextQuestion_isMadeWhileTheStartPageIsRead_andTheScreenChangeFindsIt(qtbot, kiosk):
    bridge, voice, prefetch = kiosk
    bridge.start()
    bridge.chooseLanguage("en")
    bridge.chooseService("birth-certificate")
    assert bridge.screen == START
    _settle(qtbot, voice, prefetch, bridge.serviceTitle)
    made = prefetch.last_texts
    assert len(made) == 1
    ready = set(voice.synth.cache_dir.glob("*.wav"))
    spoken = len(voice.spoken)

    bridge.begin()  # the citizen moves on to the first question
    qtbot.waitUntil(lambda: len(voice.spoken) == spoken + 1, timeout=60_000)
    assert voice.spoken[-1] == made[0]  # exactly the words made ahead ...
    assert voice.last_clip in ready  # ... from the clip made before the screen changed
    voice_id = voice.synth.voice_for("en").voice.id
    assert voice.last_clip == voice.synth.cache_path(made[0], voice_id, wpm(voice.rate))


def test_madeAhead_atTheSessionsRate_andInItsLanguage(qtbot, kiosk):
    bridge, voice, prefetch = kiosk
    bridge.start()
    bridge.chooseLanguage("pt")
    voice.slower()
    bridge.chooseService("birth-certificate")
    qtbot.waitUntil(lambda: not prefetch.busy and bool(prefetch.last_texts), timeout=60_000)
    voice_id = voice.synth.voice_for("pt").voice.id
    assert voice.synth.cache_path(prefetch.last_texts[0], voice_id, wpm(voice.rate)).is_file()
    assert voice.rate < 100
    bridge.begin()
    qtbot.waitUntil(lambda: voice.spoken and voice.spoken[-1] == prefetch.last_texts[0], timeout=60_000)


def test_neverAClipWithAnAnswer_evenWhenGoingBack(qtbot, kiosk):
    bridge, voice, prefetch = kiosk
    bridge.start()
    bridge.chooseLanguage("en")
    bridge.chooseService("change-of-address")
    bridge.begin()
    assert bridge.pageId == "nif"
    bridge.setAnswer(NIF)
    bridge.next()
    assert bridge.pageId == "full_name"
    bridge.setAnswer(NAME)
    bridge.next()
    assert bridge.pageId == "date_moved"
    _settle(qtbot, voice, prefetch, bridge.question)
    bridge.back()
    bridge.back()
    assert bridge.pageId == "nif"
    # The next page holds the citizen's name: nothing is made ahead for it.
    assert bridge.likely_next_screens() == []
    qtbot.wait(300)
    qtbot.waitUntil(lambda: not prefetch.busy, timeout=60_000)
    everything = [text for batch in prefetch.batches for text in batch]
    assert everything  # something was made ahead on the way
    assert not any(NAME in text or "Canario" in text or NIF in text for text in everything)


@pytest.mark.parametrize("kiosk", [False], indirect=True)
def test_voiceOff_makesNothingAhead(qtbot, kiosk):
    bridge, voice, prefetch = kiosk
    bridge.start()
    bridge.chooseLanguage("en")
    bridge.chooseService("birth-certificate")
    bridge.begin()
    qtbot.wait(300)
    assert prefetch.batches == [] and not prefetch.busy
    assert list(voice.synth.cache_dir.glob("*.wav")) == []


def test_sharedCache_staysUnderItsCap_whileScreensAreMadeAhead(qtbot, kiosk, tmp_path):
    bridge, voice, prefetch = kiosk
    folder = voice.synth.cache_dir
    for i in range(6):
        screen = ScreenContent(QUESTION, "en", f"Question {i}: how do you want to get your certificate?",
                               options=(SpokenOption(1, "post", "By post"), SpokenOption(2, "email", "By email")))
        prefetch.prefetch([screen], 100)
        qtbot.waitUntil(lambda: not prefetch.busy, timeout=60_000)
        if i == 0:  # room for about two and a half clips of this length
            cap = int(SharedCache(folder).size() * 2.5)
            prefetch.cache = SharedCache(folder, cap)
    assert len(prefetch.batches) == 6
    assert prefetch.cache.size() <= cap and len(list(folder.glob("*.wav"))) < 6  # the oldest went


def test_onlyTheKiosksOwnWords_mayBeMadeAhead():
    question = ScreenContent(QUESTION, "en", "What is your name?", personal=True)
    assert prefetch_text(question) is not None
    assert prefetch_text(ScreenContent(QUESTION, "en", "What is your name?", personal=True, answer=NAME)) is None
    assert prefetch_text(ScreenContent(QUESTION, "en", "How many?", answer="3")) is None
    assert prefetch_text(ScreenContent(QUESTION, "en", "Tax number", error=f"{NIF} is not valid")) is None
    assert prefetch_text(ScreenContent(CHECK, "en", "Check your answers", body="Read them.")) is None
    assert prefetch_text(ScreenContent(DONE, "en", "Thank you", reference="K7Q2M9")) is None
    assert prefetch_text(ScreenContent(START, "en", "Change of address", body="Takes 5 minutes.")) is not None


def test_aPageThatMayBeSkipped_alsoBringsTheOneAfterIt(qtbot, kiosk):
    bridge, _voice, _prefetch = kiosk
    bridge.start()
    bridge.chooseLanguage("en")
    bridge.chooseService("social-energy-tariff")
    bridge.begin()
    bridge.setAnswer(NIF)
    bridge.next()
    assert bridge.pageId == "benefits"
    # The income question is asked only for some benefits: the page after it is as likely.
    service = bridge.journey.service
    expected = [service.text(service.page(pid).question, "en") for pid in ("yearly_income", "people_home")]
    assert [screen.title for screen in bridge.likely_next_screens()] == expected
    assert bridge.pageId == "benefits" and bridge.screen == QUESTION  # looking ahead changed nothing


def test_fromTheWelcomeScreen_theLanguageList_thenTheServicesInTheLanguageShown(qtbot, kiosk):
    bridge, _voice, _prefetch = kiosk
    ahead = bridge.likely_next_screens()
    assert [s.kind for s in ahead] == ["language"] and ahead[0].title == bridge.t["language.title"]
    bridge.start()
    ahead = bridge.likely_next_screens()
    assert [s.kind for s in ahead] == ["services"]
    assert [o.label for o in ahead[0].options] == [s["title"] for s in bridge.services]
    assert bridge.screen == "language"  # looking ahead changed nothing
