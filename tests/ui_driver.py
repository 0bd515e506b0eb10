"""Drive the real QML screens the way a finger would: find by objectName, click, type."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QGuiApplication, QKeyEvent
from PySide6.QtQuick import QQuickItem
from PySide6.QtTest import QTest

from kiosk.journey import CHECK
from kiosk.samples import sample_answer


class FakeClock:
    """Monotonic seconds moved by hand (`clock.now += 61`), so idle and timeout tests take no real minute."""

    def __init__(self, now: float = 1000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def open_kiosk(qtbot, config, *, size: tuple[int, int] = (1366, 768), clock: FakeClock | None = None) -> Driver:
    """The real kiosk in a window of `size`, on a hand-moved clock, with a Driver; close with
    `driver.app.close()`. The driver carries `config` and `clock`."""
    from ui.app import KioskApp
    clock = clock or FakeClock()
    app = KioskApp(config, windowed=True, size=size, clock=clock)
    qtbot.waitExposed(app.window)
    driver = Driver(app, qtbot)
    driver.config, driver.clock = config, clock
    return driver


class Driver:
    def __init__(self, app, qtbot):
        self.app = app
        self.qtbot = qtbot
        self.window = app.window
        qtbot.waitExposed(self.window)
        qtbot.wait(50)  # first layout pass, so positions are final before the first touch

    def items(self):
        return self.app.items()

    def item(self, name: str) -> QQuickItem:
        # Views build their delegates on the next frame: give them a moment.
        try:
            self.qtbot.waitUntil(lambda: self.has(name), timeout=2000)
        except Exception:  # noqa: BLE001 - the assertion below says what is missing
            pass
        found = [i for i in self.items() if i.objectName() == name and i.isVisible()]
        assert found, f"no visible item named {name!r} on the {self.app.bridge.screen} screen"
        return found[0]

    def has(self, name: str) -> bool:
        return any(i.objectName() == name and i.isVisible() for i in self.items())

    def settle(self) -> None:
        self.qtbot.wait(30)

    def click(self, name: str) -> None:
        item = self.item(name)
        self.ensure_visible(item)
        centre = item.mapToScene(QPointF(item.width() / 2, item.height() / 2)).toPoint()
        assert 0 <= centre.x() < self.window.width() and 0 <= centre.y() < self.window.height(), \
            f"{name} is off screen at {centre}"
        QTest.mouseClick(self.window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre)
        self.settle()

    def ensure_visible(self, item: QQuickItem) -> None:
        # Scroll the enclosing Flickable so the item is on screen, as a finger would.
        parent = item.parentItem()
        while parent is not None and parent.property("contentY") is None:
            parent = parent.parentItem()
        if parent is None:
            return
        top = item.mapToItem(parent.property("contentItem"), QPointF(0, 0)).y()
        height = parent.height()
        if top < parent.property("contentY") or top + item.height() > parent.property("contentY") + height:
            max_y = max(0.0, parent.property("contentHeight") - height)
            parent.setProperty("contentY", min(max(0.0, top - 20), max_y))
            self.settle()

    def type_into(self, name: str, text: str) -> None:
        self.click(name)
        field = self.item(name)
        field.setProperty("text", "")
        for ch in text:
            # Printable ASCII maps straight to Qt key codes; others go as text only.
            key = ord(ch.upper()) if 32 <= ord(ch) < 127 else 0
            for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                QGuiApplication.sendEvent(self.window, QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier, ch))
        self.settle()
        assert field.property("text") == text, f"{name} holds {field.property('text')!r}, typed {text!r}"

    def text_of(self, name: str) -> str:
        return self.item(name).property("text")

    def all_text(self) -> str:
        """Every string any visible item shows, to look for what must not be there."""
        return "\n".join(i.property("text") for i in self.items()
                         if i.isVisible() and isinstance(i.property("text"), str))

    def answer_page(self, page, service, answer=None) -> None:
        answer = sample_answer(page, service) if answer is None else answer
        if page.type in ("single_choice", "yes_no"):
            self.click(f"option_{answer}")
        elif page.type == "multiple_choice":
            for value in answer:
                self.click(f"option_{value}")
        elif page.type == "date":
            day, month, year = answer.split("/")
            self.type_into("dayField", day)
            self.type_into("monthField", month)
            self.type_into("yearField", year)
        elif page.type == "long_text":
            self.type_into("answerArea", answer)
        elif page.type == "signature":
            self.sign()
        elif page.type == "document":
            self.add_pages(len(answer))
        else:
            self.type_into("answerField", answer)

    def sign(self) -> None:
        """Draw a stroke across the signature pad with one finger (real touch events)."""
        from PySide6.QtCore import QPoint, QPointF
        area = self.item("signatureArea")
        self.ensure_visible(area)
        origin = area.mapToScene(QPointF(0, 0))
        # A mostly level line along the top of the pad: the top is in view once scrolled to (the bottom may be
        # under the footer on a small screen), and a page that scrolls takes a steep stroke as a flick.
        w, mid = area.width(), min(area.height() / 2, 45)
        points = [QPoint(round(origin.x() + w * (0.2 + 0.06 * k)), round(origin.y() + mid + (3 if k % 2 else -3)))
                  for k in range(11)]
        assert all(0 <= p.y() < self.window.height() for p in points), "the signature pad is off screen"
        device = QTest.createTouchDevice()
        QTest.touchEvent(self.window, device).press(0, points[0]).commit()
        for point in points[1:]:
            QTest.qWait(10)
            QTest.touchEvent(self.window, device).move(0, point).commit()
        QTest.touchEvent(self.window, device).release(0, points[-1]).commit()
        self.settle()

    def add_pages(self, count: int) -> None:
        """Add `count` pages with "Take a photo" (the kiosk's [documents] camera must be a "files:FOLDER" stand-in)."""
        docs = self.app.documents
        for _ in range(count):
            wanted = docs.count + 1
            self.click("docSource_camera")
            self.click("docTakePhoto")
            self.qtbot.waitUntil(lambda wanted=wanted: not docs.busy and not docs.tasks.busy
                                 and docs.count == wanted, timeout=30000)
            self.settle()

    def complete_questions(self, service, answers: dict | None = None) -> dict:
        """Answer every page shown until check answers; return what was entered by page id."""
        bridge = self.app.bridge
        entered = {}
        for _ in range(len(service.pages) + 1):
            if bridge.journey.step == CHECK:
                break
            page = bridge.journey.page
            value = (answers or {}).get(page.id, sample_answer(page, service))
            self.answer_page(page, service, value)
            entered[page.id] = value
            self.click("nextButton")
            assert bridge.error == "", f"{service.id}/{page.id}: {bridge.error}"
        assert bridge.journey.step == CHECK
        return entered
