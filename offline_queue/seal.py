"""Sealed boxes: anyone with the public key can seal, only the private key opens.

Format (all binary): magic (4) | key id (8 bytes) | ephemeral X25519 public key
(32) | nonce (12) | AES-256-GCM ciphertext+tag. The header is authenticated as
associated data; the AES key comes from HKDF-SHA256 over the X25519 shared
secret, bound to both public keys (the libsodium sealed-box construction, with
primitives the `cryptography` package has).

"PNS1": one ephemeral key per blob. "PNS2" (what `Sealer` writes): an ephemeral
key reused for a bounded number of blobs within one process, with the nonce in
the HKDF info so every blob still gets its own AES key. The ephemeral private
key never leaves memory, so at rest nothing changes; it saves the X25519 key
generation and exchange (~2/3 of the sealing time) on every enqueue.

Acknowledgement key: from the same shared secret, HKDF with the label
"ponte-ack-v1" derives a second key per blob. The kiosk learns it while sealing
and keeps it with the queued body; the backend learns it when it opens the
blob. Nobody else can: a MAC with it over the submission id (`ack_mac`) proves
that the answer comes from the party that opened this payload, not from a proxy
that reflects the request (docs/sync-api.yaml, "Acknowledgement").
"""
from __future__ import annotations

import hashlib
import hmac
import os
import threading
import time

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from offline_queue.keys import key_id, public_bytes

MAGIC = b"PNS1"
MAGIC_REUSED = b"PNS2"
_HEADER = len(MAGIC) + 8 + 32 + 12
REUSE_LIMIT = 1000       # blobs per ephemeral key
REUSE_SECONDS = 600.0    # and at most this long


class SealError(Exception):
    """A sealed blob that cannot be opened (wrong key, damaged or not sealed)."""


def _derive(shared: bytes, eph: bytes, recipient: bytes, nonce: bytes = b"") -> bytes:
    info = (b"ponte-seal-v2" + eph + recipient + nonce) if nonce else (b"ponte-seal-v1" + eph + recipient)
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(shared)


def _derive_ack(shared: bytes, eph: bytes, recipient: bytes, nonce: bytes) -> bytes:
    # A label of its own: the ack key says nothing about the AES key of the payload.
    info = b"ponte-ack-v1" + eph + recipient + nonce
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(shared)


def ack_mac(ack_key: bytes, idempotency_key: str, case_reference: str | None = None) -> str:
    """The MAC a backend returns as `ack_mac` (hex): HMAC-SHA256 over "ponte-ack-v1", the idempotency key and
    the case reference (empty when there is none), separated by newlines."""
    message = b"\n".join([b"ponte-ack-v1", idempotency_key.encode("utf-8"), (case_reference or "").encode("utf-8")])
    return hmac.new(ack_key, message, hashlib.sha256).hexdigest()


def ack_mac_valid(ack_key: bytes, idempotency_key: str, case_reference: str | None, mac: object) -> bool:
    """True only if `mac` is the backend's ack_mac for this submission (constant-time comparison)."""
    if not isinstance(mac, str) or len(mac) != 64:
        return False
    return hmac.compare_digest(ack_mac(ack_key, idempotency_key, case_reference), mac.lower())


class Sealer:
    """Seals many blobs for one recipient, reusing an ephemeral key for at most REUSE_LIMIT blobs or
    REUSE_SECONDS (format PNS2). Thread-safe."""

    def __init__(self, public: X25519PublicKey):
        self.public = public
        self._recipient = public_bytes(public)
        self._kid = bytes.fromhex(key_id(public)[:16])
        # The ephemeral public key and its shared secret must always be read as a pair: a blob with one
        # key's header and another's secret could never be opened. Hence the lock.
        self._lock = threading.Lock()
        self._fresh()

    def _fresh(self) -> None:
        eph = X25519PrivateKey.generate()
        self._eph_pub = public_bytes(eph.public_key())
        self._shared = eph.exchange(self.public)
        self._uses, self._born = 0, time.monotonic()

    def seal(self, plaintext: bytes) -> bytes:
        return self.seal_with_ack(plaintext)[0]

    def seal_with_ack(self, plaintext: bytes) -> tuple[bytes, bytes]:
        """The sealed blob and its acknowledgement key (see the module docstring)."""
        with self._lock:
            if self._uses >= REUSE_LIMIT or time.monotonic() - self._born > REUSE_SECONDS:
                self._fresh()
            self._uses += 1
            eph_pub, shared = self._eph_pub, self._shared
        nonce = os.urandom(12)
        header = MAGIC_REUSED + self._kid + eph_pub + nonce
        key = _derive(shared, eph_pub, self._recipient, nonce)
        return header + AESGCM(key).encrypt(nonce, plaintext, header), \
            _derive_ack(shared, eph_pub, self._recipient, nonce)


def seal(plaintext: bytes, public: X25519PublicKey) -> bytes:
    eph = X25519PrivateKey.generate()
    eph_pub = public_bytes(eph.public_key())
    recipient = public_bytes(public)
    nonce = os.urandom(12)
    header = MAGIC + bytes.fromhex(key_id(public)[:16]) + eph_pub + nonce
    key = _derive(eph.exchange(public), eph_pub, recipient)
    return header + AESGCM(key).encrypt(nonce, plaintext, header)


def sealed_key_id(blob: bytes) -> str:
    """Which public key sealed this blob (hex), so the right private key can be picked during rotation."""
    if len(blob) < _HEADER or blob[:4] not in (MAGIC, MAGIC_REUSED):
        raise SealError("not a sealed payload")
    return blob[4:12].hex()


def open_sealed(blob: bytes, private: X25519PrivateKey) -> bytes:
    return open_sealed_with_ack(blob, private)[0]


def open_sealed_with_ack(blob: bytes, private: X25519PrivateKey) -> tuple[bytes, bytes]:
    """The plaintext and the blob's acknowledgement key (what a backend needs to compute `ack_mac`)."""
    if len(blob) < _HEADER + 16 or blob[:4] not in (MAGIC, MAGIC_REUSED):
        raise SealError("not a sealed payload")
    recipient = public_bytes(private.public_key())
    if blob[4:12].hex() != key_id(private.public_key()):
        raise SealError(f"sealed for key {blob[4:12].hex()}, not this private key")
    eph_pub, nonce = blob[12:44], blob[44:56]
    try:
        shared = private.exchange(X25519PublicKey.from_public_bytes(eph_pub))
        key = _derive(shared, eph_pub, recipient, nonce if blob[:4] == MAGIC_REUSED else b"")
        plaintext = AESGCM(key).decrypt(nonce, blob[_HEADER:], blob[:_HEADER])
        return plaintext, _derive_ack(shared, eph_pub, recipient, nonce)
    except (InvalidTag, ValueError):
        raise SealError("sealed payload damaged or sealed for another key") from None
