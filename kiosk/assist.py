"""Assisted sessions: a mediator helps, and fills in only with the citizen's consent.

An `AssistSession` belongs to one citizen session: `kiosk.citizen.CitizenSession`
holds it (`citizen.assist`) with the journey, and the submission puts
`citizen.assisted_record().to_payload()` in payload["assisted"] (unassisted if
no mediator stepped in). The citizen session is replaced whole at the wipe,
ending any assistance with it; there is no module-level "current" session. The
CLI's `kiosk queue add` is never assisted and needs nothing.

The payload (no personal data: the document *kind*, never its number):

    {"assisted": true, "mediator_id": "ana.s", "consent_at": "2026-11-23T18:40:02+00:00",
     "consent_withdrawn_at": null, "filled_on_behalf": true,
     "identity_checked": true, "identity_document": "id_card", "service": "housing-benefit"}

States of one assisted session:

    HELPING       mediator signed in; guides, reads notes; the citizen touches the screen
    CONSENT_ASKED the consent screen is up in the citizen's language
    ON_BEHALF     the citizen accepted: the mediator may fill in, for this service only
    ENDED         the mediator handed the screen back (or the session was wiped)

The citizen can withdraw consent at any moment (back to HELPING); a refused
consent also goes back to HELPING. Consent is scoped to one service: when the
journey's service changes, consent lapses. Every step is written to the audit
log (kiosk.audit) with codes only.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable

from kiosk.audit import AuditLog
from kiosk.mediators import Mediator

HELPING, CONSENT_ASKED, ON_BEHALF, ENDED = "helping", "consent_asked", "on_behalf", "ended"
DOCUMENT_KINDS = ("id_card", "passport", "residence_permit", "driving_licence", "other")


class AssistError(Exception):
    """An action the assisted session does not allow in its current state."""


@dataclass(frozen=True)
class AssistRecord:
    assisted: bool = False
    mediator_id: str | None = None
    consent_at: dt.datetime | None = None
    consent_withdrawn_at: dt.datetime | None = None
    filled_on_behalf: bool = False
    identity_checked: bool = False
    identity_document: str | None = None
    service: str | None = None
    signed_orally: tuple[str, ...] = ()  # signature pages the citizen confirmed out loud, noted by the mediator

    def to_payload(self) -> dict:
        iso = lambda t: t.astimezone(dt.timezone.utc).isoformat(timespec="seconds") if t else None  # noqa: E731
        return {
            "assisted": self.assisted,
            "mediator_id": self.mediator_id,
            "consent_at": iso(self.consent_at),
            "consent_withdrawn_at": iso(self.consent_withdrawn_at),
            "filled_on_behalf": self.filled_on_behalf,
            "identity_checked": self.identity_checked,
            "identity_document": self.identity_document,
            "service": self.service,
            # Only when it happened, so the record of every other submission keeps its shape.
            **({"signed_orally": list(self.signed_orally)} if self.signed_orally else {}),
        }


class AssistSession:
    """One mediator's help to one citizen; created after a correct PIN."""

    def __init__(self, mediator: Mediator, audit: AuditLog, *, service: str | None = None,
                 language: str = "en", clock: Callable[[], dt.datetime] | None = None):
        self.mediator = mediator
        self.audit = audit
        self.service = service
        self.language = language
        self._clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        self.state = HELPING
        self.consent_at: dt.datetime | None = None
        self.consent_service: str | None = None
        self.consent_withdrawn_at: dt.datetime | None = None
        self.filled_on_behalf = False
        self.identity_document: str | None = None
        self.signed_orally: list[str] = []
        self.audit.append("assist_start", mediator.id, service=service, language=language)

    # --- state ------------------------------------------------------------------

    @property
    def active(self) -> bool:
        return self.state != ENDED

    @property
    def may_fill(self) -> bool:
        """True while the mediator may type answers on the citizen's behalf."""
        return self.state == ON_BEHALF and self.consent_service == self.service

    def set_context(self, service: str | None, language: str | None = None) -> None:
        """The journey moved to another service or language; consent is for one service only."""
        if language:
            self.language = language
        if service != self.service:
            self.service = service
            if self.state in (ON_BEHALF, CONSENT_ASKED):
                self.state = HELPING
                self.consent_at = None
                self.consent_service = None
                self.audit.append("consent_withdrawn", self.mediator.id, service=service, reason="service_changed")

    # --- consent ----------------------------------------------------------------

    def ask_consent(self) -> None:
        self._require(HELPING, "consent can be asked only while helping")
        if not self.service:
            raise AssistError("choose a service first: consent is for one service")
        self.state = CONSENT_ASKED
        self.audit.append("consent_shown", self.mediator.id, service=self.service, language=self.language)

    def accept_consent(self) -> None:
        self._require(CONSENT_ASKED, "there is no consent question on the screen")
        self.state = ON_BEHALF
        self.consent_at = self._clock()
        self.consent_service = self.service
        self.consent_withdrawn_at = None
        self.audit.append("consent_given", self.mediator.id, service=self.service, language=self.language,
                          scope="this_service")

    def refuse_consent(self) -> None:
        self._require(CONSENT_ASKED, "there is no consent question on the screen")
        self.state = HELPING
        self.audit.append("consent_refused", self.mediator.id, service=self.service)

    def withdraw_consent(self) -> None:
        """The citizen takes back the right to fill in; the mediator can still guide."""
        if self.state != ON_BEHALF:
            raise AssistError("there is no consent to withdraw")
        self.state = HELPING
        self.consent_withdrawn_at = self._clock()
        self.audit.append("consent_withdrawn", self.mediator.id, service=self.service, reason="citizen")

    # --- actions ----------------------------------------------------------------

    def fill(self, step: str) -> None:
        """Record that the mediator entered the answer to page `step` (the page id, never the answer)."""
        if not self.may_fill:
            raise AssistError("the mediator may fill in only after the citizen's consent")
        self.filled_on_behalf = True
        self.audit.append("fill_on_behalf", self.mediator.id, service=self.service, step=step)

    def check_identity(self, document: str) -> None:
        if document not in DOCUMENT_KINDS:
            raise AssistError(f"document kind must be one of {', '.join(DOCUMENT_KINDS)}")
        if not self.active:
            raise AssistError("assistance has ended")
        self.identity_document = document
        self.audit.append("identity_checked", self.mediator.id, service=self.service, document=document)

    def confirm_oral(self, step: str) -> None:
        """Record that the citizen, who cannot sign, agreed out loud to signature page `step` (the page id):
        the mediator heard it. Needs no consent to fill in: the citizen asked for it on the screen."""
        if not self.active:
            raise AssistError("assistance has ended")
        self.audit.append("signed_orally", self.mediator.id, service=self.service, step=step)
        if step not in self.signed_orally:
            self.signed_orally.append(step)

    def end(self, reason: str = "handed_back") -> None:
        """Hand the screen back to the citizen (consent to fill in ends with it)."""
        if self.state == ENDED:
            return
        self.state = ENDED
        self.audit.append("assist_end", self.mediator.id, service=self.service, reason=reason)

    def record(self) -> AssistRecord:
        return AssistRecord(
            assisted=True, mediator_id=self.mediator.id, consent_at=self.consent_at,
            consent_withdrawn_at=self.consent_withdrawn_at, filled_on_behalf=self.filled_on_behalf,
            identity_checked=self.identity_document is not None, identity_document=self.identity_document,
            service=self.consent_service or self.service, signed_orally=tuple(self.signed_orally))

    def _require(self, state: str, message: str) -> None:
        if self.state != state:
            raise AssistError(message)
