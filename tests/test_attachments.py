"""Attachments (documents, signatures) through the real outbox: sealed at rest, delivered exactly once over real
HTTP on 127.0.0.1 to the dev-backend (REST multipart) and to an OpenRosa server that checks Central's parts."""
from __future__ import annotations

import email.parser
import email.policy
import json
import os
import re
import subprocess
import sys
import textwrap
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kiosk.config import config_from_dict
from kiosk.documents import Attachment, DocumentError
from offline_queue import open_outbox
from offline_queue.devbackend import start_dev_backend
from offline_queue.sync import Syncer
from tests.queue_fixtures import FAST, make_queue_config, sample_payload, with_destinations

pytestmark = pytest.mark.timeout(60)

CANARY = b"CANARY-PAGE-7f3a9c"  # would show up in the queue file if any attachment were stored unsealed


def files(seed: str = "a") -> list[Attachment]:
    """Two pages and a signature with recognisable bytes (every byte value included, and the canary)."""
    return [Attachment("proof-1.jpg", "image/jpeg", CANARY + seed.encode() + bytes(range(256)) * 40),
            Attachment("proof-2.jpg", "image/jpeg", CANARY + seed.encode() + os.urandom(30_000)),
            Attachment("signature.png", "image/png", CANARY + b"\r\n--boundary-lookalike\r\n" + os.urandom(2000))]


def doc_payload(reference: str, attachments: list[Attachment]) -> dict:
    names = [a.name for a in attachments]
    return sample_payload(reference, fields={"person/name": "Maria Canary-Silva", "proof": " ".join(names[:2]),
                                             "signature": names[2]})


@pytest.fixture
def rest(tmp_path):
    config, private = make_queue_config(tmp_path)
    backend = start_dev_backend(tmp_path / "backend.db", [private])
    config = with_destinations(config, {"*": {"url": backend.url, "read_timeout": 2.0, "connect_timeout": 1.0}})
    outbox = open_outbox(config)
    yield config, backend, outbox
    outbox.close()
    backend.stop()


def test_rest_multipart_delivers_attachments_byte_identical_and_purges_them(rest):
    config, backend, outbox = rest
    attachments = files()
    payload = doc_payload("DOC00001", attachments)
    outbox.enqueue(payload, config.destination("civil"), attachments)
    assert outbox.attachment_names(payload["submission_id"]) == ["proof-1.jpg", "proof-2.jpg", "signature.png"]
    result = Syncer(outbox, config, FAST).run_once()
    assert (result.delivered, result.remaining) == (1, 0)
    (row,) = backend.rows()
    assert row["payload"]["attachments"] == [a.manifest() for a in attachments]
    stored = backend.attachments(payload["submission_id"])
    assert stored == {a.name: (a.content_type, a.data) for a in attachments}
    assert outbox.attachment_names(payload["submission_id"]) == []  # purged with the body
    count = outbox._run(lambda c: c.execute("SELECT count(*) FROM attachments").fetchone()[0], write=False)
    assert count == 0


def test_rest_without_attachments_is_unchanged_and_batches_skip_multipart(rest, tmp_path):
    config, backend, outbox = rest
    config = with_destinations(config, {"*": {"url": backend.url, "batch": 10}})
    plain = [sample_payload(f"PLN{i:05d}") for i in range(3)]
    for p in plain:
        outbox.enqueue(p, config.destination("x"))
    attachments = files("b")
    doc = doc_payload("DOC00002", attachments)
    outbox.enqueue(doc, config.destination("x"), attachments)
    result = Syncer(outbox, config, FAST).run_once()
    assert result.delivered == 4
    assert {r["idempotency_key"] for r in backend.rows()} == {p["submission_id"] for p in [*plain, doc]}
    assert backend.attachments(doc["submission_id"]) == {a.name: (a.content_type, a.data) for a in attachments}
    assert all(backend.attachments(p["submission_id"]) == {} for p in plain)


