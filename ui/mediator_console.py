"""The mediator console (`mediator.console` in QML): queue and device health, today's figures,
and the kiosk's actions (sync now, retry, export, reprint a receipt, close the day, restart, exit).

Every action runs through the task manager, never on the GUI thread: a sync
pass, retries, bundle and audit exports, the audit chain's verification, the
network probes, printing and closing the day. The figures come from
operations code (operations.health, operations.console) and are worded by
ui.console_format.

Reprint: the newest submissions the kiosk still holds are listed by reference,
service, state and time (no answers); "Reprint receipt" prints the receipt as
`kiosk receipt REF --print` does (operations.receipts), in the kiosk's default
language, on the [printer]. Close the day: the signed-in mediator (any role: a
van usually has no supervisor on board) confirms with their own PIN on the
console's PIN pad (`dayPin`, audited like a sign-in, with the same lock-out);
the day is then closed as that mediator (kiosk.closeday) and its sheet printed.
"""
from __future__ import annotations

import datetime as dt
import logging
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from PySide6.QtCore import Property, QObject, Signal, Slot

from kiosk.closeday import CloseDayError
from kiosk.definition import load_catalogue
from kiosk.mediators import Mediator, MediatorStore
from kiosk.outbox import NEEDS_A_PERSON, OutboxError
from kiosk.receipt import format_date
from translations import text as tr
from ui.mediator_pin import PinEntry
from ui.mediator_signin import SignIn
from ui.tasks import TaskManager

# The console's figures, probes and printing (the queue package, requests, QPainter pages) load when a
# mediator opens the console, not before the kiosk's first frame (issue 16).
if TYPE_CHECKING:
    from operations.console import Console, DayClosed, Reprint

log = logging.getLogger(__name__)


def _open_queue(config: Any) -> Any:
    from operations.health import open_queue
    return open_queue(config)

RESTART_EXIT_CODE = 3  # the service manager starts the kiosk again on this code


class ConfirmPin(PinEntry):
    """The PIN pad inside the console: the signed-in mediator confirms an action (closing the day)."""

    def start(self, only: Mediator | None = None) -> None:
        super().start(only)
        if only is not None:  # not the "signed in for a while" reminder: the pad's title says why
            self._message = ""
            self.changed.emit()


