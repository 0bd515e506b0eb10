"""The journey engine as seen from QML: properties to bind, slots to call.

`KioskBridge` holds no rule of its own: it asks `kiosk.journey.Journey`,
`kiosk.session.InactivityTimer` and `kiosk.submission.submit`, and turns the
answers into plain values (strings, lists of dicts) for QML. After every
change it builds a `ScreenContent` for voice guidance and the mediator panel.
"""
from __future__ import annotations

import concurrent.futures
import logging
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import Property, QObject, QTimer, QUrl, Signal, Slot

from kiosk import RIGHT_TO_LEFT
from kiosk.config import Config
from kiosk.definition import Catalogue, Page, Service
from kiosk.journey import CHECK, DONE, STOPPED as JOURNEY_STOPPED, Journey, JourneyError
from kiosk.national_id import DIGITS_ONLY
from kiosk.validators import DEFAULT_MAX_LENGTH
from kiosk.reference import display
from kiosk.citizen import CitizenSession
from kiosk.documents import ORAL
from kiosk.screen import (ATTRACT, LANGUAGE, QUESTION, SERVICES, START, STOPPED, ScreenContent, SpokenOption,
                          error_text)
from kiosk.session import ACTIVE, EXPIRED, InactivityTimer
from kiosk.submission import SubmitError, build_payload, check_ready, write
from ui.drafts_bridge import PAUSED, RESUME
from ui.help_call import HelpCall
from translations import table
from translations import text as tr

log = logging.getLogger(__name__)

# The parts of the data notice, in the order GDPR article 13 lists them.
DATA_NOTICE_PARTS = ("controller", "purpose", "legal_basis", "retention", "rights", "contact")

# Interface strings per language, merged once (the tables are read-only after start-up).
_T_CACHE: dict[str, dict] = {}

# Qt Virtual Keyboard layout per session language.
KEYBOARD_LOCALES = {"en": "en_GB", "pt": "pt_PT", "fr": "fr_FR", "es": "es_ES", "ar": "ar_AR"}
# Postcode formats made of digits only (a dash, where there is one, is put in by the validator).
DIGIT_POSTCODES = frozenset({"PT", "ES", "FR"})
# Keys shown above the on-screen keyboard: email pieces, and each language's accented letters on
# keys of their own (the keyboard hides them behind a long press).
EMAIL_KEYS = ("@", ".", "-", "_", ".com", ".pt", ".fr", ".es", "gmail.com", "sapo.pt")
ACCENT_KEYS = {"pt": ("á", "à", "â", "ã", "é", "ê", "í", "ó", "ô", "õ", "ú", "ç"),
               "fr": ("é", "è", "ê", "ë", "à", "â", "ç", "î", "ï", "ô", "ù", "û", "œ"),
               "es": ("á", "é", "í", "ó", "ú", "ñ", "ü", "¿", "¡")}


def wants_latin_script(page) -> bool:
    """A name typed as on an identity card: in Latin letters whatever the session's script.

    The sample definitions have no field for it yet; a short text whose id ends in "name"
    (full_name, person_name) is such a question.
    """
    return page.type == "short_text" and page.id.endswith("name")


def _url(path: Path | None) -> str:
    return QUrl.fromLocalFile(str(path)).toString() if path and path.is_file() else ""


class _PageView:
    """A journey seen as if it showed another page (read only), for `KioskBridge.likely_next_screens`."""

    def __init__(self, journey: Journey, page: Page):
        self.service, self.raw, self.page, self.error = journey.service, journey.raw, page, None
        self._journey = journey

    def __getattr__(self, name: str) -> Any:  # anything else (prefill marks, documents) as the journey has it
        return getattr(self._journey, name)

    def progress(self) -> tuple[int, int]:
        counted = self._journey.pages_to_ask()
        return (counted.index(self.page) + 1, len(counted)) if self.page in counted else self._journey.progress()


class QueueWriter:
    """Owns the outbox on one worker thread: SQLite connections stay on the thread that opened them."""

    def __init__(self, open_outbox: Callable[[], Any], on_open: Callable[[Any], None] | None = None):
        self._open = open_outbox
        self._on_open = on_open
        self._outbox = None
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="queue-writer")

    def submit(self, fn: Callable[[Any], Any]) -> concurrent.futures.Future:
        def run():
            if self._outbox is None:
                # Opened on first use; if opening fails (a full disk), the next submit tries again.
                self._outbox = self._open()
                if self._on_open:
                    self._on_open(self._outbox)
            return fn(self._outbox)
        return self._pool.submit(run)

    def warm(self) -> None:
        """Open the outbox in the background at start-up, so a backlog starts syncing at once."""
        def ignore(future):
            if future.exception():
                log.warning("queue not available yet: %s", type(future.exception()).__name__)
        self.submit(lambda outbox: None).add_done_callback(ignore)

    def close(self) -> None:
        def shut():
            if self._outbox is not None:
                self._outbox.close()
                self._outbox = None
        self._pool.submit(shut).result(timeout=10)
        self._pool.shutdown(wait=True)