def test_canary_no_attachment_bytes_unsealed_in_the_queue_files(tmp_path):
    """REST (sealed to the backend) and OpenRosa (sealed to the device): the raw queue files hold no page bytes."""
    config, _ = make_queue_config(tmp_path, destinations={
        "rest": {"kind": "rest", "url": "http://127.0.0.1:9"},
        "odk": {"kind": "openrosa", "url": "http://127.0.0.1:9/submission"}})
    with open_outbox(config) as outbox:
        for n, name in enumerate(("rest", "odk")):
            attachments = files(name)
            outbox.enqueue(doc_payload(f"CAN{n:05d}", attachments), config.destination(name), attachments)
        assert len(outbox._run(lambda c: c.execute("SELECT * FROM attachments").fetchall(), write=False)) == 6
        raw = b"".join(p.read_bytes() for p in Path(config.queue_path).parent.glob("queue.db*") if p.is_file())
        assert raw  # the database and its WAL were read
        assert CANARY not in raw
        assert bytes(range(256)) * 4 not in raw


def test_refused_before_anything_is_written(rest):
    config, backend, outbox = rest
    twice = [Attachment("a.png", "image/png", b"x"), Attachment("a.png", "image/png", b"y")]
    payload = sample_payload("DUP00001")
    with pytest.raises(DocumentError, match="same name"):
        outbox.enqueue(payload, config.destination("x"), twice)
    assert outbox.get(payload["submission_id"]) is None
    with pytest.raises(DocumentError, match="plain file name"):
        Attachment("../etc/passwd", "image/png", b"x")
    with pytest.raises(DocumentError, match="no bytes"):
        Attachment("empty.png", "image/png", b"")


def test_damaged_attachment_is_set_aside_not_sent_without_it(rest):
    config, backend, outbox = rest
    attachments = files("d")
    payload = doc_payload("DMG00001", attachments)
    outbox.enqueue(payload, config.destination("x"), attachments)
    outbox._write("UPDATE attachments SET body = zeroblob(length(body)) WHERE name='proof-2.jpg'")
    result = Syncer(outbox, config, FAST).run_once()
    assert result.delivered == 0 and backend.rows() == []
    assert outbox.get(payload["submission_id"]).state == "dead"
    assert any(p.code == "body_damaged" for p in outbox.health().problems)


CRASH_CHILD = textwrap.dedent("""
    import json, os, signal, sys
    from kiosk.config import config_from_dict
    from offline_queue import open_outbox
    from offline_queue.sync import Syncer, make_connector
    config = config_from_dict(json.loads(sys.argv[1]))
    outbox = open_outbox(config)
    (claimed,) = outbox.claim(10)
    connector = make_connector(config.destination(claimed.item.destination))
    (outcome,) = Syncer._send_group(connector, claimed.item.destination, [claimed])
    sys.stdout.write(outcome.kind + "\\n")
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)  # the server has it; the kiosk dies before marking it delivered
""")


def test_resend_after_sigkill_between_send_and_mark_gives_no_duplicate(rest):
    config, backend, outbox = rest
    attachments = files("k")
    payload = doc_payload("KIL00001", attachments)
    outbox.enqueue(payload, config.destination("x"), attachments)
    child = subprocess.run([sys.executable, "-c", CRASH_CHILD, json.dumps(config.raw)], capture_output=True,
                           timeout=40, cwd=Path(__file__).resolve().parents[1])
    assert child.returncode == -9, child.stderr.decode()[-2000:]
    assert child.stdout.decode().strip() == "delivered"
    assert outbox.get(payload["submission_id"]).state == "sending"  # the dead child's claim
    result = Syncer(outbox, config, FAST).run_once()  # reclaims the dead owner's row, resends with the same key
    assert result.delivered == 1
    (row,) = backend.rows()
    assert row["duplicates"] == 1  # the resend was recognised, nothing stored twice
    assert backend.attachments(payload["submission_id"]) == {a.name: (a.content_type, a.data) for a in attachments}
    assert outbox.attachment_names(payload["submission_id"]) == []


