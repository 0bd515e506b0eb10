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
    assert len(lines) == 4  # the sample services
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


# --- queue add with hostile input (issue 17 §4) --------------------------------------------------


def add(config_path: Path, answers: Path, *extra: str) -> subprocess.CompletedProcess:
    return kiosk("queue", "add", "--service", "change-of-address", "--answers", str(answers),
                 "--citizen-consented", *extra, config=config_path)


def one_line_refusal(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1, result.stderr


@pytest.mark.parametrize("content", [
    '{"nif": ' + "9" * 5000 + "}",                 # over Python's 4300-digit limit for int()
    "[" * 100_000 + "]" * 100_000,                 # deeper than the JSON parser's recursion
    '{"nif": {"a": {"b": 1}}}',                    # a table where an answer goes
    '{"nif": [[1, 2], [3]]}',                      # nested lists
])
def test_queue_add_hostile_answers_file_is_one_line(tmp_path, content):
    config_path, config, _ = write_config(tmp_path)
    answers = tmp_path / "answers.json"
    answers.write_text(content)
    one_line_refusal(add(config_path, answers))
    with open_outbox(config) as outbox:
        assert outbox.items() == []


def test_queue_add_refuses_a_huge_answers_file_unread(tmp_path):
    config_path, _, _ = write_config(tmp_path)
    answers = tmp_path / "answers.json"
    answers.write_text('{"nif": "' + "1" * (2 * 1024 * 1024) + '"}')
    result = add(config_path, answers)
    one_line_refusal(result)
    assert "KB" in result.stderr


def test_queue_add_with_a_submission_id_is_idempotent(tmp_path):
    config_path, config, _ = write_config(tmp_path)
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(GOOD))
    sid = "0f8b6f7e-3c1a-4f53-9d6c-2a4b8e9f1c00"
    first = add(config_path, answers, "--submission-id", sid)
    again = add(config_path, answers, "--submission-id", sid.upper())  # the same UUID, written otherwise
    assert first.returncode == 0 and again.returncode == 0, first.stderr + again.stderr
    assert first.stdout == again.stdout and len(first.stdout.strip()) == 9
    with open_outbox(config) as outbox:
        items = outbox.items()
    assert [(i.id, i.reference) for i in items] == [(sid, first.stdout.strip().replace("-", ""))]
    other = add(config_path, answers)  # without an id: a new submission, as before
    assert other.returncode == 0 and other.stdout != first.stdout


def test_queue_add_refuses_a_submission_id_that_is_not_a_uuid(tmp_path):
    config_path, _, _ = write_config(tmp_path)
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(GOOD))
    one_line_refusal(add(config_path, answers, "--submission-id", "1; DROP TABLE"))


def test_the_reference_is_flushed_as_soon_as_it_is_printed(monkeypatch):
    import io

    from commands.base import echo_flushed

    class Recorder(io.StringIO):
        flushed_with: list[str] = []

        def flush(self):
            self.flushed_with.append(self.getvalue())

    out = Recorder()
    monkeypatch.setattr("sys.stdout", out)
    echo_flushed("ABCD-EFGH")
    assert out.flushed_with and out.flushed_with[-1] == "ABCD-EFGH\n"


# --- logging, exit codes, help ---------------------------------------------------------------------


def test_every_command_has_an_example_and_the_root_help_lists_exit_codes():
    import click

    from commands.cli import kiosk as root

    def walk(command, path):
        yield path, command
        if isinstance(command, click.Group):
            ctx = click.Context(command)
            for name in command.list_commands(ctx):
                yield from walk(command.get_command(ctx, name), [*path, name])

    missing = [" ".join(p) or "kiosk" for p, c in walk(root, []) if "Example:" not in (c.help or "")]
    assert missing == []
    result = kiosk("--help")
    assert result.returncode == 0
    for code in ("0 ", "1 ", "2 ", "130"):
        assert code in result.stdout.split("Exit codes:")[1]


def test_log_level_from_verbose_then_environment():
    import logging

    from commands.logs import level_from
    assert level_from(2, {}) == logging.DEBUG and level_from(1, {"PONTE_LOG_LEVEL": "error"}) == logging.INFO
    assert level_from(0, {"PONTE_LOG_LEVEL": "debug"}) == logging.DEBUG
    assert level_from(0, {"PONTE_LOG_LEVEL": "nonsense"}) == level_from(0, {}) == logging.WARNING


def test_under_systemd_log_lines_carry_a_priority_and_no_time(monkeypatch, capsys):
    import logging

    from commands.logs import setup_logging
    monkeypatch.setenv("JOURNAL_STREAM", "8:1234")
    setup_logging(1)
    try:
        logging.getLogger("ponte.test").warning("first line\nsecond line")
        logging.getLogger("ponte.test").debug("not shown at info")
    finally:
        monkeypatch.delenv("JOURNAL_STREAM")
        setup_logging(0)
    assert capsys.readouterr().err == "<4>ponte.test: first line\n<4>ponte.test: second line\n"


