"""The mediator audit log: append-only, hash-chained, free of personal data.

Every mediator action (login, failed PIN, assist start/end, consent given,
refused or withdrawn, fill-on-behalf, identity check, retry, sync, export,
exit...) becomes one entry in `<data_dir>/audit.db`:

    entry = {"seq", "ts", "kiosk", "action", "mediator", "details"}
    hash  = HMAC-SHA256(device_key, prev_hash + canonical_json(entry))
            (plain SHA-256(prev_hash + canonical_json(entry)) without a key)

`canonical_json` is sorted keys, no spaces, UTF-8. The first entry's
prev_hash is 64 zeros. `verify()` recomputes the chain and reports the first
entry that was edited, deleted, inserted or reordered. SQLite triggers refuse
UPDATE and DELETE, so the log can only be changed by someone editing the file
on purpose, and then `verify()` sees it (with a device key, forging a whole
new chain also needs the key).

No personal data: `details` accepts only the keys in `DETAIL_KEYS`, with short
scalar values, and `mediator` is the account id (never a citizen's). Answers,
names and numbers typed by the citizen have no field to go into.

The device key is `<data_dir>/audit.key` (32 random bytes, mode 0600), made on
first use; set `[audit] hmac = false` in the configuration to chain with
plain SHA-256 (then anyone can verify the export without the key).

Away from the kiosk, heads of the log signed with the device's Ed25519 key
(`kiosk.signing`) make an export verifiable with the public key alone; the
newest head is kept beside the log (`audit-head.json`) and ends every export,
so a rolled-back, truncated or deleted log is found.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from kiosk.signing import HEAD_TYPE, HeadKeeper, SigningError

log = logging.getLogger(__name__)

GENESIS = "0" * 64

ACTIONS = frozenset({
    "login", "login_failed", "login_locked", "logout",
    "assist_start", "assist_end",
    "consent_shown", "consent_given", "consent_refused", "consent_withdrawn",
    "fill_on_behalf", "identity_checked", "prefill", "signed_orally",
    "console_open", "console_close", "sync_now", "retry", "export_bundle", "audit_export",
    "exit", "restart", "settings", "reauth", "close_day", "receipt_reprint",
    "catalogue_switch",  # the kiosk itself (no mediator): the signed catalogue version the screen now offers
})
# The only keys `details` may hold; all describe the kiosk, never the citizen.
DETAIL_KEYS = frozenset({
    "service", "step", "language", "reason", "document", "outcome", "count",
    "destination", "item", "retry_in", "failures", "path_name", "role", "scope",
})
MAX_VALUE_LENGTH = 64


class AuditError(ValueError):
    """An entry the log refuses (unknown action, a detail that could carry personal data)."""


@dataclass(frozen=True)
class Entry:
    seq: int
    ts: str
    kiosk: str
    action: str
    mediator: str | None
    details: dict
    prev_hash: str
    hash: str

    def body(self) -> dict:
        return {"seq": self.seq, "ts": self.ts, "kiosk": self.kiosk, "action": self.action,
                "mediator": self.mediator, "details": self.details}

    def to_dict(self) -> dict:
        return {**self.body(), "prev_hash": self.prev_hash, "hash": self.hash}


@dataclass(frozen=True)
class Verification:
    ok: bool
    count: int
    problem: str = ""
    seq: int | None = None  # the first entry that does not fit


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(prev_hash: str, body: dict, key: bytes | None) -> str:
    message = (prev_hash + canonical_json(body)).encode("utf-8")
    if key:
        return hmac.new(key, message, hashlib.sha256).hexdigest()
    return hashlib.sha256(message).hexdigest()


def check_details(details: dict | None) -> dict:
    details = dict(details or {})
    for k, v in details.items():
        if k not in DETAIL_KEYS:
            raise AuditError(f"'{k}' is not an audit detail; allowed: {', '.join(sorted(DETAIL_KEYS))}")
        if v is not None and not isinstance(v, (str, int, float, bool)):
            raise AuditError(f"audit detail '{k}' must be a plain value")
        if isinstance(v, str) and len(v) > MAX_VALUE_LENGTH:
            raise AuditError(f"audit detail '{k}' is too long for a code")
    return details


def verify_entries(entries: Iterable[dict], key: bytes | None) -> Verification:
    """Check a sequence of entry dicts (from the database or an export)."""
    prev, expected_seq, count = GENESIS, 1, 0
    for e in entries:
        body = {k: e.get(k) for k in ("seq", "ts", "kiosk", "action", "mediator", "details")}
        if e.get("seq") != expected_seq:
            return Verification(False, count, f"entry {expected_seq} is missing or out of order "
                                              f"(found {e.get('seq')})", expected_seq)
        if e.get("prev_hash") != prev:
            return Verification(False, count, f"entry {e['seq']} does not follow the entry before it "
                                              "(an entry was deleted, inserted or moved)", e["seq"])
        if not hmac.compare_digest(chain_hash(prev, body, key), str(e.get("hash"))):
            return Verification(False, count, f"entry {e['seq']} was changed after it was written", e["seq"])
        prev, expected_seq, count = e["hash"], expected_seq + 1, count + 1
    return Verification(True, count)


def load_key(data_dir: Path, create: bool = True) -> bytes | None:
    path = Path(data_dir) / "audit.key"
    if path.is_file():
        return path.read_bytes()
    if not create:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(os.urandom(32))
    return path.read_bytes()


class AuditLog:
    def __init__(self, path: Path | str, *, kiosk_id: str = "ponte-dev", key: bytes | None = None,
                 clock: Callable[[], dt.datetime] | None = None,
                 sink: Callable[[dict], None] | None = None, heads: HeadKeeper | None = None):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.kiosk_id = kiosk_id
        self.key = key
        self._clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        self.sink = sink  # called with each new entry's dict (e.g. to queue it for the backend)
        self.heads = heads  # signs the newest head after each append (kiosk.signing)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript("""
            CREATE TABLE IF NOT EXISTS audit (
                seq INTEGER PRIMARY KEY, ts TEXT NOT NULL, kiosk TEXT NOT NULL, action TEXT NOT NULL,
                mediator TEXT, details TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
            CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
                BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
            CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
                BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        """)

    @classmethod
    def for_config(cls, config, **kwargs) -> "AuditLog":
        use_key = config.audit.hmac
        key = load_key(config.data_dir) if use_key else None
        if "heads" not in kwargs:
            try:
                kwargs["heads"] = HeadKeeper.for_data_dir(config.data_dir, config.kiosk_id)
            except SigningError as exc:  # the log still records; `kiosk audit verify` reports the key
                log.error("audit: heads are not signed: %s", exc)
        return cls(Path(config.data_dir) / "audit.db", kiosk_id=config.kiosk_id, key=key, **kwargs)

    def close(self) -> None:
        self._db.close()

    def append(self, action: str, mediator: str | None = None, **details: Any) -> Entry:
        if action not in ACTIONS:
            raise AuditError(f"unknown audit action '{action}'")
        details = check_details(details)
        ts = self._clock().astimezone(dt.timezone.utc).isoformat(timespec="seconds")
        with self._lock:
            entry = self._append_locked(ts, action, mediator, details)
        if self.heads is not None:
            try:
                self.heads.advance(entry.to_dict(), lambda: [e.to_dict() for e in self.entries()])
            except Exception as exc:  # noqa: BLE001 - the entry is written; verify reports a missing head
                log.warning("audit: the head was not signed (%s)", type(exc).__name__)
        if self.sink is not None:
            try:
                self.sink(entry.to_dict())
            except Exception:  # noqa: BLE001 - the local log is the record; syncing retries later
                pass
        return entry

    def _append_locked(self, ts: str, action: str, mediator: str | None, details: dict) -> Entry:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            row = self._db.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
            seq, prev = (row[0] + 1, row[1]) if row else (1, GENESIS)
            body = {"seq": seq, "ts": ts, "kiosk": self.kiosk_id, "action": action,
                    "mediator": mediator, "details": details}
            digest = chain_hash(prev, body, self.key)
            self._db.execute("INSERT INTO audit VALUES (?,?,?,?,?,?,?,?)",
                             (seq, ts, self.kiosk_id, action, mediator, canonical_json(details), prev, digest))
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        return Entry(seq, ts, self.kiosk_id, action, mediator, details, prev, digest)

    def entries(self, since: int = 0) -> list[Entry]:
        with self._lock:
            rows = self._db.execute("SELECT seq, ts, kiosk, action, mediator, details, prev_hash, hash "
                                    "FROM audit WHERE seq > ? ORDER BY rowid", (since,)).fetchall()
        return [Entry(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]), r[6], r[7]) for r in rows]

    def verify(self) -> Verification:
        return verify_entries((e.to_dict() for e in self.entries()), self.key)

    def export(self, out: Path | str) -> int:
        """Write every entry as JSON lines (one entry per line), then the signed head; returns the count."""
        entries = self.entries()
        head = self.heads.sign_entries([e.to_dict() for e in entries]) if self.heads is not None else None
        out = Path(out)
        tmp = out.with_name(out.name + ".tmp")
        with tmp.open("w", encoding="utf-8") as f:
            for e in entries:
                f.write(canonical_json(e.to_dict()) + "\n")
            if head is not None:
                f.write(canonical_json(head) + "\n")
        tmp.replace(out)
        return len(entries)


def read_export(path: Path | str) -> list[dict]:
    """The entries of an export (its signed head line left out: see `read_signed_export`)."""
    return read_signed_export(path)[0]


def read_signed_export(path: Path | str) -> tuple[list[dict], dict | None]:
    """The entries of an export and its signed head (None if it has none)."""
    with Path(path).open(encoding="utf-8") as f:
        lines = [json.loads(line) for line in f if line.strip()]
    heads = [x for x in lines if isinstance(x, dict) and x.get("type") == HEAD_TYPE]
    return [x for x in lines if not (isinstance(x, dict) and x.get("type") == HEAD_TYPE)], \
        (heads[-1] if heads else None)


def audit_payload(entries: list[Entry], kiosk_id: str) -> dict:
    """A batch of entries shaped for the backend: payload kind "audit".

    `kiosk.audit_sync.queue_audit` queues these through the sealed outbox (as
    service "ponte-audit"); the running kiosk does it every minute.
    """
    first, last = (entries[0].seq, entries[-1].seq) if entries else (0, 0)
    return {"kind": "audit", "kiosk_id": kiosk_id, "first_seq": first, "last_seq": last,
            "head_hash": entries[-1].hash if entries else GENESIS,
            "entries": [e.to_dict() for e in entries]}
