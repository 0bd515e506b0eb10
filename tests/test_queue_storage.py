"""What is on disk: no plaintext personal data, a damaged file set aside, a full disk handled."""
from __future__ import annotations

import logging
import os
import subprocess

import pytest

from offline_queue import QueueWriteError, open_outbox
from offline_queue.devbackend import start_dev_backend
from offline_queue.sync import Syncer
from tests.queue_fixtures import FAST, drain, make_queue_config, sample_payload, with_destinations

pytestmark = pytest.mark.timeout(60)

CANARIES = ["Zelda Canarinho", "PT50000201231234567890154", "1985-02-29", "zelda.canary@example.org",
            "Rua dos Canarios 77"]


def canary_payload(reference: str) -> dict:
    return sample_payload(reference,
                          answers={"name": CANARIES[0], "iban": CANARIES[1], "birth": CANARIES[2],
                                   "email": CANARIES[3], "address": CANARIES[4]},
                          fields={"name": CANARIES[0], "iban": CANARIES[1], "birth": CANARIES[2],
                                  "contact/email": CANARIES[3], "address": CANARIES[4]})


def raw_bytes(data_dir) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in data_dir.iterdir() if p.name.startswith("queue.db")}


def test_database_and_wal_hold_no_plaintext_personal_data(tmp_path, caplog):
    config, private = make_queue_config(tmp_path, destinations={
        "*": {"url": "http://127.0.0.1:9", "connect_timeout": 0.5},
        "odk": {"kind": "openrosa", "url": "http://127.0.0.1:9/submission", "connect_timeout": 0.5},
        "clear": {"url": "http://127.0.0.1:9", "payload": "clear", "connect_timeout": 0.5},
    })
    caplog.set_level(logging.DEBUG)
    outbox = open_outbox(config)
    for i, destination in enumerate(["rest", "odk", "clear"] * 3):
        outbox.enqueue(canary_payload(f"CAN{i:05d}"), config.destination(destination))
    Syncer(outbox, config, FAST).run_once()  # fails (nothing listens): errors are logged
    files = raw_bytes(config.data_dir)
    assert "queue.db-wal" in files and len(files["queue.db-wal"]) > 0  # the WAL is scanned before a checkpoint
    for name, data in files.items():
        for canary in CANARIES:
            for encoding in ("utf-8", "utf-16-le"):
                assert canary.encode(encoding) not in data, f"{canary!r} in {name}"
    assert not any(c in caplog.text for c in CANARIES)
    # The payloads are all there for whoever holds the backend's private key.
    assert outbox.open_payload("CAN00001", private)["answers"]["name"] == CANARIES[0]
    outbox.close()


def test_garbage_file_is_moved_aside_and_kept(tmp_path):
    config, _ = make_queue_config(tmp_path)
    config.data_dir.mkdir(parents=True)
    garbage = b"this is not a database, it was a torn write " * 200
    config.queue_path.write_bytes(garbage)
    outbox = open_outbox(config)
    assert outbox.moved_aside is not None and outbox.moved_aside.name.startswith("queue.db.corrupt-")
    assert outbox.moved_aside.read_bytes() == garbage
    outbox.enqueue(sample_payload(), config.destination("x"))
    assert outbox.counts()["queued"] == 1
    outbox.close()


