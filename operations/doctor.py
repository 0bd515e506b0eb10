"""`kiosk doctor`: every check a technician needs on a kiosk, each failure with what to do.

A check is a name, a status (ok, warn, fail, skip), one plain line saying what was
found and, when it is not ok, one line saying what to do. The checks look at the real
things: the display and audio devices Qt sees (in a child process, so that a missing
display cannot abort the doctor itself), speech voices and recognition models for each
configured language, every destination over the network with the destination's own
TLS and credential settings (a reachability request, never a submission), the clock
against the backend's Date header, `PRAGMA quick_check` of every database, free disk
against the queue's reserve, the permissions of the data folder and key files, the
service catalogue and the package version.

Nothing here shows a payload, an answer or a reference number; messages carry names,
counts, sizes, host names and file paths only.
"""
from __future__ import annotations

import email.utils
import enum
import json
import os
import sqlite3
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.config import Config

CLOCK_TOLERANCE_SECONDS = 60.0   # sealed timestamps and TLS validity both go wrong beyond this
DISK_LOW_BYTES = 500 * 1024 * 1024
PROBE_TIMEOUT_SECONDS = 60.0    # a child process asking Qt about screens or audio devices


class Status(str, enum.Enum):
    """How one check went; the overall status is the worst of them (skip counts as ok)."""

    OK = "ok"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"


_RANK = {Status.OK: 0, Status.SKIP: 0, Status.WARN: 1, Status.FAIL: 2}


@dataclass(frozen=True)
class Check:
    """One thing the doctor looked at: what it found, and what to do when it is not ok."""

    name: str
    status: Status
    message: str
    action: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status.value, "message": self.message, "action": self.action}


@dataclass(frozen=True)
class Report:
    """Every check of one doctor run, in the order they ran."""

    checks: tuple[Check, ...]
    version: str = ""

    @property
    def status(self) -> Status:
        worst = max((_RANK[c.status] for c in self.checks), default=0)
        return {0: Status.OK, 1: Status.WARN, 2: Status.FAIL}[worst]

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.status is Status.FAIL]

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status.value, "version": self.version,
                "checks": [c.as_dict() for c in self.checks]}

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2, ensure_ascii=False)


def ok(name: str, message: str) -> Check:
    return Check(name, Status.OK, message)


def warn(name: str, message: str, action: str) -> Check:
    return Check(name, Status.WARN, message, action)


def fail(name: str, message: str, action: str) -> Check:
    return Check(name, Status.FAIL, message, action)


def skip(name: str, message: str, action: str = "") -> Check:
    return Check(name, Status.SKIP, message, action)


# --- the package --------------------------------------------------------------------------------------------

def package_version() -> str:
    """The installed ponte-kiosk version ("unknown" when run from a source tree without metadata)."""
    from importlib import metadata
    try:
        return metadata.version("ponte-kiosk")
    except metadata.PackageNotFoundError:
        return "unknown"


def check_version() -> Check:
    version = package_version()
    if version == "unknown":
        return warn("version", "the ponte-kiosk package metadata is missing",
                    "install the package (apt install ./ponte-kiosk_*.deb), or pip install -e . in a checkout")
    where = Path(sys.prefix)
    return ok("version", f"ponte-kiosk {version} (Python {sys.version.split()[0]} in {where})")


def check_config(config: Config) -> Check:
    source = getattr(config, "source", None)
    if source is None:
        return warn("configuration", "no configuration file: the demo defaults apply",
                    "write /etc/ponte/kiosk.toml (the package installs a documented one), or set PONTE_CONFIG")
    return ok("configuration", f"{source}")


# --- display and audio, asked of Qt in a child process --------------------------------------------------

_DISPLAY_PROBE = r"""
import json, sys
from PySide6.QtGui import QGuiApplication
app = QGuiApplication(sys.argv[:1])
screens = [{"name": s.name(), "size": [s.size().width(), s.size().height()]} for s in app.screens()]
print(json.dumps({"platform": app.platformName(), "screens": screens}))
"""

_AUDIO_PROBE = r"""
import json, sys
from PySide6.QtCore import QCoreApplication
from PySide6.QtMultimedia import QMediaDevices
app = QCoreApplication(sys.argv[:1])
def names(devices):
    return [d.description() for d in devices]
print(json.dumps({"outputs": names(QMediaDevices.audioOutputs()), "inputs": names(QMediaDevices.audioInputs()),
                  "default_output": QMediaDevices.defaultAudioOutput().description(),
                  "default_input": QMediaDevices.defaultAudioInput().description()}))
"""


