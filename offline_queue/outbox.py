"""The outbox: every submission, sealed, in SQLite until a backend has confirmed it.

States: queued -> sending -> delivered, or failed (retried at next_attempt_at)
or dead (needs a person; the backend's reason is kept). One connection guarded
by a lock, so the UI thread and the sync worker can share an Outbox.
"""
from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable

import sqlite_utils

from offline_queue.connectors import Rendered
from offline_queue.connectors.odk_crypto import encrypt_rendered, encrypts
from offline_queue.connectors.render import canonical_json, render_rest, render_xform
from offline_queue.keys import KeyFileError, KeyPair, key_id
from offline_queue.seal import Sealer, open_sealed

log = logging.getLogger("offline_queue")

STATES = ("queued", "sending", "delivered", "failed", "dead")
SCHEMA_VERSION = 4
BUSY_TIMEOUT_MS = 5000
DEFAULT_RESERVE_BYTES = 4 * 1024 * 1024


class QueueError(Exception):
    """A queue operation that failed; the message is actionable and holds no personal data."""

    key = "queue_error"


class QueueWriteError(QueueError):
    """A submission could not be written to disk; nothing was half-written."""

    key = "queue_write_failed"


@dataclass(frozen=True)
class QueueItem:
    """One row's metadata, safe to show: no personal data."""

    id: str
    reference: str
    service_id: str
    service_version: str
    destination: str
    kind: str
    state: str
    attempts: int
    last_error: str | None
    next_attempt_at: float | None
    created_at: float
    delivered_at: float | None
    remote_ref: str | None


@dataclass(frozen=True)
class Claimed:
    """A submission claimed for sending, with the exact bytes rendered at enqueue."""

    item: QueueItem
    body: bytes
    content_type: str
    ack_key: bytes | None = None  # REST sealed bodies: checks the backend's ack_mac (seal.py)


_ITEM_COLUMNS = ("id, reference, service_id, service_version, destination, kind, state, attempts, "
                 "last_error, next_attempt_at, created_at, delivered_at, remote_ref")


_INSERT = ("INSERT OR IGNORE INTO submissions (id, reference, service_id, service_version, destination, kind, "
           "state, attempts, next_attempt_at, created_at, updated_at, content_type, body_seal)"
           " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)")
_INSERT_BODY = "INSERT INTO bodies (seq, body, payload_sealed, ack_key) VALUES (?,?,?,?)"


def _migrate_1(db: sqlite_utils.Database) -> None:
    db["submissions"].create({
        "id": str,               # submission UUID = idempotency key
        "reference": str,        # the citizen's reference number, not personal on its own
        "service_id": str, "service_version": str,
        "destination": str, "kind": str,
        "state": str,
        "attempts": int,
        "last_error": str, "error_kind": str,
        "next_attempt_at": float,
        "created_at": float, "updated_at": float, "delivered_at": float,
        "remote_ref": str,
        "content_type": str,
        "body": bytes,           # wire bytes: sealed envelope (REST) or device-sealed (OpenRosa)
        "body_seal": str,        # "none" or "device"
        "payload_sealed": bytes,  # payload sealed for the backend key when body is device-sealed
    }, pk="id", not_null={"reference", "destination", "kind", "state", "created_at"},
        defaults={"attempts": 0})
    db["submissions"].create_index(["state", "next_attempt_at"], index_name="idx_state_due")
    db["submissions"].create_index(["reference"], index_name="idx_reference")


def _migrate_2(db: sqlite_utils.Database) -> None:
    """Bodies in their own table: a state change then rewrites a small row, not the sealed body with it."""
    db["bodies"].create({"id": str, "body": bytes, "payload_sealed": bytes}, pk="id", not_null={"body"})
    db.execute("INSERT INTO bodies (id, body, payload_sealed) SELECT id, body, payload_sealed FROM submissions "
               "WHERE body IS NOT NULL")
    db.execute("ALTER TABLE submissions DROP COLUMN body")
    db.execute("ALTER TABLE submissions DROP COLUMN payload_sealed")


