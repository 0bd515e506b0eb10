"""The answer table of docs/queue.md, row by row: a loopback server answers exactly that, one pass runs.

Each row enqueues two submissions for one destination and runs one sync pass against a server on 127.0.0.1
that gives the row's answer to every POST. It checks what the queue did with the first (state, words in the
reason) and whether the destination was paused (the second submission not even tried) or not.
"""
from __future__ import annotations

import io
import json
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

import pytest

from offline_queue import open_outbox
from offline_queue.connectors.rest import open_envelope_with_ack
from offline_queue.seal import ack_mac
from offline_queue.sync import SyncPolicy, Syncer
from tests.queue_fixtures import free_port, make_queue_config, sample_payload, with_destinations

pytestmark = pytest.mark.timeout(60)

POLICY = SyncPolicy(base_delay=0.01, max_delay=60, tls_delay=3600, timer=0.2, probe_interval=0.1)
OR_NS = "http://openrosa.org/http/response"


def openrosa(message: str, nature: str = "error") -> bytes:
    """An OpenRosaResponse the way ODK Central writes one (message XML-escaped)."""
    return (f'<OpenRosaResponse xmlns="{OR_NS}" items="0"><message nature="{nature}">{message}</message>'
            f"</OpenRosaResponse>").encode()


# ODK Central's own words (lib/util/problem.js), escaped as Central escapes them.
CENTRAL_SUCCESS = openrosa("full submission upload was successful!", nature="")
CENTRAL_409_1 = openrosa("A submission already exists with this ID, but with different XML. Resubmissions to attach "
                         "additional multimedia must resubmit an identical xml_submission_file.")
CENTRAL_409_2 = openrosa("This form is not currently accepting submissions. Please talk to your program staff if "
                         "this is unexpected.")
CENTRAL_409_9 = openrosa("You tried to update a submission, but the copy you were editing "
                         "(uuid:6a7d0ab8-1c63-4a8e-9a0c-0f2fd3b5c2a1) is now out of date. Please get the new "
                         "version that has been submitted, and make your edits again.")
CENTRAL_409_18 = openrosa("This submission has been deleted. You may not resubmit it.")
CENTRAL_404_6 = openrosa("The form version specified in this submission &#39;2024010101&#39; does not exist.")
CENTRAL_401_2 = openrosa("Could not authenticate with the provided credentials.")
CENTRAL_400_2 = openrosa("Required parameter xml_submission_file missing.")
KOBO_DUPLICATE = openrosa("Duplicate submission", nature="")
PROXY_409 = b"<html><head><title>409 Conflict</title></head><body><h1>Conflict</h1>nginx</body></html>"
BAD_GATEWAY = b"<html><head><title>502 Bad Gateway</title></head><body><center>nginx/1.25</center></body></html>"
PORTAL = b"<!DOCTYPE html><html><head><title>FreeCityWiFi</title></head><body>Accept the terms</body></html>"


# --- the server -----------------------------------------------------------------------------------------------

@dataclass
class Request:
    path: str
    headers: dict
    body: bytes


class Reply:
    """What the server does with one request: write an answer, or misbehave."""

    def __init__(self, status: int = 200, body: bytes = b"", ctype: str = "application/json",
                 headers: dict | None = None):
        self.status, self.body, self.ctype, self.headers = status, body, ctype, headers or {}

    def write(self, handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(self.status)
        handler.send_header("Content-Type", self.ctype)
        handler.send_header("Content-Length", str(len(self.body)))
        for key, value in self.headers.items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(self.body)


class Reset(Reply):
    """Read the request, then cut the connection with a RST (the answer is lost)."""

    def write(self, handler):
        handler.close_connection = True
        # Linger 0, then close the socket's last reference: the kernel sends a RST instead of a FIN.
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.rfile.close()
        handler.wfile = io.BytesIO()
        handler.connection.close()


class Hang(Reply):
    def write(self, handler):
        handler.server.stopping.wait(30)
        handler.close_connection = True


class Trickle(Reply):
    """A 201 whose status line and headers arrive one byte every 0.2 s (each read is quick, the whole is not)."""

    def write(self, handler):
        data = b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nX-Padding: " + b"x" * 200 + b"\r\n\r\n{}"
        for byte in data:
            if handler.server.stopping.wait(0.2):
                break
            try:
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
            except OSError:
                break
        handler.close_connection = True


class Endless(Reply):
    """A 201 JSON body that never ends (chunked)."""

    def write(self, handler):
        handler.send_response(201)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        chunk = b"[" + b"0," * 32767 + b"\r\n"
        try:
            while not handler.server.stopping.is_set():
                handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                handler.server.sent_bytes += len(chunk)
        except OSError:
            pass
        handler.close_connection = True


class LoopbackServer:
    """Answers every POST with `answer(request)`; counts the POSTs it received."""

    def __init__(self, answer: Callable[[Request], Reply]):
        self.answer = answer
        self.posts = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.posts += 1
                outer.answer(Request(self.path, dict(self.headers), body)).write(self)

            def do_GET(self):  # the REST health probe: the backend is up
                Reply(200, b'{"status": "ok"}').write(self)

            def do_HEAD(self):
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.stopping = threading.Event()
        self.server.sent_bytes = 0
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self):
        self.server.stopping.set()
        self.server.shutdown()
        self.server.server_close()


