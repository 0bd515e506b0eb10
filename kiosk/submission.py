"""Turn a finished journey into a queued submission, the one way the UI and CLI both use.

The payload is written durably to the outbox *before* the journey is marked
done, so the citizen never sees a reference number for something not on disk.
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any, Sequence, cast

from kiosk import status_updates
from kiosk.config import Config
from kiosk.documents import Attachment
from kiosk.journey import Journey
from kiosk.outbox import OutboxError, SubmissionStore
from kiosk.reference import new_reference


class SubmitError(Exception):
    """Submitting failed; `key` names the message to show (translations core: error.<key>)."""

    def __init__(self, key: str, detail: str = ""):
        super().__init__(detail or key)
        self.key = key


@dataclass(frozen=True)
class Receipt:
    reference: str
    submission_id: str
    service_id: str


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def build_payload(journey: Journey, config: Config, *, assisted: dict | None = None,
                  submission_id: str | None = None) -> dict[str, Any]:
    service = journey.service
    # The contact for status updates travels in its own field, never among the answers.
    answers = status_updates.without_contact(journey.answers)
    submission_id = submission_id or str(uuid.uuid4())  # a caller's own id makes a retried call idempotent
    payload: dict[str, Any] = {
        "submission_id": submission_id,
        "idempotency_key": submission_id,
        "reference": new_reference(),
        "service": {"id": service.id, "version": service.version},
        "language": journey.language,
        "kiosk_id": config.kiosk_id,
        "started_at": _iso(journey.started_at),
        "submitted_at": _iso(journey.now()),
        "answers": answers,
        "fields": {service.mapping.get(k, k): v for k, v in answers.items()},
        "assisted": assisted or {"assisted": False},
    }
    if contact := status_updates.contact(journey.answers):
        payload["status_updates"] = contact
    # Answers taken from what the administration already knew (kiosk.prefill), unchanged by the citizen.
    if prefilled := [k for k in answers if journey.prefilled_from(k) is not None]:
        payload["prefilled"] = prefilled
    if service.openrosa:
        payload["form"] = {"id": service.openrosa.get("form_id", service.id),
                           "version": service.openrosa.get("form_version", str(service.version))}
    return payload


def check_ready(journey: Journey) -> None:
    """Raise JourneyError unless the journey can be submitted (complete, at check answers, consented)."""
    from kiosk.journey import CHECK, JourneyError
    if journey.step != CHECK or not journey.is_complete():
        raise JourneyError("only a complete journey at check answers can be submitted")
    if not journey.consent_given:
        raise JourneyError("the citizen has not agreed to the consent statement")


def write(payload: dict[str, Any], journey: Journey, config: Config, outbox: SubmissionStore,
          attachments: Sequence[Attachment] = ()) -> Receipt:
    """Queue a payload (and its attachments: documents, signatures) durably; raise SubmitError if it is not on
    disk. May run on a worker thread."""
    destination = config.destination(journey.service.destination)
    if destination is None:
        raise SubmitError("queue_write_failed", f"no destination named {journey.service.destination!r} in the configuration")
    try:
        if attachments:
            cast(Any, outbox).enqueue(payload, destination, tuple(attachments))  # see SubmissionStore.enqueue
        else:
            outbox.enqueue(payload, destination)
    except OutboxError as exc:
        raise SubmitError(getattr(exc, "key", "queue_write_failed"), str(exc)) from exc
    except ValueError as exc:  # the payload cannot be rendered for this destination
        raise SubmitError("queue_write_failed", str(exc)) from exc
    return Receipt(payload["reference"], payload["submission_id"], journey.service.id)


def submit(journey: Journey, config: Config, outbox, *, assisted: dict | None = None,
           submission_id: str | None = None, attachments: Sequence[Attachment] = ()) -> Receipt:
    """Check, queue durably, then mark the journey done: one call for the command line."""
    check_ready(journey)  # before writing: a row on disk is never followed by a refusal
    receipt = write(build_payload(journey, config, assisted=assisted, submission_id=submission_id),
                    journey, config, outbox, attachments)
    journey.finish()
    return receipt