def _qt_probe(code: str, env: dict[str, str] | None = None,
              timeout: float = PROBE_TIMEOUT_SECONDS) -> tuple[dict | None, str]:
    """Run a Qt probe in a child process: (its JSON, "") or (None, the last line it said)."""
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, **(env or {})})
    except subprocess.TimeoutExpired:
        return None, f"Qt did not answer within {timeout:.0f} s"
    except OSError as exc:
        return None, f"cannot start {sys.executable}: {exc.strerror}"
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line), ""
            except ValueError:
                break
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    return None, (lines[-1].strip() if lines else f"exit status {done.returncode}")[:300]


def check_display(probe: Callable[[str], tuple[dict | None, str]] | None = None) -> Check:
    """Can Qt open its platform here, and which screens does it see?"""
    probe = probe or _qt_probe
    if not (os.environ.get("WAYLAND_DISPLAY") or os.environ.get("DISPLAY") or os.environ.get("QT_QPA_PLATFORM")):
        return fail("display", "no display in this environment (WAYLAND_DISPLAY, DISPLAY and QT_QPA_PLATFORM unset)",
                    "on the kiosk the display belongs to ponte-kiosk.service: see `systemctl status ponte-kiosk` "
                    "and `journalctl -u ponte-kiosk`; to check rendering without a screen run "
                    "QT_QPA_PLATFORM=offscreen kiosk doctor")
    found, why = probe(_DISPLAY_PROBE)
    if found is None:
        return fail("display", f"Qt cannot open its display: {why}",
                    "check that cage is running on the seat (systemctl status ponte-kiosk) and that the "
                    "libraries are installed (apt install --reinstall ponte-kiosk pulls them in)")
    platform, screens = found.get("platform", "?"), found.get("screens", [])
    if platform in ("offscreen", "minimal"):
        return warn("display", f"Qt platform {platform}: renders without a screen (no citizen can see it)",
                    "fine for tests and screenshots; the kiosk service runs under cage with QT_QPA_PLATFORM=wayland")
    if not screens:
        return fail("display", f"Qt platform {platform} sees no screen", "connect the touch screen and restart "
                    "the kiosk (systemctl restart ponte-kiosk)")
    sizes = ", ".join(f"{s['name'] or 'screen'} {s['size'][0]}x{s['size'][1]}" for s in screens)
    return ok("display", f"Qt platform {platform}: {sizes}")


def check_audio(config: Config, probe: Callable[[str], tuple[dict | None, str]] | None = None) -> list[Check]:
    """The speakers (speech) and the microphone (voice answers) as Qt Multimedia sees them."""
    probe = probe or _qt_probe
    found, why = probe(_AUDIO_PROBE)
    if found is None:
        action = "check the sound server (PipeWire or PulseAudio) of the kiosk's session and the sound card"
        return [fail("audio output", f"Qt Multimedia cannot list audio devices: {why}", action),
                fail("audio input", f"Qt Multimedia cannot list audio devices: {why}", action)]
    checks = []
    outputs, inputs = found.get("outputs", []), found.get("inputs", [])
    if outputs:
        checks.append(ok("audio output", f"{found.get('default_output') or outputs[0]} ({len(outputs)} output(s))"))
    else:
        checks.append(fail("audio output", "no audio output: the kiosk cannot speak",
                           "connect speakers or headphones; check `pactl list short sinks` in the kiosk's session"))
    wanted = _setting(config, "voice", "microphone", "")
    if not inputs:
        checks.append(warn("audio input", "no microphone: voice answers are not offered",
                           "connect a microphone if citizens should answer by voice"))
    elif wanted and wanted not in inputs:
        checks.append(fail("audio input", f"the configured microphone \"{wanted}\" is not connected "
                                          f"(connected: {', '.join(inputs)})",
                           "connect it, or set [voice] microphone to one of those names (\"\" = the default)"))
    else:
        checks.append(ok("audio input", f"{wanted or found.get('default_input') or inputs[0]} "
                                        f"({len(inputs)} input(s))"))
    return checks


# --- speech --------------------------------------------------------------------------------------------------

