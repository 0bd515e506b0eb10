"""Check and normalise one answer for one question.

Errors are values (`Invalid(key, params)`), never English strings: the screen
or the command line turns the key into words in the citizen's language.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Callable

from kiosk import national_id, postcode
from kiosk.definition import Page

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]{2,}$")
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")
YES_NO = ("yes", "no")
DEFAULT_MAX_LENGTH = {"short_text": 100, "long_text": 1000}
MAX_DIGITS = 15  # significant digits of a number answer: all of them survive a float


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


# Characters a text answer may not hold: they cannot be shown, can disguise what is shown
# (a bidi override turns "evil.exe" round), or cannot be sent (U+FFFE is not XML: a certain
# 400 from ODK Central). Refused with the key "unsupported_character", never removed silently:
# the citizen (or the script) sees the answer that is sent.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
ZERO_WIDTH = frozenset("\u200b\u2060\ufeff")
JOINERS = frozenset("\u200c\u200d")  # ZWNJ, ZWJ: see _joiner_needed
OTHER_FORMAT = frozenset(chr(c) for c in [*range(0x2061, 0x2065), *range(0x206A, 0x2070), *range(0xFFF9, 0xFFFC),
                                          0xE0001, *range(0xE0020, 0xE0080)])
# LRM, RLM and ALM (U+200E, U+200F, U+061C) are accepted: Arabic keyboards type them, they
# only mark the direction of neutral characters next to them and cannot reorder text.


def _joiner_needed(value: str, i: int) -> bool:
    """ZWNJ/ZWJ change how letters join in Arabic script (Persian, Urdu and Kurdish names
    need ZWNJ) and form conjuncts in Indic scripts, so they are kept between two letters or
    marks of a script from Hebrew (U+0590) on. Between Latin letters, at an edge or next to
    a space they only hide something and are refused."""
    if i == 0 or i == len(value) - 1:
        return False
    before, after = value[i - 1], value[i + 1]
    return all(ord(ch) >= 0x0590 and unicodedata.category(ch)[0] in "LM" for ch in (before, after))


def unsupported_character(value: str, allowed: str = "") -> int | None:
    """The index of the first character a text answer may not hold, or None.

    Refused: C0 controls other than those in `allowed`, DEL and C1 controls, lone surrogates,
    noncharacters (U+FDD0-U+FDEF and U+xFFFE/U+xFFFF in every plane), bidi embeddings,
    overrides and isolates, zero-width spaces (U+200B, U+2060, U+FEFF), invisible operators,
    deprecated format and tag characters, interlinear annotations, and ZWNJ/ZWJ where no
    script needs them. What remains is valid XML 1.0 and valid UTF-8.
    """
    for i, ch in enumerate(value):
        code = ord(ch)
        if code < 0x20:
            if ch not in allowed:
                return i
        elif code < 0x7F:
            continue
        elif (code <= 0x9F or 0xD800 <= code <= 0xDFFF or 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE
              or ch in BIDI_CONTROLS or ch in ZERO_WIDTH or ch in OTHER_FORMAT):
            return i
        elif ch in JOINERS and not _joiner_needed(value, i):
            return i
    return None


def _text(page: Page, raw: Any, **_: Any) -> Any:
    if not isinstance(raw, str):
        raise TypeError
    if page.type == "long_text":
        raw = raw.replace("\r\n", "\n").replace("\r", "\n")
        # NEL and the Unicode line and paragraph separators are line ends too.
        raw = raw.replace("\x85", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in raw):  # before NFC, which cannot handle them either
        return Invalid("unsupported_character")
    # One spelling of each letter: "é" typed as e + U+0301 is stored, compared and sent as U+00E9.
    raw = unicodedata.normalize("NFC", raw)
    value = raw.strip() if page.type == "short_text" else raw.strip("\n ")
    if page.type == "short_text":
        value = " ".join(value.split())
    limit = page.max_length or DEFAULT_MAX_LENGTH[page.type]
    if len(value) > limit:
        return Invalid("too_long", {"max": limit})
    if unsupported_character(value, "\n\t" if page.type == "long_text" else "") is not None:
        return Invalid("unsupported_character")
    return value


def _number(page: Page, raw: Any, **_: Any) -> Any:
    if isinstance(raw, bool):
        raise TypeError
    if isinstance(raw, str):
        text = raw.strip().replace(" ", "").replace(",", ".")
        if not re.fullmatch(r"-?\d+(\.\d+)?", text):
            return Invalid("invalid_number")
        if len(text.lstrip("-").replace(".", "").strip("0")) > MAX_DIGITS:
            # More digits than a float keeps: the number sent would not be the one typed.
            return Invalid("invalid_number")
        value: float = float(text)
    elif isinstance(raw, (int, float)):
        if isinstance(raw, int) and len(str(abs(raw)).strip("0")) > MAX_DIGITS:
            return Invalid("invalid_number")
        value = float(raw)
    else:
        raise TypeError
    if value != value or value in (float("inf"), float("-inf")):
        return Invalid("invalid_number")
    if page.min is not None and value < page.min:
        return Invalid("too_small", {"min": _plain(page.min)})
    if page.max is not None and value > page.max:
        return Invalid("too_large", {"max": _plain(page.max)})
    if page.integer and not value.is_integer():
        return Invalid("invalid_number")
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
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in text):
        return Invalid("invalid_email")
    text = unicodedata.normalize("NFC", text)
    if len(text) > 254 or not EMAIL.match(text) or unsupported_character(text) is not None:
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


def _document(page: Page, raw: Any, **_: Any) -> Any:
    """The pages' file names (kiosk/documents.py names them), as many as the definition allows."""
    from kiosk.documents import DocumentError, DocumentRules, check_name
    names = [raw] if isinstance(raw, str) else list(raw)
    rules = page.document or DocumentRules()
    try:
        names = [check_name(n) for n in names]
    except DocumentError:
        return Invalid("invalid_document")
    if len(set(names)) != len(names) or not rules.min_pages <= len(names) <= rules.max_pages:
        return Invalid("invalid_document")
    return names


def _signature(page: Page, raw: Any, **_: Any) -> Any:
    """The signature's file name, or "oral" where the definition allows an oral confirmation instead."""
    from kiosk.documents import ORAL, DocumentError, check_name
    if raw == ORAL:
        return ORAL if page.oral_alternative else Invalid("invalid_signature")
    try:
        return check_name(str(raw)) if isinstance(raw, str) else Invalid("invalid_signature")
    except DocumentError:
        return Invalid("invalid_signature")


_CHECKERS: dict[str, Callable[..., Any]] = {
    "short_text": _text, "long_text": _text, "number": _number, "date": _date,
    "phone": _phone, "email": _email, "postcode": _postcode, "national_id": _national_id,
    "yes_no": _yes_no, "single_choice": _single, "multiple_choice": _multiple,
    "document": _document, "signature": _signature,
}
