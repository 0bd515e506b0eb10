"""ODK submission encryption (offline_queue/connectors/odk_crypto.py) and the missing-backend-key refusal.

Real parts only: a 2048-bit RSA key made here, a real SQLite outbox, and a loopback HTTP server that reads
the multipart body and the manifest the way ODK Central does and opens it with the ministry's private key.
"""
from __future__ import annotations

import base64
import email.parser
import email.policy
import hashlib
import os
import re
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.etree import ElementTree

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from kiosk.config import ConfigError, config_from_dict, load_config
from offline_queue import QueueWriteError, open_outbox
from offline_queue.connectors import odk_crypto
from offline_queue.connectors.odk_crypto import (FormKeyError, OdkDecryptionError, decrypt_multipart,
                                                 decrypt_submission, encrypt_submission, split_multipart)
from offline_queue.connectors.openrosa import OpenRosaConnector
from offline_queue.connectors.render import render_xform
from offline_queue.keys import KeyFileError, check_sealing_keys, sealing_public_key
from offline_queue.sync import Syncer
from tests.queue_fixtures import FAST, drain, make_queue_config, sample_payload, with_destinations

pytestmark = pytest.mark.timeout(60)
ROOT = Path(__file__).parents[1]

CANARY = "Zephyrine Quokkafield"  # a made-up name that must never appear in clear at rest
MANAGED_VERSION = "2024010101[encrypted:AAGJz1Y5]"  # Central's project-managed encryption adds the suffix
OK = (b'<OpenRosaResponse xmlns="http://openrosa.org/http/response">'
      b'<message nature="submit_success">full submission uploaded</message></OpenRosaResponse>')


