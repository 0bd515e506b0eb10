"""Keyboard and keypad use (EZ Access conventions) through the real QML screens, offscreen.

Real key events go to the real window; the inactivity timer runs on a fake clock, so "60 seconds
without a key" takes no real minute. Speech goes through the real voice controller; what it says is
read from its `spoke` signal (no loudspeaker is needed: the clip is made, then played or not).
"""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtTest import QTest

from tests.queue_fixtures import make_queue_config
from tests.ui_driver import Driver, open_kiosk
from translations import text as tr

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def kiosk(qtbot, tmp_path):
    config, _ = make_queue_config(tmp_path)
    driver = open_kiosk(qtbot, config)
    app = driver.app
    driver.said = []
    app.voice.speaker.spoke.connect(driver.said.append)
    # What the kiosk asked to say (before synthesis): spoken text arrives later, or not at all offscreen.
    driver.asked = []
    original = app.voice.speaker.say

    def say(text, language, rate, private):
        driver.asked.append(text)
        original(text, language, rate, private)
    app.voice.speaker.say = say
    yield driver
    app.close()


def press(driver: Driver, key: Qt.Key, text: str = "") -> None:
    QTest.keyClick(driver.window, key, Qt.KeyboardModifier.NoModifier)
    driver.qtbot.wait(20)


def focused(driver: Driver) -> str:
    item = driver.window.activeFocusItem()
    return item.objectName() if item is not None else ""


def tab_to(driver: Driver, name: str, limit: int = 40) -> int:
    """Tab until `name` has the focus; how many presses it took."""
    for n in range(1, limit + 1):
        press(driver, Qt.Key.Key_Tab)
        if focused(driver) == name:
            return n
    raise AssertionError(f"{name} never got the focus; last {focused(driver)!r} on {driver.app.bridge.screen}; "
                         f"controls {[c.objectName() for c in driver.app.keynav.focusables()]}")


def keys_to_first_question(driver: Driver, language: str = "en", service: str = "birth-certificate") -> None:
    press(driver, Qt.Key.Key_Space)  # any key on the start screen
    assert driver.app.bridge.screen == "language"
    tab_to(driver, f"lang_{language}")
    press(driver, Qt.Key.Key_Return)
    assert driver.app.bridge.screen == "services"
    tab_to(driver, f"service_{service}")
    press(driver, Qt.Key.Key_Return)
    assert driver.app.bridge.screen == "start"
    tab_to(driver, "nextButton")
    press(driver, Qt.Key.Key_Return)
    assert driver.app.bridge.screen == "question"
    # The new page's focus is on its question before the next key (a loaded machine can lag).
    driver.qtbot.waitUntil(lambda: focused(driver) == "questionText", timeout=3000)


def test_any_key_on_the_start_screen_turns_speech_on_and_starts(kiosk):
    assert kiosk.has("pressAnyKeyText")
    assert kiosk.text_of("pressAnyKeyText") in {tr(c, "keys.press_any_key") for c in "en pt fr es ar".split()}
    assert not kiosk.app.voice.enabled
    press(kiosk, Qt.Key.Key_A)
    assert kiosk.app.bridge.screen == "language"
    assert kiosk.app.voice.enabled and kiosk.app.keynav.keyboardMode
    # The attract screen says it too, whenever it is spoken.
    kiosk.app.bridge.wipe()
    assert tr(kiosk.app.bridge.language, "keys.press_any_key") in kiosk.app.bridge.screen_content().body


def test_journey_by_keys_only_is_not_wiped_while_keys_come_and_warned_when_they_stop(kiosk):
    bridge, clock = kiosk.app.bridge, kiosk.clock
    keys_to_first_question(kiosk)
    first = bridge.pageId
    # A slow listener: 45 s between keys, ten times over (far beyond 60 s + 30 s), never a touch.
    for _ in range(10):
        clock.now += 45
        bridge._tick()
        assert bridge.idlePhase == "active", "warned although keys kept coming"
        press(kiosk, Qt.Key.Key_Down)
    assert bridge.screen == "question" and bridge.pageId == first and bridge.journey is not None
    tab_to(kiosk, "option_mine")
    press(kiosk, Qt.Key.Key_Space)
    clock.now += 45
    bridge._tick()
    tab_to(kiosk, "nextButton")
    press(kiosk, Qt.Key.Key_Return)
    assert bridge.pageId != first
    # The keys stop: the warning comes after the idle wait, and the focus goes into it.
    clock.now += 61
    bridge._tick()
    assert bridge.idlePhase == "warning"
    kiosk.qtbot.waitUntil(lambda: focused(kiosk) == "moreTimeButton", timeout=3000)
    press(kiosk, Qt.Key.Key_Return)  # Enter on "I need more time"
    bridge._tick()
    assert bridge.idlePhase == "active" and bridge.journey is not None


