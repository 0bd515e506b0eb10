"""Signed service-catalogue updates with The Update Framework (python-tuf), for kiosks that are mostly offline.

The service definitions and their pictograms are the targets of a TUF repository
(docs/catalogue.md). An operator builds and signs it (`build_repository`,
`sign_repository`); a kiosk refreshes from an HTTPS URL or from a folder on a USB
stick (`update_catalogue`). python-tuf's ngclient Updater does every check TUF
defines (signatures and thresholds, rollback, freeze by expiry, lengths and hashes
of targets); this module adds what is ours: every definition is checked with the
rules of `kiosk services check` before the catalogue switches, and the switch is
one atomic symlink swap, so a refused update leaves the previous catalogue in place.

On the kiosk, under `data_dir/catalogue/`:

    metadata/          TUF's trusted metadata (root.json, timestamp.json, ...), kept by the Updater
    versions/vN/       each catalogue switched to: definitions and pictograms of targets version N
    current -> versions/vN     the folder the kiosk loads services from ([services] dirs)
    previous -> versions/vM    the catalogue before, kept as a backup
    locks/vN.lock      held (flock, shared) by each process that reads versions/vN: `hold_version`

An update deletes a version only when it is neither current nor previous and no
process holds its lock, so the running kiosk's folder (pictograms are read from it
while it runs) survives any number of updates until it has adopted a newer one.

No Qt here: the console, the running kiosk and `kiosk catalogue` share these calls.
"""
from __future__ import annotations

import contextlib
import fcntl
import glob
import json
import logging
import os
import shutil
import stat
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path, PurePosixPath
from typing import IO, Any, cast

from cryptography.hazmat.primitives import serialization
from securesystemslib.exceptions import StorageError
from securesystemslib.signer import CryptoSigner
from tuf.api import exceptions as tuf_errors
from tuf.api.metadata import Metadata, MetaFile, Root, Snapshot, TargetFile, Targets, Timestamp
from tuf.api.serialization.json import JSONSerializer
from tuf.ngclient import FetcherInterface, Updater

from kiosk.config import Config
from kiosk.definition import load_catalogue

log = logging.getLogger(__name__)

ROLES = ("root", "targets", "snapshot", "timestamp")
INDEX = "index.json"  # a signed target listing every other target: the Updater has no "list targets" call
PREFIX = "services/"  # every definition and pictogram is a target under this path
FOLDER_SCHEME = "folder:/"  # the base URL the Updater is given for a folder (USB stick)
_SERIALIZER = JSONSerializer(compact=False)


class CatalogueError(Exception):
    """An update, build or signature that could not be done; the message is one plain line saying why."""


class CatalogueInputError(CatalogueError):
    """What the operator gave cannot be used (a key file, a source folder, a repository path)."""


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:300] or type(exc).__name__


# --- expiry ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expiry:
    """How long each role's signed metadata stays valid, in days.

    The timestamp is the role that expires first: a kiosk refuses metadata whose
    timestamp has expired (TUF's protection against a frozen, stale catalogue). A van
    that tours villages for weeks updates from a USB stick made before it left, so
    the default is 30 days; a shorter time narrows the window in which someone
    could replay a stale catalogue, a longer one lets older sticks still update.
    """

    timestamp: float = 30.0
    snapshot: float = 90.0
    targets: float = 90.0
    root: float = 365.0

    def until(self, role: str, now: datetime) -> datetime:
        days = getattr(self, role)
        # TUF compares whole seconds in UTC
        return (now + timedelta(days=days)).replace(microsecond=0)


# --- keys ------------------------------------------------------------------------------------------


def load_signer(path: Path) -> CryptoSigner:
    """The signer of a key file (PKCS#8 PEM, unencrypted, readable by its owner only)."""
    try:
        mode = path.stat().st_mode
        data = path.read_bytes()
    except OSError as exc:
        raise CatalogueInputError(f"{path}: cannot read the key file ({exc.strerror})") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise CatalogueInputError(f"{path}: the key file can be read by others; run: chmod 600 {path}")
    try:
        key = serialization.load_pem_private_key(data, password=None)
        return CryptoSigner(key)
    except (ValueError, TypeError):
        raise CatalogueInputError(f"{path}: not an unencrypted PEM private key (Ed25519, ECDSA or RSA)") from None


