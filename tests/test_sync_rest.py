"""Sync to the REST dev-backend over real HTTP on 127.0.0.1, with faults injected."""
from __future__ import annotations

import json
import socket
import ssl
import threading
import time

import pytest
import requests

from offline_queue import open_outbox
from offline_queue.devbackend import Faults, start_dev_backend
from offline_queue.sync import SyncPolicy, Syncer, SyncWorker
from tests.queue_fixtures import FAST, drain, free_port, make_cert, make_queue_config, sample_payload, with_destinations

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def env(tmp_path):
    """(config, private key, backend, outbox): a kiosk queue and a dev-backend that can open its payloads."""
    config, private = make_queue_config(tmp_path)
    backend = start_dev_backend(tmp_path / "backend.db", [private])
    config = with_destinations(config, {"*": {"url": backend.url, "read_timeout": 1.0, "connect_timeout": 1.0}})
    outbox = open_outbox(config)
    yield config, private, backend, outbox
    outbox.close()
    backend.stop()


def enqueue(outbox, config, n: int, prefix: str = "R") -> list[dict]:
    payloads = [sample_payload(f"{prefix}{i:07d}"[:8]) for i in range(n)]
    for p in payloads:
        outbox.enqueue(p, config.destination("anything"))
    return payloads


def assert_exactly_once(backend, payloads) -> None:
    rows = backend.rows()
    assert sorted(r["idempotency_key"] for r in rows) == sorted(p["submission_id"] for p in payloads)
    by_key = {r["idempotency_key"]: r["payload"] for r in rows}
    for p in payloads:
        assert by_key[p["submission_id"]] == p


def test_delivers_stores_case_reference_and_purges(env):
    config, private, backend, outbox = env
    payloads = enqueue(outbox, config, 3)
    result = Syncer(outbox, config, FAST).run_once()
    assert (result.delivered, result.remaining) == (3, 0)
    assert_exactly_once(backend, payloads)
    items = outbox.items()
    assert all(i.state == "delivered" and i.remote_ref.startswith("DEV-") for i in items)
    with pytest.raises(Exception, match="purged"):
        outbox.open_payload(payloads[0]["reference"], private)


def test_server_down_then_back(tmp_path):
    config, private = make_queue_config(tmp_path)
    port = free_port()
    config = with_destinations(config, {"*": {"url": f"http://127.0.0.1:{port}", "connect_timeout": 1}})
    outbox = open_outbox(config)
    payloads = enqueue(outbox, config, 4)
    syncer = Syncer(outbox, config, SyncPolicy(base_delay=30, max_delay=60))
    result = syncer.run_once()
    # One attempt for the unreachable destination, the rest wait: no hammering.
    assert result.retried == 1 and result.delivered == 0 and "cannot reach" in result.errors[0]
    counts = outbox.counts()
    assert counts["failed"] == 1 and counts["queued"] == 3
    assert syncer.run_once().retried == 0  # still paused
    backend = start_dev_backend(tmp_path / "b.db", [private], port=port)
    try:
        syncer.probe()  # the health probe lifts the pause and the backoff of network failures
        assert syncer.run_once().delivered == 4
        assert_exactly_once(backend, payloads)
    finally:
        backend.stop()
        outbox.close()


def test_500s_are_retried_until_delivered(env):
    config, _, backend, outbox = env
    payloads = enqueue(outbox, config, 5)
    backend.faults = Faults(error_rate=1.0, error_status=500)
    syncer = Syncer(outbox, config, FAST)
    result = syncer.run_once()
    assert result.delivered == 0 and result.retried == 5
    assert all(i.state == "failed" and i.last_error.startswith("HTTP 500") for i in outbox.items())
    backend.faults = Faults(error_rate=0.5, error_status=502)
    drain(syncer)
    assert_exactly_once(backend, payloads)