def test_screen_reader_actions_count_as_activity(kiosk):
    """A person using AT-SPI presses buttons through their press action: no touch, no key."""
    bridge, clock = kiosk.app.bridge, kiosk.clock
    kiosk.click("startButton")
    kiosk.click("lang_en")
    kiosk.click("service_birth-certificate")

    def do_press(name: str) -> None:
        iface = QAccessible.queryAccessibleInterface(kiosk.item(name))
        actions = iface.actionInterface()
        actions.doAction(actions.pressAction())
        kiosk.settle()

    do_press("nextButton")
    assert bridge.screen == "question"
    for _ in range(3):
        clock.now += 50
        bridge._tick()
        assert bridge.idlePhase == "active"
        do_press("option_mine")
    clock.now += 50
    bridge._tick()
    assert bridge.idlePhase == "active"
    do_press("nextButton")
    clock.now += 50
    bridge._tick()
    assert bridge.idlePhase == "active"


def test_next_behind_the_idle_dialog_does_nothing(kiosk):
    bridge, clock = kiosk.app.bridge, kiosk.clock
    keys_to_first_question(kiosk)
    tab_to(kiosk, "option_mine")
    press(kiosk, Qt.Key.Key_Space)
    page = bridge.pageId
    clock.now += 61
    bridge._tick()
    kiosk.qtbot.waitUntil(lambda: focused(kiosk) == "moreTimeButton", timeout=3000)
    # Tab and arrows stay in the dialog (one control: the focus never leaves it).
    for key in (Qt.Key.Key_Tab, Qt.Key.Key_Down, Qt.Key.Key_Backtab, Qt.Key.Key_Up):
        press(kiosk, key)
        assert focused(kiosk) == "moreTimeButton"
    # A screen reader's press on Next, behind the dialog: nothing happens.
    nxt = kiosk.app.item("nextButton")
    iface = QAccessible.queryAccessibleInterface(nxt)
    iface.actionInterface().doAction(iface.actionInterface().pressAction())
    kiosk.settle()
    assert bridge.pageId == page and bridge.idlePhase == "warning"
    assert iface.state().disabled
    press(kiosk, Qt.Key.Key_Space)  # Space works like Enter
    bridge._tick()
    assert bridge.idlePhase == "active"
    kiosk.qtbot.waitUntil(lambda: focused(kiosk) == "option_mine", timeout=3000)  # back where they were


def test_focused_item_is_spoken_with_role_position_and_state(kiosk):
    keys_to_first_question(kiosk)
    kiosk.asked.clear()
    tab_to(kiosk, "option_mine")
    press(kiosk, Qt.Key.Key_Space)
    kiosk.qtbot.waitUntil(lambda: focused(kiosk) == "option_mine", timeout=2000)  # stays on the chosen option
    press(kiosk, Qt.Key.Key_F2)  # repeat: what was said last
    said = kiosk.asked[-1]
    n = len(kiosk.app.bridge.options)
    assert said.startswith(kiosk.app.bridge.options[0]["label"])
    assert f"option 1 of {n}" in said and said.rstrip(".").endswith("selected") and "not selected" not in said
    press(kiosk, Qt.Key.Key_Down)
    assert f"option 2 of {n}" in kiosk.asked[-1] and "not selected" in kiosk.asked[-1]


def test_help_key_says_where_you_are_and_the_keys(kiosk):
    keys_to_first_question(kiosk)
    kiosk.asked.clear()
    press(kiosk, Qt.Key.Key_F1)
    said = kiosk.asked[-1]
    assert kiosk.app.bridge.question in said
    assert tr("en", "keys.keys_help") in said
    press(kiosk, Qt.Key.Key_Question)
    assert kiosk.asked[-1] == said