class KioskBridge(QObject):
    changed = Signal()
    idleChanged = Signal()
    # Python-side listeners (voice, mediator) get every new screen.
    screenShown = Signal(object)
    submitted = Signal(str)  # the reference
    helpChanged = Signal()
    displayChanged = Signal()  # text size or contrast
    restarted = Signal()  # the session was wiped (Start again, idle, Finish): listeners forget too
    helpRequested = Signal()  # the citizen asked for a helper (button or voice): the mediator layer shows its card
    pauseRequested = Signal()  # "Pause and come back later": the drafts bridge seals the journey now (ui/app.py)
    _submitDone = Signal(object)  # from the writer thread back to the GUI thread

    def __init__(self, config: Config, catalogue: Catalogue, writer: QueueWriter, *,
                 clock: Callable[[], float] | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.config = config
        self.catalogue = catalogue
        self.writer = writer
        self._clock_args = {"clock": clock} if clock else {}
        self.idle = InactivityTimer.from_config(config, **self._clock_args)
        self._screen = ATTRACT
        self._language = config.default_language
        self.journey: Journey | None = None
        self._submit_error = ""
        self._busy = False
        self._reference = ""
        self._idle_phase = ACTIVE
        self._idle_seconds = 0
        self._data_notice_open = False
        self._text_scale = 1.0
        self._high_contrast = False
        self._native_script_page: str | None = None  # a Latin-name page switched to the session's letters
        # Files of this citizen's document and signature answers (page id -> files), in memory only: written
        # with the submission (sealed), forgotten at the wipe.
        self._files: dict[str, tuple] = {}
        # The pause card and the code entry as ScreenContent, from the drafts bridge (set in ui/app.py).
        self.draft_screen: Callable[[str, str], ScreenContent | None] | None = None
        # Further files the submission carries (a document's pages, read from the session's private folder),
        # and thumbnails for check answers: set by the documents bridge (ui/documents_bridge.py).
        self.file_providers: list[Callable[[Journey], list]] = []
        self.image_urls: Callable[[Page, Any], list[str]] | None = None
        help_settings = config.help
        self.help = HelpCall(kiosk_id=config.kiosk_id, notify_url=help_settings.notify_url,
                             remind_seconds=help_settings.remind_seconds, timeout=help_settings.timeout,
                             chime_path=config.data_dir / "sounds" / "help-chime.wav", parent=self,
                             **self._clock_args)
        self.help.changed.connect(self.helpChanged)
        self.help.minuteChanged.connect(self.changed)  # the flag's "waiting for N minutes"
        # The person at the screen (assistance and consent; journey to follow), replaced whole at the wipe.
        self.citizen = CitizenSession()
        self._submitDone.connect(self._on_submit_done)
        self._ticker = QTimer(self)
        self._ticker.setInterval(250)
        self._ticker.timeout.connect(self._tick)
        self._ticker.start()

    # --- state exposed to QML ------------------------------------------------

    def _get_screen(self) -> str:
        return self._screen

    screen = Property(str, _get_screen, notify=changed)

    @Property(str, notify=changed)
    def language(self) -> str:
        return self._language

    @Property(bool, notify=changed)
    def rtl(self) -> bool:
        return self._language in RIGHT_TO_LEFT

    @Property("QVariantMap", notify=changed)
    def t(self) -> dict:
        """Every interface string in the session language (English where one is missing)."""
        # Built once per language: every binding on every screen reads it after each change.
        if self._language not in _T_CACHE:
            _T_CACHE[self._language] = {**table("en"), **table(self._language)}
        return _T_CACHE[self._language]

    @Property(str, notify=changed)
    def keyboardLocale(self) -> str:
        page = self._page()
        if (page is not None and wants_latin_script(page) and self._language in RIGHT_TO_LEFT
                and self._native_script_page != page.id):
            return KEYBOARD_LOCALES["en"]  # the name as on the card; the script switch goes back
        return KEYBOARD_LOCALES.get(self._language, "en_GB")

    @Property(bool, notify=changed)
    def scriptSwitch(self) -> bool:
        """Show the switch between Latin and the session's own letters (a name, in Arabic)."""
        page = self._page()
        return page is not None and wants_latin_script(page) and self._language in RIGHT_TO_LEFT

    @Property(str, notify=changed)
    def scriptSwitchLabel(self) -> str:
        """What the switch changes to: Latin letters, or the session's own."""
        latin = self.keyboardLocale == KEYBOARD_LOCALES["en"]
        return tr(self._language, "keyboard.own_letters" if latin else "keyboard.latin_letters")

    @Slot()
    def switchScript(self) -> None:
        page = self._page()
        if page is not None:
            self._native_script_page = None if self._native_script_page == page.id else page.id
            self.changed.emit()

    @Property("QStringList", notify=changed)
    def extraKeys(self) -> list[str]:
        """Keys above the on-screen keyboard for this question: email pieces or accented letters."""
        keypad = self._keypad()
        if keypad == "email":
            return list(EMAIL_KEYS)
        if keypad in ("text", "name") and self.keyboardLocale == KEYBOARD_LOCALES.get(self._language):
            return list(ACCENT_KEYS.get(self._language, ()))
        return []

    @Property("QVariantList", constant=True)
    def languages(self) -> list:
        return [{"code": code, "name": tr(code, "language.own_name"), "rtl": code in RIGHT_TO_LEFT}
                for code in self.config.languages]

    @Property("QVariantList", constant=True)
    def welcomes(self) -> list:
        """The start screen's invitation in every kiosk language, for it to cycle through."""
        return [{"code": code, "welcome": tr(code, "attract.welcome"), "start": tr(code, "attract.touch_to_start"),
                 "keys": tr(code, "keys.press_any_key"), "rtl": code in RIGHT_TO_LEFT} for code in self.config.languages]

    @Property("QVariantList", notify=changed)
    def services(self) -> list:
        return [{"id": s.id, "title": s.text(s.title, self._language),
                 "description": s.text(s.description, self._language),
                 "pictogram": _url(s.pictogram),
                 "questions": tr(self._language, "services.questions", count=len(s.pages))}
                for s in self.catalogue.for_language(self._language)]

    def _service(self) -> Service | None:
        return self.journey.service if self.journey else None

    def _page(self) -> Page | None:
        return self.journey.page if self.journey else None

    def _s(self, texts: dict) -> str:
        service = self._service()
        return service.text(texts, self._language) if service and texts else ""

    @Property(str, notify=changed)
    def serviceTitle(self) -> str:
        service = self._service()
        return self._s(service.title) if service else ""

    @Property(str, notify=changed)
    def question(self) -> str:
        page = self._page()
        return self._s(page.question) if page else ""

    @Property(str, notify=changed)
    def hint(self) -> str:
        page = self._page()
        if not page:
            return ""
        hint = self._s(page.hint)
        # The kiosk's own guidance, unless the definition's hint already says it.
        extra = []
        if not page.required:
            extra.append(tr(self._language, "question.optional"))
        if page.type == "multiple_choice":
            extra.append(tr(self._language, "answer.choose_all"))
        if source := self._prefill_source(page):  # once-only: say where the answer already there comes from
            extra.append(tr(self._language, "prefill.hint", source=source))
        for sentence in extra:
            if sentence.rstrip(".").lower() not in hint.lower():
                hint = (hint + " " if hint else "") + sentence
        return hint

    def _prefill_source(self, page: Page) -> str:
        """The administration an answer came from (kiosk.prefill), in the session language, while unchanged."""
        from kiosk.prefill import source_name
        source = self.journey.prefilled_from(page.id) if self.journey else None
        return source_name(source, self._language) if source is not None else ""

    @Property(str, notify=changed)
    def questionType(self) -> str:
        page = self._page()
        return page.type if page else ""

    @Property(str, notify=changed)
    def pageId(self) -> str:
        page = self._page()
        return page.id if page else ""

    @Property(str, notify=changed)
    def pictogram(self) -> str:
        page = self._page()
        return _url(page.pictogram) if page else ""

    @Property(str, notify=changed)
    def keypad(self) -> str:
        """Which on-screen keyboard: digits, phone, id, email, postcode, name or text."""
        return self._keypad()

    def _keypad(self) -> str:
        page = self._page()
        if not page:
            return "text"
        if page.type == "national_id":
            return "digits" if self.journey.service.national_id in DIGITS_ONLY else "id"
        if page.type == "number":
            return "digits"  # a count or an amount: digits only, no sums or signs
        if page.type == "postcode":
            return "digits" if self.journey.service.postcode in DIGIT_POSTCODES else "postcode"
        if wants_latin_script(page):
            return "name"
        return page.type if page.type in ("phone", "email") else "text"

    @Property(int, notify=changed)
    def maxLength(self) -> int:
        page = self._page()
        if not page:
            return 0
        return page.max_length or DEFAULT_MAX_LENGTH.get(page.type, 254)

    @Property(str, notify=changed)
    def error(self) -> str:
        if not self.journey or not self.journey.error:
            return ""
        return error_text(self.journey.service, self.journey.page, self.journey.error, self._language)

    @Property(str, notify=changed)
    def progressText(self) -> str:
        if not self.journey or self._screen != QUESTION:
            return ""
        n, total = self.journey.progress()
        return tr(self._language, "progress", n=n, total=total)

    @Property(float, notify=changed)
    def progressFraction(self) -> float:
        if not self.journey:
            return 0.0
        n, total = self.journey.progress()
        return n / total if total else 0.0

    @Property("QVariantList", notify=changed)
    def options(self) -> list:
        page = self._page()
        if not page:
            return []
        current = self.journey.raw.get(page.id)
        if page.type == "yes_no":
            return [{"value": v, "label": tr(self._language, f"answer.{v}"), "pictogram": "",
                     "selected": current == v, "number": i + 1} for i, v in enumerate(("yes", "no"))]
        chosen = set(current) if isinstance(current, (list, tuple)) else {current}
        return [{"value": o.value, "label": self._s(o.label), "pictogram": _url(o.pictogram),
                 "selected": o.value in chosen, "number": i + 1} for i, o in enumerate(page.options)]

    @Property(str, notify=changed)
    def answerText(self) -> str:
        page = self._page()
        if not page:
            return ""
        raw = self.journey.raw.get(page.id)
        return raw if isinstance(raw, str) else ("" if raw is None else str(raw))

    @Property("QVariantList", notify=changed)
    def dateParts(self) -> list:
        """[day, month, year] of the current date answer as typed (or as stored), for the three boxes."""
        raw = self.answerText
        if len(raw) == 10 and raw[4] == "-" and raw[7] == "-":  # stored ISO form
            return [raw[8:], raw[5:7], raw[:4]]
        parts = raw.split("/")
        return parts if len(parts) == 3 else ["", "", ""]

    @Property("QVariantList", notify=changed)
    def summary(self) -> list:
        if not self.journey:
            return []
        return [{"pageId": row.page.id, "question": self._s(row.page.question),
                 "source": tr(self._language, "prefill.from", source=s) if (s := self._prefill_source(row.page)) else "",
                 "answer": self.format_answer(row.page, row.value),
                 "images": self.image_urls(row.page, row.value) if self.image_urls else []}
                for row in self.journey.summary()]

    def _spoken_answer(self, page: Page) -> str:
        """The answer on the screen as words: "Pages: 2" or "Signed" for files, never their names."""
        raw = self.journey.raw.get(page.id) if self.journey else None
        return self.format_answer(page, raw) if page.type in ("document", "signature") and raw else self.answerText

    def format_answer(self, page: Page, value: Any) -> str:
        if value is None or value == "" or value == []:
            return tr(self._language, "answer.not_given")
        if page.type == "yes_no":
            return tr(self._language, f"answer.{value}")
        if page.type in ("single_choice", "multiple_choice"):
            values = value if isinstance(value, list) else [value]
            return ", ".join(self._s(page.option(v).label) for v in values if page.option(v))
        if page.type == "document":
            return tr(self._language, "doc.pages", count=len(value) if isinstance(value, list) else 1)
        if page.type == "signature":
            return tr(self._language, "signature.oral_answer" if value == ORAL else "signature.signed")
        if page.type == "date":
            year, month, day = str(value).split("-")
            return f"{day}/{month}/{year}"
        return str(value)

    @Property(str, notify=changed)
    def consentText(self) -> str:
        service = self._service()
        return self._s(service.consent) if service else ""

    @Property(bool, notify=changed)
    def consentGiven(self) -> bool:
        return bool(self.journey and self.journey.consent_given)

    # --- the start page and the data notice ------------------------------------

    @Property(str, notify=changed)
    def serviceDescription(self) -> str:
        service = self._service()
        return self._s(service.description) if service else ""

    @Property(str, notify=changed)
    def requirements(self) -> str:
        service = self._service()
        return self._s(service.requirements) if service else ""

    @Property(str, notify=changed)
    def duration(self) -> str:
        """"About 5 minutes", from the definition's estimate."""
        service = self._service()
        minutes = getattr(service, "minutes", None) if service else None
        return tr(self._language, "start.minutes", minutes=minutes) if minutes else ""

    @Property(str, notify=changed)
    def cost(self) -> str:
        service = self._service()
        return self._s(getattr(service, "cost", {})) if service else ""

    @Property(str, notify=changed)
    def receiver(self) -> str:
        """Who receives the answers (the data controller), for the start page's one line."""
        service = self._service()
        notice = getattr(service, "data_notice", {}) if service else {}
        return self._s(notice.get("controller", {})) if notice else ""

    @Property(bool, notify=changed)
    def hasDataNotice(self) -> bool:
        service = self._service()
        return bool(service and (getattr(service, "data_notice", None) or service.data_use)
                    and self._screen in (START, QUESTION, CHECK, STOPPED))

    @Property("QVariantList", notify=changed)
    def dataNotice(self) -> list:
        """The data notice as GDPR article 13 orders it: [{heading, text}] in the session language."""
        service = self._service()
        if not service:
            return []
        notice = getattr(service, "data_notice", {}) or {}
        parts = [{"key": key, "heading": tr(self._language, f"data.{key}"), "text": self._s(notice[key])}
                 for key in DATA_NOTICE_PARTS if notice.get(key)]
        if not parts and service.data_use:
            parts = [{"key": "summary", "heading": tr(self._language, "data.title"), "text": self._s(service.data_use)}]
        return parts

    @Property(bool, notify=changed)
    def dataNoticeOpen(self) -> bool:
        return self._data_notice_open

    @Slot(bool)
    def showDataNotice(self, shown: bool) -> None:
        """Open or close "What happens to my data" over the current screen."""
        self._data_notice_open = bool(shown) and self.hasDataNotice
        self._refresh()

    # --- display: bigger text and high contrast (reset for the next citizen) -----

    TEXT_SCALES = (1.0, 1.5, 2.0)

    @Property(float, notify=displayChanged)
    def textScale(self) -> float:
        return self._text_scale

    @Property("QVariantList", constant=True)
    def textScales(self) -> list:
        return list(self.TEXT_SCALES)

    @Property(bool, notify=displayChanged)
    def highContrast(self) -> bool:
        return self._high_contrast

    @Slot(float)
    def setTextScale(self, scale: float) -> None:
        """Text x1, x1.5 or x2 (anything else is ignored)."""
        if scale in self.TEXT_SCALES and scale != self._text_scale:
            self._text_scale = scale
            self.displayChanged.emit()

    @Slot(bool)
    def setHighContrast(self, on: bool) -> None:
        if bool(on) != self._high_contrast:
            self._high_contrast = bool(on)
            self.displayChanged.emit()

    # --- calling a helper ------------------------------------------------------

    @Property(bool, notify=helpChanged)
    def helpWaiting(self) -> bool:
        return self.help.waiting

    @Property(str, notify=changed)
    def helpWaitingText(self) -> str:
        return tr(self._language, "help.waiting")

    @Property(str, notify=changed)
    def helpWaitedText(self) -> str:
        """How long the citizen has waited for a helper, in whole minutes, for the flag."""
        minutes = self.help.minutes_waiting()
        return tr(self._language, "help.waited", count=minutes) if minutes else tr(self._language, "help.waited_now")

    @Slot()
    def callHelper(self) -> None:
        """"Call a helper": chime, flag, the staff's device; then the card saying a helper will come."""
        self.help.call(self._service().id if self._service() else "", self._step_name())
        self.helpRequested.emit()

    @Slot()
    def helperArrived(self) -> None:
        """A helper is here (signed in): no more reminders."""
        self.help.end(cancelled=False)

    @Slot()
    def cancelHelp(self) -> None:
        """The citizen no longer wants a helper."""
        self.help.end(cancelled=True)

    def _step_name(self) -> str:
        """Where the citizen is, without personal data: the screen, and the page id on a question."""
        page = self._page()
        return f"{self._screen}:{page.id}" if self._screen == QUESTION and page else self._screen

    # --- stopping early, and after Send --------------------------------------

    @Property(str, notify=changed)
    def stopText(self) -> str:
        stop = self.journey.stopped_by if self.journey else None
        return self._s(stop.message) if stop else ""

    @Property(str, notify=changed)
    def stopInstead(self) -> str:
        stop = self.journey.stopped_by if self.journey else None
        return self._s(stop.instead) if stop else ""

    @Property(str, notify=changed)
    def nextSteps(self) -> str:
        service = self._service()
        after = getattr(service, "after_submit", {}) if service else {}
        return self._s(after.get("next_steps", {})) if after else ""

    @Property("QVariantList", notify=changed)
    def followUp(self) -> list:
        """How to ask about the request later: [{kind, label, text}] for phone, counter and web."""
        service = self._service()
        after = getattr(service, "after_submit", {}) if service else {}
        rows = []
        for kind in ("phone", "counter", "web"):
            value = after.get(kind) if after else None
            text = self._s(value) if isinstance(value, dict) else (value or "")
            if text:
                if kind in ("phone", "web") and self._language in RIGHT_TO_LEFT:
                    text = "\u2066" + text + "\u2069"  # keeps its own order in an Arabic line (+351 200 ...)
                rows.append({"kind": kind, "label": tr(self._language, f"done.follow_{kind}"), "text": text})
        return rows

    @Property(bool, notify=changed)
    def canGoBack(self) -> bool:
        return self._screen in (LANGUAGE, SERVICES, START, QUESTION, CHECK, STOPPED, RESUME)

    @Property(bool, notify=changed)
    def busy(self) -> bool:
        return self._busy

    @Property(str, notify=changed)
    def submitError(self) -> str:
        return self._submit_error

    @Property(str, notify=changed)
    def reference(self) -> str:
        return display(self._reference) if self._reference else ""

    @Property(str, notify=idleChanged)
    def idlePhase(self) -> str:
        return self._idle_phase

    @Property(int, notify=idleChanged)
    def idleSecondsLeft(self) -> int:
        return self._idle_seconds

    @Property(str, notify=idleChanged)
    def idleCountdownText(self) -> str:
        return tr(self._language, "idle.countdown", seconds=self._idle_seconds)

    # --- actions from QML ----------------------------------------------------

    def _show(self, screen: str) -> None:
        self.touch()  # every step, however it was asked for (touch, key, screen reader, voice), is activity
        self._screen = screen
        if self.help.waiting:
            self.help.update_step(self._service().id if self._service() else "", self._step_name())
        self.changed.emit()
        self.screenShown.emit(self.screen_content())

    def _refresh(self) -> None:
        # Same screen, new content (an error, a new page): listeners hear it too.
        self._show(self._screen)

    @Slot()
    def start(self) -> None:
        self.idle.touch()
        self._show(LANGUAGE)

    @Slot(str)
    def chooseLanguage(self, code: str) -> None:
        if self._busy:  # a submission is being written: the journey must not move under it
            return
        if code not in self.config.languages:
            return
        self._language = code
        if self.journey:
            # Mid-journey: keep every answer, just speak another language.
            if code in self.journey.service.languages:
                self.journey.set_language(code)
            self._refresh()
        elif self._screen == RESUME:
            self._refresh()  # the code entry stays, in the new language
        else:
            self._show(SERVICES)

    @Slot(str)
    def chooseService(self, service_id: str) -> None:
        service = self.catalogue.services.get(service_id)
        if service is None or self._language not in service.languages:
            return
        self.journey = Journey(service, self._language)
        self._submit_error = ""
        # The start page first: what it is for, what to bring, and who receives the answers.
        self._show(START)

    @Slot()
    def begin(self) -> None:
        """From the start page to the first question."""
        if self._screen == START and self.journey:
            self._show(QUESTION)

    @Slot("QVariant")
    def setAnswer(self, value: Any) -> None:
        """Record what the citizen typed or touched; shown errors clear once they act."""
        if not self._page():
            return
        self.journey.raw[self.journey.page.id] = value
        self.touch()  # typing (or a screen reader's text insert) is activity too
        if self.journey.error:
            self.journey.error = None
            self._refresh()

    @Slot("QVariant", float, float)
    def setSignature(self, strokes: Any, width: float, height: float) -> None:
        """The signature pad's strokes (pad pixels): rendered to PNG (and SVG for REST) and answered with the
        PNG's name; an empty or too small drawing is no answer."""
        from documents.signature import signature_attachments
        from kiosk.documents import DocumentError
        page = self._page()
        if not page or page.type != "signature":
            return
        destination = self.config.destination(self.journey.service.destination)
        if hasattr(strokes, "toVariant"):  # a JS array arrives as a QJSValue
            strokes = strokes.toVariant()
        try:
            files = signature_attachments(page.id, list(strokes or []), int(width), int(height),
                                          with_svg=destination is None or destination.kind != "openrosa")
        except (DocumentError, TypeError, ValueError):  # a blank pad, or nothing usable: no answer
            self._files.pop(page.id, None)
            return self.setAnswer("")
        self._files[page.id] = tuple(files)
        self.setAnswer(files[0].name)

    def _attachments(self, journey: Journey) -> list:
        """The files of the answers the journey will send (a page changed or hidden since sends nothing)."""
        found = [a for page_id, files in self._files.items()
                 if files and journey.answers.get(page_id) == files[0].name for a in files]
        for provide in self.file_providers:
            found += provide(journey)
        return found

    def confirm_signed_orally(self) -> bool:
        """The mediator noted that the citizen agreed out loud instead of signing, where the definition allows
        it: the answer is ORAL and no image is sent. False if the screen is not such a signature question."""
        page = self._page()
        if not page or self._screen != QUESTION or page.type != "signature" or not page.oral_alternative:
            return False
        self._files.pop(page.id, None)
        self.journey.raw[page.id] = ORAL
        self.journey.error = None
        self._refresh()
        return True

    @Slot(str)
    def chooseOption(self, value: str) -> None:
        page = self._page()
        if not page:
            return
        if page.type == "multiple_choice":
            current = list(self.journey.raw.get(page.id) or [])
            current = [v for v in current if v != value] if value in current else current + [value]
            self.journey.answer(current)
            self.journey.error = None
        else:
            self.journey.answer(value)
        self._refresh()

    @Slot(str, str, str)
    def setDateAnswer(self, day: str, month: str, year: str) -> None:
        parts = [p.strip() for p in (day, month, year)]
        self.setAnswer("" if not any(parts) else "/".join(p.zfill(2) if i < 2 else p for i, p in enumerate(parts)))

    @Slot()
    def next(self) -> None:
        if self._screen == ATTRACT:
            return self.start()
        if not self._page():
            return
        if self._screen == START:
            return self.begin()
        page = self.journey.page
        self.journey.next(self.journey.raw.get(page.id))
        step = self.journey.step
        self._show(CHECK if step == CHECK else STOPPED if step == JOURNEY_STOPPED else QUESTION)

    @Slot()
    def back(self) -> None:
        if self._busy:  # a submission is being written: the journey must not move under it
            return
        if self._screen == LANGUAGE:
            return self._show(ATTRACT)
        if self._screen == SERVICES:
            return self._show(LANGUAGE)
        if self._screen == RESUME:
            return self._show(SERVICES)
        if self._screen == PAUSED:
            return self.cancelPause()
        if not self.journey or self.journey.step == DONE:
            return
        if self._screen == START:
            # Back from the start page: choose another service, nothing kept.
            self.journey = None
            return self._show(SERVICES)
        if self.journey.back():
            self._show(QUESTION)
        else:
            self._show(START)

    @Slot(str)
    def change(self, page_id: str) -> None:
        if self._busy:  # a submission is being written: the journey must not move under it
            return
        if self.journey and self.journey.step == CHECK:
            self.journey.change(page_id)
            self._show(QUESTION)

    @Slot(bool)
    def giveConsent(self, given: bool) -> None:
        if self._busy:  # a submission is being written: the journey must not move under it
            return
        if self.journey:
            self.journey.give_consent(given)
            self._submit_error = ""
            self._refresh()

    @Slot()
    def submit(self) -> None:
        journey = self.journey
        if not journey or journey.step != CHECK or self._busy:
            return
        if not journey.consent_given:
            self._submit_error = tr(self._language, "consent.needed")
            return self._refresh()
        try:
            check_ready(journey)
        except JourneyError:
            return self._refresh()
        # The payload is built here, on the GUI thread, from a journey nobody can change while busy
        # (back, change, consent and language wait); only the disk write goes to the writer thread.
        payload = build_payload(journey, self.config, assisted=self.citizen.assisted_payload())
        attachments = self._attachments(journey)
        self._busy = True
        self._submit_error = ""
        self.changed.emit()

        def write_it(outbox):
            try:
                return write(payload, journey, self.config, outbox, attachments)
            except SubmitError as exc:
                return exc
            except Exception as exc:  # noqa: BLE001 - whatever happens, the citizen keeps their answers
                log.error("submission could not be queued: %s", type(exc).__name__)
                return SubmitError("queue_write_failed")

        future = self.writer.submit(write_it)
        future.add_done_callback(lambda f: self._submitDone.emit(
            f.result() if not f.exception() else SubmitError("queue_write_failed")))

    def _on_submit_done(self, result) -> None:
        self._busy = False
        if isinstance(result, SubmitError):
            # The answers stay on the check screen; a person can help from here.
            self._submit_error = tr(self._language, f"error.{result.key}")
            return self._refresh()
        self.journey.finish()  # on disk now: nothing changed it meanwhile (busy), so this cannot refuse
        self._reference = result.reference
        self.submitted.emit(result.reference)
        self._show(DONE)

    @Slot()
    def finish(self) -> None:
        self.wipe()

    # --- pausing and resuming with a code (ui/drafts_bridge.py) ------------------------------

    @Slot()
    def enterCode(self) -> None:
        """"I have a code": the code entry, from the services screen."""
        if self._screen == SERVICES and self.journey is None:
            self._show(RESUME)

    @Slot()
    def pause(self) -> None:
        """"Pause and come back later", from a question or check answers: sealed, then the code card."""
        if self._busy or not self.journey or self._screen not in (QUESTION, CHECK):
            return
        self.pauseRequested.emit()  # the snapshot is taken now, before anything else can change the journey
        self._data_notice_open = False
        self._show(PAUSED)

    @Slot()
    def paused(self) -> None:
        """The code is on screen: this citizen's answers leave the screen and the memory (the draft keeps them)."""
        if self._screen != PAUSED:
            return
        self.journey = None
        self._files.clear()
        self._refresh()

    @Slot()
    def cancelPause(self) -> None:
        """The answers could not be kept: back to them, nothing lost."""
        if self._screen == PAUSED and self.journey is not None:
            self._show(CHECK if self.journey.step == CHECK else QUESTION)

    @Slot()
    def draftChanged(self) -> None:
        """The pause card or the code entry has something new to say (a code, an error)."""
        if self._screen in (PAUSED, RESUME):
            self._refresh()

    def adopt(self, journey: Journey) -> None:
        """A paused journey taken back with its code: on at the page where it stopped, every answer kept."""
        if self.journey is not None or self._busy:
            log.warning("a resumed journey arrived during another one; not taken")
            return
        self.journey = journey
        self._files.clear()  # files are never in a draft: signatures and pages are given again
        self._submit_error = ""
        if self._language in journey.service.languages:
            journey.set_language(self._language)  # the language chosen just now, if the service has it
        else:
            self._language = journey.language
        self._show(CHECK if journey.step == CHECK else QUESTION)

    @Slot()
    def moreTime(self) -> None:
        self.idle.touch()
        self._tick()

    @Slot()
    def touch(self) -> None:
        if self._idle_phase == ACTIVE:
            self.idle.touch()

    @Slot()
    def restart(self) -> None:
        """"Start again", confirmed: every answer is deleted at once, as at the idle wipe."""
        self.wipe()

    def wipe(self) -> None:
        """Forget the citizen: answers, language, reference. The next person starts clean."""
        self.journey = None
        self._files.clear()  # signatures and pages: nothing of this citizen stays
        self._data_notice_open = False
        self._native_script_page = None
        self.help.end(cancelled=True)  # nobody is waiting any more
        if self._text_scale != 1.0 or self._high_contrast:  # the next citizen starts with the usual display
            self._text_scale, self._high_contrast = 1.0, False
            self.displayChanged.emit()
        self.restarted.emit()
        self._reference = ""
        self._submit_error = ""
        self._busy = False
        self._language = self.config.default_language
        self._idle_phase, self._idle_seconds = ACTIVE, 0
        self.idle.touch()
        self.idleChanged.emit()
        self.citizen.end("session_ended")
        self.citizen = CitizenSession()
        self._show(ATTRACT)

    def replace_catalogue(self, catalogue: Catalogue) -> bool:
        """Offer another catalogue's services from now on (a signed update, ui/catalogue_watch.py).

        Only on the welcome screen with no journey: False otherwise, so nobody's journey
        changes under them."""
        if self._screen != ATTRACT or self.journey is not None:
            return False
        self.catalogue = catalogue
        self.changed.emit()
        return True

    def likely_next_screens(self) -> list[ScreenContent]:
        """What the next screen will most likely say, for speech made ahead (ui/voice_prefetch.py).

        The welcome screen leads to the language list, the language list to the services (in
        the language shown), a start page to its first question, a
        question to the next question that may be asked (and the one after it when that one
        may be skipped, depending on an answer). Never a page that already has an answer: its
        words would include the citizen's own."""
        if self._data_notice_open:
            return []
        if self._screen == ATTRACT:
            return [self._peek(LANGUAGE)]
        if self._screen == LANGUAGE and self.journey is None:  # the list of services, if they keep this language
            return [self._peek(SERVICES)]
        page = self._page()
        if page is None or self._screen not in (START, QUESTION):
            return []
        if self._screen == START:
            candidates = [page]
        else:
            pages = self.journey.pages_to_ask()
            after = pages[pages.index(page) + 1:] if page in pages else []
            candidates = after[:2] if after and after[0].show_if is not None else after[:1]
        unanswered = [p for p in candidates if self.journey.raw.get(p.id) in (None, "", [], ())]
        return [self._peek(QUESTION, p) for p in unanswered]

    def _peek(self, screen: str, page: Page | None = None) -> ScreenContent:
        """screen_content() as it would be on `screen` (showing `page`), with nothing changed or emitted."""
        journey, shown = self.journey, self._screen
        try:
            self._screen = screen
            if page is not None and journey is not None and page is not journey.page:
                self.journey = _PageView(journey, page)  # type: ignore[assignment]
            return self.screen_content()
        finally:
            self.journey, self._screen = journey, shown

    def _tick(self) -> None:
        if self._screen == ATTRACT or self._busy:
            self.idle.touch()
            return
        state = self.idle.state(self._screen)
        if state.phase == EXPIRED:
            return self.wipe()
        if (state.phase, state.seconds_left) != (self._idle_phase, self._idle_seconds):
            self._idle_phase, self._idle_seconds = state.phase, state.seconds_left
            self.idleChanged.emit()

    # --- voice intents -------------------------------------------------------

    @Slot(str, str)
    def applyIntent(self, kind: str, value: str) -> None:
        """Act on what voice recognition understood (after the citizen confirmed it)."""
        self.idle.touch()
        if kind == "command":
            return self._apply_command(value)
        options = self.screen_content().options
        if kind == "number":
            match = next((o for o in options if str(o.number) == value), None)
            if match is None and self._screen == QUESTION and self.questionType == "number":
                self.setAnswer(value)
                return self._refresh()
            value = match.value if match else ""
        if not value:
            return
        if self._screen == LANGUAGE:
            self.chooseLanguage(value)
        elif self._screen == SERVICES:
            self.chooseService(value)
        elif self._screen == QUESTION:
            self.chooseOption(value)

    def _apply_command(self, name: str) -> None:
        if name == "help":
            return self.callHelper()
        if self._screen == ATTRACT:
            return self.start()
        if name == "back":
            return self.back()
        if name == "repeat":
            return self._refresh()
        if self._screen == QUESTION and self.questionType == "yes_no" and name in ("yes", "no"):
            return self.chooseOption(name)
        if self._screen == CHECK:
            # "Yes" agrees to the consent statement; "next" sends (refused, with the reason, without consent).
            if name in ("yes", "no"):
                return self.giveConsent(name == "yes")
            if name == "next":
                return self.submit()
        if self._screen in (DONE, PAUSED) and name == "next":
            return self.finish()
        if name == "next":
            self.next()

    # --- what the screen says ------------------------------------------------

    def screen_content(self) -> ScreenContent:
        lang = self._language
        if self._screen in (PAUSED, RESUME) and self.draft_screen is not None:
            content = self.draft_screen(self._screen, lang)
            if content is not None:
                return content
        if self._data_notice_open:
            # "What happens to my data" is read aloud like any screen when the citizen asks.
            body = "\n".join(f"{part['heading']}. {part['text']}" for part in self.dataNotice)
            return ScreenContent(self._screen, lang, tr(lang, "data.title"), body=body, commands=("back", "help", "repeat"))
        if self._screen == START:
            body = "\n".join(x for x in (self.serviceDescription, self.duration, self.cost, self.requirements,
                                         self.receiver) if x)
            return ScreenContent(START, lang, self.serviceTitle, body=body)
        if self._screen == STOPPED:
            return ScreenContent(STOPPED, lang, self.stopText, body=self.stopInstead, commands=("back", "help", "repeat"))
        if self._screen == ATTRACT:
            return ScreenContent(ATTRACT, lang, tr(lang, "attract.welcome"),
                                 tr(lang, "attract.touch_to_start") + ". " + tr(lang, "keys.press_any_key"))
        if self._screen == LANGUAGE:
            opts = tuple(SpokenOption(i + 1, l["code"], l["name"]) for i, l in enumerate(self.languages))
            return ScreenContent(LANGUAGE, lang, tr(lang, "language.title"), options=opts)
        if self._screen == SERVICES:
            opts = tuple(SpokenOption(i + 1, s["id"], s["title"]) for i, s in enumerate(self.services))
            return ScreenContent(SERVICES, lang, tr(lang, "services.title"), options=opts)
        if self._screen == QUESTION and self._page():
            page = self.journey.page
            opts = tuple(SpokenOption(o["number"], o["value"], o["label"]) for o in self.options)
            return ScreenContent(QUESTION, lang, self.question, body=self.progressText, hint=self.hint,
                                 error=self.error, options=opts, question_type=page.type,
                                 personal=page.personal, answer=self._spoken_answer(page))
        if self._screen == CHECK:
            # Every answer together identifies the citizen: it goes in `answer` (personal), never in
            # the body, so it is read aloud only on request and never joins the shared speech cache.
            answers = "\n".join(f"{row['question']} {row['answer']}" for row in self.summary)
            return ScreenContent(CHECK, lang, tr(lang, "check.title"), body=tr(lang, "check.intro"),
                                 hint=self.consentText, error=self._submit_error, personal=True, answer=answers)
        follow = "\n".join(f"{row['label']}: {row['text']}" for row in self.followUp)
        body = "\n".join(x for x in (tr(lang, "done.reference_help"), self.nextSteps, self.cost, follow) if x)
        return ScreenContent(DONE, lang, tr(lang, "done.title"), body=body, reference=self._reference)
