"""Sync to a minimal OpenRosa 1.0 server (ODK Central / KoboToolbox behaviour) on 127.0.0.1."""
from __future__ import annotations

import base64
import email.parser
import hashlib
import email.policy
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from offline_queue import open_outbox
from offline_queue.sync import Syncer
from tests.queue_fixtures import FAST, drain, make_queue_config, sample_payload, with_destinations

pytestmark = pytest.mark.timeout(60)

OK = (b'<OpenRosaResponse xmlns="http://openrosa.org/http/response">'
      b'<message nature="submit_success">full submission uploaded</message></OpenRosaResponse>')

CLOSED = (b'<OpenRosaResponse xmlns="http://openrosa.org/http/response" items="0"><message nature="error">'
          b"This form is not currently accepting submissions. Please talk to your program staff if this is "
          b"unexpected.</message></OpenRosaResponse>")
NO_VERSION = (b'<OpenRosaResponse xmlns="http://openrosa.org/http/response" items="0"><message nature="error">'
              b"The form version specified in this submission &#39;2024010101&#39; does not exist.</message>"
              b"</OpenRosaResponse>")


class OpenRosaServer:
    """Stores instances by instanceID; duplicates answered the way `flavour` ("central" or "kobo") does."""

    def __init__(self, flavour: str = "central", user: str | None = None, password: str | None = None,
                 token: str | None = None, digest: bool = False):
        self.flavour, self.user, self.password, self.token = flavour, user, password, token
        self.digest = digest
        self.nonce = hashlib.md5(str(id(self)).encode()).hexdigest()
        self.instances: dict[str, bytes] = {}
        self.bodies: list[bytes] = []   # every xml_submission_file received, in order
        self.headers: list[dict] = []
        self.script: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args):
                pass

            def answer(self, status, body=b"", ctype="text/xml; charset=utf-8"):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("X-OpenRosa-Version", "1.0")
                self.end_headers()
                self.wfile.write(body)

            def digest_ok(self):
                header = self.headers.get("Authorization", "")
                if not header.startswith("Digest "):
                    return False
                f = dict(re.findall(r'(\w+)="?([^",]*)"?', header[7:]))
                md5 = lambda text: hashlib.md5(text.encode()).hexdigest()  # noqa: E731
                ha1 = md5(f"{outer.user}:ponte-test:{outer.password}")
                ha2 = md5(f"POST:{f.get('uri')}")
                expected = md5(f"{ha1}:{outer.nonce}:{f.get('nc')}:{f.get('cnonce')}:{f.get('qop')}:{ha2}")
                return f.get("username") == outer.user and f.get("response") == expected

            def path_ok(self):
                expected = f"/v1/key/{outer.token}/projects/1/submission" if outer.token else "/submission"
                return self.path == expected

            def do_HEAD(self):
                self.answer(204 if self.path_ok() else 404)

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if not self.path_ok():
                    return self.answer(404, b"<OpenRosaResponse><message>not found</message></OpenRosaResponse>")
                if outer.user and outer.digest:
                    if not self.digest_ok():
                        self.send_response(401)
                        self.send_header("WWW-Authenticate", f'Digest realm="ponte-test", qop="auth", '
                                                             f'nonce="{outer.nonce}", algorithm=MD5')
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                elif outer.user:
                    expected = "Basic " + base64.b64encode(f"{outer.user}:{outer.password}".encode()).decode()
                    if self.headers.get("Authorization") != expected:
                        return self.answer(401, b"<OpenRosaResponse xmlns='http://openrosa.org/http/response'>"
                                                b"<message>Could not authenticate you.</message></OpenRosaResponse>")
                action = outer.script.pop(0) if outer.script else "ok"
                if action == "captive":
                    return self.answer(200, b"<html><body>Login to FreeWiFi</body></html>", "text/html")
                if action == "201-html":
                    return self.answer(201, b"<html><body>Welcome</body></html>", "text/html")
                if action == "500":
                    return self.answer(500, b"oops", "text/plain")
                if action == "closed":  # Central 409.2: the form is closed; nothing is stored
                    return self.answer(409, CLOSED)
                if action == "no-version":  # Central 404.6: this form version was never published
                    return self.answer(404, NO_VERSION)
                parsed = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                    b"Content-Type: " + self.headers["Content-Type"].encode() + b"\r\n\r\n" + body)
                xml = next(p.get_payload(decode=True) for p in parsed.iter_parts()
                           if p.get_param("name", header="content-disposition") == "xml_submission_file")
                outer.bodies.append(xml)
                outer.headers.append(dict(self.headers))
                instance = re.search(rb"<instanceID>(.*?)</instanceID>", xml).group(1).decode()
                if instance in outer.instances:
                    if outer.instances[instance] != xml:
                        return self.answer(409, b"<OpenRosaResponse xmlns='http://openrosa.org/http/response'>"
                                                b"<message>A submission already exists with this ID, but with "
                                                b"different XML. Resubmissions to attach additional multimedia "
                                                b"must resubmit an identical xml_submission_file.</message>"
                                                b"</OpenRosaResponse>")
                    if outer.flavour == "kobo":
                        return self.answer(202, b"<OpenRosaResponse xmlns='http://openrosa.org/http/response'>"
                                                b"<message>Duplicate submission</message></OpenRosaResponse>")
                    return self.answer(201, OK)
                outer.instances[instance] = xml
                if action == "drop":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.answer(201, OK)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def odk(tmp_path):
    server = OpenRosaServer()
    config, private = make_queue_config(tmp_path)
    config = with_destinations(config, {"odk": {"kind": "openrosa", "url": server.base + "/submission",
                                                "read_timeout": 2}})
    outbox = open_outbox(config)
    yield config, server, outbox
    outbox.close()
    server.stop()