def test_an_unexpected_error_is_one_line_without_its_message(monkeypatch, capsys):
    from commands.cli import main

    def explode(*_args, **_kwargs):
        raise ValueError("Maria Canary-Silva, 12 Rua do Canario")
    monkeypatch.setattr("commands.services.load_catalogue", explode)
    assert main(["-vv", "services", "list"]) == 1
    err = capsys.readouterr().err
    assert "ValueError" in err and "Canary" not in err
    assert "commands/services.py" in err and "explode" in err  # -vv says where, still without the message
    assert [line for line in err.splitlines() if line.startswith("kiosk:")] == [err.splitlines()[-1]]


def test_no_personal_data_in_the_logs_of_add_and_sync(tmp_path):
    from offline_queue.devbackend import start_dev_backend
    config_path, config, private_key = write_config(tmp_path)
    backend = start_dev_backend(tmp_path / "backend.db", [private_key])
    try:
        text = config_path.read_text().replace("http://127.0.0.1:9", backend.url)
        config_path.write_text(text)
        canary = {**GOOD, "full_name": "Zorbatinsky Canary", "new_address": "Rua Zorbatinsky 1"}
        answers = tmp_path / "answers.json"
        answers.write_text(json.dumps(canary))
        env_config = {"config": config_path}
        runs = [kiosk("-vv", "queue", "add", "--service", "change-of-address", "--answers", str(answers),
                      "--citizen-consented", **env_config),
                kiosk("-vv", "queue", "sync", **env_config), kiosk("-vv", "queue", "list", "--json", **env_config),
                kiosk("-vv", "console", "--no-clock", **env_config)]
        assert [r.returncode for r in runs] == [0, 0, 0, 0], [r.stderr for r in runs]
        assert len(backend.rows()) == 1 and "Zorbatinsky" in json.dumps(backend.rows())  # it did travel
    finally:
        backend.stop()
    for r in runs:
        assert "Zorbatinsky" not in r.stdout + r.stderr


def test_screenshots_run_as_a_process_and_exit_zero(tmp_path):
    # It once wrote every PNG and then aborted at exit (bool_dealloc, status 134) on PySide6 6.12.0.
    env_dir = tmp_path / "data"
    result = kiosk("screenshots", str(tmp_path / "shots"), "--lang", "en", "--service", "birth-certificate",
                   data_dir=env_dir)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "screenshots in" in result.stdout
    assert list((tmp_path / "shots").rglob("*.png"))


def test_qml_warnings_reach_python_logging(qapp, caplog):
    from PySide6.QtCore import QUrl
    from PySide6.QtQml import QQmlComponent, QQmlEngine

    from ui.qtlog import install_qt_message_handler
    install_qt_message_handler()
    engine = QQmlEngine()
    component = QQmlComponent(engine)
    component.setData(b'import QtQuick\nItem { Component.onCompleted: console.warn("ponte-qml-check") }',
                      QUrl("file:///check/Probe.qml"))
    item = component.create()
    assert item is not None, component.errorString()
    records = [r for r in caplog.records if "ponte-qml-check" in r.getMessage()]
    assert [(r.name, r.levelname) for r in records] == [("qml", "WARNING")]


@pytest.mark.timeout(180)
def test_a_whole_journey_logs_no_personal_data(qtbot, tmp_path, caplog, capfd):
    """Canary: a citizen's answers, typed on the real screens and delivered, appear in no log line at debug."""
    import logging

    from commands.logs import setup_logging
    from kiosk.definition import load_catalogue
    from offline_queue.devbackend import start_dev_backend
    from tests.ui_driver import Driver
    from ui.app import KioskApp

    canary = "Zorbatinsky"
    setup_logging(2)  # the kiosk's own handler, at debug, as `kiosk -vv run` sets it
    caplog.set_level(logging.DEBUG)
    config, private_key = make_queue_config(tmp_path)
    backend = start_dev_backend(tmp_path / "backend.db", [private_key])
    try:
        from kiosk.config import config_from_dict
        config = config_from_dict({**config.raw, "destinations": {"*": {"url": backend.url, "allow_http": True}}})
        app = KioskApp(config, windowed=True, size=(1366, 768), sync=True)
        try:
            driver = Driver(app, qtbot)
            service = load_catalogue(config.services_dirs).services["change-of-address"]
            driver.click("startButton")
            driver.click("lang_en")
            driver.click(f"service_{service.id}")
            driver.click("nextButton")
            driver.complete_questions(service, {"full_name": f"Ana {canary}", "new_address": f"Rua {canary} 9"})
            driver.click("consentButton")
            driver.click("submitButton")
            qtbot.waitUntil(lambda: len(backend.rows()) == 1, timeout=20000)
            assert canary in json.dumps(backend.rows()[0]["payload"])  # the answers did travel
        finally:
            app.close()
    finally:
        backend.stop()
        setup_logging(0)
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert len(caplog.records) > 5  # at debug the kiosk does log: the check below looks at something
    assert canary not in logged
    out, err = capfd.readouterr()
    assert canary not in out + err


def test_the_command_reference_is_written_from_every_commands_help():
    from commands.reference import markdown
    text = markdown()
    for heading in ("## kiosk queue add", "## kiosk config check", "## kiosk services xform", "## kiosk voice say"):
        assert heading in text
    assert text.count("Example:") == text.count("\n## ")  # one example per command