def _migrate_3(db: sqlite_utils.Database) -> None:
    """An INTEGER PRIMARY KEY (seq) that bodies share: an enqueue then touches four b-tree pages instead of six
    (no autoindex on bodies, no reference index; a lookup by reference is a support action, a scan is fine)."""
    columns = ("id, reference, service_id, service_version, destination, kind, state, attempts, last_error, "
               "error_kind, next_attempt_at, created_at, updated_at, delivered_at, remote_ref, content_type, body_seal")
    db.execute("CREATE TABLE submissions_v3 (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, "
               "reference TEXT NOT NULL, service_id TEXT, service_version TEXT, destination TEXT NOT NULL, "
               "kind TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER DEFAULT 0, last_error TEXT, "
               "error_kind TEXT, next_attempt_at REAL, created_at REAL NOT NULL, updated_at REAL, "
               "delivered_at REAL, remote_ref TEXT, content_type TEXT, body_seal TEXT)")
    db.execute(f"INSERT INTO submissions_v3 ({columns}) SELECT {columns} FROM submissions ORDER BY created_at")
    db.execute("CREATE TABLE bodies_v3 (seq INTEGER PRIMARY KEY, body BLOB NOT NULL, payload_sealed BLOB)")
    db.execute("INSERT INTO bodies_v3 SELECT s.seq, b.body, b.payload_sealed FROM submissions_v3 s "
               "JOIN bodies b ON b.id = s.id")
    db.execute("DROP TABLE bodies")
    db.execute("DROP TABLE submissions")
    db.execute("ALTER TABLE submissions_v3 RENAME TO submissions")
    db.execute("ALTER TABLE bodies_v3 RENAME TO bodies")
    db.execute("CREATE INDEX idx_state_due ON submissions (state, next_attempt_at)")


def _migrate_4(db: sqlite_utils.Database) -> None:
    """The acknowledgement key of a sealed REST body (seal.py): only the backend that opens the payload can
    prove delivery with a MAC under it. Kept beside the body and purged with it; NULL for older rows."""
    db.execute("ALTER TABLE bodies ADD COLUMN ack_key BLOB")


# Append-only: migration N brings user_version from N-1 to N.
MIGRATIONS: tuple[Callable[[sqlite_utils.Database], None], ...] = (_migrate_1, _migrate_2, _migrate_3,
                                                                    _migrate_4)


def _error_message(exc: BaseException, path: Path) -> str:
    code = getattr(exc, "sqlite_errorcode", None)
    err = getattr(exc, "errno", None)
    if code == sqlite3.SQLITE_FULL or err in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return f"the kiosk's storage is full: free space on the disk holding {path.parent}, then try again"
    if code == sqlite3.SQLITE_READONLY or err in (errno.EROFS, errno.EACCES, errno.EPERM):
        return f"the queue at {path} is read-only: check the disk and the file permissions"
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return f"the queue at {path} stayed locked by another process: try again, or restart the kiosk"
    if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return f"the queue at {path} is damaged: restart the kiosk app to set it aside and start a fresh queue"
    if code == sqlite3.SQLITE_CANTOPEN:
        return f"cannot open the queue at {path}: check that the data directory exists and is writable"
    return f"the queue at {path} could not be written ({type(exc).__name__}): check the disk, then try again"


def _is_full(exc: BaseException) -> bool:
    return getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or \
        getattr(exc, "errno", None) in (errno.ENOSPC, errno.EDQUOT)


def _is_corrupt(exc: BaseException) -> bool:
    return getattr(exc, "sqlite_errorcode", None) in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB) or \
        "malformed" in str(exc) or "not a database" in str(exc)


