"""Every citizen screen, measured on the rendered QML items at every kiosk screen size.

One journey of each sample service is walked in each language at each size;
on every screen the real item tree is checked for what a citizen would meet:
touch targets that overlap or sit closer than 8 px, targets under 44x44 px,
targets outside the window (or, from 1366x768 up, below the fold of a page
that must be seen whole), and text that is elided or clipped.

The default run walks four representatives: English at 1366x768 and 1024x768 (the smallest landscape),
Arabic at 1366x768 and in portrait at 1080x1920 (the parking-card sample at 1366x768 only, see FEWER_SIZES);
`-m slow` runs the whole matrix (every language at every size). A walk takes minutes on a busy two-core
machine, so the default run keeps to these.
"""
from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import pytest

from kiosk.definition import load_catalogue
from kiosk.journey import CHECK
from kiosk.samples import sample_answer
from tests.queue_fixtures import make_queue_config

pytestmark = pytest.mark.timeout(900)

CATALOGUE = load_catalogue([Path(__file__).parents[1] / "kiosk" / "services"])
SERVICES = sorted(CATALOGUE.services)
LANGUAGES = ["en", "pt", "fr", "es", "ar"]
SIZES = [(1366, 768), (1920, 1080), (1024, 768), (1280, 1024), (1080, 1920), (800, 1280)]
MIN_TARGET = 44
MIN_GAP = 8
# Slack for sub-pixel rounding of scaled sizes.
EPS = 0.5


DEFAULT_WALKS = {("en", (1366, 768)), ("en", (1024, 768)), ("ar", (1366, 768)), ("ar", (1080, 1920))}


def _fast(lang: str, size: tuple[int, int]) -> bool:
    return (lang, size) in DEFAULT_WALKS


# Samples walked in the default run only at 1366x768 (every size with -m slow), so that a new sample does not
# make the default walk much longer.
FEWER_SIZES = {"disabled-parking-card"}


def _walked(service_id: str, lang: str, size: tuple[int, int]) -> bool:
    return service_id not in FEWER_SIZES or not _fast(lang, size) or size == (1366, 768)


MATRIX = [pytest.param(lang, size, id=f"{lang}-{size[0]}x{size[1]}",
                       marks=() if _fast(lang, size) else pytest.mark.slow)
          for lang, size in itertools.product(LANGUAGES, SIZES)]


# --- measuring the item tree ----------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    def intersect(self, other: "Rect") -> "Rect":
        x, y = max(self.x, other.x), max(self.y, other.y)
        return Rect(x, y, max(0.0, min(self.right, other.right) - x), max(0.0, min(self.bottom, other.bottom) - y))

    def empty(self) -> bool:
        return self.w <= EPS or self.h <= EPS

    def gap(self, other: "Rect") -> float:
        """Distance between two rectangles; negative when they overlap (by the smaller overlap)."""
        dx = max(other.x - self.right, self.x - other.right)
        dy = max(other.y - self.bottom, self.y - other.bottom)
        if dx < 0 and dy < 0:
            return max(dx, dy)
        return max(dx, dy, 0.0) if (dx < 0) != (dy < 0) else (dx * dx + dy * dy) ** 0.5

    def inside(self, other: "Rect") -> bool:
        return (self.x >= other.x - EPS and self.y >= other.y - EPS
                and self.right <= other.right + EPS and self.bottom <= other.bottom + EPS)

    def __str__(self) -> str:
        return f"({self.x:.0f},{self.y:.0f} {self.w:.0f}x{self.h:.0f})"


def scene_rect(item, x: float = 0.0, y: float = 0.0, w: float | None = None, h: float | None = None) -> Rect:
    from PySide6.QtCore import QRectF
    r = item.mapRectToScene(QRectF(x, y, item.width() if w is None else w, item.height() if h is None else h))
    return Rect(r.x(), r.y(), r.width(), r.height())


def is_interactive(item) -> bool:
    return any(item.inherits(c) for c in ("QQuickAbstractButton", "QQuickTextInput", "QQuickTextEdit"))


def shown(item) -> bool:
    """Visible and not faded out, up the whole parent chain."""
    node = item
    while node is not None:
        if not node.isVisible() or node.opacity() <= 0.01:
            return False
        node = node.parentItem()
    return True