def check_voices(config: Config, voices: Callable[[], list] | None = None) -> list[Check]:
    """A synthesis voice for each configured language, as the kiosk chooses it (voice.tts)."""
    try:
        from voice.tts import Synthesizer, choose_voice
    except ImportError as exc:
        return [fail("speech", f"the voice package cannot be loaded: {exc}", "reinstall ponte-kiosk")]
    scratch = None
    if voices is None:
        scratch = tempfile.TemporaryDirectory(prefix="ponte-doctor-")
        synth = Synthesizer(Path(scratch.name) / "cache")

        def voices() -> list:
            return synth.voices()
    else:
        synth = None
    try:
        try:
            available = voices()
        except Exception as exc:  # noqa: BLE001 - an engine that cannot start is the finding
            return [fail(f"speech {lang}", f"the speech engine does not start ({type(exc).__name__})",
                         "apt install espeak-ng (the package depends on it; reinstall it)")
                    for lang in config.languages]
        checks = []
        for lang in config.languages:
            choice = choose_voice(available, lang)
            if choice.voice is None:
                checks.append(fail(f"speech {lang}", "no voice at all", "apt install espeak-ng"))
            elif choice.fallback:
                checks.append(warn(f"speech {lang}", f"no {lang} voice: {choice.voice.name} would speak instead",
                                   f"install an espeak-ng voice for {lang}, or remove {lang} from [kiosk] languages"))
            else:
                checks.append(ok(f"speech {lang}", choice.voice.name))
        return checks
    finally:
        if synth is not None:
            synth.close()
        if scratch is not None:
            scratch.cleanup()


def check_models(config: Config) -> list[Check]:
    """A vosk recognition model for each configured language, in data_dir/voice-models/LANG."""
    try:
        from voice import models
    except ImportError as exc:
        return [fail("recognition", f"the voice package cannot be loaded: {exc}", "reinstall ponte-kiosk")]
    checks = []
    root = models.models_dir(config.data_dir)
    for lang in config.languages:
        name = f"recognition {lang}"
        folder = root / lang
        install = f"kiosk voice install-model MODEL.zip {lang}   (a vosk model for {lang}, from a USB stick)"
        if not folder.exists():
            checks.append(warn(name, f"no recognition model in {folder}: voice answers are not offered in {lang}",
                               install))
            continue
        path = models.model_path(config.data_dir, lang)
        if path is None:
            checks.append(fail(name, models.structure_problem(folder) or f"{folder} is not a usable model",
                               f"remove {folder}, then {install}"))
        elif not models.is_checked(path):
            checks.append(warn(name, f"{path} was not installed by `kiosk voice install-model` (not verified)",
                               f"reinstall it with {install}"))
        else:
            checks.append(ok(name, f"{path} ({models.folder_size(path) / 1e6:.0f} MB)"))
    return checks


# --- destinations and the clock -------------------------------------------------------------------------------

@dataclass
class _Probe:
    check: Check
    date_header: str | None = None
    local_time: float | None = None


