"""The mediator console's model: a snapshot for the screen and the audited actions behind its buttons.

Qt-free: the screen (`ui/`) adapts it and runs the slow actions off the GUI
thread; `kiosk console` prints the same figures.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.audit import AuditLog
from kiosk.config import Config
from offline_queue import Outbox
from offline_queue.bundle import export_bundle
from offline_queue.sync import Syncer
from operations.health import DeviceHealth, QueueHealth, device_health, queue_health


class Console:
    """What the console shows and does for one signed-in mediator.

    `outbox` is None when the queue cannot be opened (its actions then report
    `outbox_reason`); `audit` records every action with the mediator's id.
    """

    def __init__(self, config: Config, audit: AuditLog, mediator: str, *, outbox: Outbox | None = None,
                 outbox_reason: str = "", stats: Any = None, fetch: Callable | None = None,
                 clock_probe: bool = True, sync_worker: Any = None):
        self.config = config
        self.audit = audit
        self.mediator = mediator
        self.outbox = outbox
        self.outbox_reason = outbox_reason
        self.stats = stats
        self.fetch = fetch
        self.clock_probe = clock_probe
        self.sync_worker = sync_worker

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
