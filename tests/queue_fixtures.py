"""Helpers for queue and sync tests elsewhere: a Config sealed with a fresh test key pair.

    from tests.queue_fixtures import make_queue_config, sample_payload
    config, private_key = make_queue_config(tmp_path)          # REST destination "*" -> 127.0.0.1:8765
    config, private_key = make_queue_config(tmp_path, destinations={"ministry": {"url": url}})

Tests talk to servers on 127.0.0.1 over plain HTTP: both helpers add `allow_http = true` to destinations
whose url is http://127.0.0.1 (the kiosk refuses plain http:// without it). A test of that refusal builds
its config with config_from_dict.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from pathlib import Path

from kiosk.config import Config, config_from_dict
from offline_queue.keys import generate_keypair, write_keypair


def loopback_http(destinations: dict) -> dict:
    """The destinations, with allow_http = true where the url is http://127.0.0.1 (test servers)."""
    return {name: ({"allow_http": True, **spec} if str(spec.get("url", "")).startswith("http://127.0.0.1")
                   else spec) for name, spec in destinations.items()}


def make_queue_config(tmp_path: Path, destinations: dict | None = None, queue: dict | None = None,
                      kiosk_id: str = "test-kiosk") -> tuple[Config, object]:
    """A Config whose data_dir is tmp_path/data and whose [queue] public_key is a freshly generated key."""
    pair = generate_keypair()
    _, public = write_keypair(pair, Path(tmp_path) / "backend-keys")
    raw = {
        "kiosk": {"data_dir": str(Path(tmp_path) / "data"), "id": kiosk_id},
        "queue": {"public_key": str(public), **(queue or {})},
        "destinations": loopback_http(destinations or {"*": {"kind": "rest", "url": "http://127.0.0.1:8765"}}),
    }
    return config_from_dict(raw, base=Path(tmp_path)), pair.private


def sample_payload(reference: str = "ABCD1234", **extra) -> dict:
    """A payload shaped like the kiosk's, with recognisable (fake) personal data."""
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    payload = {
        "submission_id": str(uuid.uuid4()),
        "reference": reference,
        "service": {"id": "change-of-address", "version": 3},
        "language": "en",
        "kiosk_id": "test-kiosk",
        "started_at": now,
        "submitted_at": now,
        "answers": {"full_name": "Maria Canary-Silva", "new_address": "12 Rua do Canario"},
        "fields": {"person/name": "Maria Canary-Silva", "address": "12 Rua do Canario"},
        "form": {"id": "change_address", "version": "2024010101"},
    }
    payload.update(extra)
    return payload


# --- servers, policies and helpers shared by the queue and sync tests ---------------------------------

import datetime as _dt
import ipaddress
import socket
import time

from offline_queue.sync import SyncPolicy, Syncer

FAST = SyncPolicy(base_delay=0.01, max_delay=0.05, tls_delay=3600, timer=0.2, probe_interval=0.1)


def with_destinations(config: Config, destinations: dict) -> Config:
    """The same config (same data dir and key) with other destinations."""
    return config_from_dict({**config.raw, "destinations": loopback_http(destinations)})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def drain(syncer: Syncer, timeout: float = 20.0) -> None:
    """Run passes (ignoring backoff and pauses) until nothing is pending or timeout: for tests only."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        syncer.blocked_until.clear()
        syncer.outbox._write("UPDATE submissions SET next_attempt_at=0 WHERE state='failed'")  # noqa: SLF001
        syncer.run_once()
        if syncer.outbox.pending() == 0:
            return
        time.sleep(0.02)
    raise AssertionError(f"queue not drained: {syncer.outbox.counts()}")


def make_cert(directory: Path, *, expired: bool = False, name: str = "server"):
    """A CA and a server certificate for 127.0.0.1 signed by it; returns (ca_pem, cert_pem, key_pem)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    directory.mkdir(parents=True, exist_ok=True)
    now = _dt.datetime.now(_dt.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"Ponte test CA {name}")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - _dt.timedelta(days=10))
          .not_valid_after(now + _dt.timedelta(days=10))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    start, end = (now - _dt.timedelta(days=5), now - _dt.timedelta(days=1)) if expired else \
        (now - _dt.timedelta(days=1), now + _dt.timedelta(days=5))
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    ca_pem, cert_pem, key_pem = directory / f"{name}-ca.pem", directory / f"{name}.pem", directory / f"{name}-key.pem"
    ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return ca_pem, cert_pem, key_pem


def crash_child(raw_config: dict, log_path: str, child: int) -> None:
    """Crash-test child: enqueue and sync until SIGKILLed; logs each id once enqueue has returned."""
    import os
    import uuid as _uuid
    from offline_queue import open_outbox
    from offline_queue.sync import SyncWorker
    config = config_from_dict(raw_config)
    outbox = open_outbox(config)
    worker = SyncWorker(outbox, config, FAST)
    worker.start()
    fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    for n in range(1000):
        sid = str(_uuid.uuid5(_uuid.NAMESPACE_URL, f"ponte-crash/{child}/{n}"))
        outbox.enqueue(sample_payload(f"C{child:03d}{n:04d}"[:8], submission_id=sid), config.destination("any"))
        os.write(fd, (sid + "\n").encode())
        os.fsync(fd)
        time.sleep(0.002)