def test_damaged_pages_are_found_and_the_kiosk_keeps_working(tmp_path):
    config, _ = make_queue_config(tmp_path)
    outbox = open_outbox(config)
    for i in range(60):
        outbox.enqueue(sample_payload(f"D{i:07d}"), config.destination("x"))
    outbox.close()  # checkpoints the WAL into the main file
    data = bytearray(config.queue_path.read_bytes())
    page = 4096
    for n in range(1, len(data) // page):  # keep the header page, scribble over every other
        data[n * page:(n + 1) * page] = os.urandom(page)
    config.queue_path.write_bytes(bytes(data))
    box = open_outbox(config)
    try:
        box.enqueue(sample_payload("NEW00001"), config.destination("x"))
    except QueueWriteError as exc:  # acceptable only with an actionable message
        assert "damaged" in str(exc)
        box.close()
        box = open_outbox(config)
        box.enqueue(sample_payload("NEW00001"), config.destination("x"))
    assert box.moved_aside is not None and box.moved_aside.exists()
    assert box.get("NEW00001").state == "queued"
    box.close()


def test_cli_reports_a_moved_aside_queue(tmp_path, capsys):
    from commands.cli import main
    config, _ = make_queue_config(tmp_path)
    config.data_dir.mkdir(parents=True)
    config.queue_path.write_bytes(b"\x00garbage" * 1000)
    toml = tmp_path / "kiosk.toml"
    toml.write_text(f'[kiosk]\ndata_dir = "{config.data_dir}"\n[queue]\npublic_key = "{config.raw["queue"]["public_key"]}"\n')
    assert main(["--config", str(toml), "queue", "status"]) == 0
    err = capsys.readouterr().err
    assert "damaged" in err and "queue.db.corrupt-" in err and "Traceback" not in err


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MiB tmpfs (root only); the test is skipped where mounting is not allowed."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)],
                            capture_output=True)
    if result.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_full_disk_is_a_clear_error_and_nothing_queued_is_lost(tmp_path, small_disk):
    config, private = make_queue_config(tmp_path)
    config = with_destinations(config, {"*": {"url": "http://127.0.0.1:9"}})
    raw = {**config.raw, "kiosk": {**config.raw["kiosk"], "data_dir": str(small_disk / "data")},
           "queue": {**config.raw["queue"], "reserve_bytes": 128 * 1024}}
    from kiosk.config import config_from_dict
    config = config_from_dict(raw)
    outbox = open_outbox(config)
    stored = []
    with pytest.raises(QueueWriteError) as info:
        for i in range(2000):
            payload = sample_payload(f"F{i:07d}", answers={"essay": os.urandom(6000).hex(), "name": "Zelda Full"})
            outbox.enqueue(payload, config.destination("x"))
            stored.append(payload["submission_id"])
    assert info.value.key == "queue_write_failed"
    assert "storage is full" in str(info.value) and "Zelda" not in str(info.value)
    assert len(stored) > 5
    assert {i.id for i in outbox.items()} == set(stored)  # nothing half-written, nothing lost
    assert outbox.integrity_check() == "ok"
    outbox.close()
    # After a restart on the still-full disk everything is there and can be delivered.
    backend = start_dev_backend(tmp_path / "backend.db", [private])
    try:
        config = config_from_dict({**raw, "destinations": {"*": {"url": backend.url, "allow_http": True}}})
        outbox = open_outbox(config)
        assert {i.id for i in outbox.items()} == set(stored)
        drain(Syncer(outbox, config, FAST))
        assert len(backend.rows()) == len(stored)
        # Delivered payloads were purged: their space is reused and the kiosk takes new submissions.
        outbox.enqueue(sample_payload("AFTER001"), config.destination("x"))
        assert outbox.get("AFTER001").state == "queued"
        outbox.close()
    finally:
        backend.stop()


def test_salvage_recovers_readable_submissions_from_a_damaged_file(tmp_path):
    config, private = make_queue_config(tmp_path)
    outbox = open_outbox(config)
    payloads = [sample_payload(f"S{i:07d}", answers={"essay": os.urandom(300).hex()}) for i in range(300)]
    for p in payloads:
        outbox.enqueue(p, config.destination("x"))
    (first,) = outbox.claim(limit=1)
    outbox.mark_delivered([(first.item.id, "CASE-1")])
    outbox.close()
    data = bytearray(config.queue_path.read_bytes())
    page = 4096
    pages = len(data) // page
    data[(pages - 3) * page:(pages - 2) * page] = os.urandom(page)   # one damaged page near the end
    data[0:16] = b"definitely wrong"                                    # and a broken header
    config.queue_path.write_bytes(bytes(data))
    box = open_outbox(config)
    assert box.moved_aside is not None and box.salvaged is not None
    assert box.salvaged.recovered >= 250                                # most of them are back
    ids = {i.id for i in box.items()}
    assert first.item.id not in ids                                     # delivered ones stay delivered
    survivor = next(p for p in payloads[1:] if p["submission_id"] in ids)
    assert box.open_payload(survivor["reference"], private) == survivor
    box.close()


def test_cli_salvage_of_a_kept_file(tmp_path, capsys):
    from commands.cli import main
    config, _ = make_queue_config(tmp_path)
    old = open_outbox(config)
    old.enqueue(sample_payload("OLD00001"), config.destination("x"))
    old.close()
    kept = config.queue_path.with_name("queue.db.corrupt-test")
    config.queue_path.rename(kept)
    toml = tmp_path / "kiosk.toml"
    toml.write_text(f'[kiosk]\ndata_dir = "{config.data_dir}"\n[queue]\npublic_key = "{config.raw["queue"]["public_key"]}"\n')
    assert main(["--config", str(toml), "queue", "salvage", str(kept)]) == 0
    assert "1 submission(s) recovered" in capsys.readouterr().out
    assert main(["--config", str(toml), "queue", "salvage", str(kept)]) == 0   # twice: nothing doubled
    assert "0 submission(s) recovered" in capsys.readouterr().out