def _probe_destination(destination) -> _Probe:
    """Reachability, TLS and credentials of one destination, with a request that sends no submission."""
    from offline_queue.connectors.http import DestinationConfigError, classify_exception
    from offline_queue.sync import make_connector

    name = f"destination {destination.name}"
    try:
        connector = make_connector(destination)
    except Exception as exc:  # noqa: BLE001 - a destination that cannot even be built is the finding
        return _Probe(fail(name, f"cannot be set up: {exc}", "fix this destination in kiosk.toml"))
    config_error = getattr(connector, "_config_error", None) or getattr(connector.client, "config_error", None)
    if config_error is not None:
        return _Probe(fail(name, f"configuration: {config_error}",
                           f"fix [destinations.{destination.name}] in kiosk.toml (kiosk config check)"))
    if destination.kind == "openrosa":
        # OpenRosa's pre-flight: HEAD on the submission URL answers 204, or 401 without valid credentials.
        method, url = "HEAD", getattr(connector, "_url", None) or destination.url
        headers = {"X-OpenRosa-Version": "1.0"}
    else:
        method, url = "GET", destination.url.rstrip("/") + "/health"
        headers = {"Accept": "application/json"}
    try:
        answer = connector.client.request(method, url, headers=headers)
    except DestinationConfigError as exc:
        return _Probe(fail(name, f"configuration: {exc}", f"fix [destinations.{destination.name}] in kiosk.toml"))
    except Exception as exc:  # noqa: BLE001 - every transport failure is classified
        outcome = classify_exception(exc, destination)
        if outcome.error_kind == "tls":
            action = ("if the backend uses its own CA, set ca_bundle to that CA's PEM file; check the kiosk's "
                      "clock (an expired or not-yet-valid certificate looks the same)")
        else:
            action = ("check the network (cable, Wi-Fi, mobile data), the URL in kiosk.toml, and that the "
                      "backend is up; queued submissions wait safely meanwhile")
        return _Probe(fail(name, outcome.reason, action))
    finally:
        try:
            connector.client.close()
        except Exception:  # noqa: BLE001
            pass
    local = time.time()
    date = answer.headers.get("Date")
    if answer.status in (401, 403):
        return _Probe(fail(name, f"HTTP {answer.status}: the backend refused the kiosk's credentials",
                           f"provision a valid token or password for [destinations.{destination.name}] "
                           "(token_file, mode 0600, owner ponte)"), date, local)
    if destination.kind == "openrosa":
        if 200 <= answer.status < 300:
            return _Probe(ok(name, f"{_host(destination)} answers (HTTP {answer.status}), TLS and credentials "
                                   "accepted"), date, local)
    elif answer.status == 200 and isinstance(answer.json(), dict):
        from offline_queue.connectors.rest import ack_warning
        if warning := ack_warning(destination):  # ack = "echo": delivery is taken on the backend's word alone
            return _Probe(warn(name, warning, "have the backend return ack_mac (docs/sync-api.yaml), then remove "
                                              'ack = "echo" from this destination'), date, local)
        auth = ("a token is configured (the REST contract checks it only with a submission)"
                if any(destination.options.get(k) for k in ("token_env", "token_file")) else "no token configured")
        return _Probe(ok(name, f"{_host(destination)} answers /health; TLS verified; {auth}"), date, local)
    if 300 <= answer.status < 400:
        return _Probe(fail(name, f"HTTP {answer.status} redirect from {_host(destination)} (captive portal or "
                                 "wrong URL?)", "sign the network in (captive portal) or correct the url"), date, local)
    return _Probe(fail(name, f"{_host(destination)} answered HTTP {answer.status} instead of the backend's "
                             f"{'pre-flight' if destination.kind == 'openrosa' else '/health'}",
                       "check the url in kiosk.toml: it must be the backend's base URL"), date, local)


def _host(destination) -> str:
    url = destination.url
    return url.split("/")[2] if "//" in url else url


def check_destinations(config: Config) -> tuple[list[Check], list[_Probe]]:
    if not config.destinations:
        return [fail("destinations", "no destination configured", "add a [destinations.NAME] table")], []
    probes = [_probe_destination(d) for d in config.destinations.values()]
    return [p.check for p in probes], probes


def check_clock(probes: Iterable[_Probe]) -> Check:
    """The kiosk's clock against the first backend Date header received."""
    for probe in probes:
        if not probe.date_header:
            continue
        try:
            server = email.utils.parsedate_to_datetime(probe.date_header).timestamp()
        except (TypeError, ValueError):
            continue
        offset = (probe.local_time or time.time()) - server
        if abs(offset) > CLOCK_TOLERANCE_SECONDS:
            return fail("clock", f"the kiosk's clock is {abs(offset):.0f} s {'ahead of' if offset > 0 else 'behind'} "
                                 "the backend's", "turn on time synchronisation: timedatectl set-ntp true "
                                                  "(systemd-timesyncd), or set the time by hand")
        return ok("clock", f"within {abs(offset):.0f} s of the backend's (Date header)")
    return skip("clock", "no backend answered with a Date header: the clock was not compared",
                "run the doctor again when a destination is reachable")


# --- storage ----------------------------------------------------------------------------------------------------

def _foreign(path: Path) -> bool:
    """True when this process is not the file's owner: opening it could leave files the kiosk cannot write."""
    try:
        return path.stat().st_uid != os.geteuid()
    except OSError:
        return False


def check_databases(config: Config) -> list[Check]:
    """PRAGMA quick_check of every SQLite file in the data folder, read-only."""
    data_dir = Path(config.data_dir)
    if not data_dir.is_dir():
        return [skip("databases", f"{data_dir} does not exist yet (created at the first start)")]
    files = sorted(p for p in data_dir.rglob("*.db") if p.is_file())
    if not files:
        return [ok("databases", f"no database in {data_dir} yet")]
    checks = []
    for path in files:
        name = f"database {path.relative_to(data_dir)}"
        if _foreign(path):
            # A read-only open may still create the -shm file, owned by whoever runs this.
            checks.append(skip(name, "not checked: it belongs to another user",
                               "run the doctor as the kiosk's user: sudo -u ponte kiosk doctor"))
            continue
        try:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
            try:
                rows = [r[0] for r in conn.execute("PRAGMA quick_check").fetchall()]
            finally:
                conn.close()
        except sqlite3.Error as exc:
            checks.append(fail(name, f"cannot be read: {exc}",
                               "restart the kiosk: a damaged queue is set aside and salvaged at start-up"))
            continue
        if rows == ["ok"]:
            checks.append(ok(name, f"quick_check ok ({path.stat().st_size / 1e6:.1f} MB)"))
        else:
            checks.append(fail(name, f"quick_check found {len(rows)} problem(s): {rows[0][:200]}",
                               "stop the kiosk, copy the file for support, then start it again: the queue "
                               "sets a damaged file aside and salvages what it can"))
    return checks


