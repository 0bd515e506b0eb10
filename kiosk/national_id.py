"""Checksum validators for national identity numbers, chosen per service.

A validator takes the digits/letters a citizen typed (spaces and dashes already
removed, upper-cased) and says whether the check digit matches. More can be
added by other packages through the `ponte.national_id` entry point group.
"""
from __future__ import annotations

import unicodedata
from importlib.metadata import entry_points
from typing import Callable


def _digits(value: str) -> bool:
    """Only 0-9 (str.isdigit() also says yes to '²', which int() refuses)."""
    return value.isascii() and value.isdigit()


def pt_nif(value: str) -> bool:
    """Portuguese NIF / citizen card tax number: 9 digits, mod 11 check digit."""
    if len(value) != 9 or not _digits(value):
        return False
    total = sum(int(d) * w for d, w in zip(value[:8], range(9, 1, -1)))
    check = 11 - total % 11
    return int(value[8]) == (0 if check >= 10 else check)


def es_dni(value: str) -> bool:
    """Spanish DNI (8 digits + letter) and NIE (X/Y/Z + 7 digits + letter)."""
    letters = "TRWAGMYFPDXBNJZSQVHLCKE"
    if len(value) == 9 and value[0] in "XYZ":
        value = str("XYZ".index(value[0])) + value[1:]
    if len(value) != 9 or not _digits(value[:8]):
        return False
    return letters[int(value[:8]) % 23] == value[8]


def fr_nir(value: str) -> bool:
    """French social security number (NIR): 13 digits + 2-digit key, 97 - n mod 97."""
    value = value.replace("2A", "19").replace("2B", "18")
    if len(value) != 15 or not _digits(value):
        return False
    return 97 - int(value[:13]) % 97 == int(value[13:])


def luhn(value: str) -> bool:
    """Generic Luhn mod 10, used by many ID and card numbers."""
    if not _digits(value) or len(value) < 2:
        return False
    total = 0
    for i, d in enumerate(reversed(value)):
        n = int(d) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def no_checksum(value: str) -> bool:
    """Accept any 4 to 20 letters and digits (for countries without a check digit)."""
    return value.isascii() and value.isalnum() and 4 <= len(value) <= 20


VALIDATORS: dict[str, Callable[[str], bool]] = {
    "pt-nif": pt_nif,
    "es-dni": es_dni,
    "fr-nir": fr_nir,
    "luhn": luhn,
    "none": no_checksum,
}

# Validators whose numbers are digits only: the screen offers a numeric keypad for them.
DIGITS_ONLY = frozenset({"pt-nif", "fr-nir", "luhn"})

for _ep in entry_points(group="ponte.national_id"):
    VALIDATORS.setdefault(_ep.name, _ep.load())


def normalise(value: str) -> str:
    # Digits typed in another script (Arabic-Indic, full-width) count as 0-9.
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch
                   for ch in value.upper() if ch.isalnum())


def is_valid(kind: str, value: str) -> bool:
    return VALIDATORS[kind](normalise(value))
