"""Save and resume: a paused journey sealed on this kiosk under a resume code.

A citizen who must fetch a document pauses; the answers so far, where the
journey stood, its language, the service id and a hash of the service
definition are sealed under a **resume code** shown (and spoken, printable)
once. Entering the code on this kiosk within the keeping time (default 24 h)
takes the journey back where it stopped. The rules live here, without any
storage: the code's format, the sealing, expiry and the wrong-code limits.
The storage (`offline_queue.drafts.SQLiteDraftStore`) implements `DraftStore`.
Drafts never leave the kiosk: they are not in the outbox that syncs.

Codes: 10 symbols from an alphabet of 31 (digits 2-9 and the letters without
I, L, O), shown grouped as ABCD-EFGH-JK: 31**10 ≈ 8.2e14 ≈ 2**49.5 codes.
docs/resume.md states the arithmetic against the wrong-code limits.

Sealing: scrypt(code, kiosk salt) gives 64 bytes; the first 32 are the
draft's lookup id (the code itself is never stored), the rest is key
material, turned into the AES-256-GCM key with HKDF and a random salt per
draft. One scrypt per attempt finds the draft without trying each stored one
in turn, and a copy of the disk costs an attacker one scrypt per guessed code.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from typing import Any, Callable, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from kiosk.definition import Service
from kiosk.journey import Journey

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # 31 symbols: no 0/O, 1/I/L to confuse
CODE_LENGTH = 10
GROUPS = (4, 4, 2)  # ABCD-EFGH-JK: short groups are easier to read out and type
SCRYPT_N = 2 ** 15  # 32 MiB, about 0.2-0.5 s on a kiosk-class CPU: a guess costs that much offline
SCRYPT_R, SCRYPT_P = 8, 1
CLOCK_SLACK = 3600.0  # a clock set back by less than this keeps drafts; more, and they are erased
FORMAT = 1  # of the sealed content; a draft in an unknown format is refused, never half-read
_SEPARATORS = str.maketrans("", "", " -_.\u00a0\u2010\u2011\u2012\u2013\u2014")


class DraftError(Exception):
    """A resume that cannot go on. `key` names the message shown to a citizen (translations core: drafts.<key>)."""

    key = "unknown"


class BadCode(DraftError):
    """The text is not a resume code at all (wrong length or a sign not in the alphabet); not counted as a guess."""

    key = "bad_code"


class WrongCode(DraftError):
    """No draft on this kiosk has this code (or it has expired); counted against the wrong-code limit."""

    key = "wrong_code"

    def __init__(self, attempts_left: int):
        super().__init__(f"no draft with this code; {attempts_left} attempts left before a pause")
        self.attempts_left = attempts_left


class Locked(DraftError):
    """Too many wrong codes on this kiosk lately: codes are not checked until the pause is over."""

    key = "locked"

    def __init__(self, wait_seconds: float):
        super().__init__(f"too many wrong codes: try again in {int(wait_seconds) + 1} seconds")
        self.wait_seconds = wait_seconds


class DraftUnreadable(DraftError):
    """The draft was found but cannot be opened (damaged on disk, or a format this kiosk does not know)."""

    key = "unreadable"


class ServiceGone(DraftError):
    """The draft's service is no longer offered on this kiosk."""

    key = "service_gone"


# --- codes ------------------------------------------------------------------------------------------


def new_code() -> str:
    """A fresh resume code from the system's CSPRNG, without separators."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def format_code(code: str) -> str:
    """The code as shown and printed: ABCD-EFGH-JK."""
    parts, start = [], 0
    for size in GROUPS:
        parts.append(code[start:start + size])
        start += size
    return "-".join(parts)


def normalise_code(text: str) -> str:
    """The code as typed or spoken (any case, spaces or dashes) in its stored form; BadCode if it is none."""
    if not isinstance(text, str) or len(text) > 64:
        raise BadCode("a resume code has 10 letters and digits")
    code = text.translate(_SEPARATORS).upper()
    if len(code) != CODE_LENGTH or any(ch not in ALPHABET for ch in code):
        raise BadCode("a resume code has 10 letters and digits, like ABCD-EFGH-JK")
    return code


# --- sealing ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sealed:
    """A draft as stored: nothing in it reveals the code or the answers."""

    lookup: bytes  # 32 bytes from scrypt: finds the row, cannot be turned back into the code
    salt: bytes  # random per draft, for HKDF
    nonce: bytes
    ciphertext: bytes  # AES-256-GCM of the draft's JSON, with the lookup id as associated data
    expires_at: float  # seconds since the epoch
    saved_at: float = 0.0  # when it was sealed: one "saved" later than now means the clock was set back


def derive(code: str, kiosk_salt: bytes, *, n: int = SCRYPT_N) -> tuple[bytes, bytes]:
    """(lookup id, key material) for a normalised code: one scrypt, split in two."""
    out = Scrypt(salt=kiosk_salt, length=64, n=n, r=SCRYPT_R, p=SCRYPT_P).derive(code.encode("ascii"))
    return out[:32], out[32:]


def _aead(material: bytes, salt: bytes) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"ponte draft v1").derive(material)
    return AESGCM(key)


def _plain(value: Any) -> Any:
    """A raw answer JSON cannot hold as it is (a date from the date picker), as the text the validators read."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (tuple, set, frozenset)):
        return list(value)
    return str(value)


