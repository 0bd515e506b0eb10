"""What the domain needs of an outbox, whichever stores the submissions.

The SQLite outbox (`offline_queue.outbox.Outbox`) implements it; the domain
(`kiosk.submission`) only knows this interface and this error, so it imports
nothing from the queue package.
"""
from __future__ import annotations

from enum import StrEnum
from typing import Any, Protocol

from kiosk.config import Destination


class QueueState(StrEnum):
    """Where a submission stands in the outbox: one list for Python, the database and the screens.

    The SQLite outbox refuses any other value at the database level (triggers generated from this list),
    and the console is told which states need a person from `NEEDS_A_PERSON`, not from a copy in QML.
    Values are the strings stored and shown by `kiosk queue status`, so a QueueState compares equal to them.
    """

    QUEUED = "queued"        # written, waiting for its first delivery attempt
    SENDING = "sending"      # claimed by a sync pass (or left so by a process that died; reclaimed at start)
    DELIVERED = "delivered"  # the backend acknowledged it; the body is purged, a receipt row remains
    FAILED = "failed"        # an attempt failed; tried again at next_attempt_at
    DEAD = "dead"            # the backend refused it for good; kept with the reason until a person acts


STATES: tuple[str, ...] = tuple(s.value for s in QueueState)
WAITING = (QueueState.QUEUED, QueueState.SENDING, QueueState.FAILED)   # not yet delivered, still going
NEEDS_A_PERSON = (QueueState.FAILED, QueueState.DEAD)                  # shown to the mediator as problems


class OutboxError(Exception):
    """The outbox could not do what was asked; the message says what to do and holds no personal data.

    `key` names the message shown to a citizen (translations core: error.<key>).
    """

    key = "queue_error"


class SubmissionStore(Protocol):
    """Where a finished journey's payload is written durably before the citizen sees a reference."""

    def enqueue(self, payload: dict[str, Any], destination: Destination) -> None:
        """Write the payload for this destination; return once it is on disk, else raise OutboxError.

        A store that takes attachments (documents, signatures) accepts them as a third argument, a tuple of
        kiosk.documents.Attachment, written in the same transaction (the SQLite outbox does)."""