# --- answers a REST backend (or something in front of it) can give ---------------------------------------------

def backend_ack(private, status=201, *, duplicate=False, mac=True, other_key=False, case="CASE-42"):
    """The real backend's acknowledgement: it opens the sealed payload, so it can compute ack_mac."""
    def answer(request: Request) -> Reply:
        envelope = json.loads(request.body)
        _, ack_key = open_envelope_with_ack(envelope, {None: private})
        key = request.headers["Idempotency-Key"]
        body = {"idempotency_key": key, "case_reference": case, "duplicate": duplicate, "status": "accepted"}
        if mac:
            body["ack_mac"] = ack_mac(b"\x00" * 32 if other_key else ack_key, key, case)
        return Reply(status, json.dumps(body).encode())
    return answer


def always(reply: type) -> Callable[[Request], Reply]:
    return lambda request: reply()


def fixed(status, body=b"", ctype="application/json", headers=None):
    return lambda request: Reply(status, body, ctype, headers)


def reflect_body(status=201):
    """A proxy or debug endpoint that sends the request body back (it holds the idempotency key)."""
    return lambda request: Reply(status, request.body, request.headers.get("Content-Type", "application/json"))


def reflect_headers(status=200):
    return lambda request: Reply(status, json.dumps({"headers": request.headers,
                                                     **{k.lower().replace("-", "_"): v
                                                        for k, v in request.headers.items()}}).encode())


def other_key(request):
    return Reply(201, json.dumps({"idempotency_key": "00000000-0000-0000-0000-000000000000",
                                  "case_reference": "X"}).encode())


@dataclass
class Row:
    """One row of the table: the answer, and what the queue must do with it."""

    name: str
    kind: str                       # "rest" or "openrosa"
    answer: Callable                # private key -> (request -> Reply)
    state: str                      # delivered, failed (retried later) or dead (set aside for a person)
    paused: bool = False            # the destination waits: the second submission is not tried in this pass
    words: tuple[str, ...] = ()     # in the reason the mediator sees
    not_words: tuple[str, ...] = ()
    options: dict = field(default_factory=dict)