def test_slow_answer_times_out_then_no_duplicate(env):
    config, _, backend, outbox = env
    payloads = enqueue(outbox, config, 1)
    backend.faults = Faults(latency=2.0)  # read_timeout is 1 s: the server still stores it, late
    syncer = Syncer(outbox, config, FAST)
    result = syncer.run_once()
    assert result.delivered == 0 and "timeout" in outbox.items()[0].last_error
    time.sleep(1.5)
    backend.faults = Faults()
    drain(syncer)
    assert_exactly_once(backend, payloads)
    assert backend.rows()[0]["duplicates"] == 1  # the resend was recognised by its idempotency key


def test_hang_is_cut_by_read_timeout(env):
    config, _, backend, outbox = env
    enqueue(outbox, config, 2)
    backend.faults = Faults(hang=True)
    t0 = time.monotonic()
    result = Syncer(outbox, config, FAST).run_once()
    assert result.delivered == 0 and result.retried == 1
    assert time.monotonic() - t0 < 10


def test_429_retry_after_is_honoured(env):
    config, _, backend, outbox = env
    enqueue(outbox, config, 3)
    backend.faults = Faults(script=["429:120"])
    syncer = Syncer(outbox, config, SyncPolicy(base_delay=0.01, max_delay=900, probe_interval=0.1))
    before = time.time()
    result = syncer.run_once()
    assert result.retried == 1 and result.delivered == 0
    failed = outbox.items(["failed"])[0]
    assert failed.next_attempt_at >= before + 120
    requests_seen = backend.requests
    syncer.probe()  # the backend is reachable, but it asked us to wait: a probe must not cut that short
    syncer.run_once()
    assert backend.requests == requests_seen  # the destination waits as asked
    assert outbox.counts()["queued"] == 2


def test_reset_after_body_read_is_not_duplicated(env):
    config, _, backend, outbox = env
    payloads = enqueue(outbox, config, 3)
    backend.faults = Faults(script=["drop", "ok", "drop"])
    drain(Syncer(outbox, config, FAST))
    assert_exactly_once(backend, payloads)
    assert sum(r["duplicates"] for r in backend.rows()) == 2


def test_400_is_dead_with_reason_and_does_not_block_others(env):
    config, _, backend, outbox = env
    payloads = enqueue(outbox, config, 4)
    backend.faults = Faults(script=["400"])
    result = Syncer(outbox, config, FAST).run_once()
    assert (result.delivered, result.dead) == (3, 1)
    dead = outbox.items(["dead"])[0]
    assert dead.last_error.startswith("HTTP 400") and "injected" in dead.last_error
    assert dead.reference == payloads[0]["reference"]


def test_a_submission_set_aside_is_logged_without_its_reference(env, caplog):
    config, _, backend, outbox = env
    payloads = enqueue(outbox, config, 1)
    backend.faults = Faults(script=["400"])
    with caplog.at_level("DEBUG"):
        assert Syncer(outbox, config, FAST).run_once().dead == 1
    assert any("set aside" in r.getMessage() for r in caplog.records)
    reference = payloads[0]["reference"]
    assert not [r.getMessage() for r in caplog.records if reference in r.getMessage()]


def test_validation_refusal_reason_from_backend(env):
    config, _, backend, outbox = env
    payload = sample_payload()
    del payload["submitted_at"]
    outbox.enqueue(payload, config.destination("x"))
    Syncer(outbox, config, FAST).run_once()
    assert "missing fields: submitted_at" in outbox.items()[0].last_error


def test_captive_portal_is_never_delivered(env):
    config, _, backend, outbox = env
    payloads = enqueue(outbox, config, 2)
    backend.faults = Faults(captive=True)
    syncer = Syncer(outbox, config, FAST)
    result = syncer.run_once()
    assert result.delivered == 0
    assert outbox.counts()["delivered"] == 0 and "captive" in outbox.items(["failed"])[0].last_error
    assert backend.rows() == []
    backend.faults = Faults()
    drain(syncer)
    assert_exactly_once(backend, payloads)


