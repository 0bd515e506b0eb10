"""The kiosk's Ed25519 signing key, and signed heads of the audit log that an office can verify.

The audit chain (`kiosk.audit`) is keyed with the device's HMAC key, which
never leaves the kiosk; an office or a backend cannot recompute it. So the
kiosk also signs *heads* of its log with a per-device Ed25519 key whose public
key it hands out (`kiosk audit public-key`):

    head = {"type": "ponte-audit-head", "kiosk", "seq", "hash", "digest",
            "ts", "key_id", "signature"}

`seq`/`hash` are the newest entry's number and chain hash; `digest` is a
running SHA-256 over the entries anyone can recompute from an export:

    digest_0 = 64 zeros
    digest_n = SHA-256(digest_{n-1} + canonical_json(entry_n with prev_hash and hash))

The signature (base64) is Ed25519 over the UTF-8 canonical JSON of the head
without "signature". Knowing the public key, an office checks an export
without the HMAC key: the entries link up (seq and prev_hash), recompute to the
signed digest, and end at the signed seq and hash.

The kiosk keeps its newest signed head in a second place, beside the log
(`<data_dir>/audit-head.json`, rewritten after every entry), and each audit
batch sent to the backend carries one, as does each day-closing manifest
(`kiosk.closeday`). A log that ends before a head signed earlier was rolled
back or truncated; a log that is gone while a head exists was deleted.

Files: `<data_dir>/audit-signing.pem` (private, PKCS#8 PEM, mode 0600, made on
first use) and `audit-signing.pub.pem` (public, for the office).
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

log = logging.getLogger(__name__)

PRIVATE_NAME = "audit-signing.pem"
PUBLIC_NAME = "audit-signing.pub.pem"
HEAD_NAME = "audit-head.json"
HEAD_TYPE = "ponte-audit-head"
ZERO_DIGEST = "0" * 64


class SigningError(ValueError):
    """A key or a signed document that cannot be used; the message says which and why."""


def _canonical(value: Any) -> str:
    # The same canonical form as kiosk.audit.canonical_json (not imported: kiosk.audit imports this module).
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _now() -> str:
    # Microseconds: a backend orders the heads of one kiosk by when they were signed (check_progress).
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")


def raw_public(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public: Ed25519PublicKey) -> str:
    """A short fingerprint of a public key, carried in every signed document."""
    return hashlib.sha256(raw_public(public)).hexdigest()[:16]


def public_pem(public: Ed25519PublicKey) -> str:
    return public.public_bytes(serialization.Encoding.PEM,
                               serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def public_base64(public: Ed25519PublicKey) -> str:
    return base64.b64encode(raw_public(public)).decode("ascii")


def parse_public_key(text: str | bytes) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM or from base64 of its 32 raw bytes (what `kiosk audit public-key` prints)."""
    data = text.encode("ascii", "replace") if isinstance(text, str) else bytes(text)
    if b"-----BEGIN" in data:
        try:
            key = serialization.load_pem_public_key(data)
        except ValueError:
            raise SigningError("not a readable PEM public key") from None
        if not isinstance(key, Ed25519PublicKey):
            raise SigningError("not an Ed25519 public key (print the kiosk's with: kiosk audit public-key)")
        return key
    try:
        raw = base64.b64decode(data.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise SigningError("neither PEM nor base64: print the kiosk's key with: kiosk audit public-key") from None
    if len(raw) != 32:
        raise SigningError("an Ed25519 public key is 32 bytes; this one is not")
    return Ed25519PublicKey.from_public_bytes(raw)


def read_public_key(path: Path | str) -> Ed25519PublicKey:
    """The public key in a file (PEM or base64); SigningError names the file if it cannot be used."""
    try:
        return parse_public_key(Path(path).read_bytes())
    except OSError as exc:
        raise SigningError(f"{path}: cannot read the public key ({exc.strerror or type(exc).__name__})") from None
    except SigningError as exc:
        raise SigningError(f"{path}: {exc}") from None


@dataclass(frozen=True)
class DeviceSigner:
    """The kiosk's Ed25519 key: signs audit heads and day-closing manifests."""

    private: Ed25519PrivateKey

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    @property
    def key_id(self) -> str:
        return key_id(self.public)

    def sign(self, document: dict) -> dict:
        """The document with "key_id" and "signature" added (any old ones replaced)."""
        body = {k: v for k, v in document.items() if k != "signature"}
        body["key_id"] = self.key_id
        signature = self.private.sign(_canonical(body).encode("utf-8"))
        return {**body, "signature": base64.b64encode(signature).decode("ascii")}


def verify_signature(document: dict, public: Ed25519PublicKey) -> None:
    """Raise SigningError unless the document carries a valid signature by this public key."""
    if not isinstance(document, dict) or not isinstance(document.get("signature"), str):
        raise SigningError("it carries no signature")
    if document.get("key_id") != key_id(public):
        raise SigningError(f"it was signed by key {str(document.get('key_id'))[:16]!r}, "
                           f"not by the given public key ({key_id(public)})")
    try:
        signature = base64.b64decode(document["signature"], validate=True)
        body = {k: v for k, v in document.items() if k != "signature"}
        public.verify(signature, _canonical(body).encode("utf-8"))
    except (binascii.Error, ValueError, InvalidSignature):
        raise SigningError("its signature does not match its contents (it was changed after signing)") from None


def load_signer(data_dir: Path | str, create: bool = True) -> DeviceSigner | None:
    """The device key in data_dir, made on first use (private file mode 0600); None if absent and not create."""
    directory = Path(data_dir)
    path = directory / PRIVATE_NAME
    if not path.is_file():
        if not create:
            return None
        directory.mkdir(parents=True, exist_ok=True)
        private = Ed25519PrivateKey.generate()
        pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first: use theirs
        else:
            with os.fdopen(fd, "wb") as f:
                f.write(pem)
                f.flush()
                os.fsync(f.fileno())
            (directory / PUBLIC_NAME).write_text(public_pem(private.public_key()), encoding="ascii")
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise SigningError(f"{path}: cannot read the device signing key ({type(exc).__name__}); "
                           "restore it from the backup, or move it aside to make a new one") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningError(f"{path}: not an Ed25519 private key")
    return DeviceSigner(key)


# --- heads -------------------------------------------------------------------------------------------------

def extend_digest(digest: str, entries: Iterable[dict]) -> str:
    """The running digest after these entries (dicts with prev_hash and hash, as in an export)."""
    for entry in entries:
        digest = hashlib.sha256((digest + _canonical(entry)).encode("utf-8")).hexdigest()
    return digest


def make_head(signer: DeviceSigner, kiosk_id: str, seq: int, chain_hash: str, digest: str,
              ts: str | None = None) -> dict:
    """A signed head for a log whose newest entry is `seq` with chain hash `chain_hash`."""
    return signer.sign({"type": HEAD_TYPE, "kiosk": kiosk_id, "seq": int(seq), "hash": chain_hash,
                        "digest": digest, "ts": ts or _now()})


def head_of(signer: DeviceSigner, kiosk_id: str, entries: list[dict]) -> dict:
    """A signed head over these entries (the whole log from entry 1, as dicts)."""
    if not entries:
        return make_head(signer, kiosk_id, 0, "0" * 64, ZERO_DIGEST)
    return make_head(signer, kiosk_id, entries[-1]["seq"], entries[-1]["hash"], extend_digest(ZERO_DIGEST, entries))


def read_head_file(path: Path | str) -> dict | None:
    """The head stored in a sidecar file, None if there is none; SigningError if it is unreadable."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SigningError(f"{Path(path).name}: cannot read ({exc.strerror or type(exc).__name__})") from None
    try:
        head = json.loads(text)
    except ValueError:
        raise SigningError(f"{Path(path).name}: not a signed head (damaged?)") from None
    if not isinstance(head, dict) or head.get("type") != HEAD_TYPE or not isinstance(head.get("seq"), int):
        raise SigningError(f"{Path(path).name}: not a signed head (damaged?)")
    return head


def write_head_file(path: Path | str, head: dict) -> None:
    path = Path(path)
    # A name of its own per writer: the console and a `kiosk close-day` may sign at the same moment.
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with tmp.open("w", encoding="utf-8") as f:
        f.write(_canonical(head))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)  # atomic: the old head or the new one, never half


class HeadKeeper:
    """Keeps the newest signed head of one audit log in a sidecar file, a step behind each append.

    It never moves the stored head backwards: after a rollback the sidecar still names the newer entry, and
    `check_heads` reports it until someone looks into it (and moves the file aside). Two processes appending
    at once may leave it one entry behind, which weakens the check for that entry and never raises a false
    alarm.
    """

    def __init__(self, signer: DeviceSigner, path: Path | str, kiosk_id: str):
        self.signer = signer
        self.path = Path(path)
        self.kiosk_id = kiosk_id
        self._lock = threading.Lock()

    @classmethod
    def for_data_dir(cls, data_dir: Path | str, kiosk_id: str) -> "HeadKeeper":
        signer = load_signer(data_dir)
        if signer is None:  # not reached: load_signer creates the key
            raise SigningError("no device signing key")
        return cls(signer, Path(data_dir) / HEAD_NAME, kiosk_id)

    def stored(self) -> dict | None:
        return read_head_file(self.path)

    def sign_entries(self, entries: list[dict]) -> dict:
        """A fresh signed head over these entries (the whole log from entry 1), e.g. to end an export."""
        return head_of(self.signer, self.kiosk_id, entries)

    def advance(self, entry: dict, all_entries: Callable[[], list[dict]]) -> dict | None:
        """Sign a head at this new entry and store it; returns it (None if the stored head is newer).

        The digest is extended from the stored head when the entry follows it, else recomputed from
        all_entries(). A failure to write is logged, never raised: the log itself is the record.
        """
        with self._lock:
            try:
                stored = self.stored()
            except SigningError:
                stored = None  # damaged sidecar: a fresh head from the log replaces it
            if stored is not None and stored.get("seq", 0) >= entry["seq"]:
                return None
            if stored is not None and stored.get("seq") == entry["seq"] - 1 \
                    and stored.get("hash") == entry.get("prev_hash") and isinstance(stored.get("digest"), str):
                digest = extend_digest(stored["digest"], [entry])
                head = make_head(self.signer, self.kiosk_id, entry["seq"], entry["hash"], digest)
            else:
                entries = [e for e in all_entries() if e["seq"] <= entry["seq"]]
                head = head_of(self.signer, self.kiosk_id, entries)
            try:
                write_head_file(self.path, head)
            except OSError as exc:
                log.warning("audit: cannot store the signed head (%s)", exc.strerror or type(exc).__name__)
            return head


# --- checking a log against the heads signed earlier ------------------------------------------------------

INTACT, ROLLED_BACK, MISSING, REPLACED, UNSIGNED, BAD_SIGNATURE = (
    "intact", "rolled back", "missing", "replaced", "unsigned", "bad signature")


@dataclass(frozen=True)
class HeadCheck:
    """What comparing a log with signed heads found; `status` is one of the constants above."""

    status: str
    problem: str = ""
    head_seq: int = 0

    @property
    def ok(self) -> bool:
        return self.status == INTACT


def check_heads(entries: list[dict] | None, heads: Iterable[dict | None], public: Ed25519PublicKey) -> HeadCheck:
    """Compare a log (entries from 1, None if its file is gone) with heads signed earlier.

    A head with a bad signature counts as tampering; a head beyond the log's end means the newest entries
    were deleted or an older copy restored; a head whose hash or digest differs means another log replaced it.
    """
    newest: dict | None = None
    for head in heads:
        if head is None:
            continue
        try:
            verify_signature(head, public)
        except SigningError as exc:
            return HeadCheck(BAD_SIGNATURE, f"a stored signed head is not genuine: {exc}", int(head.get("seq", 0)))
        if newest is None or head["seq"] > newest["seq"]:
            newest = head
        if entries is None:
            continue
        seq = head["seq"]
        if seq > len(entries):
            continue  # reported below with the newest head
        if seq > 0 and (entries[seq - 1].get("hash") != head["hash"]
                        or extend_digest(ZERO_DIGEST, entries[:seq]) != head["digest"]):
            return HeadCheck(REPLACED, f"entry {seq} is not the one signed on {head.get('ts')}: "
                                       "the log was replaced by another one", seq)
    if newest is None or newest["seq"] == 0:
        return HeadCheck(INTACT)
    if entries is None:
        return HeadCheck(MISSING, f"the audit log is gone, but entry {newest['seq']} was signed on "
                                  f"{newest.get('ts')}: it was deleted", newest["seq"])
    if newest["seq"] > len(entries):
        return HeadCheck(ROLLED_BACK, f"the log ends at entry {len(entries)}, but entry {newest['seq']} was signed "
                                      f"on {newest.get('ts')}: the newest entries were deleted or an older copy "
                                      "was put back", newest["seq"])
    return HeadCheck(INTACT, head_seq=newest["seq"])


def check_progress(known: dict, new: dict) -> str | None:
    """For a backend: what is wrong with head `new` signed after head `known` (both verified), or None.

    Heads arrive out of order (batches are sent in parallel): compare them in the order of their `ts`.

    A head behind one already received means the log was rolled back or truncated; the same entry with another
    hash means it was replaced.
    """
    if new.get("kiosk") != known.get("kiosk"):
        return "the heads are from different kiosks"
    if new["seq"] < known["seq"]:
        return (f"rolled back: entry {new['seq']} is the newest now, but entry {known['seq']} was signed on "
                f"{known.get('ts')}")
    if new["seq"] == known["seq"] and (new["hash"] != known["hash"] or new["digest"] != known["digest"]):
        return f"replaced: entry {new['seq']} differs from the one signed on {known.get('ts')}"
    return None


@dataclass(frozen=True)
class ExportCheck:
    """The result of verifying an export with the public key alone."""

    ok: bool
    count: int
    problem: str = ""
    head: dict | None = None


def verify_export(entries: list[dict], head: dict | None, public: Ed25519PublicKey) -> ExportCheck:
    """Check an export away from the kiosk: signed head genuine, entries linked and recomputing to it.

    Needs no HMAC key: the chain hashes are checked for linkage (each prev_hash is the hash before it), the
    bodies through the signed running digest.
    """
    if head is None:
        return ExportCheck(False, 0, "the export carries no signed head (not written by a kiosk with a device "
                                     "key, or the head line was removed)")
    try:
        verify_signature(head, public)
    except SigningError as exc:
        return ExportCheck(False, 0, f"the signed head is not genuine: {exc}", head)
    prev: Any = "0" * 64
    count = 0
    for expected, entry in enumerate(entries, start=1):
        if entry.get("seq") != expected:
            return ExportCheck(False, count, f"entry {expected} is missing or out of order (found {entry.get('seq')})",
                               head)
        if entry.get("prev_hash") != prev:
            return ExportCheck(False, count, f"entry {expected} does not follow the entry before it", head)
        if entry.get("kiosk") != head.get("kiosk"):
            return ExportCheck(False, count, f"entry {expected} is from another kiosk than the signed head", head)
        prev, count = entry.get("hash"), count + 1
    if count != head.get("seq"):
        return ExportCheck(False, count, f"the export has {count} entries but the signed head names entry "
                                         f"{head.get('seq')} (entries deleted or added)", head)
    if count and prev != head.get("hash"):
        return ExportCheck(False, count, "the last entry is not the one signed", head)
    if extend_digest(ZERO_DIGEST, entries) != head.get("digest"):
        return ExportCheck(False, count, "an entry was changed after it was signed (the digest differs)", head)
    return ExportCheck(True, count, head=head)
