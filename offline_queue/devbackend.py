"""`kiosk dev-backend`: a reference backend for the REST contract (docs/sync-api.yaml).

SQLite storage, deduplication by idempotency key, sealed payloads opened with
its private key, acknowledgements signed with the key only the opener of the
payload knows (`ack_mac`), and fault injection (error rate, latency, a hang, dropping the
connection after reading the body, a captive-portal page) for demos and tests.
"""
from __future__ import annotations

import hashlib
import json
import logging
import random
import socket
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from offline_queue.connectors.rest import open_envelope_with_ack
from offline_queue.keys import ensure_keypair, key_id, load_private_key
from offline_queue.seal import SealError, ack_mac, open_sealed, sealed_key_id

log = logging.getLogger("offline_queue.devbackend")

CAPTIVE_PAGE = b"<!DOCTYPE html><html><head><title>Welcome to FreeCityWiFi</title></head>" \
               b"<body><form>Accept the terms to continue</form></body></html>"

# What the demo administration already knows (POST /prefill/{service}): national ID -> service -> page id ->
# answer. Made-up people with valid check digits; anyone else is 404, "nothing known".
PREFILL_PEOPLE: dict[str, dict[str, dict]] = {
    "123456789": {"change-of-address": {"full_name": "Ana Exemplo", "phone": "+351 912 345 678",
                                        "email": "ana.exemplo@example.com"},
                  "birth-certificate": {"person_name": "Ana Exemplo", "place_of_birth": "Lisboa, Portugal"}},
    "100000002": {"change-of-address": {"full_name": "Rui Exemplo", "others_moved": "no"}},
}
PREFILL_SOURCE = {"en": "Civil Registry", "pt": "Registo Civil", "fr": "État civil", "es": "Registro Civil",
                  "ar": "السجل المدني"}


@dataclass
class Faults:
    """What the server does wrong, on purpose. `script` actions are used first, one per POST."""

    error_rate: float = 0.0      # fraction of POSTs answered with error_status
    error_status: int = 503
    retry_after: float | None = None
    latency: float = 0.0         # seconds added before answering
    drop_rate: float = 0.0       # fraction of POSTs stored, then the connection dropped without an answer
    hang: bool = False           # POSTs never answered (until the server stops)
    captive: bool = False        # answer 200 with an HTML page, as a captive portal does
    script: list = field(default_factory=list)  # e.g. ["503", "429:2", "drop", "hang", "captive", "400"]

    def next_action(self, rng: random.Random) -> str:
        if self.script:
            return str(self.script.pop(0))
        if self.hang:
            return "hang"
        if self.captive:
            return "captive"
        if self.error_rate and rng.random() < self.error_rate:
            return str(self.error_status) + (f":{self.retry_after:g}" if self.retry_after is not None else "")
        if self.drop_rate and rng.random() < self.drop_rate:
            return "drop"
        return "ok"