def generate_key(path: Path) -> CryptoSigner:
    """A new Ed25519 key written to `path` (mode 0600); an existing file is never overwritten."""
    signer = CryptoSigner.generate_ed25519()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(signer.private_bytes)
    except FileExistsError:
        raise CatalogueInputError(f"{path}: already exists; a key file is never overwritten") from None
    except OSError as exc:
        raise CatalogueInputError(f"{path}: cannot write the key file ({exc.strerror})") from None
    return signer


def _signers(keys: dict[str, Path], *, generate: bool) -> dict[str, CryptoSigner]:
    signers = {}
    for role, path in keys.items():
        signers[role] = generate_key(path) if generate and not path.exists() else load_signer(path)
    return signers


# --- the publisher's repository ---------------------------------------------------------------------


@dataclass(frozen=True)
class RepositoryStatus:
    """What a repository (or a kiosk's trusted metadata) holds: versions and expiry dates."""

    targets_version: int
    timestamp_expires: datetime
    snapshot_expires: datetime
    targets_expires: datetime
    root_expires: datetime
    files: int


def _write(path: Path, data: bytes) -> None:
    """Write a file so a reader (a web server, a kiosk) sees the old or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _source_files(source: Path) -> dict[str, Path]:
    """Target path -> file, for every regular file under `source` (hidden files left out)."""
    files: dict[str, Path] = {}
    for folder, dirs, names in os.walk(source):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            path = Path(folder) / name
            if name.startswith(".") or not path.is_file():
                continue
            files[PREFIX + path.relative_to(source).as_posix()] = path
    return files


def _check_source(source: Path) -> None:
    if not source.is_dir():
        raise CatalogueInputError(f"{source}: not a folder of service definitions")
    catalogue = load_catalogue([source])
    if catalogue.problems:
        raise CatalogueInputError(f"{len(catalogue.problems)} problem(s) in {source}, nothing published; first: "
                                  f"{catalogue.problems[0]} (all: kiosk services check {source})")
    if not catalogue.services:
        raise CatalogueInputError(f"{source}: no service definitions, nothing published")


def _check_key(root: Root, role: str, signer: CryptoSigner, path: Path) -> None:
    if signer.public_key.keyid not in root.roles[role].keyids:
        raise CatalogueInputError(f"{path}: not the {role} key of this repository")


def _sign_write(md: Metadata, signer: CryptoSigner, meta_dir: Path, *, versioned: bool) -> None:
    md.signatures.clear()
    md.sign(signer)
    data = md.to_bytes(_SERIALIZER)
    name = md.signed.type
    if versioned:  # consistent snapshots: clients fetch N.role.json, so a live server is never half updated
        _write(meta_dir / f"{md.signed.version}.{name}.json", data)
    _write(meta_dir / f"{name}.json", data)


def build_repository(source: Path, repository: Path, keys: dict[str, Path], expiry: Expiry = Expiry(), *,
                     generate_keys: bool = False, check: bool = True,
                     now: datetime | None = None) -> RepositoryStatus:
    """Create or update the TUF repository in `repository` with the files of `source` as its targets.

    `keys` maps a role (root, targets, snapshot, timestamp) to its key file; the root
    key is needed only to create the repository. Every definition is checked first
    (`check=False` exists only for tests that must sign a broken catalogue).
    """
    now = now or datetime.now(timezone.utc)
    if check:
        _check_source(source)
    elif not source.is_dir():
        raise CatalogueInputError(f"{source}: not a folder of service definitions")
    meta_dir, targets_dir = repository / "metadata", repository / "targets"
    creating = not (meta_dir / "root.json").exists()
    needed = ROLES if creating else ROLES[1:]
    missing = [role for role in needed if role not in keys]
    if missing:
        raise CatalogueInputError("give the key file of: " + ", ".join(f"--{role}-key" for role in missing))
    signers = _signers({role: keys[role] for role in needed}, generate=generate_keys)
    try:
        if creating:
            root = Metadata(Root(expires=expiry.until("root", now), consistent_snapshot=True))
            for role in ROLES:
                root.signed.add_key(signers[role].public_key, role)
            _sign_write(root, signers["root"], meta_dir, versioned=True)
            previous = {"targets": 0, "snapshot": 0, "timestamp": 0}
        else:
            root = Metadata[Root].from_file(str(meta_dir / "root.json"))
            previous = {role: Metadata.from_file(str(meta_dir / f"{role}.json")).signed.version
                        for role in ("targets", "snapshot", "timestamp")}
    except (OSError, ValueError, StorageError, tuf_errors.RepositoryError) as exc:
        raise CatalogueError(f"{repository}: cannot read its metadata ({_one_line(exc)})") from None
    for role in ROLES[1:]:
        _check_key(root.signed, role, signers[role], keys[role])

    # Targets first, metadata after, timestamp last: a kiosk reading meanwhile sees the old or the new catalogue.
    targets = Metadata(Targets(version=previous["targets"] + 1, expires=expiry.until("targets", now)))
    files = _source_files(source)
    for path, local in files.items():
        data = local.read_bytes()
        info = TargetFile.from_data(path, data)
        targets.signed.targets[path] = info
        _write(targets_dir / _hashed(path, info), data)
    index = json.dumps(sorted(files), indent=1).encode()
    info = TargetFile.from_data(INDEX, index)
    targets.signed.targets[INDEX] = info
    _write(targets_dir / _hashed(INDEX, info), index)
    _sign_write(targets, signers["targets"], meta_dir, versioned=True)
    return _snapshot_and_timestamp(meta_dir, targets.signed.version, previous, signers, expiry, now,
                                   root.signed, len(files))


def _hashed(path: str, info: TargetFile) -> str:
    """Where a target is stored with consistent snapshots: its SHA-256 before its file name."""
    folder, _, name = path.rpartition("/")
    return f"{folder}/{info.hashes['sha256']}.{name}" if folder else f"{info.hashes['sha256']}.{name}"


def _snapshot_and_timestamp(meta_dir: Path, targets_version: int, previous: dict[str, int],
                            signers: dict[str, CryptoSigner], expiry: Expiry, now: datetime, root: Root,
                            files: int) -> RepositoryStatus:
    snapshot = Metadata(Snapshot(version=previous["snapshot"] + 1, expires=expiry.until("snapshot", now),
                                 meta={"targets.json": MetaFile(version=targets_version)}))
    _sign_write(snapshot, signers["snapshot"], meta_dir, versioned=True)
    timestamp = Metadata(Timestamp(version=previous["timestamp"] + 1, expires=expiry.until("timestamp", now),
                                   snapshot_meta=MetaFile(version=snapshot.signed.version)))
    _sign_write(timestamp, signers["timestamp"], meta_dir, versioned=False)
    targets = Metadata[Targets].from_file(str(meta_dir / "targets.json")).signed
    return RepositoryStatus(targets_version, timestamp.signed.expires, snapshot.signed.expires, targets.expires,
                            root.expires, files)


def sign_repository(repository: Path, keys: dict[str, Path], expiry: Expiry = Expiry(), *,
                    now: datetime | None = None) -> RepositoryStatus:
    """Sign the repository's metadata again with new expiry dates, its content unchanged.

    Renews the roles whose keys are given. The timestamp key is always needed (a renewed
    snapshot or targets needs a new timestamp), and renewing targets needs the snapshot key.
    A root key renews root.json as a new root version signed with the same keys.
    """
    now = now or datetime.now(timezone.utc)
    meta_dir = repository / "metadata"
    if "timestamp" not in keys:
        raise CatalogueInputError("give --timestamp-key: every renewal ends with a new timestamp")
    if "targets" in keys and "snapshot" not in keys:
        raise CatalogueInputError("give --snapshot-key too: renewed targets need a new snapshot")
    signers = _signers(keys, generate=False)
    try:
        root = Metadata[Root].from_file(str(meta_dir / "root.json"))
        current = {role: Metadata.from_file(str(meta_dir / f"{role}.json")) for role in ("targets", "snapshot",
                                                                                        "timestamp")}
    except (OSError, ValueError, StorageError, tuf_errors.RepositoryError) as exc:
        raise CatalogueError(f"{repository}: not a catalogue repository ({_one_line(exc)})") from None
    for role, path in keys.items():
        _check_key(root.signed, role, signers[role], path)
    if "root" in keys:
        root.signed.version += 1
        root.signed.expires = expiry.until("root", now)
        _sign_write(root, signers["root"], meta_dir, versioned=True)
    targets = current["targets"]
    if "targets" in keys:
        targets.signed.version += 1
        targets.signed.expires = expiry.until("targets", now)
        _sign_write(targets, signers["targets"], meta_dir, versioned=True)
    previous = {role: md.signed.version for role, md in current.items()}
    if "snapshot" not in keys:  # only the timestamp is renewed: it points at the same snapshot
        timestamp = current["timestamp"]
        timestamp.signed.version += 1
        timestamp.signed.expires = expiry.until("timestamp", now)
        _sign_write(timestamp, signers["timestamp"], meta_dir, versioned=False)
        return repository_status(repository)
    files = len([p for p in cast(Targets, targets.signed).targets if p != INDEX])
    return _snapshot_and_timestamp(meta_dir, targets.signed.version, previous, signers, expiry, now, root.signed,
                                   files)


def repository_status(repository: Path) -> RepositoryStatus:
    """Versions and expiry dates of a repository's metadata (as a publisher or a kiosk keeps it)."""
    meta_dir = repository / "metadata" if (repository / "metadata").is_dir() else repository
    try:
        roles = {role: Metadata.from_file(str(meta_dir / f"{role}.json")).signed for role in ROLES}
    except (OSError, ValueError, StorageError, tuf_errors.RepositoryError) as exc:
        raise CatalogueError(f"{repository}: no catalogue metadata ({_one_line(exc)})") from None
    targets = roles["targets"]
    assert isinstance(targets, Targets)
    return RepositoryStatus(targets.version, roles["timestamp"].expires, roles["snapshot"].expires,
                            targets.expires, roles["root"].expires,
                            len([p for p in targets.targets if p != INDEX]))


