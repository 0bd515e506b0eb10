"""The audit log verified away from the kiosk: signed heads catch rollback, truncation, deletion and forgery.

Each attack measured in issue 14 is one test here, run through `kiosk audit verify` as an operator would.
"""
from __future__ import annotations

import json
import shutil
import sqlite3
import stat
from pathlib import Path

import pytest

from commands.cli import main
from kiosk import audit as audit_mod
from kiosk import signing
from kiosk.audit import AuditLog
from kiosk.config import load_config

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def kiosk_dir(tmp_path, monkeypatch):
    """A kiosk whose data_dir is tmp_path/kiosk, configured as `kiosk` commands see it."""
    data = tmp_path / "kiosk"
    data.mkdir()
    monkeypatch.setenv("PONTE_DATA_DIR", str(data))
    monkeypatch.delenv("PONTE_CONFIG", raising=False)
    monkeypatch.setattr("kiosk.config.config_path", lambda: None)
    return data


def office(tmp_path, monkeypatch) -> Path:
    """Switch the commands to another machine: an empty data_dir, no device key, no HMAC key."""
    other = tmp_path / "office"
    other.mkdir(exist_ok=True)
    monkeypatch.setenv("PONTE_DATA_DIR", str(other))
    return other


def open_log() -> AuditLog:
    return AuditLog.for_config(load_config(None))


