"""Bigger text (x1.5 and x2, chosen by the citizen under "Aa Text size"): every screen still shows every word.

The screens of one journey are walked as tests/test_layout.py walks them, with the citizen's text size set on
each screen, and measured with its checks on the rendered items: no text elided, cut off or spilling out of
its button, targets at least 44x44 px and 8 px apart, Next and Send in view without scrolling. Text may need
the page to scroll where the page already scrolls (the question, start, check and done pages); it must never
need sideways scrolling. A page that scrolls must also keep room to read in: with x2 on a 768 px tall screen
the fixed parts (header, consent, footer) once left the answers 30 px.

The attract screen is not walked: the text size is reset at the wipe and that screen offers no way to change it.

The default run walks one representative service (the parking card: document, signature, date and choice
pages) at x2 in English and Arabic at 1366x768; `-m slow` walks every sample in every language at x1.5 and x2,
at 1366x768 and 800x1280. Set PONTE_TEXT_SCALE_SHOTS to a folder to keep a PNG of every screen walked.
"""
from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest

from tests.test_layout import SERVICES, _qml, layout_problems, open_walk_app, screens, settle, visible_items

pytestmark = pytest.mark.timeout(900)

LANGUAGES = ["en", "pt", "fr", "es", "ar"]
SIZES = [(1366, 768), (800, 1280)]
SCALES = [1.5, 2.0]
REPRESENTATIVE = "disabled-parking-card"
# A page that scrolls shows at least this many lines of body text at once (at x2 on 1366x768 in Arabic, with
# the error "Touch I agree before you send" shown, Check your answers leaves its list about two).
READING_LINES = 1.5


@pytest.fixture(scope="module")
def kiosk_app(tmp_path_factory):
    app = open_walk_app(tmp_path_factory.mktemp("text-scale"))
    yield app
    app.bridge.setTextScale(1.0)
    app.close()


def _body_px(loader) -> float:
    """Theme.body as the screens use it now (grows with the screen and the text size)."""
    return float(_qml(loader, "Theme.body"))


def reading_room(app) -> list[str]:
    """Scrolling pages squeezed by the fixed parts around them to less than READING_LINES lines of text."""
    from PySide6.QtQuick import QQuickItem
    loader = app.window.findChild(QQuickItem, "screenLoader")
    need = READING_LINES * 1.4 * _body_px(loader)
    found = []
    for item in visible_items(app):
        if not item.inherits("QQuickFlickable") or item.property("contentHeight") <= item.height() + 1:
            continue
        if loader is not None and not _inside(item, loader):
            continue  # a dialog's own list
        if item.height() < need:
            found.append(f"{item.objectName() or 'a scrolling page'} shows {item.height():.0f} px at a time "
                         f"(under {READING_LINES} lines of text, {need:.0f} px)")
    return found


def _inside(item, ancestor) -> bool:
    node = item.parentItem()
    while node is not None:
        if node is ancestor:
            return True
        node = node.parentItem()
    return False


def walk(app, lang: str, size: tuple[int, int], scale: float, services: list[str]) -> list[str]:
    app.window.resize(*size)
    settle(app)
    shots = os.environ.get("PONTE_TEXT_SCALE_SHOTS")
    tall = size[0] >= 1366 and size[1] >= 768 or size[1] >= 1024
    found = []
    try:
        for service_id in services:
            for n, (screen, _may_scroll) in enumerate(screens(app, lang, service_id)):
                if screen == "attract":
                    continue
                app.bridge.setTextScale(scale)  # the wipe at the start of each journey set it back to x1
                settle(app)
                assert app.bridge.textScale == scale
                where = f"x{scale} {lang} {size[0]}x{size[1]} {service_id} {screen}"
                found += [f"{where}: {p}" for p in layout_problems(app, whole=False, whole_size=tall)]
                found += [f"{where}: {p}" for p in reading_room(app)]
                if shots:
                    folder = Path(shots) / f"x{scale}" / lang / f"{size[0]}x{size[1]}" / service_id
                    folder.mkdir(parents=True, exist_ok=True)
                    app.window.grabWindow().save(str(folder / f"{n:02d}-{screen.replace(' ', '_')}.png"))
    finally:
        app.bridge.wipe()
        app.bridge.setTextScale(1.0)
    return found


def test_twice_the_text_on_one_service_in_english_and_arabic(kiosk_app):
    problems = [p for lang in ("en", "ar") for p in walk(kiosk_app, lang, (1366, 768), 2.0, [REPRESENTATIVE])]
    assert not problems, f"{len(problems)} problems with x2 text:\n" + "\n".join(dict.fromkeys(problems))


@pytest.mark.slow
@pytest.mark.parametrize("lang,size,scale", [
    pytest.param(lang, size, scale, id=f"x{scale}-{lang}-{size[0]}x{size[1]}")
    for scale, lang, size in itertools.product(SCALES, LANGUAGES, SIZES)])
def test_bigger_text_on_every_screen_of_every_sample(kiosk_app, lang, size, scale):
    problems = walk(kiosk_app, lang, size, scale, SERVICES)
    assert not problems, f"{len(problems)} problems with x{scale} text:\n" + "\n".join(dict.fromkeys(problems))
