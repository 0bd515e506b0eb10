"""Signatures: known strokes rendered to PNG (ink along the strokes, nowhere else) and SVG (the strokes kept),
blank pads refused, and the definition's `signature` and `document` page types."""
from __future__ import annotations

import io
import math
import xml.etree.ElementTree as ET

import pytest
from PIL import Image

from documents.signature import is_blank, signature_attachments, to_png, to_svg
from kiosk.documents import ORAL, DocumentError

W, H = 600, 200
STROKES = [
    [(40, 150), (80, 60), (120, 150), (160, 60)],               # a zigzag
    [(220, 100), (260, 100), (300, 100), (340, 100), (380, 100)],  # a horizontal line
    [(450, 50), (470, 170)],                                    # one segment
]


def _dist_to_segment(p, a, b) -> float:
    (px, py), (ax, ay), (bx, by) = p, a, b
    dx, dy = bx - ax, by - ay
    t = 0.0 if dx == dy == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.dist((px, py), (ax + t * dx, ay + t * dy))


def _near_strokes(p, strokes, within: float) -> bool:
    return any(_dist_to_segment(p, a, b) <= within for s in strokes for a, b in zip(s, s[1:] or s))


def test_png_has_ink_along_every_stroke_and_nowhere_else():
    image = Image.open(io.BytesIO(to_png(STROKES, W, H)))
    assert image.format == "PNG" and image.size == (W, H)
    gray = image.convert("L")
    ink = [(x, y) for y in range(H) for x in range(W) if gray.getpixel((x, y)) < 128]
    assert len(ink) > 500  # not empty (the failure ODK and Enketo users met)
    assert all(_near_strokes(p, STROKES, 4) for p in ink)  # no ink away from the strokes
    # every point sampled along every segment has ink on it
    for stroke in STROKES:
        for (ax, ay), (bx, by) in zip(stroke, stroke[1:]):
            for k in range(11):
                x, y = round(ax + (bx - ax) * k / 10), round(ay + (by - ay) * k / 10)
                assert gray.getpixel((x, y)) < 128, (x, y)


def test_svg_has_one_path_per_stroke_with_its_points():
    root = ET.fromstring(to_svg(STROKES, W, H))
    assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.get("viewBox") == f"0 0 {W} {H}"
    paths = root.findall(".//{http://www.w3.org/2000/svg}path")
    assert len(paths) == len(STROKES)
    for path, stroke in zip(paths, STROKES):
        numbers = [float(n) for n in path.get("d").replace("M", " ").replace("L", " ").split()]
        assert list(zip(numbers[::2], numbers[1::2])) == [(float(x), float(y)) for x, y in stroke]


def test_attachments_are_named_for_the_page_and_blank_pads_refused():
    png, svg = signature_attachments("signature", STROKES, W, H)
    assert (png.name, png.content_type, svg.name, svg.content_type) == \
        ("signature.png", "image/png", "signature.svg", "image/svg+xml")
    assert [a.name for a in signature_attachments("signature", STROKES, W, H, with_svg=False)] == ["signature.png"]
    for blank in ([], [[(10, 10)]], [[(10, 10), (12, 11)]]):
        assert is_blank(blank)
        with pytest.raises(DocumentError) as refused:
            signature_attachments("signature", blank, W, H)
        assert refused.value.key == "signature_blank"
    assert not is_blank(STROKES)


@pytest.mark.parametrize("bad", [[[("a", 1)]], [[(float("nan"), 1)]], [[(1, 2, 3)]], [5], [[(0, 0)] * 20_001]])
def test_malformed_strokes_are_a_clear_refusal(bad):
    with pytest.raises(DocumentError):
        to_png(bad, W, H)


def test_points_off_the_pad_are_clamped_not_a_crash():
    image = Image.open(io.BytesIO(to_png([[(-50, -50), (W + 50, H + 50)]], W, H))).convert("L")
    assert image.getpixel((0, 0)) < 128 and image.getpixel((W - 1, H - 1)) < 128


# --- the definition's page types -----------------------------------------------------------------------------

def _service(tmp_path, pages: list[dict]):
    import yaml

    from kiosk.definition import load_service
    doc = {"format": 1, "id": "parking-card", "version": 1, "languages": ["en"], "title": {"en": "Parking card"},
           "description": {"en": "Apply"}, "destination": "x", "consent": {"en": "I agree"},
           "data_notice": {k: {"en": k} for k in ("controller", "purpose", "legal_basis", "retention", "rights",
                                                  "contact")},
           "pages": pages}
    path = tmp_path / "parking-card.yaml"
    path.write_text(yaml.safe_dump(doc))
    return load_service(path)


