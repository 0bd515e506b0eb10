"""The running kiosk refreshes its signed catalogue by itself (ui/catalogue_watch.py).

Real parts: a TUF repository built with fresh keys, served over loopback HTTPS or copied into a
temporary "mount root" as a stick would be; the real KioskApp offscreen. The screen takes a new
catalogue only on the welcome screen, and no update deletes the folder a running kiosk reads.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from kiosk.config import config_from_dict
from operations.catalogue_update import (
    KioskCatalogue,
    build_repository,
    find_stick_catalogues,
    hold_version,
    update_catalogue,
)
from tests.queue_fixtures import make_queue_config
from tests import test_catalogue_update as update_tests
from tests.test_catalogue_update import NEW_TITLE, _retitle, _root

# The update tests' fixtures: signing keys, the sample services, a repository of them (version 1),
# the kiosk's data folder, and that repository served over loopback HTTPS with a test CA.
keys, source, repo, data_dir, https = (update_tests.keys, update_tests.source, update_tests.repo,
                                       update_tests.data_dir, update_tests.https)

OLD_TITLE = "Tell us you moved house"


def _titles(services: list) -> set[str]:
    return {s["title"] for s in services}


def _kiosk_config(tmp_path: Path, data_dir: Path, catalogue: dict):
    """A kiosk whose only services are the signed catalogue's `current` folder."""
    base, _ = make_queue_config(tmp_path)
    raw = dict(base.raw)
    raw["kiosk"] = {**raw["kiosk"], "data_dir": str(data_dir)}
    raw["services"] = {"dirs": [str(KioskCatalogue.under(data_dir).current)], "include_samples": False}
    raw["catalogue"] = {"refresh_minutes": 0, "usb_poll_seconds": 0, **catalogue}
    return config_from_dict(raw, base=tmp_path)


def _publish_next(source: Path, repo: Path, keys: dict, n: int) -> None:
    """The publisher's next version: the sample services, one title changed to say which."""
    path = source / "change-of-address.yaml"
    text = re.sub(r"Tell us your new address( \(\d+\))?", f"Tell us your new address ({n})",
                  path.read_text(encoding="utf-8"))
    path.write_text(text, encoding="utf-8")
    build_repository(source, repo, keys)


def test_threeUpdatesInARow_whileAKioskReadsV1_neverDeleteIt_andReleasedItGoes(repo, source, keys, data_dir):
    update_catalogue(data_dir, str(repo), _root(repo))
    paths = KioskCatalogue.under(data_dir)
    hold = hold_version(data_dir)  # what the running kiosk takes for the folder it loaded
    assert hold is not None and hold.version == 1
    in_use = sorted(p.relative_to(hold.path) for p in hold.path.rglob("*"))
    _retitle(source)
    for n in (2, 3, 4):
        _publish_next(source, repo, keys, n)
        assert update_catalogue(data_dir, str(repo), None).version == n
        assert sorted(p.relative_to(hold.path) for p in hold.path.rglob("*")) == in_use  # never touched

    assert sorted(p.name for p in paths.versions.iterdir()) == ["v1", "v3", "v4"]  # v2: nobody reads it
    assert paths.version() == 4 and paths.version(paths.previous) == 3
    hold.release()
    _publish_next(source, repo, keys, 5)
    update_catalogue(data_dir, str(repo), None)
    assert sorted(p.name for p in paths.versions.iterdir()) == ["v4", "v5"]


def test_versionsNobodyReads_areDeleted_keepingCurrentAndPrevious(repo, source, keys, data_dir):
    paths = KioskCatalogue.under(data_dir)
    update_catalogue(data_dir, str(repo), _root(repo))
    for n in (2, 3, 4):  # no kiosk running: nothing holds a version
        _publish_next(source, repo, keys, n)
        update_catalogue(data_dir, str(repo), None)
    assert sorted(p.name for p in paths.versions.iterdir()) == ["v3", "v4"]
    assert sorted(p.name for p in paths.locks.iterdir()) == []  # the deleted versions' locks went with them


