"""Text and non-text contrast measured on the rendered QML items of every screen type (issue 12, "Seeing").

One journey of each sample service is walked with the real app offscreen (the same screens as
tests/test_layout.py). On each screen every visible text (Text, Label, field, placeholder) with
non-empty text is measured against what is really painted beneath it: the items are put in Qt
Quick's paint order (children sorted by z, negative z beneath the parent), and every Rectangle
painted before the text that covers the text's centre (inside its ancestors' clips) is composited,
with its alpha and effective opacity, over the window's colour. Colours come from the items, never
from a list kept beside them.

Thresholds (WCAG 2.x, 1.4.6 enhanced and 1.4.11 non-text):
- text: 7:1; large text (>= 30 px, or >= 24 px bold) 4.5:1;
- the scroll cue (a page's ScrollIndicator, the only sign that it continues): 3:1.
Text inside a disabled control and text under a layer painted over it (a modal's shade) is not
measured: WCAG exempts inactive components, and a modal's own texts are measured on top.

The default run: every service in English in the normal theme, the first service in Arabic, and
the first service in high contrast; `-m slow` walks every language in both themes.
"""
from __future__ import annotations

import dataclasses
import itertools

import pytest
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor

from tests.queue_fixtures import make_queue_config
from tests.test_layout import LANGUAGES, SERVICES, screens, settle

pytestmark = pytest.mark.timeout(900)

TEXT_MIN = 7.0
LARGE_TEXT_MIN = 4.5
NON_TEXT_MIN = 3.0
TEXT_TYPES = ("QQuickText", "QQuickTextInput", "QQuickTextEdit")

RGB = tuple[float, float, float]


# --- colour arithmetic (WCAG 2.x) -----------------------------------------------------------------

def _channel(c: float) -> float:
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def luminance(rgb: RGB) -> float:
    """WCAG relative luminance of an sRGB colour with channels in 0..1."""
    r, g, b = (_channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: RGB, b: RGB) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def over(color: QColor, alpha: float, below: RGB) -> RGB:
    """`color` painted with `alpha` (its own alpha times the item's opacity) over `below`."""
    a = color.alphaF() * alpha
    return (color.redF() * a + below[0] * (1 - a), color.greenF() * a + below[1] * (1 - a),
            color.blueF() * a + below[2] * (1 - a))


def hexed(rgb: RGB) -> str:
    return "#" + "".join(f"{round(c * 255):02x}" for c in rgb)


def test_contrast_arithmetic_matches_wcag_figures():
    white, black = (1.0, 1.0, 1.0), (0.0, 0.0, 0.0)
    assert contrast(white, black) == pytest.approx(21.0)
    blue = QColor("#1d70b8")
    assert contrast(white, (blue.redF(), blue.greenF(), blue.blueF())) == pytest.approx(5.17, abs=0.01)
    assert over(QColor("#000000"), 0.5, white) == pytest.approx((0.5, 0.5, 0.5))


# --- the rendered item tree -----------------------------------------------------------------------

@dataclasses.dataclass
class Painted:
    item: object
    opacity: float   # effective: the product of opacities down the tree
    clip: QRectF     # the scene area the item can draw in (its ancestors' clips)
    order: int


def paint_order(window) -> list[Painted]:
    """Every visible item in the order Qt Quick paints it, pruned at anything hidden."""
    root = window.contentItem()
    while root.parentItem() is not None:
        root = root.parentItem()
    out: list[Painted] = []

    def visit(item, opacity: float, clip: QRectF) -> None:
        if not item.isVisible() or item.opacity() <= 0.0:
            return
        opacity *= item.opacity()
        children = sorted(item.childItems(), key=lambda c: c.z())  # stable: same z keeps declaration order
        inner = clip.intersected(item.mapRectToScene(item.boundingRect())) if item.clip() else clip
        for child in children:
            if child.z() < 0:
                visit(child, opacity, inner)
        out.append(Painted(item, opacity, clip, len(out)))
        for child in children:
            if child.z() >= 0:
                visit(child, opacity, inner)

    visit(root, 1.0, QRectF(0, 0, window.width(), window.height()))
    return out


