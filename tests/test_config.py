"""The typed configuration: every setting declared once; a wrong file is refused at load with where and what."""
from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.config import (DESTINATIONS, SECTIONS, ConfigError, DestinationSettings, config_from_dict, declared,
                          effective, load_config, parse_settings, redact_url)

ROOT = Path(__file__).parents[1]


def problems_of(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == info.value.problems[0]
    assert all(p.startswith(f"{path}: ") for p in info.value.problems)  # every line names the file
    return [p.removeprefix(f"{path}: ") for p in info.value.problems]


def kiosk(*args: str, config: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PONTE_CONFIG"}
    if config:
        env["PONTE_CONFIG"] = str(config)
    return subprocess.run([sys.executable, "-m", "commands", *args], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=60)


# --- declared once ----------------------------------------------------------------------------------


def test_every_setting_has_a_kind_a_doc_and_a_default_of_its_kind():
    for section in [*SECTIONS.values(), DestinationSettings]:
        for key, default, doc, kind, _secret in declared(section):
            assert doc and not doc.endswith("."), f"{section.__name__}.{key}"
            if default is not None and default not in ("",) and not isinstance(default, tuple):
                kind.convert(default)  # the default is itself a valid value
    assert config_from_dict({}).settings == parse_settings({})


def _keys_read_from_raw() -> set[tuple[str, str]]:
    """(section, key) of every `config.raw.get("section", {}).get("key"` in the code."""
    pattern = re.compile(r"""raw\.get\(["'](\w+)["'],\s*\{\}\)\.get\(["'](\w+)["']""")
    found = set()
    for package in ("kiosk", "offline_queue", "voice", "ui", "operations", "commands"):
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            found |= set(pattern.findall(text))
            # `x_cfg = config.raw.get("voice", {})` then `x_cfg.get("rate"...)`
            for var, section in re.findall(r"""(\w+) = [\w.]*raw\.get\(["'](\w+)["'], \{\}\)""", text):
                found |= {(section, key) for key in re.findall(rf"""\b{var}\.get\(["'](\w+)["']""", text)}
    return found


def test_every_key_the_code_reads_is_declared():
    read = _keys_read_from_raw()
    assert read, "the scan found nothing: the pattern no longer matches the code"
    undeclared = sorted((s, k) for s, k in read if s not in SECTIONS or k not in {f.name for f in
                                                                                    dataclasses.fields(SECTIONS[s])})
    assert undeclared == []


def test_every_destination_option_the_connectors_read_is_declared():
    pattern = re.compile(r"""options\.get\(\s*f?["'](\w+)["']|options\[["'](\w+)["']\]|secret\([\w.]*options, ["'](\w+)["']""")
    read = set()
    for path in (ROOT / "offline_queue").rglob("*.py"):
        for groups in pattern.findall(path.read_text(encoding="utf-8")):
            read |= {g for g in groups if g}
    declared_keys = {f.name for f in dataclasses.fields(DestinationSettings)}
    secrets = {"token", "password", "username"}  # read as <name>_env / <name>_file
    assert sorted(read - declared_keys - secrets) == []
    assert all(f"{s}_env" in declared_keys and f"{s}_file" in declared_keys for s in secrets)


# --- refused at load, with file, key and what is expected --------------------------------------------


def test_a_duration_with_a_unit_is_one_line_naming_the_key(tmp_path):
    assert problems_of(tmp_path, '[queue]\nbase_delay = "2s"\n') == [
        '[queue] base_delay: expected a number of seconds, like 2 or 2.5 (no unit); got the text "2s"']


@pytest.mark.parametrize("text,expected", [
    ("[queu]\nbase_delay = 2\n", "[queu]: no such section; did you mean [queue]?"),
    ('[queue]\npublickey = "x.pem"\n', "[queue] publickey: no such setting; did you mean public_key?"),
    ("[session]\nidle_second = 60\n", "[session] idle_second: no such setting; did you mean idle_seconds?"),
    ("[nonsense]\nx = 1\n", "[nonsense]: no such section; sections: [kiosk]"),
    ('id = "k1"\n', "id: settings go in a section such as [kiosk] id"),
    ("[session]\nidle_seconds = true\n", "[session] idle_seconds: expected a number of seconds"),
    ("[session]\nidle_seconds = -5\n", "[session] idle_seconds: expected a number of seconds"),
    ('[voice]\nrate = 500\n', "[voice] rate: expected a whole number from 50 to 200; got int 500"),
    ('[voice]\non_by_default = "yes"\n', '[voice] on_by_default: expected true or false (no quotes); got the text "yes"'),
    ('[kiosk]\nlanguages = ["pt", "xx"]\n', '[kiosk] languages: expected a list of "en", "pt"'),
    ('[kiosk]\nlanguages = ["pt"]\ndefault_language = "fr"\n', '[kiosk] default_language: "fr" is not one of'),
    ('[services]\ndirs = "/etc/ponte/services"\n', "[services] dirs: expected a list of paths"),
    ('[destinations.reg]\nkind = "soap"\nurl = "https://x"\n', '[destinations.reg] kind: expected one of "rest", "openrosa"'),
    ('[destinations.reg]\nkind = "rest"\n', "[destinations.reg] url: add the backend's url"),
    ('[destinations.reg]\nurl = "https://x"\ntoken = "s3cret"\n',
     "[destinations.reg] token: a secret is never written in this file; use token_env or token_file"),
    ('[destinations.reg]\nurl = "https://x"\nread_timout = 5\n', "did you mean read_timeout?"),
    ("queue = 3\n", "[queue]: expected a table of settings"),
])
def test_wrong_files_are_refused_with_where_and_what(tmp_path, text, expected):
    problems = problems_of(tmp_path, text)
    assert any(expected in p for p in problems), problems
    assert "s3cret" not in " ".join(problems)  # a secret written by mistake is not repeated


def test_every_problem_is_listed_not_only_the_first(tmp_path):
    problems = problems_of(tmp_path, '[queu]\n[queue]\nbase_delay = "2s"\nmax_delay = "15m"\n[voice]\nrate = "fast"\n')
    assert len(problems) == 4


def test_a_copy_with_another_raw_has_its_own_typed_sections(tmp_path):
    config = config_from_dict({"kiosk": {"data_dir": str(tmp_path)}})
    other = dataclasses.replace(config, raw={**config.raw, "voice": {"on_by_default": True, "rate": 150}})
    assert (config.voice.on_by_default, other.voice.on_by_default, other.voice.rate) == (False, True, 150)


def test_kiosk_id_and_data_dir_from_the_environment_unless_the_file_says(tmp_path, monkeypatch):
    monkeypatch.setenv("PONTE_KIOSK_ID", "from-env")
    monkeypatch.setenv("PONTE_DATA_DIR", str(tmp_path / "env-data"))
    assert config_from_dict({}).kiosk_id == "from-env"
    assert config_from_dict({}).data_dir == tmp_path / "env-data"
    assert config_from_dict({"kiosk": {"id": "k1", "data_dir": str(tmp_path / "d")}}).kiosk_id == "k1"


# --- the shipped examples are valid ----------------------------------------------------------------


def _readme_example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.search(r"```toml\n(.*?)```", text, re.S).group(1)


def test_the_readme_example_is_a_valid_configuration(tmp_path):
    path = tmp_path / "kiosk.toml"
    path.write_text(_readme_example(), encoding="utf-8")
    config = load_config(path)
    assert config.destinations["social-security"].kind == "openrosa"


def test_the_packaged_configuration_is_valid():
    packaged = ROOT / "packaging" / "kiosk.toml"
    config = load_config(packaged)
    assert config.kiosk_id and config.queue.reserve_bytes > 0


# --- the commands ----------------------------------------------------------------------------------


def test_config_check_lists_every_problem_and_fails(tmp_path):
    bad = tmp_path / "kiosk.toml"
    bad.write_text('[queu]\n[queue]\nbase_delay = "2s"\n')
    result = kiosk("config", "check", str(bad))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "did you mean [queue]?" in result.stderr and "base_delay" in result.stderr
    assert "2 problem(s)" in result.stderr
    good = tmp_path / "good.toml"
    good.write_text("[session]\nidle_seconds = 90\n")
    ok = kiosk("config", "check", str(good))
    assert ok.returncode == 0 and "no problems" in ok.stdout


def test_the_kiosk_refuses_to_start_on_a_bad_file_with_one_line(tmp_path, monkeypatch):
    bad = tmp_path / "kiosk.toml"
    bad.write_text('[queue]\nbase_delay = "2s"\n')
    for name in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):  # no screen: the line is all there is
        monkeypatch.delenv(name, raising=False)
    for args in (("run",), (), ("queue", "status")):
        result = kiosk(*args, config=bad)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
        assert str(bad) in result.stderr and "base_delay" in result.stderr and "config check" in result.stderr


def test_config_show_gives_effective_values_and_hides_secrets(tmp_path):
    path = tmp_path / "kiosk.toml"
    path.write_text(f'[kiosk]\nid = "k7"\ndata_dir = "{tmp_path / "d"}"\n[session]\nidle_seconds = 90\n'
                    '[destinations.odk]\nkind = "openrosa"\nurl = "https://user:pw@c.example.org/v1/key/SeCrEt/projects/1"\n'
                    'token_env = "ODK_TOKEN"\n')
    result = kiosk("config", "show", "--json", config=path)
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["kiosk"]["id"] == "k7" and shown["session"]["idle_seconds"] == 90
    assert shown["session"]["warning_seconds"] == 30  # a default, shown too
    assert shown[f"{DESTINATIONS}.odk"]["url"] == "https://***@c.example.org/v1/key/***/projects/1"
    assert "SeCrEt" not in result.stdout and "pw@" not in result.stdout
    text = kiosk("config", "show", config=path)
    assert text.returncode == 0 and 'idle_seconds = 90' in text.stdout and "SeCrEt" not in text.stdout
    assert set(effective(load_config(path))) >= set(SECTIONS)


def test_redact_url_leaves_ordinary_urls_alone():
    assert redact_url("https://registry.example.gov/ponte") == "https://registry.example.gov/ponte"


def test_config_settings_lists_every_declared_setting():
    result = kiosk("config", "settings")
    assert result.returncode == 0
    for name, section in SECTIONS.items():
        assert f"[{name}]" in result.stdout
        for key, *_ in declared(section):
            assert f"  {key} (" in result.stdout


def test_with_a_screen_a_bad_file_is_shown_for_the_mediator(tmp_path, qapp):
    from PySide6.QtCore import QObject, QTimer
    from PySide6.QtGui import QGuiApplication

    from commands.cli import main
    bad = tmp_path / "kiosk.toml"
    bad.write_text('[queu]\nbase_delay = 2\n')
    seen = {}

    def look():
        windows = [w for w in QGuiApplication.topLevelWindows() if w.objectName() == "configProblem"]
        seen["text"] = windows[0].findChild(QObject, "problemText").property("text") if windows else None
        QGuiApplication.quit()
    QTimer.singleShot(300, look)
    assert main(["--config", str(bad), "run"]) == 2
    assert "did you mean [queue]?" in seen["text"] and str(bad) in seen["text"]
