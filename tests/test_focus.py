"""Focus through the real QML screens, offscreen: where it goes, where it may not, and how it shows.

The focus ring's contrast is measured from the colours the rendered ring item really has and the colour
of what it sits on (the nearest opaque ancestor, else the window), never from a list kept beside them.
"""
from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor
from PySide6.QtQuick import QQuickItem
from PySide6.QtTest import QTest

from tests.queue_fixtures import make_queue_config
from tests.ui_driver import Driver, open_kiosk

pytestmark = pytest.mark.timeout(240)


@pytest.fixture
def kiosk(qtbot, tmp_path):
    config, _ = make_queue_config(tmp_path)
    driver = open_kiosk(qtbot, config)
    yield driver
    driver.app.close()


def press(driver: Driver, key: Qt.Key) -> None:
    QTest.keyClick(driver.window, key, Qt.KeyboardModifier.NoModifier)
    driver.qtbot.wait(20)


def focused(driver: Driver) -> QQuickItem | None:
    return driver.window.activeFocusItem()


def name(driver: Driver) -> str:
    item = focused(driver)
    return item.objectName() if item is not None else ""


def to_question(driver: Driver, language: str = "en") -> None:
    driver.click("startButton")
    driver.click(f"lang_{language}")
    driver.click("service_birth-certificate")
    driver.click("nextButton")


# --- contrast ----------------------------------------------------------------------------------

def luminance(c: QColor) -> float:
    def channel(v: float) -> float:
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
    return 0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF())


def contrast(a: QColor, b: QColor) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _colour(item: QQuickItem) -> QColor | None:
    """The item's own opaque fill, if it paints one (a Rectangle with an opaque colour)."""
    if not item.isVisible() or item.opacity() < 1 or "Rectangle" not in item.metaObject().className():
        return None
    c = item.property("color")
    return c if isinstance(c, QColor) and c.alphaF() >= 1 else None


def background_of(control: QQuickItem, window) -> QColor:
    """What the control sits on: the nearest opaque Rectangle among its ancestors (else the window)."""
    item = control.parentItem()
    while item is not None:
        c = _colour(item)
        if c is not None:
            return c
        item = item.parentItem()
    return window.property("color")


def ring_of(control: QQuickItem) -> QQuickItem | None:
    stack = list(control.childItems())
    while stack:
        item = stack.pop()
        if item.objectName() == "focusRing" and item.isVisible():
            return item
        stack.extend(item.childItems())
    return None


def check_ring(driver: Driver, control: QQuickItem) -> list[str]:
    """Problems with the focused control's ring (empty when it passes)."""
    ring = ring_of(control)
    if ring is None:
        return [f"{control.objectName()}: no visible focus ring"]
    bands = [ring.property("outerColor"), ring.property("middleColor"), ring.property("innerColor")]
    page = background_of(control, driver.window)
    fill = control.property("fill") if control.property("selected") is not True else None
    background = control.property("background")
    fill = _colour(background) if isinstance(background, QQuickItem) and _colour(background) else fill
    problems = []
    # Seen against the page: its outside band, or failing that the next one in.
    if max(contrast(bands[0], page), contrast(bands[1], page)) < 3:
        problems.append(f"{control.objectName()}: ring {[b.name() for b in bands[:2]]} on {page.name()}")
    # Told apart from the control itself: the band next to it, or the one outside that.
    if fill is not None and max(contrast(bands[2], fill), contrast(bands[1], fill)) < 3:
        problems.append(f"{control.objectName()}: ring next to its fill {fill.name()}")
    for a, b in zip(bands, bands[1:]):
        if contrast(a, b) < 3:
            problems.append(f"{control.objectName()}: bands {a.name()}/{b.name()} blend")
    # Drawn outside the control: never hidden under its own fill.
    if ring.width() <= control.width() or ring.height() <= control.height():
        problems.append(f"{control.objectName()}: ring not outside the control")
    return problems


def tab_round(driver: Driver, limit: int = 60) -> list[QQuickItem]:
    """Tab once round every control of the screen (or open dialog), checking each ring on the way."""
    seen: list[QQuickItem] = []
    problems: list[str] = []
    for _ in range(limit):
        press(driver, Qt.Key.Key_Tab)
        item = focused(driver)
        if item in seen:
            break
        seen.append(item)
        problems += check_ring(driver, item)
    assert not problems, problems
    return seen


@pytest.mark.parametrize("high_contrast", [False, True])
def test_focus_ring_contrasts_3_to_1_on_every_control_of_a_question_and_check_answers(kiosk, high_contrast):
    to_question(kiosk)
    if high_contrast:
        kiosk.app.bridge.setHighContrast(True)
        kiosk.settle()
    controls = tab_round(kiosk)
    names = {c.objectName() for c in controls}
    assert {"nextButton", "callHelperButton", "option_mine", "voiceToggle"} <= names, names
    # Check your answers: every Change button and the consent, each scrolled into view when focused.
    kiosk.complete_questions(kiosk.app.catalogue.services["birth-certificate"])
    seen = 0
    for _ in range(60):
        press(kiosk, Qt.Key.Key_Tab)
        item = focused(kiosk)
        assert not check_ring(kiosk, item), check_ring(kiosk, item)
        centre = item.mapToScene(QPointF(item.width() / 2, item.height() / 2))
        flick = kiosk.item("answersList")
        if item.objectName().startswith("change_"):
            seen += 1
            top = flick.mapToScene(QPointF(0, 0)).y()
            assert top <= centre.y() <= top + flick.height(), f"{item.objectName()} focused off screen"
        if item.objectName() == "submitButton":
            break
    assert seen >= 5


