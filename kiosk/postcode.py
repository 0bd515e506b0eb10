"""Postcode formats per country; the service definition names one."""
from __future__ import annotations

import re

FORMATS: dict[str, re.Pattern] = {
    "PT": re.compile(r"^\d{4}-\d{3}$"),
    "ES": re.compile(r"^(0[1-9]|[1-4]\d|5[0-2])\d{3}$"),
    "FR": re.compile(r"^\d{5}$"),
    "GB": re.compile(r"^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$"),
    "any": re.compile(r"^[A-Z0-9][A-Z0-9 -]{1,9}$"),
}


def normalise(kind: str, value: str) -> str:
    value = " ".join(value.upper().split())
    if kind == "PT" and re.fullmatch(r"\d{7}", value):
        value = value[:4] + "-" + value[4:]  # people often leave the dash out
    if kind == "GB" and " " not in value and len(value) > 4:
        value = value[:-3] + " " + value[-3:]
    return value


def is_valid(kind: str, value: str) -> bool:
    return bool(FORMATS[kind].match(value))
