"""Check and normalise one answer for one question.

Errors are values (`Invalid(key, params)`), never English strings: the screen
or the command line turns the key into words in the citizen's language.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from kiosk import national_id, postcode
from kiosk.definition import Page

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]{2,}$")
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")
YES_NO = ("yes", "no")
DEFAULT_MAX_LENGTH = {"short_text": 100, "long_text": 1000}


@dataclass(frozen=True)
class Invalid:
    """Why an answer was refused: a message key and the values it mentions."""

    key: str
    params: dict = field(default_factory=dict)


def is_blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip()) or (isinstance(raw, (list, tuple)) and not raw)


def validate(page: Page, raw: Any, *, national_id_kind: str = "none", postcode_kind: str = "any",
             today: dt.date | None = None) -> Any | Invalid:
    """Return the normalised answer, None for a skipped optional one, or Invalid."""
    if is_blank(raw):
        return Invalid("required") if page.required else None
    checker = _CHECKERS[page.type]
    try:
        return checker(page, raw, national_id_kind=national_id_kind, postcode_kind=postcode_kind,
                       today=today or dt.date.today())
    except (TypeError, ValueError, AttributeError, OverflowError):
        # Whatever arrives from a screen, a script or a voice recogniser, a
        # malformed answer is a refusal the citizen can fix, never a crash.
        return Invalid("invalid_" + page.type)


def _text(page: Page, raw: Any, **_: Any) -> Any:
    if not isinstance(raw, str):
        raise TypeError
    if page.type == "long_text":
        raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    value = raw.strip() if page.type == "short_text" else raw.strip("\n ")
    if page.type == "short_text":
        value = " ".join(value.split())
    limit = page.max_length or DEFAULT_MAX_LENGTH[page.type]
    if len(value) > limit:
        return Invalid("too_long", {"max": limit})
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in value):
        return Invalid("invalid_" + page.type)
    return value


def _number(page: Page, raw: Any, **_: Any) -> Any:
    if isinstance(raw, bool):
        raise TypeError
    if isinstance(raw, str):
        text = raw.strip().replace(" ", "").replace(",", ".")
        if not re.fullmatch(r"-?\d+(\.\d+)?", text):
            return Invalid("invalid_number")
        value: float = float(text)
    elif isinstance(raw, (int, float)):
        value = float(raw)
    else:
        raise TypeError
    if value != value or value in (float("inf"), float("-inf")):
        return Invalid("invalid_number")
    if page.min is not None and value < page.min:
        return Invalid("too_small", {"min": _plain(page.min)})
    if page.max is not None and value > page.max:
        return Invalid("too_large", {"max": _plain(page.max)})
    return int(value) if value.is_integer() else value


def ascii_digits(text: str) -> str:
    """Digits of any script (Arabic-Indic, full-width ...) as 0-9: what the destination expects."""
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)


def _plain(number: float) -> int | float:
    return int(number) if float(number).is_integer() else number


def _date(page: Page, raw: Any, *, today: dt.date, **_: Any) -> Any:
    if isinstance(raw, dt.datetime):
        value = raw.date()
    elif isinstance(raw, dt.date):
        value = raw
    else:
        text = str(raw).strip()
        for fmt in DATE_FORMATS:
            try:
                value = dt.datetime.strptime(text, fmt).date()
                break
            except ValueError:
                continue
        else:
            return Invalid("invalid_date")
    if value.year < 1900:
        return Invalid("invalid_date")
    if page.date_range == "past" and value > today:
        return Invalid("date_in_future")
    if page.date_range == "future" and value < today:
        return Invalid("date_in_past")
    return value.isoformat()


def _phone(page: Page, raw: Any, **_: Any) -> Any:
    text = ascii_digits(str(raw).strip())
    compact = re.sub(r"[\s().-]", "", text)
    if not re.fullmatch(r"\+?[0-9]{6,15}", compact):
        return Invalid("invalid_phone")
    return compact


def _email(page: Page, raw: Any, **_: Any) -> Any:
    text = str(raw).strip()
    if len(text) > 254 or not EMAIL.match(text) or any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        return Invalid("invalid_email")
    return text


def _postcode(page: Page, raw: Any, *, postcode_kind: str, **_: Any) -> Any:
    value = postcode.normalise(postcode_kind, str(raw))
    return value if postcode.is_valid(postcode_kind, value) else Invalid("invalid_postcode")


def _national_id(page: Page, raw: Any, *, national_id_kind: str, **_: Any) -> Any:
    value = national_id.normalise(str(raw))
    return value if national_id.is_valid(national_id_kind, value) else Invalid("invalid_national_id")


def _yes_no(page: Page, raw: Any, **_: Any) -> Any:
    if isinstance(raw, bool):
        return "yes" if raw else "no"
    value = str(raw).strip().lower()
    return value if value in YES_NO else Invalid("choose_one")


def _single(page: Page, raw: Any, **_: Any) -> Any:
    value = str(raw)
    return value if page.option(value) else Invalid("choose_one")


def _multiple(page: Page, raw: Any, **_: Any) -> Any:
    values = [raw] if isinstance(raw, str) else list(raw)
    if not values:  # an empty set or mapping is no choice at all
        return Invalid("required") if page.required else None
    if any(page.option(str(v)) is None for v in values):
        return Invalid("choose_from_list")
    # Keep the definition's order, drop repeats: the same choice touched twice is one choice.
    chosen = {str(v) for v in values}
    return [o.value for o in page.options if o.value in chosen]


_CHECKERS = {
    "short_text": _text, "long_text": _text, "number": _number, "date": _date,
    "phone": _phone, "email": _email, "postcode": _postcode, "national_id": _national_id,
    "yes_no": _yes_no, "single_choice": _single, "multiple_choice": _multiple,
}