@dataclasses.dataclass(frozen=True)
class Layer:
    """A Rectangle with some colour, where and in which order it is painted."""
    order: int
    area: QRectF     # its scene rectangle within its ancestors' clips
    color: QColor
    opacity: float


def layers(painted: list[Painted]) -> list[Layer]:
    """The coloured Rectangles of a paint order (gradients and images are not measured)."""
    found = []
    for p in painted:
        if not p.item.inherits("QQuickRectangle"):
            continue
        color = p.item.property("color")
        if isinstance(color, QColor) and color.alpha() > 0:
            area = p.item.mapRectToScene(p.item.boundingRect()).intersected(p.clip)
            if not area.isEmpty():
                found.append(Layer(p.order, area, color, p.opacity))
    return found


def background_at(window, below: list[Layer], before: int, point: QPointF) -> RGB:
    """The colour painted at `point` by every layer before paint position `before`, the window at the bottom."""
    wc = window.color()
    colour: RGB = (wc.redF(), wc.greenF(), wc.blueF())
    for layer in below:
        if layer.order >= before:
            break
        if layer.area.contains(point):
            colour = over(layer.color, layer.opacity, colour)
    return colour


def covered_later(above: list[Layer], after: int, point: QPointF) -> bool:
    """Is any colour painted over `point` after paint position `after` (a modal's shade, a card)?"""
    return any(layer.order > after and layer.area.contains(point) for layer in above)


def _enabled(item) -> bool:
    node = item
    while node is not None:
        if not node.isEnabled():
            return False
        node = node.parentItem()
    return True


def _large(item) -> bool:
    font = item.property("font")
    size = font.pixelSize() if font.pixelSize() > 0 else font.pointSizeF() * 4 / 3
    return size >= 30 or (size >= 24 and font.weight() >= 600)


def _label(item) -> str:
    text = " ".join(str(item.property("text")).split())
    return f"{item.objectName() or item.metaObject().className().split('_QML')[0]}[{text[:30]!r}]"


@dataclasses.dataclass(frozen=True)
class Reading:
    """One measured pair: what (text or cue), its colours, the ratio and the minimum it needs."""
    what: str
    fg: str
    bg: str
    ratio: float
    needed: float

    def __str__(self) -> str:
        return f"{self.what} {self.fg} on {self.bg} = {self.ratio:.2f}:1 (needs {self.needed:g})"


def measure(window) -> list[Reading]:
    """Every text and scroll cue seen on the window now, with its contrast."""
    painted = paint_order(window)
    coloured = layers(painted)
    readings = []
    for p in painted:
        item = p.item
        if any(item.inherits(t) for t in TEXT_TYPES):
            text = item.property("text")
            color = item.property("color")
            if not isinstance(text, str) or not text.strip() or not isinstance(color, QColor) or not _enabled(item):
                continue
            # The middle of the glyphs' box where it is seen (a page scrolled part-way shows part of it).
            box = item.mapRectToScene(QRectF(0, 0, item.width(), item.height())).intersected(p.clip)
            if box.isEmpty():
                continue
            point = box.center()
            if covered_later(coloured, p.order, point):
                continue
            below = background_at(window, coloured, p.order, point)
            fg = over(color, p.opacity, below)
            needed = LARGE_TEXT_MIN if _large(item) else TEXT_MIN
            readings.append(Reading(_label(item), hexed(fg), hexed(below), contrast(fg, below), needed))
        elif item.inherits("QQuickScrollIndicator") and item.property("active") and item.property("size") < 1:
            cue = item.property("contentItem")
            if cue is None or not cue.isVisible() or not isinstance(cue.property("color"), QColor):
                continue
            centre = cue.mapToScene(QPointF(cue.width() / 2, cue.height() / 2))
            mine = next(q for q in painted if q.item is cue) if cue.opacity() > 0 else None
            # Measured as it shows while the page moves (its animation's end), beneath the cue itself.
            opacity = mine.opacity if mine is not None else p.opacity * 0.75
            order = mine.order if mine is not None else p.order
            below = background_at(window, coloured, order, centre)
            fg = over(cue.property("color"), opacity, below)
            readings.append(Reading(f"scroll cue {item.parentItem().objectName() or 'page'}", hexed(fg),
                                    hexed(below), contrast(fg, below), NON_TEXT_MIN))
    return readings


