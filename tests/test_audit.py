"""The audit log's hash chain: any edit, deletion, insertion or reordering is found."""
from __future__ import annotations

import json
import sqlite3

import pytest

from kiosk import audit as audit_mod
from kiosk.audit import AuditError, AuditLog
from commands.cli import main


@pytest.fixture(params=[b"device-key-32-bytes-long-xxxxxxx", None], ids=["hmac", "sha256"])
def log(tmp_path, request):
    log = AuditLog(tmp_path / "audit.db", kiosk_id="k1", key=request.param)
    log.append("login", "ana.s", role="mediator")
    log.append("assist_start", "ana.s", service="change-of-address", language="pt")
    log.append("consent_given", "ana.s", service="change-of-address")
    log.append("fill_on_behalf", "ana.s", service="change-of-address", step="street")
    log.append("assist_end", "ana.s", reason="handed_back")
    return log


def raw(log):
    db = sqlite3.connect(log.path, isolation_level=None)
    db.execute("DROP TRIGGER audit_no_update")
    db.execute("DROP TRIGGER audit_no_delete")
    return db


def test_intact(log):
    result = log.verify()
    assert result.ok and result.count == 5
    assert log.entries()[0].prev_hash == audit_mod.GENESIS
    assert log.entries()[1].prev_hash == log.entries()[0].hash


def test_append_only_triggers(log):
    db = sqlite3.connect(log.path)
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("UPDATE audit SET action='login' WHERE seq=3")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("DELETE FROM audit WHERE seq=3")


def test_edited_entry(log):
    raw(log).execute("""UPDATE audit SET details='{"service":"other"}' WHERE seq=3""")
    result = log.verify()
    assert not result.ok and result.seq == 3 and "changed" in result.problem


def test_edited_mediator(log):
    raw(log).execute("UPDATE audit SET mediator='bob' WHERE seq=1")
    assert log.verify().seq == 1


def test_deleted_entry(log):
    raw(log).execute("DELETE FROM audit WHERE seq=2")
    result = log.verify()
    assert not result.ok and result.seq == 2


def test_deleted_and_renumbered(log):
    db = raw(log)
    db.execute("DELETE FROM audit WHERE seq=2")
    for s in (3, 4, 5):
        db.execute("UPDATE audit SET seq=? WHERE seq=?", (s - 1, s))
    result = log.verify()
    assert not result.ok and result.seq == 2


def test_reordered_entries(log):
    db = raw(log)
    db.execute("UPDATE audit SET seq=-1 WHERE seq=2")
    db.execute("UPDATE audit SET seq=2 WHERE seq=3")
    db.execute("UPDATE audit SET seq=3 WHERE seq=-1")
    assert not log.verify().ok


def test_rehashed_chain_without_key_is_caught_with_key(tmp_path):
    key = b"k" * 32
    log = AuditLog(tmp_path / "a.db", key=key)
    log.append("login", "ana.s")
    log.append("exit", "ana.s")
    # An attacker without the key rebuilds the chain with plain SHA-256 after an edit.
    db = raw(log)
    prev = audit_mod.GENESIS
    for e in log.entries():
        body = e.body()
        body["mediator"] = "bob"
        h = audit_mod.chain_hash(prev, body, None)
        db.execute("UPDATE audit SET mediator='bob', prev_hash=?, hash=? WHERE seq=?", (prev, h, e.seq))
        prev = h
    assert not log.verify().ok


def test_export_and_verify_file(log, tmp_path):
    out = tmp_path / "export.jsonl"
    assert log.export(out) == 5
    entries = audit_mod.read_export(out)
    assert audit_mod.verify_entries(entries, log.key).ok
    entries[2]["details"]["step"] = "x"
    assert not audit_mod.verify_entries(entries, log.key).ok
    del entries[2]
    assert not audit_mod.verify_entries(audit_mod.read_export(out)[:2] + audit_mod.read_export(out)[3:], log.key).ok


def test_no_personal_detail_fields(tmp_path):
    log = AuditLog(tmp_path / "a.db")
    with pytest.raises(AuditError):
        log.append("fill_on_behalf", "ana.s", answer="Rua Augusta 1")
    with pytest.raises(AuditError):
        log.append("fill_on_behalf", "ana.s", step="x" * 100)
    with pytest.raises(AuditError):
        log.append("fill_on_behalf", "ana.s", step={"nested": "value"})
    with pytest.raises(AuditError):
        log.append("dance", "ana.s")
    assert log.entries() == []


def test_sink_receives_entries(tmp_path):
    got = []
    log = AuditLog(tmp_path / "a.db", sink=got.append)
    log.append("login", "ana.s")
    assert got[0]["action"] == "login" and got[0]["hash"]

    def broken(entry):
        raise RuntimeError("offline")

    log.sink = broken
    log.append("exit", "ana.s")  # a failing sink never loses the local entry
    assert len(log.entries()) == 2


def test_cli_verify_and_export(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PONTE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("PONTE_CONFIG", raising=False)
    monkeypatch.setattr("kiosk.config.config_path", lambda: None)
    log = AuditLog(tmp_path / "audit.db", kiosk_id="ponte-dev", key=audit_mod.load_key(tmp_path))
    log.append("login", "ana.s")
    log.append("exit", "ana.s")
    assert main(["audit", "verify"]) == 0
    assert "2 entries" in capsys.readouterr().out
    out = tmp_path / "x.jsonl"
    assert main(["audit", "export", "--out", str(out)]) == 0
    assert main(["audit", "verify", "--file", str(out)]) == 0
    lines = out.read_text().splitlines()
    entry = json.loads(lines[0])
    entry["mediator"] = "eve"
    out.write_text(json.dumps(entry) + "\n" + lines[1] + "\n")
    assert main(["audit", "verify", "--file", str(out)]) == 1
    raw(log).execute("DELETE FROM audit WHERE seq=1")
    assert main(["audit", "verify"]) == 1
