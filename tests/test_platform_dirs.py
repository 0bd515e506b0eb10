"""Data, cache and configuration in the platform's standard places (platformdirs) unless configured.

The environment is the real one, with XDG_* pointed at temporary folders: what a desktop user or a
CI runner without /etc/ponte gets. The packaged kiosk names /var/lib/ponte in /etc/ponte/kiosk.toml.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.config import config_from_dict, config_path, load_config

PACKAGED = Path(__file__).resolve().parents[1] / "packaging" / "kiosk.toml"


@pytest.fixture
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    dirs = {name: tmp_path / name.lower() for name in ("XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME")}
    for name, path in dirs.items():
        monkeypatch.setenv(name, str(path))
    for name in ("PONTE_DATA_DIR", "PONTE_CACHE_DIR", "PONTE_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    return dirs


def test_noConfig_dataAndCache_goUnderTheXdgFolders(xdg):
    config = config_from_dict({})
    assert config.data_dir == xdg["XDG_DATA_HOME"] / "ponte"
    assert config.cache_dir == xdg["XDG_CACHE_HOME"] / "ponte"
    assert config.queue_path.is_relative_to(xdg["XDG_DATA_HOME"])


def test_configFile_isFoundInTheXdgConfigFolder(xdg, tmp_path):
    if Path("/etc/ponte/kiosk.toml").is_file():
        pytest.skip("this machine has a packaged kiosk's /etc/ponte/kiosk.toml, which comes first")
    folder = xdg["XDG_CONFIG_HOME"] / "ponte"
    folder.mkdir(parents=True)
    (folder / "kiosk.toml").write_text('[kiosk]\nid = "from-xdg"\n', encoding="utf-8")
    assert config_path() == folder / "kiosk.toml"
    assert load_config().kiosk_id == "from-xdg"


def test_configuredDataDir_keepsCachesUnderIt_asOnThePackagedKiosk(xdg):
    config = load_config(PACKAGED)
    assert config.data_dir == Path("/var/lib/ponte")
    assert config.cache_dir == Path("/var/lib/ponte")  # speech clips and the checked catalogue, as before


def test_configuredCacheDir_andEnvironment_win(xdg, tmp_path, monkeypatch):
    assert config_from_dict({"kiosk": {"cache_dir": str(tmp_path / "c")}}).cache_dir == tmp_path / "c"
    monkeypatch.setenv("PONTE_CACHE_DIR", str(tmp_path / "env-cache"))
    monkeypatch.setenv("PONTE_DATA_DIR", str(tmp_path / "env-data"))
    config = config_from_dict({})
    assert (config.data_dir, config.cache_dir) == (tmp_path / "env-data", tmp_path / "env-cache")
