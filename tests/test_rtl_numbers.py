"""Phone numbers in an Arabic session keep their order: "+351 912 345 678" typed on the real on-screen keyboard is
laid out left to right in the answer field (not "678 345 912 351+"), the stored answer holds no direction marks,
and the keyboard goes back to Arabic letters on the next text question. Real KioskApp offscreen, real key events.

PONTE_RTL_SHOTS=<folder> also writes the phone page and check answers (scrolled to the phone) at 1366x768 and
800x1280 for a person to look at."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QGuiApplication, QKeyEvent

from kiosk.journey import CHECK
from kiosk.samples import sample_answer
from tests.queue_fixtures import make_queue_config
from ui.screenshots import answer_with_sample

PHONE = "+351 912 345 678"
BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
SHOTS = os.environ.get("PONTE_RTL_SHOTS")


def _settle(app, rounds: int = 8) -> None:
    from PySide6.QtCore import QCoreApplication, QEventLoop, QThread
    for _ in range(rounds):
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        QThread.msleep(5)


def _find(app, name: str):
    return next((i for i in app.items() if i.objectName() == name and i.isVisible()), None)


def _keyboard(app):
    return next(i for i in app.items() if i.objectName() == "keyboard" and i.property("layoutType") is not None)


def _to_page(app, page_id: str) -> None:
    """Start the Arabic change of address and answer (through the bridge's slots) up to `page_id`."""
    bridge = app.bridge
    bridge.start()
    bridge.chooseLanguage("ar")
    bridge.chooseService("change-of-address")
    bridge.begin()  # past the start page
    service = bridge.journey.service
    for _ in range(len(service.pages) + 1):
        page = bridge.journey.page
        if page is None or page.id == page_id:
            break
        answer_with_sample(bridge, page, service)
        bridge.next()
    _settle(app)
    assert bridge.journey.page is not None and bridge.journey.page.id == page_id


def _type(app, field, text: str) -> None:
    field.forceActiveFocus()
    QGuiApplication.inputMethod().show()
    _settle(app, 20)
    for ch in text:
        key = ord(ch.upper()) if 32 <= ord(ch) < 127 else 0
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QGuiApplication.sendEvent(app.window, QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier, ch))
        _settle(app, 2)
    _settle(app)


def _x_of(field, position: int) -> float:
    from PySide6.QtCore import Q_ARG, Q_RETURN_ARG, QMetaObject, QRectF
    rect: QRectF = QMetaObject.invokeMethod(field, "positionToRectangle",  # type: ignore[assignment]
                                            Q_RETURN_ARG(QRectF), Q_ARG(int, position))
    return rect.x()


def _shoot(app, name: str) -> None:
    if SHOTS:
        path = Path(SHOTS) / f"{app.window.width()}x{app.window.height()}-{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        _settle(app)
        app.window.grabWindow().save(str(path))


@pytest.fixture
def kiosk_app(qtbot, tmp_path):
    from ui.app import KioskApp
    config, _ = make_queue_config(tmp_path)
    app = KioskApp(config, windowed=True, size=(1366, 768), clock=lambda: 1000.0)
    qtbot.waitExposed(app.window)
    yield app
    app.close()


@pytest.mark.parametrize("size", [(1366, 768), (800, 1280)])
def test_a_phone_number_keeps_its_order_in_arabic(kiosk_app, size):
    app = kiosk_app
    app.window.resize(*size)
    _to_page(app, "phone")
    field = _find(app, "answerField")
    assert field is not None and app.bridge.keypad == "phone"
    _type(app, field, PHONE)

    # Stored as typed: no direction marks, in the bridge and in the field.
    assert app.bridge.answerText == PHONE and field.property("text") == PHONE
    assert not BIDI_CONTROLS.search(app.bridge.answerText)
    # Laid out left to right: each digit group further right than the one before ("+351" leftmost).
    xs = [_x_of(field, i) for i in (0, 5, 9, 13, len(PHONE))]
    assert xs == sorted(xs) and len(set(xs)) == len(xs), f"{PHONE!r} laid out right to left: {xs}"
    assert xs[0] < field.width() / 4  # starts at the left, where a number starts
    _shoot(app, "phone")

    # The next text question in Arabic gets Arabic letters again.
    app.bridge.back()
    while app.bridge.journey.page.type not in ("short_text", "long_text"):
        app.bridge.back()
    _settle(app)
    text_field = _find(app, "answerField") or _find(app, "answerArea")
    text_field.forceActiveFocus()
    QGuiApplication.inputMethod().show()
    _settle(app, 20)
    assert _keyboard(app).property("locale") == app.bridge.keyboardLocale == "ar_AR"

    # Check answers: the number in the validator's form ("+351912345678"), nothing added to it.
    for _ in range(12):
        if app.bridge.journey.step == CHECK:
            break
        page = app.bridge.journey.page
        if page.id != "phone" and app.bridge.answerText == "" and page.type not in ("single_choice", "yes_no"):
            app.bridge.setAnswer(sample_answer(page, app.bridge.journey.service))
        app.bridge.next()
    assert app.bridge.journey.step == CHECK
    _settle(app)
    answer = _find(app, "answer_phone")
    assert app.bridge.journey.raw["phone"] == PHONE
    shown = answer.property("text") if answer is not None else ""
    assert shown.replace(" ", "") == PHONE.replace(" ", "") and not BIDI_CONTROLS.search(shown)
    flick = _find(app, "answersList")
    top = answer.mapToItem(flick.property("contentItem"), QPointF(0, 0)).y()
    flick.setProperty("contentY", max(0.0, min(top - 40, flick.property("contentHeight") - flick.height())))
    _shoot(app, "check")