# --- where a kiosk fetches from ---------------------------------------------------------------------


class FolderFetcher(FetcherInterface):
    """Reads a repository copied into a folder (a USB stick) as the Updater would read it over HTTPS.

    A missing file is answered like HTTP 404, which is how the Updater learns that no newer root exists.
    """

    def __init__(self, folder: Path, chunk_size: int = 256 * 1024):
        self._folder = folder.resolve()
        self._chunk_size = chunk_size

    def _fetch(self, url: str) -> Iterator[bytes]:
        if not url.startswith(FOLDER_SCHEME):
            raise tuf_errors.DownloadHTTPError("not a folder URL", 400)
        relative = urllib.parse.unquote(url[len(FOLDER_SCHEME):])
        path = (self._folder / relative).resolve()
        if not path.is_relative_to(self._folder):
            raise tuf_errors.DownloadHTTPError("outside the catalogue folder", 403)
        try:
            handle = open(path, "rb")  # noqa: SIM115 - closed by _chunks when the Updater has read it
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise tuf_errors.DownloadHTTPError("no such file", 404) from None
        return self._chunks(handle)

    def _chunks(self, handle: IO[bytes]) -> Iterator[bytes]:
        with handle:
            while chunk := handle.read(self._chunk_size):
                yield chunk