def test_worker_thread_wakes_on_enqueue(env):
    config, _, backend, outbox = env
    worker = SyncWorker(outbox, config, SyncPolicy(timer=30))
    worker.start()
    try:
        payloads = enqueue(outbox, config, 3)
        deadline = time.time() + 20
        while outbox.counts()["delivered"] < 3 and time.time() < deadline:
            time.sleep(0.05)
        assert outbox.counts()["delivered"] == 3
        assert_exactly_once(backend, payloads)
    finally:
        worker.stop()
    assert not worker.is_alive()


def test_idempotency_key_header_matches_payload(env):
    config, _, backend, outbox = env
    payload = enqueue(outbox, config, 1)[0]
    (claimed,) = outbox.claim()
    import requests
    r = requests.post(f"{backend.url}/submissions", data=claimed.body, timeout=5,
                      headers={"Idempotency-Key": "something-else", "Content-Type": "application/json"})
    assert r.status_code == 400
    r = requests.post(f"{backend.url}/submissions", data=claimed.body, timeout=5,
                      headers={"Idempotency-Key": payload["submission_id"], "Content-Type": "application/json"})
    assert r.status_code == 201 and r.json()["idempotency_key"] == payload["submission_id"]


# --- TLS -----------------------------------------------------------------------------------------

class TlsServer:
    """Accepts TLS connections with a given certificate and counts them (handshakes fail on the client)."""

    def __init__(self, cert, key):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        self.sock.settimeout(0.2)
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            try:
                conn.settimeout(2)
                self.ctx.wrap_socket(conn, server_side=True).close()
            except (OSError, ssl.SSLError):
                conn.close()

    def close(self):
        self._stop = True
        self.sock.close()


@pytest.mark.parametrize("problem", ["expired", "wrong_ca"])
def test_tls_problem_is_clear_and_no_retry_storm(tmp_path, problem):
    config, _ = make_queue_config(tmp_path)
    ca, cert, key = make_cert(tmp_path / "certs", expired=problem == "expired")
    other_ca, _, _ = make_cert(tmp_path / "other", name="other")
    server = TlsServer(cert, key)
    bundle = ca if problem == "expired" else other_ca
    config = with_destinations(config, {"*": {"url": f"https://127.0.0.1:{server.port}", "ca_bundle": str(bundle)}})
    outbox = open_outbox(config)
    try:
        enqueue(outbox, config, 5)
        syncer = Syncer(outbox, config, SyncPolicy(base_delay=0.01, max_delay=0.05, tls_delay=3600))
        result = syncer.run_once()
        expected = "certificate expired" if problem == "expired" else "not trusted"
        assert result.delivered == 0 and expected in result.errors[0]
        assert server.connections == 1
        for _ in range(5):
            syncer.run_once()
        assert server.connections == 1  # paused for tls_delay, not hammering
        failed = outbox.items(["failed"])[0]
        assert failed.next_attempt_at > time.time() + 3000 and expected in failed.last_error
    finally:
        outbox.close()
        server.close()


def test_tls_with_custom_ca_bundle_delivers(tmp_path):
    config, private = make_queue_config(tmp_path)
    ca, cert, key = make_cert(tmp_path / "certs")
    backend = start_dev_backend(tmp_path / "b.db", [private])
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    backend.server.socket = ctx.wrap_socket(backend.server.socket, server_side=True)
    config = with_destinations(config, {"*": {"url": f"https://127.0.0.1:{backend.port}", "ca_bundle": str(ca)}})
    outbox = open_outbox(config)
    try:
        payloads = enqueue(outbox, config, 2)
        assert Syncer(outbox, config, FAST).run_once().delivered == 2
        assert_exactly_once(backend, payloads)
    finally:
        outbox.close()
        backend.stop()