def _reserve_bytes(config: Config) -> int:
    from offline_queue.outbox import DEFAULT_RESERVE_BYTES
    return int(_setting(config, "queue", "reserve_bytes", DEFAULT_RESERVE_BYTES))


def check_disk(config: Config) -> Check:
    """Free space on the data folder's disk against the queue's reserve (and a comfortable margin)."""
    path = Path(config.data_dir)
    while not path.exists() and path != path.parent:
        path = path.parent
    try:
        usage = os.statvfs(path)
    except OSError as exc:
        return fail("disk", f"cannot read free space of {path}: {exc.strerror}", "check the disk")
    free = usage.f_bavail * usage.f_frsize
    reserve = _reserve_bytes(config)
    reserve_file = Path(config.queue_path).with_name(Path(config.queue_path).name + ".reserve")
    held = " (the reserve is held)" if reserve_file.exists() else ""
    text = f"{_size(free)} free on the disk of {config.data_dir}; queue reserve {_size(reserve)}{held}"
    if free < reserve:
        return fail("disk", text + ": new submissions will be refused",
                    "free space now (old exports, logs: journalctl --vacuum-size=100M); queued submissions "
                    "can still be sent")
    if free < DISK_LOW_BYTES:
        return warn("disk", text, "free some space: below 500 MB the kiosk may soon refuse new submissions")
    return ok("disk", text)


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"


def secret_files(config: Config) -> list[Path]:
    """Files that hold keys or secrets: they must be readable by the kiosk's user only."""
    data_dir = Path(config.data_dir)
    files = [data_dir / "audit.key", data_dir / "audit-signing.pem"]
    device_dir = _setting(config, "queue", "device_key_dir", None)
    device_dir = Path(device_dir) if device_dir else data_dir / "device-key"
    files.append((device_dir if device_dir.is_absolute() else data_dir / device_dir) / "private.pem")
    files.append(data_dir / "dev-backend" / "private.pem")
    for destination in config.destinations.values():
        for key in ("token_file", "password_file", "username_file", "client_key"):
            if value := destination.options.get(key):
                files.append(Path(str(value)).expanduser())
    files.append(Path("/etc/ponte/environment"))
    seen: list[Path] = []
    for f in files:
        if f not in seen:
            seen.append(f)
    return seen


def check_permissions(config: Config) -> list[Check]:
    """The data folder and every key or secret file: not readable by others."""
    checks = []
    data_dir = Path(config.data_dir)
    if data_dir.is_dir():
        mode = stat.S_IMODE(data_dir.stat().st_mode)
        if mode & 0o007:
            checks.append(fail("permissions data folder", f"{data_dir} is mode {mode:04o}: others can look inside",
                               f"chmod 700 {data_dir}"))
        elif mode & 0o070:
            checks.append(warn("permissions data folder", f"{data_dir} is mode {mode:04o}: its group can look "
                                                          "inside", f"chmod 700 {data_dir}"))
        else:
            checks.append(ok("permissions data folder", f"{data_dir} is mode {mode:04o}"))
    else:
        checks.append(skip("permissions data folder", f"{data_dir} does not exist yet"))
    exposed, kept = [], 0
    for path in secret_files(config):
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            continue
        except OSError as exc:
            checks.append(fail(f"permissions {path.name}", f"{path}: {exc.strerror}",
                               "run the doctor as the kiosk's user: sudo -u ponte kiosk doctor"))
            continue
        if mode & 0o077:
            exposed.append((path, mode))
        else:
            kept += 1
    for path, mode in exposed:
        # Others: anyone on the machine. Group: tolerated (root:ponte 0640 is a common way to provision).
        if mode & 0o007:
            checks.append(fail(f"permissions {path.name}", f"{path} is mode {mode:04o}: readable by other users",
                               f"chmod 600 {path}"))
        else:
            checks.append(warn(f"permissions {path.name}", f"{path} is mode {mode:04o}: readable by its group",
                               f"chmod 600 {path} (and chown ponte: {path}) unless the group is the kiosk's"))
    if not exposed:
        checks.append(ok("permissions key files", f"{kept} key or secret file(s), none readable by others"))
    return checks