def enqueue(outbox, config, n=1):
    payloads = [sample_payload(f"OR{i:06d}") for i in range(n)]
    for p in payloads:
        outbox.enqueue(p, config.destination("odk"))
    return payloads


def test_delivers_xform_instance(odk):
    config, server, outbox = odk
    (payload,) = enqueue(outbox, config)
    assert Syncer(outbox, config, FAST).run_once().delivered == 1
    xml = server.instances[f"uuid:{payload['submission_id']}"]
    assert b'<data id="change_address" version="2024010101">' in xml
    assert b"<person><name>Maria Canary-Silva</name></person>" in xml
    assert server.headers[0]["X-OpenRosa-Version"] == "1.0"
    assert server.headers[0]["User-Agent"].startswith("Ponte/")  # not python-requests
    assert outbox.items()[0].state == "delivered"


def test_resend_after_reset_is_byte_identical_and_counts_as_delivered(odk):
    config, server, outbox = odk
    payloads = enqueue(outbox, config, 3)
    server.script = ["drop", "ok", "drop"]
    drain(Syncer(outbox, config, FAST))
    assert len(server.instances) == 3 and len(server.bodies) == 5
    for p in payloads:
        sent = [b for b in server.bodies if p["submission_id"].encode() in b]
        assert len(set(sent)) == 1  # ODK Central accepts a resubmission only if byte-identical
    assert outbox.counts()["delivered"] == 3


def test_kobo_duplicate_answer_counts_as_delivered(tmp_path):
    server = OpenRosaServer(flavour="kobo")
    config, _ = make_queue_config(tmp_path)
    config = with_destinations(config, {"odk": {"kind": "openrosa", "url": server.base + "/submission"}})
    outbox = open_outbox(config)
    try:
        enqueue(outbox, config, 2)
        server.script = ["drop"]
        drain(Syncer(outbox, config, FAST))
        assert outbox.counts()["delivered"] == 2 and len(server.instances) == 2
    finally:
        outbox.close()
        server.stop()


def test_different_xml_for_same_instance_is_dead(odk):
    config, server, outbox = odk
    (payload,) = enqueue(outbox, config)
    server.instances[f"uuid:{payload['submission_id']}"] = b"<data>something else</data>"
    result = Syncer(outbox, config, FAST).run_once()
    assert result.dead == 1
    assert "different XML" in outbox.items()[0].last_error


@pytest.mark.parametrize("action", ["captive", "201-html"])
def test_captive_portal_is_not_delivered(odk, action):
    config, server, outbox = odk
    enqueue(outbox, config)
    server.script = [action]
    syncer = Syncer(outbox, config, FAST)
    assert syncer.run_once().delivered == 0
    assert outbox.items()[0].state == "failed" and "captive" in outbox.items()[0].last_error
    drain(syncer)
    assert outbox.counts()["delivered"] == 1


