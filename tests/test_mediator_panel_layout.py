"""The mediator's panel never lies over a citizen's control: the citizen's screen makes room.

A mediator signs in with the PIN beside a citizen (the real PIN check), then
one journey is walked with the panel open on every kind of screen: the
service's start page, the data notice, a question with its error, the Start
again / Language / Display dialogs, every question with the keyboard up on
text ones, check answers, the idle warning and the confirmation. On each, no
interactive citizen item (button, field) may intersect the panel, at
1366x768, 1024x768 and 1080x1920, in English (panel on the right) and Arabic
(panel on the left). The panel's text follows the citizen screen's sizes.
"""
from __future__ import annotations

import pytest

from kiosk.journey import CHECK
from kiosk.mediators import MediatorStore
from kiosk.samples import sample_answer
from tests.queue_fixtures import make_queue_config
from tests.test_layout import _ENGINE, _nested, _popup, is_interactive, scene_rect, settle

pytestmark = pytest.mark.timeout(600)

PIN = "482913"
SERVICE = "change-of-address"
SIZES = [(1366, 768), (1024, 768), (1080, 1920)]
# 1366x768 in both directions by default; the other sizes (minutes on a shared machine) with -m slow.
MATRIX = [pytest.param(lang, size, id=f"{lang}-{size[0]}x{size[1]}",
                       marks=() if size == (1366, 768) else pytest.mark.slow)
          for size in SIZES for lang in ("en", "ar")]


@pytest.fixture(scope="module")
def kiosk_app(tmp_path_factory):
    from ui.app import KioskApp
    import dataclasses
    config, _ = make_queue_config(tmp_path_factory.mktemp("panel"))
    # The walk drives the bridge, not the touch screen: no idle sign-out or PIN again meanwhile.
    config = dataclasses.replace(config, raw={**config.raw, "mediator": {"idle_signout_seconds": 3600,
                                                                         "reauth_minutes": 600}})
    store = MediatorStore.for_config(config)
    store.add("ana.s", "Ana Silva", "mediator", PIN)
    store.close()
    now = [1000.0]
    app = KioskApp(config, windowed=True, size=(1366, 768), clock=lambda: now[0])
    app.clock = now
    app.mediator.console.clock_probe = False
    _ENGINE[0] = app.engine
    settle(app, 10)
    yield app
    app.mediator.close()
    app.close()


def find(app, name: str):
    return next((i for i in app.items() if i.objectName() == name and i.isVisible()), None)


def sign_in(app) -> None:
    """The PIN pad, as the mediator would use it; the panel opens beside the citizen."""
    from PySide6.QtCore import QCoreApplication
    ctrl = app.mediator
    ctrl.openPin()
    pad = ctrl.pin
    for digit in PIN:
        pad.pressKey(pad.keypad.index(digit))
    pad.submit()
    for _ in range(2000):
        if not ctrl.tasks.busy and ctrl.layer.view == "panel":
            break
        QCoreApplication.processEvents()
        settle(app, 1)
    assert ctrl.layer.view == "panel", ctrl.layer.view


def open_keyboard(app) -> bool:
    from PySide6.QtGui import QGuiApplication
    field = find(app, "answerField") or find(app, "answerArea") or find(app, "dayField")
    if field is None:
        return False
    field.forceActiveFocus()
    QGuiApplication.inputMethod().show()
    settle(app, 6)
    return True


def journey_with_panel(app, lang: str):
    """Walk one journey with the mediator's panel open; yield the name of each screen shown."""
    from PySide6.QtGui import QGuiApplication
    bridge, service = app.bridge, app.catalogue.services[SERVICE]
    bridge.wipe()
    bridge.start()
    bridge.chooseLanguage(lang)
    bridge.chooseService(SERVICE)
    sign_in(app)
    yield "services→start"
    bridge.showDataNotice(True)
    yield "data notice"
    bridge.showDataNotice(False)
    bridge.begin()
    first = True
    for _ in range(len(service.pages) + 1):
        if bridge.journey.step == CHECK:
            break
        page = bridge.journey.page
        if first and page.required:
            bridge.next()
            yield f"{page.id} (error)"
            for popup in ("startAgainPopup", "languagePopup", "displayPopup"):
                _popup(app, popup, True)
                yield popup
                _popup(app, popup, False)
            app.mediator.hidePanel()
            yield f"{page.id} (panel folded to its tab)"
            app.mediator.showPanel()
            first = False
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
        yield page.id
        settle(app)
        if open_keyboard(app):
            yield f"{page.id} (keyboard)"
            QGuiApplication.inputMethod().hide()
            settle(app)
        bridge.next()
    yield "check"
    bridge.giveConsent(True)
    yield "check (consent)"
    app.clock[0] += bridge.config.idle_seconds + 2
    bridge._tick()
    yield "idle warning"
    bridge.moreTime()
    bridge.submit()
    for _ in range(400):
        if bridge.screen == "done":
            break
        settle(app, 1)
    assert bridge.screen == "done", bridge.submitError
    yield "done"


