"""Small before large: a submission with a large attachment does not hold up the small ones behind it.

A loopback OpenRosa server records the order in which submissions arrive and can hold a large upload open
until the small ones have arrived (or a safety timeout passes, which the assertions then catch). Every
submission must still arrive exactly once, and a large one must not be starved by a stream of small ones.
Nothing here measures time: the order of arrivals is the evidence.
"""
from __future__ import annotations

import dataclasses
import os
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kiosk.documents import Attachment
from offline_queue import open_outbox
from offline_queue.sync import LARGE_BYTES, Syncer
from tests.queue_fixtures import FAST, make_queue_config, sample_payload

pytestmark = pytest.mark.timeout(60)

OK = (b"<OpenRosaResponse xmlns='http://openrosa.org/http/response'><message nature=''>full submission upload "
      b"was successful!</message></OpenRosaResponse>")
HOLD_SECONDS = 10.0  # safety: a held upload is answered after this even if the small ones never come


class OrderServer:
    """Records ("arrived" | "answered", reference) in order; holds each large upload until `release` is set."""

    def __init__(self, hold_large: bool = False) -> None:
        self.events: list[tuple[str, str]] = []
        self.large: set[str] = set()
        self.large_arrived = threading.Event()
        self.release = threading.Event()
        self.released_by_timeout = False
        self.small_expected = 0
        self.lock = threading.Lock()
        if not hold_large:
            self.release.set()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                reference = re.search(rb"<reference>([A-Z0-9]+)</reference>", body).group(1).decode()
                large = len(body) > LARGE_BYTES
                with outer.lock:
                    outer.events.append(("arrived", reference))
                    if large:
                        outer.large.add(reference)
                    small = sum(1 for what, r in outer.events if what == "arrived" and r not in outer.large)
                    if small >= outer.small_expected > 0:
                        outer.release.set()
                if large:
                    outer.large_arrived.set()
                    if not outer.release.wait(HOLD_SECONDS):
                        outer.released_by_timeout = True
                with outer.lock:
                    outer.events.append(("answered", reference))
                self.send_response(201)
                self.send_header("Content-Type", "text/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(OK)))
                self.end_headers()
                self.wfile.write(OK)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/submission"

    def arrived(self) -> list[str]:
        return [r for what, r in self.events if what == "arrived"]

    def index(self, what: str, reference: str) -> int:
        return self.events.index((what, reference))

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def setup(tmp_path, server: OrderServer, concurrency: int | None = None):
    spec = {"kind": "openrosa", "url": server.url}
    if concurrency is not None:
        spec["concurrency"] = concurrency
    config, _ = make_queue_config(tmp_path, destinations={"odk": spec})
    return config, open_outbox(config)


def enqueue_large(outbox, config, reference: str) -> None:
    scan = Attachment("proof-1.jpg", "image/jpeg", os.urandom(LARGE_BYTES + 200_000))
    outbox.enqueue(sample_payload(reference, fields={"proof": ["proof-1.jpg"]}), config.destination("odk"), [scan])


def enqueue_small(outbox, config, reference: str) -> None:
    outbox.enqueue(sample_payload(reference), config.destination("odk"))


def assert_each_once(server: OrderServer, outbox, references: list[str]) -> None:
    assert sorted(server.arrived()) == sorted(references)  # exactly once each, nothing else
    assert outbox.pending() == 0


def test_small_ones_claimed_with_a_large_one_go_first_even_one_at_a_time(tmp_path):
    server = OrderServer()
    config, outbox = setup(tmp_path, server, concurrency=1)
    try:
        enqueue_large(outbox, config, "BIG00001")  # the oldest
        smalls = [f"SML{i:05d}" for i in range(5)]
        for reference in smalls:
            enqueue_small(outbox, config, reference)

        result = Syncer(outbox, config, FAST).run_once()

        assert result.delivered == 6, result.errors
        assert server.arrived() == smalls + ["BIG00001"]
        assert_each_once(server, outbox, smalls + ["BIG00001"])
    finally:
        outbox.close()
        server.stop()


def test_small_ones_are_delivered_while_large_uploads_are_in_flight(tmp_path):
    """Default concurrency: large uploads take at most all but one slot; the small ones use the rest."""
    server = OrderServer(hold_large=True)
    config, outbox = setup(tmp_path, server)
    try:
        bigs = [f"BIG{i:05d}" for i in range(5)]
        smalls = [f"SML{i:05d}" for i in range(6)]
        for reference in bigs:
            enqueue_large(outbox, config, reference)
        for reference in smalls:
            enqueue_small(outbox, config, reference)
        server.small_expected = len(smalls)

        result = Syncer(outbox, config, FAST).run_once()

        assert result.delivered == 11, result.errors
        assert not server.released_by_timeout, "a large upload held the small submissions up"
        first_large_answer = min(server.index("answered", b) for b in bigs)
        assert all(server.index("arrived", s) < first_large_answer for s in smalls), server.events
        assert_each_once(server, outbox, bigs + smalls)
    finally:
        outbox.close()
        server.stop()


def test_a_small_one_queued_during_a_long_upload_is_sent_beside_it(tmp_path):
    """A citizen submits a form while another's scan is uploading in the same pass: it does not wait for it."""
    server = OrderServer(hold_large=True)
    config, outbox = setup(tmp_path, server)
    try:
        enqueue_large(outbox, config, "BIG00001")
        server.small_expected = 2
        syncer = Syncer(outbox, config, FAST)
        results = []
        sync = threading.Thread(target=lambda: results.append(syncer.run_once()))
        sync.start()
        assert server.large_arrived.wait(20), "the large upload never started"
        enqueue_small(outbox, config, "SML00001")  # while the pass is waiting on the upload
        enqueue_small(outbox, config, "SML00002")
        sync.join(40)
        assert not sync.is_alive()

        assert not server.released_by_timeout, "the small submissions waited for the large upload"
        assert server.index("arrived", "BIG00001") < server.index("arrived", "SML00001")
        assert server.index("arrived", "SML00002") < server.index("answered", "BIG00001"), server.events
        assert results[0].delivered == 3, results[0].errors
        assert_each_once(server, outbox, ["BIG00001", "SML00001", "SML00002"])
    finally:
        outbox.close()
        server.stop()


def test_a_large_one_is_not_starved_by_small_ones_queued_after_it(tmp_path):
    """Small ones claimed later than a large one queue behind it: it waits only for its own claim's small ones."""
    server = OrderServer()
    config, outbox = setup(tmp_path, server, concurrency=1)
    policy = dataclasses.replace(FAST, batch=4)  # claim 4 rows at a time
    try:
        enqueue_large(outbox, config, "BIG00001")
        smalls = [f"SML{i:05d}" for i in range(12)]
        for reference in smalls:
            enqueue_small(outbox, config, reference)

        assert Syncer(outbox, config, policy).run_once().delivered == 13

        order = server.arrived()
        assert order.index("BIG00001") == 3, order  # after the 3 small ones claimed with it, before the 9 others
        assert order[:3] == smalls[:3]
        assert_each_once(server, outbox, smalls + ["BIG00001"])
    finally:
        outbox.close()
        server.stop()