class Store:
    """The backend's own database: one row per idempotency key."""

    def __init__(self, path: Path | str):
        self._lock = threading.Lock()
        self.conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.execute("CREATE TABLE IF NOT EXISTS submissions (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
                          "idempotency_key TEXT UNIQUE NOT NULL, reference TEXT, service_id TEXT, "
                          "received_at REAL, payload TEXT, duplicates INTEGER DEFAULT 0)")
        self.conn.execute("CREATE TABLE IF NOT EXISTS attachments (idempotency_key TEXT NOT NULL, name TEXT NOT NULL, "
                          "content_type TEXT, data BLOB NOT NULL, PRIMARY KEY (idempotency_key, name))")

    def store(self, key: str, reference: str, service_id: str, payload: dict,
              attachments: list[tuple[str, str, bytes]] = ()) -> tuple[str, bool]:  # type: ignore[assignment]
        """(case reference, was a duplicate). Attachments (name, content type, bytes) are stored with the first
        copy only, in the same transaction."""
        with self._lock:
            row = self.conn.execute("SELECT seq FROM submissions WHERE idempotency_key=?", (key,)).fetchone()
            if row:
                self.conn.execute("UPDATE submissions SET duplicates=duplicates+1 WHERE seq=?", (row[0],))
                return f"DEV-{row[0]:06d}", True
            self.conn.execute("BEGIN")
            cur = self.conn.execute("INSERT INTO submissions (idempotency_key, reference, service_id, received_at, "
                                    "payload) VALUES (?,?,?,?,?)",
                                    (key, reference, service_id, time.time(), json.dumps(payload)))
            self.conn.executemany("INSERT INTO attachments VALUES (?,?,?,?)",
                                  [(key, name, ctype, data) for name, ctype, data in attachments])
            self.conn.execute("COMMIT")
            return f"DEV-{cur.lastrowid:06d}", False

    def attachments(self, key: str) -> dict[str, tuple[str, bytes]]:
        """The files stored with a submission: name -> (content type, bytes), for tests to compare."""
        with self._lock:
            cur = self.conn.execute("SELECT name, content_type, data FROM attachments WHERE idempotency_key=? "
                                    "ORDER BY rowid", (key,))
            return {name: (ctype, bytes(data)) for name, ctype, data in cur}

    def rows(self) -> list[dict]:
        with self._lock:
            cur = self.conn.execute("SELECT seq, idempotency_key, reference, service_id, payload, duplicates "
                                    "FROM submissions ORDER BY seq")
            return [{"seq": s, "idempotency_key": k, "reference": r, "service_id": sv,
                     "payload": json.loads(p), "duplicates": d} for s, k, r, sv, p, d in cur]

    def count(self) -> int:
        with self._lock:
            return self.conn.execute("SELECT count(*) FROM submissions").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self.conn.close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real backend behind a proxy would
    # Headers and body in one segment: otherwise Nagle plus delayed ACK add ~40 ms to every answer.
    disable_nagle_algorithm = True
    wbufsize = 64 * 1024
    server: "_Server"

    def log_message(self, fmt, *args) -> None:  # no request lines with references on stderr
        log.debug("dev-backend: " + fmt, *args)

    def _send(self, status: int, body: bytes, content_type: str = "application/json",
              headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, value: dict, headers: dict | None = None) -> None:
        self._send(status, json.dumps(value).encode(), headers=headers)

    def do_GET(self) -> None:
        if self.path == "/health":
            self._json(200, {"status": "ok", "service": "ponte-dev-backend"})
        elif self.path == "/_stats":
            self._json(200, {"submissions": self.server.store.count(), "requests": self.server.requests})
        else:
            self._json(404, {"error": "not_found", "reason": "unknown path"})

    def do_HEAD(self) -> None:
        self.send_response(204 if self.path == "/health" else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if self.path == "/_faults":
            return self._set_faults(body)
        if self.path.startswith("/prefill/"):
            return self._prefill(body)
        if self.path not in ("/submissions", "/submissions/batch"):
            return self._json(404, {"error": "not_found", "reason": "POST /submissions"})
        if self.server.token and self.headers.get("Authorization") != f"Bearer {self.server.token}":
            return self._json(401, {"error": "unauthorized", "reason": "missing or wrong bearer token"})
        with self.server.lock:
            self.server.requests += 1
            action = self.server.faults.next_action(self.server.rng)
            latency = self.server.faults.latency
        if latency:
            time.sleep(latency)
        if action == "hang":
            self.server.stopping.wait(3600)
            self.close_connection = True
            return
        if action == "captive":
            return self._send(200, CAPTIVE_PAGE, "text/html; charset=utf-8")
        status, _, after = action.partition(":")
        if status.isdigit():
            headers = {"Retry-After": after} if after else None
            return self._json(int(status), {"error": "injected", "reason": f"injected fault {status}"}, headers)
        result = self._accept(body) if self.path == "/submissions" else self._accept_batch(body)
        if result is None:
            return
        status, answer = result
        if action == "drop":
            # Stored, then the connection is cut before the answer: the kiosk must resend, we must dedup.
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self._json(status, answer)

    def _accept(self, body: bytes):
        """The answer to POST /submissions: (status, JSON) after storing, or None once an error was sent."""
        key = self.headers.get("Idempotency-Key", "")
        parts = None
        if self.headers.get("Content-Type", "").lower().startswith("multipart/form-data"):
            parts = _multipart(self.headers["Content-Type"], body)
            if parts is None or not parts or parts[0][0] != "envelope":
                self._json(400, {"error": "multipart", "reason": "a multipart body starts with the part 'envelope'"})
                return None
            body, parts = parts[0][2], parts[1:]
        try:
            envelope = json.loads(body)
            assert isinstance(envelope, dict)
        except (ValueError, AssertionError):
            self._json(400, {"error": "invalid_json", "reason": "the body is not a JSON object"})
            return None
        if not key or envelope.get("idempotency_key") != key:
            self._json(400, {"error": "idempotency_key", "reason": "Idempotency-Key header missing or not the "
                                                                  "envelope's idempotency_key"})
            return None
        status, answer = self._store(envelope, key, parts)
        if status >= 400:
            self._json(status, answer)
            return None
        return status, answer

    def _store(self, envelope: dict, key: str, parts: list | None = None) -> tuple[int, dict]:
        """Open, check and store one envelope and its attachment parts: (HTTP status, the JSON answer)."""
        try:
            payload, ack_key = open_envelope_with_ack(envelope, self.server.private_keys)
        except (SealError, ValueError) as exc:
            return 400, {"error": "sealed", "reason": f"cannot open the sealed payload: {exc}"}
        if payload.get("submission_id") != key:
            return 400, {"error": "idempotency_key", "reason": "payload submission_id differs from the key"}
        missing = [k for k in ("reference", "service", "submitted_at") if k not in payload]
        if missing:
            return 400, {"error": "validation", "reason": f"missing fields: {', '.join(missing)}"}
        try:
            files = self._open_parts(envelope, payload, parts or [])
        except ValueError as exc:
            return 400, {"error": "attachments", "reason": str(exc)}
        service = payload.get("service") or {}
        case, duplicate = self.server.store.store(key, str(payload["reference"]), str(service.get("id", "")),
                                                  payload, files)
        answer = {"idempotency_key": key, "case_reference": case, "duplicate": duplicate, "status": "accepted"}
        if ack_key is not None and self.server.sign_acks:
            # The proof of delivery: a proxy that reflects the request cannot compute it (docs/sync-api.yaml).
            answer["ack_mac"] = ack_mac(ack_key, key, case)
        return (200 if duplicate else 201), answer

    def _open_parts(self, envelope: dict, payload: dict, parts: list) -> list[tuple[str, str, bytes]]:
        """The attachment parts, opened when the envelope is sealed, checked against the payload's list (same
        names, sizes and sha256): (name, content type, bytes). ValueError says what does not match."""
        listed = payload.get("attachments") or []
        if not isinstance(listed, list) or [a.get("name") for a in listed if isinstance(a, dict)] != \
                [name for name, _, _ in parts]:
            raise ValueError("the attachment parts are not the files the payload lists, in order")
        files = []
        for spec, (name, _ctype, data) in zip(listed, parts):
            if "sealed" in envelope:
                key = self.server.private_keys.get(sealed_key_id(data)) or self.server.private_keys.get(None)
                if key is None:
                    raise ValueError(f"no private key for attachment {name}")
                try:
                    data = open_sealed(data, key)
                except SealError:
                    raise ValueError(f"cannot open the sealed attachment {name}") from None
            if len(data) != spec.get("size") or hashlib.sha256(data).hexdigest() != spec.get("sha256"):
                raise ValueError(f"attachment {name} does not match its size and sha256 in the payload")
            files.append((name, str(spec.get("content_type", "")), data))
        return files

    def _accept_batch(self, body: bytes):
        """POST /submissions/batch: {"items": [envelope, ...]} -> {"results": [per-item answer + status]}."""
        try:
            items = json.loads(body).get("items")
            assert isinstance(items, list) and 0 < len(items) <= 1000
        except (ValueError, AttributeError, AssertionError):
            self._json(400, {"error": "invalid_json", "reason": "the body is not {\"items\": [envelope, ...]}"})
            return None
        results = []
        for envelope in items:
            key = envelope.get("idempotency_key") if isinstance(envelope, dict) else None
            if not isinstance(key, str) or not key:
                results.append({"idempotency_key": None, "http_status": 400, "error": "idempotency_key",
                                "reason": "an item without idempotency_key"})
                continue
            status, answer = self._store(envelope, key)
            results.append({**answer, "idempotency_key": key, "http_status": status})
        return 200, {"results": results}

    def _prefill(self, body: bytes) -> None:
        """POST /prefill/{service} (docs/sync-api.yaml): what the demo administration knows, by page id."""
        if self.server.token and self.headers.get("Authorization") != f"Bearer {self.server.token}":
            return self._json(401, {"error": "unauthorized", "reason": "missing or wrong bearer token"})
        try:
            identity = json.loads(body).get("identity") or {}
            person = PREFILL_PEOPLE.get(str(identity.get("national_id", "")), {})
        except (ValueError, AttributeError):
            return self._json(400, {"error": "invalid_json", "reason": "the body is not a prefill request"})
        answers = person.get(self.path.removeprefix("/prefill/"))
        if not answers or not identity.get("document"):  # nobody checked a document: nothing is said
            return self._json(404, {"error": "not_found", "reason": "nothing known for this person and service"})
        with self.server.lock:
            self.server.prefills += 1
        self._json(200, {"answers": answers, "source": PREFILL_SOURCE})

    def _set_faults(self, body: bytes) -> None:
        try:
            spec = json.loads(body or b"{}")
            faults = Faults(**spec)
        except (ValueError, TypeError) as exc:
            return self._json(400, {"error": "faults", "reason": str(exc)})
        with self.server.lock:
            self.server.faults = faults
        self._json(200, {"faults": spec})


def _multipart(content_type: str, body: bytes) -> list[tuple[str, str, bytes]] | None:
    """The parts of a multipart/form-data body in order: (field name, content type, bytes); None if malformed."""
    try:
        message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode("latin-1") +
                                                      b"\r\n\r\n" + body)
        if not message.is_multipart():
            return None
        parts = []
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            data = part.get_payload(decode=True)
            if not isinstance(name, str) or not isinstance(data, bytes):
                return None
            parts.append((name, part.get_content_type(), data))
        return parts
    except (ValueError, TypeError, UnicodeError):
        return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # Set by DevBackend before serving; read by each request's handler.
    store: "Store"
    private_keys: dict[str | None, Any]  # key id -> private key (None: a key that names no id)
    faults: "Faults"
    rng: random.Random
    lock: threading.Lock
    requests: int
    prefills: int
    stopping: threading.Event
    token: str | None
    sign_acks: bool

    def handle_error(self, request, client_address) -> None:
        # Clients that vanish mid-answer (killed kiosks, timeouts) are normal here; other errors are logged.
        import sys
        exc = sys.exc_info()[1]
        if isinstance(exc, (BrokenPipeError, ConnectionResetError, TimeoutError)):
            return
        log.exception("dev-backend: error while answering")