def drop_db(data: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        (data / f"audit.db{suffix}").unlink(missing_ok=True)


def verify(capsys, *args: str) -> tuple[int, str]:
    code = main(["audit", "verify", *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_key_is_private_and_public_key_is_printable(kiosk_dir, capsys):
    assert main(["audit", "public-key"]) == 0
    pem = capsys.readouterr().out
    assert pem.startswith("-----BEGIN PUBLIC KEY-----")
    assert stat.S_IMODE((kiosk_dir / signing.PRIVATE_NAME).stat().st_mode) == 0o600
    assert main(["audit", "public-key", "--base64"]) == 0
    b64 = capsys.readouterr().out.strip()
    assert signing.raw_public(signing.parse_public_key(pem)) == signing.raw_public(signing.parse_public_key(b64))
    with pytest.raises(signing.SigningError):
        signing.parse_public_key("not a key")


def test_every_entry_moves_the_signed_head(kiosk_dir):
    log = open_log()
    for _ in range(3):
        log.append("login", "ana.s")
    head = signing.read_head_file(kiosk_dir / signing.HEAD_NAME)
    assert head["seq"] == 3 and head["hash"] == log.entries()[-1].hash
    signing.verify_signature(head, signing.load_signer(kiosk_dir).public)
    assert head["digest"] == signing.extend_digest(signing.ZERO_DIGEST, [e.to_dict() for e in log.entries()])
    log.close()


def test_older_copy_put_back_is_reported_rolled_back(kiosk_dir, capsys):
    """(a) audit.db replaced by an older copy: five failed logins gone. Passed as intact before."""
    log = open_log()
    log.append("login", "ana.s")
    log.close()
    shutil.copy(kiosk_dir / "audit.db", kiosk_dir / "older.db")
    log = open_log()
    for _ in range(5):
        log.append("login_failed", "bob.r")
    log.close()
    drop_db(kiosk_dir)
    shutil.copy(kiosk_dir / "older.db", kiosk_dir / "audit.db")
    code, out = verify(capsys)
    assert code == 1 and "ROLLED BACK" in out and "ends at entry 1" in out and "entry 6" in out


def test_rollback_of_log_and_sidecar_is_caught_by_the_queued_head(kiosk_dir, capsys):
    """Putting back the older sidecar too is not enough: the note of the last queued batch remembers."""
    log = open_log()
    log.append("login", "ana.s")
    log.close()
    shutil.copy(kiosk_dir / "audit.db", kiosk_dir / "older.db")
    shutil.copy(kiosk_dir / signing.HEAD_NAME, kiosk_dir / "older-head.json")
    log = open_log()
    for _ in range(5):
        log.append("login_failed", "bob.r")
    from kiosk import audit_sync
    audit_sync._note_queued(load_config(None), 6, audit_sync._batch_head(log, log.entries()[-1]))
    log.close()
    drop_db(kiosk_dir)
    shutil.copy(kiosk_dir / "older.db", kiosk_dir / "audit.db")
    shutil.copy(kiosk_dir / "older-head.json", kiosk_dir / signing.HEAD_NAME)
    code, out = verify(capsys)
    assert code == 1 and "ROLLED BACK" in out


def test_deleted_log_is_reported_missing(kiosk_dir, capsys):
    """(b) audit.db deleted: was 'no audit log yet' and exit 0."""
    log = open_log()
    log.append("login", "ana.s")
    log.append("logout", "ana.s")
    log.close()
    drop_db(kiosk_dir)
    code, out = verify(capsys)
    assert code == 1 and "MISSING" in out and "entry 2" in out


def test_a_kiosk_without_entries_still_has_no_log_yet(kiosk_dir, capsys):
    code, out = verify(capsys)
    assert code == 0 and "no audit log yet" in out


def test_truncated_log_is_reported(kiosk_dir, capsys):
    """(e) the newest entries deleted leave a valid, shorter chain: the signed head is beyond its end."""
    log = open_log()
    for action in ("login", "assist_start", "consent_given", "assist_end", "logout"):
        log.append(action, "ana.s")
    log.close()
    db = sqlite3.connect(kiosk_dir / "audit.db", isolation_level=None)
    db.execute("DROP TRIGGER audit_no_delete")
    db.execute("DELETE FROM audit WHERE seq > 3")
    db.close()
    assert AuditLog(kiosk_dir / "audit.db", key=audit_mod.load_key(kiosk_dir)).verify().ok, "the chain alone passes"
    code, out = verify(capsys)
    assert code == 1 and "ROLLED BACK" in out and "ends at entry 3" in out


def test_log_replaced_by_another_one_is_reported(kiosk_dir, capsys):
    log = open_log()
    log.append("login", "ana.s")
    log.append("logout", "ana.s")
    log.close()
    drop_db(kiosk_dir)
    other = AuditLog(kiosk_dir / "audit.db", kiosk_id="ponte-dev", key=audit_mod.load_key(kiosk_dir))
    other.append("login", "eve")
    other.append("logout", "eve")
    other.close()
    code, out = verify(capsys)
    assert code == 1 and "REPLACED" in out


def test_forged_sidecar_is_reported(kiosk_dir, capsys):
    log = open_log()
    log.append("login", "ana.s")
    log.close()
    head = json.loads((kiosk_dir / signing.HEAD_NAME).read_text())
    head["seq"] = 0
    (kiosk_dir / signing.HEAD_NAME).write_text(json.dumps(head))
    code, out = verify(capsys)
    assert code == 1 and "BAD SIGNATURE" in out


def export_and_key(kiosk_dir, tmp_path, capsys, count: int = 4) -> tuple[Path, Path]:
    log = open_log()
    for i in range(count):
        log.append("fill_on_behalf", "ana.s", step=f"q{i}", service="change-of-address")
    log.close()
    out = tmp_path / "export.jsonl"
    assert main(["audit", "export", "--out", str(out)]) == 0
    assert main(["audit", "public-key"]) == 0
    key = tmp_path / "k1-audit.pem"
    key.write_text(capsys.readouterr().out)
    return out, key


def test_genuine_export_verifies_at_the_office_with_the_public_key(kiosk_dir, tmp_path, monkeypatch, capsys):
    """(c) was reported TAMPERED at the office, which has no HMAC key."""
    export, key = export_and_key(kiosk_dir, tmp_path, capsys)
    office(tmp_path, monkeypatch)
    code, out = verify(capsys, "--file", str(export), "--public-key", str(key))
    assert code == 0 and "intact: 4 entries" in out
    code, out = verify(capsys, "--file", str(export))  # no HMAC key here: not "TAMPERED", but how to check it
    assert code == 1 and "TAMPERED" not in out and "--public-key" in out
    b64 = tmp_path / "k1.b64"
    b64.write_text(signing.public_base64(signing.read_public_key(key)))
    assert verify(capsys, "--file", str(export), "--public-key", str(b64))[0] == 0


def test_export_still_verifies_on_the_kiosk(kiosk_dir, tmp_path, capsys):
    export, _ = export_and_key(kiosk_dir, tmp_path, capsys)
    code, out = verify(capsys, "--file", str(export))
    assert code == 0 and "4 entries" in out


def test_forged_plain_sha256_export_does_not_verify(kiosk_dir, tmp_path, monkeypatch, capsys):
    """(d) a forged export with a plain SHA-256 chain verified as intact at the office."""
    _, key = export_and_key(kiosk_dir, tmp_path, capsys, count=1)
    office(tmp_path, monkeypatch)
    forged, prev = [], audit_mod.GENESIS
    for seq, action in enumerate(("login", "logout"), start=1):
        body = {"seq": seq, "ts": "2026-12-07T10:00:00+00:00", "kiosk": "ponte-dev", "action": action,
                "mediator": "eve", "details": {}}
        h = audit_mod.chain_hash(prev, body, None)
        forged.append({**body, "prev_hash": prev, "hash": h})
        prev = h
    path = tmp_path / "forged.jsonl"
    path.write_text("".join(audit_mod.canonical_json(e) + "\n" for e in forged))
    assert audit_mod.verify_entries(forged, None).ok, "the chain itself is self-consistent"
    code, out = verify(capsys, "--file", str(path))  # without the public key: no longer "intact"
    assert code == 1 and "intact" not in out
    code, out = verify(capsys, "--file", str(path), "--public-key", str(key))
    assert code == 1 and "no signed head" in out
    # A head signed with another key (the forger's own) does not pass either.
    other = signing.DeviceSigner(signing.Ed25519PrivateKey.generate())
    path.write_text(path.read_text() + audit_mod.canonical_json(signing.head_of(other, "ponte-dev", forged)) + "\n")
    code, out = verify(capsys, "--file", str(path), "--public-key", str(key))
    assert code == 1 and "not genuine" in out


def test_edited_or_cut_export_does_not_verify_with_the_public_key(kiosk_dir, tmp_path, monkeypatch, capsys):
    export, key = export_and_key(kiosk_dir, tmp_path, capsys)
    office(tmp_path, monkeypatch)
    lines = export.read_text().splitlines()
    edited = json.loads(lines[1])
    edited["details"]["step"] = "other"
    bad = tmp_path / "edited.jsonl"
    bad.write_text("\n".join([lines[0], audit_mod.canonical_json(edited), *lines[2:]]) + "\n")
    code, out = verify(capsys, "--file", str(bad), "--public-key", str(key))
    assert code == 1 and "changed" in out
    bad.write_text("\n".join([*lines[:2], lines[-1]]) + "\n")  # newest entries cut, the head kept
    code, out = verify(capsys, "--file", str(bad), "--public-key", str(key))
    assert code == 1 and "2 entries" in out
    head = json.loads(lines[-1])
    head["seq"] = 2
    bad.write_text("\n".join([*lines[:2], json.dumps(head)]) + "\n")  # and the head edited to match
    code, out = verify(capsys, "--file", str(bad), "--public-key", str(key))
    assert code == 1 and "not genuine" in out


def test_unreadable_inputs_are_one_line(kiosk_dir, tmp_path, capsys):
    export, key = export_and_key(kiosk_dir, tmp_path, capsys, count=1)
    bad_key = tmp_path / "bad.pem"
    bad_key.write_text("hello")
    code, out = verify(capsys, "--file", str(export), "--public-key", str(bad_key))
    assert code == 2 and "Traceback" not in out and "bad.pem" in out
    garbage = tmp_path / "garbage.jsonl"
    garbage.write_text("{not json\n")
    code, out = verify(capsys, "--file", str(garbage), "--public-key", str(key))
    assert code == 2 and "Traceback" not in out
    assert verify(capsys, "--public-key", str(key))[0] == 2


def test_synced_batches_carry_a_signed_head(tmp_path):
    from kiosk.audit_sync import queue_audit, queued_head
    from offline_queue import open_outbox
    from offline_queue.devbackend import start_dev_backend
    from offline_queue.keys import generate_keypair, write_keypair
    from offline_queue.sync import Syncer
    from tests.queue_fixtures import make_queue_config

    pair = generate_keypair()
    _, public = write_keypair(pair, tmp_path / "keys")
    backend = start_dev_backend(tmp_path / "backend.db", private_keys=[pair.private])
    try:
        config, _ = make_queue_config(tmp_path, destinations={"*": {"kind": "rest", "url": backend.url}},
                                      queue={"public_key": str(public)})
        log = AuditLog.for_config(config)
        log.append("login", "med.01")
        log.append("login_failed", "med.02")
        with open_outbox(config) as outbox:
            assert queue_audit(outbox, config, log) == 2
            log.append("logout", "med.01")
            assert queue_audit(outbox, config, log) == 1
            Syncer(outbox, config).run_once()
        log.close()
        device_public = signing.load_signer(config.data_dir).public
        batches = [r["payload"] for r in backend.rows()]
        assert len(batches) == 2
        for batch in batches:
            head = batch["signed_head"]
            signing.verify_signature(head, device_public)
            assert head["seq"] == batch["last_seq"] and head["hash"] == batch["head_hash"]
        # The backend recomputes the running digest from the batches it holds, without the HMAC key.
        all_entries = [e for b in batches for e in b["entries"]]
        assert signing.verify_export(all_entries, batches[-1]["signed_head"], device_public).ok
        assert queued_head(config)["seq"] == 3
    finally:
        backend.stop()


def test_doctor_checks_the_signing_key_permissions(kiosk_dir):
    from operations.doctor import Status, check_permissions
    kiosk_dir.chmod(0o700)
    signing.load_signer(kiosk_dir)
    assert all(c.status is Status.OK for c in check_permissions(load_config(None)))
    (kiosk_dir / signing.PRIVATE_NAME).chmod(0o644)
    checks = {c.name: c for c in check_permissions(load_config(None))}
    assert checks["permissions audit-signing.pem"].status is Status.FAIL


def test_export_to_stdout_ends_with_the_signed_head(kiosk_dir, tmp_path, monkeypatch, capsys):
    log = open_log()
    log.append("login", "ana.s")
    log.close()
    assert main(["audit", "export"]) == 0
    export = tmp_path / "stdout.jsonl"
    export.write_text(capsys.readouterr().out)
    key = tmp_path / "k.b64"
    key.write_text(signing.public_base64(signing.load_signer(kiosk_dir).public))
    office(tmp_path, monkeypatch)
    assert verify(capsys, "--file", str(export), "--public-key", str(key))[0] == 0


def test_the_console_gets_the_same_answer_from_the_library(kiosk_dir):
    from kiosk.audit_check import INTACT, NO_LOG, check_log
    config = load_config(None)
    assert check_log(config).status == NO_LOG and check_log(config).ok
    log = open_log()
    log.append("login", "ana.s")
    log.append("logout", "ana.s")
    log.close()
    assert check_log(config) == type(check_log(config))(INTACT, 2)
    drop_db(kiosk_dir)
    found = check_log(config)
    assert not found.ok and found.status == signing.MISSING
