"""Postcode formats per country; the service definition names one."""
from __future__ import annotations

import re
import unicodedata

FORMATS: dict[str, re.Pattern] = {
    "PT": re.compile(r"^\d{4}-\d{3}$", re.ASCII),
    "ES": re.compile(r"^(0[1-9]|[1-4]\d|5[0-2])\d{3}$", re.ASCII),
    "FR": re.compile(r"^\d{5}$", re.ASCII),
    "GB": re.compile(r"^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$", re.ASCII),
    "any": re.compile(r"^[A-Z0-9][A-Z0-9 -]{1,9}$"),
}


def normalise(kind: str, value: str) -> str:
    # Digits typed in another script (Arabic-Indic, full-width) count as 0-9.
    value = "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in value)
    value = " ".join(value.upper().split())
    if kind == "PT" and re.fullmatch(r"[0-9]{7}", value):
        value = value[:4] + "-" + value[4:]  # people often leave the dash out
    if kind == "GB" and " " not in value and len(value) > 4:
        value = value[:-3] + " " + value[-3:]
    return value


def is_valid(kind: str, value: str) -> bool:
    return bool(FORMATS[kind].match(value))
