"""Speech volume: set by the citizen on screen or by key, back to the kiosk's default for the next one
(EN 301 549 5.1.3.12-13).

The level is checked where it reaches the audio sink: the clip player creates every QAudioSink at its
`volume` (voice/audio_qt.py). There is no sound device here, so no sink is opened in these tests.
"""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.queue_fixtures import make_queue_config
from tests.ui_driver import open_kiosk
from translations import text as tr

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def controller(qtbot, tmp_path):
    from kiosk.config import Config
    from ui.voice_bridge import VoiceController
    from voice.audio_qt import WavFileSource
    from voice.recognizer import ModelStore
    config = Config(data_dir=tmp_path / "data", raw={"voice": {"volume": 60}})
    c = VoiceController(config, audio_input=WavFileSource(realtime=False), models=ModelStore(tmp_path / "data"),
                        enabled=True)
    yield c
    c.close()


def test_volume_starts_at_the_configured_level_and_steps_within_bounds(controller):
    c = controller
    assert c.volume == 60 and c.speaker._player.volume == pytest.approx(0.6)
    c.louder()
    assert c.volume == 70 and c.speaker._player.volume == pytest.approx(0.7)
    for _ in range(10):
        c.louder()
    assert c.volume == c.maxVolume == 100
    for _ in range(20):
        c.quieter()
    assert c.volume == c.minVolume == 10  # never silent by accident
    assert c.speaker._player.volume == pytest.approx(0.1)


def test_new_citizen_gets_the_default_volume_again(controller):
    from kiosk.screen import ATTRACT, QUESTION, ScreenContent
    c = controller
    c.show(ScreenContent(QUESTION, "en", "How many people?"))
    c.quieter()
    c.quieter()
    assert c.volume == 40
    c.show(ScreenContent(ATTRACT, "en", "Welcome"))  # the wipe
    assert c.volume == 60 and c.speaker._player.volume == pytest.approx(0.6)


def test_volume_setting_is_checked():
    from kiosk.config import ConfigError, parse_settings
    assert parse_settings({"voice": {"volume": 35}}).voice.volume == 35
    with pytest.raises(ConfigError, match="volume"):
        parse_settings({"voice": {"volume": 0}})  # silent by configuration: refused at start-up


@pytest.fixture
def kiosk(qtbot, tmp_path):
    config, _ = make_queue_config(tmp_path)
    driver = open_kiosk(qtbot, config)
    yield driver
    driver.app.close()


def test_volume_on_screen_with_words_and_by_key_then_reset_at_the_wipe(kiosk):
    voice = kiosk.app.voice
    default = voice.volume
    kiosk.click("readToMeButton")  # speech on, and in
    kiosk.click("lang_en")
    # Louder and Quieter appear in the voice bar once there is something to hear, in words.
    assert tr("en", "voice.louder") in kiosk.text_of("voiceLouder")
    assert tr("en", "voice.quieter") in kiosk.text_of("voiceQuieter")
    kiosk.click("voiceQuieter")
    kiosk.click("voiceQuieter")
    assert voice.volume == default - 20
    QTest.keyClick(kiosk.window, Qt.Key.Key_Plus)  # + on a keyboard or keypad
    assert voice.volume == default - 10
    QTest.keyClick(kiosk.window, Qt.Key.Key_VolumeDown)  # a keyboard's own volume key
    assert voice.volume == default - 20
    assert voice.speaker._player.volume == pytest.approx((default - 20) / 100)
    kiosk.click("startAgainButton")
    kiosk.click("startAgainConfirm")  # the wipe
    assert kiosk.app.bridge.screen == "attract"
    assert voice.volume == default and voice.speaker._player.volume == pytest.approx(default / 100)
