"""Salvage: copy what is still readable from a damaged queue file into the live outbox.

Rows keep their submission id (the idempotency key), so a submission that had
in fact been delivered is recognised as a duplicate by the backend. Reading
goes row by row by key, so one damaged page costs the rows on it, not the file.
"""
from __future__ import annotations

import logging
import shutil
import sqlite3
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("offline_queue.salvage")

_MAGIC = b"SQLite format 3\x00"
_META = ("id, reference, service_id, service_version, destination, kind, state, attempts, last_error, error_kind, "
         "next_attempt_at, created_at, updated_at, delivered_at, remote_ref, content_type, body_seal")


@dataclass(frozen=True)
class SalvageResult:
    recovered: int      # undelivered submissions copied into the live queue
    skipped: int        # already delivered, or already in the live queue
    unreadable: int     # keys whose rows could not be read


def repair_wal_checksums(wal: Path) -> int:
    """Rewrite the running checksums of a WAL file so that SQLite reads every frame of its current generation
    (it stops at the first frame whose checksum fails, dropping every later commit). For a copy only: a
    damaged frame's page is then read as it is. Returns the number of frames rewritten."""
    data = bytearray(wal.read_bytes())
    if len(data) < 32:
        return 0
    magic = struct.unpack(">I", data[:4])[0]
    if magic not in (0x377F0682, 0x377F0683):
        magic = 0x377F0682
        data[:4] = struct.pack(">I", magic)
    word = struct.Struct(">2I" if magic & 1 else "<2I")
    page_size = struct.unpack(">I", data[8:12])[0]
    if not 512 <= page_size <= 65536 or page_size & (page_size - 1):
        return 0

    def checksum(block: bytes | bytearray, s0: int, s1: int) -> tuple[int, int]:
        for x0, x1 in word.iter_unpack(block):
            s0 = (s0 + x0 + s1) & 0xFFFFFFFF
            s1 = (s1 + x1 + s0) & 0xFFFFFFFF
        return s0, s1

    s0, s1 = checksum(data[:24], 0, 0)
    data[24:32] = struct.pack(">II", s0, s1)
    salts = bytes(data[16:24])
    frame, count = 32, 0
    while frame + 24 + page_size <= len(data):
        if bytes(data[frame + 8:frame + 16]) != salts:
            break  # an earlier generation: not part of the log
        s0, s1 = checksum(data[frame:frame + 8], s0, s1)
        s0, s1 = checksum(data[frame + 24:frame + 24 + page_size], s0, s1)
        data[frame + 16:frame + 24] = struct.pack(">II", s0, s1)
        frame += 24 + page_size
        count += 1
    wal.write_bytes(bytes(data))
    return count


def _open_copy(damaged: Path, workdir: Path, repair_wal: bool = False) -> sqlite3.Connection | None:
    """A connection to a copy (the kept file stays byte for byte as found), with its write-ahead log when one
    was kept beside it, so commits not yet checkpointed are read too; a broken magic string at the start of
    the copy is put back, since a torn first page often damages only that."""
    copy = workdir / "salvage.db"
    shutil.copyfile(damaged, copy)
    wal = damaged.with_name(damaged.name + "-wal")
    if wal.is_file() and wal.stat().st_size > 32:
        shutil.copyfile(wal, workdir / "salvage.db-wal")
        if repair_wal:
            repair_wal_checksums(workdir / "salvage.db-wal")
    for attempt in (1, 2):
        conn = sqlite3.connect(copy)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return conn
        except sqlite3.Error:
            conn.close()
            if attempt == 2:
                return None
            with open(copy, "r+b") as fh:
                fh.write(_MAGIC)
    return None


def _column(src: sqlite3.Connection, table: str, name: str) -> str:
    try:
        src.execute(f"SELECT {name} FROM {table} LIMIT 0")
        return name
    except sqlite3.Error:
        return "NULL"


def salvage(outbox, damaged: Path | str, max_gap: int = 2_000, repair_wal: bool = False) -> SalvageResult:
    """Copy undelivered rows of a damaged queue file (and the -wal kept beside it) into outbox; never raises on
    damage. repair_wal: the log's checksums are rebuilt first, so commits after a damaged frame are read too."""
    recovered = skipped = unreadable = 0
    with tempfile.TemporaryDirectory(prefix="ponte-salvage-") as workdir:
        try:
            src = _open_copy(Path(damaged), Path(workdir), repair_wal)
        except OSError:
            src = None
        if src is None:
            log.warning("salvage of %s: not readable as a database", Path(damaged).name)
            return SalvageResult(0, 0, 0)
        try:
            try:
                top = src.execute("SELECT max(seq) FROM submissions").fetchone()[0] or 0
            except sqlite3.Error:
                top = 0
            # Columns added by later migrations (ack keys, checksums) are absent in older files.
            ack_column, digest_column = (_column(src, "bodies", name) for name in ("ack_key", "digest"))
            has_files = _column(src, "attachments", "sha256") != "NULL"  # documents and signatures
            seq, failures = 0, 0
            # Probe keys one by one: a damaged interior page hides a range, not what follows it.
            while seq < top or failures < max_gap:
                seq += 1
                try:
                    row = src.execute(f"SELECT {_META} FROM submissions WHERE seq=?", (seq,)).fetchone()
                except sqlite3.Error:
                    row = False
                if not row:
                    failures += 1
                    unreadable += row is False
                    if seq > top + max_gap:
                        break
                    continue
                failures = 0
                if row[6] == "delivered":
                    skipped += 1
                    continue
                try:
                    body = src.execute(f"SELECT body, payload_sealed, {ack_column}, {digest_column} FROM bodies "
                                       "WHERE seq=?", (seq,)).fetchone()
                except sqlite3.Error:
                    body = None
                if body is None:
                    unreadable += 1
                    continue
                state = "dead" if row[6] == "dead" else "queued"
                if outbox.restore((*row[:6], state, *row[7:]), body[0], body[1], body[2], stored_digest=body[3]):
                    recovered += 1
                    if has_files:  # its attachments too; a submission is never sent without them
                        try:
                            files = src.execute("SELECT submission_id, name, content_type, seal, body, sha256 FROM "
                                                "attachments WHERE submission_id=?", (row[0],)).fetchall()
                        except sqlite3.Error:
                            files = None
                        outbox.restore_attachments(row[0], files)
                else:
                    skipped += 1
        finally:
            src.close()
    log.warning("salvage of %s: %d recovered, %d skipped, %d unreadable", Path(damaged).name,
                recovered, skipped, unreadable)
    return SalvageResult(recovered, skipped, unreadable)
