"""Status updates: the citizen may leave a mobile number or an email address for news of the request.

A service offers it with `status_updates:` in its definition (docs/service-format.md). The
definition loader then adds three generated pages at the end of the questions, worded by the
kiosk (translations/updates) in every language of the service, so the screens, the voice and
the check answers need nothing new:

    status_updates         "Do you want updates about your request?"  By text message / By email / No thanks
                           (optional: skipping it is "No thanks")
    status_updates_phone   the mobile number, checked by the phone validator   (shown for "By text message")
    status_updates_email   the email address, checked by the email validator  (shown for "By email")

The contact leaves the kiosk only inside the sealed submission, in its own field
`payload["status_updates"]` (docs/sync-api.yaml), never among the answers; the backend sends
the messages, the kiosk never does. The number and the address are personal and sensitive:
never logged, masked on a printed copy of the answers. For OpenRosa the same values go in the
instance's `status_updates` group (docs/openrosa.md), published in the service's XForm.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from translations import text as tr

if TYPE_CHECKING:
    from kiosk.definition import Page

CHANNEL, PHONE, EMAIL = "status_updates", "status_updates_phone", "status_updates_email"
PAGE_IDS = (CHANNEL, PHONE, EMAIL)
SMS, MAIL, NONE = "sms", "email", "none"
CHANNELS = (SMS, MAIL)
# The instance group an OpenRosa destination receives them in (kiosk/xform.py publishes it).
GROUP = "status_updates"
TARGETS = {CHANNEL: f"{GROUP}/channel", PHONE: f"{GROUP}/phone", EMAIL: f"{GROUP}/email"}


def pages(languages: tuple[str, ...], channels: tuple[str, ...] = CHANNELS,
          about: dict[str, str] | None = None) -> tuple[Page, ...]:
    """The generated pages for a service in `languages`: the choice, then the number or the address.

    `about` (the definition's own words, e.g. "We tell you when the certificate is ready") opens the
    choice page's hint; the kiosk's sentence on what the contact is used for follows it.
    """
    from kiosk.definition import Condition, Option, Page  # definition builds these pages while loading

    def words(key: str) -> dict[str, str]:
        return {lang: tr(lang, key) for lang in languages}

    hint = {lang: " ".join(x for x in ((about or {}).get(lang, ""), tr(lang, "updates.hint")) if x)
            for lang in languages}
    options = tuple(Option(channel, words(f"updates.by_{channel}")) for channel in CHANNELS if channel in channels)
    generated = [Page(id=CHANNEL, type="single_choice", question=words("updates.question"), hint=hint,
                      required=False, options=options + (Option(NONE, words("updates.no_thanks")),),
                      mediator_notes=words("updates.mediator_notes"))]
    if SMS in channels:
        generated.append(Page(id=PHONE, type="phone", question=words("updates.phone_question"),
                              hint=words("updates.phone_hint"), personal=True, sensitive=True,
                              show_if=Condition(CHANNEL, SMS), label=words("updates.phone_label"),
                              mediator_notes=words("updates.phone_notes")))
    if MAIL in channels:
        generated.append(Page(id=EMAIL, type="email", question=words("updates.email_question"),
                              hint=words("updates.email_hint"), personal=True, sensitive=True,
                              show_if=Condition(CHANNEL, MAIL), label=words("updates.email_label"),
                              mediator_notes=words("updates.email_notes")))
    return tuple(generated)


def contact(answers: dict[str, Any]) -> dict[str, str] | None:
    """payload["status_updates"] from a journey's answers: {"channel": "sms", "phone": …},
    {"channel": "email", "email": …}, or {"channel": "none"} when the citizen said "No thanks";
    None when the page was skipped or the service offers no updates."""
    channel = answers.get(CHANNEL)
    if channel == SMS and answers.get(PHONE):
        return {"channel": SMS, "phone": str(answers[PHONE])}
    if channel == MAIL and answers.get(EMAIL):
        return {"channel": MAIL, "email": str(answers[EMAIL])}
    if channel == NONE:
        return {"channel": NONE}
    return None


def without_contact(answers: dict[str, Any]) -> dict[str, Any]:
    """The answers that go in payload["answers"]: the contact travels in its own field."""
    return {k: v for k, v in answers.items() if k not in PAGE_IDS}


def xform_fields(payload: dict) -> dict[str, str]:
    """The `status_updates` group of an OpenRosa instance (path -> value); empty without a contact."""
    chosen = payload.get("status_updates")
    if not isinstance(chosen, dict) or chosen.get("channel") not in (*CHANNELS, NONE):
        return {}
    fields = {TARGETS[CHANNEL]: str(chosen["channel"])}
    # Only the element of the chosen channel: a service offering one channel publishes only that one.
    if chosen["channel"] == SMS:
        fields[TARGETS[PHONE]] = str(chosen.get("phone") or "")
    elif chosen["channel"] == MAIL:
        fields[TARGETS[EMAIL]] = str(chosen.get("email") or "")
    return fields