class CentralLike:
    """An OpenRosa server that checks what ODK Central checks of media: xml_submission_file first, then one part
    per file named by its file name, each named in the instance; an identical resubmission is a 201."""

    OK = (b"<OpenRosaResponse xmlns='http://openrosa.org/http/response'><message nature=''>full submission "
          b"upload was successful!</message></OpenRosaResponse>")

    def __init__(self) -> None:
        self.instances: dict[str, bytes] = {}
        self.media: dict[str, dict[str, tuple[str, bytes]]] = {}
        self.posts = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def answer(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "text/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.posts += 1
                parsed = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                    b"Content-Type: " + self.headers["Content-Type"].encode() + b"\r\n\r\n" + body)
                parts = [(p.get_param("name", header="content-disposition"), p.get_param("filename",
                          header="content-disposition"), p.get_content_type(), p.get_payload(decode=True))
                         for p in parsed.iter_parts()]
                if not parts or parts[0][0] != "xml_submission_file":
                    return self.answer(400, b"<OpenRosaResponse><message>Required parameter "
                                            b"xml_submission_file missing.</message></OpenRosaResponse>")
                xml = parts[0][3]
                values = set(re.findall(rb">([^<>]+)<", xml)[0:]) | {
                    v for text in re.findall(rb">([^<>]+)<", xml) for v in text.split()}
                media = {}
                for name, filename, ctype, data in parts[1:]:
                    if name != filename or name.encode() not in values:
                        return self.answer(400, b"<OpenRosaResponse><message>unexpected attachment part"
                                                b"</message></OpenRosaResponse>")
                    media[name] = (ctype, data)
                instance = re.search(rb"<instanceID>(.*?)</instanceID>", xml).group(1).decode()
                if instance in outer.instances:
                    if outer.instances[instance] != xml:
                        return self.answer(409, b"<OpenRosaResponse><message>A submission already exists with this "
                                                b"ID, but with different XML.</message></OpenRosaResponse>")
                    outer.media[instance].update(media)  # Central attaches missing media on resubmission
                    return self.answer(201, outer.OK)
                outer.instances[instance] = xml
                outer.media[instance] = media
                self.answer(201, outer.OK)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/submission"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_openrosa_each_file_its_own_part_named_by_file_name_byte_identical(tmp_path):
    server = CentralLike()
    config, _ = make_queue_config(tmp_path, destinations={"odk": {"kind": "openrosa", "url": server.url}})
    try:
        with open_outbox(config) as outbox:
            attachments = files("o")
            payload = doc_payload("ODK00001", attachments)
            outbox.enqueue(payload, config.destination("odk"), attachments)
            result = Syncer(outbox, config, FAST).run_once()
            assert result.delivered == 1, result.errors
            instance = f"uuid:{payload['submission_id']}"
            xml = server.instances[instance]
            assert b"<proof>proof-1.jpg proof-2.jpg</proof>" in xml and b"<signature>signature.png</signature>" in xml
            assert server.media[instance] == {a.name: (a.content_type, a.data) for a in attachments}
            assert outbox.attachment_names(payload["submission_id"]) == []
    finally:
        server.stop()


def test_openrosa_resend_after_sigkill_is_one_instance(tmp_path):
    server = CentralLike()
    config, _ = make_queue_config(tmp_path, destinations={"odk": {"kind": "openrosa", "url": server.url}})
    try:
        with open_outbox(config) as outbox:
            attachments = files("p")
            payload = doc_payload("ODK00002", attachments)
            outbox.enqueue(payload, config.destination("odk"), attachments)
            child = subprocess.run([sys.executable, "-c", CRASH_CHILD, json.dumps(config.raw)], capture_output=True,
                                   timeout=40, cwd=Path(__file__).resolve().parents[1])
            assert child.returncode == -9, child.stderr.decode()[-2000:]
            assert Syncer(outbox, config, FAST).run_once().delivered == 1
            assert server.posts == 2 and len(server.instances) == 1
            assert server.media[f"uuid:{payload['submission_id']}"] == {a.name: (a.content_type, a.data)
                                                                        for a in attachments}
    finally:
        server.stop()


