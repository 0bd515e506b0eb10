"""Checking the kiosk's own audit log: its hash chain, and the heads signed earlier beside it.

`kiosk audit verify` and the mediator console use the same call, so both see a
rolled-back, truncated, replaced or deleted log (see `kiosk.signing`).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kiosk import signing
from kiosk.audit import AuditLog, load_key, verify_entries
from kiosk.audit_sync import queued_head

NO_LOG, INTACT, TAMPERED, SUSPECT = "no log", "intact", "tampered", "suspect"


@dataclass(frozen=True)
class LogCheck:
    """What checking the log found: `status` is NO_LOG, INTACT, TAMPERED, SUSPECT or a `kiosk.signing` status
    (rolled back, missing, replaced, bad signature); `problem` is one sentence without personal data."""

    status: str
    count: int = 0
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.status in (NO_LOG, INTACT)


def check_log(config) -> LogCheck:
    """Check `<data_dir>/audit.db` against its chain and against the signed heads (sidecar, last queued batch)."""
    data_dir = Path(config.data_dir)
    key = load_key(data_dir, create=False) if config.audit.hmac else None
    try:
        signer = signing.load_signer(data_dir, create=False)
        heads = [signing.read_head_file(data_dir / signing.HEAD_NAME), queued_head(config)]
    except signing.SigningError as exc:
        return LogCheck(SUSPECT, problem=f"the signing key or the signed head beside the log is unusable: {exc}")
    db = data_dir / "audit.db"
    entries: list[dict] | None = None
    if db.exists():
        log = AuditLog(db, kiosk_id=config.kiosk_id, key=key)
        try:
            entries = [e.to_dict() for e in log.entries()]
        finally:
            log.close()
    if any(h is not None for h in heads):
        if signer is None:
            return LogCheck(SUSPECT, problem=f"signed heads exist but the device signing key ({signing.PRIVATE_NAME}) "
                                             "is gone")
        found = signing.check_heads(entries, heads, signer.public)
        if not found.ok:
            return LogCheck(found.status, problem=found.problem)
    if entries is None:
        return LogCheck(NO_LOG)
    result = verify_entries(entries, key)
    if not result.ok:
        return LogCheck(TAMPERED, result.count, f"{result.problem} ({result.count} entries checked before it)")
    return LogCheck(INTACT, result.count)