def test_definition_document_and_signature_pages(tmp_path):
    from kiosk.validators import Invalid, validate
    service = _service(tmp_path, [
        {"id": "proof", "type": "document", "question": {"en": "Proof of address"},
         "document": {"min_pages": 1, "max_pages": 2, "max_bytes": 2_000_000, "max_side": 1600}},
        {"id": "signature", "type": "signature", "question": {"en": "Sign here"}, "oral_alternative": True}])
    proof, sign = service.pages
    assert proof.document.max_pages == 2 and proof.document.max_side == 1600 and proof.personal
    assert sign.oral_alternative and sign.personal
    assert validate(proof, ["proof-1.jpg", "proof-2.jpg"]) == ["proof-1.jpg", "proof-2.jpg"]
    assert isinstance(validate(proof, ["a.jpg", "b.jpg", "c.jpg"]), Invalid)  # more than max_pages
    assert isinstance(validate(proof, ["../x.jpg"]), Invalid)
    assert validate(sign, "signature.png") == "signature.png"
    assert validate(sign, ORAL) == ORAL


def test_definition_refuses_misplaced_document_options(tmp_path):
    from kiosk.definition import DefinitionError
    with pytest.raises(DefinitionError, match="oral_alternative"):
        _service(tmp_path, [{"id": "name", "type": "short_text", "question": {"en": "Name"},
                             "oral_alternative": True}])
    with pytest.raises(DefinitionError, match="min_pages is more than max_pages"):
        _service(tmp_path, [{"id": "proof", "type": "document", "question": {"en": "Proof"},
                             "document": {"min_pages": 3, "max_pages": 2}}])


# --- the pad on the screen: real touch events on the real QML item -------------------------------------------

@pytest.fixture
def pad(qtbot):
    from pathlib import Path

    from PySide6.QtCore import QUrl
    from PySide6.QtQuick import QQuickView
    from PySide6.QtTest import QTest
    view = QQuickView()
    view.setResizeMode(QQuickView.ResizeMode.SizeRootObjectToView)
    view.setSource(QUrl.fromLocalFile(str(Path(__file__).resolve().parents[1] / "ui" / "qml" / "SignaturePad.qml")))
    assert view.status() == QQuickView.Status.Ready, [e.toString() for e in view.errors()]
    root = view.rootObject()
    root.setProperty("clearLabel", "Clear")
    root.setProperty("padLabel", "Sign here")
    view.resize(W, H + 120)
    view.show()
    assert QTest.qWaitForWindowExposed(view)
    yield view, root
    view.close()
    view.deleteLater()


def _strokes(root) -> list:
    value = root.property("strokes")
    return value.toVariant() if hasattr(value, "toVariant") else value


def _touch_draw(view, strokes) -> None:
    from PySide6.QtCore import QPoint
    from PySide6.QtTest import QTest
    device = QTest.createTouchDevice()
    for stroke in strokes:
        (x0, y0), rest = stroke[0], stroke[1:]
        QTest.touchEvent(view, device).press(0, QPoint(x0, y0)).commit()
        QTest.qWait(15)
        for (ax, ay), (bx, by) in zip(stroke, rest):
            for k in range(1, 6):  # a finger reports many points along a line
                QTest.touchEvent(view, device).move(0, QPoint(round(ax + (bx - ax) * k / 5),
                                                               round(ay + (by - ay) * k / 5))).commit()
                QTest.qWait(15)
        QTest.touchEvent(view, device).release(0, QPoint(*stroke[-1])).commit()
        QTest.qWait(15)


def test_touch_strokes_on_the_pad_become_a_png_with_ink_along_them_and_an_svg(pad):
    view, root = pad
    assert root.property("empty") is True
    _touch_draw(view, STROKES)
    drawn = _strokes(root)
    assert len(drawn) == len(STROKES)
    for got, wanted in zip(drawn, STROKES):  # every stroke starts and ends where the finger did
        assert tuple(got[0]) == wanted[0] and tuple(got[-1]) == wanted[-1] and len(got) >= len(wanted)
    width, height = round(root.property("padWidth")), round(root.property("padHeight"))
    png, svg = signature_attachments("signature", drawn, width, height)
    gray = Image.open(io.BytesIO(png.data)).convert("L")
    for stroke in STROKES:
        for (ax, ay), (bx, by) in zip(stroke, stroke[1:]):
            for k in range(11):
                assert gray.getpixel((round(ax + (bx - ax) * k / 10), round(ay + (by - ay) * k / 10))) < 128
    ink = [(x, y) for y in range(height) for x in range(width) if gray.getpixel((x, y)) < 128]
    assert len(ink) > 500 and all(_near_strokes(p, STROKES, 5) for p in ink)
    assert len(ET.fromstring(svg.data).findall(".//{http://www.w3.org/2000/svg}path")) == len(STROKES)
    # shown back: the pad itself has ink where the finger went
    shot = view.grabWindow()
    assert shot.pixelColor(260, 100).lightness() < 100 and shot.pixelColor(260, 30).lightness() > 200


def test_clear_empties_the_pad(pad, qtbot):
    from PySide6.QtCore import QPointF, Qt
    from PySide6.QtTest import QTest
    view, root = pad
    _touch_draw(view, STROKES[:1])
    assert not root.property("empty")
    button = root.findChild(object, "signatureClear")
    assert button.property("Accessible.name") in (None, "Clear") and button.property("text") == "Clear"
    centre = button.mapToScene(QPointF(button.width() / 2, button.height() / 2)).toPoint()
    QTest.mouseClick(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre)
    qtbot.waitUntil(lambda: root.property("empty") is True, timeout=2000)
    assert _strokes(root) == []
    with pytest.raises(DocumentError):
        signature_attachments("signature", _strokes(root), W, H)


