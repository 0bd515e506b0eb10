"""What a receipt says: the proof a citizen takes away after Send, as plain text.

`build_receipt()` turns a service definition, a reference, a moment and the
session's language into a `Receipt`: every line already worded in that
language, so the printer, the screen and the voice all say the same thing
and none of them holds a rule. Rendering (QR code, PDF, thermal raster) is
done above the domain, in `ui/receipt_print.py`.

A receipt carries no personal answer. Only when the citizen asks for a copy
of the answers does it list them, as on check answers, with the answers of
pages the definition marks `sensitive: true` masked down to their last three
characters.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kiosk import RIGHT_TO_LEFT
from kiosk.definition import Page, Service
from kiosk.reference import display, normalise
import translations
from translations import text as tr

# How much of a sensitive answer stays readable: enough to recognise it, too little to reuse it.
VISIBLE_TAIL = 3
MASK = "•"
# The follow-up kinds a definition's after_submit may give, in the order they are printed.
FOLLOW_UP_KINDS = ("phone", "counter", "web")


@dataclass(frozen=True)
class FollowUp:
    """One way to ask about the request later (phone, counter, web), worded for the citizen."""

    kind: str
    label: str
    text: str


@dataclass(frozen=True)
class AnswerLine:
    """One answer on a copy of the answers: the question and the answer as on check answers."""

    page_id: str
    question: str
    answer: str
    masked: bool = False


@dataclass(frozen=True)
class Receipt:
    """Everything a receipt shows, in one language, ready to lay out, print or speak."""

    language: str
    rtl: bool
    service_id: str
    service_title: str
    heading: str
    reference: str  # as shown: ABCD-EFGH
    reference_label: str
    issued_label: str
    issued: str  # the date and time, formatted for the language
    next_steps_label: str
    next_steps: str
    expected_by: str  # "Expect an answer by 21 December 2026", or ""
    follow_up_label: str
    follow_up: tuple[FollowUp, ...]
    keep_note: str
    follow_up_url: str
    qr_text: str  # what the QR code holds: the reference, then the follow-up URL
    qr_label: str
    answers_label: str = ""
    answers: tuple[AnswerLine, ...] = ()
    answers_note: str = ""

    @property
    def with_answers(self) -> bool:
        return bool(self.answers)

    def lines(self) -> list[str]:
        """The receipt as plain lines, top to bottom (for a text view, logs of tests, speech)."""
        out = [self.service_title, self.heading, f"{self.reference_label}: {self.reference}",
               f"{self.issued_label}: {self.issued}"]
        if self.next_steps:
            out += [self.next_steps_label, self.next_steps]
        if self.expected_by:
            out.append(self.expected_by)
        if self.follow_up:
            out.append(self.follow_up_label)
            out += [f"{f.label}: {f.text}" for f in self.follow_up]
        out.append(self.keep_note)
        if self.answers:
            out.append(self.answers_label)
            out += [f"{a.question} {a.answer}" for a in self.answers]
            if any(a.masked for a in self.answers):
                out.append(self.answers_note)
        return out

    def spoken_text(self) -> str:
        """What the voice reads aloud: the receipt with the reference spelled one character at a time.

        Never the answers: a copy of the answers is for the citizen's eyes (others may be listening).
        """
        spelled = " ".join(ch for ch in self.reference if ch != "-")
        parts = [self.heading, f"{self.reference_label}: {spelled}", f"{self.issued_label}: {self.issued}"]
        if self.next_steps:
            parts += [self.next_steps_label, self.next_steps]
        if self.expected_by:
            parts.append(self.expected_by)
        if self.follow_up:
            parts.append(self.follow_up_label)
            parts += [f"{f.label}: {f.text}" for f in self.follow_up]
        parts.append(self.keep_note)
        return " ".join(_sentence(p) for p in parts if p)


def _sentence(text: str) -> str:
    """Text ending in a full stop, so speech pauses between parts (no second stop if it has one)."""
    text = text.strip()
    return text if not text or text[-1] in ".!?。؟" else text + "."


# --- wording ------------------------------------------------------------------------------------


def format_date(moment: dt.datetime | dt.date, language: str, *, with_time: bool = True) -> str:
    """A date (and time) the way people of this language write it: "7 December 2026, 15:04" (CLDR, through Babel)."""
    return translations.format_date(language, moment, with_time=with_time)


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date `days` working days (Monday to Friday) after `start`; public holidays are not known here."""
    current, left = start, max(0, days)
    while left:
        current += dt.timedelta(days=1)
        if current.weekday() < 5:
            left -= 1
    return current


