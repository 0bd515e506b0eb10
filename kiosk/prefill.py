"""Once-only: answers an administration already knows, fetched with the citizen's agreement.

A destination may offer, per service, a prefill endpoint (docs/sync-api.yaml, `POST /prefill/{service}`):
given the identity a mediator checked, the backend answers what it knows, keyed by page id. This module
holds the rules; the HTTP client is `offline_queue.prefill`, the mediator's panel `ui.mediator_assist`.

It is offered only when all hold (`unavailable` says which one does not):

1. the service's destination declares prefill for this service (`prefill = ["service-id"]` in kiosk.toml);
2. the kiosk is online: the destination answered its health check just now;
3. a mediator is helping and has checked an identity document;
4. the journey has a valid answer to the service's national ID question (the identity sent).

Then the citizen is asked on their own screen; only if they agree is anything fetched. What comes back is
merged by `Journey.prefill`: pages not answered yet, values their validators accept, each still an
ordinary answer the citizen sees and can change; check answers marks them "from <administration>".
Offline, or on any error, nothing changes and the journey goes on. The audit log records that a prefill
was asked and how it ended (`record`), with counts and codes only, never a value.
"""
from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Any

from kiosk.assist import AssistSession
from kiosk.audit import AuditLog
from kiosk.config import Destination
from kiosk.definition import FILE_TYPES, Service
from kiosk.journey import Journey

# Reasons it is not offered (translations/prefill: "prefill.not.<reason>", for the mediator).
NOT_DECLARED, OFFLINE, NO_MEDIATOR, IDENTITY_NOT_CHECKED, NO_NATIONAL_ID = (
    "not_declared", "offline", "no_mediator", "identity_not_checked", "no_national_id")
MAX_SOURCE_LENGTH = 60  # characters of an administration's name kept for the mark on check answers


class Outcome(enum.Enum):
    """How a prefill ended; the value is the code written to the audit log."""

    FOUND = "found"                   # answers came back (some may have been left out: see `filled`)
    NOTHING_KNOWN = "nothing_known"   # 404: the administration knows nothing for this person and service
    FAILED = "failed"                 # offline since, refused, timed out, a malformed answer
    REFUSED = "refused"               # the citizen said no: nothing was asked


@dataclass(frozen=True)
class PrefillRequest:
    """What the kiosk sends: the service, the identity the mediator checked and the pages it can fill."""

    service_id: str
    service_version: int
    language: str
    kiosk_id: str
    identity: dict[str, str]
    pages: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """The request body of docs/sync-api.yaml (`PrefillRequest`)."""
        return {"service": {"id": self.service_id, "version": self.service_version}, "language": self.language,
                "kiosk_id": self.kiosk_id, "identity": dict(self.identity), "pages": list(self.pages)}


@dataclass(frozen=True)
class PrefillResult:
    """What came back. `reason` is for the mediator and holds no personal data; `source` names the
    administration (language code -> name, or {"": name})."""

    outcome: Outcome
    answers: dict[str, Any] = field(default_factory=dict)
    source: dict[str, str] = field(default_factory=dict)
    reason: str = ""


def declares(destination: Destination | None, service: Service) -> bool:
    """Whether the service's destination offers prefill for this service (its `prefill` list)."""
    if destination is None or destination.kind != "rest":
        return False
    listed = destination.options.get("prefill") or ()
    return isinstance(listed, (list, tuple)) and service.id in listed


def national_id_page(service: Service) -> str | None:
    """The page whose answer identifies the citizen to the administration (the first national ID question)."""
    return next((p.id for p in service.pages if p.type == "national_id"), None)


def unavailable(journey: Journey | None, destination: Destination | None, assist: AssistSession | None, *,
                online: bool) -> str | None:
    """Why prefill cannot be offered now (one of the reasons above), or None when it can."""
    if journey is None or not declares(destination, journey.service):
        return NOT_DECLARED
    if not online:
        return OFFLINE
    if assist is None or not assist.active:
        return NO_MEDIATOR
    if assist.identity_document is None:
        return IDENTITY_NOT_CHECKED
    page = national_id_page(journey.service)
    if page is None or not journey.answers.get(page):
        return NO_NATIONAL_ID
    return None


def request_for(journey: Journey, assist: AssistSession, kiosk_id: str, *,
                now: dt.datetime | None = None) -> PrefillRequest:
    """The request for this journey; call only when `unavailable` says None."""
    service = journey.service
    id_page = national_id_page(service)
    assert id_page is not None and assist.identity_document is not None
    moment = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
    identity = {"national_id": str(journey.answers[id_page]), "scheme": service.national_id,
                "document": assist.identity_document, "checked_by": assist.mediator.id,
                "checked_at": moment.isoformat(timespec="seconds").replace("+00:00", "Z")}
    # Only what the kiosk could use: pages it asks, not files, not the identity itself, not the contact
    # for status updates (the citizen gives that for this request only).
    from kiosk import status_updates
    pages = tuple(p.id for p in service.pages
                  if p.type not in FILE_TYPES and p.id != id_page and p.id not in status_updates.PAGE_IDS)
    return PrefillRequest(service.id, service.version, journey.language, kiosk_id, identity, pages)


def merge(journey: Journey, result: PrefillResult) -> list[str]:
    """Put what was found into the journey; the page ids filled (none unless the outcome is FOUND)."""
    if result.outcome is not Outcome.FOUND:
        return []
    return journey.prefill(result.answers, dict(result.source))


def source_name(source: Any, language: str, fallback: str = "") -> str:
    """The administration's name in `language` (else any it gave, else `fallback`) for "from <name>"."""
    if isinstance(source, dict):
        name = source.get(language) or source.get("") or next((v for v in source.values() if v), "")
    else:
        name = str(source or "")
    return str(name or fallback)[:MAX_SOURCE_LENGTH]


def record(audit: AuditLog, assist: AssistSession, service: Service, destination: str, outcome: Outcome,
           filled: int = 0) -> None:
    """The audit line for a prefill: who asked, for which service and destination, how it ended, how many
    answers were taken. Never an answer, never the identity."""
    audit.append("prefill", assist.mediator.id, service=service.id, destination=destination,
                 outcome=outcome.value, count=filled)