def check_backend_key(config: Config) -> Check:
    """The backend's public key that every submission is sealed to."""
    value = _setting(config, "queue", "public_key", None)
    if not value:
        return warn("backend key", "no [queue] public_key: submissions are sealed to a local demo key that no "
                                   "real backend can open", "provision the backend's public key "
                                                            "(/etc/ponte/backend-public.pem, docs/deploy.md)")
    from offline_queue.keys import KeyFileError, key_id, load_public_key
    path = Path(str(value)).expanduser()
    if not path.is_absolute():
        path = Path(config.data_dir) / path
    try:
        key = load_public_key(path)
    except KeyFileError as exc:
        return fail("backend key", str(exc), "copy the backend's X25519 public key (PEM) there (docs/deploy.md)")
    return ok("backend key", f"{path} (key id {key_id(key)})")


# --- the catalogue -----------------------------------------------------------------------------------------------

def check_services(config: Config) -> Check:
    from kiosk.definition import load_catalogue
    catalogue = load_catalogue(config.services_dirs)
    dirs = ", ".join(str(d) for d in config.services_dirs) or "(none)"
    if catalogue.problems:
        first = str(catalogue.problems[0])[:300]
        return fail("services", f"{len(catalogue.problems)} problem(s) in the definitions; first: {first}",
                    "kiosk services check shows every problem with its file and line; broken services are "
                    "left out of the menu")
    if not catalogue.services:
        return fail("services", f"no service definitions in {dirs}: the menu is empty",
                    "copy the service definition files (*.yaml) into [services] dirs")
    return ok("services", f"{len(catalogue.services)} service(s) from {dirs}")


# --- all of it -----------------------------------------------------------------------------------------------------

CHECK_GROUPS = ("version", "config", "display", "audio", "speech", "recognition", "destinations", "clock",
                "databases", "disk", "permissions", "backend-key", "services")


@dataclass
class Doctor:
    """Runs the checks; the slow or device-bound ones can be replaced in tests (`probe`, `voices`)."""

    config: Config
    probe: Callable[[str], tuple[dict | None, str]] | None = None
    voices: Callable[[], list] | None = None
    skip_groups: frozenset[str] = field(default_factory=frozenset)

    def run(self) -> Report:
        checks: list[Check] = []
        probes: list[_Probe] = []
        steps: list[tuple[str, Callable[[], Any]]] = [
            ("version", lambda: check_version()),
            ("config", lambda: check_config(self.config)),
            ("display", lambda: check_display(self.probe)),
            ("audio", lambda: check_audio(self.config, self.probe)),
            ("speech", lambda: check_voices(self.config, self.voices)),
            ("recognition", lambda: check_models(self.config)),
            ("destinations", lambda: self._destinations(probes)),
            ("clock", lambda: check_clock(probes)),
            ("databases", lambda: check_databases(self.config)),
            ("disk", lambda: check_disk(self.config)),
            ("permissions", lambda: check_permissions(self.config)),
            ("backend-key", lambda: check_backend_key(self.config)),
            ("services", lambda: check_services(self.config)),
        ]
        for group, step in steps:
            if group in self.skip_groups:
                continue
            try:
                result = step()
            except Exception as exc:  # noqa: BLE001 - one broken check must not hide the others
                result = fail(group, f"the check itself failed ({type(exc).__name__})",
                              "run again with -vv and report it")
            checks.extend(result if isinstance(result, list) else [result])
        return Report(tuple(checks), package_version())

    def _destinations(self, probes: list[_Probe]) -> list[Check]:
        checks, found = check_destinations(self.config)
        probes.extend(found)
        return checks


def run_doctor(config: Config, *, skip: Iterable[str] = ()) -> Report:
    """Every check against this configuration, for `kiosk doctor` and the fleet metrics."""
    return Doctor(config, skip_groups=frozenset(skip)).run()


def _setting(config: Config, section: str, key: str, default: Any) -> Any:
    """A typed setting when the configuration has typed sections, else the raw TOML value."""
    try:
        typed = getattr(config.settings, section)
        value = getattr(typed, key)
        return default if value is None else value
    except AttributeError:
        return (config.raw.get(section) or {}).get(key, default)
