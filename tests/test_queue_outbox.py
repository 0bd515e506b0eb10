"""The outbox on its own: states, sealing, recovery, errors. No network."""
from __future__ import annotations

import sqlite3

import pytest

from offline_queue import QueueWriteError, open_outbox
from offline_queue.keys import generate_keypair
from offline_queue.outbox import SCHEMA_VERSION
from offline_queue.seal import SealError, open_sealed, seal
from tests.queue_fixtures import make_queue_config, sample_payload

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def setup(tmp_path):
    config, private = make_queue_config(tmp_path, destinations={
        "*": {"url": "http://127.0.0.1:9"},
        "odk": {"kind": "openrosa", "url": "http://127.0.0.1:9/submission"},
    })
    outbox = open_outbox(config)
    yield config, private, outbox
    outbox.close()


def test_enqueue_counts_and_open(setup):
    config, private, outbox = setup
    payload = sample_payload()
    outbox.enqueue(payload, config.destination("any"))
    assert outbox.counts() == {"queued": 1, "sending": 0, "delivered": 0, "failed": 0, "dead": 0}
    assert outbox.open_payload("ABCD1234", private) == payload


def test_openrosa_payload_opens_with_backend_key(setup):
    config, private, outbox = setup
    payload = sample_payload("QQQQ1111")
    outbox.enqueue(payload, config.destination("odk"))
    assert outbox.open_payload("QQQQ1111", private) == payload
    (claimed,) = outbox.claim()
    assert f"<instanceID>uuid:{payload['submission_id']}</instanceID>".encode() in claimed.body


def test_same_submission_twice_is_one_row(setup):
    config, _, outbox = setup
    payload = sample_payload()
    outbox.enqueue(payload, config.destination("x"))
    outbox.enqueue(payload, config.destination("x"))
    assert outbox.counts()["queued"] == 1


def test_crash_while_sending_goes_back_to_queued(setup):
    config, _, outbox = setup
    outbox.enqueue(sample_payload(), config.destination("x"))
    assert len(outbox.claim()) == 1
    assert outbox.counts()["sending"] == 1
    outbox.close()
    reopened = open_outbox(config)
    assert reopened.counts()["queued"] == 1
    assert reopened.items()[0].attempts == 1
    reopened.close()


def test_delivered_purges_payload_keeps_receipt(setup):
    config, private, outbox = setup
    outbox.enqueue(sample_payload(), config.destination("x"))
    (claimed,) = outbox.claim()
    outbox.mark_delivered([(claimed.item.id, "CASE-1")])
    item = outbox.get("ABCD1234")
    assert item.state == "delivered" and item.remote_ref == "CASE-1"
    with pytest.raises(Exception, match="purged"):
        outbox.open_payload("ABCD1234", private)
    assert outbox.purge_receipts(older_than_seconds=-1) == 1
    assert outbox.get("ABCD1234") is None


def test_dead_and_retry(setup):
    config, _, outbox = setup
    outbox.enqueue(sample_payload(), config.destination("x"))
    (claimed,) = outbox.claim()
    outbox.mark_dead(claimed.item.id, "HTTP 400: field postcode invalid")
    item = outbox.get("ABCD1234")
    assert item.state == "dead" and "postcode" in item.last_error
    assert outbox.retry("ABCD1234") == 1
    assert outbox.counts()["queued"] == 1


def test_seal_roundtrip_and_wrong_key():
    pair, other = generate_keypair(), generate_keypair()
    blob = seal(b"secret", pair.public)
    assert open_sealed(blob, pair.private) == b"secret"
    with pytest.raises(SealError):
        open_sealed(blob, other.private)
    with pytest.raises(SealError):
        open_sealed(blob[:-1] + bytes([blob[-1] ^ 1]), pair.private)


