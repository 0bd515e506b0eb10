"""The assisted session as QML sees it (`mediator.assist`): consent, the Stop bar, the side panel.

The rules live in kiosk.assist (`AssistSession`); the session itself belongs to
the citizen at the screen (`bridge.citizen`, a kiosk.citizen.CitizenSession)
and leaves with them. This object adapts it to Qt: the consent screen in the
citizen's language, the panel's notes and answers in the mediator's, and the
"filled on behalf" steps noted as the journey moves on.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Callable

from PySide6.QtCore import Property, QObject, Signal, Slot

from kiosk import RIGHT_TO_LEFT
from kiosk.assist import CONSENT_ASKED, DOCUMENT_KINDS, ON_BEHALF, AssistError, AssistSession
from kiosk.citizen import CitizenSession
from kiosk.mediators import Mediator
from kiosk.screen import ScreenContent
from translations import table
from translations import text as tr


class AssistController(QObject):
    """Consent and the panel for the citizen session in progress."""

    changed = Signal()  # assisted, mayFill, state, the citizen-facing texts
    panelChanged = Signal()  # the panel's contents (follow the journey)
    speak = Signal(object)  # the consent screen as a ScreenContent, for voice guidance
    problem = Signal(str)  # a refused action, in the mediator's words
    languageChanged = Signal()  # the mediator's language changed (documentKinds)

    def __init__(self, bridge: Any, audit, language: str, *, default_language: str = "en",
                 now: Callable[[], dt.datetime] | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.bridge, self.audit, self.language = bridge, audit, language
        self._default_language = default_language
        self._now = now or (lambda: dt.datetime.now(dt.timezone.utc))
        self._helper = ""  # the signed-in mediator's name, for the citizen-facing texts
        self._last_page: str | None = None
        self.prefill: Any = None  # ui.prefill_bridge.PrefillController, set by the MediatorController

    # --- the citizen session --------------------------------------------------------

    def _citizen(self) -> CitizenSession | None:
        return self.bridge.citizen if self.bridge is not None else None

    def session(self) -> AssistSession | None:
        citizen = self._citizen()
        return citizen.assist if citizen is not None else None

    def _journey(self):
        return self.bridge.journey if self.bridge is not None else None

    def _page_id(self) -> str | None:
        journey = self._journey()
        page = journey.page if journey else None
        return page.id if page else None

    def citizen_language(self) -> str:
        return str(self.bridge.language) if self.bridge is not None else self._default_language

    def begin(self, mediator: Mediator) -> None:
        """A mediator signed in beside a citizen: an assisted session for this citizen."""
        citizen = self._citizen()
        if citizen is None:
            return  # no citizen screen (a console-only controller)
        journey = self._journey()
        session = AssistSession(mediator, self.audit, service=journey.service.id if journey else None,
                                language=self.citizen_language(), clock=self._now)
        citizen.start_assist(session)
        self._helper = mediator.name
        self._last_page = self._page_id()
        self._refresh()

    def end(self, reason: str) -> None:
        """Hand the screen back: the record of what happened stays with the citizen session."""
        s = self.session()
        try:
            if s is not None and s.active:
                try:
                    self.note_fill()
                finally:
                    s.end(reason)  # ENDED before its audit line is written
        finally:
            self._refresh()  # the screens follow even when the audit write failed

    def forget(self) -> None:
        """The citizen left (the wipe ended their session): nothing to follow any more."""
        self._last_page = None
        if self.prefill is not None:
            self.prefill.forget()
        self._refresh()

    def _refresh(self) -> None:
        self.changed.emit()
        self.panelChanged.emit()

    # --- following the journey -----------------------------------------------------------

    def note_fill(self) -> None:
        """While the mediator may fill in, a page answered since the last screen counts as filled on behalf."""
        s, journey = self.session(), self._journey()
        if s is None or not s.may_fill or journey is None or not self._last_page:
            return
        if self._last_page in journey.answers and self._last_page != self._page_id():
            s.fill(self._last_page)

    def follow(self) -> None:
        """A new citizen screen while assisted: note filled steps; consent lapses if the service changed."""
        s = self.session()
        if s is not None and s.active:
            self.note_fill()
            journey = self._journey()
            s.set_context(journey.service.id if journey else None, self.citizen_language())
        self._last_page = self._page_id()
        self._refresh()

    # --- consent -------------------------------------------------------------------------

    @Slot()
    def askConsent(self) -> bool:
        s = self.session()
        if s is None:
            return False
        journey = self._journey()
        try:
            s.set_context(journey.service.id if journey else None, self.citizen_language())
            s.ask_consent()
        except AssistError as exc:
            self.problem.emit(str(exc))
            return False
        c = {k: v.lstrip("\u200f") for k, v in self._citizen_texts().items()}
        self._refresh()
        self.speak.emit(ScreenContent("consent", self.citizen_language(), c["m.consent.title"],
                                      body=" ".join(c[k] for k in ("m.consent.who", "m.consent.what",
                                                                   "m.consent.scope", "m.consent.stop")),
                                      commands=()))
        return True

    def ask_prefill(self) -> bool:
        """Put the once-only question (kiosk.prefill) to the citizen on the consent screen; False if not offered."""
        if self.prefill is None or not self.prefill.ask():
            return False
        c = {k: v.lstrip("\u200f") for k, v in self._citizen_texts().items()}
        self._refresh()
        self.speak.emit(ScreenContent("consent", self.citizen_language(), c["m.consent.title"],
                                      body=" ".join(c[k] for k in ("m.consent.who", "m.consent.what",
                                                                   "m.consent.scope", "m.consent.stop")),
                                      commands=()))
        return True

    def answer_consent(self, accept: bool) -> bool:
        """The citizen's answer on the consent screen; False if no question was up."""
        if self.prefill is not None and self.prefill.asking:  # the once-only question, not fill-on-behalf
            self.prefill.answer(accept)
            self._refresh()
            return True
        s = self.session()
        if s is None or s.state != CONSENT_ASKED:
            return False
        if accept:
            s.accept_consent()
            self._last_page = self._page_id()
        else:
            s.refuse_consent()
        self._refresh()
        return True

    @Slot()
    def withdrawConsent(self) -> None:
        """The citizen's "Stop" button: from now on only the citizen fills in."""
        s = self.session()
        if s is not None and s.state == ON_BEHALF:
            self.note_fill()
            s.withdraw_consent()
            self._refresh()

    @Slot(str)
    def checkIdentity(self, kind: str) -> None:
        s = self.session()
        if s is not None and kind in DOCUMENT_KINDS:
            s.check_identity(kind)
            self._refresh()

    @Property(bool, notify=changed)
    def oralAllowed(self) -> bool:
        """The citizen is on a signature question whose definition lets the mediator note an oral agreement."""
        journey = self._journey()
        page = journey.page if journey is not None and getattr(self.bridge, "screen", "") == "question" else None
        return bool(self.assisted and page is not None and page.type == "signature" and page.oral_alternative)

    @Slot()
    def confirmOral(self) -> None:
        """The citizen cannot sign and agreed out loud: into the audit log and the assisted record, and the
        answer says so (no image is made in its place)."""
        s = self.session()
        journey = self._journey()
        if s is None or not s.active or not self.oralAllowed or journey is None:
            self.problem.emit(tr(self.language, "m.oral.not_here"))
            return
        try:
            s.confirm_oral(journey.page.id)  # logged first: no answer without its audit line
        except AssistError:
            self.problem.emit(tr(self.language, "m.oral.not_here"))
            return
        except Exception:  # noqa: BLE001 - the audit log could not be written (a full disk): nothing noted
            self.problem.emit(tr(self.language, "m.oral.failed"))
            return
        self.bridge.confirm_signed_orally()
        self._refresh()

    @Slot(result="QVariantMap")
    def record(self) -> dict:
        """What the submission would carry in payload["assisted"] now."""
        citizen = self._citizen()
        return citizen.assisted_record().to_payload() if citizen is not None else {"assisted": False}

    # --- properties for QML --------------------------------------------------------------

    @Property(bool, notify=changed)
    def assisted(self) -> bool:
        s = self.session()
        return bool(s and s.active)

    @Property(bool, notify=changed)
    def mayFill(self) -> bool:
        s = self.session()
        return bool(s and s.may_fill)

    @Property(str, notify=changed)
    def state(self) -> str:
        s = self.session()
        return s.state if s else ""

    @Property(bool, notify=changed)
    def citizenRtl(self) -> bool:
        return self.citizen_language() in RIGHT_TO_LEFT

    def _citizen_texts(self) -> dict:
        lang = self.citizen_language()
        journey = self._journey()
        service = journey.service.text(journey.service.title, lang) if journey else ""
        asking = self.prefill is not None and self.prefill.asking
        # QML reads `ct` once per binding (dozens per screen change): build the map once per inputs.
        key = (lang, self._helper, service, asking)
        cached = getattr(self, "_citizen_texts_cache", None)
        if cached is not None and cached[0] == key:
            return cached[1]
        keys = [k for k in table("en") if k.startswith(("m.citizen.", "m.consent."))]
        # A right-to-left sentence that starts with a Latin name must still read right to left.
        mark = "\u200f" if lang in RIGHT_TO_LEFT else ""
        texts = {k: mark + tr(lang, k, name=self._helper, service=service) for k in keys}
        if asking:  # the consent screen puts the once-only question
            assert self.prefill is not None
            texts.update({k: mark + v for k, v in self.prefill.consent_texts(lang, self._helper, service).items()})
            return texts  # depends on the prefill's own state: not kept
        self._citizen_texts_cache = (key, texts)
        return texts

    @Property("QVariantMap", notify=changed)
    def ct(self) -> dict:
        """Citizen-facing strings in the citizen's language, with the helper's name and the service."""
        return self._citizen_texts()

    @Property("QVariantList", notify=languageChanged)
    def documentKinds(self) -> list:
        return [{"code": k, "label": tr(self.language, f"m.doc.{k}")} for k in DOCUMENT_KINDS]

    @Property("QVariantMap", notify=panelChanged)
    def panel(self) -> dict:
        """The side panel: notes for the current question, answers so far, what the service requires."""
        lang, journey, s = self.language, self._journey(), self.session()
        data: dict[str, Any] = {"hasJourney": journey is not None, "service": "", "question": "", "notes": "",
                                "answers": [], "requirements": "", "mode": "",
                                "identity": s.identity_document if s and s.identity_document else ""}
        if s is not None:
            data["mode"] = tr(lang, "m.panel.mode_fill", time=s.consent_at.astimezone().strftime("%H:%M")) \
                if s.may_fill and s.consent_at else tr(lang, "m.panel.mode_guide")
        if journey is None:
            return data
        service = journey.service

        def text(texts) -> str:
            return service.text(texts, lang if lang in service.languages else journey.language)

        data["service"] = text(service.title)
        page = journey.page
        if page is not None:
            data["question"] = text(page.question)
            data["notes"] = text(page.mediator_notes) if page.mediator_notes else ""
        data["requirements"] = text(service.requirements) if service.requirements else ""
        data["answers"] = [{"question": text(row.page.question), "answer": self.bridge.format_answer(row.page, row.value),
                            "current": page is not None and row.page.id == page.id}
                           for row in journey.summary() if row.value is not None]
        return data
