"""Helpers for queue and sync tests elsewhere: a Config sealed with a fresh test key pair.

    from tests.queue_fixtures import make_queue_config, sample_payload
    config, private_key = make_queue_config(tmp_path)          # REST destination "*" -> 127.0.0.1:8765
    config, private_key = make_queue_config(tmp_path, destinations={"ministry": {"url": url}})
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from pathlib import Path

from kiosk.config import Config, config_from_dict
from offline_queue.keys import generate_keypair, write_keypair


def make_queue_config(tmp_path: Path, destinations: dict | None = None, queue: dict | None = None,
                      kiosk_id: str = "test-kiosk") -> tuple[Config, object]:
    """A Config whose data_dir is tmp_path/data and whose [queue] public_key is a freshly generated key."""
    pair = generate_keypair()
    _, public = write_keypair(pair, Path(tmp_path) / "backend-keys")
    raw = {
        "kiosk": {"data_dir": str(Path(tmp_path) / "data"), "id": kiosk_id},
        "queue": {"public_key": str(public), **(queue or {})},
        "destinations": destinations or {"*": {"kind": "rest", "url": "http://127.0.0.1:8765"}},
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
