"""The console model against the real offline queue: health without personal data, audited actions."""
from __future__ import annotations

import dataclasses
import json
import time

import pytest

from kiosk.audit import AuditLog
from operations.console import Console
from operations.health import backend_clock_offset, databases, human_age, human_bytes, open_queue, queue_health
from kiosk.stats import Stats
from tests.queue_fixtures import make_queue_config, sample_payload

CANARY = "Zorbatinsky"


@pytest.fixture
def setup(tmp_path):
    config, private = make_queue_config(tmp_path)
    outbox, reason = open_queue(config)
    assert outbox is not None, reason
    dest = config.destination("x")
    refs = []
    for i in range(3):
        p = sample_payload(reference=f"REF{i}AAAA")
        p["answers"] = {"name": CANARY, "street": f"{CANARY} street"}
        outbox.enqueue(p, dest)
        refs.append(p["submission_id"])
    outbox.claim()
    outbox.mark_failed(refs[0], "HTTP 503 from the backend", time.time() + 3600, "network")
    outbox.mark_dead(refs[1], "HTTP 422: field postcode rejected")
    audit = AuditLog(config.data_dir / "audit.db", kiosk_id=config.kiosk_id)
    console = Console(config, audit, "ana.s", outbox=outbox, stats=Stats(config.data_dir / "stats.db"),
                      clock_probe=False)
    outbox.release([refs[2]])
    yield config, outbox, audit, console, refs
    outbox.close()


def test_queue_health(setup):
    config, outbox, audit, console, refs = setup
    q = console.queue()
    assert q.available and q.counts["failed"] == 1 and q.counts["dead"] == 1 and q.counts["queued"] == 1
    assert q.oldest_waiting_seconds is not None and q.oldest_waiting_seconds < 60
    reasons = {f["state"]: f["reason"] for f in q.failed}
    assert reasons == {"failed": "HTTP 503 from the backend", "dead": "HTTP 422: field postcode rejected"}
    assert q.last_success is None
    assert q.destinations[0]["name"] == "*"
    assert CANARY not in json.dumps(dataclasses.asdict(q), default=str)


def test_retry_one_and_all(setup):
    config, outbox, audit, console, refs = setup
    ok, _ = console.retry(refs[1])
    assert ok and outbox.counts()["dead"] == 0
    ok, _ = console.retry()
    assert ok and outbox.counts()["failed"] == 0 and outbox.counts()["queued"] == 3
    assert [e.action for e in audit.entries()] == ["retry", "retry"]


def test_sync_now(setup):
    config, outbox, audit, console, refs = setup
    ok, detail = console.sync_now()  # no backend listening: one pass, nothing delivered
    assert ok and detail.startswith("delivered 0"), detail
    assert audit.entries()[-1].details == {"outcome": "ok"}


def test_sync_now_wakes_the_worker(setup):
    config, outbox, audit, console, refs = setup

    class Worker:
        woken = False
        last_success = 1_700_000_000.0

        class syncer:
            blocked_until = {"*": 9e12}
            block_reason = {"*": "connection refused"}

        def connectivity_changed(self, online=True):
            self.woken = online

    console.sync_worker = Worker()
    assert console.sync_now() == (True, "sync started") and console.sync_worker.woken
    q = console.queue()
    assert q.last_success.startswith("2023-11-14")
    assert q.destinations[0]["online"] is False and q.destinations[0]["detail"] == "connection refused"


def test_export_bundle_is_sealed(setup, tmp_path):
    config, outbox, audit, console, refs = setup
    ok, detail = console.export_bundle(tmp_path / "usb")
    assert ok and detail.startswith("3 ")
    from offline_queue.bundle import read_bundle
    bundles = list((tmp_path / "usb").glob("*.zip"))
    manifest, bodies = read_bundle(bundles[0])
    assert len(manifest["items"]) == 3
    assert all(CANARY.encode() not in b for b in bodies.values())
    assert audit.entries()[-1].action == "export_bundle"


def test_export_audit(setup, tmp_path):
    config, outbox, audit, console, refs = setup
    console.sync_now()
    out = console.export_audit(tmp_path / "usb")
    assert len(out.read_text().splitlines()) == 2


def test_no_queue():
    q = queue_health(None, "offline_queue has no open_outbox() yet")
    assert not q.available and "open_outbox" in q.reason


def test_actions_without_queue(tmp_path):
    config, _ = make_queue_config(tmp_path)
    audit = AuditLog(tmp_path / "a.db")
    console = Console(config, audit, "ana.s", outbox=None, outbox_reason="queue missing", clock_probe=False)
    assert console.sync_now() == (False, "queue missing")
    assert console.retry() == (False, "queue missing")
    assert audit.entries()[-1].details["outcome"] == "failed"


def test_clock_offset():
    import datetime as dt
    now = lambda: dt.datetime(2026, 11, 23, 18, 0, 30, tzinfo=dt.timezone.utc)  # noqa: E731
    offset, detail = backend_clock_offset("http://x", now=now, fetch=lambda u, t: "Mon, 23 Nov 2026 18:00:00 GMT")
    assert offset == 30.0 and detail == ""

    def down(u, t):
        raise OSError("refused")

    assert backend_clock_offset("http://x", fetch=down)[0] is None
    assert backend_clock_offset("http://x", fetch=lambda u, t: None)[1] == "the backend sent no Date header"


def test_device_helpers(setup):
    config, *_ = setup
    assert "queue.db" in databases(config.data_dir)
    assert human_bytes(2048) == "2.0 KB" and human_age(30) == "30 s" and human_age(3600) == "60 min"


def test_destination_urls_are_shown_without_their_secrets(tmp_path):
    from tests.queue_fixtures import make_queue_config as make
    config, _ = make(tmp_path, destinations={"odk": {"kind": "openrosa",
                                                     "url": "https://c.example.org/v1/key/S3cretT0ken/projects/1"}})
    health = queue_health(None, "", config=config)
    assert health.destinations == []  # no outbox: nothing to say
    outbox, _ = open_queue(config)
    try:
        shown = queue_health(outbox, config=config).destinations
    finally:
        outbox.close()
    assert shown[0]["url"] == "https://c.example.org/v1/key/***/projects/1"
