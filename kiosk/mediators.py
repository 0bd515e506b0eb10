"""Mediator accounts: who may unlock assisted mode and the console.

Accounts live in their own SQLite file (`<data_dir>/mediators.db`), never in
the submission queue. A row holds an id, a display name, a role (mediator or
supervisor), the PIN's scrypt hash (see kiosk.pin) and the lock-out counters.
`authenticate()` is the only way to test a PIN; it applies the lock-out rule
and never says whether an unknown id or a wrong PIN was the problem.

An account may also carry the language its mediator reads (`language`, one of
kiosk.LANGUAGES): the panel, the console and the PIN messages speak it once
that mediator is signed in; "" means the kiosk's ([mediator] language, else its
default language). Files made before the column existed get it, empty, when
they are opened.
"""
from __future__ import annotations

import builtins
import re
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from kiosk import LANGUAGES
from kiosk import pin as pins

ROLES = ("mediator", "supervisor")
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")

# authenticate() outcomes
OK, WRONG, LOCKED, DISABLED = "ok", "wrong", "locked", "disabled"


class MediatorError(ValueError):
    """A request the store refuses; the message says what to do."""


@dataclass(frozen=True)
class Mediator:
    id: str
    name: str
    role: str
    active: bool
    failures: int = 0
    locked_until: float = 0.0
    language: str = ""  # the mediator's own language; "" = the kiosk's

    @property
    def is_supervisor(self) -> bool:
        return self.role == "supervisor"


@dataclass(frozen=True)
class AuthResult:
    outcome: str  # OK, WRONG, LOCKED or DISABLED
    mediator: Mediator | None = None
    retry_in: int = 0  # seconds until a new try is accepted (LOCKED, or WRONG that just locked)
    failures: int = 0

    @property
    def ok(self) -> bool:
        return self.outcome == OK


def db_path(data_dir: Path) -> Path:
    return Path(data_dir) / "mediators.db"


