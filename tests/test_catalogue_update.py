"""Signed catalogue updates (operations/catalogue_update.py) against a real loopback HTTPS server and a folder.

The repository is built with python-tuf's Metadata API and fresh Ed25519 keys; the kiosk side is
python-tuf's Updater. Every refusal must leave the catalogue in use exactly as it was.
"""
from __future__ import annotations

import functools
import http.server
import os
import shutil
import ssl
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from commands.cli import main
from kiosk.config import SAMPLE_SERVICES
from kiosk.definition import load_catalogue
from operations.catalogue_update import (
    ROLES,
    CatalogueError,
    CatalogueInputError,
    Expiry,
    KioskCatalogue,
    build_repository,
    catalogue_status,
    sign_repository,
    update_catalogue,
)
from tests.queue_fixtures import make_cert

NEW_TITLE = "Tell us your new address"
SAMPLES = len(load_catalogue([SAMPLE_SERVICES]).services)  # the sample services every repository starts with


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, Path]:
    return {role: tmp_path / "keys" / f"{role}.pem" for role in ROLES}


@pytest.fixture
def source(tmp_path: Path) -> Path:
    folder = tmp_path / "source"
    shutil.copytree(SAMPLE_SERVICES, folder)
    return folder


@pytest.fixture
def repo(tmp_path: Path, source: Path, keys: dict[str, Path]) -> Path:
    """A repository holding version 1: the three sample services."""
    repository = tmp_path / "repo"
    build_repository(source, repository, keys, generate_keys=True)
    return repository


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


@pytest.fixture
def https(tmp_path: Path, repo: Path) -> Iterator[tuple[str, Path]]:
    """(url, CA file): a ThreadingHTTPServer on 127.0.0.1 serving `repo` over TLS with a test CA."""
    ca_pem, cert_pem, key_pem = make_cert(tmp_path / "tls")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_pem, key_pem)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(repo)))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", ca_pem
    finally:
        server.shutdown()
        server.server_close()


def _root(repo: Path) -> Path:
    return repo / "metadata" / "1.root.json"


def _retitle(source: Path) -> None:
    path = source / "change-of-address.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("Tell us you moved house", NEW_TITLE),
                    encoding="utf-8")


def _titles(folder: Path) -> set[str]:
    catalogue = load_catalogue([folder])
    assert not catalogue.problems
    return {service.title["en"] for service in catalogue.services.values()}


def _snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under the folder the kiosk loads, to prove a refusal changed nothing."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _target_file(repo: Path, name: str) -> Path:
    """The stored file of a target of the newest version (consistent snapshots prefix its hash)."""
    from tuf.api.metadata import Metadata
    targets = Metadata.from_file(str(repo / "metadata" / "targets.json")).signed
    digest = targets.targets[f"services/{name}"].hashes["sha256"]
    return repo / "targets" / "services" / f"{digest}.{name}"


# --- good updates --------------------------------------------------------------------------------


def test_update_overHttps_switchesServices_andKeepsOldAsBackup(https, repo, source, keys, data_dir):
    url, ca = https
    first = update_catalogue(data_dir, url, _root(repo), ca_bundle=ca)
    paths = KioskCatalogue.under(data_dir)
    assert (first.version, first.switched, first.services) == (1, True, SAMPLES)
    assert "Tell us you moved house" in _titles(paths.current)

    _retitle(source)
    build_repository(source, repo, keys)
    second = update_catalogue(data_dir, url, None, ca_bundle=ca)  # the trusted root is now the stored one

    assert (second.version, second.switched, second.previous_version) == (2, True, 1)
    assert NEW_TITLE in _titles(paths.current)
    assert "Tell us you moved house" in _titles(paths.previous)  # the backup
    assert os.readlink(paths.current) == "versions/v2"
    assert (paths.current / "pictograms" / "change-of-address.svg").is_file()
    again = update_catalogue(data_dir, url, None, ca_bundle=ca)
    assert (again.version, again.switched) == (2, False)
    status = catalogue_status(data_dir)
    assert (status.version, status.previous_version, status.services) == (2, 1, SAMPLES)