def test_schema_is_versioned(setup):
    config, _, outbox = setup
    conn = sqlite3.connect(config.queue_path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_write_error_is_queue_write_error(setup):
    config, _, outbox = setup
    outbox.enqueue(sample_payload("AAAA0001"), config.destination("x"))
    # A read-only database file: the error is clear and carries the key the UI translates.
    outbox.close()
    config.queue_path.chmod(0o444)
    conn = sqlite3.connect(f"file:{config.queue_path}?mode=ro", uri=True, isolation_level=None)
    box = open_outbox(config)
    box._conn.close()
    box._conn = conn
    payload = sample_payload("BBBB0002", answers={"full_name": "Joana Secret"})
    with pytest.raises(QueueWriteError) as info:
        box.enqueue(payload, config.destination("x"))
    assert info.value.key == "queue_write_failed"
    assert "Joana" not in str(info.value) and "read-only" in str(info.value)
    conn.close()
    config.queue_path.chmod(0o644)


def test_migration_from_schema_1_keeps_queued_bodies(tmp_path):
    import sqlite_utils
    from offline_queue.outbox import MIGRATIONS
    config, private = make_queue_config(tmp_path)
    config.data_dir.mkdir(parents=True)
    conn = sqlite3.connect(config.queue_path)
    MIGRATIONS[0](sqlite_utils.Database(conn))
    conn.execute("PRAGMA user_version=1")
    # A schema-1 row, rendered by today's code.
    payload = sample_payload("MIGR0001")
    from offline_queue.connectors.render import render_rest
    from offline_queue.keys import load_public_key
    body = render_rest(payload, load_public_key(config.raw["queue"]["public_key"])).body
    conn.execute("INSERT INTO submissions (id, reference, service_id, service_version, destination, kind, state, "
                 "attempts, created_at, content_type, body, body_seal) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                 (payload["submission_id"], "MIGR0001", "s", "1", "*", "rest", "queued", 0, 1.0,
                  "application/json", body, "none"))
    conn.commit()
    conn.close()
    outbox = open_outbox(config)
    assert outbox.open_payload("MIGR0001", private) == payload
    assert len(outbox.claim()) == 1
    outbox.close()


def test_sealer_reuses_an_ephemeral_key_a_bounded_number_of_times(monkeypatch):
    import offline_queue.seal as seal_module
    from offline_queue.seal import Sealer
    monkeypatch.setattr(seal_module, "REUSE_LIMIT", 3)
    pair = generate_keypair()
    sealer = Sealer(pair.public)
    blobs = [sealer.seal(b"same plaintext") for _ in range(7)]
    assert all(open_sealed(b, pair.private) == b"same plaintext" for b in blobs)
    ephemerals = [b[12:44] for b in blobs]
    assert len(set(ephemerals)) == 3 and ephemerals[0] == ephemerals[2] != ephemerals[3]
    assert len({b[56:] for b in blobs}) == 7  # own nonce, own key: no two ciphertexts alike
    with pytest.raises(SealError):
        open_sealed(blobs[0][:50] + bytes([blobs[0][50] ^ 1]) + blobs[0][51:], pair.private)  # nonce is bound


def test_second_process_does_not_requeue_what_a_live_one_is_sending(setup):
    config, _, outbox = setup
    outbox.enqueue(sample_payload(), config.destination("x"))
    assert len(outbox.claim()) == 1
    other = open_outbox(config)  # like `kiosk queue status` while the kiosk UI syncs
    assert other.counts()["sending"] == 1
    other.close()
    outbox.close()  # the owner goes away (or dies: the kernel drops its lock)
    again = open_outbox(config)
    assert again.counts() == {"queued": 1, "sending": 0, "delivered": 0, "failed": 0, "dead": 0}
    again.close()


def test_sealer_is_safe_across_threads(monkeypatch):
    import threading
    import offline_queue.seal as seal_module
    from offline_queue.seal import Sealer
    monkeypatch.setattr(seal_module, "REUSE_LIMIT", 2)  # keys change all the time: the race window is wide
    pair = generate_keypair()
    sealer = Sealer(pair.public)
    blobs: list[bytes] = []

    def work():
        for _ in range(300):
            blobs.append(sealer.seal(b"x"))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(blobs) == 1200 and all(open_sealed(b, pair.private) == b"x" for b in blobs)
