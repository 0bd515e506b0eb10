"""Feedback after each journey: "How was it?", five faces and an optional reason from a fixed list.

Anonymous by construction: a face (1 very unhappy ... 5 very happy), at
most one reason id from `REASONS` (worded per language in translations/core:
feedback.reason.<id>), the service and language of the journey and the day.
Never free text, never the citizen's reference, no time finer than the day.

It leaves the kiosk through the same sealed outbox as submissions and audit
batches (see kiosk.audit_sync), as service "ponte-feedback" with kind
"feedback", to `[feedback] destination` (else the "*" destination), and is
counted in the day's statistics (`kiosk stats`).
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from kiosk.config import Config, Destination
from kiosk.outbox import SubmissionStore
from kiosk.reference import new_reference

FEEDBACK_SERVICE = {"id": "ponte-feedback", "version": 1}
KIND = "feedback"
FACES = (1, 2, 3, 4, 5)  # 1 very unhappy ... 5 very happy; message keys feedback.face.<n>
# A short fixed list, the same in every language: what went well or badly, never words of the citizen's own.
REASONS = ("easy", "quick", "hard_words", "too_long", "needed_help", "screen_problem")


class FeedbackError(ValueError):
    """A face or reason that is not on the fixed lists (a programming error at the screen, not the citizen's)."""


@dataclass(frozen=True)
class Feedback:
    """One citizen's answer to "How was it?"; nothing in it identifies them."""

    face: int
    service: str
    language: str
    day: dt.date
    reason: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.face, bool) or self.face not in FACES:
            raise FeedbackError(f"face must be one of {FACES}")
        if self.reason is not None and self.reason not in REASONS:
            raise FeedbackError(f"reason must be one of {', '.join(REASONS)} or none")
        if isinstance(self.day, dt.datetime) or not isinstance(self.day, dt.date):
            raise FeedbackError("day must be a date, never a time")  # no time finer than the day


def feedback_payload(feedback: Feedback, kiosk_id: str) -> dict[str, Any]:
    """The payload queued for the backend: a fresh id and reference unrelated to any submission."""
    ident = str(uuid.uuid4())
    return {
        "kind": KIND, "submission_id": ident, "idempotency_key": ident,
        # The outbox needs a reference per row; a new one, so it links to no citizen's submission.
        "reference": new_reference(), "service": FEEDBACK_SERVICE, "kiosk_id": kiosk_id,
        # submitted_at is required by the sync API: midnight of the day, never the moment.
        "submitted_at": f"{feedback.day.isoformat()}T00:00:00Z",
        "feedback": {"face": feedback.face, "reason": feedback.reason, "service": feedback.service,
                     "language": feedback.language, "day": feedback.day.isoformat()},
    }


def feedback_destination(config: Config) -> Destination | None:
    """`[feedback] destination = NAME` in the config, else the catch-all destination; REST only."""
    destination = config.destination(config.feedback.destination)
    return destination if destination is not None and destination.kind == "rest" else None


def give_feedback(outbox: SubmissionStore, config: Config, feedback: Feedback, stats=None) -> bool:
    """Count the feedback (if `stats` is given) and queue it; True if it was queued for a destination.

    Counting comes first and never fails the call: statistics are a nice-to-have.
    """
    if stats is not None:
        stats.record_feedback(feedback.service, feedback.language, feedback.face, feedback.reason)
    destination = feedback_destination(config)
    if destination is None:
        return False
    outbox.enqueue(feedback_payload(feedback, config.kiosk_id), destination)
    return True


def today() -> dt.date:
    """The day in UTC, the only time feedback carries."""
    return dt.datetime.now(dt.timezone.utc).date()
