"""The outbox: every submission, sealed, in SQLite until a backend has confirmed it.

States: queued -> sending -> delivered, or failed (retried at next_attempt_at)
or dead (needs a person; the reason is kept). One connection guarded by a
lock, so the UI thread and the sync worker can share an Outbox.

The queue never wedges and never loses an acknowledged submission silently:

- a claim names its owner (boot, pid namespace, pid, process start time,
  Outbox instance) and carries a lease; any process reclaims rows whose owner
  has died or whose lease ran out, without reopening;
- damage found by any read or write sets the file aside, salvages what is
  readable into a fresh queue and is recorded as a problem (`health()`);
- every stored body has a sha256 digest, checked before it is sent or
  exported; a damaged body is set aside as dead, never sent;
- what lives only in the WAL is bounded (TRUNCATE checkpoints after
  deliveries and when idle, `journal_size_limit`), and a high-water-mark file
  beside the queue (`queue.db.mark`) tells at open whether acknowledged
  submissions are missing (a damaged or lost WAL, an emptied file).
"""
from __future__ import annotations

import errno
import fcntl
import hashlib
import heapq
import json
import logging
import os
import shutil
import sqlite3
import struct
import threading
import time
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Callable, Iterable, Iterator, TypeVar

from kiosk.documents import Attachment, check_attachments
from kiosk.outbox import STATES, OutboxError, QueueState
from offline_queue.connectors import Rendered
from offline_queue.connectors.odk_crypto import encrypt_rendered, encrypts
from offline_queue.connectors.render import canonical_json, render_rest, render_xform
from offline_queue.keys import KeyFileError, KeyPair, key_id
from offline_queue.seal import SealError, Sealer, open_sealed

if TYPE_CHECKING:
    import sqlite_utils

    from offline_queue.salvage import SalvageResult

log = logging.getLogger("offline_queue")

BUSY_TIMEOUT_MS = 5000
DEFAULT_RESERVE_BYTES = 4 * 1024 * 1024
LEASE_SECONDS = 900.0            # a claim older than this is reclaimable even if its owner looks alive (hung)
IDLE_CHECKPOINT_SECONDS = 2.0    # after this long without a write, the WAL is checkpointed and truncated
# A WAL left behind after a checkpoint is cut down to this. Above the ~4 MiB that SQLite's auto-checkpoint
# (1000 pages) lets it reach, so a stream of enqueues rewrites the log in place: growing the file on every
# commit made each fsync also commit the file's new size (about 15% slower enqueues in benchmarks/bench_queue.py).
JOURNAL_SIZE_LIMIT = 8 * 1024 * 1024
LOW_SPACE_BYTES = 1024 * 1024    # an I/O error with less free space than this is a full disk
DAMAGED_KIND = "damaged"         # error_kind of a row whose stored body failed its checksum

T = TypeVar("T")


class QueueError(OutboxError):
    """A queue operation that failed; the message is actionable and holds no personal data."""

    key = "queue_error"


class PayloadUnreadable(QueueError):
    """A stored payload this key cannot open (an ODK-encrypted OpenRosa body); the message says who can."""

    key = "payload_unreadable"


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
    seq: int | None = None   # the row's key: the cursor of list_page()


@dataclass(frozen=True)
class Claimed:
    """A submission claimed for sending, with the exact bytes rendered at enqueue."""

    item: QueueItem
    body: bytes
    content_type: str
    ack_key: bytes | None = None  # REST sealed bodies: checks the backend's ack_mac (seal.py)
    # Files sent with it (docs/documents.md): as stored for a sealed REST envelope (sealed to the backend's key),
    # opened with the device key otherwise.
    attachments: tuple["Attachment", ...] = ()


@dataclass(frozen=True)
class QueuePage:
    """One page of list_page(): items in seq order, and the cursor of the next page (None after the last)."""

    items: tuple[QueueItem, ...]
    next_after: int | None


@dataclass(frozen=True)
class QueueProblem:
    """Something about the queue a person must know (a damaged file set aside, missing submissions...).

    code is stable ("damaged", "wal_damaged", "missing", "empty_file", "body_damaged", "disk_full"); message is
    one plain sentence with what to do; neither holds personal data."""

    code: str
    message: str
    at: float
    kept_as: str | None = None


@dataclass(frozen=True)
class OutboxHealth:
    """What the mediator console and `kiosk queue status` show besides the counts."""

    ok: bool
    problems: tuple[QueueProblem, ...]


_ITEM_COLUMNS = ("id, reference, service_id, service_version, destination, kind, state, attempts, "
                 "last_error, next_attempt_at, created_at, delivered_at, remote_ref, seq")


_INSERT = ("INSERT OR IGNORE INTO submissions (id, reference, service_id, service_version, destination, kind, "
           "state, attempts, next_attempt_at, created_at, updated_at, content_type, body_seal)"
           " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)")
_INSERT_BODY = "INSERT INTO bodies (seq, body, payload_sealed, ack_key, digest) VALUES (?,?,?,?,?)"
SEALED_ATTACHMENT_TYPE = "application/octet-stream"  # an attachment part sealed to the backend's key
_INSERT_ATTACHMENT = ("INSERT INTO attachments (submission_id, name, content_type, seal, body, sha256) "
                      "VALUES (?,?,?,?,?,?)")


def digest(body: bytes) -> bytes:
    """The checksum stored with every body: sha256 of the bytes as stored (sealed)."""
    return hashlib.sha256(body).digest()


