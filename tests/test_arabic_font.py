"""Arabic is drawn in an Arabic face, Latin keeps its own: read from the rendered Text items.

One journey is walked through the real screens in Arabic and in English. For
every visible text item, the glyphs Qt lays out with that item's own font are
asked which face they came from (QTextLayout.glyphRuns, the same shaping the
scene graph draws with): Arabic letters must come from Noto Sans Arabic,
Latin letters from the same face in both sessions, and an English session
draws nothing but Arabic names in the Arabic face.
"""
from __future__ import annotations

import re

import pytest

from tests.test_layout import CATALOGUE, open_walk_app, screens, settle

pytestmark = pytest.mark.timeout(300)

ARABIC_FACE = "Noto Sans Arabic"
ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]+")
LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]+")
SERVICE = "change-of-address"


def faces(font, text: str) -> set[str]:
    """The faces Qt draws `text` with in `font`."""
    from PySide6.QtGui import QTextLayout
    layout = QTextLayout(text, font)
    layout.beginLayout()
    while layout.createLine().isValid():
        pass
    layout.endLayout()
    return {run.rawFont().familyName() for run in layout.glyphRuns()}


def shown_texts(app):
    """(item, text, font) for every text item a person can see now, fields and buttons included."""
    root = app.window.contentItem()
    while root.parentItem() is not None:
        root = root.parentItem()
    stack = [root]
    while stack:
        item = stack.pop()
        if not item.isVisible() or item.opacity() <= 0.01:
            continue
        stack.extend(item.childItems())
        if any(item.inherits(c) for c in ("QQuickText", "QQuickTextInput", "QQuickTextEdit")):
            text = item.property("text")
            if isinstance(text, str) and text.strip():
                yield item, text, item.property("font")


def walk_faces(app, lang: str) -> tuple[dict[str, set[str]], dict[str, set[str]], int]:
    """Faces of Arabic and of Latin words on every screen of one journey; how many texts were read."""
    arabic: dict[str, set[str]] = {}
    latin: dict[str, set[str]] = {}
    count = 0
    for screen, _ in screens(app, lang, SERVICE):
        settle(app)
        for item, text, font in shown_texts(app):
            count += 1
            where = f"{screen}: {text[:30]!r}"
            for word in ARABIC.findall(text):
                arabic.setdefault(where, set()).update(faces(font, word))
            for word in LATIN.findall(text):
                latin.setdefault(where, set()).update(faces(font, word))
    app.bridge.wipe()
    return arabic, latin, count


@pytest.fixture(scope="module")
def kiosk_app(tmp_path_factory):
    app = open_walk_app(tmp_path_factory.mktemp("font"))
    yield app
    app.close()


def test_arabic_session_draws_arabic_in_noto_sans_arabic(kiosk_app):
    assert SERVICE in CATALOGUE.services
    arabic, latin, count = walk_faces(kiosk_app, "ar")
    assert count > 100 and len(arabic) > 50, "the Arabic journey showed too little Arabic to judge"
    wrong = {where: f for where, f in arabic.items() if f != {ARABIC_FACE}}
    assert not wrong, f"{len(wrong)} Arabic texts not in {ARABIC_FACE}: " + "; ".join(
        f"{w} -> {sorted(f)}" for w, f in list(wrong.items())[:8])
    # Latin words inside an Arabic session (a name, "Ponte") keep the Latin face.
    assert all(ARABIC_FACE not in f for f in latin.values()), latin


def test_english_session_draws_only_arabic_names_in_the_arabic_face(kiosk_app):
    arabic, latin, count = walk_faces(kiosk_app, "en")
    assert count > 100
    # The only Arabic an English session shows is the language's own name, in its own face.
    assert all(where.startswith(("language", "languagePopup")) for where in arabic), list(arabic)[:5]
    assert all(f == {ARABIC_FACE} for f in arabic.values()), arabic
    used = set().union(*latin.values())
    assert ARABIC_FACE not in used
    from PySide6.QtGui import QGuiApplication
    assert QGuiApplication.font().families()[0] in used  # the Latin face stays the first choice


def test_latin_face_is_the_same_in_both_sessions(kiosk_app):
    _, latin_ar, _ = walk_faces(kiosk_app, "ar")
    _, latin_en, _ = walk_faces(kiosk_app, "en")
    assert set().union(*latin_ar.values()) <= set().union(*latin_en.values())
