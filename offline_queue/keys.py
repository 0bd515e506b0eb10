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


# A destination option only `kiosk demo` sets (commands/app.py; kiosk.toml refuses it as unknown): the demo
# seals with its own dev-backend's key.
DEMO_KEYS_FLAG = "demo_keys"


def _is_loopback(url: str) -> bool:
    import ipaddress
    from urllib.parse import urlsplit
    host = urlsplit(url).hostname or ""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _demo_keys_allowed(config, destination) -> bool:
    """The dev-backend's key may stand in for a missing backend key only in `kiosk demo` or for loopback
    destinations (a local dev-backend); a real backend could never open what was sealed with it."""
    targets = [destination] if destination is not None else list(config.destinations.values())
    return all(d.options.get(DEMO_KEYS_FLAG) is True or _is_loopback(d.url) for d in targets)


def _missing_key_message(config, destination) -> str:
    import difflib
    name = destination.name if destination is not None else "*"
    hints = []
    raw = config.raw
    for section in difflib.get_close_matches("queue", [k for k in raw if k != "queue"], n=1, cutoff=0.6):
        hints.append(f"the section [{section}] looks like a misspelt [queue]")
    known = {"public_key", "form_public_key", "form_public_key_file"}
    tables = [("[queue]", raw.get("queue") or {})] + \
        ([(f"[destinations.{name}]", destination.options)] if destination is not None else [])
    for where, table in tables:
        for key in difflib.get_close_matches("public_key", [k for k in table if k not in known], n=1, cutoff=0.75):
            hints.append(f"'{key}' in {where} looks like a misspelt public_key")
    return (f"no backend public key for destination '{name}': set public_key = \"/etc/ponte/backend-public.pem\" "
            f"in [queue] (or in [destinations.{name}]); the demo's own key is only used by `kiosk demo` and "
            "loopback destinations" + "".join(f"; {hint}" for hint in hints))


def sealing_public_key(config, destination=None) -> X25519PublicKey:
    """The key payloads are sealed with: destination's public_key, else [queue] public_key, else (demo and
    loopback destinations only) the dev-backend's. Raises KeyFileError naming the missing key otherwise."""
    value = (destination.options.get("public_key") if destination is not None else None) \
        or config.raw.get("queue", {}).get("public_key")
    if value:
        return load_public_key(_resolve(config, value))
    if not _demo_keys_allowed(config, destination):
        raise KeyFileError(_missing_key_message(config, destination))
    return ensure_keypair(dev_backend_dir(config.data_dir)).public


def check_sealing_keys(config) -> None:
    """At start-up: every destination has the key it seals with (ODK form keys included), without creating
    any key file. Raises KeyFileError with a message that names the missing or unreadable key."""
    from offline_queue.connectors.odk_crypto import form_public_key
    for destination in config.destinations.values():
        if form_public_key(destination) is not None:  # also refuses a form key on a REST destination
            continue
        value = destination.options.get("public_key") or config.raw.get("queue", {}).get("public_key")
        if value:
            load_public_key(_resolve(config, value))
        elif not _demo_keys_allowed(config, destination):
            raise KeyFileError(_missing_key_message(config, destination))


def device_keypair(config) -> KeyPair:
    """The kiosk's own key for OpenRosa bodies, which the kiosk itself must be able to open (see docs/queue.md)."""
    value = config.raw.get("queue", {}).get("device_key_dir")
    return ensure_keypair(_resolve(config, value) if value else Path(config.data_dir) / "device-key")