ROWS = [
    # --- REST (docs/sync-api.yaml) ---
    Row("rest 201 ack with valid ack_mac", "rest", lambda k: backend_ack(k), "delivered"),
    Row("rest 200 duplicate with valid ack_mac", "rest", lambda k: backend_ack(k, 200, duplicate=True), "delivered"),
    Row("rest 409 duplicate with valid ack_mac", "rest", lambda k: backend_ack(k, 409, duplicate=True), "delivered"),
    Row("rest 201 echo without ack_mac", "rest", lambda k: backend_ack(k, mac=False), "failed", True, ("ack_mac",)),
    Row("rest 201 ack_mac under another key", "rest", lambda k: backend_ack(k, other_key=True), "failed", True,
        ("ack_mac",)),
    Row("rest 201 proxy reflecting the body", "rest", lambda k: reflect_body(), "failed", True, ("ack_mac",)),
    Row("rest 200 endpoint reflecting the headers", "rest", lambda k: reflect_headers(), "failed", True,
        ("ack_mac",)),
    Row("rest 201 JSON about another key", "rest", lambda k: other_key, "failed", True,
        ("without an acknowledgement",)),
    Row("rest 200 captive portal page", "rest", lambda k: fixed(200, PORTAL, "text/html"), "failed", True,
        ("captive portal",)),
    Row("rest 204 empty", "rest", lambda k: fixed(204), "failed", True, ("acknowledgement",)),
    Row("rest 201 endless body", "rest", lambda k: always(Endless), "failed", True, ("acknowledgement",)),
    Row("rest 302 redirect", "rest", lambda k: fixed(302, headers={"Location": "http://portal.example/"}), "failed",
        True, ("redirect",)),
    Row("rest 400 refusal with reason", "rest",
        lambda k: fixed(400, b'{"error": "validation", "reason": "missing fields: submitted_at"}'), "dead", False,
        ("HTTP 400", "missing fields: submitted_at")),
    Row("rest 422 refusal", "rest", lambda k: fixed(422, b'{"error": "validation", "reason": "bad postcode"}'),
        "dead", False, ("HTTP 422", "bad postcode")),
    Row("rest 404", "rest", lambda k: fixed(404, b'{"error": "not_found"}'), "dead", False, ("HTTP 404",)),
    Row("rest 401 wrong token", "rest", lambda k: fixed(401, b'{"error": "unauthorized"}'), "failed", True,
        ("HTTP 401", "credentials")),
    Row("rest 403 forbidden", "rest", lambda k: fixed(403, b'{"reason": "kiosk disabled"}'), "failed", True,
        ("HTTP 403", "credentials", "kiosk disabled")),
    Row("rest 409 still processing (Idempotency-Key draft)", "rest",
        lambda k: fixed(409, b'{"error": "conflict", "reason": "a request with this key is being processed"}'),
        "failed", False, ("HTTP 409", "still processing", "being processed")),
    Row("rest 409 HTML page from a proxy", "rest", lambda k: fixed(409, PROXY_409, "text/html"), "failed", False,
        ("HTTP 409",)),
    Row("rest 408", "rest", lambda k: fixed(408), "failed", False, ("HTTP 408",)),
    Row("rest 425", "rest", lambda k: fixed(425), "failed", False, ("HTTP 425",)),
    Row("rest 429 Retry-After 5", "rest", lambda k: fixed(429, headers={"Retry-After": "5"}), "failed", True,
        ("HTTP 429", "retry after 5 s")),
    Row("rest 429 without Retry-After", "rest", lambda k: fixed(429), "failed", True, ("HTTP 429", "too many")),
    Row("rest 500", "rest", lambda k: fixed(500, b'{"reason": "database error"}'), "failed", False,
        ("HTTP 500", "database error")),
    Row("rest 502 outage keeps the body", "rest", lambda k: fixed(502, BAD_GATEWAY, "text/html"), "failed", True,
        ("HTTP 502", "out", "502 Bad Gateway")),
    Row("rest 502 hostile page (regular-expression bait)", "rest",
        lambda k: fixed(502, b"<title>" + b"<script" * 140000 + b"a" * 5000, "text/html"), "failed", True,
        ("HTTP 502",)),
    Row("rest 503 outage", "rest", lambda k: fixed(503, b"Service Unavailable", "text/plain"), "failed", True,
        ("HTTP 503", "Service Unavailable")),
    Row("rest 504 outage", "rest", lambda k: fixed(504, b"", "text/plain"), "failed", True, ("HTTP 504",)),
    Row("rest reset after the request was read", "rest", lambda k: always(Reset), "failed", False,
        ("outcome unknown",), ("cannot reach",)),
    Row("rest no answer (hang) cut by the deadline", "rest", lambda k: always(Hang), "failed", True,
        ("deadline", "outcome unknown"), options={"deadline": 1, "read_timeout": 30}),
    Row("rest answer trickled byte by byte cut by the deadline", "rest", lambda k: always(Trickle), "failed", True,
        ("deadline",), options={"deadline": 1, "read_timeout": 30}),
    Row("rest reason with personal data and control characters", "rest",
        lambda k: fixed(400, json.dumps({"reason": "NIF 123456789 of maria@example.org\u202e is\x1b[31m\n\ninvalid"
                                         }).encode()), "dead", False,
        ("HTTP 400", "NIF [number] of [e-mail] is [31m invalid"), ("123456789", "maria", "\u202e", "\x1b", "\n")),
    # --- OpenRosa (ODK Central, KoboToolbox) ---
    Row("openrosa 201 OpenRosaResponse", "openrosa", lambda k: fixed(201, CENTRAL_SUCCESS, "text/xml"), "delivered"),
    Row("openrosa 202 Kobo duplicate", "openrosa", lambda k: fixed(202, KOBO_DUPLICATE, "text/xml"), "delivered"),
    Row("openrosa 201 message nature=error", "openrosa",
        lambda k: fixed(201, openrosa("Could not save the submission."), "text/xml"), "dead", False,
        ("reports an error", "Could not save")),
    Row("openrosa 201 HTML page", "openrosa", lambda k: fixed(201, PORTAL, "text/html"), "failed", True,
        ("without an OpenRosaResponse",)),
    Row("openrosa 201 page that only mentions OpenRosaResponse", "openrosa",
        lambda k: fixed(201, b"<html><body>&lt;OpenRosaResponse&gt; OpenRosaResponse</body></html>", "text/html"),
        "failed", True, ("without an OpenRosaResponse",)),
    Row("openrosa 200 portal", "openrosa", lambda k: fixed(200, PORTAL, "text/html"), "failed", True,
        ("not an OpenRosa acknowledgement",)),
    Row("openrosa 409.1 different XML", "openrosa", lambda k: fixed(409, CENTRAL_409_1, "text/xml"), "dead", False,
        ("HTTP 409", "different XML", "compare")),
    Row("openrosa 409.2 form closed", "openrosa", lambda k: fixed(409, CENTRAL_409_2, "text/xml"), "dead", False,
        ("not currently accepting submissions", "kiosk queue retry")),
    Row("openrosa 409.9 out-of-date edit", "openrosa", lambda k: fixed(409, CENTRAL_409_9, "text/xml"), "dead",
        False, ("out of date",)),
    Row("openrosa 409.18 deleted", "openrosa", lambda k: fixed(409, CENTRAL_409_18, "text/xml"), "dead", False,
        ("This submission has been deleted. You may not resubmit it.",)),
    Row("openrosa 409 HTML page from a proxy", "openrosa", lambda k: fixed(409, PROXY_409, "text/html"), "failed",
        False, ("not the OpenRosa server",)),
    Row("openrosa 404.6 form version missing", "openrosa", lambda k: fixed(404, CENTRAL_404_6, "text/xml"), "dead",
        False, ("publish this form version on the server", "kiosk queue retry", "(2024010101)"), ("&#39;",)),
    Row("openrosa 401.2 wrong credentials", "openrosa", lambda k: fixed(401, CENTRAL_401_2, "text/xml"), "failed",
        True, ("HTTP 401", "credentials", "Could not authenticate")),
    Row("openrosa 403.1", "openrosa",
        lambda k: fixed(403, openrosa("The authentication you provided does not have rights to perform that "
                                      "action."), "text/xml"), "failed", True, ("HTTP 403", "rights")),
    Row("openrosa 400.2 refusal", "openrosa", lambda k: fixed(400, CENTRAL_400_2, "text/xml"), "dead", False,
        ("HTTP 400", "xml_submission_file missing")),
    Row("openrosa 502 outage", "openrosa", lambda k: fixed(502, BAD_GATEWAY, "text/html"), "failed", True,
        ("HTTP 502", "Bad Gateway")),
    Row("openrosa 503 with Retry-After", "openrosa", lambda k: fixed(503, b"", "text/plain",
                                                                    {"Retry-After": "30"}),
        "failed", True, ("HTTP 503", "retry after 30 s")),
    Row("openrosa reset after the request was read", "openrosa", lambda k: always(Reset), "failed", False,
        ("outcome unknown",)),
]


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
def test_answer_table(tmp_path, row):
    config, private = make_queue_config(tmp_path)
    server = LoopbackServer(row.answer(private))
    url = server.url + ("/submission" if row.kind == "openrosa" else "")
    config = with_destinations(config, {"dest": {"kind": row.kind, "url": url, "read_timeout": 5,
                                                 "connect_timeout": 2, "deadline": 5, **row.options}})
    outbox = open_outbox(config)
    try:
        payloads = [sample_payload(f"TBL{i:05d}") for i in range(2)]
        for payload in payloads:
            outbox.enqueue(payload, config.destination("dest"))
        syncer = Syncer(outbox, config, POLICY)
        before = time.time()
        result = syncer.run_once()
        first = outbox.get(payloads[0]["submission_id"])
        assert first.state == row.state, first.last_error
        if row.state == "delivered":
            assert outbox.counts()["delivered"] == 2 and first.last_error is None
            return
        assert result.delivered == 0
        # Paused: one attempt for the destination, the rest waits; otherwise each submission is judged alone.
        assert server.posts == (1 if row.paused else 2)
        assert bool(result.errors) == row.paused
        if row.paused:
            assert syncer.block_reason["dest"] == first.last_error
        for word in row.words:
            assert word in first.last_error
        for word in row.not_words:
            assert word not in first.last_error
        if first.state == "failed":  # every wait is capped at max_delay, whatever the server asked
            assert first.next_attempt_at <= before + POLICY.max_delay + 2
        assert len(first.last_error) <= 500
    finally:
        outbox.close()
        server.stop()


