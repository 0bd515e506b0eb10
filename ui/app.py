"""Start the touch UI: one QGuiApplication, one QML engine, the bridge as `kiosk`."""
from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

QML_DIR = Path(__file__).parent / "qml"
log = logging.getLogger(__name__)


def prepare_environment(offscreen: bool = False) -> None:
    """Set what Qt reads at start-up: the virtual keyboard, and offscreen where asked."""
    os.environ.setdefault("QT_IM_MODULE", "qtvirtualkeyboard")
    os.environ.setdefault("QT_QUICK_CONTROLS_STYLE", "Basic")
    if offscreen:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"


from PySide6.QtCore import QEvent, QObject, Property, Signal  # noqa: E402

# The face for Arabic script. Latin text keeps the system's face; Arabic is drawn in this one.
ARABIC_FACE = "Noto Sans Arabic"
ARABIC_FONT_FILES = ("/usr/share/fonts/truetype/noto/NotoSansArabic-Regular.ttf",
                     "/usr/share/fonts/truetype/noto/NotoSansArabic-Bold.ttf")


def use_arabic_face(qt) -> list[str]:
    """Make the application font draw Arabic in Noto Sans Arabic, Latin in its own face.

    The default face (Noto Sans or DejaVu Sans) comes first, so every Latin
    letter, digit and sign is drawn as before; it has no Arabic (or, for
    DejaVu, a plain one), and the family list sends Arabic script to the
    Arabic face. Set before the screens load: a QML Text takes the
    application font when it is made, so every Text in every language follows
    without naming a family. Returns the families in use.
    """
    from PySide6.QtGui import QFont, QFontDatabase, QFontInfo
    if ARABIC_FACE not in QFontDatabase.families():
        for path in ARABIC_FONT_FILES:
            if os.path.isfile(path):
                QFontDatabase.addApplicationFont(path)
    font = QFont(qt.font())
    latin = QFontInfo(font).family()
    if ARABIC_FACE not in QFontDatabase.families() or latin == ARABIC_FACE:
        log.warning("no %s on this machine: Arabic is drawn in %s", ARABIC_FACE, latin)
        return [latin]
    # Qt falls back glyph by glyph through this list: DejaVu Sans has Arabic letters of its
    # own, so it may only come after the Arabic face.
    families = [latin, ARABIC_FACE] if latin != "DejaVu Sans" else [ARABIC_FACE, latin]
    font.setFamilies(families)
    qt.setFont(font)
    return families


class OutboxOpened(QObject):
    """Carries the freshly opened outbox from the writer thread to the GUI thread."""

    opened = Signal(object)


class AppState(QObject):
    """What QML may ask of the application itself (exit is for the mediator only)."""

    changed = Signal()

    def __init__(self, allow_exit: bool = False):
        super().__init__()
        self._allow_exit = allow_exit

    def _get_allow_exit(self) -> bool:
        return self._allow_exit

    def set_allow_exit(self, value: bool) -> None:
        self._allow_exit = value
        self.changed.emit()

    allowExit = Property(bool, _get_allow_exit, notify=changed)


class ActivityFilter(QObject):
    """Every touch, click or key press anywhere counts as the citizen being there."""

    # FocusIn too: a screen reader moves the focus (and presses buttons) without any key or touch.
    KINDS = {QEvent.Type.MouseButtonPress, QEvent.Type.TouchBegin, QEvent.Type.KeyPress, QEvent.Type.FocusIn}

    def __init__(self, bridge):
        super().__init__()
        self.bridge = bridge

    def eventFilter(self, obj, event):  # noqa: N802 - Qt's name
        if event.type() in self.KINDS:
            self.bridge.touch()
        return False