def visible_items(app):
    """Every item a citizen can see: the tree from the window's root, pruned at anything hidden."""
    root = app.window.contentItem()
    while root.parentItem() is not None:
        root = root.parentItem()
    stack = [root]
    while stack:
        item = stack.pop()
        if not item.isVisible() or item.opacity() <= 0.01:
            continue
        yield item
        stack.extend(item.childItems())


def clip_of(item, window: Rect) -> tuple[Rect, object | None]:
    """The part of the window this item can be seen through, and the Flickable that scrolls it (if any)."""
    area, flick, node = window, None, item.parentItem()
    while node is not None:
        if node.clip():
            area = area.intersect(scene_rect(node))
        if flick is None and node.inherits("QQuickFlickable"):
            flick = node
        node = node.parentItem()
    return area, flick


def name_of(item) -> str:
    name = item.objectName() or type(item).__name__
    label = item.property("text")
    return f"{name}[{label[:24]!r}]" if isinstance(label, str) and label else name


def layout_problems(app, *, whole: bool, whole_size: bool = False) -> list[str]:
    """What is wrong with the screen as rendered now. `whole`: everything interactive must be
    reachable without scrolling (required from 1366x768 up, except on check answers)."""
    window = Rect(0, 0, app.window.width(), app.window.height())
    problems: list[str] = []
    targets = []  # (item, full rect, visible rect, flickable)
    texts = []
    items = list(visible_items(app))
    # A modal layer (idle warning, data notice, a dialog) is all a citizen can touch: measure it alone.
    modal = next((i for name in MODALS for i in items if i.objectName() == name), None)
    for item in items:
        if modal is not None and not (item is modal or _nested(modal, item)):
            continue
        if is_interactive(item):
            full = scene_rect(item)
            area, flick = clip_of(item, window)
            targets.append((item, full, full.intersect(area), flick))
        elif item.inherits("QQuickText"):
            texts.append(item)

    for item, full, seen, flick in targets:
        label = name_of(item)
        if item.objectName() in MUST_SEE and not whole_size:
            pass
        elif item.objectName() in MUST_SEE and not (full.inside(seen) and full.inside(window)):
            problems.append(f"{label} {full} must be seen without scrolling (only {seen} is)")
        if full.w < MIN_TARGET - EPS or full.h < MIN_TARGET - EPS:
            problems.append(f"{label} is {full.w:.0f}x{full.h:.0f}, under {MIN_TARGET}x{MIN_TARGET}")
        if item.inherits("QQuickTextInput") and item.height() + 1 < item.implicitHeight():
            # A text field shorter than its own text cuts the typed answer (bigger text) with no sign of it.
            problems.append(f"{label} is {item.height():.0f} px tall, its text needs {item.implicitHeight():.0f}")
        if flick is None or whole:
            if not full.inside(window):
                problems.append(f"{label} {full} is outside the window {window}")
            elif not full.inside(seen) and not seen.empty():
                problems.append(f"{label} {full} is cut off (only {seen} can be seen)")
            elif seen.empty():
                problems.append(f"{label} {full} cannot be seen without scrolling")
        elif not seen.empty() and not seen.inside(window):
            problems.append(f"{label} {seen} is outside the window {window}")

    for (a, fa, sa, ka), (b, fb, sb, kb) in itertools.combinations(targets, 2):
        if _nested(a, b):
            continue
        if ka is not None and ka is kb:
            gap = fa.gap(fb)  # same scrolling page: measured whole, scrolled or not
        elif sa.empty() or sb.empty():
            continue  # one is scrolled out of sight
        else:
            gap = sa.gap(sb)
        if gap < MIN_GAP - EPS:
            what = f"overlap by {-gap:.0f} px" if gap < 0 else f"are {gap:.0f} px apart"
            problems.append(f"{name_of(a)} {fa} and {name_of(b)} {fb} {what} (need {MIN_GAP})")

    for text in texts:
        problems.extend(_text_problems(text, window, whole))
    return problems


# The main action of a screen, seen without scrolling from 1366x768 up even where the page scrolls.
MUST_SEE = ("nextButton", "submitButton", "consentButton", "finishButton", "stoppedFinishButton",
            "moreTimeButton", "dataNoticeClose")

