"""The mediator's side of the touch UI: the `mediator` object QML sees, and how its parts meet.

Each job is a small QObject of its own, reached from QML as a property of
`mediator`, each notifying its own group:

    mediator.layer    which view is up, which views are modal  (ui.mediator_view)
    mediator.pin      the PIN pad                               (ui.mediator_pin)
    mediator.signIn   who is signed in; idle sign-out, re-auth  (ui.mediator_signin)
    mediator.assist   consent, the Stop bar, the side panel     (ui.mediator_assist)
    mediator.console  queue and device health, actions          (ui.mediator_console)

`MediatorController` only moves between views (call a helper, PIN, panel,
consent, console) and writes the sign-in/out lines of the audit log. Rules
live in kiosk.mediators / kiosk.assist / kiosk.audit; the assisted session
belongs to the citizen session (`bridge.citizen`). Slow work goes through
ui.tasks.TaskManager.

Wiring (ui/app.py):

    controller = MediatorController(config, bridge, quit=..., voice=..., sync_worker=...)
    ctx.setContextProperty("mediator", controller)
"""
from __future__ import annotations

import logging
from typing import Any, Callable

from PySide6.QtCore import Property, QCoreApplication, QObject, Signal, Slot

from kiosk.mediators import Mediator
from kiosk.screen import ATTRACT, ScreenContent
from translations import table
from ui.mediator_assist import AssistController
from ui.mediator_console import RESTART_EXIT_CODE, ConsoleController
from ui.mediator_pin import PinEntry
from ui.mediator_signin import SignIn
from ui.mediator_stats import JourneyStats
from ui.mediator_stores import MediatorStores
from ui.mediator_view import CONSOLE_VIEWS, MediatorView, View
from ui.prefill_bridge import PrefillController
from ui.tasks import TaskManager

log = logging.getLogger(__name__)

__all__ = ["MediatorController", "MediatorStores", "RESTART_EXIT_CODE"]