class KioskApp:
    """The running kiosk: engine, bridge and window, for `kiosk run`, screenshots and tests."""

    def __init__(self, config, *, windowed: bool = False, size: tuple[int, int] = (1366, 768),
                 outbox_factory=None, clock=None, sync: bool = False):
        from PySide6.QtGui import QGuiApplication
        from PySide6 import QtQuick  # noqa: F401 - so the root window comes back as a QQuickWindow
        from PySide6.QtQml import QQmlApplicationEngine

        from kiosk.definition import load_catalogue
        from ui.bridge import KioskBridge, QueueWriter

        from ui.qtlog import install_qt_message_handler
        install_qt_message_handler()  # Qt and QML warnings go to the log (the journal), not to Qt's own printout
        self.qt = QGuiApplication.instance() or QGuiApplication(sys.argv)
        use_arabic_face(self.qt)
        self.config = config
        # Unchanged definition files come from the validated cache: no YAML parse, no jsonschema.
        self.catalogue = load_catalogue(config.services_dirs, cache_dir=config.cache_dir / "catalogue-cache")
        if outbox_factory is None:
            from offline_queue import open_outbox
            from offline_queue.keys import KeyFileError, check_sealing_keys
            try:  # the running kiosk refuses to start rather than seal for a key no backend can open
                if sync:
                    check_sealing_keys(config)
            except KeyFileError as exc:
                raise RuntimeError(str(exc)) from None

            def outbox_factory():
                return open_outbox(config)
        self.sync_worker = None
        # The outbox opens on the writer thread; sync (and Qt's connectivity watcher) starts on this one.
        self._outbox_opened = OutboxOpened()
        self._outbox_opened.opened.connect(self._start_sync)
        self.writer = QueueWriter(outbox_factory, on_open=self._outbox_opened.opened.emit if sync else None)
        self.bridge = KioskBridge(config, self.catalogue, self.writer, clock=clock)
        self.state = AppState(allow_exit=windowed)
        # Signed catalogue updates in the background; the screen takes a new one between citizens.
        from ui.catalogue_watch import CatalogueWatcher
        self.catalogue_watch = CatalogueWatcher(config, self.bridge, parent=self.bridge)
        self.catalogue_watch.adopted.connect(self._catalogue_adopted)
        self.engine = QQmlApplicationEngine()
        ctx = self.engine.rootContext()
        ctx.setContextProperty("kiosk", self.bridge)
        ctx.setContextProperty("app", self.state)
        self.extras = {}
        # VOICE: create the VoiceController here
        from ui.voice_bridge import VoiceController
        self.voice = VoiceController(config)
        ctx.setContextProperty("voice", self.voice)
        self.bridge.screenShown.connect(self.voice.show)
        self.voice.intent.connect(self.bridge.applyIntent)
        self.qt.aboutToQuit.connect(self.voice.close)
        self.extras["voice"] = self.voice
        from ui.voice_prefetch import SpeechPrefetch  # the likely next screen's speech, made ahead
        self.voice_prefetch = SpeechPrefetch(self.voice, self.bridge, parent=self.bridge)
        self.qt.aboutToQuit.connect(self.voice_prefetch.close)
        from ui.keynav import KeyNavigator  # keys, keypads and focus (EZ Access conventions)
        self.keynav = KeyNavigator(self.bridge, self.voice)
        ctx.setContextProperty("keynav", self.keynav)
        # MEDIATOR: create the MediatorController here
        from ui.mediator_bridge import MediatorController

        def _leave(code: int) -> None:  # exit/restart, only ever from the mediator console
            self.state.set_allow_exit(True)
            self.qt.exit(code)

        self.mediator = MediatorController(config, self.bridge, quit=_leave, voice=self.voice,
                                           sync_worker=lambda: self.sync_worker)
        ctx.setContextProperty("mediator", self.mediator)
        self.bridge.helpRequested.connect(self.mediator.requestHelp)  # the button, or "help" said aloud
        self._follow_help_card()
        self.extras["mediator"] = self.mediator
        self.qt.aboutToQuit.connect(self.mediator.close)  # background work ends, the sign-in with it
        from ui.receipt_bridge import ReceiptController  # the receipt card on the confirmation screen
        self.receipt = ReceiptController(config, self.bridge, parent=self.bridge)
        ctx.setContextProperty("receipt", self.receipt)
        from ui.feedback_bridge import FeedbackBridge  # "How was it?" on the confirmation screen
        self.feedback = FeedbackBridge(config, journey=lambda: self.bridge.journey, submit=self.writer.submit,
                                       stats=self.mediator.stores.stats, parent=self.bridge)
        self.bridge.restarted.connect(self.feedback.clear)  # Finish, Start again, idle: the next journey asks anew
        ctx.setContextProperty("feedback", self.feedback)
        from ui.drafts_bridge import open_drafts  # "Pause and come back later", "I have a code" (docs/resume.md)
        self.drafts = open_drafts(config, self.bridge)  # None without drafts.db: the screens then hide both
        ctx.setContextProperty("drafts", self.drafts)
        from ui.documents_bridge import PROVIDER, DocumentsBridge, PrivateImages  # document pages, oral signing
        self.documents = DocumentsBridge(config, self.bridge, tasks=self.mediator.tasks, parent=self.bridge)
        self.bridge.file_providers.append(self.documents.attachments)
        self.bridge.image_urls = self.documents.image_urls
        self.engine.addImageProvider(PROVIDER, PrivateImages(self.documents.image))
        ctx.setContextProperty("documents", self.documents)
        self.engine.load(str(QML_DIR / "Main.qml"))
        if not self.engine.rootObjects():
            raise RuntimeError("the kiosk screens could not be loaded (QML error above)")
        self.window = self.engine.rootObjects()[0]
        self.window.resize(*size)
        if sync:
            self.writer.warm()
        self.activity = ActivityFilter(self.bridge)
        self.qt.installEventFilter(self.activity)
        self.keynav.attach(self.window, self.items)
        self.qt.installEventFilter(self.keynav)
        if windowed:
            self.window.show()
        else:
            from PySide6.QtCore import Qt
            self.window.setFlags(self.window.flags() | Qt.WindowType.FramelessWindowHint)
            self.window.showFullScreen()
        # Under systemd: READY=1 after the first frame, then WATCHDOG=1 from this event loop.
        from ui.watchdog import Watchdog
        self.watchdog = Watchdog(self.window)
        self.watchdog.start()
        # Delivery (requests, the connectors, Qt's network watcher) starts once the citizen has a screen:
        # after the first frame, or after a moment if no frame comes (a hidden window in a test).
        from PySide6.QtCore import QTimer
        self._screen_up = False
        self._pending_outbox = None
        self.window.frameSwapped.connect(self._first_frame)
        QTimer.singleShot(2000, self.window, self._first_frame)  # dies with the window

    def _catalogue_adopted(self, version: int) -> None:
        self.catalogue = self.bridge.catalogue  # screenshots and tests read the app's catalogue
        # The audit log says which catalogue served citizens from when: a version and a count, no person.
        audit, services = self.mediator.stores.audit, len(self.catalogue.services)

        def record() -> None:
            audit.append("catalogue_switch", None, outcome=f"version {version}", count=services)
        self.catalogue_watch.tasks.run_in_background(record)

    def _follow_help_card(self) -> None:
        """End the helper call when a helper signs in (PIN pad, panel); the card's own buttons do the rest."""
        layer = self.mediator.property("layer")
        if layer is None or not hasattr(layer, "viewChanged"):
            return

        # Closing the card ("I will wait") keeps the call up: only "I do not need help now" ends it.
        def on_view() -> None:
            if layer.property("view") in ("pin", "panel", "consent"):
                self.bridge.helperArrived()
        layer.viewChanged.connect(on_view)

    def _first_frame(self) -> None:
        if self._screen_up:
            return
        self._screen_up = True
        try:
            self.window.frameSwapped.disconnect(self._first_frame)
        except (RuntimeError, TypeError):  # already gone (the timer came first)
            pass
        self.catalogue_watch.start()  # a catalogue update (TUF, HTTPS) would compete with the first frame
        if self._pending_outbox is not None:
            outbox, self._pending_outbox = self._pending_outbox, None
            self._start_sync(outbox)

    def _start_sync(self, outbox) -> None:
        """Deliver in the background whatever is queued, woken by every new submission."""
        if not getattr(self, "_screen_up", True):
            self._pending_outbox = outbox  # started by _first_frame
            return
        from offline_queue.sync import start_sync
        if self.sync_worker is None:
            # Never a silent stand-in backend here: `kiosk demo` starts its own on purpose.
            self.sync_worker = start_sync(outbox, self.config, demo_backend=False)
            # Mediator actions leave the kiosk like submissions: new audit entries every minute.
            from PySide6.QtCore import QTimer
            self._audit_timer = QTimer()
            self._audit_timer.setInterval(60_000)
            self._audit_timer.timeout.connect(self.queue_audit)
            self._audit_timer.start()
            self.queue_audit()

    def queue_audit(self) -> None:
        """Hand new audit entries to the outbox, on the writer thread (never the GUI's)."""
        from kiosk.audit_sync import queue_audit

        def run(outbox):
            try:
                return queue_audit(outbox, self.config)
            except Exception as exc:  # noqa: BLE001 - the local log stays the record; next minute retries
                log.warning("audit entries not queued: %s", type(exc).__name__)
                return 0
        self.writer.submit(run)

    def items(self):
        """Every item in the visual tree, popups included (Repeater and Loader items are not
        QObject children, so findChild alone misses them)."""
        from PySide6.QtQuick import QQuickItem
        stack = [self.window.contentItem(), *self.window.findChildren(QQuickItem)]
        seen, keep = set(), []  # keep wrappers alive so id() is never reused mid-walk
        while stack:
            item = stack.pop()
            if id(item) in seen:
                continue
            seen.add(id(item))
            keep.append(item)
            if not isinstance(item, QQuickItem):
                continue  # findChildren can hand back a wrapper that is not an item
            yield item
            stack.extend(item.childItems())

    def item(self, name: str, visible_only: bool = True):
        """The QML item with this objectName (for tests and screenshots), or None."""
        return next((i for i in self.items() if i.objectName() == name and (i.isVisible() or not visible_only)), None)

    def close(self) -> None:
        from PySide6.QtCore import QCoreApplication, QEvent
        self.state.set_allow_exit(True)
        self._screen_up, self._pending_outbox = True, None  # a late first-frame timer starts nothing now
        if getattr(self.bridge, "help", None) is not None:
            self.bridge.help.stop()  # its reminders outlived closed apps and called a webhook across tests
        self.catalogue_watch.close()
        self.voice_prefetch.close()
        self.watchdog.stop()
        self.window.close()
        self.qt.removeEventFilter(self.activity)
        self.qt.removeEventFilter(self.keynav)
        self.keynav.detach()
        self.bridge._ticker.stop()
        # Destroy the QML scene now, while the Python objects it binds to still exist.
        self.window.deleteLater()
        self.engine.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
        if getattr(self, "_audit_timer", None) is not None:
            self._audit_timer.stop()
        if self.sync_worker is not None:
            self.sync_worker.stop()
        if getattr(self, "drafts", None) is not None:
            self.drafts.close()
        self.writer.close()