def test_wrong_bearer_token_pauses_the_destination_and_kills_nothing(tmp_path, monkeypatch):
    config, private = make_queue_config(tmp_path)
    backend = start_dev_backend(tmp_path / "b.db", [private], token="t0ken-123")
    monkeypatch.setenv("PONTE_TEST_TOKEN", "wrong")
    config = with_destinations(config, {"*": {"url": backend.url, "token_env": "PONTE_TEST_TOKEN"}})
    outbox = open_outbox(config)
    try:
        enqueue(outbox, config, 5)
        syncer = Syncer(outbox, config, FAST)
        result = syncer.run_once()
        # One attempt, then the destination waits; the mediator is told why, nothing is set aside.
        assert (result.dead, result.retried, backend.requests) == (0, 1, 0)  # 401s are not counted as POSTs
        assert "credentials" in result.errors[0] and "bearer token" in result.errors[0]
        assert "credentials" in syncer.block_reason["*"] and syncer.block_kind["*"] == "auth"
        assert outbox.counts()["dead"] == 0 and outbox.counts()["queued"] == 4
        monkeypatch.setenv("PONTE_TEST_TOKEN", "t0ken-123")
        drain(Syncer(outbox, config, FAST))
        assert outbox.counts()["delivered"] == 5
    finally:
        outbox.close()
        backend.stop()


def test_token_written_in_the_config_file_is_refused(tmp_path):
    from kiosk.config import ConfigError, Destination
    from offline_queue.connectors.rest import RestConnector
    config, _ = make_queue_config(tmp_path)
    with pytest.raises(ConfigError, match="token_env or token_file") as info:
        with_destinations(config, {"*": {"url": "http://127.0.0.1:9", "token": "oops-in-the-file"}})
    assert "oops" not in str(info.value)
    # A destination built without the configuration checks (by code) is refused by the connector too.
    connector = RestConnector(Destination("*", "rest", "https://127.0.0.1:9", {"token": "oops-in-the-file"}))
    outcome = connector.send("id", b"{}", "application/json")
    assert outcome.kind == "retry" and "not in kiosk.toml" in outcome.reason and "oops" not in outcome.reason


def test_connectivity_back_retries_network_failures_at_once(tmp_path):
    config, private = make_queue_config(tmp_path)
    port = __import__("tests.queue_fixtures", fromlist=["free_port"]).free_port()
    config = with_destinations(config, {"*": {"url": f"http://127.0.0.1:{port}", "connect_timeout": 1}})
    outbox = open_outbox(config)
    # Long backoff and no probes: only the connectivity signal can bring the retry forward.
    worker = SyncWorker(outbox, config, SyncPolicy(base_delay=600, max_delay=600, timer=600, probe_interval=600))
    worker.start()
    backend = None
    try:
        payloads = enqueue(outbox, config, 2)
        deadline = time.time() + 10
        while outbox.counts()["failed"] == 0 and time.time() < deadline:
            time.sleep(0.02)
        assert outbox.counts()["failed"] == 1
        backend = start_dev_backend(tmp_path / "b.db", [private], port=port)
        worker.connectivity_changed(True)
        deadline = time.time() + 10
        # The worker records its last success after the pass that wrote the delivered marks: wait for both.
        while (outbox.counts()["delivered"] < 2 or worker.last_success is None) and time.time() < deadline:
            time.sleep(0.02)
        assert_exactly_once(backend, payloads)
        assert outbox.last_success() is not None and worker.last_success is not None
    finally:
        worker.stop()
        outbox.close()
        if backend:
            backend.stop()


def test_watch_connectivity_is_optional():
    import subprocess
    import sys
    from pathlib import Path
    from offline_queue.connectivity import watch_connectivity

    class Recorder:
        def connectivity_changed(self, online):
            pass

    from PySide6.QtCore import QCoreApplication
    if QCoreApplication.instance() is None:  # no Qt application in this process: nothing to watch
        assert watch_connectivity(Recorder()) is None
    # With a QCoreApplication (as in the kiosk UI) it returns the watcher or None, never an exception.
    script = ("from PySide6.QtCore import QCoreApplication\napp = QCoreApplication([])\n"
              "from offline_queue.connectivity import watch_connectivity\n"
              "class R:\n    def connectivity_changed(self, online): pass\n"
              "w = watch_connectivity(R())\nprint('watching' if w is not None else 'none')\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30,
                         cwd=Path(__file__).resolve().parent.parent,
                         env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})
    assert out.returncode == 0, out.stderr[-500:]
    assert out.stdout.strip() in ("watching", "none")


