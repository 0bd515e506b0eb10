"""The mediator console (`mediator.console` in QML): queue and device health, today's figures,
and the kiosk's actions (sync now, retry, export, restart, exit).

Every action runs through the task manager, never on the GUI thread: a sync
pass, retries, bundle and audit exports, the audit chain's verification and
the network probes. The figures come from operations code
(operations.health, operations.console) and are worded by ui.console_format.
"""
from __future__ import annotations

import logging
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import Property, QObject, Signal, Slot

from operations.console import Console
from operations.health import open_queue, probe_destination, voice_status
from translations import text as tr
from ui.console_format import NEEDS_A_PERSON, audit_status, console_snapshot
from ui.mediator_signin import SignIn
from ui.tasks import TaskManager

log = logging.getLogger(__name__)

RESTART_EXIT_CODE = 3  # the service manager starts the kiosk again on this code


class ConsoleController(QObject):
    """The console's figures (`snapshotChanged`) and its actions' state (`changed`)."""

    snapshotChanged = Signal()
    changed = Signal()  # message, busy, confirmPending

    def __init__(self, config, audit, stats, sign_in: SignIn, tasks: TaskManager, language: str, *,
                 export_dir: Path, leave: Callable[[str, int], None],
                 outbox_opener: Callable[[], tuple[Any, str]] | None = None, fetch=None,
                 clock_probe: bool = True, sync_worker: Callable[[], Any] = lambda: None,
                 synthesizer: Callable[[], Any] = lambda: None, parent: QObject | None = None):
        super().__init__(parent)
        self.config, self.audit, self.stats = config, audit, stats
        self.sign_in, self.tasks, self.language = sign_in, tasks, language
        self.export_dir = Path(export_dir)
        self.clock_probe = clock_probe
        self._leave = leave
        self._outbox_opener = outbox_opener or (lambda: open_queue(config))
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

    # --- the model ----------------------------------------------------------------------

    def _model(self) -> Console:
        if self._outbox is None:
            self._outbox, self._outbox_reason = self._outbox_opener()
        mediator = self.sign_in.mediator
        return Console(self.config, self.audit, mediator.id if mediator else "-", outbox=self._outbox,
                       outbox_reason=self._outbox_reason, stats=self.stats, fetch=self._fetch,
                       clock_probe=False, sync_worker=self._sync_worker())

    def clear(self) -> None:
        """The console opens afresh (or closes): no message or half-confirmed exit is left over."""
        self._message, self._confirm = "", ""
        self.changed.emit()

    @Slot()
    def refresh(self) -> None:
        """Read the figures now; check the audit chain and probe the network in the background."""
        self._show()
        self._run(self.audit.verify, self._verified, quiet=True)
        if self.clock_probe:
            self._run(self._probe, self._probed, quiet=True)

    def _show(self) -> None:
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

    def close(self) -> None:
        """At exit (may be called more than once)."""
        outbox, self._outbox = self._outbox, None
        if outbox is not None:
            try:
                outbox.close()
            except Exception:  # noqa: BLE001 - closing at exit: nothing left to tell
                pass
