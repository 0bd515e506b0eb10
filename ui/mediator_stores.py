"""Where the mediator side keeps and fetches things: accounts, audit log, statistics, exports.

`MediatorStores.for_config(config)` opens the kiosk's own; tests hand in theirs.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from kiosk.audit import AuditLog
from kiosk.mediators import MediatorStore
from kiosk.stats import Stats


@dataclass
class MediatorStores:
    """Where the mediator side keeps and fetches things; tests hand in their own."""

    store: MediatorStore
    audit: AuditLog
    stats: Stats
    export_dir: Path
    outbox_opener: Callable[[], tuple[Any, str]] | None = None
    fetch: Callable | None = None
    clock_probe: bool = True
    now: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.timezone.utc))

    @classmethod
    def for_config(cls, config, **overrides: Any) -> "MediatorStores":
        values: dict[str, Any] = {
            "store": MediatorStore.for_config(config), "audit": AuditLog.for_config(config),
            "stats": Stats.for_config(config),
            "export_dir": Path(config.mediator.export_dir or Path(config.data_dir) / "exports")}
        values.update(overrides)
        return cls(**values)