# --- kiosk queue add --attach PAGE=FILE ----------------------------------------------------------------------

PARKING = {
    "format": 1, "id": "parking-card", "version": 1, "languages": ["en"], "title": {"en": "Parking card"},
    "description": {"en": "A disabled parking card"}, "destination": "civil", "consent": {"en": "I agree"},
    "data_notice": {k: {"en": k} for k in ("controller", "purpose", "legal_basis", "retention", "rights", "contact")},
    "pages": [
        {"id": "full_name", "type": "short_text", "question": {"en": "Your name"}},
        {"id": "proof", "type": "document", "question": {"en": "Proof of address"},
         "document": {"min_pages": 1, "max_pages": 3, "max_side": 800}},
        {"id": "signature", "type": "signature", "question": {"en": "Sign here"}, "oral_alternative": True},
    ],
}


def _camera_jpeg(path: Path) -> None:
    from PIL import Image
    exif = Image.Exif()
    exif[0x010F] = "CanaryCam"
    exif.get_ifd(0x8825)[2] = (38.0, 42.0, 55.5)
    Image.new("RGB", (2400, 1800), (240, 240, 230)).save(path, "JPEG", exif=exif)


def test_cli_queue_add_attach_processes_files_and_delivers_them(tmp_path, capsys):
    import yaml

    from commands.cli import main
    config, private = make_queue_config(tmp_path)
    backend = start_dev_backend(tmp_path / "backend.db", [private])
    services = tmp_path / "services"
    services.mkdir()
    (services / "parking-card.yaml").write_text(yaml.safe_dump(PARKING))
    toml = tmp_path / "kiosk.toml"
    toml.write_text(f'[kiosk]\ndata_dir = "{config.data_dir}"\nid = "cli-kiosk"\n'
                    f'[services]\ndirs = ["{services}"]\ninclude_samples = false\n'
                    f'[queue]\npublic_key = "{config.raw["queue"]["public_key"]}"\n'
                    f'[destinations."*"]\nurl = "{backend.url}"\nallow_http = true\nread_timeout = 2\n')
    _camera_jpeg(tmp_path / "page1.jpg")
    _camera_jpeg(tmp_path / "page2.jpg")
    (tmp_path / "strokes.json").write_text(json.dumps({"width": 400, "height": 150,
                                                       "strokes": [[[20, 100], [80, 30], [140, 110], [260, 40]]]}))
    (tmp_path / "answers.json").write_text(json.dumps({"full_name": "Maria Canary-Silva"}))
    sid = "0b6f7c9e-1d2a-4c53-9a8e-5f7b1c2d3e4f"
    argv = ["--config", str(toml), "queue", "add", "--service", "parking-card", "--answers",
            str(tmp_path / "answers.json"), "--citizen-consented", "--submission-id", sid,
            "--attach", f"proof={tmp_path / 'page1.jpg'}", "--attach", f"proof={tmp_path / 'page2.jpg'}",
            "--attach", f"signature={tmp_path / 'strokes.json'}"]
    try:
        assert main(argv) == 0
        reference = capsys.readouterr().out.strip()
        assert main(argv) == 0 and capsys.readouterr().out.strip() == reference  # retried: nothing new
        assert main(["--config", str(toml), "queue", "sync"]) == 0
        (row,) = backend.rows()
        assert row["payload"]["answers"]["proof"] == ["proof-1.jpg", "proof-2.jpg"]
        assert row["payload"]["answers"]["signature"] == "signature.png"
        stored = backend.attachments(sid)
        assert list(stored) == ["proof-1.jpg", "proof-2.jpg", "signature.png", "signature.svg"]
        assert all(b"CanaryCam" not in data and b"Exif" not in data for _, data in stored.values())
        assert b"<path" in stored["signature.svg"][1]
        from PIL import Image
        assert max(Image.open(__import__("io").BytesIO(stored["proof-1.jpg"][1])).size) == 800
        # a page the service does not have, a malformed spec: one line, exit 2, nothing queued
        bad = [*argv[:argv.index("--submission-id")], "--attach", "photo=x.jpg"]
        assert main(bad) == 2
        assert "not a document or signature page" in capsys.readouterr().err
        assert main([*argv[:argv.index("--submission-id")], "--attach", "proof"]) == 2
        assert "PAGE=FILE" in capsys.readouterr().err
    finally:
        backend.stop()