@pytest.fixture
def running(qtbot, tmp_path, https, repo, data_dir):
    """A running KioskApp on catalogue version 1, refreshing from the loopback HTTPS repository."""
    from ui.app import KioskApp

    url, ca = https
    update_catalogue(data_dir, url, _root(repo), ca_bundle=ca)
    config = _kiosk_config(tmp_path, data_dir, {"url": url, "root": str(_root(repo)), "ca_bundle": str(ca)})
    app = KioskApp(config, windowed=True, size=(1366, 768))
    yield app
    app.close()


def test_runningKiosk_takesNewServices_atTheNextWelcomeScreen_notMidJourney(qtbot, running, repo, source, keys,
                                                                           data_dir):
    app, bridge, watcher = running, running.bridge, running.catalogue_watch
    assert watcher.active and watcher.version == 1
    bridge.start()
    bridge.chooseLanguage("en")
    assert OLD_TITLE in _titles(bridge.services)
    bridge.chooseService("change-of-address")  # a citizen has begun
    _retitle(source)
    for n in (2, 3, 4):  # three updates while the journey goes on
        _publish_next(source, repo, keys, n)
        watcher.refresh_now()
        qtbot.waitUntil(lambda n=n: watcher.pending_version == n and not watcher.busy, timeout=30_000)
        assert watcher.last_problem == ""

    assert bridge.serviceTitle == OLD_TITLE  # mid-journey: nothing changed under the citizen
    assert OLD_TITLE in _titles(bridge.services) and watcher.version == 1
    paths = KioskCatalogue.under(data_dir)
    assert (paths.versions / "v1" / "change-of-address.yaml").is_file()  # the folder in use survived
    assert (paths.versions / "v1" / "pictograms" / "change-of-address.svg").is_file()

    with qtbot.waitSignal(watcher.adopted, timeout=10_000) as adopted:
        bridge.restart()  # the citizen leaves: the welcome screen
    assert adopted.args == [4]
    bridge.start()
    bridge.chooseLanguage("en")
    assert "Tell us your new address (4)" in _titles(bridge.services)
    assert OLD_TITLE not in _titles(bridge.services)
    assert app.catalogue is bridge.catalogue and watcher.version == 4
    audit = app.mediator.stores.audit  # the switch is in the audit log: a version and a count, no person
    qtbot.waitUntil(lambda: any(e.action == "catalogue_switch" for e in audit.entries()), timeout=10_000)
    entry = next(e for e in audit.entries() if e.action == "catalogue_switch")
    assert entry.mediator is None and entry.details == {"outcome": "version 4", "count": len(app.catalogue.services)}
    # v1 is no longer held: the next update may delete it
    _publish_next(source, repo, keys, 5)
    watcher.refresh_now()
    qtbot.waitUntil(lambda: watcher.pending_version == 5 and not watcher.busy, timeout=30_000)
    assert not (paths.versions / "v1").exists() and (paths.versions / "v4").is_dir()


def test_stickInAMountRoot_isFound_updatedFromOnce_andOfferedOnTheWelcomeScreen(qtbot, tmp_path, repo, source,
                                                                              keys, data_dir):
    from ui.bridge import KioskBridge, QueueWriter
    from ui.catalogue_watch import CatalogueWatcher
    from kiosk.definition import load_catalogue

    update_catalogue(data_dir, str(repo), _root(repo))
    mounts = tmp_path / "media"
    config = _kiosk_config(tmp_path, data_dir, {"usb_roots": [str(mounts / "*" / "*")],
                                                "usb_folder": "ponte-catalogue"})
    writer = QueueWriter(lambda: None)
    bridge = KioskBridge(config, load_catalogue(config.services_dirs), writer)
    watcher = CatalogueWatcher(config, bridge)
    try:
        finished: list[str] = []
        watcher.updateFinished.connect(finished.append)
        watcher.poll()
        assert finished == [] and not watcher.busy  # no stick yet
        _retitle(source)
        build_repository(source, repo, keys)
        stick = mounts / "citizen-services" / "STICK 1"
        shutil.copytree(repo, stick / "ponte-catalogue")
        (stick / "other-folder").mkdir()
        assert find_stick_catalogues(config.catalogue.usb_roots, "ponte-catalogue") == [stick / "ponte-catalogue"]

        with qtbot.waitSignal(watcher.adopted, timeout=30_000) as adopted:
            watcher.poll()  # on the welcome screen: taken at once
        assert adopted.args == [2] and finished == [""]
        bridge.start()
        bridge.chooseLanguage("en")
        assert NEW_TITLE in _titles(bridge.services)
        watcher.poll()  # the same stick still plugged in: not offered again
        qtbot.wait(200)
        assert finished == [""] and not watcher.busy
    finally:
        watcher.close()
        writer.close()


