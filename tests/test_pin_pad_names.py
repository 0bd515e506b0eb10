"""What a screen reader is told of the helper's PIN pad (offscreen, the real QML items).

The keys move on every attempt, so a key is named by the digit it shows ("7"), never by its place
("key 3", which told a blind helper nothing and was English in every language); Delete and Clear by
what they do, in the mediator's language, without the glyph drawn beside them; every key is a button.
The AT-SPI tree itself is read under Xvfb by tests/test_atspi.py (-m slow).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_mediator_ui import close_kiosk, make_kiosk

pytestmark = pytest.mark.timeout(120)

WORDS = Path(__file__).parents[1] / "translations" / "mediator"


def accessible(item, what: str):
    """The item's attached Accessible.<what> as QML sees it."""
    from PySide6.QtQml import QQmlEngine, QQmlExpression
    value, failed = QQmlExpression(QQmlEngine.contextForObject(item), item, f"Accessible.{what}").evaluate()
    assert not failed, f"Accessible.{what} of {item.objectName()} could not be read"
    return value


def role(name: str) -> int:
    from PySide6.QtGui import QAccessible
    return int(getattr(QAccessible.Role, name).value)


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_pin_keys_are_named_by_their_digits_and_delete_by_what_it_does(qtbot, tmp_path, language):
    words = json.loads((WORDS / f"{language}.json").read_text(encoding="utf-8"))
    d = make_kiosk(qtbot, tmp_path, mediator={"language": language})
    try:
        d.ctrl.openPin()
        qtbot.waitUntil(lambda: d.has("pinPad"), timeout=2000)
        d.settle()
        keypad = list(d.ctrl.pin.keypad)
        names = [accessible(d.item(f"pinKey_{i}"), "name") for i in range(10)]
        assert names == keypad, f"the keys are named {names}, they show {keypad}"
        assert sorted(names) == list("0123456789")
        for i in range(10):
            assert int(accessible(d.item(f"pinKey_{i}"), "role")) == role("Button")
        assert accessible(d.item("pinDelete"), "name") == words["m.pin.delete"]
        assert accessible(d.item("pinClear"), "name") == words["m.pin.clear"]
        assert accessible(d.item("pinSubmit"), "name") == words["m.pin.ok"]
        for name in ("pinDelete", "pinClear", "pinSubmit", "pinCancel"):
            assert int(accessible(d.item(name), "role")) == role("Button"), name
        assert accessible(d.item("pinDots"), "name") == d.ctrl.pin.digitsTyped
        assert int(accessible(d.item("pinDots"), "role")) == role("StaticText")

        # The keys move after a wrong PIN: the names move with the digits.
        d.ctrl.pin._keypad = keypad[::-1]
        d.ctrl.pin.changed.emit()
        d.settle()
        assert [accessible(d.item(f"pinKey_{i}"), "name") for i in range(10)] == keypad[::-1]
    finally:
        close_kiosk(d)