def test_client_certificate_for_mutual_tls(tmp_path):
    config, private = make_queue_config(tmp_path)
    ca, cert, key = make_cert(tmp_path / "server")
    client_ca, client_cert, client_key = make_cert(tmp_path / "client", name="kiosk")
    backend = start_dev_backend(tmp_path / "b.db", [private])
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.verify_mode = ssl.CERT_REQUIRED  # the backend only talks to provisioned kiosks
    ctx.load_verify_locations(client_ca)
    backend.server.socket = ctx.wrap_socket(backend.server.socket, server_side=True)
    url = f"https://127.0.0.1:{backend.port}"
    try:
        without = with_destinations(config, {"*": {"url": url, "ca_bundle": str(ca), "connect_timeout": 2}})
        outbox = open_outbox(without)
        enqueue(outbox, without, 1)
        assert Syncer(outbox, without, FAST).run_once().delivered == 0
        outbox.close()
        with_cert = with_destinations(config, {"*": {"url": url, "ca_bundle": str(ca), "client_cert": str(client_cert),
                                                     "client_key": str(client_key)}})
        outbox = open_outbox(with_cert)
        syncer = Syncer(outbox, with_cert, FAST)
        drain(syncer)
        assert len(backend.rows()) == 1
        outbox.close()
    finally:
        backend.stop()


def test_an_error_mid_pass_leaves_nothing_stuck_in_sending(env, monkeypatch):
    config, _, backend, outbox = env
    enqueue(outbox, config, 4)
    syncer = Syncer(outbox, config, FAST)

    def flaky_mark_dead(sid, reason):
        raise RuntimeError("disk trouble")

    monkeypatch.setattr(outbox, "mark_dead", flaky_mark_dead)
    backend.faults = Faults(script=["ok", "400"])
    with pytest.raises(RuntimeError):
        syncer.run_once()
    counts = outbox.counts()
    assert counts["sending"] == 0 and counts["delivered"] == 1 and counts["queued"] == 3


def test_start_sync_runs_the_worker_and_the_demo_backend(tmp_path, monkeypatch):
    from kiosk.config import config_from_dict
    import offline_queue.devbackend as devbackend
    from offline_queue.sync import start_sync
    from tests.queue_fixtures import free_port
    port = free_port()
    config = config_from_dict({"kiosk": {"data_dir": str(tmp_path / "data")},
                               "destinations": {"*": {"url": f"http://127.0.0.1:{port}", "allow_http": True}}})
    original = devbackend.ensure_demo_backend
    monkeypatch.setattr(devbackend, "ensure_demo_backend", lambda cfg: original(cfg, port=port))
    outbox = open_outbox(config)
    try:
        worker = start_sync(outbox, config)
        assert worker.demo_backend is not None and worker.is_alive()
        outbox.enqueue(sample_payload(), config.destination("x"))
        deadline = time.time() + 10
        while outbox.counts()["delivered"] < 1 and time.time() < deadline:
            time.sleep(0.02)
        assert outbox.counts()["delivered"] == 1
        worker.stop()
        assert not worker.is_alive() and worker.demo_backend is None
    finally:
        outbox.close()


# --- the acknowledgement only the backend can give (docs/sync-api.yaml) ----------------------------------------

def test_dev_backend_acknowledgement_carries_a_valid_ack_mac(env):
    from offline_queue.seal import ack_mac_valid
    config, _, backend, outbox = env
    payload = enqueue(outbox, config, 1)[0]
    (claimed,) = outbox.claim()
    import requests
    answer = requests.post(f"{backend.url}/submissions", data=claimed.body, timeout=5,
                           headers={"Idempotency-Key": payload["submission_id"], "Content-Type": "application/json"})
    ack = answer.json()
    assert ack_mac_valid(claimed.ack_key, payload["submission_id"], ack["case_reference"], ack["ack_mac"])
    assert not ack_mac_valid(claimed.ack_key, payload["submission_id"], "DEV-999999", ack["ack_mac"])