def seal(content: dict[str, Any], lookup: bytes, material: bytes, expires_at: float, saved_at: float = 0.0) -> Sealed:
    """Encrypt a draft's content for storage under its lookup id."""
    salt, nonce = os.urandom(16), os.urandom(12)
    plain = json.dumps(content, ensure_ascii=False, separators=(",", ":"), default=_plain).encode("utf-8")
    return Sealed(lookup, salt, nonce, _aead(material, salt).encrypt(nonce, plain, lookup), expires_at, saved_at)


def unseal(sealed: Sealed, material: bytes) -> dict[str, Any]:
    """A stored draft's content; DraftUnreadable if it was altered or damaged."""
    try:
        plain = _aead(material, sealed.salt).decrypt(sealed.nonce, sealed.ciphertext, sealed.lookup)
        content = json.loads(plain.decode("utf-8"))
    except (InvalidTag, ValueError, UnicodeDecodeError):
        raise DraftUnreadable("this draft is damaged and cannot be opened") from None
    if not isinstance(content, dict) or content.get("format") != FORMAT:
        raise DraftUnreadable("this draft was saved in a format this kiosk does not know")
    return content


def definition_hash(service: Service) -> str:
    """What decides whether saved answers still fit: the pages' ids, types, choices and limits (not texts)."""
    pages = [[p.id, p.type, p.required, [o.value for o in p.options], p.min, p.max, p.max_length,
              p.integer, p.date_range,
              dataclasses.astuple(p.show_if) if p.show_if else None] for p in service.pages]
    shape = [service.id, service.version, service.national_id, service.postcode, pages]
    return hashlib.sha256(json.dumps(shape, default=str, sort_keys=True).encode("utf-8")).hexdigest()


# --- wrong-code limits ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttemptState:
    """The kiosk's recent wrong codes, kept durably so that a restart does not reset them."""

    failures: tuple[float, ...] = ()  # times of wrong codes in the current window
    lockouts: int = 0  # pauses imposed in a row; each doubles the next
    locked_until: float = 0.0
    last_failure: float = 0.0


@dataclass(frozen=True)
class AttemptPolicy:
    """`max_failures` wrong codes within `window` seconds, then a pause of `pause` seconds doubling each time
    (at most `max_pause`); a day without a wrong code forgets the pauses."""

    max_failures: int = 5
    window: float = 600.0
    pause: float = 600.0
    max_pause: float = 86400.0
    forget_after: float = 86400.0

    def wait(self, state: AttemptState, now: float) -> float:
        """Seconds before a code may be checked again (0: now)."""
        # A clock set back must not stretch a pause beyond its longest.
        return max(0.0, min(state.locked_until - now, self.max_pause))

    def attempts_left(self, state: AttemptState, now: float) -> int:
        recent = [t for t in state.failures if now - self.window < t <= now]
        return max(0, self.max_failures - len(recent))

    def after_failure(self, state: AttemptState, now: float) -> AttemptState:
        """The state once one more wrong code was entered at `now`."""
        lockouts = state.lockouts if now - state.last_failure < self.forget_after else 0
        recent = tuple(t for t in state.failures if now - self.window < t <= now) + (now,)
        if len(recent) < self.max_failures:
            return AttemptState(recent, lockouts, state.locked_until, now)
        pause = min(self.pause * 2 ** min(lockouts, 32), self.max_pause)
        return AttemptState((), lockouts + 1, now + pause, now)


# --- the store and the keeper -----------------------------------------------------------------------


class DraftStore(Protocol):
    """Where sealed drafts and the wrong-code state are kept, durably, on this kiosk only."""

    def kiosk_salt(self) -> bytes:
        """The kiosk's random scrypt salt (made once)."""

    def scrypt_n(self) -> int:
        """The scrypt cost the store's lookup ids were made with."""

    def put(self, sealed: Sealed) -> None:
        """Write a draft; returns once it is on disk."""

    def take(self, lookup: bytes, now: float) -> Sealed | None:
        """Remove and return the unexpired draft with this lookup id (None if there is none)."""

    def delete(self, lookup: bytes) -> bool:
        """Erase a draft; True if there was one."""

    def purge(self, now: float, saved_after: float = float("inf")) -> int:
        """Erase every draft expired at `now`, and any saved after `saved_after`; how many were."""

    def count(self, now: float) -> int:
        """Drafts kept at `now`."""

    def close(self) -> None:
        """Let go of the file."""

    def attempts(self) -> AttemptState: ...

    def set_attempts(self, state: AttemptState) -> None: ...


