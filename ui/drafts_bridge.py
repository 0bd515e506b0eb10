"""The screens' side of save and resume: `save()` and `resume(code)` off the GUI thread.

A small QObject over `kiosk.drafts.DraftKeeper`, the `drafts` context property.
The scrypt and the disk write run through `ui.tasks.TaskManager`; results come
back on the GUI thread. The screens: "Pause and come back later" in the
header of every question and of check answers (ui/qml/Main.qml), the code
card (ui/qml/PauseCard.qml), "I have a code" on the services screen and the
code entry (ui/qml/ResumeScreen.qml), and the note after a resume
(ui/qml/ResumedNotice.qml). ui/app.py wires it to the journey bridge: the
bridge's `pauseRequested` calls `save()`, `paused` tells the bridge to forget
the journey once the code is shown, `journeyResumed` hands the journey back.

The wipe forgets the code shown and any answer still in flight (a save that
finishes after the wipe erases its draft at once: its code was never shown
to anyone); it never erases a draft whose code was shown.

Signature and document answers are never put in a draft: their files live in
the journey bridge's memory only and are sealed only with a submission. A
draft is saved without them and resumes at the first of those pages, so the
citizen signs or scans again (and is told so, at the pause and after it).
"""
from __future__ import annotations

import datetime as dt
import logging
import math
from typing import Any, Callable

from PySide6.QtCore import Property, QObject, QTimer, Signal, Slot

from kiosk.definition import FILE_TYPES, Service
from kiosk.drafts import ALPHABET, CODE_LENGTH, GROUPS, DraftError, DraftKeeper, Locked, Resumed, Saved, WrongCode
from kiosk.journey import CHECK, QUESTION, Journey
from kiosk.screen import ScreenContent
from translations import LOCALES, format_date
from translations import text as tr
from ui.tasks import TaskManager
from voice.script import spell

log = logging.getLogger(__name__)
PURGE_INTERVAL_MS = 10 * 60 * 1000
# Screen kinds of the journey bridge that this object words (ui/bridge.py shows them).
PAUSED, RESUME = "paused", "resume"