def test_salvaged_submission_keeps_its_attachments(tmp_path):
    """A queue file set aside as damaged: the waiting submission comes back with its sealed files."""
    import shutil

    from offline_queue.salvage import salvage
    config, private = make_queue_config(tmp_path / "a")
    attachments = files("s")
    payload = doc_payload("SAL00001", attachments)
    with open_outbox(config) as outbox:
        outbox.enqueue(payload, config.destination("x"), attachments)
    kept = tmp_path / "kept.db"
    shutil.copyfile(config.queue_path, kept)
    backend = start_dev_backend(tmp_path / "backend.db", [private])
    # The fresh queue in another folder; the same backend key (REST attachments are sealed to it).
    fresh = with_destinations(config_from_dict({**config.raw, "kiosk": {**config.raw["kiosk"],
                                                                       "data_dir": str(tmp_path / "b")}}),
                              {"*": {"url": backend.url}})
    try:
        with open_outbox(fresh) as outbox:
            assert salvage(outbox, kept).recovered == 1
            assert outbox.attachment_names(payload["submission_id"]) == [a.name for a in attachments]
            assert Syncer(outbox, fresh, FAST).run_once().delivered == 1
        assert backend.attachments(payload["submission_id"]) == {a.name: (a.content_type, a.data)
                                                                 for a in attachments}
    finally:
        backend.stop()


@pytest.mark.parametrize("kind", ["rest", "openrosa"])
def test_export_bundle_carries_attachments_sealed_and_upload_delivers_them_once(tmp_path, kind):
    import zipfile

    from offline_queue.bundle import export_bundle, upload_bundle
    server = CentralLike() if kind == "openrosa" else None
    config, private = make_queue_config(tmp_path)
    backend = start_dev_backend(tmp_path / "backend.db", [private])
    url = server.url if server else backend.url
    config = with_destinations(config, {"*": {"kind": kind, "url": url}})
    attachments = files(kind)
    payload = doc_payload("BUN00001", attachments)
    try:
        with open_outbox(config) as outbox:
            outbox.enqueue(payload, config.destination("x"), attachments)
            bundle, count = export_bundle(outbox, tmp_path / "usb", config)
        assert count == 1
        raw = bundle.read_bytes()
        assert CANARY not in raw  # sealed on the stick too
        with zipfile.ZipFile(bundle) as zf:
            assert sorted(n for n in zf.namelist() if "/" in n and not n.endswith(".body")) == \
                sorted(f"items/{payload['submission_id']}/{a.name}" for a in attachments)
        for _ in range(2):  # uploading twice delivers nothing twice
            result = upload_bundle(bundle, config, private_key=private)
            assert result.delivered == 1, result.lines
        expected = {a.name: (a.content_type, a.data) for a in attachments}
        if server:
            assert len(server.instances) == 1
            assert server.media[f"uuid:{payload['submission_id']}"] == expected
        else:
            (row,) = backend.rows()
            assert row["duplicates"] == 1 and backend.attachments(payload["submission_id"]) == expected
    finally:
        backend.stop()
        if server:
            server.stop()


