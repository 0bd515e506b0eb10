"""Send the audit log to the backend through the same sealed outbox as submissions.

Entries not yet queued go out as one batch (`kiosk.audit.audit_payload`) with
service id "ponte-audit". The batch's id is derived from the kiosk and the
range of entries, so queueing the same range twice (a crash between queueing
and noting it) gives the same idempotency key and the backend keeps one copy.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from pathlib import Path

from kiosk.audit import AuditLog, audit_payload
from kiosk.reference import new_reference

AUDIT_SERVICE = {"id": "ponte-audit", "version": 1}
_NAMESPACE = uuid.UUID("6f1c3a52-6d0e-4b7e-9a55-4f1d2b1c0a11")


def _state_path(config) -> Path:
    return Path(config.data_dir) / "audit-sync.json"


def queued_up_to(config) -> int:
    try:
        return int(json.loads(_state_path(config).read_text(encoding="utf-8"))["queued_seq"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0


def _note_queued(config, seq: int) -> None:
    path = _state_path(config)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"queued_seq": seq}), encoding="utf-8")
    os.replace(tmp, path)  # atomic: the note is either the old or the new one


def audit_destination(config):
    """`[audit] destination = NAME` in the config, else the catch-all destination; REST only."""
    name = config.raw.get("audit", {}).get("destination", "audit")
    destination = config.destination(name)
    return destination if destination is not None and destination.kind == "rest" else None


def queue_audit(outbox, config, log: AuditLog | None = None) -> int:
    """Queue the entries not queued yet; return how many were queued (0 if none or nowhere to send)."""
    destination = audit_destination(config)
    if destination is None:
        return 0
    own_log = log is None
    log = log or AuditLog.for_config(config)
    try:
        entries = log.entries(since=queued_up_to(config))
    finally:
        if own_log:
            log.close()
    if not entries:
        return 0
    payload = audit_payload(entries, config.kiosk_id)
    batch_id = str(uuid.uuid5(_NAMESPACE, f"{config.kiosk_id}:{entries[0].seq}-{entries[-1].seq}"))
    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
    payload.update(submission_id=batch_id, idempotency_key=batch_id, reference=new_reference(),
                   service=AUDIT_SERVICE, submitted_at=now)
    if outbox.get(batch_id) is None:  # already queued before a crash: only the note was missing
        outbox.enqueue(payload, destination)
    _note_queued(config, entries[-1].seq)
    return len(entries)