def test_brokenStick_isRefused_inOneLine_andTheScreenKeepsItsServices(qtbot, tmp_path, repo, data_dir):
    from ui.bridge import KioskBridge, QueueWriter
    from ui.catalogue_watch import CatalogueWatcher
    from kiosk.definition import load_catalogue

    update_catalogue(data_dir, str(repo), _root(repo))
    mounts = tmp_path / "media"
    stick = mounts / "usb0" / "ponte-catalogue"
    shutil.copytree(repo, stick)
    (stick / "metadata" / "timestamp.json").write_text("{ not json", encoding="utf-8")
    config = _kiosk_config(tmp_path, data_dir, {"usb_roots": [str(mounts / "*")]})
    writer = QueueWriter(lambda: None)
    bridge = KioskBridge(config, load_catalogue(config.services_dirs), writer)
    watcher = CatalogueWatcher(config, bridge)
    try:
        with qtbot.waitSignal(watcher.updateFinished, timeout=30_000) as done:
            watcher.poll()
        assert done.args[0].startswith("refused") and "\n" not in done.args[0]
        assert watcher.version == 1 and watcher.pending_version is None
        assert KioskCatalogue.under(data_dir).version() == 1
    finally:
        watcher.close()
        writer.close()


def test_kioskOnPlainServiceFolders_doesNotWatch(qtbot, tmp_path):
    from ui.bridge import KioskBridge, QueueWriter
    from ui.catalogue_watch import CatalogueWatcher
    from kiosk.definition import load_catalogue

    config, _ = make_queue_config(tmp_path)
    writer = QueueWriter(lambda: None)
    bridge = KioskBridge(config, load_catalogue(config.services_dirs), writer)
    watcher = CatalogueWatcher(config, bridge)
    watcher.start()
    assert not watcher.active and not watcher.busy
    watcher.close()
    writer.close()


def test_console_showsTheCatalogueVersion(tmp_path, repo, data_dir, capsys):
    from operations.health import device_health

    config = _kiosk_config(tmp_path, data_dir, {})
    assert device_health(config, clock_probe=False).catalogue_version is None  # nothing installed yet
    update_catalogue(data_dir, str(repo), _root(repo))
    assert device_health(config, clock_probe=False).catalogue_version == 1
    from commands.cli import main
    assert main(["--config", str(_write(tmp_path, config)), "console"]) == 0
    assert "service catalogue: version 1" in capsys.readouterr().out
    from types import SimpleNamespace
    from ui.console_format import console_snapshot
    device = device_health(config, clock_probe=False)
    view = console_snapshot(config, "pt", SimpleNamespace(available=False, reason="", counts={}, failed=[],
                                                          destinations=[], oldest_waiting_seconds=None,
                                                          last_success=None),
                            device, None, {}, {}, tmp_path)
    assert view["device"]["catalogue"] == "Catálogo de serviços: versão 1"


def _write(tmp_path: Path, config) -> Path:
    path = tmp_path / "kiosk.toml"
    dirs = ", ".join(f'"{d}"' for d in config.services_dirs)
    path.write_text(f'[kiosk]\ndata_dir = "{config.data_dir}"\n[services]\ndirs = [{dirs}]\ninclude_samples = false\n',
                    encoding="utf-8")
    return path