def test_update_fromUsbFolder_switchesWithoutNetwork(tmp_path, repo, data_dir):
    stick = tmp_path / "usb" / "ponte-catalogue"
    shutil.copytree(repo, stick)
    result = update_catalogue(data_dir, str(stick), _root(repo))
    assert (result.version, result.services) == (1, SAMPLES)
    assert len(_titles(KioskCatalogue.under(data_dir).current)) == SAMPLES


def test_renewedTimestamp_stillUpdates_andRenewedTargetsSwitchVersion(repo, keys, data_dir):
    update_catalogue(data_dir, str(repo), _root(repo))
    sign_repository(repo, {"timestamp": keys["timestamp"]})
    assert update_catalogue(data_dir, str(repo), None).switched is False  # same targets, new timestamp only
    sign_repository(repo, keys)  # every role renewed, root included (2.root.json)
    result = update_catalogue(data_dir, str(repo), None)
    assert (result.version, result.switched) == (2, True)


# --- refusals: the catalogue in use is kept -------------------------------------------------------


@pytest.mark.parametrize("how", ["same_length", "longer"])
def test_tamperedTarget_isRefused_andPreviousKept(https, repo, source, keys, data_dir, how):
    url, ca = https
    update_catalogue(data_dir, url, _root(repo), ca_bundle=ca)
    current = KioskCatalogue.under(data_dir).current
    before = _snapshot(current)
    _retitle(source)
    build_repository(source, repo, keys)
    stored = _target_file(repo, "change-of-address.yaml")
    data = stored.read_bytes()
    stored.write_bytes(data.replace(NEW_TITLE.encode(), b"Send us your bank PIN"[:len(NEW_TITLE)].ljust(
        len(NEW_TITLE))) if how == "same_length" else data + b"\nextra: 1\n")

    with pytest.raises(CatalogueError, match="tampered or damaged") as refused:
        update_catalogue(data_dir, url, None, ca_bundle=ca)

    assert "\n" not in str(refused.value)
    assert _snapshot(current) == before
    assert KioskCatalogue.under(data_dir).version() == 1


def test_expiredTimestamp_isRefused_asFreeze_andPreviousKept(repo, keys, data_dir):
    update_catalogue(data_dir, str(repo), _root(repo))
    current = KioskCatalogue.under(data_dir).current
    before = _snapshot(current)
    # A timestamp signed 40 days ago for 30 days: what a stick that toured too long carries.
    sign_repository(repo, {"timestamp": keys["timestamp"]}, Expiry(timestamp=30),
                    now=datetime.now(timezone.utc) - timedelta(days=40))

    with pytest.raises(CatalogueError, match="expired") as refused:
        update_catalogue(data_dir, str(repo), None)

    assert "kiosk catalogue sign" in str(refused.value)
    assert _snapshot(current) == before


def test_expiredMetadata_onFirstInstall_isRefused_andNothingInstalled(tmp_path, source, keys, data_dir):
    repository = tmp_path / "old-repo"
    build_repository(source, repository, keys, Expiry(timestamp=1, snapshot=1, targets=1), generate_keys=True,
                     now=datetime.now(timezone.utc) - timedelta(days=3))
    with pytest.raises(CatalogueError, match="expired"):
        update_catalogue(data_dir, str(repository), _root(repository))
    assert catalogue_status(data_dir).version is None


def test_rollbackToOlderVersion_isRefused(tmp_path, repo, source, keys, data_dir):
    old_copy = tmp_path / "old-stick"
    shutil.copytree(repo, old_copy)  # version 1, still within its expiry
    _retitle(source)
    build_repository(source, repo, keys)
    update_catalogue(data_dir, str(repo), _root(repo))
    current = KioskCatalogue.under(data_dir).current
    before = _snapshot(current)

    with pytest.raises(CatalogueError, match="rollback"):
        update_catalogue(data_dir, str(old_copy), None)

    assert KioskCatalogue.under(data_dir).version() == 2
    assert _snapshot(current) == before
    assert NEW_TITLE in _titles(current)