# Layers that cover the screen and take every touch, topmost first.
MODALS = ("idleOverlay", "helpCalledCard", "startAgainDialog", "languageDialog", "displayDialog", "dataNotice")


def _nested(a, b) -> bool:
    for x, y in ((a, b), (b, a)):
        node = y.parentItem()
        while node is not None:
            if node is x:
                return True
            node = node.parentItem()
    return False


def _text_problems(text, window: Rect, whole: bool) -> list[str]:
    value = text.property("text")
    if not isinstance(value, str) or not value.strip():
        return []
    label = f"text {value[:40]!r}"
    problems = []
    if text.property("truncated"):
        problems.append(f"{label} is elided")
    no_wrap = int(_qml(text, "wrapMode") or 0) == 0
    width, height = text.width(), text.height()
    if no_wrap and width > 0 and text.implicitWidth() > width + 1:
        problems.append(f"{label} needs {text.implicitWidth():.0f} px, has {width:.0f}")
    content_w = float(text.property("contentWidth") or 0)
    content_h = float(text.property("contentHeight") or 0)
    if height > 0 and content_h > height + 1:
        problems.append(f"{label} is {content_h:.0f} px tall in a {height:.0f} px box")
    # The glyphs as drawn must stay inside whatever clips them and inside the button they label.
    align = int(_qml(text, "effectiveHorizontalAlignment") or 1)
    x0 = 0.0 if align & 1 else (width - content_w if align & 2 else (width - content_w) / 2)
    drawn = scene_rect(text, x0, 0, content_w, max(content_h, 1.0))
    area, flick = clip_of(text, window)
    if flick is not None and not whole:
        # A scrolling page: text below the fold is reached by scrolling; only sideways clipping counts.
        area = Rect(area.x, drawn.y, area.w, drawn.h)
    seen = drawn.intersect(area)
    if seen.empty():
        return problems
    if not drawn.inside(area):
        problems.append(f"{label} {drawn} is cut off at {area}")
    button = _in_button(text)
    if button is not None and not drawn.inside(scene_rect(button)):
        problems.append(f"{label} {drawn} spills out of its button {scene_rect(button)}")
    return problems


def _qml(item, expression: str):
    """Read a property Python cannot convert (an enum) by letting QML evaluate it."""
    from PySide6.QtQml import QQmlEngine, QQmlExpression
    context = QQmlEngine.contextForObject(item) or _ENGINE[0].rootContext()
    value, _ = QQmlExpression(context, item, expression).evaluate()
    return value


_ENGINE: list = [None]


def _in_button(item):
    node = item.parentItem()
    while node is not None:
        if node.inherits("QQuickAbstractButton"):
            return node
        node = node.parentItem()
    return None


# --- walking the screens --------------------------------------------------------------------------

def settle(app, rounds: int = 4) -> None:
    from PySide6.QtCore import QCoreApplication, QEventLoop, QThread
    for _ in range(rounds):
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        QThread.msleep(2)


