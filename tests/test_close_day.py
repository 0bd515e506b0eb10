"""Closing the day: a signed manifest, an audit entry, queued through the real outbox to a loopback backend."""
from __future__ import annotations

import io
import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from commands.cli import main
from kiosk import closeday, signing
from kiosk.audit import AuditLog
from kiosk.config import load_config
from kiosk.mediators import MediatorStore
from offline_queue import open_outbox
from offline_queue.devbackend import start_dev_backend
from offline_queue.keys import generate_keypair, write_keypair
from offline_queue.sync import Syncer
from tests.queue_fixtures import sample_payload

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def kiosk(tmp_path, monkeypatch):
    """A kiosk configured by a kiosk.toml whose REST destination is a dev-backend on 127.0.0.1."""
    pair = generate_keypair()
    _, public = write_keypair(pair, tmp_path / "backend-keys")
    backend = start_dev_backend(tmp_path / "backend.db", private_keys=[pair.private])
    data = tmp_path / "data"
    toml = tmp_path / "kiosk.toml"
    toml.write_text(f'[kiosk]\nid = "van-07"\ndata_dir = "{data}"\n\n[queue]\npublic_key = "{public}"\n\n'
                    f'[destinations."*"]\nkind = "rest"\nurl = "{backend.url}"\nallow_http = true\n')
    monkeypatch.setenv("PONTE_CONFIG", str(toml))
    monkeypatch.delenv("PONTE_DATA_DIR", raising=False)
    config = load_config(toml)
    yield config, backend
    backend.stop()


def submit(config, n: int, sync: bool) -> None:
    with open_outbox(config) as outbox:
        destination = config.destination("*")
        for i in range(n):
            outbox.enqueue(sample_payload(reference=f"REF{i:05d}"), destination)
        if sync:
            Syncer(outbox, config).run_once()


def run(capsys, *args: str, stdin: str | None = None, monkeypatch=None) -> tuple[int, str]:
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def public_key_file(capsys, tmp_path: Path) -> Path:
    assert main(["audit", "public-key"]) == 0
    path = tmp_path / "van-07.pem"
    path.write_text(capsys.readouterr().out)
    return path


def test_close_day_writes_signs_audits_and_delivers(kiosk, tmp_path, capsys):
    config, backend = kiosk
    submit(config, 2, sync=True)
    submit(config, 1, sync=False)
    out = tmp_path / "usb" / "close-day.json"
    code, said = run(capsys, "close-day", "--out", str(out))
    assert code == 0, said
    assert "3 submissions (delivered: 2, queued: 1)" in said and "queued for the backend" in said
    manifest = json.loads(out.read_text())
    assert manifest["kiosk_id"] == "van-07" and manifest["closed_by"] == "operator"
    assert manifest["submissions"] == {"delivered": 2, "queued": 1}
    assert manifest["queue_digest"]["rows"] == 3 and manifest["previous"] is None

    # The signature and the audit head check out with the public key alone.
    key = public_key_file(capsys, tmp_path)
    closeday.verify_manifest(manifest, signing.read_public_key(key))
    code, said = run(capsys, "audit", "verify-manifest", str(out), "--public-key", str(key))
    assert code == 0 and "manifest genuine" in said and "3 submissions" in said

    # The closing is an audit entry, the newest one the manifest's head covers; the log stays intact.
    log = AuditLog.for_config(config)
    entries = log.entries()
    log.close()
    assert entries[-1].action == "close_day" and entries[-1].details == {"count": 3, "role": "operator"}
    assert manifest["audit_head"]["seq"] == entries[-1].seq and manifest["audit_head"]["hash"] == entries[-1].hash
    assert run(capsys, "audit", "verify")[0] == 0

    # Queued through the outbox as its own kind, and accepted by the dev-backend.
    with open_outbox(config) as outbox:
        rows = [r for r in outbox.body_digests() if r[2] == "ponte-close-day"]
        assert len(rows) == 1 and rows[0][1] == "queued"
        Syncer(outbox, config).run_once()
        assert outbox.counts()["delivered"] == 4, "the two delivered, the one queued and the manifest"
    received = [r for r in backend.rows() if r["service_id"] == "ponte-close-day"]
    assert len(received) == 1
    payload = received[0]["payload"]
    assert payload["kind"] == "close_day" and payload["manifest"] == manifest
    closeday.verify_manifest(payload["manifest"], signing.read_public_key(key))


