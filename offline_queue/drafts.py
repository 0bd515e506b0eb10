"""The SQLite store of paused journeys (kiosk.drafts.DraftStore): data_dir/drafts.db, on this kiosk only.

A file of its own, apart from the outbox: drafts never sync. WAL with
synchronous=FULL, so a code shown to a citizen is on disk; secure_delete, so
an erased draft's bytes are overwritten rather than left in free pages. Rows
hold only what `kiosk.drafts.seal` produced (lookup id, salt, nonce,
ciphertext, expiry) and the kiosk's wrong-code state; never a code.
"""
from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
from pathlib import Path

from kiosk.drafts import SCRYPT_N, AttemptState, DraftError, Sealed

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS drafts (lookup BLOB PRIMARY KEY, salt BLOB NOT NULL, nonce BLOB NOT NULL,
                                   ciphertext BLOB NOT NULL, expires_at REAL NOT NULL, saved_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS idx_drafts_expiry ON drafts (expires_at);
CREATE TABLE IF NOT EXISTS attempts (id INTEGER PRIMARY KEY CHECK (id = 1), state TEXT NOT NULL);
"""


class DraftStoreError(DraftError):
    """drafts.db cannot be read or written; the message says what to do and holds no personal data."""

    key = "store_error"


class SQLiteDraftStore:
    """Sealed drafts and the wrong-code state in one SQLite file."""

    def __init__(self, path: Path | str, *, scrypt_n: int = SCRYPT_N):
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if not self.path.exists():
                # Created private: the rows are sealed, but the kiosk salt and expiry times are nobody's business.
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=10)
            self._db.execute("PRAGMA journal_mode=WAL").fetchone()
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA secure_delete=ON")
            self._db.executescript(_SCHEMA)
            # The schema's version, for migrations to come; 1 is the first one.
            self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', 1)")
            self._db.execute("INSERT OR IGNORE INTO meta VALUES ('salt', ?)", (os.urandom(32),))
            self._db.execute("INSERT OR IGNORE INTO meta VALUES ('scrypt_n', ?)", (int(scrypt_n),))
            rows = dict(self._db.execute("SELECT key, value FROM meta"))
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError):  # locked, read-only, no space, no permission
                raise DraftStoreError(f"{self.path}: the drafts file cannot be opened ({type(exc).__name__}); "
                                      "check the disk space and the data folder's permissions") from None
            raise DraftStoreError(f"{self.path}: the drafts file is damaged; move it aside to start a new one "
                                  "(paused journeys in it cannot be resumed)") from None
        except OSError as exc:
            raise DraftStoreError(f"{self.path}: the drafts file cannot be opened ({type(exc).__name__}); "
                                  "check the disk space and the data folder's permissions") from None
        salt, n = rows.get("salt"), rows.get("scrypt_n")
        if not isinstance(salt, bytes) or len(salt) != 32 or not isinstance(n, int) or n < 2 or n & (n - 1):
            raise DraftStoreError(f"{self.path}: the drafts file is damaged (meta); move it aside to start a new one")
        self._salt, self._n = salt, n

    @classmethod
    def for_config(cls, config, **kwargs) -> "SQLiteDraftStore":
        return cls(Path(config.data_dir) / "drafts.db", **kwargs)

    def close(self) -> None:
        self._db.close()

    def _run(self, sql: str, args: tuple = ()) -> sqlite3.Cursor:
        try:
            with self._lock:
                return self._db.execute(sql, args)
        except (sqlite3.Error, OSError) as exc:
            raise DraftStoreError(f"{self.path}: the drafts file cannot be used ({type(exc).__name__}); "
                                  "check the disk space and the file") from None

    def kiosk_salt(self) -> bytes:
        return self._salt

    def scrypt_n(self) -> int:
        return self._n

    def put(self, sealed: Sealed) -> None:
        self._run("INSERT OR REPLACE INTO drafts VALUES (?,?,?,?,?,?)",
                  (sealed.lookup, sealed.salt, sealed.nonce, sealed.ciphertext, sealed.expires_at, sealed.saved_at))

    def take(self, lookup: bytes, now: float) -> Sealed | None:
        # DELETE ... RETURNING: two resumes of the same code at once, only one gets the draft.
        rows = self._run("DELETE FROM drafts WHERE lookup=? AND expires_at>? "
                        "RETURNING lookup, salt, nonce, ciphertext, expires_at, saved_at", (lookup, now)).fetchall()
        return Sealed(*rows[0]) if rows else None

    def delete(self, lookup: bytes) -> bool:
        return self._run("DELETE FROM drafts WHERE lookup=?", (lookup,)).rowcount > 0

    def purge(self, now: float, saved_after: float = float("inf")) -> int:
        n = self._run("DELETE FROM drafts WHERE expires_at<=? OR saved_at>?", (now, saved_after)).rowcount
        if n:
            log.info("erased %d expired drafts", n)
        return n

    def count(self, now: float) -> int:
        return self._run("SELECT count(*) FROM drafts WHERE expires_at>?", (now,)).fetchone()[0]

    def attempts(self) -> AttemptState:
        row = self._run("SELECT state FROM attempts WHERE id=1").fetchone()
        if row is None:
            return AttemptState()
        try:
            d = json.loads(row[0])
            return AttemptState(tuple(float(t) for t in d["failures"]), int(d["lockouts"]),
                                float(d["locked_until"]), float(d["last_failure"]))
        except (ValueError, KeyError, TypeError):
            # Damaged: the next pause is doubled rather than the wrong codes simply forgotten.
            log.warning("drafts wrong-code state unreadable; counting one pause")
            return AttemptState(lockouts=1)

    def set_attempts(self, state: AttemptState) -> None:
        self._run("INSERT OR REPLACE INTO attempts VALUES (1, ?)",
                  (json.dumps({"failures": list(state.failures), "lockouts": state.lockouts,
                               "locked_until": state.locked_until, "last_failure": state.last_failure}),))