def without_files(service: Service, snapshot: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The snapshot to seal, without signature and document answers; and the pages that had one.

    Their files are not in the journey (only a file name is) and must never be kept outside a sealed
    submission, so a resumed journey would claim an answer it cannot send. The journey goes on at the
    first such page instead (if it stopped after it), where the citizen signs or scans again.
    """
    saved = snapshot.get("raw")
    raw: dict[str, Any] = saved if isinstance(saved, dict) else {}
    order = {p.id: i for i, p in enumerate(service.pages)}
    files = [p.id for p in service.pages if p.type in FILE_TYPES and p.id in raw]
    kept = {k: v for k, v in raw.items() if k not in files}
    redo = [page_id for page_id in files if raw.get(page_id)]
    out = {**snapshot, "raw": kept}
    if redo:
        first = min(order[page_id] for page_id in redo)
        at = order.get(snapshot.get("page") or "", len(service.pages))
        if snapshot.get("step") == CHECK or first < at:
            out.update(page=service.pages[first].id, step=QUESTION)
    return out, redo


def to_redo(journey: Journey) -> list[str]:
    """File pages of a resumed journey up to where it goes on that have no answer: to be done again."""
    current = journey.page
    stop = journey.service.pages.index(current) if current is not None else len(journey.service.pages)
    return [p.id for p in journey.visible_pages() if p.type in FILE_TYPES and not journey.raw.get(p.id)
            and journey.service.pages.index(p) <= stop]


def kept_until_text(language: str, expires: dt.datetime, now: dt.datetime | None = None) -> str:
    """When a draft is erased, as the citizen reads it: "tomorrow at 14:30", "today at 18:05", or a date.

    In the kiosk's local time (the clock on the wall next to it).
    """
    local = expires.astimezone()
    today = (now or dt.datetime.now(dt.timezone.utc)).astimezone().date()
    from babel.dates import format_time
    time = str(format_time(local, "HH:mm", locale=LOCALES.get(language, "en_GB")))
    days = (local.date() - today).days
    if days == 0:
        return tr(language, "drafts.until_today", time=time)
    if days == 1:
        return tr(language, "drafts.until_tomorrow", time=time)
    return format_date(language, local)


class DraftsBridge(QObject):
    """Pause a journey under a resume code; take one back from a code."""

    codeChanged = Signal()
    busyChanged = Signal()
    errorChanged = Signal()
    textsChanged = Signal()  # the session's language changed: every worded property again
    noticeChanged = Signal()
    printChanged = Signal()
    paused = Signal()  # the code is shown: the journey bridge forgets the journey now
    journeyResumed = Signal(object, list, bool)  # Journey, dropped page ids, definition changed

    def __init__(self, keeper: DraftKeeper, *, journey: Callable[[], Journey | None],
                 services: Callable[[], dict[str, Service]], tasks: TaskManager | None = None,
                 language: Callable[[], str] | None = None, printer: Any = None,
                 purge_interval_ms: int = PURGE_INTERVAL_MS, parent: QObject | None = None):
        super().__init__(parent)
        self._keeper = keeper
        self._journey = journey
        self._services = services
        self._language = language or (lambda: "en")
        self._printer = printer  # [printer] settings, or None: no "Print this code"
        self._tasks = tasks or TaskManager(self)
        self._generation = 0  # bumped by the wipe: a result from before it is not shown
        self._code = ""
        self._expires: dt.datetime | None = None
        self._files_not_kept = False
        self._error = ""
        self._wait = 0
        self._left = -1
        self._busy = False
        self._notice: list[str] = []  # message keys to tell after a resume
        self._print_result = ""
        self._printing = False
        self._purge = QTimer(self)
        self._purge.setInterval(purge_interval_ms)
        self._purge.timeout.connect(self.purge)
        self._purge.start()

    # --- properties for QML -------------------------------------------------------------------------

    @Property(str, constant=True)
    def alphabet(self) -> str:
        """The symbols a code is made of, for the code keys (no 0/O, 1/I/L)."""
        return ALPHABET

    @Property(int, constant=True)
    def codeLength(self) -> int:
        return CODE_LENGTH

    @Property(list, constant=True)
    def groups(self) -> list[int]:
        """How a code is shown: symbols per group (4, 4, 2 is ABCD-EFGH-JK)."""
        return list(GROUPS)

    @Property(str, notify=codeChanged)
    def code(self) -> str:
        """The code to show, grouped (ABCD-EFGH-JK); "" when none is shown."""
        return self._code

    @Property(str, notify=codeChanged)
    def expiresAt(self) -> str:
        """Until when the code works, ISO 8601 in UTC."""
        return self._expires.isoformat() if self._expires else ""

    @Property(str, notify=textsChanged)
    def keptUntil(self) -> str:
        """"Come back to this kiosk before tomorrow at 14:30. …", in the session's language."""
        return self._kept_until()

    def _kept_until(self) -> str:
        if self._expires is None:
            return ""
        return tr(self._lang(), "drafts.kept_until", time=kept_until_text(self._lang(), self._expires))

    @Property(bool, notify=codeChanged)
    def filesNotKept(self) -> bool:
        """The paused journey had a signature or scanned pages, which are not kept: say so on the card."""
        return self._files_not_kept

    @Property(bool, notify=busyChanged)
    def busy(self) -> bool:
        return self._busy

    @Property(str, notify=errorChanged)
    def error(self) -> str:
        """The message key of the last failure (translations core: drafts.<key>); "" if none."""
        return self._error

    @Property(int, notify=errorChanged)
    def waitSeconds(self) -> int:
        """With error "locked": seconds before a code can be tried again."""
        return self._wait

    @Property(str, notify=textsChanged)
    def errorText(self) -> str:
        """The last failure in the citizen's words ("Too many wrong codes. Try again in 10 minutes …")."""
        return self._error_text()

    def _error_text(self) -> str:
        lang = self._lang()
        if not self._error:
            return ""
        if self._error == "locked":
            return tr(lang, "drafts.locked_for", minutes=max(1, math.ceil(self._wait / 60)))
        text = tr(lang, f"drafts.{self._error}")
        if self._error == "wrong_code" and self._left >= 0:
            text += " " + tr(lang, "drafts.tries_left", count=self._left)
        return text

    @Property(str, notify=textsChanged)
    def notice(self) -> str:
        """What to tell after a resume (the service changed, a signature to give again); "" if nothing."""
        return "\n".join(tr(self._lang(), f"drafts.{key}") for key in self._notice)

    @Property(bool, constant=True)
    def canPrint(self) -> bool:
        return self._printer is not None and getattr(self._printer, "kind", "none") != "none"

    @Property(bool, notify=printChanged)
    def printing(self) -> bool:
        return self._printing

    @Property(str, notify=textsChanged)
    def printResult(self) -> str:
        return tr(self._lang(), f"drafts.print.{self._print_result}") if self._print_result else ""

    # --- actions ------------------------------------------------------------------------------------

    @Slot()
    def save(self) -> None:
        """Pause the current journey: seal it and show its code."""
        journey = self._journey()
        if journey is None or self._busy:
            return
        # The snapshot is taken here, on the GUI thread that owns the journey; only sealing runs off it.
        service, language = journey.service, journey.language
        snapshot, redo = without_files(service, journey.snapshot())
        generation = self._start()

        def done(future) -> None:
            try:
                saved: Saved = future.result()
            except DraftError as exc:
                return self._finish(generation, error=exc.key)
            except Exception as exc:  # noqa: BLE001 - a full disk or a bug: the citizen sees "ask a helper"
                log.error("draft not saved: %s", type(exc).__name__)
                return self._finish(generation, error="store_error")
            if generation != self._generation:
                # Wiped while sealing: nobody saw this code, so nobody can use the draft. Erase it.
                self._tasks.run_in_background(lambda: self._keeper.discard(saved.code))
                return
            self._code, self._expires, self._files_not_kept = saved.shown, saved.expires_at, bool(redo)
            self.codeChanged.emit()
            self.textsChanged.emit()
            self._finish(generation)
            self.paused.emit()
        self._tasks.run_in_background(lambda: self._keeper.save_snapshot(service, language, snapshot), done)

    @Slot(str)
    def resume(self, code: str) -> None:
        """Take back the journey saved under `code`; `journeyResumed` or `error` follows."""
        if self._busy:
            return
        generation = self._start()
        services = self._services()

        def done(future) -> None:
            try:
                resumed: Resumed = future.result()
            except Locked as exc:
                return self._finish(generation, error=exc.key, wait=math.ceil(exc.wait_seconds))
            except WrongCode as exc:
                return self._finish(generation, error=exc.key, left=exc.attempts_left)
            except DraftError as exc:
                return self._finish(generation, error=exc.key)
            except Exception as exc:  # noqa: BLE001
                log.error("draft not resumed: %s", type(exc).__name__)
                return self._finish(generation, error="store_error")
            if generation != self._generation:
                return  # wiped meanwhile; the draft is already erased, as after any resume
            journey = resumed.journey
            notice = (["changed"] if resumed.definition_changed or resumed.dropped else []) + \
                (["redo_files"] if to_redo(journey) else [])
            self._set_notice(notice)
            self._finish(generation)
            self.journeyResumed.emit(journey, resumed.dropped, resumed.definition_changed)
        self._tasks.run_in_background(lambda: self._keeper.resume(code, services), done)

    @Slot()
    def dismissNotice(self) -> None:
        """The citizen read the note shown after a resume."""
        self._set_notice([])

    @Slot()
    def clearError(self) -> None:
        """The citizen is typing again: the last message goes."""
        if not self._busy:
            self._set_error("", 0)

    @Slot()
    def print(self) -> None:  # noqa: A003 - the name QML calls
        """Print the code shown on a small slip (the receipt printer); the result comes back in words."""
        if not self._code or self._printing or not self.canPrint or self._expires is None:
            return
        from ui.receipt_print import print_receipt
        slip = code_slip(self._lang(), self._code, self._expires)
        settings, generation = self._printer, self._generation
        self._printing, self._print_result = True, ""
        self.printChanged.emit()
        self.textsChanged.emit()

        def done(future) -> None:
            if generation != self._generation:
                return  # the citizen has gone: the next one must not see this
            try:
                result = future.result().value
            except Exception as exc:  # noqa: BLE001 - print_receipt does not raise; belt and braces
                log.warning("code slip not printed: %s", type(exc).__name__)
                result = "failed"
            self._printing, self._print_result = False, result
            self.printChanged.emit()
            self.textsChanged.emit()
        self._tasks.run_in_background(lambda: print_receipt(slip, settings), done)

    @Slot()
    def clear(self) -> None:
        """The idle wipe (or the next citizen): forget the code shown and any result in flight."""
        self._generation += 1
        had_code = bool(self._code)
        self._code, self._expires, self._files_not_kept = "", None, False
        self._printing, self._print_result = False, ""
        if had_code:
            self.codeChanged.emit()
        self.printChanged.emit()
        self._set_error("", 0)
        self._set_notice([])
        self._set_busy(False)
        self.textsChanged.emit()

    @Slot()
    def purge(self) -> None:
        """Erase expired drafts (every PURGE_INTERVAL_MS, and on demand)."""
        self._tasks.run_in_background(self._keeper.purge)

    @Slot()
    def languageChanged(self) -> None:
        """The session's language may have changed: words bound to this object are read again."""
        self.textsChanged.emit()

    def wait(self, msecs: int = -1) -> bool:
        """Block until background work has finished (tests, shutdown)."""
        return self._tasks.wait(msecs)

    def close(self) -> None:
        """Shutting down: let running work end, then let go of drafts.db."""
        self._purge.stop()
        self._tasks.wait(10_000)
        self._keeper.store.close()

    # --- what the voice says ------------------------------------------------------------------------

    def screen_content(self, kind: str, language: str) -> ScreenContent | None:
        """The pause card or the code entry as plain data, for the voice and the mediator panel."""
        lang = language
        if kind == PAUSED:
            if self._code:
                spoken = tr(lang, "drafts.spoken_code", characters=spell(self._code))
                body = "\n".join(x for x in (spoken, self._kept_until(), tr(lang, "drafts.write_down"),
                                             tr(lang, "drafts.files_not_kept") if self._files_not_kept else "") if x)
                # `reference`: the clip is this citizen's alone (never in the shared speech cache).
                return ScreenContent(PAUSED, lang, tr(lang, "drafts.paused_title"), body=body,
                                     reference=self._code.replace("-", ""), commands=("next", "help", "repeat"))
            if self._error:
                return ScreenContent(PAUSED, lang, tr(lang, "drafts.not_saved"), error=self._error_text(),
                                     commands=("back", "help", "repeat"))
            return ScreenContent(PAUSED, lang, tr(lang, "drafts.saving"), commands=("help",))
        if kind == RESUME:
            return ScreenContent(RESUME, lang, tr(lang, "drafts.enter_title"), body=tr(lang, "drafts.enter_hint"),
                                 error=self._error_text(), commands=("back", "help", "repeat"))
        return None

    # --- internals ----------------------------------------------------------------------------------

    def _lang(self) -> str:
        return self._language() or "en"

    def _start(self) -> int:
        self._set_error("", 0)
        self._set_busy(True)
        return self._generation

    def _finish(self, generation: int, *, error: str = "", wait: int = 0, left: int = -1) -> None:
        if generation != self._generation:
            return
        self._left = left
        self._set_error(error, wait, force=bool(error))
        self._set_busy(False)

    def _set_busy(self, busy: bool) -> None:
        if busy != self._busy:
            self._busy = busy
            self.busyChanged.emit()

    def _set_error(self, key: str, wait: int, *, force: bool = False) -> None:
        # `force`: the same wrong code twice is a new event, and the screen (and voice) say it again.
        if force or (key, wait) != (self._error, self._wait):
            self._error, self._wait = key, wait
            self.errorChanged.emit()
            self.textsChanged.emit()

    def _set_notice(self, keys: list[str]) -> None:
        if keys != self._notice:
            self._notice = keys
            self.noticeChanged.emit()
            self.textsChanged.emit()


def code_slip(language: str, shown_code: str, expires: dt.datetime):
    """A small slip with the resume code, drawn by the receipt printer's layout (ui.receipt_print).

    No answers and no service name on it: only the code, until when it works, and where.
    """
    from kiosk import RIGHT_TO_LEFT
    from kiosk.receipt import Receipt
    return Receipt(
        language=language, rtl=language in RIGHT_TO_LEFT, service_id="", service_title=tr(language, "drafts.slip_title"),
        heading="Ponte", reference=shown_code, reference_label=tr(language, "drafts.code_label"),
        issued_label=tr(language, "drafts.slip_until"), issued=kept_until_text(language, expires),
        next_steps_label="", next_steps=tr(language, "drafts.slip_how"), expected_by="", follow_up_label="",
        follow_up=(), keep_note=tr(language, "drafts.slip_keep_safe"), follow_up_url="",
        qr_text=shown_code.replace("-", ""), qr_label=tr(language, "drafts.code_label"))


def open_drafts(config: Any, bridge: Any) -> DraftsBridge | None:
    """The `drafts` object of a running kiosk, wired to its journey bridge; None if drafts.db cannot be opened.

    Without drafts.db the kiosk still works: the pause action and "I have a code" are simply not shown.
    """
    from offline_queue.drafts import SQLiteDraftStore
    try:
        keeper = DraftKeeper.for_config(config, SQLiteDraftStore.for_config(config))
    except DraftError as exc:  # the message names the file and what to do, never a code or an answer
        log.error("save and resume is off: %s", exc)
        return None
    drafts = DraftsBridge(keeper, journey=lambda: bridge.journey, services=lambda: bridge.catalogue.services,
                          language=lambda: str(bridge.property("language")), printer=config.printer, parent=bridge)
    bridge.pauseRequested.connect(drafts.save)  # the snapshot is taken at once, on this thread
    drafts.paused.connect(bridge.paused)  # the code is shown: the journey leaves the screen and the memory
    drafts.journeyResumed.connect(lambda journey, _dropped, _changed: bridge.adopt(journey))
    drafts.errorChanged.connect(bridge.draftChanged)  # said aloud too: "This code is not right …"
    bridge.restarted.connect(drafts.clear)  # Finish, Start again, the idle wipe: the code card goes
    last = {"language": ""}

    def follow_language() -> None:
        if bridge.property("language") != last["language"]:
            last["language"] = bridge.property("language")
            drafts.languageChanged()
    bridge.changed.connect(follow_language)
    bridge.draft_screen = drafts.screen_content
    return drafts