def follow_up_url(service: Service) -> str:
    """The web address to follow a request up, from the definition (https:// added if it has no scheme)."""
    web = (service.after_submit or {}).get("web")
    if not isinstance(web, str) or not web.strip():
        return ""
    web = web.strip()
    return web if "://" in web else f"https://{web}"


def format_answer(service: Service, page: Page, value: Any, language: str) -> str:
    """An answer in words, as check answers shows it (yes/no and choices in the language, dates d/m/y)."""
    if value is None or value == "" or value == []:
        return tr(language, "answer.not_given")
    if page.type == "yes_no":
        return tr(language, f"answer.{value}")
    if page.type in ("single_choice", "multiple_choice"):
        values = value if isinstance(value, list) else [value]
        options = [page.option(v) for v in values]
        return ", ".join(service.text(o.label, language) for o in options if o is not None)
    if page.type == "date":
        parts = str(value).split("-")
        if len(parts) == 3:
            year, month, day = parts
            return f"{day}/{month}/{year}"
    return str(value)


def mask(text: str, visible: int = VISIBLE_TAIL) -> str:
    """Hide all but the last `visible` letters or digits (spaces and dashes stay, so the shape is kept)."""
    significant = [i for i, ch in enumerate(text) if ch.isalnum()]
    keep = set(significant[-visible:]) if visible > 0 else set()
    hidden = [MASK if (ch.isalnum() and i not in keep) else ch for i, ch in enumerate(text)]
    if len(significant) <= visible:  # too short to show any part safely
        hidden = [MASK if ch.isalnum() else ch for ch in text]
    return "".join(hidden)


def answer_lines(service: Service, rows: Iterable[tuple[Page, Any]], language: str) -> tuple[AnswerLine, ...]:
    """A copy of the answers: (page, value) rows as check answers lists them, sensitive ones masked."""
    lines = []
    for page, value in rows:
        shown = format_answer(service, page, value, language)
        masked = page.sensitive and value not in (None, "", [])
        lines.append(AnswerLine(page.id, service.text(page.question, language),
                                mask(shown) if masked else shown, masked))
    return tuple(lines)


def build_receipt(service: Service, reference: str, when: dt.datetime, language: str, *,
                  answers: Iterable[tuple[Page, Any]] | None = None) -> Receipt:
    """The receipt of one submission, in `language` (the service's first language if it has no text in it).

    `when` is the moment the submission was written, in the kiosk's local time. `answers`
    are (page, value) rows, e.g. `journey.summary()`; give them only when the citizen
    asked for a copy of the answers.
    """
    if language not in service.languages:
        language = service.languages[0]
    canonical = normalise(reference) or reference
    shown = display(canonical) if len(canonical) == 8 else reference
    after = service.after_submit or {}
    next_steps = after.get("next_steps")
    days = after.get("working_days")
    expected = ""
    if isinstance(days, int) and not isinstance(days, bool) and days > 0:
        by = add_working_days(when.date(), days)
        expected = tr(language, "receipt.expected_by", date=format_date(by, language, with_time=False))
    rows = []
    for kind in FOLLOW_UP_KINDS:
        value = after.get(kind)
        text = service.text(value, language) if isinstance(value, dict) else (value if isinstance(value, str) else "")
        if text.strip():
            rows.append(FollowUp(kind, tr(language, f"done.follow_{kind}"), text.strip()))
    url = follow_up_url(service)
    lines = answer_lines(service, answers, language) if answers is not None else ()
    return Receipt(
        language=language,
        rtl=language in RIGHT_TO_LEFT,
        service_id=service.id,
        service_title=service.text(service.title, language),
        heading=tr(language, "receipt.heading"),
        reference=shown,
        reference_label=tr(language, "receipt.reference"),
        issued_label=tr(language, "receipt.date"),
        issued=format_date(when, language),
        next_steps_label=tr(language, "done.next_title"),
        next_steps=service.text(next_steps, language) if isinstance(next_steps, dict) else "",
        expected_by=expected,
        follow_up_label=tr(language, "done.follow_title"),
        follow_up=tuple(rows),
        keep_note=tr(language, "done.reference_help"),
        follow_up_url=url,
        qr_text=f"{shown}\n{url}" if url else shown,
        qr_label=tr(language, "receipt.scan"),
        answers_label=tr(language, "receipt.answers_title") if lines else "",
        answers=lines,
        answers_note=tr(language, "receipt.masked_note") if any(a.masked for a in lines) else "",
    )