class MediatorController(QObject):
    """Moves between the mediator's views; its parts do the rest."""

    noticeChanged = Signal()
    languageChanged = Signal()  # a mediator with a language of their own signed in, or out

    def __init__(self, config, bridge: Any = None, *, stores: MediatorStores | None = None,
                 quit: Callable[[int], None] | None = None, voice: Any = None,
                 sync_worker: Callable[[], Any] | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.config, self.bridge = config, bridge
        self.stores = stores or MediatorStores.for_config(config)
        self.audit = self.stores.audit
        # The mediator side's language: the signed-in account's own (kiosk.mediators), else this one.
        self.default_ui_language = config.mediator.language or config.default_language
        self.ui_language = self.default_ui_language
        self._quit = quit or (lambda code: QCoreApplication.exit(code))
        self._notice = ""
        self._reauth_for: Mediator | None = None
        self._resume_view = View.PANEL

        self.tasks = TaskManager(self)
        self._layer = MediatorView(bridge.idle.touch if bridge is not None else (lambda: None), parent=self)
        self._sign_in = SignIn(config, parent=self)
        self._pin = PinEntry(self.stores.store, self.audit, self.tasks, self.ui_language, parent=self)
        self._assist = AssistController(bridge, self.audit, self.ui_language,
                                        default_language=config.default_language, now=self.stores.now, parent=self)
        self._console = ConsoleController(
            config, self.audit, self.stores.stats, self._sign_in, self.tasks, self.ui_language,
            export_dir=self.stores.export_dir, leave=self._leave, outbox_opener=self.stores.outbox_opener,
            fetch=self.stores.fetch, clock_probe=self.stores.clock_probe,
            sync_worker=sync_worker or (lambda: None),
            synthesizer=(lambda: voice.synth) if voice is not None else (lambda: None), parent=self)
        self.journeys = JourneyStats(self.stores.stats)
        self._prefill = PrefillController(bridge, self.audit, self.tasks, self.ui_language, parent=self)
        self._assist.prefill = self._prefill  # the consent screen also puts the once-only question
        self._assist.panelChanged.connect(self._prefill.follow)  # a new screen, an ID checked: offer or not

        self._pin.succeeded.connect(self._signed_in)
        self._sign_in.changed.connect(self._follow_language)
        self._sign_in.idleSignedOut.connect(lambda: self._sign_out("idle"))
        self._sign_in.reauthDue.connect(self._ask_again)
        self._assist.problem.connect(self._set_notice)
        if voice is not None:
            # The consent screen is read aloud when voice guidance is on (the voice controller decides).
            self._assist.speak.connect(voice.show)
            voice.mediatorNotice.connect(self._set_notice)
        if bridge is not None:
            bridge.screenShown.connect(self.on_screen)
            bridge.changed.connect(self._assist.changed)

    # --- the parts, for QML ---------------------------------------------------------------

    @Property(QObject, constant=True)
    def layer(self) -> MediatorView:
        return self._layer

    @Property(QObject, constant=True)
    def pin(self) -> PinEntry:
        return self._pin

    @Property(QObject, constant=True)
    def signIn(self) -> SignIn:
        return self._sign_in

    @Property(QObject, constant=True)
    def assist(self) -> AssistController:
        return self._assist

    @Property(QObject, constant=True)
    def console(self) -> ConsoleController:
        return self._console

    @Property(QObject, constant=True)
    def prefill(self) -> PrefillController:
        return self._prefill

    @Property("QVariantMap", notify=languageChanged)
    def t(self) -> dict:
        """Mediator-facing strings, in the mediator's language."""
        return {**table("en"), **table(self.ui_language)}

    @Property(str, notify=languageChanged)
    def language(self) -> str:
        """The mediator side's language code (the citizen's is `kiosk.language`)."""
        return self.ui_language

    def _follow_language(self) -> None:
        """Signed in: the account's language, if it has one; signed out: the kiosk's again.

        Only the mediator's side changes; the citizen's screens and the consent screen keep the
        citizen's language.
        """
        mediator = self._sign_in.mediator
        language = (mediator.language if mediator is not None else "") or self.default_ui_language
        if language == self.ui_language:
            return
        self.ui_language = language
        self._pin.language = self._assist.language = self._prefill.language = language
        self._console.set_language(language)
        self.languageChanged.emit()
        self._pin.changed.emit()
        self._assist.languageChanged.emit()
        self._assist.panelChanged.emit()
        self._prefill.changed.emit()

    @Property(str, notify=noticeChanged)
    def notice(self) -> str:
        """What the mediator should know: no microphone, no voice model, a refused action..."""
        return self._notice

    def _set_notice(self, text: str) -> None:
        self._notice = text
        self.noticeChanged.emit()

    # --- calling for help and signing in --------------------------------------------------

    def _citizen_here(self) -> bool:
        return self.bridge is not None and str(self.bridge.screen) != ATTRACT

    @Slot()
    def requestHelp(self) -> None:
        """The citizen touched "Call a helper" (or said "help")."""
        self._layer.set(View.PANEL if self._sign_in.signedIn else View.CALLED)

    @Slot()
    def cancelHelp(self) -> None:
        if self._layer.current == View.CALLED:
            self._layer.set(View.HIDDEN)

    @Slot()
    def cornerGesture(self) -> None:
        """The discreet long press in the corner: straight to the PIN pad (or back to the panel)."""
        if self._sign_in.signedIn:
            if self._layer.current in (View.HIDDEN, View.TAB) and self._assist.assisted:
                self._layer.set(View.PANEL)
            elif self._layer.current == View.HIDDEN:
                self.openConsole()
            return
        self.openPin()

    @Slot()
    def openPin(self) -> None:
        self._reauth_for = None
        self._pin.start()
        self._layer.set(View.PIN)

    @Slot()
    def cancelPin(self) -> None:
        self._pin.forget()
        if self._reauth_for is not None:
            return self._sign_out("reauth_cancelled")
        self._layer.set(View.PANEL if self._sign_in.signedIn else View.HIDDEN)

    def _signed_in(self, mediator: Mediator) -> None:
        again, self._reauth_for = self._reauth_for, None
        if again is not None and again.id == mediator.id:
            self._sign_in.sign_in(mediator)  # both clocks start again
            self.audit.append("reauth", mediator.id)
            return self._layer.set(self._resume_view)
        self._sign_in.sign_in(mediator)
        if self._citizen_here():
            self._assist.begin(mediator)
            self.journeys.assisted_now()
            self._layer.set(View.PANEL)
        else:
            self.openConsole()  # nobody at the screen: the mediator came for the console

    def _ask_again(self) -> None:
        """Every reauth_minutes the PIN is asked again; the citizen's screen stays as it is."""
        mediator = self._sign_in.mediator
        if mediator is None:
            return
        self._sign_in.pause_reauth()
        self._resume_view = self._layer.current if self._layer.current not in (View.PIN, View.HIDDEN) \
            else View.TAB if self._assist.assisted else View.HIDDEN
        self._reauth_for = mediator
        self._pin.start(only=mediator)
        self._layer.set(View.PIN)

    @Slot()
    def signOut(self) -> None:
        self._sign_out("signed_out")

    def _sign_out(self, reason: str) -> None:
        """The mediator leaves (or is made to): assistance ends, the console closes.

        Fail closed: the sign-in is gone before anything is written, so a failing audit
        write (a full disk) can never leave the console open to whoever comes next.
        """
        self._reauth_for = None
        mediator = self._sign_in.sign_out()
        self._pin.forget()
        self._console.clear()
        self._layer.set(View.HIDDEN)
        try:
            self._assist.end(reason)
            if mediator is not None:
                self.audit.append("logout", mediator.id, reason=reason)
        except Exception as exc:  # noqa: BLE001 - signed out all the same; the log says what is missing
            log.error("sign-out not fully recorded in the audit log: %s", type(exc).__name__)

    # --- the panel and consent -----------------------------------------------------------------

    @Slot()
    def hidePanel(self) -> None:
        self._layer.set(View.TAB)

    @Slot()
    def showPanel(self) -> None:
        if self._sign_in.signedIn:
            self._layer.set(View.PANEL)

    @Slot()
    def askConsent(self) -> None:
        if self._assist.askConsent():
            self._layer.set(View.CONSENT)

    @Slot()
    def askPrefill(self) -> None:
        """Once-only: ask the citizen, on their screen, whether the office may fill in what it knows."""
        if self._assist.ask_prefill():
            self._layer.set(View.CONSENT)

    @Slot()
    def acceptConsent(self) -> None:
        if self._assist.answer_consent(True):
            self._layer.set(View.PANEL)

    @Slot()
    def refuseConsent(self) -> None:
        if self._assist.answer_consent(False):
            self._layer.set(View.PANEL)

    @Slot()
    def handBack(self) -> None:
        """End assistance: the screen is the citizen's again (the record of what happened stays)."""
        self._sign_out("handed_back")

    # --- following the citizen's screens ---------------------------------------------------------

    @Slot(object)
    def on_screen(self, content: ScreenContent) -> None:
        """Every new citizen screen; whatever fails here (a full disk...) never reaches the journey."""
        try:
            self._on_screen(content)
        except Exception as exc:  # noqa: BLE001
            log.error("mediator layer could not follow the screen: %s", type(exc).__name__)

    def _on_screen(self, content: ScreenContent) -> None:
        self.journeys.follow(content.kind, self.bridge.journey, self._assist.assisted)
        if content.kind != ATTRACT:
            self._assist.follow()
            return
        # The citizen left (finished, timed out, start again): nothing carries over. The state is
        # reset first; the audit lines come after, so a failing write (a full disk) can never leave
        # the next citizen inside the last one's assisted session.
        leaving = self._sign_in.mediator if self._layer.current not in CONSOLE_VIEWS else None
        if leaving is not None:
            self._reauth_for = None
            self._sign_in.sign_out()
            self._layer.set(View.HIDDEN)
        elif self._layer.current == View.CALLED:
            self._layer.set(View.HIDDEN)
        session = self._assist.session()
        try:
            if session is not None and session.active:  # back to the start without a wipe
                session.end("session_ended")
        finally:
            self._assist.forget()
            if leaving is not None:
                self.audit.append("logout", leaving.id, reason="session_ended")

    # --- the console -------------------------------------------------------------------------------

    @Slot()
    def openConsole(self) -> None:
        mediator = self._sign_in.mediator
        if mediator is None:
            return self.openPin()
        self.audit.append("console_open", mediator.id)
        self._console.clear()
        self._console.refresh()
        self._layer.set(View.CONSOLE)

    @Slot()
    def closeConsole(self) -> None:
        mediator = self._sign_in.mediator
        if mediator is not None:
            self.audit.append("console_close", mediator.id)
        self._console.clear()
        if self._assist.assisted:
            self._layer.set(View.PANEL)
        else:
            self._sign_out("console_closed")

    @Slot()
    def openSettings(self) -> None:
        mediator = self._sign_in.mediator
        if mediator is not None:
            self.audit.append("settings", mediator.id)
            self._layer.set(View.SETTINGS)

    def _leave(self, action: str, code: int) -> None:
        """Exit or restart, confirmed on the console by a signed-in mediator."""
        mediator = self._sign_in.mediator
        if mediator is None:
            return
        self.audit.append(action, mediator.id)
        self._assist.end(action)
        log.info("kiosk %s requested from the mediator console", action)
        self._quit(code)

    def close(self) -> None:
        """At exit: let background work finish, stop the timers, close the queue."""
        self.tasks.wait(10_000)
        self._layer.stop()
        self._sign_in.sign_out()
        self._console.close()