# -- schema ---------------------------------------------------------------------------------------------------
def _migrate_1(db: "sqlite_utils.Database") -> None:
    db.table("submissions").create({
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
    db.table("submissions").create_index(["state", "next_attempt_at"], index_name="idx_state_due")
    db.table("submissions").create_index(["reference"], index_name="idx_reference")


def _migrate_2(db: "sqlite_utils.Database") -> None:
    """Bodies in their own table: a state change then rewrites a small row, not the sealed body with it."""
    db.table("bodies").create({"id": str, "body": bytes, "payload_sealed": bytes}, pk="id", not_null={"body"})
    db.execute("INSERT INTO bodies (id, body, payload_sealed) SELECT id, body, payload_sealed FROM submissions "
               "WHERE body IS NOT NULL")
    db.execute("ALTER TABLE submissions DROP COLUMN body")
    db.execute("ALTER TABLE submissions DROP COLUMN payload_sealed")


def _migrate_3(db: "sqlite_utils.Database") -> None:
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


def _migrate_ack_key(db: "sqlite_utils.Database") -> None:
    """The acknowledgement key of a sealed REST body (seal.py): only the backend that opens the payload can
    prove delivery with a MAC under it. Kept beside the body and purged with it; NULL for older rows."""
    db.execute("ALTER TABLE bodies ADD COLUMN ack_key BLOB")


def _migrate_claim_lease(db: "sqlite_utils.Database") -> None:
    """Who claimed a row and until when: any process can reclaim the rows of a dead or hung owner."""
    db.execute("ALTER TABLE submissions ADD COLUMN claim_owner TEXT")
    db.execute("ALTER TABLE submissions ADD COLUMN claimed_until REAL")


def _migrate_body_digest(db: "sqlite_utils.Database") -> None:
    """A sha256 of each stored body, checked before sending; bodies already stored are taken as they are."""
    db.execute("ALTER TABLE bodies ADD COLUMN digest BLOB")
    rows = db.execute("SELECT seq, body FROM bodies").fetchall()
    db.conn.executemany("UPDATE bodies SET digest=? WHERE seq=?", [(digest(body), seq) for seq, body in rows])


def _migrate_state_index(db: "sqlite_utils.Database") -> None:
    """An index on state alone: its entries are (state, seq), so a page of one state in seq order is a range
    read (list_page) and counts read the index only. The old (state, next_attempt_at) index served nothing
    else: claims filter on coalesce(next_attempt_at, 0), which no index can serve."""
    db.execute("DROP INDEX IF EXISTS idx_state_due")
    db.execute("CREATE INDEX idx_state ON submissions (state)")


def _migrate_problems(db: "sqlite_utils.Database") -> None:
    """What a person must be told (damage set aside, missing submissions), kept until acknowledged; and the
    highest seq ever stored, so the high-water mark survives a purge of the newest receipts."""
    db.execute("CREATE TABLE problems (id INTEGER PRIMARY KEY, at REAL NOT NULL, code TEXT NOT NULL, "
               "message TEXT NOT NULL, kept_as TEXT, acknowledged_at REAL)")
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value)")


def _migrate_attachments(db: "sqlite_utils.Database") -> None:
    """Files sent with a submission (documents, signatures), sealed like its body (seal: "backend" when sealed
    to the backend's key, "device" when sealed to the device key), with a sha256 of the stored bytes checked
    before sending; purged with the body on confirmed delivery (docs/documents.md)."""
    db.execute("CREATE TABLE attachments (submission_id TEXT NOT NULL, name TEXT NOT NULL, "
               "content_type TEXT NOT NULL, seal TEXT NOT NULL, body BLOB NOT NULL, sha256 BLOB NOT NULL, "
               "PRIMARY KEY (submission_id, name))")


def _migrate_state_check(db: "sqlite_utils.Database") -> None:
    """The database refuses a state that kiosk.outbox.QueueState does not name (a typo in a query, a salvage
    or a bundle from a newer version): the row is never written in a state no pass or screen knows."""
    allowed = ", ".join(f"'{s.value}'" for s in QueueState)
    for event in ("INSERT", "UPDATE OF state"):
        name = "state_check_" + event.split()[0].lower()
        db.execute(f"CREATE TRIGGER {name} BEFORE {event} ON submissions WHEN NEW.state NOT IN ({allowed}) "
                   "BEGIN SELECT RAISE(ABORT, 'unknown queue state'); END")


@dataclass(frozen=True)
class Migration:
    """One named schema change; applied in order, recorded in the migrations table and PRAGMA user_version."""

    name: str
    apply: Callable[["sqlite_utils.Database"], None]

    def __call__(self, db: "sqlite_utils.Database") -> None:
        self.apply(db)


# Append-only: migration N brings user_version from N-1 to N.
MIGRATIONS: tuple[Migration, ...] = (
    Migration("submissions", _migrate_1),
    Migration("bodies_table", _migrate_2),
    Migration("seq_key", _migrate_3),
    Migration("ack_key", _migrate_ack_key),
    Migration("claim_lease", _migrate_claim_lease),
    Migration("body_digest", _migrate_body_digest),
    Migration("state_index", _migrate_state_index),
    Migration("problems", _migrate_problems),
    Migration("attachments", _migrate_attachments),
    Migration("state_check", _migrate_state_check),
)
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection, path: Path | str = "the queue") -> list[str]:
    """Bring the schema up to date; returns the names applied. Race-free: the version is read inside the same
    IMMEDIATE transaction that applies the migrations, so concurrent first opens apply each one exactly once."""
    if conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
        return []  # read again below, inside the transaction, whenever there is something to do
    for attempt in range(3):
        try:
            conn.execute("BEGIN IMMEDIATE")
            break
        except sqlite3.OperationalError as exc:
            # A brand-new file being switched to WAL by another opener can refuse without waiting.
            if attempt == 2 or (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF not in (sqlite3.SQLITE_BUSY,
                                                                                          sqlite3.SQLITE_LOCKED):
                raise
            time.sleep(0.05)
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise QueueError(f"the queue at {path} was written by a newer Ponte (schema {version}); update this kiosk")
        applied: list[str] = []
        if version < SCHEMA_VERSION:
            import sqlite_utils  # only when there is something to migrate: keeps start-up light
            db = sqlite_utils.Database(conn)
            conn.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at REAL)")
            conn.executemany("INSERT OR IGNORE INTO migrations VALUES (?, NULL)",
                             [(m.name,) for m in MIGRATIONS[:version]])  # applied before they were recorded
            for migration in MIGRATIONS[version:]:
                migration(db)
                conn.execute("INSERT OR REPLACE INTO migrations VALUES (?, ?)", (migration.name, time.time()))
                applied.append(migration.name)
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        conn.execute("COMMIT")
        return applied
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


# -- errors -----------------------------------------------------------------------------------------------------
def _code(exc: BaseException) -> int:
    return getattr(exc, "sqlite_errorcode", None) or 0


def _free_bytes(path: Path) -> int | None:
    try:
        st = os.statvfs(path.parent)
    except OSError:
        return None
    return st.f_bavail * st.f_frsize


def _is_full(exc: BaseException, path: Path | None = None) -> bool:
    """SQLITE_FULL or ENOSPC; and an I/O error (SQLITE_IOERR_SHMSIZE while creating the -shm, a failed write
    or fsync) on a disk with almost no space left, which is how a full disk shows when a file must grow."""
    code = _code(exc)
    if code & 0xFF == sqlite3.SQLITE_FULL or getattr(exc, "errno", None) in (errno.ENOSPC, errno.EDQUOT):
        return True
    if code & 0xFF == sqlite3.SQLITE_IOERR and path is not None:
        free = _free_bytes(path)
        return free is not None and free < LOW_SPACE_BYTES
    return False


def _is_corrupt(exc: BaseException) -> bool:
    return _code(exc) & 0xFF in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB) or \
        "malformed" in str(exc) or "not a database" in str(exc)


def _error_message(exc: BaseException, path: Path) -> str:
    code = _code(exc) & 0xFF
    err = getattr(exc, "errno", None)
    if _is_full(exc, path) or err == errno.EFBIG:
        return f"the kiosk's storage is full: free space on the disk holding {path.parent}, then try again"
    if code == sqlite3.SQLITE_READONLY or err in (errno.EROFS, errno.EACCES, errno.EPERM):
        return f"the queue at {path} is read-only: check the disk and the file permissions"
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return f"the queue at {path} stayed locked by another process: try again, or restart the kiosk"
    if _is_corrupt(exc):
        return f"the queue at {path} is damaged: restart the kiosk app to set it aside and start a fresh queue"
    if code == sqlite3.SQLITE_CANTOPEN:
        return f"cannot open the queue at {path}: check that the data directory exists and is writable"
    return f"the queue at {path} could not be written ({type(exc).__name__}): check the disk, then try again"


def iso(ts: float | None) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


# -- claim owners ---------------------------------------------------------------------------------------------
def _read(path: str) -> str:
    try:
        with open(path, encoding="ascii", errors="replace") as fh:
            return fh.read().strip()
    except OSError:
        return ""