def test_unreachable_destination_pauses(tmp_path):
    config, _ = make_queue_config(tmp_path)
    config = with_destinations(config, {"dest": {"url": f"http://127.0.0.1:{free_port()}", "connect_timeout": 1}})
    outbox = open_outbox(config)
    try:
        for i in range(2):
            outbox.enqueue(sample_payload(f"UNR{i:05d}"), config.destination("dest"))
        result = Syncer(outbox, config, POLICY).run_once()
        assert "cannot reach" in result.errors[0]
        assert outbox.counts()["failed"] == 1 and outbox.counts()["queued"] == 1
    finally:
        outbox.close()


@pytest.mark.parametrize("value", ["999999999", "inf", "Infinity", "nan", "-5", "1e400",
                                   "Fri, 31 Dec 2100 23:59:59 GMT", "soon"])
def test_retry_after_is_capped_at_max_delay(tmp_path, value):
    config, _ = make_queue_config(tmp_path)
    server = LoopbackServer(fixed(429, headers={"Retry-After": value}))
    config = with_destinations(config, {"dest": {"url": server.url}})
    outbox = open_outbox(config)
    try:
        outbox.enqueue(sample_payload("RA000001"), config.destination("dest"))
        before = time.time()
        Syncer(outbox, config, POLICY).run_once()
        (item,) = outbox.items()
        assert item.state == "failed"
        assert before <= item.next_attempt_at <= before + POLICY.max_delay + 2  # never years, never "now - 5"
    finally:
        outbox.close()
        server.stop()