class HttpsFetcher(FetcherInterface):
    """Fetches over HTTPS only, TLS always verified: the system's CAs, or only those of `ca_bundle`.

    Proxies from the environment are ignored; a redirect is not followed (a repository is plain files).
    """

    def __init__(self, ca_bundle: Path | None = None, timeout: float = 30.0):
        import urllib3

        self._urllib3 = urllib3
        self._pool = urllib3.PoolManager(cert_reqs="CERT_REQUIRED",
                                         ca_certs=str(ca_bundle) if ca_bundle else None,
                                         timeout=urllib3.Timeout(connect=timeout, read=timeout), retries=False)

    def _fetch(self, url: str) -> Iterator[bytes]:
        if not url.startswith("https://"):
            raise tuf_errors.DownloadError("only https:// URLs are used")
        errors = self._urllib3.exceptions
        try:
            response = self._pool.request("GET", url, preload_content=False, redirect=False)
        except errors.NewConnectionError:  # before TimeoutError: urllib3 makes it one for old callers
            raise tuf_errors.DownloadError("cannot connect (no network, or the server is down)") from None
        except errors.TimeoutError as exc:
            raise tuf_errors.SlowRetrievalError(_one_line(exc)) from None
        except errors.SSLError as exc:
            raise tuf_errors.DownloadError(f"TLS check failed: {_one_line(exc)}") from None
        except errors.HTTPError as exc:
            raise tuf_errors.DownloadError(f"cannot connect: {type(exc).__name__}") from None
        if response.status != 200:
            response.close()
            raise tuf_errors.DownloadHTTPError(f"HTTP {response.status}", response.status)
        return self._chunks(response)

    def _chunks(self, response: Any) -> Iterator[bytes]:
        try:
            yield from response.stream(256 * 1024)
        except self._urllib3.exceptions.TimeoutError as exc:
            raise tuf_errors.SlowRetrievalError(_one_line(exc)) from None
        finally:
            response.release_conn()