def _start_ticks(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (/proc/PID/stat field 22); None if no such process."""
    stat = _read(f"/proc/{pid}/stat")
    if not stat:
        return None
    try:
        return stat.rsplit(")", 1)[1].split()[19]
    except IndexError:
        return None


def _machine() -> str:
    """Boot and pid namespace: a pid means the same process only within one boot and one namespace."""
    try:
        pidns = os.readlink("/proc/self/ns/pid")
    except OSError:
        pidns = ""
    return f"{_read('/proc/sys/kernel/random/boot_id')[:36]}~{pidns}"


_MACHINE = _machine()
_LIVE_TOKENS: set[str] = set()   # Outbox instances open in this process; a closed one's claims are orphans


def _owner_alive(owner: str | None) -> bool | None:
    """True/False if we can tell whether the claim's owner still runs, None if we cannot (another namespace)."""
    if not owner:
        return False
    parts = owner.split("|")
    if len(parts) != 4:
        return False
    machine, pid_s, start, token = parts
    if machine.split("~")[0] != _MACHINE.split("~")[0]:
        return False                     # another boot: certainly not running any more
    if machine != _MACHINE or start == "None" or _start_ticks(os.getpid()) is None:
        return None                      # another pid namespace, or no /proc to ask: only the lease can tell
    try:
        pid = int(pid_s)
    except ValueError:
        return False
    if pid == os.getpid():
        return start == _start_ticks(pid) and token in _LIVE_TOKENS
    return _start_ticks(pid) == start    # a reused pid has another start time


# -- the high-water mark beside the queue ------------------------------------------------------------------------
_MARK_FORMAT = "ponte-outbox-mark {:020d}\n"
_MARK_SIZE = len(_MARK_FORMAT.format(0))


def read_mark(path: Path) -> int | None:
    """The highest seq an enqueue was acknowledged with, from queue.db.mark; None without a mark file."""
    try:
        text = path.read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    try:
        return int(text.split()[1])
    except (IndexError, ValueError):
        return 0


# -- the WAL -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class WalScan:
    frames: int                # frames of the current generation in the file
    commit_frames: tuple[int, ...]   # 1-based indexes of commit frames of the current generation


def scan_wal(wal: Path) -> WalScan | None:
    """Frame headers of a WAL file (no checksums computed): which frames end a committed transaction.

    Frames of an older generation (other salts) are ignored as SQLite ignores them. None if there is no WAL."""
    try:
        with open(wal, "rb") as fh:
            header = fh.read(32)
            if len(header) < 32:
                return None
            magic, _version, page_size, _ckpt, salt1, salt2 = struct.unpack(">6I", header[:24])
            if magic not in (0x377F0682, 0x377F0683) or page_size < 512 or page_size & (page_size - 1):
                # A damaged header: SQLite then ignores the whole log. Take the salts of the first frame.
                page_size = page_size if 512 <= page_size <= 65536 and not page_size & (page_size - 1) else 4096
                first = fh.read(24)
                if len(first) < 24:
                    return WalScan(0, ())
                salt1, salt2 = struct.unpack(">II", first[8:16])
                fh.seek(32)
            frames, commits, n = 0, [], 0
            while True:
                frame = fh.read(24)
                if len(frame) < 24:
                    break
                n += 1
                _pgno, commit, s1, s2 = struct.unpack(">IIII", frame[:16])
                if (s1, s2) != (salt1, salt2):
                    break            # the rest of the file is from an earlier generation
                frames = n
                if commit:
                    commits.append(n)
                fh.seek(page_size, os.SEEK_CUR)
    except OSError:
        return None
    return WalScan(frames, tuple(commits))


def _wal_index_max_frame(shm: Path) -> int | None:
    """mxFrame from the wal-index header in -shm: the last frame SQLite accepted (its checksums held)."""
    try:
        with open(shm, "rb") as fh:
            header = fh.read(48)
    except OSError:
        return None
    if len(header) < 48:
        return None
    return struct.unpack("=I", header[16:20])[0]


class Outbox:
    """The durable queue. Create with open_outbox(config) or Outbox(path, keys)."""

    def __init__(self, path: Path | str, public_key_for: Callable, device_keys: Callable[[], KeyPair],
                 reserve_bytes: int = 0, lease_seconds: float = LEASE_SECONDS,
                 idle_checkpoint_seconds: float = IDLE_CHECKPOINT_SECONDS):
        self.path = Path(path)
        # Space set aside on disk for the sync side: on a full disk, new submissions are refused but the
        # queue can still be opened, sent and purged (which frees the space again).
        self._reserve = self.path.with_name(self.path.name + ".reserve")
        self._reserve_bytes = reserve_bytes
        self._mark = self.path.with_name(self.path.name + ".mark")
        self._public_key_for = public_key_for  # destination -> X25519PublicKey
        self._device_keys = device_keys        # lazy: only OpenRosa / clear REST need it
        self._device: KeyPair | None = None
        self._sealers: dict[str, Sealer] = {}   # key id -> Sealer (ephemeral key reuse, see seal.py)
        # The same key object comes back for a destination every time: look it up without hashing the key
        # (the key object is kept in the value, so its id cannot be reused while the entry exists).
        self._sealer_by_key: dict[int, tuple[object, Sealer]] = {}
        self._device_sealer: Sealer | None = None
        self._lock = threading.RLock()
        self._listeners: list[Callable[[], None]] = []
        self.moved_aside: Path | None = None   # set when a damaged or emptied file was set aside
        self._lockfile: BinaryIO | None = None
        self.salvaged: SalvageResult | None = None  # after a damaged file was set aside
        self.lease_seconds = lease_seconds
        self._token = uuid.uuid4().hex[:12]
        self._owner_cache: tuple[int, str] | None = None
        self._problems: list[QueueProblem] = []  # reported in this process and not yet stored in the queue
        self._mark_fd: int | None = None
        self._mark_seq = 0
        self._inode: tuple[int, int] | None = None
        self._closed = False
        self._idle_seconds = idle_checkpoint_seconds
        self._idle_cond = threading.Condition()
        self._idle_thread: threading.Thread | None = None
        self._last_write = 0.0
        self._wal_dirty = False
        self._pending_salvage = False          # an emptied file was set aside: salvage it once open
        self._wal_damage: tuple[Path | None, str, str] | None = None  # (kept copy, code, words), handled once open
        _LIVE_TOKENS.add(self._token)
        try:
            try:
                if not self.path.parent.is_dir():
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                try:
                    self._conn = self._open()
                except (sqlite3.Error, OSError) as exc:
                    if not (_is_full(exc, self.path) and self._release_reserve()):
                        raise
                    self._conn = self._open()
            except sqlite3.Error as exc:
                if not _is_corrupt(exc):
                    raise QueueWriteError(_error_message(exc, self.path)) from None
                self.moved_aside = self._move_aside("corrupt")
                try:
                    self._conn = self._open()
                except sqlite3.Error as exc2:
                    raise QueueWriteError(_error_message(exc2, self.path)) from None
                self._after_damage("damaged", "the queue database was damaged")
            except OSError as exc:
                raise QueueWriteError(_error_message(exc, self.path)) from None
        except BaseException:
            _LIVE_TOKENS.discard(self._token)
            self._close_files()
            raise
        if self._pending_salvage:
            self._salvage()
        if self._wal_damage is not None:
            self._after_wal_damage(*self._wal_damage)
        self._store_problems()
        self._ensure_reserve()

    # -- disk space ----------------------------------------------------------------
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
        self._report("disk_full", "the disk is full: the queue's reserved space was released so waiting "
                     f"submissions can still be sent; free space on the disk holding {self.path.parent}")
        return True

    # -- opening -------------------------------------------------------------------
    def _open(self) -> sqlite3.Connection:
        """Connect, check what a crash or a damaged disk may have left, migrate, reclaim orphaned claims."""
        first = self._lock_first()
        try:
            if first:
                self._check_file_before_open()
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                   timeout=BUSY_TIMEOUT_MS / 1000)
            try:
                self._configure(conn)
                if first:
                    self._check_wal_and_mark(conn)
                migrate(conn, self.path)
                now = time.time()
                if conn.execute("SELECT 1 FROM submissions WHERE state='sending' LIMIT 1").fetchone():
                    conn.execute("BEGIN IMMEDIATE")
                    if first:
                        # Nobody else has the queue open: whatever is 'sending' was claimed by a process that died.
                        conn.execute("UPDATE submissions SET state='queued', claim_owner=NULL, claimed_until=NULL "
                                     "WHERE state='sending'")
                    else:
                        self._reclaim(conn, now)
                    conn.execute("COMMIT")
                # Reads the schema, one path down the state index and the rows' b-tree, so a damaged file is
                # usually found now rather than during a citizen's session; a full scan would make start-up O(rows).
                conn.execute("SELECT seq FROM submissions INDEXED BY idx_state WHERE state='queued' ORDER BY seq "
                             "LIMIT 1").fetchone()
                conn.execute("SELECT max(seq) FROM submissions").fetchone()
                st = os.stat(self.path)
                self._inode = (st.st_dev, st.st_ino)
                self._open_mark(conn)
            except BaseException:
                conn.close()
                raise
        finally:
            if first:
                self._unlock_first()
        return conn

    @staticmethod
    def _configure(conn: sqlite3.Connection) -> None:
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        for attempt in range(40):  # a brand-new file being switched to WAL by a concurrent first open
            try:
                conn.execute("PRAGMA journal_mode=WAL").fetchone()
                break
            except sqlite3.OperationalError as exc:
                if attempt == 39 or _code(exc) & 0xFF not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                    raise
                time.sleep(0.025)
        conn.execute("PRAGMA synchronous=FULL")
        # Bodies are ciphertext, so zeroing every freed page (some builds default to ON) buys nothing and
        # doubles the writes of a purge; on a full disk it would even stop the purge that frees space.
        conn.execute("PRAGMA secure_delete=FAST")
        conn.execute(f"PRAGMA journal_size_limit={JOURNAL_SIZE_LIMIT}")

    def _lock_first(self) -> bool:
        """True if no other live process has this queue open; the caller then holds an exclusive flock on
        queue.db.lock until _unlock_first(), so nobody writes while the files are checked. Each Outbox then
        holds a shared flock; the kernel drops it when a process dies, so a crash never blocks recovery."""
        try:
            if self._lockfile is None:
                self._lockfile = open(self.path.with_name(self.path.name + ".lock"), "a+b")
            lockfile = self._lockfile
            try:
                fcntl.flock(lockfile, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                pass
            deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
            while True:  # wait (bounded) while a first opener checks the files
                try:
                    fcntl.flock(lockfile, fcntl.LOCK_SH | fcntl.LOCK_NB)
                    return False
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        return False
                    time.sleep(0.01)
        except OSError:  # no lock possible (odd file system): behave like a single process
            return False

    def _unlock_first(self) -> None:
        if self._lockfile is None:
            return
        try:
            fcntl.flock(self._lockfile, fcntl.LOCK_SH)  # from now on, we are "another live process"
        except (OSError, ValueError):
            pass

    def _check_file_before_open(self) -> None:
        """A queue that held submissions (its mark file says so) but whose file is now empty or gone is set
        aside and reported, never silently replaced by a new empty queue."""
        mark = read_mark(self._mark)
        try:
            size: int | None = self.path.stat().st_size
        except FileNotFoundError:
            size = None
        wal = self.path.with_name(self.path.name + "-wal")
        wal_size = wal.stat().st_size if wal.exists() else 0
        if size == 0 and (mark is not None or wal_size > 32):
            self.moved_aside = self._move_aside("empty")
            self._report("empty_file", "the queue file was found empty" +
                         (f" although submissions up to number {mark} had been stored" if mark else "") +
                         f"; it was kept as {self.moved_aside.name} and a fresh queue was started: "
                         "tell support", kept_as=self.moved_aside)
            self._pending_salvage = True
        elif size is None and mark:
            kept = self._move_aside("missing")
            self._report("missing", f"the queue file was missing although submissions up to number {mark} had "
                         f"been stored; a fresh queue was started (what was left is kept as {kept.name}): "
                         "tell support", kept_as=kept)

    def _check_wal_and_mark(self, conn: sqlite3.Connection) -> None:
        """After SQLite has read the WAL (and before anything is written): committed transactions in the WAL that
        SQLite could not read, or fewer submissions than the mark file promises, are reported; the WAL is
        copied aside first so nothing more is lost."""
        wal = self.path.with_name(self.path.name + "-wal")
        scan = scan_wal(wal)
        try:
            top = conn.execute("SELECT max(seq) FROM submissions").fetchone()[0] or 0
        except sqlite3.Error as exc:
            if _is_corrupt(exc):
                raise
            return  # no table yet: a new queue
        try:
            top = max(top, int(conn.execute("SELECT value FROM meta WHERE key='max_seq'").fetchone()[0]))
        except (sqlite3.Error, TypeError, ValueError):
            pass
        lost_commits = 0
        if scan is not None and scan.commit_frames:
            max_frame = _wal_index_max_frame(self.path.with_name(self.path.name + "-shm"))
            if max_frame is not None:
                lost_commits = sum(1 for f in scan.commit_frames if f > max_frame)
        mark = read_mark(self._mark) or 0
        missing = max(0, mark - top)
        if not (lost_commits or missing):
            return
        kept = None
        if wal.exists():
            # The file and its log as they are now (nothing has written since SQLite read them): support gets
            # them as found, and the commits after the damaged frame are salvaged from this pair once open.
            kept = self.path.with_name(f"{self.path.name}.wal-damaged-{_stamp()}")
            shutil.copyfile(self.path, kept)
            shutil.copyfile(wal, kept.with_name(kept.name + "-wal"))
        what = []
        if lost_commits:
            what.append(f"{lost_commits} committed transaction(s) in its write-ahead log could not be read")
        if missing:
            what.append(f"{missing} acknowledged submission(s) were missing from it")
        self._wal_damage = (kept if lost_commits else None, "wal_damaged" if lost_commits else "missing",
                            "the queue was damaged: " + " and ".join(what) +
                            (f"; the file and its log were kept as {kept.name}" if kept else ""))
        try:  # reported once, not at every start
            self._mark.write_text(_MARK_FORMAT.format(top), encoding="ascii")
        except OSError:
            pass

    def _after_wal_damage(self, kept: Path | None, code: str, words: str) -> None:
        """Salvage the commits SQLite dropped: in a copy of the kept pair, the log's checksums are rebuilt from
        the damaged frame on, SQLite replays every frame, and waiting submissions not in the queue come back
        (a page damaged in the log costs the rows on it; a damaged body fails its checksum and is set aside)."""
        from offline_queue.salvage import salvage
        self._wal_damage = None
        recovered = None
        if kept is not None:
            try:
                recovered = salvage(self, kept, repair_wal=True).recovered
            except Exception:  # noqa: BLE001 - the report matters more; the pair stays for support
                log.exception("salvage of the damaged log failed; the file and its log are kept for support")
        extra = f"; {recovered} waiting submission(s) were recovered from the log" if recovered is not None else ""
        self._report(code, words + extra + ": tell support", kept_as=kept)

    # -- damage --------------------------------------------------------------------
    def _recover_from_corruption(self) -> bool:
        """Damage found while running: keep the file aside, continue on a fresh queue. False if that fails too."""
        try:
            # Hold the write lock while renaming: a writer in another process waits, then finds the file moved
            # (see _run) instead of committing into the file being set aside after it was salvaged.
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error:
            pass
        try:
            self.moved_aside = self._move_aside("corrupt")
        except OSError:
            log.exception("could not set the damaged queue aside")
            self._rollback()
            return False
        finally:
            try:
                # SQLite sees the file has moved: no checkpoint, and the -wal (kept with it) is not deleted.
                self._conn.close()
            except sqlite3.Error:
                pass
        try:
            self._conn = self._open()
        except (sqlite3.Error, OSError):
            log.exception("could not start a fresh queue after damage")
            return False
        self._after_damage("damaged", "the queue database was damaged")
        self._store_problems()
        return True

    def _after_damage(self, code: str, what: str) -> None:
        self._salvage()
        saved = self.salvaged
        extra = f"; {saved.recovered} waiting submission(s) recovered, {saved.unreadable} unreadable" if saved else ""
        kept = self.moved_aside.name if self.moved_aside else "?"
        self._report(code, f"{what}; it was kept as {kept} and a fresh queue was started{extra}",
                     kept_as=self.moved_aside)

    def _salvage(self) -> None:
        """Bring what is still readable in the damaged file into the fresh queue (the file is kept as is)."""
        from offline_queue.salvage import salvage
        if self.moved_aside is None:
            return
        try:
            self.salvaged = salvage(self, self.moved_aside)
        except Exception:  # noqa: BLE001 - salvage is a bonus; the fresh queue must work regardless
            log.exception("salvage failed; the damaged file is kept for support")

    def _move_aside(self, why: str) -> Path:
        """Rename the queue file (and its -wal, -shm and mark) to queue.db.<why>-STAMP; returns the new name."""
        self._close_mark()
        stamp = _stamp()
        target = self.path.with_name(f"{self.path.name}.{why}-{stamp}")
        n = 1
        while any(target.with_name(target.name + s).exists() for s in ("", "-wal", ".mark")):
            target = self.path.with_name(f"{self.path.name}.{why}-{stamp}-{n}")
            n += 1
        if self.path.exists():
            self.path.rename(target)
        for suffix in ("-wal", "-shm", ".mark"):  # they belong to the set-aside file; keep them with it
            side = self.path.with_name(self.path.name + suffix)
            if side.exists():
                side.rename(target.with_name(target.name + suffix))
        self._mark_seq = 0
        return target

    # -- problems ------------------------------------------------------------------
    def _report(self, code: str, message: str, kept_as: Path | None = None) -> None:
        log.error("%s", message)
        self._problems.append(QueueProblem(code, message, time.time(), str(kept_as) if kept_as else None))

    def _store_problems(self) -> None:
        """Problems found in this process go into the queue, so every process (and a restart) shows them."""
        if not self._problems:
            return
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                self._conn.executemany("INSERT INTO problems (at, code, message, kept_as) VALUES (?,?,?,?)",
                                       [(p.at, p.code, p.message, p.kept_as) for p in self._problems])
                self._conn.execute("COMMIT")
                self._problems.clear()
            except sqlite3.Error:  # a full disk: they stay in memory and are shown from there
                self._rollback()

    def health(self) -> OutboxHealth:
        """Problems not yet acknowledged by a person (damage set aside, missing submissions, bodies that failed
        their checksum, a full disk), oldest first; ok is True when there are none."""
        with self._lock:
            self._store_problems()
            try:
                rows = self._conn.execute("SELECT code, message, at, kept_as FROM problems "
                                          "WHERE acknowledged_at IS NULL ORDER BY id").fetchall()
            except sqlite3.Error:
                rows = []
            problems = tuple(QueueProblem(c, m, a, k) for c, m, a, k in rows) + tuple(self._problems)
        return OutboxHealth(not problems, problems)

    def acknowledge_problems(self) -> int:
        """A person has seen the problems (and told support): they are no longer shown. Returns how many."""
        self._problems.clear()
        return self._run(lambda c: c.execute("UPDATE problems SET acknowledged_at=? WHERE acknowledged_at IS NULL",
                                             (time.time(),)).rowcount, write=True)

    # -- listeners -------------------------------------------------------------------
    def add_listener(self, callback: Callable[[], None]) -> None:
        """Called after every enqueue (the sync worker wakes up)."""
        self._listeners.append(callback)

    def remove_listener(self, callback: Callable[[], None]) -> None:
        if callback in self._listeners:
            self._listeners.remove(callback)

    # -- transactions --------------------------------------------------------------
    def _moved_elsewhere(self) -> bool:
        """Another process set the file aside (damage) and started a fresh one at our path."""
        try:
            st = os.stat(self.path)
        except OSError:
            return True
        return (st.st_dev, st.st_ino) != self._inode

    def _reopen(self) -> None:
        try:
            self._conn.close()
        except sqlite3.Error:
            pass
        self._close_mark()
        self._conn = self._open()

    def _run(self, work: Callable[[sqlite3.Connection], T], *, write: bool, release_reserve: bool = True) -> T:
        """work(conn) in one transaction (write) or as a plain read. Damage found on the way sets the file aside,
        salvages it and runs work once more on the fresh queue; a full disk releases the reserve (sync side)
        and runs it again; any other failure is one QueueError (QueueWriteError for writes)."""
        error = QueueWriteError if write else QueueError
        with self._lock:
            if self._closed:
                raise QueueError(f"the queue at {self.path} was closed")
            released = recovered = reopened = False
            while True:
                try:
                    if write:
                        self._conn.execute("BEGIN IMMEDIATE")
                    if not reopened and self._moved_elsewhere():
                        reopened = True
                        self._rollback()
                        self._reopen()
                        continue
                    result = work(self._conn)
                    if write:
                        self._conn.execute("COMMIT")
                        self._note_write()
                    return result
                except (sqlite3.Error, OSError) as exc:
                    self._rollback()
                    if release_reserve and not released and _is_full(exc, self.path) and self._release_reserve():
                        released = True
                        self._store_problems()
                        continue
                    if not recovered and _is_corrupt(exc) and self._recover_from_corruption():
                        recovered = True
                        continue
                    raise error(_error_message(exc, self.path)) from None

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
        def work(conn: sqlite3.Connection) -> int:
            count = 0
            for sql, params in statements:
                cur = conn.executemany(sql, params) if isinstance(params, list) else conn.execute(sql, params)
                count = cur.rowcount
            return count
        return self._run(work, write=True)

    # -- writing ---------------------------------------------------------------------
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
        known = self._sealer_by_key.get(id(public))
        if known is not None and known[0] is public:
            sealer = known[1]
        else:
            kid = key_id(public)
            if kid not in self._sealers:
                self._sealers[kid] = Sealer(public)
            sealer = self._sealers[kid]
            self._sealer_by_key[id(public)] = (public, sealer)
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

    def _seal_attachments(self, sid: str, rendered: Rendered, destination,
                          attachments: tuple[Attachment, ...]) -> list[tuple]:
        """Attachment rows sealed with the body's key rules: to the backend's key beside a sealed REST envelope
        (sent as stored), else to the device key (opened just before sending, like the body)."""
        if rendered.seal == "none":
            sealer, seal_kind = Sealer(self._public_key_for(destination)), "backend"
        else:
            if self._device_sealer is None:
                self._device_sealer = Sealer(self._device_pair().public)
            sealer, seal_kind = self._device_sealer, "device"
        rows = []
        for a in attachments:
            stored = sealer.seal(bytes(a.data))
            rows.append((sid, a.name, a.content_type, seal_kind, stored, digest(stored)))
        return rows

    def enqueue(self, payload: dict, destination, attachments: Iterable[Attachment] = ()) -> None:
        """Render, seal and write one submission (and its attachments) in one transaction; returns once it is on
        disk. Attachments are listed in the payload (name, type, size, sha256) and stored sealed beside it."""
        for key in ("submission_id", "reference"):
            if not payload.get(key):
                raise ValueError(f"payload needs '{key}'")
        attachments = tuple(attachments)
        if attachments:
            check_attachments(attachments)  # DocumentError is a ValueError: refused before anything is written
            if destination.kind == "openrosa" and encrypts(destination):
                raise ValueError(f"destination '{destination.name}': attachments cannot be sent to an ODK-encrypted "
                                 "form yet (docs/documents.md)")
            payload = {**payload, "attachments": [a.manifest() for a in attachments]}
        try:
            rendered, payload_sealed = self.render(payload, destination)
            attachment_rows = self._seal_attachments(payload["submission_id"], rendered, destination, attachments) \
                if attachments else []
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
        body_row = (rendered.body, payload_sealed, rendered.ack_key, digest(rendered.body))
        try:
            # A new submission is never let into the reserve: that space is for sending what is already queued.
            seq = self._run(lambda conn: self._insert(row, body_row, attachment_rows), write=True,
                            release_reserve=False)
        except QueueWriteError as exc:
            log.error("enqueue failed: %s", exc)
            raise
        if seq:
            self._write_mark(seq)
        for callback in list(self._listeners):
            try:
                callback()
            except Exception:  # a listener must never make a stored submission look failed
                log.exception("queue listener failed")

    def _insert(self, row: tuple, body_row: tuple, attachment_rows: Iterable[tuple] = ()) -> int | None:
        """Insert a submission, its body and its attachments (inside the caller's transaction); its seq, None if
        already there."""
        # Same submission twice (a double tap, a retried call): keep the first, it is the same data.
        cur = self._conn.execute(_INSERT, row)
        if cur.rowcount != 1:
            return None
        if len(body_row) < 4:  # (body, payload_sealed[, ack_key]) from older callers
            body_row = (*body_row, *(None,) * (3 - len(body_row)), digest(body_row[0]))
        self._conn.execute(_INSERT_BODY, (cur.lastrowid, *body_row))
        self._conn.executemany(_INSERT_ATTACHMENT, attachment_rows)
        return cur.lastrowid

    def restore(self, meta: tuple, body: bytes, payload_sealed: bytes | None, ack_key: bytes | None = None,
                stored_digest: bytes | None = None) -> bool:
        """Insert a row salvaged from a damaged file (columns as salvage._META); False if already present.

        A body that does not match the digest stored with it in the damaged file comes back as dead, not queued."""
        columns = ("id, reference, service_id, service_version, destination, kind, state, attempts, last_error, "
                   "error_kind, next_attempt_at, created_at, updated_at, delivered_at, remote_ref, content_type, "
                   "body_seal")
        if stored_digest is not None and stored_digest != digest(body):
            names = [c.strip() for c in columns.split(",")]
            fields = list(meta)
            fields[names.index("state")] = "dead"
            fields[names.index("last_error")] = _DAMAGED_REASON
            fields[names.index("error_kind")] = DAMAGED_KIND
            meta = tuple(fields)

        def work(conn: sqlite3.Connection) -> int | None:
            cur = conn.execute(f"INSERT OR IGNORE INTO submissions ({columns}) VALUES ({','.join('?' * len(meta))})",
                               meta)
            if cur.rowcount != 1:
                return None
            conn.execute(_INSERT_BODY, (cur.lastrowid, body, payload_sealed, ack_key, digest(body)))
            return cur.lastrowid
        seq = self._run(work, write=True)
        if seq:
            self._write_mark(seq)
        return seq is not None

    def restore_attachments(self, sid: str, rows: list[tuple] | None) -> None:
        """The attachment rows of a salvaged submission (as stored, still sealed; each checked against its digest
        when claimed). None: they could not be read, so the submission is set aside, never sent without them."""
        if rows is None:
            self._write("UPDATE submissions SET state='dead', last_error=?, error_kind=?, next_attempt_at=NULL "
                        "WHERE id=?", (_DAMAGED_REASON, DAMAGED_KIND, sid))
            return
        self._write(_INSERT_ATTACHMENT.replace("INSERT", "INSERT OR IGNORE", 1), rows, many=True)

    # -- the high-water mark ---------------------------------------------------------
    def _open_mark(self, conn: sqlite3.Connection) -> None:
        if self._mark_fd is not None:
            return
        try:
            self._mark_fd = os.open(self._mark, os.O_RDWR | os.O_CREAT, 0o600)
            if os.fstat(self._mark_fd).st_size < _MARK_SIZE:  # new: the queue exists from now on
                top = conn.execute("SELECT coalesce(max(seq), 0) FROM submissions").fetchone()[0]
                os.pwrite(self._mark_fd, _MARK_FORMAT.format(top).encode(), 0)
            self._mark_seq = read_mark(self._mark) or 0
        except (OSError, sqlite3.Error):  # no mark (full disk): the check at open is skipped, nothing else changes
            self._close_mark()

    def _close_mark(self) -> None:
        if self._mark_fd is not None:
            try:
                os.close(self._mark_fd)
            except OSError:
                pass
            self._mark_fd = None

    def _write_mark(self, seq: int) -> None:
        """After the commit is durable: the highest seq acknowledged. Not fsynced, so after a power loss it can
        only be behind (no false alarm); a concurrent process may also leave it behind, never ahead."""
        with self._lock:
            if seq <= self._mark_seq or self._mark_fd is None:
                return
            try:
                os.pwrite(self._mark_fd, _MARK_FORMAT.format(seq).encode(), 0)
                self._mark_seq = seq
            except OSError:
                pass

    # -- checkpoints -------------------------------------------------------------------
    def checkpoint(self) -> bool:
        """Copy the WAL into the main file and truncate it (so little lives only in the WAL); never waits long
        for readers. True if the WAL is now empty."""
        with self._lock:
            if self._closed:
                return False
            # Copying the WAL may grow the main file: on a nearly full disk that would take the space the next
            # writes need (and fail half-way). The WAL then stays as it is; SQLite reuses it from the start.
            try:
                wal_size = os.stat(self.path.with_name(self.path.name + "-wal")).st_size
            except OSError:
                wal_size = 0
            free = _free_bytes(self.path)
            if free is not None and free < wal_size + LOW_SPACE_BYTES:
                return False
            try:
                self._conn.execute("PRAGMA busy_timeout=100")
                busy, _log, _done = self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                return busy == 0
            except sqlite3.Error as exc:
                log.warning("checkpoint of the queue failed: %s", _error_message(exc, self.path))
                return False
            finally:
                try:
                    self._conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
                except sqlite3.Error:
                    pass

    def _note_write(self) -> None:
        """A write committed: checkpoint once the queue has been idle for a while (never on the Send path)."""
        if self._idle_seconds <= 0:
            return
        with self._idle_cond:
            self._last_write = time.monotonic()
            if not self._wal_dirty:
                self._wal_dirty = True
                self._idle_cond.notify()
            if self._idle_thread is None:
                self._idle_thread = threading.Thread(target=self._idle_loop, name="ponte-outbox-checkpoint",
                                                     daemon=True)
                self._idle_thread.start()

    def _idle_loop(self) -> None:
        while True:
            with self._idle_cond:
                while not self._wal_dirty and not self._closed:
                    self._idle_cond.wait()
                if self._closed:
                    return
                wait = self._last_write + self._idle_seconds - time.monotonic()
                if wait > 0:
                    self._idle_cond.wait(wait)
                    continue
                self._wal_dirty = False
            if not self.checkpoint():
                with self._idle_cond:  # readers kept it busy: try again after the next idle period
                    self._wal_dirty = True
                    self._last_write = time.monotonic()

    # -- reading -----------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        """How many submissions are in each state (a scan of the state index, not of the rows)."""
        def work(conn: sqlite3.Connection) -> dict[str, int]:
            # Each state but 'delivered' is a range of the state index (short on a kiosk that delivers); the
            # receipts, usually nearly all rows, are the rest of count(*), which counts b-tree cells without
            # decoding them.
            counts = {s: conn.execute("SELECT count(*) FROM submissions INDEXED BY idx_state WHERE state=?",
                                      (s,)).fetchone()[0] for s in STATES if s != "delivered"}
            total = conn.execute("SELECT count(*) FROM submissions").fetchone()[0]
            counts["delivered"] = total - sum(counts.values())
            return {s: counts[s] for s in STATES}
        return self._run(work, write=False)

    def items(self, states: Iterable[str] | None = None, limit: int | None = None) -> list[QueueItem]:
        """Items in creation order (all of them in memory: for small sets; list_page() pages through any size)."""
        sql = f"SELECT {_ITEM_COLUMNS} FROM submissions"
        params: list = []
        if states:
            states = [QueueState(s).value for s in states]  # an unknown state is a ValueError, not an empty list
            sql += f" WHERE state IN ({','.join('?' * len(states))})"
            params += states
        sql += " ORDER BY created_at"
        if limit:
            sql += f" LIMIT {int(limit)}"
        return self._run(lambda c: [QueueItem(*row) for row in c.execute(sql, params)], write=False)

    def list_page(self, after_seq: int | None = None, limit: int = 100,
                  states: Iterable[str] | str | None = None) -> QueuePage:
        """One page of items in seq (= enqueue) order after the cursor after_seq, optionally of some states.

        Cost is O(limit) however long the queue is: the rowid or the (state, seq) index is read as a range.
        Pass page.next_after as after_seq for the next page; it is None after the last page."""
        if isinstance(states, str):
            states = [states]
        wanted = list(dict.fromkeys(states)) if states else []
        unknown = [s for s in wanted if s not in STATES]
        if unknown:
            raise ValueError(f"unknown state {unknown[0]!r}: use one of {', '.join(STATES)}")
        limit = max(1, int(limit))
        after = int(after_seq or 0)

        def work(conn: sqlite3.Connection) -> list[tuple]:
            if not wanted:
                return conn.execute(f"SELECT {_ITEM_COLUMNS} FROM submissions WHERE seq > ? ORDER BY seq LIMIT ?",
                                    (after, limit + 1)).fetchall()
            # One range read per state, merged: no sort of every matching row.
            runs = [conn.execute(f"SELECT {_ITEM_COLUMNS} FROM submissions INDEXED BY idx_state "
                                 "WHERE state = ? AND seq > ? ORDER BY seq LIMIT ?", (s, after, limit + 1)).fetchall()
                    for s in wanted]
            return list(heapq.merge(*runs, key=lambda r: r[-1]))[:limit + 1]
        rows = self._run(work, write=False)
        items = tuple(QueueItem(*r) for r in rows[:limit])
        return QueuePage(items, items[-1].seq if len(rows) > limit else None)

    def iter_items(self, states: Iterable[str] | str | None = None, page_size: int = 500) -> Iterator[QueueItem]:
        """Every item (of these states) in seq order, a page at a time: memory stays O(page_size)."""
        after: int | None = None
        while True:
            page = self.list_page(after, page_size, states)
            yield from page.items
            if page.next_after is None:
                return
            after = page.next_after

    def body_digests(self, page_size: int = 500) -> Iterator[tuple[str, str, str, bytes | None]]:
        """(id, state, service_id, sha256 of the stored body, None once delivered) of every row in seq order,
        a page at a time: what a day-closing manifest digests (kiosk.closeday). Reads no body."""
        after = 0
        while True:
            def read(c: sqlite3.Connection, params: tuple = (after, page_size)) -> list[tuple]:
                return c.execute("SELECT s.seq, s.id, s.state, s.service_id, b.digest FROM submissions s LEFT JOIN "
                                 "bodies b ON b.seq = s.seq WHERE s.seq > ? ORDER BY s.seq LIMIT ?", params).fetchall()
            rows = self._run(read, write=False)
            yield from (tuple(r[1:]) for r in rows)
            if len(rows) < page_size:
                return
            after = rows[-1][0]

    def attachment_digests(self, page_size: int = 50) -> dict[str, list[tuple[str, str]]]:
        """{submission id: [(file name, sha256 hex of its stored bytes as they are now)] in name order} of every
        stored attachment: what a day-closing manifest digests beside the bodies (kiosk.closeday). Hashes the
        bytes themselves, not the stored checksum, so a file changed at rest changes the digest; reads a page
        of files at a time (attachments exist only until delivery, so this is the backlog's files)."""
        found: dict[str, list[tuple[str, str]]] = {}
        after = 0
        while True:
            def read_files(c: sqlite3.Connection, params: tuple = (after, page_size)) -> list[tuple]:
                return c.execute("SELECT rowid, submission_id, name, body FROM attachments WHERE rowid > ? "
                                 "ORDER BY rowid LIMIT ?", params).fetchall()
            rows = self._run(read_files, write=False)
            for _, sid, name, body in rows:
                found.setdefault(sid, []).append((name, hashlib.sha256(body).hexdigest()))
            if len(rows) < page_size:
                return {sid: sorted(files) for sid, files in found.items()}
            after = rows[-1][0]

    def recent(self, limit: int = 20, exclude_services: Iterable[str] = ()) -> list[QueueItem]:
        """The newest submissions first, leaving out these services' rows (the console's reprint list)."""
        excluded = list(exclude_services)
        where = f"WHERE service_id NOT IN ({','.join('?' * len(excluded))}) " if excluded else ""
        return self._run(lambda c: [QueueItem(*row) for row in c.execute(
            f"SELECT {_ITEM_COLUMNS} FROM submissions {where}ORDER BY seq DESC LIMIT ?",
            (*excluded, max(1, int(limit))))], write=False)

    def get(self, reference: str) -> QueueItem | None:
        row = self._run(lambda c: c.execute(f"SELECT {_ITEM_COLUMNS} FROM submissions WHERE reference=? OR id=? "
                                            "ORDER BY created_at DESC LIMIT 1", (reference, reference)).fetchone(),
                        write=False)
        return QueueItem(*row) if row else None

    def last_success(self) -> float | None:
        """When a backend last confirmed a delivery (epoch seconds), None if never (or receipts purged)."""
        return self._run(lambda c: c.execute("SELECT max(delivered_at) FROM submissions WHERE state='delivered'")
                         .fetchone()[0], write=False)

    def next_due(self) -> float | None:
        """When the next queued or failed submission is due (epoch seconds), None if nothing is pending."""
        return self._run(lambda c: c.execute("SELECT min(coalesce(next_attempt_at, 0)) FROM submissions "
                                             "WHERE state IN ('queued', 'failed')").fetchone()[0], write=False)

    def pending(self) -> int:
        return self._run(lambda c: c.execute("SELECT count(*) FROM submissions WHERE state IN "
                                             "('queued','sending','failed')").fetchone()[0], write=False)

    # -- the sync worker's side ---------------------------------------------------------
    def _owner(self) -> str:
        """This Outbox in this process, as stored in claim_owner (recomputed after a fork)."""
        pid = os.getpid()
        if self._owner_cache is None or self._owner_cache[0] != pid:
            self._owner_cache = (pid, f"{_MACHINE}|{pid}|{_start_ticks(pid)}|{self._token}")
        return self._owner_cache[1]

    def _reclaim(self, conn: sqlite3.Connection, now: float) -> int:
        """Inside a write transaction: rows 'sending' for an owner that has died (or closed its Outbox) or whose
        lease has run out go back to queued (attempt kept: it may have reached the backend; the idempotency key
        makes the resend harmless)."""
        me = self._owner()
        rows = conn.execute("SELECT id, claim_owner, claimed_until FROM submissions WHERE state='sending'").fetchall()
        alive: dict[str | None, bool | None] = {}
        orphans = []
        for sid, owner, until in rows:
            if owner == me:
                continue
            if owner not in alive:
                alive[owner] = _owner_alive(owner)
            state = alive[owner]
            if state is False or (until is None and state is not True) or (until is not None and until < now):
                orphans.append((sid,))
        if orphans:
            conn.executemany("UPDATE submissions SET state='queued', claim_owner=NULL, claimed_until=NULL "
                             "WHERE id=? AND state='sending'", orphans)
            log.warning("%d submission(s) claimed by a process that stopped were put back in the queue", len(orphans))
        return len(orphans)

    def reclaim(self) -> int:
        """Put back in the queue what a dead or hung process had claimed; claim() does this by itself."""
        return self._run(lambda c: self._reclaim(c, time.time()), write=True)

    def _renew(self, conn: sqlite3.Connection) -> None:
        """A verdict from the owner shows it is alive: its remaining claims get a fresh lease."""
        conn.execute("UPDATE submissions SET claimed_until=? WHERE state='sending' AND claim_owner=?",
                     (time.time() + self.lease_seconds, self._owner()))

    def claim(self, limit: int = 50, now: float | None = None, exclude: Iterable[str] = ()) -> list[Claimed]:
        """Move up to limit due submissions to 'sending' (one transaction) and return their bytes.

        Orphaned claims of dead processes are reclaimed first. A body that fails its checksum (or cannot be
        opened with the device key) is set dead with the reason and never returned."""
        now = time.time() if now is None else now
        exclude = list(exclude)
        sql = (f"SELECT {', '.join('s.' + c.strip() for c in _ITEM_COLUMNS.split(','))}, b.body, b.digest, "
               "s.body_seal, s.content_type, b.seq, b.ack_key FROM submissions s LEFT JOIN bodies b ON b.seq = s.seq "
               "WHERE s.state IN ('queued','failed') AND coalesce(s.next_attempt_at, 0) <= ?")
        if exclude:
            sql += f" AND s.destination NOT IN ({','.join('?' * len(exclude))})"
        sql += " ORDER BY coalesce(s.next_attempt_at, 0), s.created_at LIMIT ?"
        owner, until = self._owner(), time.time() + self.lease_seconds

        def work(conn: sqlite3.Connection) -> tuple[list, int]:
            self._reclaim(conn, time.time())
            rows = conn.execute(sql, [now, *exclude, limit]).fetchall()
            good: list[tuple] = []
            bad: list[tuple] = []
            for r in rows:
                body, stored = r[14], r[15]
                if r[18] is None or (stored is not None and stored != digest(body)):
                    bad.append(r)
                else:
                    good.append(r)
            conn.executemany("UPDATE submissions SET state='sending', attempts=attempts+1, updated_at=?, "
                             "claim_owner=?, claimed_until=? WHERE id=?", [(now, owner, until, r[0]) for r in good])
            if bad:
                conn.executemany("UPDATE submissions SET state='dead', last_error=?, error_kind=?, "
                                 "next_attempt_at=NULL, updated_at=? WHERE id=?",
                                 [(_DAMAGED_REASON, DAMAGED_KIND, now, r[0]) for r in bad])
            return good, len(bad)
        rows, damaged = self._run(work, write=True)
        if damaged:
            self._report("body_damaged", f"{damaged} stored submission(s) failed their checksum and were set aside "
                         "(not sent): see `kiosk queue list --state dead`; export them for support")
            self._store_problems()
        claimed, unopenable = [], []
        for r in rows:
            item = replace(QueueItem(*r[:14]), state="sending", attempts=r[7] + 1)
            body, body_seal, content_type = r[14], r[16], r[17]
            if body_seal == "device":
                try:
                    body = open_sealed(body, self._device_pair().private)
                except SealError:
                    unopenable.append(item.id)
                    continue
            claimed.append(Claimed(item, body, content_type, r[19]))
        if claimed:
            claimed = self._with_attachments(claimed)
        if unopenable:
            self._write("UPDATE submissions SET state='dead', last_error=?, error_kind=?, next_attempt_at=NULL, "
                        "claim_owner=NULL WHERE id=? AND state='sending'",
                        [(_DEVICE_KEY_REASON, DAMAGED_KIND, i) for i in unopenable], many=True)
            self._report("body_damaged", f"{len(unopenable)} stored submission(s) could not be opened with this "
                         "kiosk's device key and were set aside (not sent): tell support")
            self._store_problems()
        return claimed

    def _with_attachments(self, claimed: list[Claimed]) -> list[Claimed]:
        """The claimed submissions with their attachments, checked against their digests and opened where sealed
        to the device. A submission with a damaged attachment is set aside as dead, never sent without it."""
        ids = [c.item.id for c in claimed]
        rows = self._run(lambda c: c.execute(
            f"SELECT submission_id, name, content_type, seal, body, sha256 FROM attachments WHERE submission_id IN "
            f"({','.join('?' * len(ids))}) ORDER BY rowid", ids).fetchall(), write=False)
        if not rows:
            return claimed
        files: dict[str, list[Attachment]] = {}
        damaged: set[str] = set()
        for sid, name, content_type, seal_kind, body, stored in rows:
            try:
                if stored != digest(body):
                    raise SealError("digest")
                data = open_sealed(body, self._device_pair().private) if seal_kind == "device" else body
                # Sealed to the backend: opaque bytes on the wire; the real type is in the sealed payload's list.
                files.setdefault(sid, []).append(Attachment(name, SEALED_ATTACHMENT_TYPE if seal_kind == "backend"
                                                            else content_type, data))
            except (SealError, ValueError):
                damaged.add(sid)
        if damaged:
            self._write("UPDATE submissions SET state='dead', last_error=?, error_kind=?, next_attempt_at=NULL, "
                        "claim_owner=NULL WHERE id=? AND state='sending'",
                        [(_DAMAGED_REASON, DAMAGED_KIND, i) for i in damaged], many=True)
            self._report("body_damaged", f"{len(damaged)} stored submission(s) have a damaged attachment and were "
                         "set aside (not sent): export them for support")
            self._store_problems()
        return [replace(c, attachments=tuple(files.get(c.item.id, ()))) for c in claimed if c.item.id not in damaged]

    def stored_attachments(self, sid: str) -> list[tuple[str, str, str, bytes]]:
        """A submission's attachments as stored (name, content type, seal, sealed bytes), for export; QueueError
        if one fails its digest (a bundle carries only intact files)."""
        rows = self._run(lambda c: c.execute("SELECT name, content_type, seal, body, sha256 FROM attachments "
                                             "WHERE submission_id=? ORDER BY rowid", (sid,)).fetchall(), write=False)
        if any(digest(body) != stored for _, _, _, body, stored in rows):
            raise QueueError("a stored attachment failed its checksum; it was not exported: tell support")
        return [(name, content_type, seal_kind, body) for name, content_type, seal_kind, body, _ in rows]

    def attachment_names(self, reference: str) -> list[str]:
        """The file names stored with a submission (by reference or id); empty once delivered (purged)."""
        return [r[0] for r in self._run(lambda c: c.execute(
            "SELECT a.name FROM attachments a JOIN submissions s ON s.id = a.submission_id "
            "WHERE s.reference=? OR s.id=? ORDER BY a.rowid", (reference, reference)).fetchall(), write=False)]

    def mark_delivered(self, results: Iterable[tuple[str, str | None]]) -> None:
        """(id, backend's case reference) pairs: purge the payload, keep the receipt; then checkpoint the WAL."""
        now = time.time()
        results = list(results)

        def work(conn: sqlite3.Connection) -> None:
            conn.executemany("UPDATE submissions SET state='delivered', delivered_at=?, updated_at=?, remote_ref=?, "
                             "last_error=NULL, next_attempt_at=NULL, claim_owner=NULL, claimed_until=NULL "
                             "WHERE id=? AND state!='delivered'", [(now, now, ref, sid) for sid, ref in results])
            conn.executemany("DELETE FROM bodies WHERE seq=(SELECT seq FROM submissions WHERE id=?)",
                             [(sid,) for sid, _ in results])
            conn.executemany("DELETE FROM attachments WHERE submission_id=?", [(sid,) for sid, _ in results])
            self._renew(conn)
        self._run(work, write=True)
        self.checkpoint()  # a delivery pass's marks: out of the WAL now rather than at the next idle moment

    def mark_failed(self, sid: str, reason: str, next_attempt_at: float, error_kind: str = "http") -> None:
        def work(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE submissions SET state='failed', last_error=?, error_kind=?, next_attempt_at=?, "
                         "updated_at=?, claim_owner=NULL, claimed_until=NULL WHERE id=? AND state='sending'",
                         (reason[:500], error_kind, next_attempt_at, time.time(), sid))
            self._renew(conn)
        self._run(work, write=True)

    def mark_dead(self, sid: str, reason: str) -> None:
        def work(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE submissions SET state='dead', last_error=?, next_attempt_at=NULL, updated_at=?, "
                         "claim_owner=NULL, claimed_until=NULL WHERE id=? AND state='sending'",
                         (reason[:500], time.time(), sid))
            self._renew(conn)
        self._run(work, write=True)

    def release(self, ids: Iterable[str]) -> None:
        """Claimed but not attempted (worker stopping): back to queued, attempt not counted."""
        self._write("UPDATE submissions SET state='queued', attempts=max(attempts-1, 0), claim_owner=NULL, "
                    "claimed_until=NULL WHERE id=? AND state='sending'", [(i,) for i in ids], many=True)

    def retry(self, reference: str) -> int:
        """Make a dead or failed submission due now (after a person fixed the cause). A body that failed its
        checksum stays dead: sending it could only be refused, or worse, accepted damaged."""
        return self._write("UPDATE submissions SET state='queued', next_attempt_at=0, updated_at=? "
                           "WHERE (reference=? OR id=?) AND state IN ('dead','failed','queued') "
                           "AND coalesce(error_kind, '') != ?", (time.time(), reference, reference, DAMAGED_KIND))

    def lift_network_failures(self, destination: str) -> int:
        """The backend answers its health probe again: retry what failed on the network now."""
        return self._write("UPDATE submissions SET next_attempt_at=0 WHERE state='failed' AND destination=? "
                           "AND error_kind='network' AND next_attempt_at>?", (destination, time.time()))

    def purge_receipts(self, older_than_seconds: float) -> int:
        """Forget delivered receipts after the retention time (the highest seq ever used is remembered)."""
        cutoff = time.time() - older_than_seconds
        count = self._write_many([
            ("INSERT INTO meta (key, value) VALUES ('max_seq', (SELECT coalesce(max(seq), 0) FROM submissions)) "
             "ON CONFLICT (key) DO UPDATE SET value=max(value, excluded.value)", ()),
            ("DELETE FROM bodies WHERE seq IN (SELECT seq FROM submissions WHERE state='delivered' AND delivered_at<?)",
             (cutoff,)),
            ("DELETE FROM attachments WHERE submission_id IN (SELECT id FROM submissions WHERE state='delivered' "
             "AND delivered_at<?)", (cutoff,)),
            ("DELETE FROM submissions WHERE state='delivered' AND delivered_at<?", (cutoff,)),
        ])
        self.checkpoint()
        return count

    def exportable(self) -> list[tuple[QueueItem, bytes, str, str, bytes | None]]:
        """Undelivered rows as stored (still sealed): item, body, body_seal, content_type, payload_sealed.

        Rows whose body fails its checksum are set dead and left out: a bundle carries only intact bodies."""
        rows = self._run(lambda c: c.execute(
            f"SELECT {', '.join('s.' + c.strip() for c in _ITEM_COLUMNS.split(','))}, b.body, s.body_seal, "
            "s.content_type, b.payload_sealed, b.digest FROM submissions s JOIN bodies b ON b.seq = s.seq "
            "WHERE s.state IN ('queued','sending','failed','dead') ORDER BY s.created_at").fetchall(), write=False)
        good: list[tuple] = []
        bad: list[tuple] = []
        for r in rows:
            (bad if r[18] is not None and r[18] != digest(r[14]) else good).append(r)
        if bad:
            self._write("UPDATE submissions SET state='dead', last_error=?, error_kind=?, next_attempt_at=NULL "
                        "WHERE id=? AND state!='delivered'", [(_DAMAGED_REASON, DAMAGED_KIND, r[0]) for r in bad],
                        many=True)
            self._report("body_damaged", f"{len(bad)} stored submission(s) failed their checksum and were left out "
                         "of the export: tell support")
            self._store_problems()
        return [(QueueItem(*r[:14]), r[14], r[15], r[16], r[17]) for r in good]

    def open_body(self, body: bytes, body_seal: str) -> bytes:
        return open_sealed(body, self._device_pair().private) if body_seal == "device" else body

    # -- support -----------------------------------------------------------------------
    def open_payload(self, reference: str, private_key) -> dict:
        """Unseal a queued payload with the backend's private key (support and tests only)."""
        row = self._run(lambda c: c.execute("SELECT b.body, s.body_seal, b.payload_sealed, s.content_type "
                                            "FROM submissions s "
                                            "LEFT JOIN bodies b ON b.seq = s.seq WHERE s.reference=? OR s.id=? "
                                            "ORDER BY s.created_at DESC LIMIT 1", (reference, reference)).fetchone(),
                        write=False)
        if row is None:
            raise QueueError(f"no submission with reference {reference}")
        body, body_seal, payload_sealed, content_type = row
        if body is None:
            raise QueueError(f"submission {reference} was delivered; its payload has been purged")
        if payload_sealed is not None:
            try:
                return json.loads(open_sealed(payload_sealed, private_key))
            except (SealError, ValueError):
                raise PayloadUnreadable(f"submission {reference}: this key does not open its payload (another "
                                        "backend's key?)") from None
        if str(content_type or "").startswith("multipart/"):
            # An OpenRosa body encrypted with ODK's form encryption: only the form's private key opens it.
            raise PayloadUnreadable(f"submission {reference} is encrypted with the ODK form's key: open it in ODK "
                                    "Central (or Briefcase) with the project's passphrase; the backend key cannot")
        from offline_queue.connectors.rest import open_envelope
        try:
            return open_envelope(json.loads(body), {None: private_key})
        except (SealError, ValueError, AttributeError):  # UnicodeDecodeError, JSONDecodeError: ValueErrors
            raise PayloadUnreadable(f"submission {reference} holds no sealed payload this key opens") from None

    def integrity_check(self) -> str:
        with self._lock:
            return self._conn.execute("PRAGMA integrity_check").fetchone()[0]

    def _close_files(self) -> None:
        self._close_mark()
        if self._lockfile is not None:
            self._lockfile.close()  # releases the flock
            self._lockfile = None

    def close(self) -> None:
        """Give back this Outbox's claims, stop the idle checkpoints and close (SQLite checkpoints on last close)."""
        with self._lock:
            if self._closed:
                return
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                self._conn.execute("UPDATE submissions SET state='queued', claim_owner=NULL, claimed_until=NULL "
                                   "WHERE state='sending' AND claim_owner=?", (self._owner(),))
                self._conn.execute("COMMIT")
            except sqlite3.Error:
                self._rollback()
            try:
                self._conn.close()
            except sqlite3.Error:
                pass
            self._closed = True
            _LIVE_TOKENS.discard(self._token)
            self._close_files()
        with self._idle_cond:
            self._idle_cond.notify_all()

    def __enter__(self) -> "Outbox":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


_DAMAGED_REASON = ("the stored submission is damaged (its checksum does not match); it was not sent: "
                   "export it for support, or ask the citizen to submit again")
_DEVICE_KEY_REASON = ("the stored submission cannot be opened with this kiosk's device key (damaged, or the key "
                      "was replaced); it was not sent: tell support")


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
        if not Path(config.data_dir).is_dir():
            Path(config.data_dir).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise QueueWriteError(_error_message(exc, Path(config.queue_path))) from None
    reserve = config.queue.reserve_bytes
    return Outbox(config.queue_path, public_key_for, lambda: device_keypair(config), reserve_bytes=reserve)