def screens(app, lang: str, service_id: str):
    """Drive one journey through the bridge; yield (screen name, may it scroll?) at each screen."""
    bridge = app.bridge
    service = CATALOGUE.services[service_id]
    bridge.wipe()
    first_service = service_id == SERVICES[0]  # the screens before a service are measured once
    if first_service:
        yield "attract", False
    bridge.start()
    if first_service:
        yield "language", False
    bridge.chooseLanguage(lang)
    if first_service:
        yield "services", True  # a list: a catalogue of more services than fit on one screen scrolls
    bridge.chooseService(service_id)
    if bridge.screen == "start":
        yield "start", True
        app.bridge.showDataNotice(True)
        yield "data notice", True
        app.bridge.showDataNotice(False)
        bridge.begin()
    first = True
    for _ in range(len(service.pages) + 1):
        if bridge.journey.step == CHECK:
            break
        page = bridge.journey.page
        if first and page.required:
            bridge.next()
            yield f"{page.id} (error)", False
            first = False
            for popup in ("startAgainPopup", "languagePopup", "displayPopup"):
                _popup(app, popup, True)
                yield popup, False
                _popup(app, popup, False)
            bridge.callHelper()
            yield "helper called", False
            app.mediator.cancelHelp()
            bridge.help.call(service_id, "question")  # waiting with the card closed: the flag alone
            yield "helper flag", False
            bridge.cancelHelp()
        if page.stop is not None:
            bridge.chooseOption(page.stop.when.equals)
            bridge.next()
            yield "stopped", False
            bridge.back()
        answer = sample_answer(page, service)
        if page.type in ("single_choice", "yes_no"):
            bridge.chooseOption(answer)
        elif page.type == "multiple_choice":
            for value in answer:
                bridge.chooseOption(value)
        elif page.type == "date":
            bridge.setDateAnswer(*answer.split("/"))
        else:
            bridge.setAnswer(answer)
        bridge.changed.emit()
        yield page.id, False
        bridge.next()
    yield "check", True
    bridge.submit()  # refused without consent: the message must show too
    yield "check (no consent)", True
    bridge.giveConsent(True)
    yield "check (consent)", True
    bridge.moreTime()
    app.clock[0] += app.bridge.config.idle_seconds + 2
    bridge._tick()
    yield "idle warning", False
    bridge.moreTime()
    bridge.submit()
    for _ in range(400):
        if bridge.screen == "done":
            break
        settle(app, 1)
    assert bridge.screen == "done", bridge.submitError
    yield "done", True


def _popup(app, name: str, shown: bool) -> None:
    from PySide6.QtCore import QObject
    popup = app.window.findChild(QObject, name)
    popup.setProperty("visible", shown)


def open_walk_app(tmp: Path):
    """The kiosk a walk drives (module-scoped fixtures share one): a hand-moved clock in `app.clock[0]`, its
    engine where the walk's helpers find it, the first layout settled. Close with `app.close()`."""
    from ui.app import KioskApp
    config, _ = make_queue_config(tmp)
    now = [1000.0]
    app = KioskApp(config, windowed=True, size=(1366, 768), clock=lambda: now[0])
    app.clock = now
    _ENGINE[0] = app.engine
    settle(app, 10)
    return app


@pytest.fixture(scope="module")
def kiosk_app(tmp_path_factory):
    app = open_walk_app(tmp_path_factory.mktemp("layout"))
    yield app
    app.close()


def walk(app, lang: str, size: tuple[int, int]) -> list[str]:
    app.window.resize(*size)
    settle(app)
    found = []
    tall_enough = size[0] >= 1366 and size[1] >= 768 or size[1] >= 1024
    for service_id in [s for s in SERVICES if _walked(s, lang, size)]:
        for screen, may_scroll in screens(app, lang, service_id):
            settle(app)
            for problem in layout_problems(app, whole=tall_enough and not may_scroll, whole_size=tall_enough):
                found.append(f"{lang} {size[0]}x{size[1]} {service_id} {screen}: {problem}")
    app.bridge.wipe()
    return found


@pytest.mark.parametrize("lang,size", MATRIX)
def test_every_screen_fits(kiosk_app, lang, size):
    problems = walk(kiosk_app, lang, size)
    assert not problems, f"{len(problems)} layout problems:\n" + "\n".join(dict.fromkeys(problems))


@pytest.mark.slow
def test_kiosk_screenshots_takes_portrait_sizes_and_exits_0(tmp_path):
    """`kiosk screenshots` in its own process, as a translator or designer runs it."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, PONTE_DATA_DIR=str(tmp_path / "data"), QT_QPA_PLATFORM="offscreen")
    out = tmp_path / "shots"
    result = subprocess.run([sys.executable, "-m", "commands", "screenshots", str(out), "--size", "800x1280",
                             "--size", "1080x1920", "--lang", "ar", "--service", "birth-certificate"],
                            capture_output=True, text=True, cwd=Path(__file__).parents[1], env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    for size in ("800x1280", "1080x1920"):
        folder = out / size / "ar" / "birth-certificate"
        for name in ("02-start.png", "03-data-notice.png", "90-check.png", "99-done.png"):
            assert (folder / name).stat().st_size > 1000, f"{size}/{name}"
        assert list(folder.glob("*-stopped.png")), "the eligibility stop is rendered"
