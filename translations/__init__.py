"""Words shown or spoken to people, per language.

Each area keeps its own folder of `<language>.json` files (core/, voice/,
mediator/ ...); they are merged into one flat table per language. A key that
a language lacks falls back to English, so a missing translation shows English
text rather than a raw key.

A text with a count is written once per CLDR plural category, as an object:

    "services.questions": {"one": "{count} question", "other": "{count} questions"}

The category is chosen from the count by the language's CLDR rules (Babel):
English and Spanish have one/other, Portuguese (Portugal) and French put 0 and 1
differently, Arabic has six forms (zero, one, two, few, many, other). The count
is the one whole-number parameter the text takes (or the one named by "_by"),
and it is written with the locale's digit grouping. Dates go through
`format_date`, which uses the locale's own month names and order.
"""
from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache
from pathlib import Path
from typing import Union

ROOT = Path(__file__).parent
FALLBACK = "en"
# Ponte's languages are written as two letters; the plural rules and date formats are those of these regions.
LOCALES = {"en": "en_GB", "pt": "pt_PT", "fr": "fr_FR", "es": "es_ES", "ar": "ar"}
CATEGORIES = ("zero", "one", "two", "few", "many", "other")

Plural = dict[str, str]
Entry = Union[str, Plural]


@lru_cache(maxsize=None)
def entries(language: str) -> dict[str, Entry]:
    """Every entry of `language` as written in the files: plain texts and plural objects."""
    merged: dict[str, Entry] = {}
    for area in sorted(p for p in ROOT.iterdir() if p.is_dir() and not p.name.startswith("_")):
        path = area / f"{language}.json"
        if path.is_file():
            merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


@lru_cache(maxsize=None)
def table(language: str) -> dict[str, str]:
    """The plain texts of `language` (what screens bind to); texts with a count are reached through `text`."""
    return {k: v for k, v in entries(language).items() if isinstance(v, str)}


def _entry(language: str, key: str) -> Entry | None:
    return entries(language).get(key) or entries(FALLBACK).get(key)


def text(language: str, key: str, **params: object) -> str:
    """The text for `key` in `language` (English if missing), with {params} filled in."""
    template = _entry(language, key)
    if template is None:
        return key
    if isinstance(template, dict):
        template, params = _plural_form(language, template, params)
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return template


def _plural_form(language: str, forms: Plural, params: dict[str, object]) -> tuple[str, dict[str, object]]:
    """The form of `forms` for the count among `params`, and the params with the count written for the locale."""
    by = forms.get("_by") or next((k for k, v in params.items() if isinstance(v, int) and not isinstance(v, bool)), None)
    count = params.get(by) if by else None
    if not isinstance(count, int):
        return forms.get("other", ""), params
    category = plural_category(language, count)
    template = forms.get(category) or forms.get("other", "")
    return template, {**params, by: format_number(language, count)}


def plural_category(language: str, count: int) -> str:
    """The CLDR plural category of `count` in `language`: 'one', 'few', 'other' ..."""
    return str(_locale(language).plural_form(count))


def plural_categories(language: str) -> frozenset[str]:
    """The categories `language` distinguishes (always including 'other')."""
    return frozenset(_locale(language).plural_form.tags) | {"other"}


def format_number(language: str, number: int | float) -> str:
    """A number with the locale's grouping ("12,345", "12 345", "12.345")."""
    from babel.numbers import format_decimal
    return str(format_decimal(number, locale=_locale(language)))


def format_date(language: str, moment: dt.date | dt.datetime, *, with_time: bool = True) -> str:
    """A date (and time) as people of this language write it: "7 December 2026, 15:04", "7 de dezembro de 2026"."""
    from babel.dates import format_date as babel_date
    from babel.dates import format_time as babel_time
    locale = _locale(language)
    day = str(babel_date(moment, "long", locale=locale))
    if with_time and isinstance(moment, dt.datetime):
        return text(language, "format.date_time", date=day, time=str(babel_time(moment, "HH:mm", locale=locale)))
    return day


@lru_cache(maxsize=None)
def _locale(language: str):  # -> babel.Locale (imported here: Babel is needed only once a count or date is shown)
    from babel import Locale, UnknownLocaleError
    try:
        return Locale.parse(LOCALES.get(language, language))
    except (UnknownLocaleError, ValueError):
        return Locale.parse(LOCALES[FALLBACK])


def has_text(language: str, key: str) -> bool:
    """Whether `key` has a text in `language` or in the English fallback."""
    return bool(_entry(language, key))


def languages() -> list[str]:
    return sorted({p.stem for p in (ROOT / "core").glob("*.json")})