def overlaps(app, lang: str, screen: str) -> list[str]:
    """Citizen controls the panel (or its tab) lies over, and a panel on the wrong side."""
    layer = find(app, "mediatorLayer")
    mediator_item = find(app, "mediatorPanel") or find(app, "mediatorTab")
    assert mediator_item is not None, f"{screen}: neither the panel nor its tab is shown"
    strip = scene_rect(mediator_item)
    width = app.window.width()
    problems = []
    if lang == "ar" and strip.x > 16:
        problems.append(f"{screen}: the panel is at x={strip.x:.0f}, not on the left in Arabic")
    if lang != "ar" and strip.right < width - 16:
        problems.append(f"{screen}: the panel ends at x={strip.right:.0f}, not at the right edge")
    controls = 0
    for item in app.items():
        if not is_interactive(item) or _nested(layer, item) or not shown(item):
            continue
        controls += 1
        rect = scene_rect(item)
        if not rect.intersect(strip).empty():
            problems.append(f"{screen}: {item.objectName() or type(item).__name__} {rect} lies under the panel {strip}")
    if controls == 0:
        problems.append(f"{screen}: no citizen control found to measure")
    return problems


def shown(item) -> bool:
    node = item
    while node is not None:
        if not node.isVisible() or node.opacity() <= 0.01:
            return False
        node = node.parentItem()
    return True


@pytest.mark.parametrize("lang,size", MATRIX)
def test_panel_open_covers_no_citizen_control(kiosk_app, lang, size):
    kiosk_app.window.resize(*size)
    settle(kiosk_app)
    problems, seen = [], []
    for screen in journey_with_panel(kiosk_app, lang):
        settle(kiosk_app)
        seen.append(screen)
        problems.extend(overlaps(kiosk_app, lang, screen))
    kiosk_app.bridge.wipe()
    assert any("(keyboard)" in s for s in seen) and "check" in seen and "done" in seen, seen
    assert not problems, f"{len(problems)} controls under the panel:\n" + "\n".join(problems)


def test_panel_text_is_as_large_as_the_citizen_screen(kiosk_app):
    kiosk_app.window.resize(1366, 768)
    walk = journey_with_panel(kiosk_app, "pt")
    next(walk)
    settle(kiosk_app)
    sizes = {}
    for name in ("panelTitle", "panelRequirements", "panelRequirementsTitle", "panelHide", "panelHandBack"):
        item = find(kiosk_app, name)
        assert item is not None, name
        if item.inherits("QQuickAbstractButton"):
            item = item.property("contentItem")
        sizes[name] = item.property("font").pixelSize()
    assert min(sizes.values()) >= 24, sizes  # Theme.small, the citizen screen's smallest text
    # "What the citizen needs" is shown whole: wrapped, not elided, in view without scrolling.
    req = find(kiosk_app, "panelRequirements")
    assert req.property("text") and not req.property("truncated")
    panel = scene_rect(find(kiosk_app, "mediatorPanel"))
    assert scene_rect(req).inside(panel), (scene_rect(req), panel)
    kiosk_app.bridge.wipe()


def test_panel_at_1024x768_shows_what_the_citizen_needs_whole(kiosk_app):
    """At 1024x768 the panel's strip is narrow: a notice (no microphone here) comes after what the citizen
    needs, not above it, so that stays whole in view; the citizen's helper bar is as tall as its line."""
    kiosk_app.window.resize(1024, 768)
    settle(kiosk_app)
    walk = journey_with_panel(kiosk_app, "en")
    next(walk)
    settle(kiosk_app, 10)
    req, scroll = find(kiosk_app, "panelRequirements"), find(kiosk_app, "panelScroll")
    assert req is not None and scroll is not None and req.property("text")
    assert scene_rect(req).inside(scene_rect(scroll)), (scene_rect(req), scene_rect(scroll))
    bar, header = find(kiosk_app, "assistBar"), find(kiosk_app, "headerBand")
    assert bar is not None and not kiosk_app.mediator.assist.mayFill
    text = find(kiosk_app, "assistBarText")
    assert bar.height() <= text.implicitHeight() + 20, (bar.height(), text.implicitHeight())
    assert scene_rect(bar).y >= scene_rect(header).bottom - 1  # under the header, not over it
    kiosk_app.bridge.wipe()
    kiosk_app.window.resize(1366, 768)


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_start_page_keeps_the_header_whole_at_1024x768_with_the_panel(kiosk_app, lang):
    """The panel leaves the start page a few lines at 1024x768: its data bar then scrolls with the page instead
    of standing at its foot, where it rose over the header and hid Language and Call a helper (Arabic)."""
    kiosk_app.window.resize(1024, 768)
    settle(kiosk_app)
    walk = journey_with_panel(kiosk_app, lang)
    assert next(walk) and kiosk_app.bridge.screen == "start"
    settle(kiosk_app, 10)
    from tests.test_layout import Rect, clip_of
    window = Rect(0, 0, kiosk_app.window.width(), kiosk_app.window.height())
    item = find(kiosk_app, "startDataBar")
    bar = scene_rect(item).intersect(clip_of(item, window)[0])  # the part of it that is drawn
    for name in ("languageButton", "callHelperButton", "assistBar", "headerBand"):
        item = find(kiosk_app, name)
        assert item is not None, name
        covered = scene_rect(item).intersect(bar)
        assert covered.empty() or covered.w < 1 or covered.h < 1, f"the data bar {bar} covers {name} {scene_rect(item)}"
    kiosk_app.bridge.wipe()
    kiosk_app.window.resize(1366, 768)