def _source(source: str, ca_bundle: Path | None, timeout: float) -> tuple[FetcherInterface, str, str]:
    """The fetcher and the metadata and targets base URLs for an https:// URL or a folder."""
    if source.startswith("https://"):
        base = source.rstrip("/")
        return HttpsFetcher(ca_bundle, timeout), f"{base}/metadata/", f"{base}/targets/"
    if "://" in source:
        raise CatalogueInputError(f"{source}: use an https:// URL or a folder (plain http is never used)")
    folder = Path(source)
    if not (folder / "metadata").is_dir():
        raise CatalogueInputError(f"{folder}: no catalogue here (expected a metadata folder in it)")
    return FolderFetcher(folder), f"{FOLDER_SCHEME}metadata/", f"{FOLDER_SCHEME}targets/"


# --- the kiosk's catalogue --------------------------------------------------------------------------


@dataclass(frozen=True)
class KioskCatalogue:
    """Where a kiosk keeps its signed catalogue under its data folder."""

    base: Path

    @classmethod
    def under(cls, data_dir: Path) -> KioskCatalogue:
        return cls(Path(data_dir) / "catalogue")

    @property
    def metadata(self) -> Path:
        return self.base / "metadata"

    @property
    def versions(self) -> Path:
        return self.base / "versions"

    @property
    def current(self) -> Path:
        """The services folder the kiosk loads; put it in [services] dirs."""
        return self.base / "current"

    @property
    def previous(self) -> Path:
        return self.base / "previous"

    @property
    def locks(self) -> Path:
        """One lock file per version, held shared by each process reading that version."""
        return self.base / "locks"

    def version(self, link: Path | None = None) -> int | None:
        """The targets version `current` (or another link) points at; None before the first update."""
        try:
            name = os.readlink(link or self.current)
        except OSError:
            return None
        tail = PurePosixPath(name).name
        return int(tail[1:]) if tail.startswith("v") and tail[1:].isdigit() else None


@dataclass(frozen=True)
class UpdateResult:
    """What an update did: the version now in use, whether it switched, and how many services it offers."""

    version: int
    switched: bool
    services: int
    previous_version: int | None
    timestamp_expires: datetime


@dataclass(frozen=True)
class KioskStatus:
    """The kiosk's catalogue: version in use, services, and when its trusted metadata expires."""

    version: int | None
    previous_version: int | None
    services: int
    metadata: RepositoryStatus | None


