"""Keyboards that fit the question, read from the real on-screen keyboard (Qt Virtual Keyboard).

One journey of change-of-address (tax number, full name, date, postcode,
address, a count, phone, email) is walked in English, Portuguese and
Arabic at 1366x768. On every question with a text field the keyboard is
opened and what the citizen gets is read from the rendered items: the
keyboard's layout (digits only for numbers, tax numbers and Portuguese
postcodes; a dial pad for phones; letters otherwise) and its locale (a name
"as on your card" in Latin letters even in Arabic, with a visible switch),
the keys above it (email pieces and domains; the language's accented
letters), that every key is at least 44x44 px, and that Back and Next are
exactly where they were before the keyboard opened.
"""
from __future__ import annotations

import pytest

from tests.test_layout import open_walk_app, scene_rect, screens, settle

pytestmark = pytest.mark.timeout(600)

SERVICE = "change-of-address"
MIN_KEY = 44
# What each question of the journey must get: (keyboard layout, keys above it).
EXPECTED = {
    "nif": ("digits", "none"),           # the tax number: nine digits
    "full_name": ("main", "name"),       # as on the card
    "new_postcode": ("digits", "none"),  # Portugal: 1234-567, the dash is put in for the citizen
    "new_address": ("main", "accents"),
    "people_count": ("digits", "none"),
    "phone": ("dialpad", "none"),
    "email": ("main", "email"),
}


@pytest.fixture(scope="module")
def kiosk_app(tmp_path_factory):
    app = open_walk_app(tmp_path_factory.mktemp("keyboards"))
    yield app
    app.close()


def find(app, name: str):
    return next((i for i in app.items() if i.objectName() == name and i.isVisible()), None)


def vkb(app):
    """The InputPanel and the Keyboard inside it (the one with a layoutType; both are named "keyboard")."""
    named = [i for i in app.items() if i.objectName() == "keyboard"]
    panel = next(i for i in named if i.metaObject().className().startswith("InputPanel"))
    keyboard = next(i for i in named if i.property("layoutType") is not None)
    return panel, keyboard


def open_keyboard(app, field) -> None:
    from PySide6.QtGui import QGuiApplication
    field.forceActiveFocus()
    QGuiApplication.inputMethod().show()
    for _ in range(50):
        settle(app, 2)
        if vkb(app)[0].property("active") and vkb(app)[1].property("layout"):
            break
    settle(app, 6)


def close_keyboard(app) -> None:
    from PySide6.QtGui import QGuiApplication
    QGuiApplication.inputMethod().hide()
    settle(app, 4)


def key_items(app):
    """Every key of the on-screen keyboard and of the strip above it, as shown now."""
    panel, _ = vkb(app)
    stack = [panel]
    while stack:
        item = stack.pop()
        if not item.isVisible():
            continue
        stack.extend(item.childItems())
        if (item.property("displayText") is not None and item.property("key") is not None and item.width() > 0
                and "FillerKey" not in item.metaObject().className()):  # a spacer, not a key
            yield "vkb", item
    strip = find(app, "keyStrip")
    if strip is not None:
        stack = [strip]
        while stack:
            item = stack.pop()
            if not item.isVisible():
                continue
            stack.extend(item.childItems())
            if item.inherits("QQuickAbstractButton"):
                yield "strip", item