@pytest.fixture(scope="module")
def ministry_key():
    """The ministry's key pair, as Central makes it for a project (RSA 2048)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def b64_public(private) -> str:
    """The public key as the XForm carries it: <submission base64RsaPublicKey="…"/>."""
    der = private.public_key().public_bytes(serialization.Encoding.DER,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


def instance(version: str | None = MANAGED_VERSION, iid: str = "uuid:3f1c9a52-7d7e-4c55-9b8e-0e3a1f2b7c10"):
    version_attr = f' version="{version}"' if version is not None else ""
    return (f"<?xml version='1.0' encoding='UTF-8'?>\n<data id=\"change_address\"{version_attr}>"
            f"<name>{CANARY}</name><meta><instanceID>{iid}</instanceID></meta></data>").encode()


def encrypt(ministry_key, xml=None, attachments=(), version=MANAGED_VERSION):
    xml = xml or instance(version)
    return encrypt_submission(xml, form_id="change_address", version=version,
                              instance_id="uuid:3f1c9a52-7d7e-4c55-9b8e-0e3a1f2b7c10",
                              public_key_pem_or_base64=b64_public(ministry_key), attachments=attachments)


# --- the format ----------------------------------------------------------------------------------------------

def test_round_trip_returns_the_exact_xml_and_attachments(ministry_key):
    xml = instance()
    photo = os.urandom(1000)
    encrypted = encrypt(ministry_key, xml, attachments=[("photo.jpg", photo), ("audio.amr", b"x" * 32)])
    files = {f.name: f.data for f in encrypted.files}
    assert list(files) == ["photo.jpg.enc", "audio.amr.enc", "submission.xml.enc"]  # the XML last, as Collect
    for name, plain in (("photo.jpg.enc", photo), ("audio.amr.enc", b"x" * 32), ("submission.xml.enc", xml)):
        # AES/CFB/PKCS5Padding: always padded to the next 16-byte block (a full block when already aligned)
        assert len(files[name]) == (len(plain) // 16 + 1) * 16
    assert CANARY.encode() not in encrypted.manifest + b"".join(files.values())
    opened = decrypt_submission(encrypted.manifest, files, ministry_key)
    assert opened.xml == xml
    assert opened.attachments == {"photo.jpg": photo, "audio.amr": b"x" * 32}
    assert (opened.form_id, opened.version) == ("change_address", MANAGED_VERSION)
    assert opened.instance_id == "uuid:3f1c9a52-7d7e-4c55-9b8e-0e3a1f2b7c10"


def test_manifest_is_written_as_collect_writes_it(ministry_key):
    manifest = encrypt(ministry_key, attachments=[("photo.jpg", b"jpeg")]).manifest.decode()
    # KXmlSerializer: no declaration, attributes before xmlns, orx: prefix, newline after meta and each media
    pattern = (r'<data id="change_address" version="2024010101\[encrypted:AAGJz1Y5\]" encrypted="yes" '
               r'xmlns="http://www\.opendatakit\.org/xforms/encrypted">'
               r"<base64EncryptedKey>[A-Za-z0-9+/]{342}==</base64EncryptedKey>"
               r'<orx:meta xmlns:orx="http://openrosa\.org/xforms"><orx:instanceID>'
               r"uuid:3f1c9a52-7d7e-4c55-9b8e-0e3a1f2b7c10</orx:instanceID></orx:meta>\n"
               r"<media><file>photo\.jpg\.enc</file></media>\n"
               r"<encryptedXmlFile>submission\.xml\.enc</encryptedXmlFile>"
               r"<base64EncryptedElementSignature>[A-Za-z0-9+/]{342}==</base64EncryptedElementSignature></data>")
    assert re.fullmatch(pattern, manifest), manifest


def test_no_version_is_left_out_as_collect_does(ministry_key):
    encrypted = encrypt(ministry_key, version=None)
    assert b"version=" not in encrypted.manifest
    assert decrypt_submission(encrypted.manifest, {f.name: f.data for f in encrypted.files},
                              ministry_key).version is None


def test_ivs_are_those_central_expects():
    # Test vector of getodk/central-backend test/unit/util/crypto.js ("iv generation"): IV n is the MD5 of
    # instanceID + AES key with byte (i % 16) incremented for i = 0..n.
    ivs = odk_crypto._ivs("uuid:22525f8e-4f2d-41ed-94da-4c46a2478448",
                          base64.b64decode("3TJoHf74zHbDwG3Ta+bcvfUr50C6yF/astfu+CdSnQU="))
    got = [next(ivs).hex() for _ in range(32)]
    assert got[0] == "39bbb0890f3222269da68b172146477a"
    assert got[1] == "39bcb0890f3222269da68b172146477a"
    assert got[8] == "39bcb18a103323279ea68b172146477a"
    assert got[15] == "39bcb18a103323279ea78c182247487b"
    assert got[23] == "3abdb28b113424289ea78c182247487b"
    assert got[31] == "3abdb28b113424289fa88d192348497c"


@pytest.mark.skipif(not shutil.which("openssl"), reason="needs the openssl command")
def test_openssl_opens_it_as_central_does(ministry_key, tmp_path):
    """An independent reader: OpenSSL (what Central's Node.js crypto runs on) unwraps the key with
    RSA-OAEP SHA-256/MGF1-SHA-256 and decrypts submission.xml.enc with aes-256-cfb and the IV Central
    derives; the result is the XML plus PKCS#7 padding."""
    xml = instance()
    encrypted = encrypt(ministry_key, xml, attachments=[("photo.jpg", b"jpeg")])
    pem = tmp_path / "private.pem"
    pem.write_bytes(ministry_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    wrapped = tmp_path / "key.bin"
    wrapped.write_bytes(base64.b64decode(re.search(rb"<base64EncryptedKey>(.*?)</", encrypted.manifest).group(1)))
    key = subprocess.run(["openssl", "pkeyutl", "-decrypt", "-inkey", str(pem), "-in", str(wrapped),
                          "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256",
                          "-pkeyopt", "rsa_mgf1_md:sha256"], capture_output=True, check=True).stdout
    assert len(key) == 32
    seed = bytearray(hashlib.md5(b"uuid:3f1c9a52-7d7e-4c55-9b8e-0e3a1f2b7c10" + key).digest())
    seed[0] = (seed[0] + 1) % 256  # file 0: photo.jpg.enc
    seed[1] = (seed[1] + 1) % 256  # file 1: submission.xml.enc, the last one
    enc = tmp_path / "submission.xml.enc"
    enc.write_bytes(encrypted.files[-1].data)
    padded = subprocess.run(["openssl", "enc", "-d", "-aes-256-cfb", "-nopad", "-K", key.hex(), "-iv",
                             bytes(seed).hex(), "-in", str(enc)], capture_output=True, check=True).stdout
    pad = padded[-1]
    assert 1 <= pad <= 16 and padded[-pad:] == bytes([pad]) * pad and padded[:-pad] == xml


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1:]


@pytest.mark.parametrize("tamper", ["xml-first-block", "xml-last-block", "attachment", "version", "instance",
                                    "key", "signature", "missing-file"])
def test_a_tampered_submission_does_not_open(ministry_key, tamper):
    encrypted = encrypt(ministry_key, attachments=[("photo.jpg", b"jpeg" * 10)])
    manifest = encrypted.manifest
    files = {f.name: f.data for f in encrypted.files}
    if tamper == "xml-first-block":
        files["submission.xml.enc"] = _flip(files["submission.xml.enc"], 20)
    elif tamper == "xml-last-block":
        files["submission.xml.enc"] = _flip(files["submission.xml.enc"], len(files["submission.xml.enc"]) - 20)
    elif tamper == "attachment":
        files["photo.jpg.enc"] = _flip(files["photo.jpg.enc"], 3)
    elif tamper == "version":
        manifest = manifest.replace(b'version="2024010101[', b'version="2024010102[')
    elif tamper == "instance":  # a replayed body under another instanceID
        manifest = manifest.replace(b"uuid:3f1c9a52", b"uuid:3f1c9a53")
    elif tamper == "key":  # another submission's key
        other = encrypt(ministry_key).manifest
        key = re.search(rb"<base64EncryptedKey>(.*?)</", other).group(1)
        manifest = re.sub(rb"(<base64EncryptedKey>).*?(</)", rb"\g<1>" + key + rb"\g<2>", manifest)
    elif tamper == "signature":
        manifest = manifest.replace(b"<base64EncryptedElementSignature>",
                                    b"<base64EncryptedElementSignature>AAAA")
    elif tamper == "missing-file":
        del files["photo.jpg.enc"]
    with pytest.raises(OdkDecryptionError):
        decrypt_submission(manifest, files, ministry_key)


def test_another_private_key_cannot_open_it(ministry_key):
    encrypted = encrypt(ministry_key)
    thief = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(OdkDecryptionError, match="does not open"):
        decrypt_submission(encrypted.manifest, {f.name: f.data for f in encrypted.files}, thief)


def test_form_key_is_read_from_base64_or_pem_and_garbage_is_refused(ministry_key, tmp_path):
    pem = ministry_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    numbers = ministry_key.public_key().public_numbers()
    for value in (b64_public(ministry_key), pem, "\n".join(re.findall(".{1,64}", b64_public(ministry_key)))):
        assert odk_crypto.load_form_public_key(value).public_numbers() == numbers
    for bad in ("", "not a key", base64.b64encode(b"nonsense").decode()):
        with pytest.raises(FormKeyError, match="base64RsaPublicKey"):
            odk_crypto.load_form_public_key(bad)
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(FormKeyError, match="1024 bits"):
        odk_crypto.load_form_public_key(b64_public(small))


def test_multipart_body_names_parts_as_collect(ministry_key):
    encrypted = encrypt(ministry_key, attachments=[("photo.jpg", b"jpeg")])
    body, content_type = encrypted.multipart()
    assert content_type.startswith("multipart/form-data; boundary=")
    parsed = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    parts = [(p.get_param("name", header="content-disposition"), p.get_filename(), p.get_content_type())
             for p in parsed.iter_parts()]
    assert parts == [("xml_submission_file", "submission.xml", "text/xml"),
                     ("photo.jpg.enc", "photo.jpg.enc", "application/octet-stream"),
                     ("submission.xml.enc", "submission.xml.enc", "application/octet-stream")]
    assert decrypt_multipart(body, content_type, ministry_key).attachments == {"photo.jpg": b"jpeg"}


# --- a server that reads it like ODK Central -------------------------------------------------------------------

class CentralLike:
    """An encrypted form on a loopback OpenRosa server, read as ODK Central reads it
    (lib/model/frames/submission.js, lib/model/query/submission-attachments.js): the multipart's
    xml_submission_file is the manifest (root <data>, namespaces ignored, encrypted="yes", id and version
    of a published form), the part named by <encryptedXmlFile> must be there, and the ministry's private
    key must open it with a valid signature. Same instanceID: 201 if byte-identical, else 409."""

    def __init__(self, private_key, form_id="change_address", version=MANAGED_VERSION):
        self.private_key, self.form_id, self.version = private_key, form_id, version
        self.manifests: dict[str, bytes] = {}
        self.opened: dict[str, bytes] = {}   # instanceID -> decrypted submission.xml
        self.requests: list[tuple[str, bytes]] = []  # (Content-Type, body) as received
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def answer(self, status, message, nature="error"):
                body = (f'<OpenRosaResponse xmlns="http://openrosa.org/http/response"><message nature="{nature}">'
                        f"{message}</message></OpenRosaResponse>").encode() if status != 201 else OK
                self.send_response(status)
                self.send_header("Content-Type", "text/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("X-OpenRosa-Version", "1.0")
                self.end_headers()
                self.wfile.write(body)

            def do_HEAD(self):
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                ctype = self.headers.get("Content-Type", "")
                outer.requests.append((ctype, body))
                parsed = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                    b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body)
                if not parsed.is_multipart():
                    return self.answer(400, "Expected multipart/form-data")
                parts = {p.get_param("name", header="content-disposition"): p.get_payload(decode=True)
                         for p in parsed.iter_parts()}
                manifest = parts.get("xml_submission_file")
                if manifest is None:
                    return self.answer(400, "Required parameter xml_submission_file missing.")
                root = ElementTree.fromstring(manifest)
                local = lambda tag: tag.rsplit("}", 1)[-1]  # noqa: E731 - Central strips namespaces
                children = {local(c.tag): c for c in root}
                if local(root.tag) != "data" or root.get("id") != outer.form_id:
                    return self.answer(404, "The form you are looking for could not be found.")
                if root.get("version") != outer.version:
                    return self.answer(404, f"The form version you specified ({root.get('version')}) does not exist.")
                if root.get("encrypted") != "yes" or "base64EncryptedKey" not in children:
                    return self.answer(400, "This form is encrypted; a plaintext submission was refused.")
                meta = children.get("meta")
                iid = next((c.text for c in meta if local(c.tag) == "instanceID"), None) if meta is not None else None
                enc_name = children["encryptedXmlFile"].text
                if not iid or enc_name not in parts or "base64EncryptedElementSignature" not in children:
                    return self.answer(400, "Incomplete encrypted submission.")
                try:
                    opened = decrypt_submission(manifest, parts, outer.private_key)
                except OdkDecryptionError as exc:
                    return self.answer(400, f"Could not decrypt: {exc}")
                if iid in outer.manifests:
                    if outer.manifests[iid] != manifest:
                        return self.answer(409, "A submission already exists with this ID, but with different XML.")
                    return self.answer(201, "")
                outer.manifests[iid], outer.opened[iid] = manifest, opened.xml
                self.answer(201, "")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1/projects/1/submission"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def central(ministry_key):
    server = CentralLike(ministry_key)
    yield server
    server.stop()


def odk_destination(url: str, key: str, **extra) -> dict:
    return {"kind": "openrosa", "url": url, "allow_http": True, "read_timeout": 5, "form_public_key": key, **extra}


def encrypted_payload(n: int = 0) -> dict:
    payload = sample_payload(f"ENC{n:05d}", answers={"full_name": CANARY})
    payload["fields"] = {"person/name": CANARY, "address": "12 Rua do Canario"}
    payload["form"] = {"id": "change_address", "version": MANAGED_VERSION}
    return payload


def test_encrypted_destination_delivers_to_a_central_like_server(tmp_path, ministry_key, central):
    config, _ = make_queue_config(tmp_path)
    config = with_destinations(config, {"odk": odk_destination(central.url, b64_public(ministry_key))})
    outbox = open_outbox(config)
    try:
        payloads = [encrypted_payload(n) for n in range(3)]
        for payload in payloads:
            outbox.enqueue(payload, config.destination("odk"))
        stored = {item.id: (body, ctype) for item, body, seal, ctype, sealed in outbox.exportable()}
        drain(Syncer(outbox, config, FAST))
        assert outbox.counts()["delivered"] == 3
    finally:
        outbox.close()
    for payload in payloads:
        iid = f"uuid:{payload['submission_id']}"
        # what the ministry decrypts is exactly the instance the kiosk rendered, version verbatim
        assert central.opened[iid] == render_xform(payload).body
        assert f'version="{MANAGED_VERSION}"'.encode() in central.opened[iid]
        assert CANARY.encode() in central.opened[iid]
    # sent exactly as stored at enqueue, with the stored Content-Type
    assert sorted(central.requests) == sorted((ctype, body) for body, ctype in stored.values())


def test_a_resend_is_byte_identical_and_central_answers_201(tmp_path, ministry_key, central):
    config, _ = make_queue_config(tmp_path)
    config = with_destinations(config, {"odk": odk_destination(central.url, b64_public(ministry_key))})
    outbox = open_outbox(config)
    try:
        outbox.enqueue(encrypted_payload(), config.destination("odk"))
        ((item, body, seal, ctype, _),) = outbox.exportable()
    finally:
        outbox.close()
    connector = OpenRosaConnector(config.destination("odk"))
    first, again = connector.send(item.id, body, ctype), connector.send(item.id, body, ctype)
    assert (first.kind, again.kind) == ("delivered", "delivered")
    assert central.requests[0] == central.requests[1] and len(central.manifests) == 1
    # encrypting the same instance again gives other bytes (a fresh AES key): Central would answer 409,
    # which is why the body is built once, at enqueue
    payload = encrypted_payload()
    payload["submission_id"] = item.id
    other = odk_crypto.encrypt_rendered(render_xform(payload), config.destination("odk"))
    assert connector.send(item.id, other.body, other.content_type).kind == "dead"


def test_no_plaintext_answer_anywhere_in_the_queue_files(tmp_path, ministry_key, central):
    config, _ = make_queue_config(tmp_path)
    config = with_destinations(config, {"odk": odk_destination(central.url, b64_public(ministry_key))})
    outbox = open_outbox(config)
    try:
        for n in range(5):
            outbox.enqueue(encrypted_payload(n), config.destination("odk"))
        rows = outbox.exportable()
        assert {(seal, sealed) for _, _, seal, _, sealed in rows} == {("none", None)}  # no device seal needed
        data = b"".join(p.read_bytes() for p in Path(config.data_dir).rglob("*") if p.is_file())
        assert CANARY.encode() not in data and CANARY.encode("utf-16-le") not in data
        assert not (Path(config.data_dir) / "device-key").exists()  # nothing on the kiosk can open it
        # ... while the ministry's private key opens every queued body
        assert all(CANARY.encode() in decrypt_multipart(body, ctype, ministry_key).xml
                   for _, body, _, ctype, _ in rows)
    finally:
        outbox.close()


def test_an_encrypted_bundle_uploads_without_any_private_key(tmp_path, ministry_key, central):
    from offline_queue.bundle import export_bundle, upload_bundle
    config, _ = make_queue_config(tmp_path)
    config = with_destinations(config, {"odk": odk_destination(central.url, b64_public(ministry_key))})
    with open_outbox(config) as outbox:
        outbox.enqueue(encrypted_payload(), config.destination("odk"))
        path, count = export_bundle(outbox, tmp_path / "usb", config)
    assert count == 1 and CANARY.encode() not in path.read_bytes()
    result = upload_bundle(path, config)
    assert result.delivered == 1 and len(central.opened) == 1


def test_form_key_from_a_file(tmp_path, ministry_key, central):
    key_file = tmp_path / "form-key.txt"
    key_file.write_text(b64_public(ministry_key) + "\n")
    config, _ = make_queue_config(tmp_path)
    destination = odk_destination(central.url, "")
    del destination["form_public_key"]
    config = with_destinations(config, {"odk": {**destination, "form_public_key_file": str(key_file)}})
    with open_outbox(config) as outbox:
        outbox.enqueue(encrypted_payload(), config.destination("odk"))
        drain(Syncer(outbox, config, FAST))
    assert len(central.opened) == 1


def test_a_bad_form_key_refuses_to_queue_with_a_clear_message(tmp_path):
    config, _ = make_queue_config(tmp_path)
    config = with_destinations(config, {"odk": odk_destination("https://central.example.org/v1/projects/1/"
                                                               "submission", "bm90IGEga2V5")})
    with pytest.raises(KeyFileError, match="destination 'odk'.*base64RsaPublicKey"):
        check_sealing_keys(config)
    with open_outbox(config) as outbox:
        with pytest.raises(QueueWriteError, match="destination 'odk'.*base64RsaPublicKey"):
            outbox.enqueue(encrypted_payload(), config.destination("odk"))
        assert outbox.counts()["queued"] == 0


def test_an_empty_key_file_or_a_form_key_on_a_rest_destination_is_refused(tmp_path):
    empty = tmp_path / "empty.pub"
    empty.write_text("\n")
    config, _ = make_queue_config(tmp_path)
    destination = odk_destination("https://central.example.org/v1/projects/1/submission", "")
    del destination["form_public_key"]
    config = with_destinations(config, {"odk": {**destination, "form_public_key_file": str(empty)}})
    with pytest.raises(KeyFileError, match="is empty"):
        check_sealing_keys(config)
    with open_outbox(config) as outbox:  # never stored in clear instead
        with pytest.raises(QueueWriteError, match="is empty"):
            outbox.enqueue(encrypted_payload(), config.destination("odk"))
        assert outbox.counts()["queued"] == 0
    rest = with_destinations(config, {"*": {"url": "https://registry.example.gov", "form_public_key": "x"}})
    with pytest.raises(KeyFileError, match="OpenRosa destinations only"):
        check_sealing_keys(rest)


# --- no silent demo keys for a real backend (issue 9 §2) ---------------------------------------------------------

def real_config(tmp_path, queue: dict | None = None, destination: dict | None = None, **sections):
    raw = {"kiosk": {"data_dir": str(tmp_path / "data")},
           "destinations": {"civil-registry": {"url": "https://registry.example.gov/ponte", **(destination or {})}},
           **({"queue": queue} if queue is not None else {}), **sections}
    return config_from_dict(raw)


def test_a_real_destination_without_a_backend_key_is_refused_naming_the_key(tmp_path):
    config = real_config(tmp_path)
    with pytest.raises(KeyFileError, match=r"no backend public key for destination 'civil-registry'.*public_key"):
        check_sealing_keys(config)
    with pytest.raises(KeyFileError, match="public_key"):
        sealing_public_key(config, config.destination("civil-registry"))
    with open_outbox(config) as outbox:
        with pytest.raises(QueueWriteError, match="public_key"):
            outbox.enqueue(sample_payload(), config.destination("civil-registry"))
    assert not (tmp_path / "data" / "dev-backend").exists()  # no demo key was made to seal with


@pytest.mark.parametrize("text, expected", [
    ('[queue]\npublickey = "/etc/ponte/backend-public.pem"\n', "public_key"),
    ('[queu]\npublic_key = "/etc/ponte/backend-public.pem"\n', r"\[queue\]"),
])
def test_a_misspelt_key_is_never_a_silent_demo_key(tmp_path, text, expected):
    path = tmp_path / "kiosk.toml"
    path.write_text(f'[kiosk]\ndata_dir = "{tmp_path / "data"}"\n{text}'
                    '[destinations.civil-registry]\nurl = "https://registry.example.gov/ponte"\n')
    try:
        config = load_config(path)
    except ConfigError as exc:  # the typed configuration names the misspelling at load
        assert re.search(expected, str(exc))
        return
    with pytest.raises(KeyFileError, match=expected):  # and if it ever got through, sealing refuses it
        check_sealing_keys(config)


def test_kiosk_run_refuses_to_start_without_the_backend_key(tmp_path):
    path = tmp_path / "kiosk.toml"
    path.write_text(f'[kiosk]\ndata_dir = "{tmp_path / "data"}"\n'
                    '[destinations.civil-registry]\nurl = "https://registry.example.gov/ponte"\n')
    env = {**os.environ, "PONTE_CONFIG": str(path), "QT_QPA_PLATFORM": "offscreen"}
    cli = "commands" if (ROOT / "commands" / "__main__.py").exists() else "kiosk.cli"  # where `kiosk` lives
    done = subprocess.run([sys.executable, "-m", cli, "run", "--windowed"], capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=60)
    assert done.returncode != 0
    assert "no backend public key for destination 'civil-registry'" in done.stderr
    assert "Traceback" not in done.stderr


def test_demo_and_loopback_destinations_may_use_the_demo_key(tmp_path):
    from kiosk.config import Destination
    loopback = config_from_dict({"kiosk": {"data_dir": str(tmp_path / "a")},
                                 "destinations": {"*": {"url": "http://127.0.0.1:8765", "allow_http": True}}})
    check_sealing_keys(loopback)
    assert sealing_public_key(loopback, loopback.destination("x")) is not None
    assert (tmp_path / "a" / "dev-backend" / "public.pem").exists()
    # `kiosk demo` marks its own destination (a key kiosk.toml cannot set)
    import dataclasses
    demo = dataclasses.replace(real_config(tmp_path), destinations={
        "*": Destination("*", "rest", "https://example.invalid", {"demo_keys": True})})
    check_sealing_keys(demo)


def test_an_encrypted_odk_destination_needs_no_backend_key(tmp_path, ministry_key, central):
    config = config_from_dict({"kiosk": {"data_dir": str(tmp_path / "data")},
                               "destinations": {"odk": odk_destination(central.url, b64_public(ministry_key))}})
    check_sealing_keys(config)
    with open_outbox(config) as outbox:
        outbox.enqueue(encrypted_payload(), config.destination("odk"))
        drain(Syncer(outbox, config, FAST))
    assert len(central.opened) == 1
    assert not (tmp_path / "data" / "dev-backend").exists()


def test_split_multipart_refuses_a_plain_body():
    with pytest.raises(OdkDecryptionError):
        split_multipart(b"<data/>", "text/xml")