def test_invalidDefinition_isRefused_withTheProblemNamed_andPreviousKept(repo, source, keys, data_dir):
    update_catalogue(data_dir, str(repo), _root(repo))
    current = KioskCatalogue.under(data_dir).current
    before = _snapshot(current)
    path = source / "change-of-address.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("pictogram: pictograms/change-of-address.svg",
                                                             "pictogram: pictograms/no-such-picture.svg"),
                    encoding="utf-8")
    with pytest.raises(CatalogueInputError, match="no-such-picture"):  # the operator's build refuses it
        build_repository(source, repo, keys)
    build_repository(source, repo, keys, check=False)  # signed anyway: a broken or careless publisher

    with pytest.raises(CatalogueError) as refused:
        update_catalogue(data_dir, str(repo), None)

    message = str(refused.value)
    assert "refused version 2" in message and "change-of-address.yaml" in message
    assert "no-such-picture.svg" in message and "previous catalogue is kept" in message
    assert "staging" not in message and "\n" not in message
    assert _snapshot(current) == before
    assert KioskCatalogue.under(data_dir).version() == 1
    assert [p.name for p in KioskCatalogue.under(data_dir).versions.iterdir()] == ["v1"]


def test_untrustedRoot_isRefused(tmp_path, repo, source, data_dir):
    other_keys = {role: tmp_path / "other" / f"{role}.pem" for role in ROLES}
    other = tmp_path / "other-repo"
    build_repository(source, other, other_keys, generate_keys=True)
    with pytest.raises(CatalogueError, match="not signed by the trusted keys"):
        update_catalogue(data_dir, str(other), _root(repo))


def test_serverWithUntrustedCertificate_isRefused_tlsVerified(tmp_path, https, repo, data_dir):
    url, _ = https
    wrong_ca, _, _ = make_cert(tmp_path / "other-tls", name="other")
    with pytest.raises(CatalogueError, match="TLS"):
        update_catalogue(data_dir, url, _root(repo), ca_bundle=wrong_ca)
    assert catalogue_status(data_dir).version is None


def test_plainHttp_isNeverUsed(repo, data_dir):
    with pytest.raises(CatalogueInputError, match="https"):
        update_catalogue(data_dir, "http://127.0.0.1:1/", _root(repo))


# --- keys -----------------------------------------------------------------------------------------


def test_keyOfAnotherRole_isRefused(repo, source, keys):
    with pytest.raises(CatalogueInputError, match="not the timestamp key"):
        sign_repository(repo, {"timestamp": keys["targets"]})


def test_keyFileReadableByOthers_isRefused(repo, keys):
    keys["timestamp"].chmod(0o644)
    with pytest.raises(CatalogueInputError, match="chmod 600"):
        sign_repository(repo, {"timestamp": keys["timestamp"]})


# --- the command line -----------------------------------------------------------------------------


def _config(tmp_path: Path, data_dir: Path, root: Path) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(f'[kiosk]\ndata_dir = "{data_dir}"\n[catalogue]\nroot = "{root}"\n', encoding="utf-8")
    return path