@pytest.mark.parametrize("language", ["en", "ar"])
def test_tab_follows_reading_order_right_to_left_in_arabic(kiosk, language):
    keys_to_first_question(kiosk, language=language)
    seen = []
    for _ in range(12):
        press(kiosk, Qt.Key.Key_Tab)
        item = kiosk.window.activeFocusItem()
        centre = item.mapToScene(item.boundingRect().center())
        seen.append((item.objectName(), centre.x(), centre.y(), item.height()))
    pairs = [(a, b) for a, b in zip(seen, seen[1:]) if abs(a[2] - b[2]) < min(a[3], b[3]) / 2]
    assert pairs, seen  # some controls share a line (the header's buttons)
    for a, b in pairs:  # along a line: from the left in English, from the right in Arabic
        assert (b[1] > a[1]) if language == "en" else (b[1] < a[1]), (a, b)
    lines = [y for _, _, y, _ in seen]
    wraps = sum(1 for a, b in zip(lines, lines[1:]) if b < a - 10)
    assert wraps <= 1  # top to bottom, then once round to the top


def test_personal_answer_typed_is_not_spoken_when_focused(kiosk):
    kiosk.click("startButton")
    kiosk.click("lang_en")
    kiosk.click("service_change-of-address")
    kiosk.click("nextButton")
    assert kiosk.app.bridge.journey.page.personal  # the tax number
    kiosk.type_into("answerField", "123456789")
    kiosk.app.voice.readToMe()
    kiosk.settle()  # the voice bar grows (volume buttons): laid out before the next key
    kiosk.asked.clear()
    press(kiosk, Qt.Key.Key_Up)
    press(kiosk, Qt.Key.Key_Down)  # back onto the field
    assert focused(kiosk) == "answerField"
    assert kiosk.asked and all("123456789" not in s and "1, 2, 3" not in s for s in kiosk.asked)
    assert tr("en", "keys.private_value") in kiosk.asked[-1]


def test_new_question_error_idle_warning_and_reference_are_announced(kiosk):
    from PySide6.QtGui import QAccessibleAnnouncementEvent
    heard = []
    kiosk.app.keynav.announced.connect(heard.append)
    bridge = kiosk.app.bridge
    kiosk.click("startButton")
    kiosk.click("lang_en")
    kiosk.click("service_birth-certificate")
    kiosk.click("nextButton")
    kiosk.qtbot.waitUntil(lambda: bridge.question in heard, timeout=2000)
    kiosk.click("nextButton")  # no answer: an error
    assert bridge.error and bridge.error in heard
    kiosk.clock.now += 61
    bridge._tick()
    assert any(tr("en", "idle.title") in h and bridge.idleCountdownText in h for h in heard)
    bridge.moreTime()
    kiosk.app.keynav._on_submitted("K7Q2M9")  # the confirmation's reference (the journey itself: test_ui_journey)
    assert any("K, 7, Q, 2, M, 9" in h for h in heard)
    # What reaches the platform: Qt's announcement event carries the text (PySide6 6.11 has it).
    assert QAccessibleAnnouncementEvent(kiosk.window.contentItem(), heard[0]).message() == heard[0]


def test_voice_switch_is_a_toggle_with_its_state(kiosk):
    kiosk.click("startButton")
    item = kiosk.item("voiceToggle")
    iface = QAccessible.queryAccessibleInterface(item)
    assert iface.role() == QAccessible.Role.Button and iface.state().checkable
    assert not iface.state().checked and iface.text(QAccessible.Text.Name) == tr("en", "voice.switch_name")
    kiosk.click("voiceToggle")
    assert kiosk.app.voice.enabled and iface.state().checked
    assert iface.text(QAccessible.Text.Name) == tr("en", "voice.switch_name")  # the name stays; the state says on


def test_spoken_instructions_offer_saying_only_with_a_microphone_and_model():
    from kiosk.screen import QUESTION, ScreenContent, SpokenOption
    from voice.script import script
    screen = ScreenContent(QUESTION, "en", "Did anyone move with you?", hint="Choose one.",
                           options=(SpokenOption(1, "yes", "Yes"), SpokenOption(2, "no", "No")),
                           commands=("back", "next", "help", "repeat"))
    with_mic = script(screen)
    assert "say one" in with_mic and "You can also say" in with_mic
    without = script(screen, can_listen=False)
    assert "say" not in without.lower() and "touch button" not in without
    assert "Option 1 of 2: Yes." in without and "Option 2 of 2: No." in without


def test_kiosk_without_a_model_does_not_invite_speaking(kiosk):
    voice = kiosk.app.voice
    assert not voice.micAvailable  # no recognition model installed in this data dir
    kiosk.click("readToMeButton")
    kiosk.qtbot.waitUntil(lambda: bool(kiosk.asked), timeout=3000)
    assert all("say one" not in s and "touch button" not in s and "You can also say" not in s for s in kiosk.asked)