def _explain(exc: BaseException, source: str) -> str:
    """One plain line for what TUF refused or what failed; the previous catalogue is always kept."""
    detail = _one_line(exc)
    if isinstance(exc, tuf_errors.ExpiredMetadataError):
        return (f"refused: the catalogue's signed metadata has expired ({detail}); "
                "the publisher must sign it again (kiosk catalogue sign)")
    if isinstance(exc, tuf_errors.BadVersionNumberError):
        return f"refused: older than the catalogue this kiosk already trusts (rollback) ({detail})"
    if isinstance(exc, tuf_errors.UnsignedMetadataError):
        return f"refused: not signed by the trusted keys ({detail})"
    if isinstance(exc, (tuf_errors.LengthOrHashMismatchError, tuf_errors.DownloadLengthMismatchError)):
        return f"refused: a file differs from what was signed (tampered or damaged) ({detail})"
    if isinstance(exc, tuf_errors.RepositoryError):
        return f"refused: the catalogue's metadata is not valid ({detail})"
    if isinstance(exc, tuf_errors.DownloadHTTPError):
        return f"cannot download from {source}: {detail}"
    if isinstance(exc, tuf_errors.SlowRetrievalError):
        return f"cannot download from {source}: too slow or no answer"
    if isinstance(exc, tuf_errors.DownloadError):
        cause = exc.__cause__ or exc.__context__
        return f"cannot download from {source}: {detail if str(exc) else _one_line(cause or exc)}"
    if isinstance(exc, OSError):
        return f"cannot write the catalogue: {exc.strerror or detail}"
    return f"update failed: {type(exc).__name__}"


