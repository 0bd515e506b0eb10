"""The `kiosk` command as a person at a terminal uses it: real processes, real files."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from offline_queue import open_outbox
from tests.queue_fixtures import make_queue_config

pytestmark = pytest.mark.timeout(120)
ROOT = Path(__file__).parents[1]


def kiosk(*args: str, config: Path | None = None, data_dir: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if config:
        env["PONTE_CONFIG"] = str(config)
    if data_dir:
        env["PONTE_DATA_DIR"] = str(data_dir)
    return subprocess.run([sys.executable, "-m", "commands", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=60)


def write_config(tmp_path: Path) -> tuple[Path, object, object]:
    config, private_key = make_queue_config(tmp_path)
    path = tmp_path / "kiosk.toml"
    path.write_text(
        f'[kiosk]\ndata_dir = "{config.data_dir}"\nid = "test-kiosk"\n'
        f'[queue]\npublic_key = "{config.raw["queue"]["public_key"]}"\n'
        '[destinations."*"]\nkind = "rest"\nurl = "http://127.0.0.1:9"\nallow_http = true\n', encoding="utf-8")
    return path, config, private_key


GOOD = {"nif": "123456789", "full_name": "Ana Exemplo", "date_moved": "01/02/2020",
        "new_postcode": "1000001", "new_address": "Rua Exemplo 1", "others_moved": "no"}


def test_services_list_prints_id_then_title():
    result = kiosk("services", "list")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 3
    assert lines[0].split("\t") == ["birth-certificate", "Get a copy of a birth certificate"]
    assert all("\t" in line for line in lines)


def test_services_check_passes_the_samples():
    result = kiosk("services", "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no problems" in result.stdout


def test_services_check_reports_file_line_and_fails(tmp_path):
    broken = tmp_path / "broken.yaml"
    source = (ROOT / "kiosk/services/change-of-address.yaml").read_text(encoding="utf-8")
    broken.write_text(source.replace("type: national_id", "type: nationalid", 1), encoding="utf-8")
    line = next(i for i, text in enumerate(broken.read_text().splitlines(), 1) if "nationalid" in text)
    result = kiosk("services", "check", str(broken))
    assert result.returncode == 1
    assert f"{broken}:{line}" in result.stdout
    assert "nationalid" in result.stdout and "national_id" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_services_check_missing_path(tmp_path):
    result = kiosk("services", "check", str(tmp_path / "nope.yaml"))
    assert result.returncode == 1
    assert "no such file" in result.stderr


def test_queue_add_enqueues_like_the_ui(tmp_path):
    config_path, config, private_key = write_config(tmp_path)
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(GOOD), encoding="utf-8")
    result = kiosk("queue", "add", "--service", "change-of-address", "--answers", str(answers),
                   "--citizen-consented", config=config_path)
    assert result.returncode == 0, result.stderr
    reference = result.stdout.strip()
    assert len(reference) == 9 and reference[4] == "-"
    with open_outbox(config) as outbox:
        items = outbox.items()
        assert [i.reference for i in items] == [reference.replace("-", "")]
        payload = outbox.open_payload(items[0].reference, private_key)
    assert payload["answers"]["new_postcode"] == "1000-001"  # normalised as on screen
    assert payload["answers"]["date_moved"] == "2020-02-01"
    assert payload["kiosk_id"] == "test-kiosk"
    status = kiosk("queue", "status", "--json", config=config_path)
    assert json.loads(status.stdout)["queued"] == 1


def test_queue_add_refuses_bad_answers_with_every_reason(tmp_path):
    config_path, config, _ = write_config(tmp_path)
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({**GOOD, "nif": "123456788", "date_moved": "31/02/2020", "colour": "red"}))
    result = kiosk("queue", "add", "--service", "change-of-address", "--answers", str(answers),
                   "--citizen-consented", config=config_path)
    assert result.returncode == 1
    assert "nif:" in result.stderr and "date_moved:" in result.stderr and "colour:" in result.stderr
    assert "Traceback" not in result.stderr
    with open_outbox(config) as outbox:
        assert outbox.items() == []


@pytest.mark.parametrize("content,expected", [
    ("{not json", "cannot read"),
    ("[1, 2]", "JSON object"),
])
def test_queue_add_unreadable_answers(tmp_path, content, expected):
    config_path, _, _ = write_config(tmp_path)
    answers = tmp_path / "answers.json"
    answers.write_text(content)
    result = kiosk("queue", "add", "--service", "change-of-address", "--answers", str(answers),
                   "--citizen-consented", config=config_path)
    assert result.returncode == 2 and expected in result.stderr


def test_queue_add_needs_consent_and_a_known_service(tmp_path):
    config_path, _, _ = write_config(tmp_path)
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(GOOD))
    no_consent = kiosk("queue", "add", "--service", "change-of-address", "--answers", str(answers), config=config_path)
    assert no_consent.returncode == 2 and "--citizen-consented" in no_consent.stderr
    unknown = kiosk("queue", "add", "--service", "nope", "--answers", str(answers), config=config_path)
    assert unknown.returncode == 2 and "services list" in unknown.stderr


def test_bad_config_is_one_clear_line(tmp_path):
    bad = tmp_path / "kiosk.toml"
    bad.write_text("[kiosk\nid=1")
    result = kiosk("services", "list", config=bad)
    assert result.returncode == 2
    assert str(bad) in result.stderr and "Traceback" not in result.stderr


def test_wrongly_typed_config_value_is_one_clear_line(tmp_path):
    bad = tmp_path / "kiosk.toml"
    bad.write_text('[session]\nidle_seconds = "soon"\n')
    result = kiosk("services", "list", config=bad)
    assert result.returncode == 2 and str(bad) in result.stderr and "Traceback" not in result.stderr


def test_unwritable_output_is_one_clear_line(tmp_path):
    result = kiosk("audit", "export", "--out", str(tmp_path / "missing" / "audit.jsonl"), data_dir=tmp_path / "d")
    assert result.returncode == 1 and "Traceback" not in result.stderr and "missing" in result.stderr


def test_queue_add_with_an_unusable_data_dir(tmp_path):
    config_path, _, _ = write_config(tmp_path)
    text = config_path.read_text().replace('data_dir = "', 'data_dir = "/proc/ponte-nope', 1)
    config_path.write_text(text)
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(GOOD))
    result = kiosk("queue", "add", "--service", "change-of-address", "--answers", str(answers),
                   "--citizen-consented", config=config_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
