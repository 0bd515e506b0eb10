"""`kiosk queue ...` and `kiosk dev-backend` end to end, through commands.cli.main."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from commands.cli import main
from offline_queue import open_outbox
from offline_queue.devbackend import Faults, start_dev_backend
from offline_queue.keys import write_keypair
from tests.queue_fixtures import make_queue_config, sample_payload

pytestmark = pytest.mark.timeout(60)
ROOT = Path(__file__).resolve().parent.parent


def write_toml(tmp_path, config, url: str, extra: str = "") -> Path:
    toml = tmp_path / "kiosk.toml"
    toml.write_text(f'[kiosk]\ndata_dir = "{config.data_dir}"\nid = "cli-kiosk"\n'
                    f'[queue]\npublic_key = "{config.raw["queue"]["public_key"]}"\n'
                    f'[destinations."*"]\nurl = "{url}"\nallow_http = true\nread_timeout = 2\n{extra}')
    return toml


@pytest.fixture
def kiosk(tmp_path):
    config, private = make_queue_config(tmp_path)
    backend = start_dev_backend(tmp_path / "backend.db", [private])
    toml = write_toml(tmp_path, config, backend.url)
    outbox = open_outbox(config)
    payloads = [sample_payload(f"CLI{i:05d}") for i in range(3)]
    for p in payloads:
        outbox.enqueue(p, config.destination("x"))
    outbox.close()
    yield toml, backend, payloads, private
    backend.stop()


def run(toml, *argv) -> int:
    return main(["--config", str(toml), *argv])


def test_status_list_sync(kiosk, capsys):
    toml, backend, payloads, _ = kiosk
    assert run(toml, "queue", "status", "--json") == 0
    assert json.loads(capsys.readouterr().out) == {"queued": 3, "sending": 0, "delivered": 0, "failed": 0, "dead": 0}
    assert run(toml, "queue", "list") == 0
    out = capsys.readouterr().out
    assert "CLI0-0000" in out and "change-of-address" in out and "Canary" not in out
    backend.faults = Faults(script=["400"])
    assert run(toml, "queue", "sync") == 1  # one dead submission is left for a person
    assert "delivered 2" in capsys.readouterr().out
    assert run(toml, "queue", "list", "--state", "dead") == 0
    assert "HTTP 400" in capsys.readouterr().out
    assert run(toml, "queue", "retry", "cli0-0000") == 0
    assert run(toml, "queue", "sync") == 0
    assert len(backend.rows()) == 3


def test_retry_unknown_reference_is_one_line(kiosk, capsys):
    toml, *_ = kiosk
    assert run(toml, "queue", "retry", "ZZZZ-ZZZZ") == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "kiosk queue list" in err


def test_sync_with_server_down_exit_code_and_message(tmp_path, capsys):
    config, _ = make_queue_config(tmp_path)
    toml = write_toml(tmp_path, config, "http://127.0.0.1:9")
    box = open_outbox(config)
    box.enqueue(sample_payload(), config.destination("x"))
    box.close()
    assert run(toml, "queue", "sync") == 1
    captured = capsys.readouterr()
    assert "cannot reach 127.0.0.1:9" in captured.err and "Traceback" not in captured.err


def test_export_then_upload_twice_delivers_once(kiosk, tmp_path, capsys):
    toml, backend, payloads, _ = kiosk
    assert run(toml, "queue", "export", str(tmp_path / "usb")) == 0
    (bundle,) = (tmp_path / "usb").glob("ponte-cli-kiosk-*.zip")
    raw = bundle.read_bytes()
    assert b"Canary" not in raw
    assert run(toml, "queue", "upload", str(bundle)) == 0
    assert run(toml, "queue", "upload", str(bundle)) == 0
    assert sorted(r["idempotency_key"] for r in backend.rows()) == sorted(p["submission_id"] for p in payloads)
    assert all(r["duplicates"] == 1 for r in backend.rows())
    # And the kiosk's own later sync is recognised as the same submissions.
    assert run(toml, "queue", "sync") == 0
    assert len(backend.rows()) == 3


def test_bundle_with_openrosa_items_needs_the_private_key(tmp_path, capsys):
    config, private = make_queue_config(tmp_path)
    toml = tmp_path / "kiosk.toml"
    toml.write_text(f'[kiosk]\ndata_dir = "{config.data_dir}"\n[queue]\npublic_key = "{config.raw["queue"]["public_key"]}"\n'
                    f'[destinations.odk]\nkind = "openrosa"\nurl = "http://127.0.0.1:9/submission"\nallow_http = true\n')
    from kiosk.config import load_config
    cfg = load_config(toml)
    box = open_outbox(cfg)
    box.enqueue(sample_payload("ODK00001"), cfg.destination("odk"))
    box.close()
    assert run(toml, "queue", "export", str(tmp_path / "usb")) == 0
    (bundle,) = (tmp_path / "usb").glob("*.zip")
    assert b"Canary" not in bundle.read_bytes()
    assert run(toml, "queue", "upload", str(bundle)) == 1
    assert "--private-key" in capsys.readouterr().out
    key_dir = tmp_path / "office-key"
    from offline_queue.keys import KeyPair
    write_keypair(KeyPair(private, private.public_key()), key_dir)
    assert run(toml, "queue", "upload", str(bundle), "--private-key", str(key_dir / "private.pem")) == 1
    assert "cannot reach" in capsys.readouterr().out  # opened, then tried to send: nothing listens there


def test_damaged_bundle_is_one_line(tmp_path, kiosk, capsys):
    toml, *_ = kiosk
    (tmp_path / "bad.zip").write_bytes(b"not a zip")
    assert run(toml, "queue", "upload", str(tmp_path / "bad.zip")) == 1
    err = capsys.readouterr().err
    assert "cannot read the bundle" in err and "Traceback" not in err


def test_missing_public_key_file_is_one_line(tmp_path, capsys):
    toml = tmp_path / "kiosk.toml"
    toml.write_text(f'[kiosk]\ndata_dir = "{tmp_path / "d"}"\n[queue]\npublic_key = "/nonexistent/pub.pem"\n')
    box_cfg = __import__("kiosk.config", fromlist=["load_config"]).load_config(toml)
    box = open_outbox(box_cfg)
    from offline_queue import QueueWriteError
    with pytest.raises(QueueWriteError, match="cannot read the public key") as info:
        box.enqueue(sample_payload(), box_cfg.destination("x"))
    assert info.value.key == "queue_write_failed"
    box.close()
    assert run(toml, "queue", "export", str(tmp_path / "usb")) == 0  # nothing queued: nothing to seal


def test_an_area_adds_a_queue_command_by_decorator(kiosk, capsys):
    import click

    from commands.base import pass_config
    from commands.queue import queue

    @queue.command("frobnicate")
    @pass_config
    def frobnicate(config):
        """Example: kiosk queue frobnicate"""
        click.echo(f"frobnicated {config.kiosk_id}")
    try:
        assert run(kiosk[0], "queue", "frobnicate") == 0
        assert capsys.readouterr().out == "frobnicated cli-kiosk\n"
    finally:
        del queue.commands["frobnicate"]


def test_dev_backend_command_in_a_subprocess(tmp_path):
    port_probe = __import__("tests.queue_fixtures", fromlist=["free_port"]).free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PONTE_DATA_DIR": str(tmp_path / "data")}
    env.pop("PONTE_CONFIG", None)
    proc = subprocess.Popen([sys.executable, "-m", "commands", "dev-backend", "--port", str(port_probe)],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert f"127.0.0.1:{port_probe}" in line
        deadline = time.time() + 10
        while True:
            try:
                assert requests.get(f"http://127.0.0.1:{port_probe}/health", timeout=2).json()["status"] == "ok"
                break
            except requests.ConnectionError:
                assert time.time() < deadline
                time.sleep(0.1)
        assert (tmp_path / "data" / "dev-backend" / "private.pem").exists()
    finally:
        proc.terminate()
        proc.wait(10)


def test_demo_backend_starts_only_for_the_local_default(tmp_path):
    from kiosk.config import config_from_dict
    from offline_queue.devbackend import ensure_demo_backend
    from offline_queue.sync import Syncer
    from tests.queue_fixtures import FAST, free_port
    port = free_port()
    config = config_from_dict({"kiosk": {"data_dir": str(tmp_path / "data")},
                               "destinations": {"*": {"url": f"http://127.0.0.1:{port}", "allow_http": True}}})
    backend = ensure_demo_backend(config, port=port)
    assert backend is not None
    try:
        assert ensure_demo_backend(config, port=port) is None  # already listening
        # No [queue] public_key: sealed with the dev-backend key created on first use, opened by it.
        outbox = open_outbox(config)
        outbox.enqueue(sample_payload(), config.destination("x"))
        assert Syncer(outbox, config, FAST).run_once().delivered == 1
        assert backend.rows()[0]["payload"]["answers"]["full_name"] == "Maria Canary-Silva"
        outbox.close()
    finally:
        backend.stop()
    other = config_from_dict({"kiosk": {"data_dir": str(tmp_path / "d2")},
                              "destinations": {"*": {"url": "https://backend.example.gov"}}})
    assert ensure_demo_backend(other, port=port) is None


def test_list_reads_a_page_at_a_time_and_streams_json(kiosk, capsys, monkeypatch):
    from offline_queue.outbox import Outbox
    toml, _, payloads, _ = kiosk
    pages = []
    real = Outbox.list_page

    def counting(self, *args, **kwargs):
        page = real(self, *args, **kwargs)
        pages.append(len(page.items))
        return page
    monkeypatch.setattr(Outbox, "list_page", counting)
    monkeypatch.setattr("commands.queue.PAGE_SIZE", 2)
    assert run(toml, "queue", "list", "--json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["reference"] for r in rows] == [p["reference"] for p in payloads]  # all of them, in queue order
    assert pages == [2, 1]  # never more than a page in memory
    assert run(toml, "queue", "list", "--json", "--state", "dead") == 0
    assert json.loads(capsys.readouterr().out) == []
