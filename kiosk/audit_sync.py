"""Send the audit log to the backend through the same sealed outbox as submissions.

Entries not yet queued go out as one batch (`kiosk.audit.audit_payload`) with
service id "ponte-audit". The batch's id is derived from the kiosk and the
range of entries, so queueing the same range twice (a crash between queueing
and noting it) gives the same idempotency key and the backend keeps one copy.

Each batch carries the log's head at its last entry, signed with the device
key (`signed_head`, see `kiosk.signing`), and the note of what was queued keeps
that head too: a second place, beside the log's own sidecar, that remembers how
far the log reached.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from pathlib import Path

from kiosk.audit import AuditLog, Entry, audit_payload
from kiosk.reference import new_reference
from kiosk.signing import SigningError

AUDIT_SERVICE = {"id": "ponte-audit", "version": 1}
_NAMESPACE = uuid.UUID("6f1c3a52-6d0e-4b7e-9a55-4f1d2b1c0a11")


def _state_path(config) -> Path:
    return Path(config.data_dir) / "audit-sync.json"


def queued_up_to(config) -> int:
    try:
        return int(json.loads(_state_path(config).read_text(encoding="utf-8"))["queued_seq"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0


def queued_head(config) -> dict | None:
    """The signed head of the last batch queued, None if none was (or the note is unreadable)."""
    try:
        head = json.loads(_state_path(config).read_text(encoding="utf-8")).get("head")
    except (OSError, ValueError, AttributeError):
        return None
    return head if isinstance(head, dict) else None


def _note_queued(config, seq: int, head: dict | None = None) -> None:
    path = _state_path(config)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"queued_seq": seq, "head": head}), encoding="utf-8")
    os.replace(tmp, path)  # atomic: the note is either the old or the new one


def audit_destination(config):
    """`[audit] destination = NAME` in the config, else the catch-all destination; REST only."""
    name = config.audit.destination
    destination = config.destination(name)
    return destination if destination is not None and destination.kind == "rest" else None


def _batch_head(log: AuditLog, last: Entry) -> dict | None:
    """The signed head at the batch's last entry: the stored one if it is that entry, else signed now."""
    if log.heads is None:
        return None
    try:
        stored = log.heads.stored()
    except SigningError:
        stored = None
    if stored is not None and stored.get("seq") == last.seq and stored.get("hash") == last.hash:
        return stored
    return log.heads.sign_entries([e.to_dict() for e in log.entries() if e.seq <= last.seq])


def queue_audit(outbox, config, log: AuditLog | None = None) -> int:
    """Queue the entries not queued yet; return how many were queued (0 if none or nowhere to send)."""
    destination = audit_destination(config)
    if destination is None:
        return 0
    own_log = log is None
    log = log or AuditLog.for_config(config)
    try:
        entries = log.entries(since=queued_up_to(config))
        head = _batch_head(log, entries[-1]) if entries else None
    finally:
        if own_log:
            log.close()
    if not entries:
        return 0
    payload = audit_payload(entries, config.kiosk_id)
    if head is not None:
        payload["signed_head"] = head
    batch_id = str(uuid.uuid5(_NAMESPACE, f"{config.kiosk_id}:{entries[0].seq}-{entries[-1].seq}"))
    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
    payload.update(submission_id=batch_id, idempotency_key=batch_id, reference=new_reference(),
                   service=AUDIT_SERVICE, submitted_at=now)
    if outbox.get(batch_id) is None:  # already queued before a crash: only the note was missing
        outbox.enqueue(payload, destination)
    _note_queued(config, entries[-1].seq, head)
    return len(entries)
