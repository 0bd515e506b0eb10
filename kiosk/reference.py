"""Reference numbers a citizen can read out at any counter, phone line or website.

Eight characters of Crockford base32 (no I, L, O, U: nothing to confuse with
1, 0 or V) shown as ABCD-EFGH. The last character is a Luhn mod 32 check
character, so any single mistyped character and almost every swap of two
neighbours (all but 0<->Z) is caught
before anyone searches for the wrong case.
"""
from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
# Crockford's decoding rules: what people type for the letters left out.
_ALIASES = {"O": "0", "I": "1", "L": "1"}
LENGTH = 8


def _check_char(body: str) -> str:
    """Luhn mod N (N = 32) over the body, the algorithm's standard form."""
    factor, total, n = 2, 0, len(ALPHABET)
    for ch in reversed(body):
        addend = factor * _VALUE[ch]
        factor = 1 if factor == 2 else 2
        total += addend // n + addend % n
    return ALPHABET[(n - total % n) % n]


def new_reference() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH - 1))
    return body + _check_char(body)


def normalise(text: str) -> str | None:
    """Canonical form of what someone typed or read out, or None if it cannot be one."""
    chars = [_ALIASES.get(ch, ch) for ch in text.upper() if ch not in " -_."]
    if len(chars) != LENGTH or any(ch not in _VALUE for ch in chars):
        return None
    return "".join(chars)


def is_valid(text: str) -> bool:
    ref = normalise(text)
    return ref is not None and _check_char(ref[:-1]) == ref[-1]


def display(reference: str) -> str:
    """ABCD-EFGH: two groups of four are easier to read and to copy."""
    return f"{reference[:4]}-{reference[4:]}"