class MediatorStore:
    def __init__(self, path: Path | str, *, clock: Callable[[], float] = time.time):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._clock = clock
        # One connection may serve several threads (the UI hashes PINs off the GUI thread);
        # _lock keeps their transactions apart, BEGIN IMMEDIATE keeps other processes' apart.
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        self._lock = threading.RLock()
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS mediators ("
            " id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL,"
            " pin_hash TEXT NOT NULL, active INTEGER NOT NULL DEFAULT 1,"
            " failures INTEGER NOT NULL DEFAULT 0, locked_until REAL NOT NULL DEFAULT 0,"
            " created_at REAL NOT NULL, language TEXT NOT NULL DEFAULT '')")
        self._migrate()
        try:
            self.path.chmod(0o600)
        except OSError:
            pass

    def _migrate(self) -> None:
        """Bring a file made by an older version up to this schema (columns added with a default)."""
        with self._lock:
            columns = {row["name"] for row in self._db.execute("PRAGMA table_info(mediators)")}
            if "language" not in columns:
                try:
                    self._db.execute("ALTER TABLE mediators ADD COLUMN language TEXT NOT NULL DEFAULT ''")
                except sqlite3.OperationalError as exc:  # another process added it first
                    if "duplicate column" not in str(exc):
                        raise

    @classmethod
    def for_config(cls, config, **kwargs) -> "MediatorStore":
        return cls(db_path(config.data_dir), **kwargs)

    def close(self) -> None:
        self._db.close()

    def _execute(self, sql: str, params: tuple = ()) -> sqlite3.Cursor:
        """One statement, never inside another thread's open transaction."""
        with self._lock:
            return self._db.execute(sql, params)

    # --- accounts -------------------------------------------------------------

    def add(self, mediator_id: str, name: str, role: str, pin: str, *, pin_hash: str | None = None,
            language: str = "") -> Mediator:
        if not ID_PATTERN.match(mediator_id or ""):
            raise MediatorError("an id has 2 to 32 lower-case letters, digits, '.', '_' or '-'")
        if not name.strip():
            raise MediatorError("give a display name")
        if role not in ROLES:
            raise MediatorError(f"role must be one of {', '.join(ROLES)}")
        _check_language(language)
        hashed = pin_hash or pins.hash_pin(pin)
        try:
            self._execute("INSERT INTO mediators (id, name, role, pin_hash, created_at, language) VALUES (?,?,?,?,?,?)",
                          (mediator_id, name.strip(), role, hashed, self._clock(), language))
        except sqlite3.IntegrityError:
            raise MediatorError(f"'{mediator_id}' already exists") from None
        created = self.get(mediator_id)
        if created is None:  # written in the statement above: only a concurrent delete gets here
            raise MediatorError(f"'{mediator_id}' was removed while it was being added")
        return created

    def get(self, mediator_id: str) -> Mediator | None:
        row = self._execute("SELECT * FROM mediators WHERE id=?", (mediator_id,)).fetchone()
        return self._row(row) if row else None

    def list(self) -> list[Mediator]:
        return [self._row(r) for r in self._execute("SELECT * FROM mediators ORDER BY id").fetchall()]

    def active(self) -> builtins.list[Mediator]:  # `list` here is the method above
        return [m for m in self.list() if m.active]

    def disable(self, mediator_id: str) -> None:
        if self._execute("UPDATE mediators SET active=0 WHERE id=?", (mediator_id,)).rowcount == 0:
            raise MediatorError(f"no mediator '{mediator_id}'")

    def enable(self, mediator_id: str) -> None:
        if self._execute("UPDATE mediators SET active=1 WHERE id=?", (mediator_id,)).rowcount == 0:
            raise MediatorError(f"no mediator '{mediator_id}'")

    def unlock(self, mediator_id: str) -> None:
        if self._execute("UPDATE mediators SET failures=0, locked_until=0 WHERE id=?",
                         (mediator_id,)).rowcount == 0:
            raise MediatorError(f"no mediator '{mediator_id}'")

    def set_pin(self, mediator_id: str, pin: str) -> None:
        if self._execute("UPDATE mediators SET pin_hash=?, failures=0, locked_until=0 WHERE id=?",
                         (pins.hash_pin(pin), mediator_id)).rowcount == 0:
            raise MediatorError(f"no mediator '{mediator_id}'")

    def set_language(self, mediator_id: str, language: str) -> None:
        """The language the mediator's side speaks for this account; "" = the kiosk's."""
        _check_language(language)
        if self._execute("UPDATE mediators SET language=? WHERE id=?", (language, mediator_id)).rowcount == 0:
            raise MediatorError(f"no mediator '{mediator_id}'")

    # --- PIN check ------------------------------------------------------------

    def authenticate(self, mediator_id: str, pin: str) -> AuthResult:
        """Check `pin` for `mediator_id`, applying the lock-out rule.

        Every call does exactly one scrypt check, whatever the account's state
        (unknown, disabled, locked or active): against a dummy hash when the
        account may not sign in, so the time taken does not tell them apart.
        The hash is computed outside any transaction (it is slow); reading the
        counters, deciding and writing them back is one BEGIN IMMEDIATE
        transaction, so parallel attempts each count.
        """
        row = self._execute("SELECT pin_hash FROM mediators WHERE id=?", (mediator_id,)).fetchone()
        matches = pins.verify_pin(pin, row["pin_hash"] if row is not None else _DUMMY_HASH)
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                result = self._decide(mediator_id, matches and row is not None, row["pin_hash"] if row else None)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        return result

    def _decide(self, mediator_id: str, matches: bool, checked_hash: str | None) -> AuthResult:
        """Inside the write transaction: the outcome of one attempt, and the counters it leaves."""
        row = self._db.execute("SELECT * FROM mediators WHERE id=?", (mediator_id,)).fetchone()
        now = self._clock()
        if row is None:
            return AuthResult(WRONG)
        mediator = self._row(row)
        if not mediator.active:
            return AuthResult(DISABLED, mediator)
        if mediator.locked_until > now:
            return AuthResult(LOCKED, mediator, retry_in=int(mediator.locked_until - now + 0.999),
                              failures=mediator.failures)
        # A PIN changed between the check and this transaction: the check no longer counts as right.
        if matches and row["pin_hash"] == checked_hash:
            self._db.execute("UPDATE mediators SET failures=0, locked_until=0 WHERE id=?", (mediator_id,))
            return AuthResult(OK, self.get(mediator_id))
        failures = mediator.failures + 1
        wait = pins.lock_seconds(failures)
        self._db.execute("UPDATE mediators SET failures=?, locked_until=? WHERE id=?",
                         (failures, now + wait if wait else 0, mediator_id))
        return AuthResult(LOCKED if wait else WRONG, self.get(mediator_id), retry_in=wait, failures=failures)

    @staticmethod
    def _row(row: sqlite3.Row) -> Mediator:
        return Mediator(row["id"], row["name"], row["role"], bool(row["active"]),
                        row["failures"], row["locked_until"], row["language"] or "")


def _check_language(language: str) -> None:
    if language and language not in LANGUAGES:
        raise MediatorError(f"language must be one of {', '.join(LANGUAGES)} (or empty for the kiosk's)")


_DUMMY_HASH = "scrypt$16384$8$1$" + "00" * 16 + "$" + "00" * 32


def login(store: MediatorStore, audit, mediator_id: str, pin: str) -> AuthResult:
    """Check a PIN and write the attempt to the audit log (the PIN itself never)."""
    result = store.authenticate(mediator_id, pin)
    record_login(audit, result)
    return result


def record_login(audit, result: AuthResult) -> None:
    """Write one sign-in attempt to the audit log: who (if known), the outcome, never the PIN.

    Separate from the check so a screen can hash off its GUI thread and log on it.
    """
    known = result.mediator.id if result.mediator else None
    if result.ok and result.mediator is not None:
        audit.append("login", known, role=result.mediator.role)
    elif result.outcome == LOCKED:
        audit.append("login_locked", known, retry_in=result.retry_in, failures=result.failures)
    else:
        audit.append("login_failed", known, reason=result.outcome, failures=result.failures)


def initials(names: list[str]) -> list[str]:
    """What the PIN pad shows for each account: initials, numbered where two are alike.

    Anyone can hold the corner and open the PIN pad, so it never shows who works here;
    the mediators recognise their own initials.
    """
    bare = ["".join(word[0] for word in name.split()[:3]).upper() or "?" for name in names]
    counts = {b: bare.count(b) for b in bare}
    seen: dict[str, int] = {}
    shown = []
    for b in bare:
        if counts[b] > 1:
            seen[b] = seen.get(b, 0) + 1
            shown.append(f"{b} {seen[b]}")
        else:
            shown.append(b)
    return shown
