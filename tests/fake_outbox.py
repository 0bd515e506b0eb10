"""An in-memory outbox for tests that need a queue without a disk: it passes tests/test_outbox_contract.py.

Not durable, never sealed: it must never stand in for offline_queue.outbox.Outbox in the kiosk itself.
"""
from __future__ import annotations

import time
from dataclasses import replace
from typing import Any, Callable, Iterable

from kiosk.outbox import STATES, QueueState
from offline_queue.outbox import Claimed, QueueItem


class MemoryOutbox:
    """Submissions in a dict, in the same states and with the same rules as the SQLite outbox."""

    def __init__(self) -> None:
        self._items: dict[str, QueueItem] = {}
        self._bodies: dict[str, bytes] = {}
        self._listeners: list[Callable[[], None]] = []
        self._seq = 0

    def enqueue(self, payload: dict[str, Any], destination, attachments: Iterable[Any] = ()) -> None:
        for key in ("submission_id", "reference"):
            if not payload.get(key):
                raise ValueError(f"payload needs '{key}'")
        sid = payload["submission_id"]
        if sid not in self._items:
            self._seq += 1
            service = payload.get("service") or {}
            now = time.time()
            self._items[sid] = QueueItem(sid, payload["reference"], str(service.get("id", "")),
                                         str(service.get("version", "")), destination.name, destination.kind,
                                         QueueState.QUEUED, 0, None, None, now, None, None, self._seq)
            self._bodies[sid] = repr(sorted(payload)).encode()
        for callback in list(self._listeners):
            try:
                callback()
            except Exception:  # noqa: BLE001 - as the SQLite outbox: a listener never fails a stored write
                pass

    def add_listener(self, callback: Callable[[], None]) -> None:
        self._listeners.append(callback)

    def remove_listener(self, callback: Callable[[], None]) -> None:
        if callback in self._listeners:
            self._listeners.remove(callback)

    def counts(self) -> dict[str, int]:
        found = dict.fromkeys(STATES, 0)
        for item in self._items.values():
            found[item.state] += 1
        return found

    def items(self, states: Iterable[str] | None = None, limit: int | None = None) -> list[QueueItem]:
        wanted = list(STATES if states is None else states)
        unknown = [s for s in wanted if s not in STATES]
        if unknown:
            raise ValueError(f"unknown state {unknown[0]!r}: use one of {', '.join(STATES)}")
        found = sorted((i for i in self._items.values() if i.state in wanted), key=lambda i: i.seq or 0)
        return found[:limit] if limit is not None else found

    def get(self, reference: str) -> QueueItem | None:
        return next((i for i in self._items.values() if reference in (i.reference, i.id)), None)

    def pending(self) -> int:
        return sum(1 for i in self._items.values() if i.state in (QueueState.QUEUED, QueueState.SENDING,
                                                                   QueueState.FAILED))

    def next_due(self) -> float | None:
        due = [i.next_attempt_at or 0.0 for i in self._items.values()
               if i.state in (QueueState.QUEUED, QueueState.FAILED)]
        return min(due) if due else None

    def retry(self, reference: str) -> int:
        item = self.get(reference)
        if item is None or item.state not in (QueueState.DEAD, QueueState.FAILED, QueueState.QUEUED):
            return 0
        self._items[item.id] = replace(item, state=QueueState.QUEUED, next_attempt_at=0.0)
        return 1

    def claim(self, limit: int = 50, now: float | None = None, exclude: Iterable[str] = ()) -> list[Claimed]:
        now = time.time() if now is None else now
        excluded = set(exclude)
        due = sorted((i for i in self._items.values()
                      if i.state in (QueueState.QUEUED, QueueState.FAILED) and (i.next_attempt_at or 0) <= now
                      and i.destination not in excluded), key=lambda i: (i.next_attempt_at or 0, i.created_at))
        claimed = []
        for item in due[:limit]:
            item = replace(item, state=QueueState.SENDING, attempts=item.attempts + 1)
            self._items[item.id] = item
            claimed.append(Claimed(item, self._bodies[item.id], "application/json"))
        return claimed

    def _settle(self, sid: str, **changes: Any) -> None:
        item = self._items.get(sid)
        if item is not None and item.state == QueueState.SENDING:
            self._items[sid] = replace(item, **changes)

    def mark_delivered(self, results: Iterable[tuple[str, str | None]]) -> None:
        # As the SQLite outbox: an acknowledgement wins over any other state (a late ack of a retried one).
        for sid, remote in results:
            item = self._items.get(sid)
            if item is not None and item.state != QueueState.DELIVERED:
                self._items[sid] = replace(item, state=QueueState.DELIVERED, delivered_at=time.time(),
                                           remote_ref=remote, last_error=None, next_attempt_at=None)
                self._bodies.pop(sid, None)

    def mark_failed(self, sid: str, reason: str, next_attempt_at: float, error_kind: str = "http") -> None:
        self._settle(sid, state=QueueState.FAILED, last_error=reason, next_attempt_at=next_attempt_at)

    def mark_dead(self, sid: str, reason: str) -> None:
        self._settle(sid, state=QueueState.DEAD, last_error=reason, next_attempt_at=None)

    def release(self, ids: Iterable[str]) -> None:
        for sid in ids:
            item = self._items.get(sid)
            if item is not None and item.state == QueueState.SENDING:
                self._items[sid] = replace(item, state=QueueState.QUEUED, attempts=max(item.attempts - 1, 0))