def test_backend_without_ack_mac_is_not_a_delivery_unless_echo_is_chosen(tmp_path, caplog):
    config, private = make_queue_config(tmp_path)
    backend = start_dev_backend(tmp_path / "b.db", [private], sign_acks=False)  # a legacy backend
    strict = with_destinations(config, {"*": {"url": backend.url}})
    outbox = open_outbox(strict)
    try:
        payloads = enqueue(outbox, strict, 3)
        result = Syncer(outbox, strict, FAST).run_once()
        assert result.delivered == 0 and "ack_mac" in result.errors[0] and 'ack = "echo"' in result.errors[0]
        assert outbox.counts()["delivered"] == 0  # stored at the backend, but the kiosk cannot know: kept
        outbox.close()
        legacy = with_destinations(config, {"*": {"url": backend.url, "ack": "echo"}})
        outbox = open_outbox(legacy)
        with caplog.at_level("WARNING"):
            drain(Syncer(outbox, legacy, FAST))
        assert outbox.counts()["delivered"] == 3
        assert_exactly_once(backend, payloads)
        assert any('ack = "echo"' in r.getMessage() for r in caplog.records)
    finally:
        outbox.close()
        backend.stop()


def test_submissions_queued_before_ack_keys_are_accepted_on_the_echo(env, caplog):
    config, _, backend, outbox = env
    enqueue(outbox, config, 2)
    outbox._write("UPDATE bodies SET ack_key=NULL")  # noqa: SLF001 - as rows written by an older version
    backend.server.sign_acks = False
    with caplog.at_level("WARNING"):
        assert Syncer(outbox, config, FAST).run_once().delivered == 2
    assert sum("without an acknowledgement key" in r.getMessage() for r in caplog.records) == 1  # said once


def test_clear_payload_needs_echo_said_explicitly(tmp_path):
    config, private = make_queue_config(tmp_path)
    backend = start_dev_backend(tmp_path / "b.db", [private])
    try:
        clear = with_destinations(config, {"*": {"url": backend.url, "payload": "clear"}})
        outbox = open_outbox(clear)
        enqueue(outbox, clear, 1)
        result = Syncer(outbox, clear, FAST).run_once()
        assert result.delivered == 0 and 'payload = "clear"' in result.errors[0] and backend.requests == 0
        outbox.close()
        clear_echo = with_destinations(config, {"*": {"url": backend.url, "payload": "clear", "ack": "echo"}})
        outbox = open_outbox(clear_echo)
        # The refused pass set the row's next attempt a backoff away: drain ignores backoff, not the rule.
        drain(Syncer(outbox, clear_echo, FAST))
        assert outbox.counts().get("delivered") == 1 and backend.requests == 1
        outbox.close()
    finally:
        backend.stop()


def test_three_unknown_outcomes_in_a_row_pause_the_destination(env):
    config, _, backend, outbox = env
    payloads = enqueue(outbox, config, 6)
    backend.faults = Faults(script=["drop"] * 6)  # stored, then the connection is cut before the answer
    result = Syncer(outbox, config, FAST).run_once()
    assert backend.requests == 3 and result.retried == 3 and "outcome unknown" in result.errors[0]
    backend.faults = Faults()
    drain(Syncer(outbox, config, FAST))
    assert_exactly_once(backend, payloads)


# --- transport: only the configuration decides ------------------------------------------------------------------