def test_a_request_with_files_gets_more_time_than_the_deadline_in_proportion_to_their_size(rest):
    """A slow backend (answers after 1 s) and a 0.3 s deadline: a submission carrying about 35 KB of files gets
    the deadline plus its upload allowance (16 KiB/s: about 2 s more) and is delivered; a plain one is cut."""
    from offline_queue.devbackend import Faults
    config, backend, outbox = rest
    config = with_destinations(config, {"*": {"url": backend.url, "deadline": 0.3, "read_timeout": 5}})
    backend.faults = Faults(latency=1.0)
    doc = doc_payload("SLW00002", files("w"))
    outbox.enqueue(doc, config.destination("x"), files("w"))
    assert Syncer(outbox, config, FAST).run_once().delivered == 1
    plain = sample_payload("SLW00001")
    outbox.enqueue(plain, config.destination("x"))
    result = Syncer(outbox, config, FAST).run_once()
    assert result.delivered == 0 and "deadline" in " ".join(result.errors)


def test_odk_encrypted_form_refuses_attachments_before_writing(tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    config, _ = make_queue_config(tmp_path, destinations={
        "odk": {"kind": "openrosa", "url": "http://127.0.0.1:9/submission", "form_public_key": pem}})
    payload = doc_payload("ENC00001", files())
    with open_outbox(config) as outbox:
        with pytest.raises(ValueError, match="ODK-encrypted"):
            outbox.enqueue(payload, config.destination("odk"), files())
        assert outbox.get(payload["submission_id"]) is None


SYNC_CHILD = textwrap.dedent("""
    import json, sys
    from kiosk.config import config_from_dict
    from offline_queue import open_outbox
    from offline_queue.sync import Syncer
    from tests.queue_fixtures import FAST
    config = config_from_dict(json.loads(sys.argv[1]))
    outbox = open_outbox(config)
    syncer = Syncer(outbox, config, FAST)
    while outbox.pending():
        syncer.blocked_until.clear()
        syncer.run_once()
""")


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_sigkill_during_uploads_loses_nothing_and_stores_nothing_twice(rest):
    """40 submissions with ~60 KB of files each; a sending process SIGKILLed at random moments, 10 times, while
    the slow backend (200 ms per answer) is mid-request; then a last process delivers the rest."""
    import random
    import time

    from offline_queue.devbackend import Faults
    from tests.queue_fixtures import drain
    config, backend, outbox = rest
    backend.faults = Faults(latency=0.2)
    sent = {}
    for n in range(40):
        attachments = files(f"z{n}")
        payload = doc_payload(f"KL{n:06d}", attachments)
        outbox.enqueue(payload, config.destination("x"), attachments)
        sent[payload["submission_id"]] = attachments
    rng = random.Random(15)
    kills = 0
    for _ in range(10):
        child = subprocess.Popen([sys.executable, "-c", SYNC_CHILD, json.dumps(config.raw)],
                                 cwd=Path(__file__).resolve().parents[1], stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(1.0, 2.5))  # start-up (imports) takes most of a second
        if child.poll() is None:
            child.kill()
            kills += 1
        child.wait()
    drain(Syncer(outbox, config, FAST), timeout=120)
    rows = backend.rows()
    assert sorted(r["idempotency_key"] for r in rows) == sorted(sent)  # 0 lost, one row per submission
    for sid, attachments in sent.items():
        assert backend.attachments(sid) == {a.name: (a.content_type, a.data) for a in attachments}
    resends = sum(r["duplicates"] for r in rows)
    print(f"\nsigkill figures: {kills} kills, {len(rows)} delivered of {len(sent)}, {resends} resends recognised "
          "as duplicates, 0 stored twice")
    assert kills >= 5
