"""The mediator's side of the touch UI, exposed to QML as the context property `mediator`.

`MediatorController` drives ui/qml/MediatorLayer.qml: the "a helper is coming"
card, the PIN pad (shuffled keys, lock-out), the mediator panel (notes for the
current question, answers so far, the service's requirements), the consent
screen in the citizen's language, the citizen's "Stop" bar, and the console
(queue and device health, today's statistics, sync/retry/export, settings,
restart and exit). Rules live in kiosk.mediators / kiosk.assist / kiosk.audit /
kiosk.device_health; this class only adapts them to Qt.

Wiring (ui/app.py):

    controller = MediatorController(config, bridge, quit=...)
    ctx.setContextProperty("mediator", controller)

With a bridge, the controller listens to `bridge.screenShown` (to follow the
journey, record anonymous statistics and note fill-on-behalf steps), sets
`bridge.assisted_provider` so submissions carry payload["assisted"], and ends
any assistance when the citizen session is wiped (back to the attract screen).
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import Property, QCoreApplication, QObject, QTimer, Signal, Slot

from kiosk import RIGHT_TO_LEFT, assist
from kiosk.assist import CONSENT_ASKED, DOCUMENT_KINDS, ON_BEHALF, AssistError, AssistSession
from kiosk.audit import AuditLog
from kiosk.device_health import Console, human_age, human_bytes, open_queue
from kiosk.mediators import DISABLED, LOCKED, MediatorStore, login
from kiosk.pin import MAX_FAILURES, shuffled_keypad
from kiosk.screen import ScreenContent
from kiosk.stats import ABANDONED, COMPLETED, STARTED, Stats
from translations import table
from translations import text as tr

log = logging.getLogger("ponte.mediator")

RESTART_EXIT_CODE = 3  # the service manager starts the kiosk again on this code
KEEP_ALIVE_SECONDS = 300  # longest a modal mediator view holds off the inactivity wipe

# Views of the layer, one at a time.
HIDDEN, CALLED, PIN, PANEL, TAB, CONSENT, CONSOLE, SETTINGS = (
    "", "called", "pin", "panel", "tab", "consent", "console", "settings")


class MediatorController(QObject):
    changed = Signal()
    consoleChanged = Signal()
    # The consent screen as a ScreenContent, for voice guidance to read aloud.
    speak = Signal(object)
    _probed = Signal(object)
    _synced = Signal(bool, str)

    def __init__(self, config, bridge: Any = None, *, store: MediatorStore | None = None,
                 audit: AuditLog | None = None, stats: Stats | None = None,
                 outbox_opener: Callable[[], tuple[Any, str]] | None = None,
                 clock_probe: bool = True, fetch=None, export_dir: Path | None = None,
                 quit: Callable[[int], None] | None = None,
                 sync_worker: Callable[[], Any] | None = None, voice: Any = None,
                 now: Callable[[], dt.datetime] | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.config = config
        self.bridge = bridge
        self.store = store or MediatorStore.for_config(config)
        self.audit = audit or AuditLog.for_config(config)
        self.stats = stats or Stats.for_config(config)
        self._outbox_opener = outbox_opener or (lambda: open_queue(config))
        self._outbox: Any = None
        self._outbox_reason = ""
        self._clock_probe = clock_probe
        self._fetch = fetch
        mediator_cfg = config.raw.get("mediator", {})
        self.export_dir = Path(export_dir or mediator_cfg.get("export_dir") or Path(config.data_dir) / "exports")
        self.ui_language = mediator_cfg.get("language", config.default_language)
        self._quit = quit or (lambda code: QCoreApplication.exit(code))
        self._now = now or (lambda: dt.datetime.now(dt.timezone.utc))

        self._view = HIDDEN
        self._mediator = None  # kiosk.mediators.Mediator while signed in
        self._selected = ""
        self._keypad = shuffled_keypad()
        self._pin = ""  # never leaves Python; QML sees only its length
        self._pin_message = ""
        self._locked = False
        self._console_message = ""
        self._confirm = ""
        self._console: dict = {}
        self._last_page: str | None = None
        self._probe_result: dict = {}
        # Journey tracking for the anonymous statistics.
        self._tracked = None
        self._tracked_assisted = False
        self._tracked_step: str | None = None

        self._sync_worker = sync_worker or (lambda: None)
        self.voice = voice
        self._voice_notice = ""
        self._synced.connect(self._done)
        self._probed.connect(self._on_probed)
        # Modal views cover the inactivity warning: while one is up (for at most
        # KEEP_ALIVE_SECONDS), the citizen session is kept alive.
        self._view_since = time.monotonic()
        self._keep_alive = QTimer(self)
        self._keep_alive.setInterval(5000)
        self._keep_alive.timeout.connect(self._keep_session_alive)
        self._keep_alive.start()
        if voice is not None:
            # The consent screen is read aloud when voice guidance is on (VoiceController decides).
            if hasattr(voice, "show"):
                self.speak.connect(voice.show)
            if hasattr(voice, "mediatorNotice"):
                voice.mediatorNotice.connect(self._on_voice_notice)
        if bridge is not None:
            bridge.screenShown.connect(self.on_screen)
            if hasattr(bridge, "changed"):
                bridge.changed.connect(self.changed)
            bridge.assisted_provider = self.assisted_payload
        assist.set_current(None)

    # --- helpers ----------------------------------------------------------------------

    def _on_voice_notice(self, text: str) -> None:
        self._voice_notice = text
        self.changed.emit()

    @Property(str, notify=changed)
    def voiceNotice(self) -> str:
        """What voice guidance wants the mediator to know (no microphone, no model...)."""
        return self._voice_notice

    def _session(self) -> AssistSession | None:
        return assist.current_session()

    def _citizen_language(self) -> str:
        if self.bridge is not None:
            return str(self.bridge.language)
        return self.config.default_language

    def _journey(self):
        return getattr(self.bridge, "journey", None) if self.bridge is not None else None

    def _service_id(self) -> str | None:
        journey = self._journey()
        return journey.service.id if journey else None

    def _touch_idle(self) -> None:
        idle = getattr(self.bridge, "idle", None)
        if idle is not None:
            idle.touch()

    def _set_view(self, view: str) -> None:
        if view != self._view:
            self._view_since = time.monotonic()
        self._view = view
        self._confirm = ""
        self._touch_idle()
        self.changed.emit()

    def _keep_session_alive(self) -> None:
        if self._view in (CALLED, PIN, CONSENT, CONSOLE, SETTINGS) \
                and time.monotonic() - self._view_since < KEEP_ALIVE_SECONDS:
            self._touch_idle()

    def assisted_payload(self) -> dict:
        """What the lead's submission code puts in payload["assisted"]."""
        return assist.current_record().to_payload()

    @Slot(result="QVariantMap")
    def assistRecord(self) -> dict:
        return self.assisted_payload()

    # --- properties for QML -------------------------------------------------------

    @Property(str, notify=changed)
    def view(self) -> str:
        return self._view

    @Property(bool, notify=changed)
    def signedIn(self) -> bool:
        return self._mediator is not None

    @Property(str, notify=changed)
    def mediatorName(self) -> str:
        return self._mediator.name if self._mediator else ""

    @Property(bool, notify=changed)
    def assisted(self) -> bool:
        s = self._session()
        return bool(s and s.active)

    @Property(bool, notify=changed)
    def mayFill(self) -> bool:
        s = self._session()
        return bool(s and s.may_fill)

    @Property(str, notify=changed)
    def assistState(self) -> str:
        s = self._session()
        return s.state if s else ""

    @Property("QVariantMap", notify=changed)
    def t(self) -> dict:
        """Mediator-facing strings, in the mediator's language."""
        return {**table("en"), **table(self.ui_language)}

    @Property(str, notify=changed)
    def citizenLanguage(self) -> str:
        return self._citizen_language()

    @Property(bool, notify=changed)
    def citizenRtl(self) -> bool:
        return self._citizen_language() in RIGHT_TO_LEFT

    @Property("QVariantMap", notify=changed)
    def ct(self) -> dict:
        """Citizen-facing strings in the citizen's language, with the mediator's name and the service filled in."""
        lang = self._citizen_language()
        name = self._mediator.name if self._mediator else ""
        journey = self._journey()
        service = journey.service.text(journey.service.title, lang) if journey else ""
        keys = [k for k in table("en") if k.startswith(("m.citizen.", "m.consent."))]
        # A right-to-left sentence that starts with a Latin name must still read right to left.
        mark = "\u200f" if lang in RIGHT_TO_LEFT else ""
        return {k: mark + tr(lang, k, name=name, service=service) for k in keys}

    @Property("QVariantList", notify=changed)
    def accounts(self) -> list:
        return [{"id": m.id, "name": m.name} for m in self.store.active()]

    @Property(str, notify=changed)
    def selectedAccount(self) -> str:
        return self._selected

    @Property(str, notify=changed)
    def pinPrompt(self) -> str:
        m = self.store.get(self._selected) if self._selected else None
        return tr(self.ui_language, "m.pin.enter", name=m.name) if m else tr(self.ui_language, "m.pin.who")

    @Property("QVariantList", notify=changed)
    def keypad(self) -> list:
        return list(self._keypad)

    @Property(int, notify=changed)
    def pinLength(self) -> int:
        return len(self._pin)

    @Property(str, notify=changed)
    def pinMessage(self) -> str:
        return self._pin_message

    @Property(bool, notify=changed)
    def pinLocked(self) -> bool:
        return self._locked

    @Property("QVariantMap", notify=changed)
    def panel(self) -> dict:
        lang = self.ui_language
        journey = self._journey()
        s = self._session()
        data: dict[str, Any] = {"hasJourney": journey is not None, "service": "", "question": "", "notes": "",
                                "answers": [], "requirements": "", "mode": "", "identity": s.identity_document if s and s.identity_document else ""}
        if s is not None:
            if s.may_fill and s.consent_at:
                data["mode"] = tr(lang, "m.panel.mode_fill", time=s.consent_at.astimezone().strftime("%H:%M"))
            else:
                data["mode"] = tr(lang, "m.panel.mode_guide")
        if journey is None:
            return data
        service = journey.service
        text = lambda texts: service.text(texts, lang) if lang in service.languages else service.text(texts, journey.language)  # noqa: E731
        data["service"] = text(service.title)
        page = journey.page
        if page is not None:
            data["question"] = text(page.question)
            data["notes"] = text(page.mediator_notes) if page.mediator_notes else ""
        data["requirements"] = text(service.requirements) if service.requirements else ""
        fmt = getattr(self.bridge, "format_answer", None)
        data["answers"] = [{"question": text(row.page.question),
                            "answer": fmt(row.page, row.value) if fmt else ("" if row.value is None else str(row.value)),
                            "current": page is not None and row.page.id == page.id}
                           for row in journey.summary() if row.value is not None]
        return data

    @Property("QVariantList", constant=True)
    def documentKinds(self) -> list:
        return [{"code": k, "label": tr(self.ui_language, f"m.doc.{k}")} for k in DOCUMENT_KINDS]

    @Property("QVariantMap", notify=consoleChanged)
    def console(self) -> dict:
        return self._console

    @Property(str, notify=changed)
    def consoleMessage(self) -> str:
        return self._console_message

    @Property(str, notify=changed)
    def confirmPending(self) -> str:
        return self._confirm

    # --- calling for help and signing in --------------------------------------------

    @Slot()
    def requestHelp(self) -> None:
        """The citizen touched "Call a helper"."""
        if self._mediator is not None:
            self._set_view(PANEL)
            return
        self._set_view(CALLED)

    @Slot()
    def cancelHelp(self) -> None:
        if self._view == CALLED:
            self._set_view(HIDDEN)

    @Slot()
    def cornerGesture(self) -> None:
        """The discreet long press in the corner: straight to the PIN pad (or back to the panel)."""
        if self._mediator is not None:
            self._set_view(PANEL if self._view in (HIDDEN, TAB) else self._view)
            return
        self.openPin()

    @Slot()
    def openPin(self) -> None:
        self._pin = ""
        self._pin_message = ""
        self._locked = False
        self._keypad = shuffled_keypad()
        active = self.store.active()
        self._selected = active[0].id if len(active) == 1 else ""
        if not active:
            self._pin_message = tr(self.ui_language, "m.pin.no_accounts")
        self._set_view(PIN)

    @Slot(str)
    def selectAccount(self, mediator_id: str) -> None:
        self._selected = mediator_id
        self._pin = ""
        self._pin_message = ""
        self._locked = False
        self._keypad = shuffled_keypad()
        self.changed.emit()

    @Slot(int)
    def pressKey(self, index: int) -> None:
        """A key of the shuffled pad, by position (QML never handles the digits typed)."""
        if self._locked or not 0 <= index < len(self._keypad) or len(self._pin) >= 12:
            return
        self._pin += self._keypad[index]
        self._pin_message = ""
        self.changed.emit()

    @Slot()
    def deleteDigit(self) -> None:
        self._pin = self._pin[:-1]
        self.changed.emit()

    @Slot()
    def clearPin(self) -> None:
        self._pin = ""
        self.changed.emit()

    @Slot()
    def cancelPin(self) -> None:
        self._pin = ""
        self._set_view(HIDDEN if self._mediator is None else PANEL)

    @Slot()
    def submitPin(self) -> None:
        if not self._selected or not self._pin:
            return
        pin, self._pin = self._pin, ""
        result = login(self.store, self.audit, self._selected, pin)
        del pin
        self._keypad = shuffled_keypad()
        lang = self.ui_language
        if result.ok:
            self._start(result.mediator)
            return
        if result.outcome == LOCKED:
            self._locked = True
            self._pin_message = tr(lang, "m.pin.locked", seconds=result.retry_in)
        elif result.outcome == DISABLED:
            self._pin_message = tr(lang, "m.pin.disabled")
        else:
            self._pin_message = tr(lang, "m.pin.wrong", left=max(0, MAX_FAILURES - result.failures))
        self.changed.emit()

    def _start(self, mediator) -> None:
        self._mediator = mediator
        self._pin_message = ""
        citizen_here = self.bridge is not None and str(self.bridge.screen) != "attract"
        if citizen_here:
            session = AssistSession(mediator, self.audit, service=self._service_id(),
                                    language=self._citizen_language(), clock=self._now)
            assist.set_current(session)
            self._tracked_assisted = self._tracked is not None or self._tracked_assisted
            self._last_page = self._current_page_id()
            self._set_view(PANEL)
        else:
            # Nobody at the screen: the mediator came for the console.
            self.openConsole()

    @Slot()
    def signOut(self) -> None:
        s = self._session()
        if s is not None and s.active:
            s.end("signed_out")
        if self._mediator is not None:
            self.audit.append("logout", self._mediator.id)
        self._mediator = None
        self._set_view(HIDDEN)

    # --- the panel ----------------------------------------------------------------------

    @Slot()
    def hidePanel(self) -> None:
        self._set_view(TAB)

    @Slot()
    def showPanel(self) -> None:
        if self._mediator is not None:
            self._set_view(PANEL)

    @Slot()
    def askConsent(self) -> None:
        s = self._session()
        if s is None:
            return
        try:
            s.set_context(self._service_id(), self._citizen_language())
            s.ask_consent()
        except AssistError as exc:
            self._console_message = str(exc)
            self.changed.emit()
            return
        self._set_view(CONSENT)
        c = {k: v.lstrip("\u200f") for k, v in self.ct.items()}
        self.speak.emit(ScreenContent("consent", self._citizen_language(), c["m.consent.title"],
                                      body=" ".join(c[k] for k in ("m.consent.who", "m.consent.what",
                                                                   "m.consent.scope", "m.consent.stop")),
                                      commands=()))

    @Slot()
    def acceptConsent(self) -> None:
        s = self._session()
        if s is not None and s.state == CONSENT_ASKED:
            s.accept_consent()
            self._last_page = self._current_page_id()
            self._set_view(PANEL)

    @Slot()
    def refuseConsent(self) -> None:
        s = self._session()
        if s is not None and s.state == CONSENT_ASKED:
            s.refuse_consent()
            self._set_view(PANEL)

    @Slot()
    def withdrawConsent(self) -> None:
        """The citizen's "Stop" button: from now on only the citizen fills in."""
        s = self._session()
        if s is not None and s.state == ON_BEHALF:
            self._note_fill()
            s.withdraw_consent()
            self.changed.emit()

    @Slot(str)
    def checkIdentity(self, kind: str) -> None:
        s = self._session()
        if s is not None and kind in DOCUMENT_KINDS:
            s.check_identity(kind)
            self.changed.emit()

    @Slot()
    def handBack(self) -> None:
        """End assistance: the screen is the citizen's again (the record of what happened stays)."""
        s = self._session()
        if s is not None:
            self._note_fill()
            s.end("handed_back")
        if self._mediator is not None:
            self.audit.append("logout", self._mediator.id)
        self._mediator = None
        self._set_view(HIDDEN)

    # --- following the journey ------------------------------------------------------------

    def _current_page_id(self) -> str | None:
        journey = self._journey()
        page = journey.page if journey else None
        return page.id if page else None

    def _note_fill(self) -> None:
        """While the mediator may fill in, a page answered since the last screen counts as filled on behalf."""
        s = self._session()
        journey = self._journey()
        if s is None or not s.may_fill or journey is None or not self._last_page:
            return
        if self._last_page in journey.answers and self._last_page != self._current_page_id():
            s.fill(self._last_page)

    @Slot(object)
    def on_screen(self, content: ScreenContent) -> None:
        """Every new citizen screen; whatever fails here (a full disk...) never reaches the journey."""
        try:
            self._on_screen(content)
        except Exception as exc:  # noqa: BLE001
            log.error("mediator layer could not follow the screen: %s", type(exc).__name__)
        self.changed.emit()

    def _on_screen(self, content: ScreenContent) -> None:
        journey = self._journey()
        # Anonymous statistics: started, completed, abandoned (with the step), never an answer.
        if journey is not None and journey is not self._tracked:
            self._close_tracked(ABANDONED)
            self._tracked = journey
            self._tracked_assisted = self._session() is not None and self._session().active
            self.stats.record(STARTED, journey.service.id, journey.language)
        if self._tracked is not None:
            if content.kind == "done":
                self._close_tracked(COMPLETED)
            elif journey is None:
                self._close_tracked(ABANDONED)
            else:
                self._tracked_step = self._current_page_id() or self._tracked_step
        if content.kind == "attract":
            # The citizen session was wiped (finished, timed out, start again): nothing carries over.
            # State is reset first; the audit lines come after, so a failing write (a full disk)
            # can never leave the next citizen inside the last one's assisted session.
            self._close_tracked(ABANDONED)
            leaving = self._mediator if self._view not in (CONSOLE, SETTINGS) else None
            if leaving is not None:
                self._mediator = None
                self._view = HIDDEN
            if self._view == CALLED:
                self._view = HIDDEN
            self._last_page = None
            try:
                assist.reset_current("session_ended")
            except Exception as exc:  # noqa: BLE001 - the reset below must happen whatever the log says
                log.error("assist session end not logged: %s", type(exc).__name__)
            finally:
                assist.set_current(None)
            if leaving is not None:
                try:
                    self.audit.append("logout", leaving.id)
                except Exception as exc:  # noqa: BLE001
                    log.error("logout not logged: %s", type(exc).__name__)
            return
        s = self._session()
        if s is not None and s.active:
            self._tracked_assisted = True
            self._note_fill()
            s.set_context(self._service_id(), self._citizen_language())
        self._last_page = self._current_page_id()

    def _close_tracked(self, kind: str) -> None:
        journey = self._tracked
        if journey is None:
            return
        seconds = (journey.now() - journey.started_at).total_seconds()
        self.stats.record(kind, journey.service.id, journey.language, step=self._tracked_step,
                          assisted=self._tracked_assisted, seconds=seconds)
        self._tracked = None
        self._tracked_step = None
        self._tracked_assisted = False

    # --- the console ------------------------------------------------------------------------

    def _ensure_outbox(self) -> None:
        if self._outbox is None:
            self._outbox, self._outbox_reason = self._outbox_opener()

    def _model(self) -> Console:
        self._ensure_outbox()
        return Console(self.config, self.audit, self._mediator.id if self._mediator else "-",
                       outbox=self._outbox, outbox_reason=self._outbox_reason, stats=self.stats,
                       fetch=self._fetch, clock_probe=False, sync_worker=self._sync_worker())

    @Slot()
    def openConsole(self) -> None:
        if self._mediator is None:
            return self.openPin()
        self.audit.append("console_open", self._mediator.id)
        self._console_message = ""
        self.refreshConsole()
        self._set_view(CONSOLE)

    @Slot()
    def closeConsole(self) -> None:
        if self._mediator is not None:
            self.audit.append("console_close", self._mediator.id)
        s = self._session()
        self._set_view(PANEL if s is not None and s.active else HIDDEN)
        if not (s is not None and s.active) and self._mediator is not None:
            self.audit.append("logout", self._mediator.id)
            self._mediator = None
            self.changed.emit()

    @Slot()
    def refreshConsole(self) -> None:
        model = self._model()
        self._console = self._format(model)
        self.consoleChanged.emit()
        if self._clock_probe:
            threading.Thread(target=self._probe, daemon=True).start()

    def _probe(self) -> None:
        """Off the GUI thread: can each destination be reached, its clock, the TTS voices."""
        from kiosk.device_health import probe_destination, voice_status
        result: dict = {"destinations": {}, "tts": {}}
        for dest in self.config.destinations.values():
            result["destinations"][dest.name] = probe_destination(dest.url, fetch=self._fetch, timeout=3.0)
        synth = getattr(self.voice, "synth", None)
        if synth is not None:
            result["tts"] = voice_status(self.config, self.config.languages, synth)[1]
        self._probed.emit(result)

    def _on_probed(self, result: dict) -> None:
        self._probe_result = result
        if self._mediator is not None:
            self._console = self._format(self._model())
            self.consoleChanged.emit()

    def _format(self, model: Console) -> dict:
        lang = self.ui_language
        q = model.queue()
        d = model.device()
        today = model.today()
        probes = self._probe_result.get("destinations", {})
        if self._probe_result.get("tts"):
            d.tts_voices = self._probe_result["tts"]
        offsets = [p[1] for p in probes.values() if p[1] is not None]
        offset = offsets[0] if offsets else None
        queue = {"available": q.available,
                 "reason": tr(lang, "m.console.unavailable", reason=q.reason) if not q.available else q.reason,
                 "counts": [{"state": k, "count": v} for k, v in q.counts.items()],
                 "oldest": tr(lang, "m.console.oldest", age=human_age(q.oldest_waiting_seconds)),
                 "lastSync": tr(lang, "m.console.last_sync",
                                when=_local_time(q.last_success) or tr(lang, "m.console.never")),
                 "failed": [{"id": f["id"], "state": f["state"], "reason": f["reason"] or "?",
                             "attempts": f.get("attempts", 0), "service": f.get("service", "")} for f in q.failed],
                 "destinations": []}
        for dest in q.destinations:
            name = dest.get("name", "?")
            online = dest.get("online")
            if online is None and name in probes:
                online = probes[name][0]
            state = (tr(lang, "m.console.online") if online else tr(lang, "m.console.offline")) \
                if online is not None else tr(lang, "m.console.unknown")
            queue["destinations"].append({"name": name, "state": state, "online": bool(online)})
        device = {
            "disk": tr(lang, "m.console.disk", free=human_bytes(d.disk_free_bytes), total=human_bytes(d.disk_total_bytes)),
            "diskLow": d.disk_low,
            "databases": tr(lang, "m.console.databases",
                            list=", ".join(f"{k} {human_bytes(v)}" for k, v in d.databases.items()) or "-"),
            "voiceModels": tr(lang, "m.console.voice_models", list=_status_list(d.voice_models, self.config.languages)),
            "tts": tr(lang, "m.console.tts", list=_status_list(d.tts_voices, self.config.languages)),
            "clock": tr(lang, "m.console.clock",
                        offset=f"{offset:+.0f} s" if offset is not None else tr(lang, "m.console.unknown")),
            "clockWrong": offset is not None and abs(offset) > 60,
        }
        stats = {}
        if today is not None:
            avg = today.average_seconds
            stats = {
                "started": tr(lang, "m.console.started", n=today.started),
                "completed": tr(lang, "m.console.completed", n=today.completed),
                "abandoned": tr(lang, "m.console.abandoned", n=today.abandoned),
                "assisted": tr(lang, "m.console.assisted_share", pct=round(today.assisted_share * 100)),
                "average": tr(lang, "m.console.average", time=human_age(avg) if avg is not None else "-"),
                "languages": tr(lang, "m.console.languages",
                                list=", ".join(f"{k} {v}" for k, v in today.languages.items()) or "-"),
                "abandonedAt": tr(lang, "m.console.abandoned_at",
                                  list=", ".join(f"{k} ({v})" for k, v in list(today.abandoned_by_step.items())[:4]) or "-"),
                "byService": [{"service": s, **c} for s, c in today.by_service.items()],
            }
        verification = self.audit.verify()
        audit = {"ok": verification.ok,
                 "text": tr(lang, "m.console.audit_ok", n=verification.count) if verification.ok
                 else tr(lang, "m.console.audit_bad", problem=verification.problem)}
        settings = [
            {"key": "kiosk id", "value": self.config.kiosk_id},
            {"key": "data", "value": str(self.config.data_dir)},
            {"key": "languages", "value": ", ".join(self.config.languages)},
            {"key": "default language", "value": self.config.default_language},
            {"key": "idle / warning", "value": f"{self.config.idle_seconds:.0f} s / {self.config.warning_seconds:.0f} s"},
            {"key": "exports", "value": str(self.export_dir)},
        ] + [{"key": f"destination {d.name}", "value": f"{d.kind} {d.url}"} for d in self.config.destinations.values()]
        return {"queue": queue, "device": device, "stats": stats, "audit": audit, "settings": settings,
                "supervisor": bool(self._mediator and self._mediator.is_supervisor)}

    @Slot(bool, str)
    def _done(self, ok: bool, detail: str) -> None:
        lang = self.ui_language
        self._console_message = tr(lang, "m.console.done") + (f" {detail}" if ok and detail else "") if ok \
            else tr(lang, "m.console.failed_action", reason=detail)
        self.refreshConsole()
        self.changed.emit()

    @Slot()
    def syncNow(self) -> None:
        if self._mediator is None:
            return
        model = self._model()
        if model.sync_worker is not None or self._outbox is None:
            self._done(*model.sync_now())
            return
        # No background worker in this process: one sync pass, off the GUI thread.
        self._console_message = "…"
        self.changed.emit()
        threading.Thread(target=lambda: self._synced.emit(*model.sync_now()), daemon=True).start()

    @Slot(str)
    def retry(self, item_id: str) -> None:
        if self._mediator is not None:
            self._done(*self._model().retry(item_id or None))

    @Slot()
    def retryAll(self) -> None:
        if self._mediator is not None:
            self._done(*self._model().retry(None))

    @Slot()
    def exportBundle(self) -> None:
        if self._mediator is not None:
            self._done(*self._model().export_bundle(self.export_dir))

    @Slot()
    def exportAudit(self) -> None:
        """The audit log leaves the kiosk only in a supervisor's hands."""
        if self._mediator is not None and not self._mediator.is_supervisor:
            self._console_message = tr(self.ui_language, "m.console.supervisor_only")
            self.changed.emit()
            return
        if self._mediator is not None:
            try:
                path = self._model().export_audit(self.export_dir)
                self._done(True, str(path))
            except OSError as exc:
                self._done(False, f"{type(exc).__name__}: {exc}")

    @Slot()
    def openSettings(self) -> None:
        if self._mediator is not None:
            self.audit.append("settings", self._mediator.id)
            self._set_view(SETTINGS)

    @Slot()
    def restartKiosk(self) -> None:
        self._leave("restart", RESTART_EXIT_CODE)

    @Slot()
    def exitKiosk(self) -> None:
        self._leave("exit", 0)

    def _leave(self, action: str, code: int) -> None:
        """Exit and restart need a second touch; only a signed-in mediator reaches them."""
        if self._mediator is None:
            return
        if self._confirm != action:
            self._confirm = action
            self.changed.emit()
            return
        self._confirm = ""
        self.audit.append(action, self._mediator.id)
        assist.reset_current(action)
        log.info("kiosk %s requested from the mediator console", action)
        self._quit(code)

    def close(self) -> None:
        for closeable in (self._outbox,):
            try:
                if closeable is not None:
                    closeable.close()
            except Exception:  # noqa: BLE001
                pass


def _status_list(status: dict, languages) -> str:
    if not status:
        return "-"
    parts = []
    for lang in languages:
        value = status.get(lang)
        if isinstance(value, dict):
            value = value.get("installed", value.get("ok", bool(value)))
        mark = "✓" if value and value not in ("missing", "none", "unavailable") else "✗"
        parts.append(f"{lang} {mark}")
    return "  ".join(parts)


def _local_time(iso: str | None) -> str:
    if not iso:
        return ""
    try:
        return dt.datetime.fromisoformat(iso).astimezone().strftime("%d/%m %H:%M")
    except ValueError:
        return iso