def test_retry_after_http_date_is_honoured_up_to_max_delay(tmp_path):
    config, _ = make_queue_config(tmp_path)
    server = LoopbackServer(fixed(503, headers={"Retry-After": formatdate(time.time() + 30, usegmt=True)}))
    config = with_destinations(config, {"dest": {"url": server.url}})
    outbox = open_outbox(config)
    try:
        outbox.enqueue(sample_payload("RA000002"), config.destination("dest"))
        before = time.time()
        Syncer(outbox, config, POLICY).run_once()
        assert before + 25 <= outbox.items()[0].next_attempt_at <= before + 33
    finally:
        outbox.close()
        server.stop()


def test_endless_body_is_read_only_up_to_the_cap(tmp_path):
    """The kiosk stops reading after 1 MiB and drops the connection: the server cannot send much more."""
    config, private = make_queue_config(tmp_path)
    server = LoopbackServer(lambda request: Endless())
    config = with_destinations(config, {"dest": {"url": server.url, "deadline": 10}})
    outbox = open_outbox(config)
    try:
        outbox.enqueue(sample_payload("END00001"), config.destination("dest"))
        Syncer(outbox, config, POLICY).run_once()
        assert outbox.items()[0].state == "failed"
        time.sleep(0.3)  # the server notices the closed connection
        # What the kernel buffers on both sides comes on top of the 1 MiB read; nowhere near "endless".
        assert server.server.sent_bytes < 16 * 1024 * 1024
    finally:
        outbox.close()
        server.stop()
