"""Sealed boxes: anyone with the public key can seal, only the private key opens.

Format (all binary): b"PNS1" | key id (8 bytes) | ephemeral X25519 public key
(32) | nonce (12) | AES-256-GCM ciphertext+tag. The header is authenticated as
associated data; the AES key comes from HKDF-SHA256 over the X25519 shared
secret, bound to both public keys (the libsodium sealed-box construction, with
primitives the `cryptography` package has).
"""
from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from offline_queue.keys import key_id, public_bytes

MAGIC = b"PNS1"
_HEADER = len(MAGIC) + 8 + 32 + 12


class SealError(Exception):
    """A sealed blob that cannot be opened (wrong key, damaged or not sealed)."""


def _derive(shared: bytes, eph: bytes, recipient: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"ponte-seal-v1" + eph + recipient).derive(shared)


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
    if len(blob) < _HEADER or not blob.startswith(MAGIC):
        raise SealError("not a sealed payload")
    return blob[4:12].hex()


def open_sealed(blob: bytes, private: X25519PrivateKey) -> bytes:
    if len(blob) < _HEADER + 16 or not blob.startswith(MAGIC):
        raise SealError("not a sealed payload")
    recipient = public_bytes(private.public_key())
    if blob[4:12].hex() != key_id(private.public_key()):
        raise SealError(f"sealed for key {blob[4:12].hex()}, not this private key")
    eph_pub, nonce = blob[12:44], blob[44:56]
    try:
        shared = private.exchange(X25519PublicKey.from_public_bytes(eph_pub))
        key = _derive(shared, eph_pub, recipient)
        return AESGCM(key).decrypt(nonce, blob[_HEADER:], blob[:_HEADER])
    except (InvalidTag, ValueError):
        raise SealError("sealed payload damaged or sealed for another key") from None
