"""The mediator console's model: a snapshot for the screen and the audited actions behind its buttons.

Qt-free: the screen (`ui/`) adapts it and runs the slow actions off the GUI
thread; `kiosk console` prints the same figures.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from kiosk.audit import AuditLog
from kiosk.closeday import INTERNAL_SERVICES, CloseDayError, Closing, DaySheet, close_day_for_config, day_sheet
from kiosk.config import Config
from kiosk.definition import Catalogue
from kiosk.outbox import OutboxError
from kiosk.receipt import Receipt
from kiosk.reference import display
from offline_queue import Outbox
from offline_queue.bundle import export_bundle
from offline_queue.sync import Syncer
from operations.health import DeviceHealth, QueueHealth, device_health, queue_health
from operations.receipts import ReceiptNotAvailable, find_receipt

RECENT = 20  # submissions listed for a reprint: the last few visits, not the kiosk's history


class Printed(Protocol):
    """What a printer call returns (ui.receipt_print.PrintResult): a code and whether it printed."""

    @property
    def value(self) -> str: ...

    @property
    def ok(self) -> bool: ...


@dataclass(frozen=True)
class RecentSubmission:
    """One row of the console's reprint list: no personal data (reference, service, state, time)."""

    id: str
    reference: str  # as shown: ABCD-EFGH
    service_id: str
    service_title: str
    state: str
    created_at: float


@dataclass(frozen=True)
class Reprint:
    """A reprint's outcome: the printer's result code ("printed", "offline"...), or why no receipt was made."""

    reference: str
    result: str
    ok: bool
    problem: str = ""


@dataclass(frozen=True)
class DayClosed:
    """A day closed from the console: the signed manifest and how printing its sheet went."""

    closing: Closing
    sheet: DaySheet
    printed: str


