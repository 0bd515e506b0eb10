"""Mediator PINs: slow salted hashes, a lock-out rule and a shuffled keypad.

* A PIN is 6 to 12 digits. Only `hash_pin()`'s output is ever stored: scrypt
  (hashlib, no extra dependency) with a random 16-byte salt, encoded as
  ``scrypt$n$r$p$salt_hex$hash_hex`` so the cost can be raised later without
  breaking stored PINs.
* After `MAX_FAILURES` wrong PINs in a row the account locks; every further
  wrong PIN after the lock ends locks it again for twice as long
  (`lock_seconds()`), up to one hour. A correct PIN clears the count.
* `shuffled_keypad()` gives a fresh digit order for every PIN entry, so smudges
  and a watcher's eyes learn the positions, not the digits.
"""
from __future__ import annotations

import hashlib
import hmac
import random
import secrets

MIN_LENGTH, MAX_LENGTH = 6, 12
MAX_FAILURES = 5
FIRST_LOCK_SECONDS = 60
MAX_LOCK_SECONDS = 3600
# scrypt cost: n=2**14, r=8 uses 16 MiB and ~50 ms per check on a kiosk CPU.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 14, 8, 1


class PinError(ValueError):
    """A PIN that cannot be used; the message says why, without repeating it."""


def check_pin_format(pin: str) -> None:
    if not isinstance(pin, str) or not pin.isascii() or not pin.isdigit():
        raise PinError("a PIN is made of digits only")
    if not MIN_LENGTH <= len(pin) <= MAX_LENGTH:
        raise PinError(f"a PIN has {MIN_LENGTH} to {MAX_LENGTH} digits")
    if len(set(pin)) == 1 or pin in "01234567890123456789" or pin in "98765432109876543210":
        raise PinError("this PIN is too easy to guess (repeated or consecutive digits)")


def hash_pin(pin: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    check_pin_format(pin)
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=n, r=r, p=p, dklen=32, maxmem=64 * 1024 * 1024)
    return f"scrypt${n}${r}${p}${salt.hex()}${digest.hex()}"


def verify_pin(pin: str, stored: str) -> bool:
    """True if `pin` matches the stored hash; constant-time comparison."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        candidate = hashlib.scrypt(str(pin).encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r),
                                   p=int(p), dklen=32, maxmem=64 * 1024 * 1024)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(candidate.hex(), digest)


def lock_seconds(failures: int) -> int:
    """How long an account stays locked after `failures` wrong PINs in a row (0: not locked)."""
    if failures < MAX_FAILURES:
        return 0
    return min(MAX_LOCK_SECONDS, FIRST_LOCK_SECONDS * 2 ** (failures - MAX_FAILURES))


def shuffled_keypad(rng: random.Random | None = None) -> list[str]:
    """The ten digits in a fresh random order (cryptographic randomness by default)."""
    digits = list("0123456789")
    (rng or secrets.SystemRandom()).shuffle(digits)
    return digits