# --- a signature question through the real kiosk screens, into the real queue ---------------------------------

SIGNING = {
    "format": 1, "id": "parking-card", "version": 1, "languages": ["en", "ar"], "title": {"en": "Parking card",
                                                                                          "ar": "بطاقة وقوف"},
    "description": {"en": "Apply", "ar": "قدّم"}, "destination": "civil", "consent": {"en": "I agree", "ar": "أوافق"},
    "data_notice": {k: {"en": k, "ar": k} for k in ("controller", "purpose", "legal_basis", "retention", "rights",
                                                    "contact")},
    "pages": [{"id": "signature", "type": "signature", "question": {"en": "Sign here", "ar": "وقّع هنا"}}],
}


def test_signature_question_on_the_kiosk_screen_is_queued_with_its_png_and_svg(qtbot, tmp_path):
    import yaml
    from PySide6.QtCore import QPointF

    from kiosk.config import config_from_dict
    from offline_queue import open_outbox
    from offline_queue.seal import open_sealed
    from tests.queue_fixtures import make_queue_config
    from tests.ui_driver import Driver
    from ui.app import KioskApp
    services = tmp_path / "services"
    services.mkdir()
    (services / "parking-card.yaml").write_text(yaml.safe_dump(SIGNING, allow_unicode=True))
    config, private = make_queue_config(tmp_path)
    config = config_from_dict({**config.raw, "services": {"dirs": [str(services)], "include_samples": False}})
    app = KioskApp(config, windowed=True, size=(1366, 768))
    try:
        driver = Driver(app, qtbot)
        driver.click("startButton")
        driver.click("lang_en")
        driver.click("service_parking-card")
        driver.click("nextButton")
        assert app.bridge.screen == "question" and not driver.has("answerField")
        area = driver.item("signatureArea")
        origin = area.mapToScene(QPointF(0, 0))
        offset = [(round(origin.x() + x), round(origin.y() + y)) for x, y in STROKES[1]]
        _touch_draw(app.window, [offset])
        driver.click("nextButton")
        assert app.bridge.screen == "check", driver.all_text()[:300]
        driver.click("consentButton")
        driver.click("submitButton")
        qtbot.waitUntil(lambda: app.bridge.screen == "done", timeout=10000)
        assert app.bridge._files  # kept in memory until the citizen leaves ...
        app.bridge.finish()
        assert app.bridge._files == {}  # ... then forgotten with the answers
    finally:
        app.close()
    with open_outbox(config) as outbox:
        (item,) = outbox.items()
        assert outbox.open_payload(item.reference, private)["answers"]["signature"] == "signature.png"
        stored = {name: open_sealed(data, private) for name, _, _, data in outbox.stored_attachments(item.id)}
    assert list(stored) == ["signature.png", "signature.svg"]
    gray = Image.open(io.BytesIO(stored["signature.png"])).convert("L")
    (ax, ay), (bx, by) = STROKES[1][0], STROKES[1][-1]
    assert all(gray.getpixel((round(ax + (bx - ax) * k / 10), round(ay + (by - ay) * k / 10))) < 128
               for k in range(11))
    assert b"<path" in stored["signature.svg"]


def test_a_steep_stroke_on_a_page_that_scrolls_draws_and_does_not_scroll(qtbot, tmp_path):
    """On a small screen the question page scrolls; a finger drawing downwards must draw, not scroll it."""
    from pathlib import Path

    from PySide6.QtCore import QObject, QUrl
    from PySide6.QtQuick import QQuickView
    from PySide6.QtTest import QTest
    qml_dir = (Path(__file__).resolve().parents[1] / "ui" / "qml").as_uri()
    page = tmp_path / "Page.qml"
    page.write_text(f'''import QtQuick
import "{qml_dir}"
Flickable {{
    objectName: "page"
    contentHeight: 3 * height
    SignaturePad {{ objectName: "pad"; width: {W}; height: {H} + 120; clearLabel: "Clear"; padLabel: "Sign" }}
}}
''', encoding="utf-8")
    view = QQuickView()
    view.setResizeMode(QQuickView.ResizeMode.SizeRootObjectToView)
    view.setSource(QUrl.fromLocalFile(str(page)))
    assert view.status() == QQuickView.Status.Ready, [e.toString() for e in view.errors()]
    view.resize(W, H + 120)
    view.show()
    assert QTest.qWaitForWindowExposed(view)
    flick = view.rootObject()
    pad = flick.findChild(QObject, "pad")
    _touch_draw(view, [[(W // 2, 10), (W // 2 + 4, H - 10)]])  # straight down: what a flick looks like
    strokes = _strokes(pad)
    assert len(strokes) == 1 and len(strokes[0]) > 3, strokes
    assert flick.property("contentY") == 0
    view.close()
    view.deleteLater()
