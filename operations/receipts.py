"""A submission's receipt again, from what the kiosk still holds: for `kiosk receipt REF` and the console.

The submission is looked up by reference (or id) in the outbox: only what this
kiosk still holds (queued, failing, or delivered within [queue] receipt_days).
The receipt carries no answers unless asked for, and even then only where this
kiosk can read them: a payload sealed for the backend, or encrypted with an ODK
form key, stays closed. Qt-free: printing is done above, in ui/receipt_print.py.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from kiosk.config import Config
from kiosk.definition import Catalogue, load_catalogue
from kiosk.receipt import Receipt, build_receipt
from offline_queue import Outbox, QueueItem


class ReceiptNotAvailable(Exception):
    """No receipt can be made for this reference; the message says why and what to do (no personal data)."""


@dataclass(frozen=True)
class Found:
    """A receipt made again, and the queue row it is for (metadata only)."""

    receipt: Receipt
    item: QueueItem


def readable_answers(outbox: Outbox, item: QueueItem) -> tuple[dict | None, str]:
    """The submission's payload if this kiosk can read it (a clear REST payload under the device seal), else
    (None, why not) in a few words."""
    for row, body, body_seal, content_type, _ in outbox.exportable():
        if row.id != item.id:
            continue
        if content_type.startswith("multipart/"):
            return None, "encrypted with the ODK form's key"
        if content_type != "application/json":
            return None, "sealed for the backend"
        try:
            envelope = json.loads(outbox.open_body(body, body_seal))
        except (ValueError, OSError):
            return None, "sealed for the backend"
        payload = envelope.get("payload") if isinstance(envelope, dict) else None
        return (payload, "") if isinstance(payload, dict) else (None, "sealed for the backend")
    return None, "no longer stored on this kiosk (delivered)"


def find_receipt(config: Config, outbox: Outbox, reference: str, *, language: str | None = None,
                 with_answers: bool = False, catalogue: Catalogue | None = None) -> Found:
    """The receipt of the submission with this reference (canonical, as stored) or submission id.

    `language` defaults to the submission's when its payload is readable, else the kiosk's default.
    Raises ReceiptNotAvailable.
    """
    item = outbox.get(reference)
    if item is None:
        raise ReceiptNotAvailable(f"no submission {reference} on this kiosk (delivered ones are kept "
                                  f"{config.queue.receipt_days:g} days: [queue] receipt_days)")
    payload, why = readable_answers(outbox, item) if with_answers else (None, "")
    service = (catalogue or load_catalogue(config.services_dirs)).services.get(item.service_id)
    if service is None:
        raise ReceiptNotAvailable(f"submission {reference} is for the service '{item.service_id}', which this "
                                  "kiosk no longer offers (check [services] dirs)")
    if with_answers and payload is None:
        raise ReceiptNotAvailable(f"the answers of {reference} are {why}; this kiosk cannot read them. "
                                  "A copy of the answers can be printed on the confirmation screen, before Finish")
    chosen = language or (payload or {}).get("language") or config.default_language
    rows: list[tuple[Any, Any]] | None = None
    if payload is not None:
        answers = payload.get("answers") or {}
        rows = [(page, answers[page.id]) for page in service.pages if page.id in answers]
    when = dt.datetime.fromtimestamp(item.created_at).astimezone()
    return Found(build_receipt(service, item.reference, when, str(chosen), answers=rows), item)