@dataclass(frozen=True)
class Saved:
    """What the citizen is given when pausing: the code (shown once, never stored) and until when it works."""

    code: str
    expires_at: dt.datetime

    @property
    def shown(self) -> str:
        return format_code(self.code)


@dataclass
class Resumed:
    """A journey taken back from a draft, and what the citizen must be told about it."""

    journey: Journey
    dropped: list[str]  # page ids whose saved answers no longer fit (asked again)
    definition_changed: bool  # the service changed since the pause: say so


class DraftKeeper:
    """Pauses and resumes journeys against a DraftStore, with the kiosk's wrong-code limits."""

    def __init__(self, store: DraftStore, *, keep_seconds: float = 86400.0,
                 policy: AttemptPolicy | None = None, clock: Callable[[], float] | None = None):
        self.store = store
        self.keep_seconds = keep_seconds
        self.policy = policy or AttemptPolicy()
        self._clock = clock or (lambda: dt.datetime.now(dt.timezone.utc).timestamp())
        self.purge()  # on open: a kiosk that was off past a draft's expiry erases it first

    @classmethod
    def for_config(cls, config, store: DraftStore, **kwargs) -> "DraftKeeper":
        """A keeper with the [drafts] settings (keeping time, wrong codes per 10 minutes)."""
        settings = config.drafts
        return cls(store, keep_seconds=settings.keep_hours * 3600,
                   policy=AttemptPolicy(max_failures=settings.max_wrong_codes), **kwargs)

    def clear_attempts(self) -> None:
        """End a pause and forget the wrong codes (a mediator, after a vandal locked this kiosk's codes)."""
        self.store.set_attempts(AttemptState())

    def save(self, journey: Journey) -> Saved:
        """Seal the journey's answers so far under a new code; the code is returned, never kept."""
        return self.save_snapshot(journey.service, journey.language, journey.snapshot())

    def save_snapshot(self, service: Service, language: str, snapshot: dict[str, Any]) -> Saved:
        """`save` for a snapshot taken earlier (the screen takes it on its own thread, then seals off it)."""
        now = self._clock()
        self.purge()
        code = new_code()
        lookup, material = derive(code, self.store.kiosk_salt(), n=self.store.scrypt_n())
        content = {"format": FORMAT, "service": service.id, "definition": definition_hash(service),
                   "language": language, "journey": snapshot}
        expires_at = now + self.keep_seconds
        self.store.put(seal(content, lookup, material, expires_at, now))
        return Saved(code, dt.datetime.fromtimestamp(expires_at, dt.timezone.utc))

    def resume(self, text: str, services: dict[str, Service], *,
               journey_factory: Callable[[Service, str], Journey] = Journey) -> Resumed:
        """The journey saved under this code, taken back (the draft is erased); a DraftError says why not.

        `services` are the services on offer now, by id.
        """
        code = normalise_code(text)
        now = self._clock()
        state = self.store.attempts()
        wait = self.policy.wait(state, now)
        if wait > 0:
            raise Locked(wait)
        self.purge()
        lookup, material = derive(code, self.store.kiosk_salt(), n=self.store.scrypt_n())
        sealed = self.store.take(lookup, now)
        if sealed is None:
            now = self._clock()
            state = self.policy.after_failure(self.store.attempts(), now)
            self.store.set_attempts(state)
            wait = self.policy.wait(state, now)
            if wait > 0:
                raise Locked(wait)
            raise WrongCode(self.policy.attempts_left(state, now))
        content = unseal(sealed, material)  # a damaged draft stays erased: it can never be opened
        try:
            service = services.get(str(content.get("service")))
            if service is None:
                raise ServiceGone("the service of this draft is not offered on this kiosk any more")
            language = content.get("language")
            if language not in service.languages:
                language = service.languages[0]
            journey = journey_factory(service, language)
            saved_journey = content.get("journey")
            snapshot: dict[str, Any] = saved_journey if isinstance(saved_journey, dict) else {}
            changed = content.get("definition") != definition_hash(service)
            dropped = journey.restore(snapshot)
        except BaseException:
            # Not taken back after all (the service is missing for now, or a bug): keep the draft for a retry.
            self.store.put(sealed)
            raise
        return Resumed(journey, dropped, changed)

    def discard(self, text: str) -> bool:
        """Erase the draft with this code, if there is one (the citizen submitted or gave up); no guess counted."""
        code = normalise_code(text)
        lookup, _ = derive(code, self.store.kiosk_salt(), n=self.store.scrypt_n())
        return self.store.delete(lookup)

    def purge(self) -> int:
        """Erase expired drafts (on open and periodically).

        A draft saved "in the future" means the clock was set back (a van's clock reset, a wrong time
        fixed): erased too, so that no draft outlives its time by that much.
        """
        now = self._clock()
        return self.store.purge(now, now + CLOCK_SLACK)

    def count(self) -> int:
        """Drafts kept now."""
        return self.store.count(self._clock())

    def wait_seconds(self) -> float:
        """Seconds before a code may be tried again on this kiosk (0: now)."""
        return self.policy.wait(self.store.attempts(), self._clock())
