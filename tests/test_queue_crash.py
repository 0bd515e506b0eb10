"""SIGKILL at random moments while enqueueing and syncing: nothing lost, nothing delivered twice."""
from __future__ import annotations

import multiprocessing
import os
import random
import sqlite3
import time

import pytest

from offline_queue import open_outbox
from offline_queue.devbackend import Faults, start_dev_backend
from offline_queue.sync import Syncer
from tests.queue_fixtures import FAST, crash_child, drain, make_queue_config, with_destinations

KILLS = int(os.environ.get("PONTE_CRASH_KILLS", "200"))  # fewer for a quick local run


@pytest.mark.timeout(180)
def test_sigkill_200_times_loses_nothing_duplicates_nothing(tmp_path):
    config, private = make_queue_config(tmp_path)
    # Some answers dropped after the body was stored: the retry must be recognised as a duplicate.
    backend = start_dev_backend(tmp_path / "backend.db", [private], faults=Faults(drop_rate=0.05), seed=1)
    config = with_destinations(config, {"*": {"url": backend.url, "read_timeout": 2, "connect_timeout": 1}})
    log_path = tmp_path / "enqueued.log"
    # forkserver: children start in ~10 ms with the modules preloaded, and are not forked from a
    # process that runs the backend's threads.
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["tests.queue_fixtures", "offline_queue.sync", "offline_queue.connectors.rest", "requests"])
    rng = random.Random(20261123)
    try:
        for child in range(KILLS):
            process = ctx.Process(target=crash_child, args=(config.raw, str(log_path), child))
            process.start()
            time.sleep(rng.uniform(0.0, 0.4))  # before, during and after sync passes
            process.kill()  # SIGKILL
            process.join(10)
            assert process.exitcode == -9 or process.exitcode is not None
        enqueued = set(log_path.read_text().split()) if log_path.exists() else set()
        assert len(enqueued) > KILLS  # the children did real work between kills

        print("during the kills:", backend.requests, "posts,", len(backend.rows()), "stored")
        backend.faults = Faults()
        outbox = open_outbox(config)
        drain(Syncer(outbox, config, FAST), timeout=60)
        in_queue = {i.id for i in outbox.items()}
        assert all(i.state == "delivered" for i in outbox.items())
        rows = backend.rows()
        at_server = [r["idempotency_key"] for r in rows]
        assert len(at_server) == len(set(at_server))          # exactly once at the server
        assert set(at_server) == in_queue                      # everything queued was delivered
        assert enqueued <= set(at_server)                      # every acknowledged enqueue reached it
        assert all(r["payload"]["submission_id"] == r["idempotency_key"] for r in rows)
        assert sum(r["duplicates"] for r in rows) > 0           # resends happened and were recognised
        print(f"{len(enqueued)} acknowledged enqueues, {len(rows)} delivered, "
              f"{sum(r['duplicates'] for r in rows)} duplicate posts dropped by the server")
        assert outbox.integrity_check() == "ok"
        outbox.close()
        conn = sqlite3.connect(config.queue_path)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.close()
    finally:
        backend.stop()
