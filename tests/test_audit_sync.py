"""Audit entries leave the kiosk like submissions: sealed, through the outbox, exactly once."""
from __future__ import annotations

import pytest

from kiosk.audit import AuditLog
from kiosk.audit_sync import queue_audit, queued_up_to
from offline_queue import open_outbox
from offline_queue.devbackend import start_dev_backend
from offline_queue.keys import generate_keypair, write_keypair
from offline_queue.sync import Syncer
from tests.queue_fixtures import make_queue_config

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def setup(tmp_path):
    pair = generate_keypair()
    _, public = write_keypair(pair, tmp_path / "keys")
    backend = start_dev_backend(tmp_path / "backend.db", private_keys=[pair.private])
    config, _ = make_queue_config(tmp_path, destinations={"*": {"kind": "rest", "url": backend.url}},
                                  queue={"public_key": str(public)})
    yield config, backend
    backend.stop()


def test_new_entries_are_queued_once_and_delivered(setup):
    config, backend = setup
    log = AuditLog.for_config(config)
    log.append("login", "med.01")
    log.append("assist_start", "med.01")
    with open_outbox(config) as outbox:
        assert queue_audit(outbox, config, log) == 2
        assert queue_audit(outbox, config, log) == 0, "nothing new, nothing queued"
        log.append("logout", "med.01")
        assert queue_audit(outbox, config, log) == 1
        Syncer(outbox, config).run_once()
        assert outbox.counts()["delivered"] == 2
    rows = backend.rows()
    assert [r["service_id"] for r in rows] == ["ponte-audit", "ponte-audit"]
    batches = [r["payload"] for r in rows]
    seqs = [e["seq"] for b in batches for e in b["entries"]]
    assert seqs == [1, 2, 3] and batches[0]["kind"] == "audit"
    log.close()


def test_a_crash_before_the_note_does_not_duplicate(setup, monkeypatch):
    config, backend = setup
    log = AuditLog.for_config(config)
    log.append("login", "med.01")
    import kiosk.audit_sync as audit_sync
    monkeypatch.setattr(audit_sync, "_note_queued", lambda *a: None)  # as if killed right after enqueue
    with open_outbox(config) as outbox:
        queue_audit(outbox, config, log)
        queue_audit(outbox, config, log)
        assert sum(outbox.counts().values()) == 1, "the same range has the same id"
    assert queued_up_to(config) == 0
    log.close()


def test_no_rest_destination_means_export_only(tmp_path):
    config, _ = make_queue_config(tmp_path, destinations={"*": {"kind": "openrosa", "url": "http://127.0.0.1:9"}})
    log = AuditLog.for_config(config)
    log.append("login", "med.01")
    with open_outbox(config) as outbox:
        assert queue_audit(outbox, config, log) == 0
        assert sum(outbox.counts().values()) == 0
    log.close()