def test_old_yellow_ring_would_fail_on_white():
    """The measure itself: #ffdd00 alone on white is 1.35:1, far from 3:1."""
    assert round(contrast(QColor("#ffdd00"), QColor("#ffffff")), 2) == 1.35
    assert contrast(QColor("#0b0c0c"), QColor("#ffffff")) > 3


def test_focus_goes_to_the_new_question_after_next_and_back(kiosk):
    to_question(kiosk)
    kiosk.qtbot.waitUntil(lambda: name(kiosk) == "questionText", timeout=2000)
    kiosk.click("option_mine")
    kiosk.click("nextButton")
    kiosk.qtbot.waitUntil(lambda: name(kiosk) == "questionText", timeout=2000)
    assert focused(kiosk).property("text") == kiosk.app.bridge.question
    kiosk.click("backButton")
    kiosk.qtbot.waitUntil(lambda: name(kiosk) == "questionText", timeout=2000)


def test_enter_and_space_both_activate_and_dialogs_hold_the_focus(kiosk):
    to_question(kiosk)
    for _ in range(20):
        press(kiosk, Qt.Key.Key_Tab)
        if name(kiosk) == "displayButton":
            break
    press(kiosk, Qt.Key.Key_Return)  # Enter opens "Bigger text"
    kiosk.qtbot.waitUntil(lambda: kiosk.has("displayDialog"), timeout=2000)
    dialog = kiosk.item("displayDialog")
    kiosk.qtbot.waitUntil(lambda: kiosk.app.keynav.trap() is not None and focused(kiosk) is not None
                          and _inside(focused(kiosk), dialog), timeout=2000)
    for _ in range(12):  # round and round inside, never behind
        press(kiosk, Qt.Key.Key_Tab)
        assert _inside(focused(kiosk), dialog), name(kiosk)
    for _ in range(12):
        press(kiosk, Qt.Key.Key_Up)
        assert _inside(focused(kiosk), dialog), name(kiosk)
    while name(kiosk) != "textScale_1_5":
        press(kiosk, Qt.Key.Key_Tab)
    press(kiosk, Qt.Key.Key_Space)  # Space chooses too
    assert kiosk.app.bridge.textScale == 1.5
    # The controls behind are disabled while it is open (a screen reader cannot press them either).
    assert not kiosk.item("nextButton").isEnabled()


def test_help_card_takes_the_focus_and_keeps_it(kiosk):
    to_question(kiosk)
    kiosk.click("callHelperButton")
    kiosk.qtbot.waitUntil(lambda: kiosk.has("helpCalledCard"), timeout=2000)
    card = kiosk.item("helpCalledCard")
    kiosk.qtbot.waitUntil(lambda: focused(kiosk) is not None and _inside(focused(kiosk), card), timeout=2000)
    names = set()
    for _ in range(6):
        press(kiosk, Qt.Key.Key_Tab)
        assert _inside(focused(kiosk), card), name(kiosk)
        names.add(name(kiosk))
    assert "helpCancel" in names and len(names) >= 2  # every button of the card, only those
    assert not kiosk.item("nextButton").isEnabled()
    # Enter on "Cancel": the card goes, the focus comes back to the page.
    while name(kiosk) != "helpCancel":
        press(kiosk, Qt.Key.Key_Tab)
    press(kiosk, Qt.Key.Key_Return)
    kiosk.qtbot.waitUntil(lambda: not kiosk.has("helpCalledCard"), timeout=2000)
    kiosk.qtbot.waitUntil(lambda: name(kiosk) in ("callHelperButton", "questionText"), timeout=2000)


def _inside(item: QQuickItem, root: QQuickItem) -> bool:
    while item is not None:
        if item == root:
            return True
        item = item.parentItem()
    return False


def test_pin_pad_takes_the_focus_and_keeps_it(kiosk):
    to_question(kiosk)
    kiosk.click("callHelperButton")
    kiosk.click("helpHelperHere")  # the helper arrives: the PIN pad
    kiosk.qtbot.waitUntil(lambda: kiosk.has("pinPad"), timeout=2000)
    pad = kiosk.item("pinPad")
    kiosk.qtbot.waitUntil(lambda: focused(kiosk) is not None and _inside(focused(kiosk), pad), timeout=2000)
    for _ in range(20):
        press(kiosk, Qt.Key.Key_Tab)
        assert _inside(focused(kiosk), pad), name(kiosk)
    assert not kiosk.item("nextButton").isEnabled()