def iso(ts: float | None) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Outbox:
    """The durable queue. Create with open_outbox(config) or Outbox(path, keys)."""

    def __init__(self, path: Path | str, public_key_for: Callable, device_keys: Callable[[], KeyPair],
                 reserve_bytes: int = 0):
        self.path = Path(path)
        # Space set aside on disk for the sync side: on a full disk, new submissions are refused but the
        # queue can still be opened, sent and purged (which frees the space again).
        self._reserve = self.path.with_name(self.path.name + ".reserve")
        self._reserve_bytes = reserve_bytes
        self._public_key_for = public_key_for  # destination -> X25519PublicKey
        self._device_keys = device_keys        # lazy: only OpenRosa / clear REST need it
        self._device: KeyPair | None = None
        self._sealers: dict[str, Sealer] = {}   # key id -> Sealer (ephemeral key reuse, see seal.py)
        self._device_sealer: Sealer | None = None
        self._lock = threading.RLock()
        self._listeners: list[Callable[[], None]] = []
        self.moved_aside: Path | None = None   # set when a corrupt file was set aside at open
        self._lockfile = None
        self.salvaged = None                   # SalvageResult after a damaged file was set aside
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                self._conn = self._open()
            except (sqlite3.Error, OSError) as exc:
                if not (_is_full(exc) and self._release_reserve()):
                    raise
                self._conn = self._open()
        except sqlite3.Error as exc:
            if not _is_corrupt(exc):
                raise QueueWriteError(_error_message(exc, self.path)) from None
            self.moved_aside = self._move_aside()
            log.error("queue database was damaged; kept as %s, started a fresh queue", self.moved_aside)
            try:
                self._conn = self._open()
            except sqlite3.Error as exc2:
                raise QueueWriteError(_error_message(exc2, self.path)) from None
            self._salvage()
        except OSError as exc:
            raise QueueWriteError(_error_message(exc, self.path)) from None
        self._ensure_reserve()

    def _ensure_reserve(self) -> None:
        if self._reserve_bytes <= 0 or self._reserve.exists():
            return
        try:
            with open(self._reserve, "wb") as fh:
                os.posix_fallocate(fh.fileno(), 0, self._reserve_bytes)
        except OSError:  # not enough space now: try again at the next start
            self._reserve.unlink(missing_ok=True)

    def _release_reserve(self) -> bool:
        if not self._reserve.exists():
            return False
        self._reserve.unlink(missing_ok=True)
        log.error("disk full: released the queue's reserved space so queued submissions can still be sent")
        return True

    # -- opening -------------------------------------------------------------
    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                               timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            conn.execute("PRAGMA journal_mode=WAL").fetchone()
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            # Bodies are ciphertext, so zeroing every freed page (some builds default to ON) buys nothing and
            # doubles the writes of a purge; on a full disk it would even stop the purge that frees space.
            conn.execute("PRAGMA secure_delete=FAST")
            db = sqlite_utils.Database(conn)
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise QueueError(f"the queue at {self.path} was written by a newer Ponte (schema {version}); "
                                 "update this kiosk")
            for number in range(version + 1, SCHEMA_VERSION + 1):
                conn.execute("BEGIN IMMEDIATE")
                MIGRATIONS[number - 1](db)
                conn.execute(f"PRAGMA user_version={number}")
                conn.execute("COMMIT")
            # A crash while sending: the backend may or may not have it; the idempotency key makes resending safe.
            # Only the first process to open the queue does this: rows another live process (the kiosk UI
            # while `kiosk queue sync` runs) is sending right now are not "crashed".
            if self._first_opener():
                conn.execute("UPDATE submissions SET state='queued' WHERE state='sending'")
            # Reads the schema and the state index's first pages, so a damaged file is usually found now rather
            # than during a citizen's session; a full scan (integrity_check) would make start-up O(rows).
            conn.execute("SELECT count(*) FROM submissions WHERE state='queued' AND next_attempt_at < 0").fetchone()
        except BaseException:
            conn.close()
            raise
        return conn

    def _recover_from_corruption(self) -> bool:
        """Damage found while running: keep the file aside, continue on a fresh queue. False if that fails too."""
        try:
            self._conn.close()
        except sqlite3.Error:
            pass
        try:
            self.moved_aside = self._move_aside()
            self._conn = self._open()
        except (sqlite3.Error, OSError):
            log.exception("could not start a fresh queue after damage")
            return False
        log.error("queue database was damaged; kept as %s, started a fresh queue", self.moved_aside)
        self._salvage()
        return True

    def _salvage(self) -> None:
        """Bring what is still readable in the damaged file into the fresh queue (the file is kept as is)."""
        from offline_queue.salvage import salvage
        try:
            self.salvaged = salvage(self, self.moved_aside)
        except Exception:  # noqa: BLE001 - salvage is a bonus; the fresh queue must work regardless
            log.exception("salvage failed; the damaged file is kept for support")

    def _first_opener(self) -> bool:
        """True if no other live process has this queue open. Each Outbox holds a shared flock on
        queue.db.lock; the kernel drops it when a process dies, so a crashed owner never blocks recovery."""
        try:
            if self._lockfile is None:
                self._lockfile = open(self.path.with_name(self.path.name + ".lock"), "a+b")
            try:
                fcntl.flock(self._lockfile, fcntl.LOCK_EX | fcntl.LOCK_NB)
                first = True
            except BlockingIOError:
                first = False
            fcntl.flock(self._lockfile, fcntl.LOCK_SH)  # from now on, we are "another live process"
            return first
        except OSError:  # no lock possible (odd file system): behave like a single process
            return True

    def _move_aside(self) -> Path:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        n = 1
        while target.exists():
            target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{n}")
            n += 1
        self.path.rename(target)
        for suffix in ("-wal", "-shm"):  # the WAL belongs to the damaged file; keep it with it
            side = self.path.with_name(self.path.name + suffix)
            if side.exists():
                side.rename(target.with_name(target.name + suffix))
        return target

    # -- listeners -------------------------------------------------------------
    def add_listener(self, callback: Callable[[], None]) -> None:
        """Called after every enqueue (the sync worker wakes up)."""
        self._listeners.append(callback)

    def remove_listener(self, callback: Callable[[], None]) -> None:
        if callback in self._listeners:
            self._listeners.remove(callback)

    # -- writing -------------------------------------------------------------
    def _device_pair(self) -> KeyPair:
        if self._device is None:
            self._device = self._device_keys()
        return self._device

    def render(self, payload: dict, destination) -> tuple[Rendered, bytes | None]:
        """Body bytes as stored (device-sealed if needed) and, if so, the payload sealed for the backend."""
        if destination.kind == "openrosa" and encrypts(destination):
            # ODK-encrypted for the form's key: safe at rest as is, needs neither the device nor the backend key.
            return encrypt_rendered(render_xform(payload), destination), None
        public = self._public_key_for(destination)
        sealer = self._sealers.get(key_id(public))
        if sealer is None:
            sealer = self._sealers[key_id(public)] = Sealer(public)
        if destination.kind == "openrosa":
            rendered = render_xform(payload)
        else:
            clear = str(destination.options.get("payload", "sealed")) == "clear"
            rendered = render_rest(payload, sealer, clear=clear)
        if rendered.seal == "device":
            device = self._device_pair().public
            if self._device_sealer is None:
                self._device_sealer = Sealer(device)
            body = self._device_sealer.seal(rendered.body)
            return Rendered(body, rendered.content_type, "device"), sealer.seal(canonical_json(payload))
        return rendered, None

    def enqueue(self, payload: dict, destination) -> None:
        """Render, seal and write one submission in one transaction; returns once it is on disk."""
        for key in ("submission_id", "reference"):
            if not payload.get(key):
                raise ValueError(f"payload needs '{key}'")
        try:
            rendered, payload_sealed = self.render(payload, destination)
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"cannot render the submission for destination '{destination.name}': "
                             f"{type(exc).__name__}") from None
        except OSError as exc:  # the device key could not be created
            raise QueueWriteError(_error_message(exc, self.path)) from None
        except KeyFileError as exc:  # a missing or wrong public key: the UI shows "not saved", staff see why
            log.error("enqueue failed: %s", exc)
            raise QueueWriteError(f"the submission could not be sealed: {exc}") from None
        service = payload.get("service") or {}
        now = time.time()
        row = (payload["submission_id"], payload["reference"], str(service.get("id", "")),
               str(service.get("version", "")), destination.name, destination.kind, "queued", 0,
               now, now, now, rendered.content_type, rendered.seal)
        body_row = (rendered.body, payload_sealed, rendered.ack_key)
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                self._insert(row, body_row)
                self._conn.execute("COMMIT")
            except (sqlite3.Error, OSError) as exc:
                self._rollback()
                if not (_is_corrupt(exc) and self._recover_from_corruption()):
                    log.error("enqueue failed: %s", _error_message(exc, self.path))
                    raise QueueWriteError(_error_message(exc, self.path)) from None
                try:  # the citizen's submission goes into the fresh queue
                    self._conn.execute("BEGIN IMMEDIATE")
                    self._insert(row, body_row)
                    self._conn.execute("COMMIT")
                except (sqlite3.Error, OSError) as exc2:
                    self._rollback()
                    raise QueueWriteError(_error_message(exc2, self.path)) from None
        for callback in list(self._listeners):
            try:
                callback()
            except Exception:  # a listener must never make a stored submission look failed
                log.exception("queue listener failed")

    def _insert(self, row: tuple, body_row: tuple) -> None:
        # Same submission twice (a double tap, a retried call): keep the first, it is the same data.
        cur = self._conn.execute(_INSERT, row)
        if cur.rowcount == 1:
            self._conn.execute(_INSERT_BODY, (cur.lastrowid, *body_row))

    def restore(self, meta: tuple, body: bytes, payload_sealed: bytes | None, ack_key: bytes | None = None) -> bool:
        """Insert a row salvaged from a damaged file (columns as salvage._META); False if already present."""
        columns = ("id, reference, service_id, service_version, destination, kind, state, attempts, last_error, "
                   "error_kind, next_attempt_at, created_at, updated_at, delivered_at, remote_ref, content_type, "
                   "body_seal")
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                cur = self._conn.execute(f"INSERT OR IGNORE INTO submissions ({columns}) VALUES "
                                         f"({','.join('?' * len(meta))})", meta)
                if cur.rowcount == 1:
                    self._conn.execute(_INSERT_BODY, (cur.lastrowid, body, payload_sealed, ack_key))
                self._conn.execute("COMMIT")
                return cur.rowcount == 1
            except (sqlite3.Error, OSError) as exc:
                self._rollback()
                raise QueueWriteError(_error_message(exc, self.path)) from None

    def _rollback(self) -> None:
        try:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass

    def _write(self, sql: str, params: Iterable = (), many: bool = False) -> int:
        """One write transaction for the sync side; on a full disk the reserve is released and it runs again."""
        return self._write_many([(sql, list(params))] if many else [(sql, tuple(params))])

    def _write_many(self, statements: list[tuple[str, list | tuple]]) -> int:
        """Statements (a list of parameter tuples means executemany) in one transaction; the last rowcount."""
        with self._lock:
            for attempt in (1, 2):
                try:
                    self._conn.execute("BEGIN IMMEDIATE")
                    for sql, params in statements:
                        cur = self._conn.executemany(sql, params) if isinstance(params, list) \
                            else self._conn.execute(sql, params)
                    self._conn.execute("COMMIT")
                    return cur.rowcount
                except (sqlite3.Error, OSError) as exc:
                    self._rollback()
                    if attempt == 1 and _is_full(exc) and self._release_reserve():
                        continue
                    raise QueueWriteError(_error_message(exc, self.path)) from None
        raise AssertionError("unreachable")

    # -- reading -------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        with self._lock:
            rows = self._conn.execute("SELECT state, count(*) FROM submissions GROUP BY state").fetchall()
        counts = dict.fromkeys(STATES, 0)
        counts.update(dict(rows))
        return counts

    def items(self, states: Iterable[str] | None = None, limit: int | None = None) -> list[QueueItem]:
        sql = f"SELECT {_ITEM_COLUMNS} FROM submissions"
        params: list = []
        if states:
            states = list(states)
            sql += f" WHERE state IN ({','.join('?' * len(states))})"
            params += states
        sql += " ORDER BY created_at"
        if limit:
            sql += f" LIMIT {int(limit)}"
        with self._lock:
            return [QueueItem(*row) for row in self._conn.execute(sql, params)]

    def get(self, reference: str) -> QueueItem | None:
        with self._lock:
            row = self._conn.execute(f"SELECT {_ITEM_COLUMNS} FROM submissions WHERE reference=? OR id=? "
                                     "ORDER BY created_at DESC LIMIT 1", (reference, reference)).fetchone()
        return QueueItem(*row) if row else None

    def last_success(self) -> float | None:
        """When a backend last confirmed a delivery (epoch seconds), None if never (or receipts purged)."""
        with self._lock:
            return self._conn.execute("SELECT max(delivered_at) FROM submissions WHERE state='delivered'").fetchone()[0]

    def next_due(self) -> float | None:
        """When the next queued or failed submission is due (epoch seconds), None if nothing is pending."""
        with self._lock:
            row = self._conn.execute("SELECT min(coalesce(next_attempt_at, 0)) FROM submissions "
                                     "WHERE state IN ('queued', 'failed')").fetchone()
        return row[0]

    def pending(self) -> int:
        with self._lock:
            return self._conn.execute("SELECT count(*) FROM submissions WHERE state IN "
                                      "('queued','sending','failed')").fetchone()[0]

    # -- the sync worker's side ---------------------------------------------
    def claim(self, limit: int = 50, now: float | None = None, exclude: Iterable[str] = ()) -> list[Claimed]:
        """Move up to limit due submissions to 'sending' (one transaction) and return their bytes."""
        now = time.time() if now is None else now
        exclude = list(exclude)
        sql = ("SELECT s.id, b.body, s.body_seal, s.content_type, b.ack_key FROM submissions s "
               "JOIN bodies b ON b.seq = s.seq "
               "WHERE s.state IN ('queued','failed') AND coalesce(s.next_attempt_at, 0) <= ?")
        if exclude:
            sql += f" AND s.destination NOT IN ({','.join('?' * len(exclude))})"
        sql += " ORDER BY coalesce(s.next_attempt_at, 0), s.created_at LIMIT ?"
        with self._lock:
            for attempt in (1, 2):
                try:
                    self._conn.execute("BEGIN IMMEDIATE")
                    rows = self._conn.execute(sql, [now, *exclude, limit]).fetchall()
                    self._conn.executemany("UPDATE submissions SET state='sending', attempts=attempts+1, "
                                           "updated_at=? WHERE id=?", [(now, r[0]) for r in rows])
                    self._conn.execute("COMMIT")
                    break
                except (sqlite3.Error, OSError) as exc:
                    self._rollback()
                    if attempt == 1 and _is_full(exc) and self._release_reserve():
                        continue
                    if _is_corrupt(exc):
                        self._recover_from_corruption()
                    raise QueueError(_error_message(exc, self.path)) from None
            ids = [r[0] for r in rows]
            items = {r[0]: QueueItem(*r) for r in self._conn.execute(
                f"SELECT {_ITEM_COLUMNS} FROM submissions WHERE id IN ({','.join('?' * len(ids))})", ids)} \
                if ids else {}
        claimed = []
        for sid, body, body_seal, content_type, ack_key in rows:
            if body_seal == "device":
                body = open_sealed(body, self._device_pair().private)
            claimed.append(Claimed(items[sid], body, content_type, ack_key))
        return claimed

    def mark_delivered(self, results: Iterable[tuple[str, str | None]]) -> None:
        """(id, backend's case reference) pairs: purge the payload, keep the receipt."""
        now = time.time()
        results = list(results)
        self._write_many([
            ("UPDATE submissions SET state='delivered', delivered_at=?, updated_at=?, remote_ref=?, last_error=NULL, "
             "next_attempt_at=NULL WHERE id=? AND state!='delivered'", [(now, now, ref, sid) for sid, ref in results]),
            ("DELETE FROM bodies WHERE seq=(SELECT seq FROM submissions WHERE id=?)", [(sid,) for sid, _ in results]),
        ])

    def mark_failed(self, sid: str, reason: str, next_attempt_at: float, error_kind: str = "http") -> None:
        self._write("UPDATE submissions SET state='failed', last_error=?, error_kind=?, next_attempt_at=?, "
                    "updated_at=? WHERE id=? AND state='sending'",
                    (reason[:500], error_kind, next_attempt_at, time.time(), sid))

    def mark_dead(self, sid: str, reason: str) -> None:
        self._write("UPDATE submissions SET state='dead', last_error=?, next_attempt_at=NULL, updated_at=? "
                    "WHERE id=? AND state='sending'", (reason[:500], time.time(), sid))

    def release(self, ids: Iterable[str]) -> None:
        """Claimed but not attempted (worker stopping): back to queued, attempt not counted."""
        self._write("UPDATE submissions SET state='queued', attempts=max(attempts-1, 0) "
                    "WHERE id=? AND state='sending'", [(i,) for i in ids], many=True)

    def retry(self, reference: str) -> int:
        """Make a dead or failed submission due now (after a person fixed the cause)."""
        return self._write("UPDATE submissions SET state='queued', next_attempt_at=0, updated_at=? "
                           "WHERE (reference=? OR id=?) AND state IN ('dead','failed','queued')",
                           (time.time(), reference, reference))

    def lift_network_failures(self, destination: str) -> int:
        """The backend answers its health probe again: retry what failed on the network now."""
        return self._write("UPDATE submissions SET next_attempt_at=0 WHERE state='failed' AND destination=? "
                           "AND error_kind='network' AND next_attempt_at>?", (destination, time.time()))

    def purge_receipts(self, older_than_seconds: float) -> int:
        """Forget delivered receipts after the retention time."""
        cutoff = time.time() - older_than_seconds
        return self._write_many([
            ("DELETE FROM bodies WHERE seq IN (SELECT seq FROM submissions WHERE state='delivered' AND delivered_at<?)",
             (cutoff,)),
            ("DELETE FROM submissions WHERE state='delivered' AND delivered_at<?", (cutoff,)),
        ])

    def exportable(self) -> list[tuple[QueueItem, bytes, str, str, bytes | None]]:
        """Undelivered rows as stored (still sealed): item, body, body_seal, content_type, payload_sealed."""
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {', '.join('s.' + c for c in _ITEM_COLUMNS.split(', '))}, b.body, s.body_seal, "
                "s.content_type, b.payload_sealed FROM submissions s JOIN bodies b ON b.seq = s.seq "
                "WHERE s.state IN ('queued','sending','failed','dead') ORDER BY s.created_at").fetchall()
        return [(QueueItem(*r[:13]), r[13], r[14], r[15], r[16]) for r in rows]

    def open_body(self, body: bytes, body_seal: str) -> bytes:
        return open_sealed(body, self._device_pair().private) if body_seal == "device" else body

    # -- support -------------------------------------------------------------
    def open_payload(self, reference: str, private_key) -> dict:
        """Unseal a queued payload with the backend's private key (support and tests only)."""
        with self._lock:
            row = self._conn.execute("SELECT b.body, s.body_seal, b.payload_sealed FROM submissions s "
                                     "LEFT JOIN bodies b ON b.seq = s.seq WHERE s.reference=? OR s.id=? "
                                     "ORDER BY s.created_at DESC LIMIT 1", (reference, reference)).fetchone()
        if row is None:
            raise QueueError(f"no submission with reference {reference}")
        body, body_seal, payload_sealed = row
        if body is None:
            raise QueueError(f"submission {reference} was delivered; its payload has been purged")
        if payload_sealed is not None:
            return json.loads(open_sealed(payload_sealed, private_key))
        from offline_queue.connectors.rest import open_envelope
        return open_envelope(json.loads(body), {None: private_key})

    def integrity_check(self) -> str:
        with self._lock:
            return self._conn.execute("PRAGMA integrity_check").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            try:
                self._conn.close()
            except sqlite3.Error:
                pass
            if self._lockfile is not None:
                self._lockfile.close()  # releases the flock
                self._lockfile = None

    def __enter__(self) -> "Outbox":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_outbox(config) -> Outbox:
    """The kiosk's outbox at config.queue_path, sealing with the key the config names."""
    from offline_queue.keys import device_keypair, sealing_public_key
    cache: dict = {}

    def public_key_for(destination):
        name = destination.name if destination is not None else None
        if name not in cache:
            cache[name] = sealing_public_key(config, destination)
        return cache[name]

    try:
        Path(config.data_dir).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise QueueWriteError(_error_message(exc, Path(config.queue_path))) from None
    reserve = int(config.raw.get("queue", {}).get("reserve_bytes", DEFAULT_RESERVE_BYTES))
    return Outbox(config.queue_path, public_key_for, lambda: device_keypair(config), reserve_bytes=reserve)