def test_wrong_basic_password_pauses_the_destination_and_kills_nothing(tmp_path, monkeypatch):
    server = OpenRosaServer(user="kiosk", password="s3cret")
    config, _ = make_queue_config(tmp_path)
    monkeypatch.setenv("ODK_PASSWORD", "wrong")
    config = with_destinations(config, {"odk": {"kind": "openrosa", "url": server.base + "/submission",
                                                "auth": "basic", "username": "kiosk",
                                                "password_env": "ODK_PASSWORD"}})
    outbox = open_outbox(config)
    try:
        enqueue(outbox, config, 2)
        result = Syncer(outbox, config, FAST).run_once()
        assert (result.dead, result.retried) == (0, 1)
        assert "credentials" in result.errors[0] and "Could not authenticate" in result.errors[0]
        assert outbox.counts()["dead"] == 0
        monkeypatch.setenv("ODK_PASSWORD", "s3cret")
        drain(Syncer(outbox, config, FAST))
        assert outbox.counts()["delivered"] == 2
    finally:
        outbox.close()
        server.stop()


def test_central_app_user_token_url_from_file(tmp_path):
    server = OpenRosaServer(token="Abc123TOKEN")
    (tmp_path / "token").write_text("Abc123TOKEN\n")
    config, _ = make_queue_config(tmp_path)
    config = with_destinations(config, {"odk": {
        "kind": "openrosa", "auth": "token_url", "token_file": str(tmp_path / "token"),
        "url": server.base + "/v1/key/{token}/projects/1/submission"}})
    outbox = open_outbox(config)
    try:
        enqueue(outbox, config)
        syncer = Syncer(outbox, config, FAST)
        assert syncer.connector("odk").probe()
        assert syncer.run_once().delivered == 1
    finally:
        outbox.close()
        server.stop()


def test_missing_secret_is_a_clear_config_error(tmp_path, monkeypatch):
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    config, _ = make_queue_config(tmp_path)
    config = with_destinations(config, {"odk": {"kind": "openrosa", "url": "http://127.0.0.1:9/submission",
                                                "auth": "basic", "username": "u",
                                                "password_env": "NOT_SET_ANYWHERE"}})
    outbox = open_outbox(config)
    try:
        enqueue(outbox, config)
        result = Syncer(outbox, config, FAST).run_once()
        assert result.delivered == 0 and "NOT_SET_ANYWHERE" in result.errors[0]
        assert outbox.items()[0].state == "failed"
    finally:
        outbox.close()


def test_digest_auth_password_from_file(tmp_path):
    server = OpenRosaServer(user="kiosk", password="d1gest!", digest=True)
    (tmp_path / "pw").write_text("d1gest!\n")
    config, _ = make_queue_config(tmp_path)
    config = with_destinations(config, {"odk": {"kind": "openrosa", "url": server.base + "/submission",
                                                "auth": "digest", "username": "kiosk",
                                                "password_file": str(tmp_path / "pw")}})
    outbox = open_outbox(config)
    try:
        (payload,) = enqueue(outbox, config)
        assert Syncer(outbox, config, FAST).run_once().delivered == 1
        assert f"uuid:{payload['submission_id']}" in server.instances
    finally:
        outbox.close()
        server.stop()


def test_closed_form_is_set_aside_and_delivered_after_reopening_and_retry(odk):
    """Central's 409.2 used to count as delivered: the submission was purged and Central held nothing."""
    config, server, outbox = odk
    (payload,) = enqueue(outbox, config)
    server.script = ["closed"]
    assert Syncer(outbox, config, FAST).run_once().dead == 1
    item = outbox.items()[0]
    assert item.state == "dead" and server.instances == {}
    assert "not currently accepting submissions" in item.last_error and "kiosk queue retry" in item.last_error
    outbox.retry(item.reference)  # the form manager reopened the form; the mediator retries
    assert Syncer(outbox, config, FAST).run_once().delivered == 1
    assert f"uuid:{payload['submission_id']}" in server.instances


def test_unknown_form_version_tells_the_mediator_to_publish_it(odk):
    config, server, outbox = odk
    enqueue(outbox, config)
    server.script = ["no-version"]
    Syncer(outbox, config, FAST).run_once()
    item = outbox.items()[0]
    assert item.state == "dead"
    assert "publish this form version on the server, then `kiosk queue retry`" in item.last_error
    assert "'[number]'" in item.last_error or "2024010101" in item.last_error
    assert "&#39;" not in item.last_error
    outbox.retry(item.reference)  # published now
    assert Syncer(outbox, config, FAST).run_once().delivered == 1