def api_validator(name: str) -> jsonschema.protocols.Validator:
    """A validator for one schema of docs/sync-api.yaml, what the backend is told it receives."""
    doc = yaml.safe_load((Path(__file__).parent.parent / "docs" / "sync-api.yaml").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator({"$ref": f"#/components/schemas/{name}", "components": doc["components"]})


def test_delivered_manifest_and_audit_batches_match_the_documented_api(kiosk, capsys):
    from kiosk.audit_sync import queue_audit
    config, backend = kiosk
    submit(config, 1, sync=False)
    assert run(capsys, "close-day")[0] == 0
    with open_outbox(config) as outbox:
        assert queue_audit(outbox, config) == 1
        Syncer(outbox, config).run_once()
    received = {r["service_id"]: r["payload"] for r in backend.rows()}
    api_validator("CloseDay").validate(received["ponte-close-day"])
    api_validator("AuditBatch").validate(received["ponte-audit"])
    with pytest.raises(jsonschema.ValidationError):
        api_validator("CloseDay").validate({**received["ponte-close-day"], "manifest": {"type": "ponte-close-day"}})


def test_edited_manifest_is_not_genuine(kiosk, tmp_path, capsys):
    config, _ = kiosk
    submit(config, 1, sync=False)
    out = tmp_path / "m.json"
    assert run(capsys, "close-day", "--out", str(out))[0] == 0
    key = public_key_file(capsys, tmp_path)
    manifest = json.loads(out.read_text())
    manifest["submissions"]["queued"] = 0
    out.write_text(json.dumps(manifest))
    code, said = run(capsys, "audit", "verify-manifest", str(out), "--public-key", str(key))
    assert code == 1 and "NOT GENUINE" in said
    other = signing.DeviceSigner(signing.Ed25519PrivateKey.generate())
    out.write_text(json.dumps(other.sign(manifest)))  # re-signed by someone else's key
    code, said = run(capsys, "audit", "verify-manifest", str(out), "--public-key", str(key))
    assert code == 1 and "NOT GENUINE" in said
    out.write_text("[1, 2]")
    assert run(capsys, "audit", "verify-manifest", str(out), "--public-key", str(key))[0] == 1
    out.write_text("{broken")
    code, said = run(capsys, "audit", "verify-manifest", str(out), "--public-key", str(key))
    assert code == 2 and "Traceback" not in said


def test_queue_digest_follows_states_and_bodies(kiosk):
    config, _ = kiosk
    submit(config, 2, sync=False)
    with open_outbox(config) as outbox:
        _, _, before = closeday.queue_books(outbox)
        Syncer(outbox, config).run_once()
        counts, internal, after = closeday.queue_books(outbox)
    assert before["rows"] == after["rows"] == 2 and before["value"] != after["value"]
    assert counts == {"delivered": 2} and internal == {}


def test_manifests_form_a_chain(kiosk, tmp_path, capsys):
    config, _ = kiosk
    first, second = tmp_path / "1.json", tmp_path / "2.json"
    assert run(capsys, "close-day", "--out", str(first))[0] == 0
    assert run(capsys, "close-day", "--out", str(second))[0] == 0
    one, two = json.loads(first.read_text()), json.loads(second.read_text())
    assert two["previous"] == closeday.manifest_digest(one)
    assert two["internal"] == {"ponte-close-day": {"queued": 1}}, "the first closing is in the second's books"
    assert two["audit_head"]["seq"] == one["audit_head"]["seq"] + 1


def test_backend_sees_truncation_from_the_manifest_head(kiosk, tmp_path, capsys):
    """What the local chain alone cannot show: the newest entries deleted, then the log goes on."""
    import sqlite3
    config, _ = kiosk
    log = AuditLog.for_config(config)
    for _ in range(4):
        log.append("login_failed", "bob.r")
    log.close()
    out = tmp_path / "m.json"
    assert run(capsys, "close-day", "--out", str(out))[0] == 0
    known = json.loads(out.read_text())["audit_head"]
    db = sqlite3.connect(Path(config.data_dir) / "audit.db", isolation_level=None)
    db.execute("DROP TRIGGER audit_no_delete")
    db.execute("DELETE FROM audit WHERE seq > 1")
    db.close()
    (Path(config.data_dir) / signing.HEAD_NAME).unlink()  # and the sidecar, so the kiosk itself cannot tell
    (Path(config.data_dir) / "audit-sync.json").unlink(missing_ok=True)
    log = AuditLog.for_config(config)
    assert log.verify().ok, "a valid, shorter chain"
    log.append("login", "ana.s")
    log.close()
    later = json.loads((Path(config.data_dir) / signing.HEAD_NAME).read_text())
    assert "rolled back" in signing.check_progress(known, later)
    assert signing.check_progress(later, later) is None


def test_mediator_closes_with_the_pin(kiosk, tmp_path, capsys, monkeypatch):
    config, _ = kiosk
    store = MediatorStore.for_config(config)
    store.add("ana.s", "Ana S.", "mediator", "482916")
    submit(config, 1, sync=False)
    with open_outbox(config) as outbox:
        with pytest.raises(closeday.CloseDayError, match="PIN"):
            closeday.close_day_with_pin(config, outbox, store, "ana.s", "000000")
        closing = closeday.close_day_with_pin(config, outbox, store, "ana.s", "482916", out=tmp_path / "m.json")
    assert closing.manifest["closed_by"] == "ana.s" and closing.queued
    log = AuditLog.for_config(config)
    actions = [(e.action, e.mediator) for e in log.entries()]
    log.close()
    assert actions == [("login_failed", "ana.s"), ("login", "ana.s"), ("close_day", "ana.s")]
    code, said = run(capsys, "close-day", "--mediator", "ana.s", stdin="111111\n", monkeypatch=monkeypatch)
    assert code == 1 and "PIN was not accepted" in said and "Traceback" not in said
    code, said = run(capsys, "close-day", "--mediator", "ana.s", stdin="482916\n", monkeypatch=monkeypatch)
    assert code == 0 and "day closed" in said
    store.close()


def test_without_a_rest_destination_the_manifest_is_only_written(tmp_path, capsys, monkeypatch):
    toml = tmp_path / "kiosk.toml"
    toml.write_text(f'[kiosk]\nid = "k2"\ndata_dir = "{tmp_path / "data"}"\n\n[destinations."*"]\n'
                    'kind = "openrosa"\nurl = "http://127.0.0.1:9"\nallow_http = true\n')
    monkeypatch.setenv("PONTE_CONFIG", str(toml))
    monkeypatch.delenv("PONTE_DATA_DIR", raising=False)
    out = tmp_path / "m.json"
    code, said = run(capsys, "close-day", "--out", str(out))
    assert code == 0 and "not queued" in said and out.is_file()


def test_unwritable_out_is_one_line(kiosk, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, said = run(capsys, "close-day", "--out", str(blocker / "m.json"))
    assert code == 1 and "Traceback" not in said and "manifest" in said


def test_the_dev_backend_sees_a_rollback_in_the_heads_it_received(kiosk, capsys):
    """Truncate the log (and the kiosk's own records of it): the next closing tells the backend."""
    import sqlite3
    from kiosk.audit_sync import queue_audit
    config, backend = kiosk
    keys = {"van-07": signing.load_signer(config.data_dir).public}
    log = AuditLog.for_config(config)
    for _ in range(4):
        log.append("login_failed", "bob.r")
    log.close()
    with open_outbox(config) as outbox:
        assert queue_audit(outbox, config) == 4
    assert run(capsys, "close-day")[0] == 0
    with open_outbox(config) as outbox:
        Syncer(outbox, config).run_once()
    assert backend.audit_problems(keys) == []
    db = sqlite3.connect(Path(config.data_dir) / "audit.db", isolation_level=None)
    db.execute("DROP TRIGGER audit_no_delete")
    db.execute("DELETE FROM audit WHERE seq > 1")
    db.close()
    for name in (signing.HEAD_NAME, "audit-sync.json"):
        (Path(config.data_dir) / name).unlink()
    assert run(capsys, "audit", "verify")[0] == 0, "the kiosk alone cannot tell any more"
    assert run(capsys, "close-day")[0] == 0
    with open_outbox(config) as outbox:
        Syncer(outbox, config).run_once()
    problems = backend.audit_problems(keys)
    assert len(problems) == 1 and "van-07: rolled back" in problems[0]
    other = {"van-07": signing.DeviceSigner(signing.Ed25519PrivateKey.generate()).public}
    assert all("signed by key" in p for p in backend.audit_problems(other))


def documented_digest(outbox) -> str:
    """The queue digest recomputed from docs/mediators.md alone, straight from the queue file."""
    import hashlib
    import sqlite3
    db = sqlite3.connect(outbox.path)
    files: dict[str, list[str]] = {}
    for sid, name, body in db.execute("SELECT submission_id, name, body FROM attachments ORDER BY name"):
        files.setdefault(sid, []).append(f"{name}={hashlib.sha256(body).hexdigest()}")
    h = hashlib.sha256()
    for sid, state, body_digest in db.execute("SELECT s.id, s.state, b.digest FROM submissions s LEFT JOIN bodies b "
                                              "ON b.seq = s.seq ORDER BY s.seq"):
        h.update(f"{sid}\t{state}\t{body_digest.hex() if body_digest else '-'}\t"
                 f"{','.join(files.get(sid, [])) or '-'}\n".encode())
    db.close()
    return h.hexdigest()


def test_queue_digest_covers_attachment_bytes_in_a_stable_order(kiosk):
    import sqlite3

    from kiosk.documents import Attachment
    config, _ = kiosk
    files = [Attachment("proof-2.jpg", "image/jpeg", b"\xff\xd8second page" * 50),
             Attachment("proof-1.jpg", "image/jpeg", b"\xff\xd8first page" * 50)]
    with open_outbox(config) as outbox:
        outbox.enqueue(sample_payload(reference="ATTA0001"), config.destination("*"), files)
        outbox.enqueue(sample_payload(reference="ATTA0002"), config.destination("*"))
        _, _, before = closeday.queue_books(outbox)
        assert before["value"] == documented_digest(outbox) and before["rows"] == 2
        path = outbox.path
    # One byte of one stored (sealed) file changes at rest; its row, body and checksum column stay as they were.
    db = sqlite3.connect(path, isolation_level=None)
    body, = db.execute("SELECT body FROM attachments WHERE name='proof-1.jpg'").fetchone()
    db.execute("UPDATE attachments SET body=? WHERE name='proof-1.jpg'", (body[:-1] + bytes([body[-1] ^ 1]),))
    db.close()
    with open_outbox(config) as outbox:
        counts, _, after = closeday.queue_books(outbox)
        assert after["value"] == documented_digest(outbox)
    assert counts == {"queued": 2} and after["rows"] == 2 and after["value"] != before["value"]


def test_close_day_pdf_is_one_page_with_the_counts_digest_and_audit_head(kiosk, tmp_path, capsys):
    import re
    import subprocess
    config, _ = kiosk
    submit(config, 2, sync=True)
    submit(config, 1, sync=False)
    out, pdf = tmp_path / "m.json", tmp_path / "day.pdf"
    code, said = run(capsys, "close-day", "--out", str(out), "--pdf", str(pdf), "--paper", "A6")
    assert code == 0 and f"day sheet written to {pdf}" in said, said
    manifest = json.loads(out.read_text())
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, timeout=60).stdout
    assert re.search(r"Pages:\s+1\n", info), info
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          timeout=60).stdout
    flat = " ".join(text.split())
    assert "Day closed" in flat and "van-07" in flat and manifest["closed_at"] in flat
    assert re.search(r"delivered\s+2", text) and re.search(r"queued\s+1", text) and re.search(r"Total\s+3", text)
    digest, head = manifest["queue_digest"]["value"], manifest["audit_head"]["hash"]
    compact = text.replace(" ", "").replace("\n", "")
    assert digest in compact and head in compact and f"entry {manifest['audit_head']['seq']}" in flat
    assert "REF0000" not in text, "no reference (nor anything of a citizen) on the sheet"
    png = tmp_path / "day"
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(pdf), str(png)], check=True, timeout=60)
    from tests.test_receipt_print import qr_texts
    assert qr_texts(png.with_suffix(".png")) == [
        f"ponte-close-day:van-07:{manifest['closed_at']}:{closeday.manifest_digest(manifest)}"]
    # An unwritable PDF: the day is closed all the same, and one line says where the manifest is kept.
    code, said = run(capsys, "close-day", "--pdf", str(tmp_path / "missing" / "dir" / "day.pdf"))
    assert code == 1 and "the day is closed" in said and "Traceback" not in said, said
