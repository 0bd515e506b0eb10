"""What the domain needs of an outbox, whichever stores the submissions.

The SQLite outbox (`offline_queue.outbox.Outbox`) implements it; the domain
(`kiosk.submission`) only knows this interface and this error, so it imports
nothing from the queue package.
"""
from __future__ import annotations

from typing import Any, Protocol

from kiosk.config import Destination


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