def check_question(app, lang: str, page_id: str) -> list[str]:
    """Open the keyboard on this question and say what is wrong with what the citizen gets."""
    want_layout, want_keys = EXPECTED[page_id]
    field = find(app, "answerField")
    back, nxt = find(app, "backButton"), find(app, "nextButton")
    before = [scene_rect(b) for b in (back, nxt)]
    open_keyboard(app, field)
    panel, keyboard = vkb(app)
    problems = []
    where = f"{lang} {page_id}"
    if not panel.property("active"):
        return [f"{where}: the keyboard did not open"]
    layout_type, locale = keyboard.property("layoutType"), keyboard.property("locale")
    if layout_type != want_layout:
        problems.append(f"{where}: {layout_type} keyboard, expected {want_layout}")
    after = [scene_rect(b) for b in (back, nxt)]
    if after != before:
        problems.append(f"{where}: Back/Next moved from {before} to {after} when the keyboard opened")
    extra = list(app.bridge.extraKeys or [])
    strip_shown = find(app, "keyStrip") is not None
    switch = find(app, "scriptSwitch")
    if want_keys == "email":
        for key in ("@", ".com", ".pt", "gmail.com"):
            if key not in extra:
                problems.append(f"{where}: no {key!r} key for an email address")
        if not strip_shown:
            problems.append(f"{where}: the email keys are not shown")
    if want_keys == "accents":
        accents = {"pt": "ã", "fr": "é", "es": "ñ"}.get(lang)
        if accents and (accents not in extra or not strip_shown):
            problems.append(f"{where}: no visible {accents!r} key in {lang}")
        if not accents and extra:
            problems.append(f"{where}: accent keys {extra} in {lang}")
    if want_keys == "name":
        if lang == "ar":
            if locale != "en_GB":
                problems.append(f"{where}: a name as on the card must start in Latin letters, got {locale}")
            if switch is None:
                problems.append(f"{where}: no visible switch between Latin and Arabic letters")
        elif switch is not None:
            problems.append(f"{where}: a script switch in {lang}")
    elif want_keys != "email" and lang == "ar" and layout_type == "main" and locale != "ar_AR":
        problems.append(f"{where}: Arabic text on a {locale} keyboard")
    if want_layout in ("digits", "dialpad"):
        shown = {str(k.property("displayText")) for kind, k in key_items(app) if kind == "vkb"}
        maths = shown & {"√", "^", "÷", "×", "%", "="}
        if maths:
            problems.append(f"{where}: sums on a digits keyboard: {sorted(maths)}")
    for kind, key in key_items(app):
        r = scene_rect(key)
        if r.w < MIN_KEY - 0.5 or r.h < MIN_KEY - 0.5:
            problems.append(f"{where}: {kind} key {key.property('displayText') or key.property('text')!r} "
                            f"({key.metaObject().className()}) is {r.w:.0f}x{r.h:.0f}")
            break
    close_keyboard(app)
    return problems


@pytest.mark.parametrize("lang", ["en", pytest.param("pt", marks=pytest.mark.slow), "ar"])
def test_each_question_gets_its_keyboard_and_back_next_stay_put(kiosk_app, lang):
    checked, problems = [], []
    for screen, _ in screens(kiosk_app, lang, SERVICE):
        if screen in EXPECTED and kiosk_app.bridge.screen == "question":
            settle(kiosk_app)
            problems.extend(check_question(kiosk_app, lang, screen))
            checked.append(screen)
    kiosk_app.bridge.wipe()
    assert set(checked) == set(EXPECTED), checked
    assert not problems, "\n".join(problems)


def to_page(app, lang: str, page_id: str) -> None:
    for screen, _ in screens(app, lang, SERVICE):
        if screen == page_id:
            settle(app)
            return
    raise AssertionError(f"{page_id} not reached")


def click(app, item) -> None:
    from PySide6.QtCore import QPointF, Qt
    from PySide6.QtTest import QTest
    centre = item.mapToScene(QPointF(item.width() / 2, item.height() / 2)).toPoint()
    QTest.mouseClick(app.window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre)
    settle(app, 6)


def test_script_switch_goes_from_latin_to_arabic_and_back(kiosk_app):
    to_page(kiosk_app, "ar", "full_name")
    open_keyboard(kiosk_app, find(kiosk_app, "answerField"))
    keyboard = vkb(kiosk_app)[1]
    assert keyboard.property("locale") == "en_GB"
    switch = find(kiosk_app, "scriptSwitch")
    assert switch is not None and switch.property("text")
    click(kiosk_app, switch)
    assert vkb(kiosk_app)[0].property("active"), "the switch must not close the keyboard"
    assert keyboard.property("locale") == "ar_AR"
    click(kiosk_app, find(kiosk_app, "scriptSwitch"))
    assert keyboard.property("locale") == "en_GB"
    close_keyboard(kiosk_app)
    kiosk_app.bridge.wipe()


def test_a_domain_key_types_into_the_email_field(kiosk_app):
    to_page(kiosk_app, "en", "email")
    field = find(kiosk_app, "answerField")
    field.setProperty("text", "")
    kiosk_app.bridge.setAnswer("")
    open_keyboard(kiosk_app, field)
    keys = list(kiosk_app.bridge.extraKeys)
    for text in ("ana", "@", "gmail.com"):
        if text == "ana":
            field.setProperty("text", "ana")
            kiosk_app.bridge.setAnswer("ana")
            field.setProperty("cursorPosition", 3)
            continue
        click(kiosk_app, find(kiosk_app, f"extraKey_{keys.index(text)}"))
    assert field.property("text") == "ana@gmail.com"
    assert field.property("activeFocus"), "a strip key must leave the focus in the field"
    assert kiosk_app.bridge.answerText == "ana@gmail.com"
    close_keyboard(kiosk_app)
    kiosk_app.bridge.wipe()