class DevBackend:
    """A running dev-backend; `url`, `faults`, `rows()`, `stop()`."""

    def __init__(self, db_path: Path | str, private_keys, host: str = "127.0.0.1", port: int = 0,
                 faults: Faults | None = None, seed: int | None = None, token: str | None = None,
                 sign_acks: bool = True):
        self.store = Store(db_path)
        self.server = _Server((host, port), _Handler)
        self.server.store = self.store
        self.server.private_keys = {key_id(k.public_key()): k for k in private_keys}
        self.server.faults = faults or Faults()
        self.server.rng = random.Random(seed)
        self.server.lock = threading.Lock()
        self.server.requests = 0
        self.server.prefills = 0  # prefill answers given (200), for tests
        self.server.stopping = threading.Event()
        self.server.token = token  # require "Authorization: Bearer <token>" when set
        self.server.sign_acks = sign_acks  # False: a legacy backend that only echoes the key
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def faults(self) -> Faults:
        return self.server.faults

    @faults.setter
    def faults(self, value: Faults) -> None:
        with self.server.lock:
            self.server.faults = value

    @property
    def requests(self) -> int:
        return self.server.requests

    def rows(self) -> list[dict]:
        return self.store.rows()

    def audit_problems(self, public_keys: dict | None = None) -> list[str]:
        """What the audit heads received (audit batches, day-closing manifests) say about each kiosk's log, as a
        backend checks them (docs/sync-api.yaml): a head that goes back or replaces an entry, or (for the kiosks
        in public_keys, id -> Ed25519 public key) one the kiosk did not sign."""
        from kiosk.signing import SigningError, check_progress, verify_signature
        heads = []
        for row in self.rows():
            payload = row["payload"]
            head = payload.get("signed_head") if row["service_id"] == "ponte-audit" else \
                (payload.get("manifest") or {}).get("audit_head") if row["service_id"] == "ponte-close-day" else None
            if isinstance(head, dict) and isinstance(head.get("seq"), int):
                heads.append(head)
        problems: list = []
        newest: dict = {}
        for head in sorted(heads, key=lambda h: (str(h.get("ts")), h["seq"])):  # signing order, not arrival
            kiosk = str(head.get("kiosk"))
            try:
                if public_keys and kiosk in public_keys:
                    verify_signature(head, public_keys[kiosk])
            except SigningError as exc:
                problems.append(f"{kiosk}: {exc}")
                continue
            problem = check_progress(newest[kiosk], head) if kiosk in newest else None
            if problem:
                problems.append(f"{kiosk}: {problem}")
            if kiosk not in newest or head["seq"] >= newest[kiosk]["seq"]:
                newest[kiosk] = head
        return problems

    def attachments(self, key: str) -> dict[str, tuple[str, bytes]]:
        """The files stored with one submission: name -> (content type, bytes)."""
        return self.server.store.attachments(key)

    def start(self) -> "DevBackend":
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="ponte-dev-backend", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.server.serve_forever(poll_interval=0.5)

    def stop(self) -> None:
        self.server.stopping.set()
        self.server.shutdown()
        self.server.server_close()
        if self._thread:
            self._thread.join(5)
        self.store.close()

    def __enter__(self) -> "DevBackend":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_dev_backend(db_path: Path | str, private_keys=None, key_dir: Path | str | None = None,
                      port: int = 0, faults: Faults | None = None, seed: int | None = None,
                      token: str | None = None, sign_acks: bool = True) -> DevBackend:
    """Start a dev-backend in a daemon thread on 127.0.0.1 (port 0: an ephemeral port; see `.url`)."""
    if private_keys is None:
        if key_dir is None:
            raise ValueError("give private_keys or key_dir")
        private_keys = [ensure_keypair(key_dir).private]
    return DevBackend(db_path, list(private_keys), port=port, faults=faults, seed=seed, token=token,
                      sign_acks=sign_acks).start()


def load_keys(key_dir: Path | str) -> list:
    """Every private*.pem in key_dir: the current key and the ones kept during a rotation."""
    ensure_keypair(key_dir)
    return [load_private_key(p) for p in sorted(Path(key_dir).glob("private*.pem"))]


def ensure_demo_backend(config, port: int = 8765) -> DevBackend | None:
    """For the demo: start a dev-backend in a background thread when the config's destination is the local
    default (http://127.0.0.1:<port>) and nothing listens there yet. Returns it (call .stop()), or None."""
    import socket as _socket
    from offline_queue.keys import dev_backend_dir
    if not any(d.url.rstrip("/") == f"http://127.0.0.1:{port}" for d in config.destinations.values()):
        return None
    with _socket.socket() as probe:
        probe.settimeout(0.2)
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            return None  # one is running already (another kiosk process or `kiosk dev-backend`)
    directory = dev_backend_dir(config.data_dir)
    directory.mkdir(parents=True, exist_ok=True)
    try:
        return start_dev_backend(directory / "backend.db", load_keys(directory), port=port)
    except OSError:
        return None

