"""Closing the day: a signed manifest of the kiosk's books, kept, and queued for the backend.

At the end of a day or of a van's tour the mediator (with the PIN, from the
console) or the operator (`kiosk close-day`) closes the books. The closing is
first an audit entry ("close_day"); then a manifest is made:

    {"type": "ponte-close-day", "version": 2, "kiosk_id", "closed_at", "closed_by",
     "submissions": {state: count},            citizens' submissions only
     "internal": {service_id: {state: count}}, audit batches, earlier manifests
     "queue_digest": {"algorithm": "sha256", "rows", "value"},
     "audit_head": {signed head of the audit log, at the close_day entry},
     "previous": sha256 of the previous manifest's canonical JSON, or null,
     "key_id", "signature"}

`queue_digest` is SHA-256 over one line per outbox row in enqueue order,
"<submission_id>\\t<state>\\t<sha256 of the stored body, hex, or '-' once
delivered and purged>\\t<attachments>\\n", where <attachments> is
"<name>=<sha256 hex of the stored (sealed) bytes>" for each of the row's files
in name order, joined by ",", or "-" when it has none (version 2; version 1
had no attachments field). The manifest is signed with the device's Ed25519
key (`kiosk.signing`: signature over the canonical JSON without
"signature"), so whoever holds the public key can check it; the audit head in
it is signed by the same key. With `previous`, manifests form a chain: a
missing closing shows as a gap.

The backend receives it through the outbox like an audit batch (service
"ponte-close-day", payload kind "close_day") and can detect what the local log
alone cannot: an audit head older than one it already holds (rollback or
truncation), a different hash at the same entry (replacement), or no log at all.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Protocol

from kiosk import RIGHT_TO_LEFT
from kiosk.audit import AuditLog, canonical_json
from kiosk.audit_sync import AUDIT_SERVICE, audit_destination
from kiosk.config import Destination
from kiosk.feedback import FEEDBACK_SERVICE
from kiosk.mediators import MediatorStore, login
from kiosk.receipt import format_date
from kiosk.reference import new_reference
from kiosk.signing import DeviceSigner, SigningError, head_of, load_signer, verify_signature
from translations import text as tr

MANIFEST_TYPE = "ponte-close-day"
MANIFEST_VERSION = 2  # 2: the queue digest covers each row's attachments
CLOSE_DAY_SERVICE = {"id": "ponte-close-day", "version": 1}
INTERNAL_SERVICES: frozenset[str] = frozenset(str(s["id"]) for s in (AUDIT_SERVICE, CLOSE_DAY_SERVICE, FEEDBACK_SERVICE))
LAST_NAME = "close-day-last.json"
_NAMESPACE = uuid.UUID("0b7d7f0e-3a8e-4d4c-9d35-7c2f5b9e1c42")


class CloseDayError(ValueError):
    """The day could not be closed; the message says what to do."""


class Books(Protocol):
    """What closing the day needs of the outbox (`offline_queue.outbox.Outbox` has all three)."""

    def body_digests(self) -> Iterable[tuple[str, str, str, bytes | None]]:
        """(submission id, state, service id, sha256 of the stored body or None) of every row, in enqueue order."""

    def attachment_digests(self) -> dict[str, list[tuple[str, str]]]:
        """{submission id: [(file name, sha256 hex of the stored bytes)] in name order} of every stored file."""

    def get(self, reference: str) -> Any:
        """The row with this id or reference, None if none."""

    def enqueue(self, payload: dict[str, Any], destination: Destination) -> None:
        """Write the payload durably for this destination."""


@dataclass(frozen=True)
class Closing:
    """A closed day: the signed manifest, where it was written, whether it was queued for the backend."""

    manifest: dict
    path: Path | None
    queued: bool
    audit_seq: int

    @property
    def total(self) -> int:
        return sum(self.manifest["submissions"].values())


def queue_books(outbox: Books) -> tuple[dict[str, int], dict[str, dict[str, int]], dict]:
    """Counts by state (citizens' submissions), counts of internal rows by service, and the queue digest."""
    h, rows = hashlib.sha256(), 0
    states: Counter[str] = Counter()
    internal: dict[str, Counter[str]] = {}
    files = outbox.attachment_digests()
    for submission_id, state, service_id, body_digest in outbox.body_digests():
        # File names are plain (letters, digits, . _ -: kiosk.documents.check_name), so "=" and "," cannot be
        # forged inside one; sorted here too, whatever order the store gave.
        attached = ",".join(f"{name}={sha}" for name, sha in sorted(files.get(submission_id, ()))) or "-"
        h.update(f"{submission_id}\t{state}\t{body_digest.hex() if body_digest else '-'}\t{attached}\n"
                 .encode("utf-8"))
        rows += 1
        if service_id in INTERNAL_SERVICES:
            internal.setdefault(service_id, Counter())[state] += 1
        else:
            states[state] += 1
    return (dict(sorted(states.items())), {k: dict(sorted(v.items())) for k, v in sorted(internal.items())},
            {"algorithm": "sha256", "rows": rows, "value": h.hexdigest()})


def manifest_digest(manifest: dict) -> str:
    """What the next manifest names as "previous"."""
    return hashlib.sha256(canonical_json(manifest).encode("utf-8")).hexdigest()


def build_manifest(outbox: Books, log: AuditLog, signer: DeviceSigner, *, kiosk_id: str, closed_by: str,
                   closed_at: str, previous: str | None = None) -> dict:
    """The signed manifest of the books as they are now (see the module's docstring for its fields)."""
    submissions, internal, digest = queue_books(outbox)
    head = head_of(signer, kiosk_id, [e.to_dict() for e in log.entries()])
    return signer.sign({"type": MANIFEST_TYPE, "version": MANIFEST_VERSION, "kiosk_id": kiosk_id,
                        "closed_at": closed_at, "closed_by": closed_by, "submissions": submissions, "internal": internal,
                        "queue_digest": digest, "audit_head": head, "previous": previous})


def verify_manifest(manifest: dict, public) -> None:
    """Raise SigningError unless the manifest and its audit head are genuine and belong together."""
    if not isinstance(manifest, dict) or manifest.get("type") != MANIFEST_TYPE:
        raise SigningError("not a day-closing manifest")
    verify_signature(manifest, public)
    head = manifest.get("audit_head")
    if not isinstance(head, dict):
        raise SigningError("it carries no audit head")
    try:
        verify_signature(head, public)
    except SigningError as exc:
        raise SigningError(f"its audit head: {exc}") from None
    if head.get("kiosk") != manifest.get("kiosk_id"):
        raise SigningError("its audit head is from another kiosk")


def _write_json(path: Path, value: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        f.write(json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _previous(state_dir: Path) -> str | None:
    try:
        return json.loads((state_dir / LAST_NAME).read_text(encoding="utf-8"))["digest"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def close_day(outbox: Books, log: AuditLog, signer: DeviceSigner, *, kiosk_id: str, state_dir: Path | str,
              mediator: str | None = None, destination: Destination | None = None, out: Path | str | None = None,
              clock: Callable[[], dt.datetime] | None = None) -> Closing:
    """Close the books: an audit entry, then the signed manifest written to `out` and queued to `destination`.

    `mediator` is the account that closed it (already signed in with the PIN); None for the operator's command
    line. Without a destination the manifest is only written (and kept as the last one). Raises CloseDayError.
    """
    state_dir = Path(state_dir)
    submissions, _, _ = queue_books(outbox)
    entry = log.append("close_day", mediator, count=sum(submissions.values()),
                       role="mediator" if mediator else "operator")
    closed_at = (clock or (lambda: dt.datetime.now(dt.timezone.utc)))().astimezone(dt.timezone.utc) \
        .isoformat(timespec="seconds").replace("+00:00", "Z")
    manifest = build_manifest(outbox, log, signer, kiosk_id=kiosk_id, closed_by=mediator or "operator",
                              closed_at=closed_at, previous=_previous(state_dir))
    path = Path(out) if out is not None else None
    try:
        if path is not None:
            _write_json(path, manifest)
        _write_json(state_dir / LAST_NAME, {"digest": manifest_digest(manifest), "manifest": manifest})
    except OSError as exc:
        raise CloseDayError(f"cannot write the manifest ({exc.strerror or type(exc).__name__}): "
                            f"{getattr(exc, 'filename', '') or ''}; free some space or choose another --out") from None
    queued = False
    if destination is not None:
        closing_id = str(uuid.uuid5(_NAMESPACE, f"{kiosk_id}:{entry.seq}"))
        payload = {"kind": "close_day", "kiosk_id": kiosk_id, "submission_id": closing_id,
                   "idempotency_key": closing_id, "reference": new_reference(), "service": dict(CLOSE_DAY_SERVICE),
                   "submitted_at": closed_at, "manifest": manifest}
        if outbox.get(closing_id) is None:
            outbox.enqueue(payload, destination)
        queued = True
    return Closing(manifest, path, queued, entry.seq)


def close_day_for_config(config, outbox: Books, *, mediator: str | None = None, out: Path | str | None = None,
                         log: AuditLog | None = None) -> Closing:
    """`close_day` with the kiosk's own audit log, device key and audit destination."""
    try:
        signer = load_signer(config.data_dir)
    except SigningError as exc:
        raise CloseDayError(str(exc)) from None
    assert signer is not None
    own_log = log is None
    log = log or AuditLog.for_config(config)
    try:
        return close_day(outbox, log, signer, kiosk_id=config.kiosk_id, state_dir=config.data_dir,
                         mediator=mediator, destination=audit_destination(config), out=out)
    finally:
        if own_log:
            log.close()


def close_day_with_pin(config, outbox: Books, store: MediatorStore, mediator_id: str, pin: str, *, out: Path | str | None = None,
                       log: AuditLog | None = None) -> Closing:
    """For the mediator console: check the PIN (the attempt is audited like a sign-in), then close the day.

    Raises CloseDayError when the PIN is refused (wrong, locked or disabled account).
    """
    own_log = log is None
    log = log or AuditLog.for_config(config)
    try:
        result = login(store, log, mediator_id, pin)
        if not result.ok:
            raise CloseDayError("the PIN was not accepted; the day is not closed"
                                + (f" (try again in {result.retry_in} s)" if result.retry_in else ""))
        return close_day_for_config(config, outbox, mediator=mediator_id, out=out, log=log)
    finally:
        if own_log:
            log.close()


# --- the printed sheet ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SheetLine:
    """One line of the printed day sheet: a label and its value; `code` values (digests, ids) print in a fixed
    width font."""

    label: str
    value: str = ""
    code: bool = False


@dataclass(frozen=True)
class DaySheet:
    """A day-closing manifest as staff read it on paper (A4, A6 or a thermal roll): already worded, no personal
    data (counts, digests and ids only). Drawn by ui/manifest_print.py."""

    language: str
    heading: str
    reference: str  # what the print job and the PDF are titled with: kiosk id and closing time
    header: tuple[SheetLine, ...]
    counts_label: str
    counts: tuple[SheetLine, ...]
    details: tuple[SheetLine, ...]
    qr_text: str  # the manifest's fingerprint, to match the paper with the manifest the backend received
    qr_label: str
    note: str
    rtl: bool = False  # staff sheets are laid out left to right (Arabic words are not used on them)


def sheet_language(language: str) -> str:
    """The language the sheet is worded in: the kiosk's default, or English where that is written right to left."""
    return "en" if language in RIGHT_TO_LEFT else language


def _grouped(hex_text: str, size: int = 8, per_line: int = 4) -> str:
    """A long hex digest in groups of `size`, `per_line` groups a line, so a person can compare it by eye and it
    fits a receipt roll."""
    groups = [hex_text[i:i + size] for i in range(0, len(hex_text), size)]
    return "\n".join(" ".join(groups[i:i + per_line]) for i in range(0, len(groups), per_line))


def day_sheet(manifest: dict, language: str, *, local: dt.tzinfo | None = None) -> DaySheet:
    """The words of the printed sheet for a signed manifest, in `language` (see `sheet_language`)."""
    language = sheet_language(language)
    closed_at = str(manifest.get("closed_at", ""))
    try:
        moment = dt.datetime.fromisoformat(closed_at.replace("Z", "+00:00")).astimezone(local)
        when = f"{format_date(moment, language)} ({closed_at})"
    except ValueError:
        when = closed_at
    closed_by = str(manifest.get("closed_by", ""))
    header = (SheetLine(tr(language, "m.closeday.kiosk"), str(manifest.get("kiosk_id", ""))),
              SheetLine(tr(language, "m.closeday.closed_at"), when),
              SheetLine(tr(language, "m.closeday.closed_by"),
                        tr(language, "m.closeday.operator") if closed_by == "operator" else closed_by))
    submissions = manifest.get("submissions") or {}
    counts = [SheetLine(str(state), str(n)) for state, n in submissions.items()]
    counts.append(SheetLine(tr(language, "m.closeday.total"), str(sum(submissions.values()))))
    internal = sum(sum(states.values()) for states in (manifest.get("internal") or {}).values())
    counts.append(SheetLine(tr(language, "m.closeday.internal"), str(internal)))
    digest = manifest.get("queue_digest") or {}
    head = manifest.get("audit_head") or {}
    details = (SheetLine(tr(language, "m.closeday.digest", rows=digest.get("rows", 0)),
                         _grouped(str(digest.get("value", ""))), code=True),
               SheetLine(tr(language, "m.closeday.audit_head", seq=head.get("seq", 0)),
                         _grouped(str(head.get("hash", ""))), code=True),
               SheetLine(tr(language, "m.closeday.key"), str(manifest.get("key_id", "")), code=True),
               SheetLine(tr(language, "m.closeday.previous"),
                         _grouped(str(manifest["previous"])) if manifest.get("previous")
                         else tr(language, "m.closeday.first"), code=bool(manifest.get("previous"))))
    fingerprint = manifest_digest(manifest)
    return DaySheet(language=language, heading=tr(language, "m.closeday.sheet_title"),
                    reference=f"{manifest.get('kiosk_id', '')} {closed_at}", header=header,
                    counts_label=tr(language, "m.closeday.by_state"), counts=tuple(counts), details=details,
                    qr_text=f"ponte-close-day:{manifest.get('kiosk_id', '')}:{closed_at}:{fingerprint}",
                    qr_label=tr(language, "m.closeday.fingerprint", short=fingerprint[:16]),
                    note=tr(language, "m.closeday.note"))