class Console:
    """What the console shows and does for one signed-in mediator.

    `outbox` is None when the queue cannot be opened (its actions then report
    `outbox_reason`); `audit` records every action with the mediator's id.
    """

    def __init__(self, config: Config, audit: AuditLog, mediator: str, *, outbox: Outbox | None = None,
                 outbox_reason: str = "", stats: Any = None, fetch: Callable | None = None,
                 clock_probe: bool = True, sync_worker: Any = None, catalogue: Catalogue | None = None):
        self.config = config
        self.audit = audit
        self.mediator = mediator
        self.outbox = outbox
        self.outbox_reason = outbox_reason
        self.stats = stats
        self.fetch = fetch
        self.clock_probe = clock_probe
        self.sync_worker = sync_worker
        self.catalogue = catalogue

    def queue(self) -> QueueHealth:
        return queue_health(self.outbox, self.outbox_reason, config=self.config, sync_worker=self.sync_worker)

    def device(self) -> DeviceHealth:
        return device_health(self.config, clock_probe=self.clock_probe, fetch=self.fetch)

    def today(self) -> Any:
        return self.stats.today() if self.stats is not None else None

    def _guard(self, fn: Callable[[Outbox], Any]) -> tuple[bool, str]:
        if self.outbox is None:
            return False, self.outbox_reason or "the offline queue is not available"
        try:
            result = fn(self.outbox)
        except Exception as exc:  # noqa: BLE001 - shown to the mediator, never raised into the UI
            return False, f"{type(exc).__name__}: {exc}"
        return True, "" if result is None else str(result)

    def sync_now(self) -> tuple[bool, str]:
        """Send now. With the app's SyncWorker: lift network back-offs and wake it (instant).
        Without one: one blocking pass of the Syncer (run it off the GUI thread).
        """
        def run(outbox: Outbox) -> str:
            for dest in self.config.destinations.values():
                outbox.lift_network_failures(dest.name)
            if self.sync_worker is not None:
                self.sync_worker.connectivity_changed(True)
                return "sync started"
            result = Syncer(outbox, self.config).run_once()
            return f"delivered {result.delivered}, waiting {result.remaining}" + (
                f" ({'; '.join(result.errors)})" if result.errors else "")
        ok, detail = self._guard(run)
        self.audit.append("sync_now", self.mediator, outcome="ok" if ok else "failed")
        return ok, detail

    def retry(self, item_id: str | None = None) -> tuple[bool, str]:
        """Make one failed or dead submission (or all of them) due again."""
        def run(outbox: Outbox) -> int:
            ids = [item_id] if item_id else [i.id for i in outbox.items(["failed", "dead"])]
            return sum(outbox.retry(i) or 0 for i in ids)
        ok, detail = self._guard(run)
        self.audit.append("retry", self.mediator, item=(item_id or "all")[:36], outcome="ok" if ok else "failed")
        return ok, detail

    def export_bundle(self, directory: Path | str) -> tuple[bool, str]:
        """Write the undelivered submissions, still sealed for the backend, for upload from an office."""
        directory = Path(directory)
        written: list[Path] = []

        def run(outbox: Outbox) -> str:
            directory.mkdir(parents=True, exist_ok=True)
            target, count = export_bundle(outbox, directory, self.config)
            written.append(Path(target))
            return f"{count} → {target}"
        ok, detail = self._guard(run)
        self.audit.append("export_bundle", self.mediator, outcome="ok" if ok else "failed",
                          path_name=(written[0].name if written else directory.name)[:64])
        return ok, detail

    def export_audit(self, directory: Path | str) -> Path:
        """Write the audit log as JSON lines into directory (for the supervisor); the export is audited too."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        target = directory / f"ponte-audit-{self.config.kiosk_id}-{stamp}.jsonl"
        self.audit.append("audit_export", self.mediator, path_name=target.name[:64])
        self.audit.export(target)
        return target

    # --- receipts and the day's closing ------------------------------------------------------------------

    def recent(self, language: str, limit: int = RECENT) -> list[RecentSubmission]:
        """The newest citizens' submissions this kiosk still holds, newest first (audit batches, closings and
        feedback left out); service titles in `language`."""
        if self.outbox is None:
            return []
        services = self.catalogue.services if self.catalogue is not None else {}
        rows = []
        for item in self.outbox.recent(limit, INTERNAL_SERVICES):
            service = services.get(item.service_id)
            title = service.text(service.title, language) if service is not None else item.service_id
            reference = display(item.reference) if len(item.reference) == 8 else item.reference
            rows.append(RecentSubmission(item.id, reference, item.service_id, title, item.state, item.created_at))
        return rows

    def reprint(self, submission_id: str, printer: Callable[[Receipt], Printed], *,
                language: str | None = None) -> Reprint:
        """Make the receipt of a submission again (no answers) and print it with `printer`; audited with the
        submission's id, service and outcome (never the reference or an answer). Slow: off the GUI thread."""
        if self.outbox is None:
            return Reprint("", "failed", False, self.outbox_reason or "the offline queue is not available")
        try:
            found = find_receipt(self.config, self.outbox, submission_id, language=language,
                                 catalogue=self.catalogue)
        except (ReceiptNotAvailable, OutboxError) as exc:
            self.audit.append("receipt_reprint", self.mediator, item=submission_id[:36], outcome="not_available")
            return Reprint("", "failed", False, str(exc))
        result = printer(found.receipt)
        self.audit.append("receipt_reprint", self.mediator, item=found.item.id[:36],
                          service=found.item.service_id[:64], outcome=result.value)
        return Reprint(found.receipt.reference, result.value, result.ok)

    def close_day(self, printer: Callable[[DaySheet], Printed]) -> DayClosed:
        """Close the books as this mediator (the PIN was just confirmed on the console), then print the day
        sheet with `printer`. Raises CloseDayError; slow: off the GUI thread."""
        if self.outbox is None:
            raise CloseDayError(self.outbox_reason or "the offline queue is not available")
        closing = close_day_for_config(self.config, self.outbox, mediator=self.mediator, log=self.audit)
        sheet = day_sheet(closing.manifest, self.config.default_language)
        return DayClosed(closing, sheet, printer(sheet).value)
