"""The outbox as its users see it: what the screens, the sync worker and the console may ask of any queue.

`offline_queue.outbox.Outbox` (SQLite) is the implementation; tests/fake_outbox.py is an in-memory one for
tests that need a queue with no disk. Both pass the same contract suite, tests/test_outbox_contract.py (the
shape of ODK Collect's InstancesRepositoryTest): a behaviour the kiosk relies on is written there once, so a
second implementation cannot quietly differ (e.g. count a refused submission as delivered, or hand the same
submission to two sync passes).
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Protocol

from kiosk.config import Destination
from kiosk.outbox import QueueState
from offline_queue.outbox import Claimed, QueueItem


class QueueStore(Protocol):
    """A durable outbox of sealed submissions, each in one kiosk.outbox.QueueState."""

    # -- the screens' side: write once, durably --------------------------------------------------------------
    def enqueue(self, payload: dict[str, Any], destination: Destination, attachments: Iterable[Any] = ()) -> None:
        """Store a submission as QUEUED; a second enqueue of the same submission_id keeps the first."""

    def add_listener(self, callback: Callable[[], None]) -> None:
        """Call `callback` after each enqueue (wakes the sync worker); a failing listener never fails the write."""

    def remove_listener(self, callback: Callable[[], None]) -> None: ...

    # -- what a person is shown (no personal data) ------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        """How many submissions are in each state: every QueueState is a key."""

    def items(self, states: Iterable[str] | None = None, limit: int | None = None) -> list[QueueItem]:
        """Submissions in these states (all when None); an unknown state is a ValueError."""

    def get(self, reference: str) -> QueueItem | None:
        """The submission with this reference (or id), None when unknown."""

    def pending(self) -> int:
        """How many are not yet delivered and not dead."""

    def next_due(self) -> float | None:
        """When the next QUEUED or FAILED submission is due (epoch seconds); None when nothing is."""

    def retry(self, reference: str) -> int:
        """A FAILED or DEAD submission made due now (a person fixed the cause); how many rows changed."""

    # -- the sync worker's side ----------------------------------------------------------------------------
    def claim(self, limit: int = 50, now: float | None = None, exclude: Iterable[str] = ()) -> list[Claimed]:
        """Move up to `limit` due submissions to SENDING and return them; never the same one to two claims."""

    def mark_delivered(self, results: Iterable[tuple[str, str | None]]) -> None:
        """(submission id, the backend's reference) pairs acknowledged by the backend: DELIVERED."""

    def mark_failed(self, sid: str, reason: str, next_attempt_at: float, error_kind: str = "http") -> None:
        """An attempt failed: FAILED, due again at next_attempt_at."""

    def mark_dead(self, sid: str, reason: str) -> None:
        """The backend refused it for good: DEAD, with the reason kept for a person."""

    def release(self, ids: Iterable[str]) -> None:
        """Claimed but not attempted (the worker stops): QUEUED again, the attempt not counted."""


__all__ = ["QueueState", "QueueStore"]