class ConsoleController(QObject):
    """The console's figures (`snapshotChanged`), its actions' state (`changed`) and the reprint list
    (`receiptsChanged`)."""

    snapshotChanged = Signal()
    changed = Signal()  # message, busy, confirmPending, closingDay
    receiptsChanged = Signal()  # receiptsShown, recent

    def __init__(self, config, audit, stats, sign_in: SignIn, tasks: TaskManager, language: str, *,
                 export_dir: Path, leave: Callable[[str, int], None],
                 outbox_opener: Callable[[], tuple[Any, str]] | None = None, fetch=None,
                 clock_probe: bool = True, sync_worker: Callable[[], Any] = lambda: None,
                 synthesizer: Callable[[], Any] = lambda: None, store: Any = None,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.config, self.audit, self.stats = config, audit, stats
        self.sign_in, self.tasks, self.language = sign_in, tasks, language
        self.export_dir = Path(export_dir)
        self.clock_probe = clock_probe
        self._leave = leave
        self._outbox_opener = outbox_opener or (lambda: _open_queue(config))
        self._outbox: Any = None
        self._outbox_reason = ""
        self._fetch = fetch
        self._sync_worker = sync_worker
        self._synthesizer = synthesizer
        self._snapshot: dict = {}
        self._probes: dict = {}
        self._verification: Any = None  # the audit chain's last check (None: being checked)
        self._message = ""
        self._confirm = ""
        self._busy = 0
        self._catalogue: Any = None  # the services, for titles and receipts; read once, off the GUI thread
        self._receipts_shown = False
        self._recent: list[dict] = []
        self._closing_day = False
        # The mediators' accounts, for the PIN that confirms closing the day: the sign-in's store when given,
        # else opened at the first closing (and closed with the console).
        self._own_store = None
        self._day_pin = ConfirmPin(store, audit, tasks, language, parent=self)
        self._day_pin.succeeded.connect(self._day_confirmed)

    def set_language(self, language: str) -> None:
        """The signed-in mediator's language (their account's, else the kiosk's): texts made from now on."""
        self.language = self._day_pin.language = language

    # --- properties for QML ---------------------------------------------------------

    @Property("QVariantMap", notify=snapshotChanged)
    def snapshot(self) -> dict:
        return self._snapshot

    @Property(str, notify=changed)
    def message(self) -> str:
        return self._message

    @Property(bool, notify=changed)
    def busy(self) -> bool:
        """True while an action runs in the background."""
        return self._busy > 0

    @Property(str, notify=changed)
    def confirmPending(self) -> str:
        """"exit" or "restart" after a first touch: the second touch does it."""
        return self._confirm

    @Property("QStringList", constant=True)
    def needsPersonStates(self) -> list[str]:
        return list(NEEDS_A_PERSON)

    @Property(bool, notify=receiptsChanged)
    def receiptsShown(self) -> bool:
        """True while the reprint list is shown instead of the health cards."""
        return self._receipts_shown

    @Property("QVariantList", notify=receiptsChanged)
    def recent(self) -> list:
        """The reprint list: {id, reference, service, state, when}, newest first; no personal data."""
        return self._recent

    @Property(QObject, constant=True)
    def dayPin(self) -> QObject:
        """The PIN pad's model while closing the day (a PinEntry of its own, for the signed-in mediator)."""
        return self._day_pin

    @Property(bool, notify=changed)
    def closingDay(self) -> bool:
        """True while the PIN pad asks the mediator to confirm closing the day."""
        return self._closing_day

    # --- the model ----------------------------------------------------------------------

    def _model(self) -> Console:
        if self._outbox is None:
            self._outbox, self._outbox_reason = self._outbox_opener()
        from operations.console import Console
        mediator = self.sign_in.mediator
        return Console(self.config, self.audit, mediator.id if mediator else "-", outbox=self._outbox,
                       outbox_reason=self._outbox_reason, stats=self.stats, fetch=self._fetch,
                       clock_probe=False, sync_worker=self._sync_worker(), catalogue=self._catalogue)

    def clear(self) -> None:
        """The console opens afresh (or closes): no message, half-confirmed exit, reprint list or PIN is left."""
        self._message, self._confirm = "", ""
        self._closing_day = False
        self._day_pin.forget()
        self._receipts_shown, self._recent = False, []
        self.receiptsChanged.emit()
        self.changed.emit()

    @Slot()
    def refresh(self) -> None:
        """Read the figures now; check the audit chain and probe the network in the background."""
        self._show()
        self._run(self.audit.verify, self._verified, quiet=True)
        if self.clock_probe:
            self._run(self._probe, self._probed, quiet=True)

    def _show(self) -> None:
        from ui.console_format import audit_status, console_snapshot
        model = self._model()
        self._snapshot = console_snapshot(self.config, self.language, model.queue(), model.device(), model.today(),
                                          self._probes, audit_status(self.language, self._verification),
                                          self.export_dir)
        self._snapshot["supervisor"] = self.sign_in.supervisor
        self.snapshotChanged.emit()

    def _verified(self, future: Future) -> None:
        try:
            self._verification = future.result()
        except Exception as exc:  # noqa: BLE001 - an unreadable log is a broken chain for the mediator
            from kiosk.audit import Verification
            self._verification = Verification(False, 0, type(exc).__name__)
        if self.sign_in.signedIn:
            self._show()

    def _probe(self) -> dict:
        """On a pool thread: can each destination be reached, its clock, the speech voices."""
        from operations.health import probe_destination, voice_status
        result: dict = {"destinations": {}, "tts": {}}
        for dest in self.config.destinations.values():
            result["destinations"][dest.name] = probe_destination(dest.url, fetch=self._fetch, timeout=3.0)
        synth = self._synthesizer()
        if synth is not None:
            result["tts"] = voice_status(self.config, self.config.languages, synth)[1]
        return result

    def _probed(self, future: Future) -> None:
        try:
            self._probes = future.result()
        except Exception as exc:  # noqa: BLE001
            log.warning("console probe failed: %s", type(exc).__name__)
            return
        if self.sign_in.signedIn:
            self._show()

    # --- actions -----------------------------------------------------------------------------

    def _run(self, task: Callable[[], Any], on_done: Callable[[Future], None], quiet: bool = False) -> None:
        self._busy += 1
        if not quiet:
            self._message = "…"
        self.changed.emit()

        def done(future: Future) -> None:
            self._busy -= 1
            on_done(future)
            self.changed.emit()
        self.tasks.run_in_background(task, done)

    def _action(self, task: Callable[[], tuple[bool, str]]) -> None:
        """A signed-in mediator's action, off the GUI thread; its outcome becomes the message."""
        if not self.sign_in.signedIn:
            return
        self._confirm = ""
        self._run(task, self._acted)

    def _acted(self, future: Future) -> None:
        try:
            ok, detail = future.result()
        except Exception as exc:  # noqa: BLE001 - shown, never raised into the UI
            ok, detail = False, type(exc).__name__
        self._message = tr(self.language, "m.console.done") + (f" {detail}" if detail else "") if ok \
            else tr(self.language, "m.console.failed_action", reason=detail)
        if self.sign_in.signedIn:
            self.refresh()

    @Slot()
    def syncNow(self) -> None:
        model = self._model()
        self._action(model.sync_now)

    @Slot(str)
    def retry(self, item_id: str) -> None:
        model = self._model()
        self._action(lambda: model.retry(item_id or None))

    @Slot()
    def retryAll(self) -> None:
        model = self._model()
        self._action(lambda: model.retry(None))

    @Slot()
    def exportBundle(self) -> None:
        model, target = self._model(), self.export_dir
        self._action(lambda: model.export_bundle(target))

    @Slot()
    def exportAudit(self) -> None:
        """The audit log leaves the kiosk only in a supervisor's hands."""
        if self.sign_in.signedIn and not self.sign_in.supervisor:
            self._message = tr(self.language, "m.console.supervisor_only")
            self.changed.emit()
            return
        model, target = self._model(), self.export_dir

        def export() -> tuple[bool, str]:
            try:
                return True, str(model.export_audit(target))
            except OSError as exc:
                return False, f"{type(exc).__name__}: {exc.strerror or ''}"
        self._action(export)

    @Slot()
    def restartKiosk(self) -> None:
        self._confirm_then("restart", RESTART_EXIT_CODE)

    @Slot()
    def exitKiosk(self) -> None:
        self._confirm_then("exit", 0)

    def _confirm_then(self, action: str, code: int) -> None:
        """Exit and restart need a second touch; only a signed-in mediator reaches them."""
        if not self.sign_in.signedIn:
            return
        if self._confirm != action:
            self._confirm = action
            self.changed.emit()
            return
        self._confirm = ""
        self.changed.emit()
        self._leave(action, code)

    # --- reprinting a receipt ----------------------------------------------------------------------

    @Slot(bool)
    def showReceipts(self, shown: bool) -> None:
        """Show the reprint list (read off the GUI thread) or go back to the health cards."""
        if not self.sign_in.signedIn:
            return
        self._receipts_shown = bool(shown)
        if not shown:
            self._recent = []
        self.receiptsChanged.emit()
        if shown:
            self._load_recent()

    def _load_recent(self) -> None:
        model, language = self._model(), self.language

        def read() -> list[dict]:
            self._ensure_catalogue(model)
            return [{"id": r.id, "reference": r.reference, "service": r.service_title, "state": r.state,
                     "when": format_date(dt.datetime.fromtimestamp(r.created_at).astimezone(), language)}
                    for r in model.recent(language)]

        def done(future: Future) -> None:
            try:
                rows = future.result()
            except Exception as exc:  # noqa: BLE001 - an unreadable queue: said once, the list stays empty
                self._message = tr(self.language, "m.console.failed_action", reason=type(exc).__name__)
                rows = []
            if self._receipts_shown and self.sign_in.signedIn:
                self._recent = rows
                self.receiptsChanged.emit()
        self._run(read, done, quiet=True)

    def _ensure_catalogue(self, model: Console) -> None:
        """On a pool thread: the service definitions, read once (titles in the list, receipts' wording)."""
        if self._catalogue is None:
            self._catalogue = load_catalogue(self.config.services_dirs)
        model.catalogue = self._catalogue

    @Slot(str)
    def reprint(self, submission_id: str) -> None:
        """Print this submission's receipt again on the kiosk's printer (no answers on it)."""
        if not self.sign_in.signedIn or not submission_id:
            return
        model, settings = self._model(), self.config.printer

        from ui.receipt_print import print_receipt

        def run() -> Reprint:
            self._ensure_catalogue(model)
            return model.reprint(submission_id, lambda receipt: print_receipt(receipt, settings))
        self._confirm = ""
        self._run(run, self._reprinted)

    def _reprinted(self, future: Future) -> None:
        try:
            done: Reprint = future.result()
        except Exception as exc:  # noqa: BLE001 - shown, never raised into the UI
            self._message = tr(self.language, "m.console.failed_action", reason=type(exc).__name__)
            return
        if done.problem:
            self._message = tr(self.language, "m.console.failed_action", reason=done.problem)
        else:
            self._message = tr(self.language, "m.console.reprinted", reference=done.reference,
                               result=tr(self.language, f"m.console.print.{done.result}"))

    # --- closing the day ------------------------------------------------------------------------------

    @Slot()
    def closeDay(self) -> None:
        """Ask the signed-in mediator's PIN; the day is closed once it is right."""
        mediator = self.sign_in.mediator
        if mediator is None or self.busy:
            return
        if self._day_pin.store is None:
            try:
                self._own_store = self._day_pin.store = MediatorStore.for_config(self.config)
            except Exception as exc:  # noqa: BLE001 - an unreadable accounts file: said, never raised
                self._message = tr(self.language, "m.console.failed_action", reason=type(exc).__name__)
                self.changed.emit()
                return
        self._confirm = ""
        self._day_pin.start(only=mediator)
        self._closing_day = True
        self.changed.emit()

    @Slot()
    def cancelCloseDay(self) -> None:
        self._day_pin.forget()
        self._closing_day = False
        self.changed.emit()

    def _day_confirmed(self, mediator: Mediator) -> None:
        signed_in = self.sign_in.mediator
        self._closing_day = False
        self.changed.emit()
        if signed_in is None or mediator.id != signed_in.id:
            return  # the pad was for whoever is signed in; anything else closes nothing
        from ui.manifest_print import print_sheet
        model, settings = self._model(), self.config.printer
        self._run(lambda: model.close_day(lambda sheet: print_sheet(sheet, settings)), self._day_closed)

    def _day_closed(self, future: Future) -> None:
        try:
            done: DayClosed = future.result()
        except (CloseDayError, OutboxError) as exc:
            self._message = tr(self.language, "m.console.failed_action", reason=str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - shown, never raised into the UI
            self._message = tr(self.language, "m.console.failed_action", reason=type(exc).__name__)
            return
        manifest = done.closing.manifest
        counts = ", ".join(f"{state}: {n}" for state, n in manifest["submissions"].items()) or "0"
        closed = dt.datetime.fromisoformat(manifest["closed_at"].replace("Z", "+00:00")).astimezone()
        self._message = tr(self.language, "m.console.day_closed", time=closed.strftime("%H:%M"),
                           total=done.closing.total, counts=counts,
                           queued=tr(self.language, "m.console.manifest_queued" if done.closing.queued
                                     else "m.console.manifest_kept"),
                           printed=tr(self.language, f"m.console.print.{done.printed}"))
        if self.sign_in.signedIn:
            self.refresh()

    def close(self) -> None:
        """At exit (may be called more than once)."""
        store, self._own_store = self._own_store, None
        if store is not None:
            self._day_pin.store = None
            try:
                store.close()
            except Exception:  # noqa: BLE001 - closing at exit: nothing left to tell
                pass
        outbox, self._outbox = self._outbox, None
        if outbox is not None:
            try:
                outbox.close()
            except Exception:  # noqa: BLE001 - closing at exit: nothing left to tell
                pass
