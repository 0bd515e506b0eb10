"""Sealing keys: X25519 key pairs in PEM files, and which key a kiosk seals with.

A real kiosk holds only the backend's *public* key (``[queue] public_key``).
Without that setting (the demo) the dev-backend's key pair is created on first
use in ``data_dir/dev-backend/``, so the demo works out of the box.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

PRIVATE_NAME = "private.pem"
PUBLIC_NAME = "public.pem"


class KeyFileError(Exception):
    """A key file that cannot be used; the message says which file and why."""


@dataclass(frozen=True)
class KeyPair:
    private: X25519PrivateKey
    public: X25519PublicKey


def generate_keypair() -> KeyPair:
    private = X25519PrivateKey.generate()
    return KeyPair(private, private.public_key())


def public_bytes(public: X25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public: X25519PublicKey) -> str:
    """Short fingerprint stored next to each sealed payload, so a backend knows which private key opens it."""
    return hashlib.sha256(public_bytes(public)).hexdigest()[:16]


def private_pem(private: X25519PrivateKey) -> bytes:
    return private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())


def public_pem(public: X25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def write_keypair(pair: KeyPair, directory: Path | str) -> tuple[Path, Path]:
    """Write private.pem (mode 0600) and public.pem into directory; returns both paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    priv, pub = directory / PRIVATE_NAME, directory / PUBLIC_NAME
    fd = os.open(priv, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(private_pem(pair.private))
    pub.write_bytes(public_pem(pair.public))
    return priv, pub


def load_public_key(path: Path | str) -> X25519PublicKey:
    try:
        key = serialization.load_pem_public_key(Path(path).read_bytes())
    except (OSError, ValueError) as exc:
        raise KeyFileError(f"{path}: cannot read the public key ({type(exc).__name__})") from None
    if not isinstance(key, X25519PublicKey):
        raise KeyFileError(f"{path}: not an X25519 public key; generate one with offline_queue.keys")
    return key


def load_private_key(path: Path | str) -> X25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise KeyFileError(f"{path}: cannot read the private key ({type(exc).__name__})") from None
    if not isinstance(key, X25519PrivateKey):
        raise KeyFileError(f"{path}: not an X25519 private key")
    return key


def ensure_keypair(directory: Path | str) -> KeyPair:
    """Load the pair in directory, creating it on first use."""
    directory = Path(directory)
    if not (directory / PRIVATE_NAME).is_file():
        write_keypair(generate_keypair(), directory)
    private = load_private_key(directory / PRIVATE_NAME)
    return KeyPair(private, private.public_key())


def dev_backend_dir(data_dir: Path | str) -> Path:
    return Path(data_dir) / "dev-backend"


def _resolve(config, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else Path(config.data_dir) / path


def sealing_public_key(config, destination=None) -> X25519PublicKey:
    """The key payloads are sealed with: destination's public_key, else [queue] public_key, else the dev-backend's."""
    value = (destination.options.get("public_key") if destination is not None else None) \
        or config.raw.get("queue", {}).get("public_key")
    if value:
        return load_public_key(_resolve(config, value))
    return ensure_keypair(dev_backend_dir(config.data_dir)).public


def device_keypair(config) -> KeyPair:
    """The kiosk's own key for OpenRosa bodies, which the kiosk itself must be able to open (see docs/queue.md)."""
    value = config.raw.get("queue", {}).get("device_key_dir")
    return ensure_keypair(_resolve(config, value) if value else Path(config.data_dir) / "device-key")