def _flickables(window) -> list:
    return [p.item for p in paint_order(window)
            if p.item.inherits("QQuickFlickable") and p.item.property("contentHeight") > p.item.height() + 1]


def measure_scrolled(app) -> list[Reading]:
    """Measure the screen, then every scrolling page a screen-height further down, to its end."""
    readings = measure(app.window)
    for flick in _flickables(app.window):
        start, end = flick.property("contentY"), flick.property("contentHeight") - flick.height()
        y = start
        while y < end:
            y = min(end, y + flick.height() * 0.8)
            flick.setProperty("contentY", y)
            settle(app, 2)
            readings.extend(measure(app.window))
        flick.setProperty("contentY", start)
        settle(app, 2)
    return readings


# --- walking the screens --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def kiosk_app(tmp_path_factory):
    from ui.app import KioskApp
    tmp = tmp_path_factory.mktemp("contrast")
    config, _ = make_queue_config(tmp)
    now = [1000.0]
    app = KioskApp(config, windowed=True, size=(1366, 768), clock=lambda: now[0])
    app.clock = now
    settle(app, 10)
    yield app
    app.close()


def walk(app, lang: str, services: list[str], high_contrast: bool) -> dict[str, list[Reading]]:
    """Readings by screen (`service screen`) for one journey of each service."""
    theme = "high-contrast" if high_contrast else "normal"
    found: dict[str, list[Reading]] = {}
    for service_id in services:
        for screen, _ in screens(app, lang, service_id):
            app.bridge.setHighContrast(high_contrast)  # the wipe at a journey's start resets it
            settle(app)
            found[f"{lang} {theme} {service_id} {screen}"] = measure_scrolled(app)
    app.bridge.setHighContrast(False)
    app.bridge.wipe()
    return found


def failures(found: dict[str, list[Reading]]) -> list[str]:
    return list(dict.fromkeys(f"{screen}: {r}" for screen, readings in found.items()
                              for r in readings if r.ratio < r.needed - 0.005))


FIRST = SERVICES[0]  # its journey also passes the attract, language and services screens
# The default run walks one service three ways (every screen type but the document and signature pages, which
# the parking card alone has); every service in every language and theme runs with -m slow.
MATRIX = [pytest.param("en", (FIRST,), False, id=f"en-normal-{FIRST}"),
          pytest.param("ar", (FIRST,), False, id=f"ar-normal-{FIRST}"),
          pytest.param("en", (FIRST,), True, id=f"en-high-contrast-{FIRST}")]
MATRIX += [pytest.param(lang, tuple(SERVICES), hc, id=f"{lang}-{'high-contrast' if hc else 'normal'}-every-service",
                        marks=pytest.mark.slow)
           for lang, hc in itertools.product(LANGUAGES, (False, True))]


@pytest.mark.parametrize("lang,services,high_contrast", MATRIX)
def test_every_text_and_scroll_cue_contrasts(kiosk_app, lang, services, high_contrast):
    found = walk(kiosk_app, lang, list(services), high_contrast)
    texts = [r for readings in found.values() for r in readings if not r.what.startswith("scroll cue")]
    assert len(texts) > 20 * len(services), "the walk measured almost nothing: is the tree walked at all?"
    problems = failures(found)
    assert not problems, f"{len(problems)} contrast problems:\n" + "\n".join(problems)


def test_a_low_contrast_text_is_caught(kiosk_app):
    """The walk must be able to fail: grey on white at 2.3:1 on the question screen."""
    app = kiosk_app
    app.bridge.wipe()
    app.bridge.start()
    app.bridge.chooseLanguage("en")
    app.bridge.chooseService(FIRST)
    if app.bridge.screen == "start":
        app.bridge.begin()
    settle(app)
    texts = [p.item for p in paint_order(app.window)
             if p.item.inherits("QQuickText") and str(p.item.property("text")).strip() and _enabled(p.item)]
    victim = texts[len(texts) // 2]
    old = victim.property("color")
    victim.setProperty("color", QColor("#999999"))
    try:
        settle(app)
        assert any(r.ratio < r.needed and "#999999" in r.fg or r.what == _label(victim) and r.ratio < r.needed
                   for r in measure(app.window))
    finally:
        victim.setProperty("color", old)
        app.bridge.wipe()