def test_cli_buildUpdateStatus_andRefusalIsOneLine(tmp_path, source, data_dir, capsys):
    repository = tmp_path / "cli-repo"
    key_options = [arg for role in ROLES for arg in (f"--{role}-key", str(tmp_path / "k" / f"{role}.pem"))]
    config = str(_config(tmp_path, data_dir, repository / "metadata" / "1.root.json"))
    assert main(["--config", config, "catalogue", "build", str(source), str(repository), "--new-keys",
                 *key_options]) == 0
    assert main(["--config", config, "catalogue", "update", "--from", str(repository)]) == 0
    assert f"catalogue version 1: {SAMPLES} service(s)" in capsys.readouterr().out
    assert main(["--config", config, "catalogue", "status"]) == 0
    out = capsys.readouterr().out
    assert "version\t1" in out and f"services\t{SAMPLES}" in out and "timestamp expires" in out

    (source / "social-energy-tariff.yaml").write_text("format: 1\nid: [broken\n", encoding="utf-8")
    assert main(["--config", config, "catalogue", "build", str(source), str(repository), *key_options[2:]]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "social-energy-tariff.yaml" in err and "nothing published" in err

    assert main(["--config", config, "catalogue", "update", "--from", str(tmp_path / "empty")]) == 2
    assert main(["--config", config, "catalogue", "update", "--from", "https://127.0.0.1:1"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "cannot connect" in err[1]


# --- lying sources and concurrent updates ---------------------------------------------------------


def test_garbledMetadata_isRefused_inOneLine_andPreviousKept(tmp_path, repo, data_dir):
    update_catalogue(data_dir, str(repo), _root(repo))
    before = _snapshot(KioskCatalogue.under(data_dir).current)
    stick = tmp_path / "garbled"
    shutil.copytree(repo, stick)
    (stick / "metadata" / "timestamp.json").write_bytes(b'{"signed": [1, 2')
    with pytest.raises(CatalogueError, match="not valid") as refused:
        update_catalogue(data_dir, str(stick), None)
    assert "\n" not in str(refused.value)
    assert _snapshot(KioskCatalogue.under(data_dir).current) == before


def test_folderWithoutCatalogue_isRefused(tmp_path, repo, data_dir):
    with pytest.raises(CatalogueInputError, match="no catalogue here"):
        update_catalogue(data_dir, str(tmp_path), _root(repo))


@pytest.mark.parametrize("name", ["services/../../etc/passwd", "services/.hidden.yaml", "other/x.yaml",
                                  "services/", "services/a\\b.yaml", 7])
def test_indexNamingAnUnsafePath_isRefused(name):
    from operations.catalogue_update import _safe_target
    with pytest.raises(CatalogueError, match="unusable file"):
        _safe_target(name)


def test_secondUpdateWhileOneRuns_isRefusedPlainly(repo, data_dir):
    import fcntl
    base = KioskCatalogue.under(data_dir).base
    base.mkdir(parents=True)
    with open(base / ".lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(CatalogueError, match="another catalogue update is running"):
            update_catalogue(data_dir, str(repo), _root(repo))
    assert update_catalogue(data_dir, str(repo), _root(repo)).switched


def test_cli_update_usesConfiguredUrl_andSaysWhenThereIsNoSource(tmp_path, https, repo, data_dir, capsys):
    url, ca = https
    config = tmp_path / "with-url.toml"
    config.write_text(f'[kiosk]\ndata_dir = "{data_dir}"\n[catalogue]\nurl = "{url}"\nroot = "{_root(repo)}"\n'
                      f'ca_bundle = "{ca}"\n', encoding="utf-8")
    assert main(["--config", str(config), "catalogue", "update"]) == 0
    assert f"catalogue version 1: {SAMPLES} service(s)" in capsys.readouterr().out
    bare = _config(tmp_path, data_dir, _root(repo))
    assert main(["--config", str(bare), "catalogue", "update"]) == 2
    assert "set [catalogue] url" in capsys.readouterr().err


def test_serverThatNeverAnswers_isReportedPlainly(repo, data_dir):
    import socket
    with socket.socket() as silent:  # accepts connections (the kernel's backlog) and never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        url = f"https://127.0.0.1:{silent.getsockname()[1]}"
        with pytest.raises(CatalogueError, match="too slow or no answer"):
            update_catalogue(data_dir, url, _root(repo), timeout=0.5)
    assert catalogue_status(data_dir).version is None