@pytest.mark.parametrize("url, options, words", [
    ("http://registry.example.org/ponte", {"allow_http": True}, "in clear"),
    ("http://10.0.0.5:8765", {"allow_http": True}, "in clear"),
    ("http://127.0.0.1:9", {}, "allow_http = true"),
    ("ftp://127.0.0.1/x", {}, "https://"),
])
def test_plain_http_is_refused_unless_loopback_and_allowed(tmp_path, url, options, words):
    from kiosk.config import config_from_dict
    config, _ = make_queue_config(tmp_path)
    config = config_from_dict({**config.raw, "destinations": {"*": {"url": url, **options}}})
    outbox = open_outbox(config)
    try:
        enqueue(outbox, config, 2)
        result = Syncer(outbox, config, FAST).run_once()
        assert result.delivered == 0 and words in result.errors[0]
        assert outbox.counts()["failed"] == 1 and outbox.counts()["dead"] == 0  # waits for a person; kept
    finally:
        outbox.close()


class CountingServer:
    """Accepts connections and counts them; answers 502 to whatever comes (a stand-in proxy)."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.first_line = b""
        self._stop = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        self.sock.settimeout(0.1)
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            try:
                conn.settimeout(2)
                self.first_line = self.first_line or conn.recv(4096).split(b"\r\n")[0]
                conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            except OSError:
                pass
            conn.close()

    def close(self):
        self._stop = True
        self.sock.close()


def test_proxy_and_ca_bundle_from_the_environment_are_ignored(tmp_path, monkeypatch):
    config, private = make_queue_config(tmp_path)
    proxy = CountingServer()
    ca, cert, key = make_cert(tmp_path / "certs")
    tls_backend = start_dev_backend(tmp_path / "tls.db", [private])
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    tls_backend.server.socket = ctx.wrap_socket(tls_backend.server.socket, server_side=True)
    plain_backend = start_dev_backend(tmp_path / "plain.db", [private])
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{proxy.port}")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca))  # would make the self-signed backend trusted
    monkeypatch.setenv("CURL_CA_BUNDLE", str(ca))
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    try:
        direct = with_destinations(config, {"*": {"url": plain_backend.url}})
        outbox = open_outbox(direct)
        enqueue(outbox, direct, 1)
        assert Syncer(outbox, direct, FAST).run_once().delivered == 1  # straight to the backend
        outbox.close()
        untrusted = with_destinations(config, {"*": {"url": f"https://127.0.0.1:{tls_backend.port}"}})
        outbox = open_outbox(untrusted)
        enqueue(outbox, untrusted, 1)
        result = Syncer(outbox, untrusted, FAST).run_once()
        assert result.delivered == 0 and "not trusted" in result.errors[0]  # the environment's CA is not used
        outbox.close()
        assert proxy.connections == 0 and tls_backend.rows() == []
    finally:
        proxy.close()
        tls_backend.stop()
        plain_backend.stop()


def test_configured_proxy_is_used(tmp_path):
    config, _ = make_queue_config(tmp_path)
    proxy = CountingServer()
    target = f"http://127.0.0.1:{free_port()}"
    config = with_destinations(config, {"*": {"url": target, "proxy": f"http://127.0.0.1:{proxy.port}"}})
    outbox = open_outbox(config)
    try:
        enqueue(outbox, config, 1)
        result = Syncer(outbox, config, FAST).run_once()
        assert result.delivered == 0 and "HTTP 502" in result.errors[0]
        assert proxy.connections == 1 and proxy.first_line.startswith(f"POST {target}/submissions".encode())
    finally:
        outbox.close()
        proxy.close()


# --- the batch endpoint (docs/sync-api.yaml: POST /submissions/batch) -------------------------------------------

def test_batches_deliver_exactly_once_with_per_item_results(env):
    config, _, backend, outbox = env
    batched = with_destinations(config, {"*": {"url": backend.url, "batch": 10, "concurrency": 2}})
    payloads = enqueue(outbox, batched, 24)
    bad = sample_payload("BAD00001")
    del bad["submitted_at"]
    outbox.enqueue(bad, batched.destination("x"))
    result = Syncer(outbox, batched, FAST).run_once()
    assert (result.delivered, result.dead, result.remaining) == (24, 1, 0)
    assert backend.requests == 3  # 25 submissions in batches of 10
    assert_exactly_once(backend, payloads)
    assert "missing fields: submitted_at" in outbox.get("BAD00001").last_error
    assert all(i.remote_ref.startswith("DEV-") for i in outbox.items(["delivered"]))


def test_batch_answer_cut_off_is_resent_and_deduplicated(env):
    config, _, backend, outbox = env
    batched = with_destinations(config, {"*": {"url": backend.url, "batch": 5}})
    payloads = enqueue(outbox, batched, 10)
    backend.faults = Faults(script=["drop"])  # the first batch is stored, then its answer is lost
    drain(Syncer(outbox, batched, FAST))
    assert_exactly_once(backend, payloads)
    assert sum(r["duplicates"] for r in backend.rows()) == 5


def test_batch_without_proof_or_without_endpoint_delivers_nothing(tmp_path):
    from tests.test_answer_table import LoopbackServer, Reply, fixed
    config, _ = make_queue_config(tmp_path)

    def echoing(request):  # per-item results that echo each key but carry no ack_mac
        items = json.loads(request.body)["items"]
        return Reply(200, json.dumps({"results": [{"idempotency_key": i["idempotency_key"], "http_status": 201}
                                                  for i in items]}).encode())

    for answer, words in ((echoing, "ack_mac"), (fixed(404, b'{"error": "not_found"}'), "no batch endpoint"),
                          (lambda request: Reply(200, request.body), "without per-item results")):
        server = LoopbackServer(answer)
        batched = with_destinations(config, {"*": {"url": server.url, "batch": 10}})
        outbox = open_outbox(batched)
        try:
            for item in outbox.items(["queued", "failed"]):
                outbox.retry(item.reference)
            if not outbox.items():
                enqueue(outbox, batched, 4)
            result = Syncer(outbox, batched, FAST).run_once()
            assert result.delivered == 0 and words in result.errors[0]
            assert server.posts == 1 and outbox.counts()["dead"] == 0 and outbox.counts()["delivered"] == 0
        finally:
            outbox.close()
            server.stop()


def test_batch_refused_as_a_whole_is_sent_item_by_item(tmp_path):
    from tests.test_answer_table import LoopbackServer, Reply
    config, private = make_queue_config(tmp_path)
    backend = start_dev_backend(tmp_path / "b.db", [private])

    def too_large_or_forward(request):  # a gateway that refuses batch bodies but passes single submissions
        if request.path.endswith("/batch"):
            return Reply(413, b'{"reason": "request too large"}')
        answer = requests.post(f"{backend.url}{request.path}", data=request.body, timeout=5,
                               headers={k: v for k, v in request.headers.items() if k.lower() != "host"})
        return Reply(answer.status_code, answer.content)

    server = LoopbackServer(too_large_or_forward)
    batched = with_destinations(config, {"*": {"url": server.url, "batch": 10}})
    outbox = open_outbox(batched)
    try:
        payloads = enqueue(outbox, batched, 6)
        assert Syncer(outbox, batched, FAST).run_once().delivered == 6
        assert_exactly_once(backend, payloads)
    finally:
        outbox.close()
        server.stop()
        backend.stop()


def test_doctor_warns_about_a_destination_that_accepts_echo_acknowledgements(tmp_path):
    from operations.doctor import Status, _probe_destination
    config, private = make_queue_config(tmp_path)
    backend = start_dev_backend(tmp_path / "b.db", [private], sign_acks=False)
    try:
        legacy = with_destinations(config, {"*": {"url": backend.url, "ack": "echo"}})
        check = _probe_destination(legacy.destination("x")).check
        assert check.status == Status.WARN and 'ack = "echo"' in check.message and "ack_mac" in check.action
        strict = with_destinations(config, {"*": {"url": backend.url}})
        assert _probe_destination(strict.destination("x")).check.status == Status.OK
    finally:
        backend.stop()