@contextlib.contextmanager
def _locked(base: Path) -> Iterator[None]:
    """One update at a time per kiosk (the running kiosk and a `kiosk catalogue update`)."""
    base.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(base / ".lock", "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CatalogueError("another catalogue update is running; try again when it is done") from None
        yield


def _swap(link: Path, target: str) -> None:
    """Point `link` at `target` in one step: a new symlink renamed over the old one."""
    if link.exists() and not link.is_symlink():
        raise CatalogueError(f"{link} is a folder, not the catalogue's link; move it away")
    tmp = link.with_name(f".{link.name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    os.symlink(target, tmp)
    os.replace(tmp, link)


def _safe_target(name: Any) -> str:
    """A target path from the signed index that is safe to write under the new catalogue's folder."""
    if not isinstance(name, str) or not name.startswith(PREFIX) or "\\" in name or "\0" in name:
        raise CatalogueError(f"refused: the index names an unusable file {str(name)[:80]!r}")
    parts = PurePosixPath(name[len(PREFIX):]).parts
    if not parts or any(p in ("", ".", "..") or p.startswith(".") for p in parts):
        raise CatalogueError(f"refused: the index names an unusable file {name[:80]!r}")
    return "/".join(parts)


def update_catalogue(data_dir: Path, source: str, trusted_root: Path | None, *, ca_bundle: Path | None = None,
                     timeout: float = 30.0) -> UpdateResult:
    """Bring the kiosk's catalogue up to date from an https:// URL or a folder (a USB stick).

    TUF checks every file; then every definition is checked as `kiosk services check`
    does, and only then does `current` switch to the new version, the old one kept as
    `previous`. Anything refused raises CatalogueError with one plain line; the catalogue
    in use is never touched then. `trusted_root` is the root.json provisioned with the
    kiosk, needed until the first update has stored a trusted one.
    """
    paths = KioskCatalogue.under(data_dir)
    with _locked(paths.base):
        fetcher, metadata_url, targets_url = _source(source, ca_bundle, timeout)
        paths.metadata.mkdir(parents=True, exist_ok=True)
        cached_root = paths.metadata / "root.json"
        root_file = cached_root if cached_root.exists() else trusted_root
        if root_file is None:
            raise CatalogueInputError("no trusted root: set [catalogue] root to the root.json provisioned "
                                      "with the kiosk")
        try:
            bootstrap = root_file.read_bytes()
        except OSError as exc:
            raise CatalogueInputError(f"{root_file}: cannot read the trusted root ({exc.strerror})") from None
        staging = paths.versions / f".staging-{os.getpid()}"
        index_file = paths.base / f".index-{os.getpid()}.json"
        try:
            return _update(paths, fetcher, metadata_url, targets_url, bootstrap, staging, index_file, source)
        except CatalogueError:
            raise
        except (tuf_errors.RepositoryError, tuf_errors.DownloadError, StorageError, OSError, ValueError) as exc:
            raise CatalogueError(_explain(exc, source)) from None
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            with contextlib.suppress(OSError):
                index_file.unlink()


def _update(paths: KioskCatalogue, fetcher: FetcherInterface, metadata_url: str, targets_url: str,
            bootstrap: bytes, staging: Path, index_file: Path, source: str) -> UpdateResult:
    updater = Updater(str(paths.metadata), metadata_url, str(staging), targets_url, fetcher, bootstrap=bootstrap)
    updater.refresh()
    trusted = Metadata[Targets].from_file(str(paths.metadata / "targets.json")).signed
    expires = Metadata[Timestamp].from_file(str(paths.metadata / "timestamp.json")).signed.expires
    installed = paths.version()
    if installed is not None and trusted.version <= installed:
        return UpdateResult(installed, False, _count(paths.current), paths.version(paths.previous), expires)
    info = updater.get_targetinfo(INDEX)
    if info is None:
        raise CatalogueError("refused: the catalogue has no signed index.json; build it with kiosk catalogue build")
    updater.download_target(info, str(index_file))
    try:
        names = json.loads(index_file.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise CatalogueError("refused: the signed index.json is not a JSON list") from None
    if not isinstance(names, list):
        raise CatalogueError("refused: the signed index.json is not a JSON list")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for name in names:
        relative = _safe_target(name)
        target = updater.get_targetinfo(name)
        if target is None:
            raise CatalogueError(f"refused: the index names {name!r}, which is not signed")
        destination = staging / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        updater.download_target(target, str(destination))
    # The same rules as `kiosk services check`, before anything switches.
    catalogue = load_catalogue([staging])
    if catalogue.problems:
        first = str(catalogue.problems[0]).replace(str(staging) + os.sep, "")
        raise CatalogueError(f"refused version {trusted.version}: {len(catalogue.problems)} problem(s) in its "
                             f"definitions; first: {first}; the previous catalogue is kept")
    if not catalogue.services:
        raise CatalogueError(f"refused version {trusted.version}: it holds no service; the previous catalogue is kept")
    final = paths.versions / f"v{trusted.version}"
    shutil.rmtree(final, ignore_errors=True)
    os.rename(staging, final)
    old = os.readlink(paths.current) if paths.current.is_symlink() else None
    _swap(paths.current, f"versions/v{trusted.version}")
    if old is not None:
        _swap(paths.previous, old)
    _prune(paths)
    log.info("catalogue switched to version %d (%d services)", trusted.version, len(catalogue.services))
    return UpdateResult(trusted.version, True, len(catalogue.services), paths.version(paths.previous), expires)


def update_from_config(config: Config, source: str | None = None) -> UpdateResult:
    """`update_catalogue` with the kiosk's configuration: [catalogue] url unless `source` is given.

    What the running kiosk calls (off the GUI thread, through its task manager) when it is
    online or when a stick is offered; raises CatalogueError with one plain line.
    """
    settings = config.catalogue
    chosen = source or settings.url
    if not chosen:
        raise CatalogueInputError("no catalogue source: give --from URL|FOLDER or set [catalogue] url")
    return update_catalogue(config.data_dir, chosen, settings.root, ca_bundle=settings.ca_bundle)


def _prune(paths: KioskCatalogue) -> None:
    """Delete versions nobody needs: not current, not previous, and not held by a reading process.

    Called under the update lock. A version's lock is taken exclusively (without waiting)
    before its folder goes: a process holding it shared (`hold_version`) keeps it.
    """
    keep = {os.path.realpath(link) for link in (paths.current, paths.previous) if link.is_symlink()}
    with contextlib.suppress(OSError):  # without it, no version could be checked (so none deleted)
        paths.locks.mkdir(parents=True, exist_ok=True, mode=0o755)
    for entry in paths.versions.iterdir():
        if os.path.realpath(entry) in keep:
            continue
        if entry.name.startswith("."):  # a staging folder left by an update that died
            shutil.rmtree(entry, ignore_errors=True)
            continue
        lock_file = paths.locks / f"{entry.name}.lock"
        try:
            handle = _open_lock(lock_file)
        except OSError:
            continue  # cannot tell whether it is in use: keep it
        with handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                log.info("catalogue %s kept: a running kiosk still reads it", entry.name)
                continue
            shutil.rmtree(entry, ignore_errors=True)
            with contextlib.suppress(OSError):
                lock_file.unlink()


def _open_lock(path: Path) -> IO[bytes]:
    """A version's lock file, opened read-only (created if missing): flock needs no write access, so a
    lock file made by `kiosk catalogue update` run as root still works for the kiosk's own user."""
    return os.fdopen(os.open(path, os.O_RDONLY | os.O_CREAT, 0o644), "rb")


class VersionHold:
    """A reading process's hold on one catalogue version: while held, no update deletes its folder.

    The hold is a shared flock on `locks/vN.lock`, so it ends by itself when the process
    dies; `release()` ends it earlier (the kiosk adopted a newer version).
    """

    def __init__(self, version: int, path: Path, handle: IO[bytes]):
        self.version = version
        self.path = path
        self._handle: IO[bytes] | None = handle

    @property
    def held(self) -> bool:
        return self._handle is not None

    def release(self) -> None:
        """Let updates delete this version again (once it is no longer current or previous)."""
        if self._handle is not None:
            self._handle.close()  # closing the file ends the flock
            self._handle = None


def hold_version(data_dir: Path, version: int | None = None) -> VersionHold | None:
    """Hold catalogue version `version` (default: the one `current` points at) against deletion.

    None when that version is not (or no longer) on disk. Waits only while an update is
    deleting that very version, which it then finds gone.
    """
    paths = KioskCatalogue.under(data_dir)
    for _attempt in range(5):
        wanted = version if version is not None else paths.version()
        if wanted is None:
            return None
        folder = paths.versions / f"v{wanted}"
        if not folder.is_dir():
            if version is not None:
                return None
            continue  # `current` moved on meanwhile: read it again
        try:
            # Empty files, no secret: readable by the kiosk's user even when root made them.
            paths.locks.mkdir(parents=True, exist_ok=True, mode=0o755)
            handle = _open_lock(paths.locks / f"v{wanted}.lock")
        except OSError as exc:
            log.warning("catalogue version %d cannot be held (%s)", wanted, exc.strerror)
            return None
        fcntl.flock(handle, fcntl.LOCK_SH)
        if folder.is_dir():  # under the shared lock it stays
            return VersionHold(wanted, folder, handle)
        handle.close()  # an update deleted it just before we held it
        if version is not None:
            return None
    return None


def version_of_folder(data_dir: Path, folder: Path) -> int | None:
    """The catalogue version a services folder is (`current` or `versions/vN`), else None."""
    paths = KioskCatalogue.under(data_dir)
    try:
        resolved = Path(folder).resolve()
        versions = paths.versions.resolve()
    except OSError:
        return None
    if resolved.parent != versions:
        return None
    name = resolved.name
    return int(name[1:]) if name.startswith("v") and name[1:].isdigit() else None


def find_stick_catalogues(roots: tuple[str, ...] | list[str], folder_name: str) -> list[Path]:
    """Catalogue folders named `folder_name` on mounted media: `ROOT/folder_name/metadata` for each ROOT
    matching one of the glob patterns in `roots` (e.g. "/media/*/*", "/run/media/*/*").

    Only looks at the file system (no udisks): a stick counts once its mount point holds the folder.
    """
    found: list[Path] = []
    for pattern in roots:
        for mount in sorted(glob.glob(pattern)):
            candidate = Path(mount) / folder_name
            try:
                if (candidate / "metadata" / "timestamp.json").is_file() and candidate not in found:
                    found.append(candidate)
            except OSError:  # a stick pulled out while we look
                continue
    return found


def stick_fingerprint(folder: Path) -> tuple[str, int, int] | None:
    """What identifies one copy of a repository on a stick: its path and its timestamp.json's mtime and
    size (re-signed or re-copied metadata is a new offer); None when it cannot be read."""
    try:
        st = (folder / "metadata" / "timestamp.json").stat()
    except OSError:
        return None
    return str(folder), st.st_mtime_ns, st.st_size


def _count(folder: Path) -> int:
    return len(load_catalogue([folder]).services) if folder.exists() else 0


def catalogue_status(data_dir: Path) -> KioskStatus:
    """The kiosk's catalogue as it is now, read without network (for `kiosk catalogue status`, metrics)."""
    paths = KioskCatalogue.under(data_dir)
    try:
        metadata: RepositoryStatus | None = repository_status(paths.metadata)
    except CatalogueError:
        metadata = None
    return KioskStatus(paths.version(), paths.version(paths.previous), _count(paths.current), metadata)
