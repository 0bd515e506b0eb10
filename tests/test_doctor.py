"""`kiosk doctor` against the real conditions: closed ports, a wrong CA, a lying clock, missing models,
a full disk (tmpfs), exposed key files and a damaged database."""
from __future__ import annotations

import email.utils
import json
import os
import shutil
import ssl
import subprocess
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kiosk.config import config_from_dict
from operations.doctor import (Check, Doctor, Report, Status, check_audio, check_clock, check_databases,
                               check_destinations, check_disk, check_display, check_models, check_permissions,
                               check_services, check_voices)
from tests.queue_fixtures import free_port, make_cert


def make_config(tmp_path: Path, destinations: dict | None = None, **sections) -> object:
    raw = {"kiosk": {"data_dir": str(tmp_path / "data"), "id": "doctor-test", "languages": ["en", "pt"]},
           "destinations": destinations or {"*": {"url": f"http://127.0.0.1:{free_port()}", "allow_http": True}}}
    for name, table in sections.items():
        raw[name] = {**raw.get(name, {}), **table}
    return config_from_dict(raw, base=tmp_path)


class Backend:
    """A loopback backend: /health for REST, the OpenRosa pre-flight (HEAD) with optional basic auth."""

    def __init__(self, *, clock_offset: float = 0.0, password: str | None = None, status: int = 200):
        outer = self
        self.clock_offset, self.password, self.status = clock_offset, password, status
        self.requests: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def date_time_string(self, timestamp=None):  # noqa: N802 - the server's clock, possibly wrong
                return email.utils.formatdate(time.time() + outer.clock_offset, usegmt=True)

            def _authorised(self) -> bool:
                if outer.password is None:
                    return True
                import base64
                expected = "Basic " + base64.b64encode(f"kiosk:{outer.password}".encode()).decode()
                return self.headers.get("Authorization") == expected

            def do_GET(self):  # noqa: N802
                outer.requests.append(f"GET {self.path}")
                body = json.dumps({"status": "ok"}).encode()
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_HEAD(self):  # noqa: N802
                outer.requests.append(f"HEAD {self.path}")
                if not self._authorised():
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="odk"')
                else:
                    self.send_response(204)
                self.send_header("X-OpenRosa-Version", "1.0")
                self.end_headers()

            def do_POST(self):  # noqa: N802 - the doctor must never send a submission
                outer.requests.append(f"POST {self.path}")
                self.send_response(500)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.scheme = "http"

    def with_tls(self, cert: Path, key: Path) -> "Backend":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.scheme = "https"
        return self

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def __enter__(self) -> "Backend":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def by_name(checks: list[Check]) -> dict[str, Check]:
    return {c.name: c for c in checks}


# --- destinations, TLS, credentials, clock --------------------------------------------------------------------

def test_destination_closedPort_failsWithWhatToDo(tmp_path):
    port = free_port()  # bound then closed: nothing listens there
    config = make_config(tmp_path, {"registry": {"url": f"http://127.0.0.1:{port}", "allow_http": True}})
    checks, _ = check_destinations(config)
    check = by_name(checks)["destination registry"]
    assert check.status is Status.FAIL
    assert "cannot reach 127.0.0.1" in check.message
    assert "network" in check.action


def test_destination_reachable_isOk_andNothingIsSubmitted(tmp_path):
    with Backend() as backend:
        config = make_config(tmp_path, {"registry": {"url": backend.url, "allow_http": True}})
        checks, probes = check_destinations(config)
    assert by_name(checks)["destination registry"].status is Status.OK
    assert backend.requests == ["GET /health"]
    assert check_clock(probes).status is Status.OK


def test_destination_wrongCA_isTlsFailure_rightCA_isOk(tmp_path):
    _, cert, key = make_cert(tmp_path / "real", name="server")
    other_ca, _, _ = make_cert(tmp_path / "other", name="other")
    right_ca = tmp_path / "real" / "server-ca.pem"
    with Backend().with_tls(cert, key) as backend:
        wrong = make_config(tmp_path, {"registry": {"url": backend.url, "ca_bundle": str(other_ca)}})
        check = by_name(check_destinations(wrong)[0])["destination registry"]
        assert check.status is Status.FAIL
        assert "TLS" in check.message and "not trusted" in check.message
        assert "ca_bundle" in check.action
        right = make_config(tmp_path, {"registry": {"url": backend.url, "ca_bundle": str(right_ca)}})
        assert by_name(check_destinations(right)[0])["destination registry"].status is Status.OK


def test_openrosa_wrongPassword_isCredentialFailure(tmp_path):
    secret = tmp_path / "password"
    secret.write_text("wrong")
    secret.chmod(0o600)
    with Backend(password="right") as backend:
        spec = {"kind": "openrosa", "url": backend.url + "/submission", "allow_http": True, "auth": "basic",
                "username": "kiosk", "password_file": str(secret)}
        check = by_name(check_destinations(make_config(tmp_path, {"odk": spec}))[0])["destination odk"]
        assert check.status is Status.FAIL and "credentials" in check.message
        secret.write_text("right")
        check = by_name(check_destinations(make_config(tmp_path, {"odk": spec}))[0])["destination odk"]
        assert check.status is Status.OK, check
    assert all(r.startswith("HEAD ") for r in backend.requests)


def test_destination_missingTokenVariable_isConfigurationFailure(tmp_path, monkeypatch):
    monkeypatch.delenv("PONTE_DOCTOR_TOKEN", raising=False)
    spec = {"kind": "openrosa", "url": "https://127.0.0.1:9/v1/key/{token}/projects/1/submission",
            "auth": "token_url", "token_env": "PONTE_DOCTOR_TOKEN"}
    check = by_name(check_destinations(make_config(tmp_path, {"odk": spec}))[0])["destination odk"]
    assert check.status is Status.FAIL
    assert "PONTE_DOCTOR_TOKEN" in check.message


def test_clock_farFromBackendsDate_fails(tmp_path):
    with Backend(clock_offset=-3600) as backend:
        config = make_config(tmp_path, {"registry": {"url": backend.url, "allow_http": True}})
        _, probes = check_destinations(config)
    clock = check_clock(probes)
    assert clock.status is Status.FAIL
    assert "ahead" in clock.message and "timedatectl" in clock.action


def test_clock_withoutAnyAnswer_isSkipped(tmp_path):
    config = make_config(tmp_path)
    _, probes = check_destinations(config)
    assert check_clock(probes).status is Status.SKIP


# --- voice --------------------------------------------------------------------------------------------------

def test_models_missingFolder_warns_brokenFolder_fails_installed_ok(tmp_path):
    config = make_config(tmp_path)
    from voice import models
    root = models.models_dir(config.data_dir)
    (root / "pt" / "am").mkdir(parents=True)  # a folder without the model's files
    checks = by_name(check_models(config))
    assert checks["recognition en"].status is Status.WARN
    assert "install-model" in checks["recognition en"].action
    assert checks["recognition pt"].status is Status.FAIL
    # A folder with the files a vosk model has, marked as checked by install-model.
    good = root / "en"
    for rel in models.REQUIRED:
        (good / rel).parent.mkdir(parents=True, exist_ok=True)
        (good / rel).write_bytes(b"x")
    models.mark_checked(good)
    assert by_name(check_models(config))["recognition en"].status is Status.OK


def test_voices_fromTheRealSpeechEngine(tmp_path):
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (packaging/setup-debian.sh installs it)")
    checks = by_name(check_voices(make_config(tmp_path)))
    assert checks["speech en"].status is Status.OK
    assert checks["speech pt"].status is Status.OK


def test_voices_languageWithoutVoice_warnsFallback(tmp_path):
    from voice.tts import Voice
    checks = by_name(check_voices(make_config(tmp_path), voices=lambda: [Voice("gmw/en", "English", ("en",))]))
    assert checks["speech en"].status is Status.OK
    assert checks["speech pt"].status is Status.WARN
    assert "English" in checks["speech pt"].message


# --- display and audio --------------------------------------------------------------------------------------

def test_display_offscreen_inARealChildProcess_warns(monkeypatch):
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    check = check_display()
    assert check.status is Status.WARN
    assert "offscreen" in check.message


def test_display_none_fails(monkeypatch):
    for name in ("WAYLAND_DISPLAY", "DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    check = check_display()
    assert check.status is Status.FAIL and "systemctl status ponte-kiosk" in check.action


def test_display_qtCannotStart_failsWithItsLastLine(monkeypatch):
    monkeypatch.setenv("QT_QPA_PLATFORM", "no-such-platform")
    check = check_display()
    assert check.status is Status.FAIL
    assert "Qt cannot open its display" in check.message


def test_audio_configuredMicrophoneMissing_fails(tmp_path):
    config = make_config(tmp_path, voice={"microphone": "USB headset"})
    found = {"outputs": ["Speakers"], "inputs": ["Built-in"], "default_output": "Speakers",
             "default_input": "Built-in"}
    checks = by_name(check_audio(config, probe=lambda code: (found, "")))
    assert checks["audio output"].status is Status.OK
    assert checks["audio input"].status is Status.FAIL and "USB headset" in checks["audio input"].message
    none = {"outputs": [], "inputs": [], "default_output": "", "default_input": ""}
    checks = by_name(check_audio(make_config(tmp_path), probe=lambda code: (none, "")))
    assert checks["audio output"].status is Status.FAIL


# --- storage and permissions ------------------------------------------------------------------------------

def test_databases_quickCheck_okAndDamaged(tmp_path):
    import sqlite3
    config = make_config(tmp_path)
    data = Path(config.data_dir)
    data.mkdir(parents=True)
    conn = sqlite3.connect(data / "stats.db")
    conn.execute("CREATE TABLE t (x)")
    conn.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(100)])
    conn.commit()
    conn.close()
    (data / "queue.db").write_bytes(b"this is not a database" * 100)
    checks = by_name(check_databases(config))
    assert checks["database stats.db"].status is Status.OK
    assert checks["database queue.db"].status is Status.FAIL
    assert "restart" in checks["database queue.db"].action


def test_permissions_keyReadableByOthers_fails(tmp_path):
    config = make_config(tmp_path)
    data = Path(config.data_dir)
    data.mkdir(parents=True, mode=0o700)
    data.chmod(0o700)
    key = data / "audit.key"
    key.write_bytes(os.urandom(32))
    key.chmod(0o600)
    assert all(c.status is Status.OK for c in check_permissions(config))
    key.chmod(0o644)
    checks = by_name(check_permissions(config))
    assert checks["permissions audit.key"].status is Status.FAIL
    assert checks["permissions audit.key"].action == f"chmod 600 {key}"
    data.chmod(0o755)
    assert by_name(check_permissions(config))["permissions data folder"].status is Status.FAIL


def test_permissions_tokenFileOfADestination_isChecked(tmp_path):
    token = tmp_path / "token"
    token.write_text("secret")
    token.chmod(0o644)
    config = make_config(tmp_path, {"registry": {"url": "https://127.0.0.1:9", "token_file": str(token)}})
    assert by_name(check_permissions(config))["permissions token"].status is Status.FAIL
    token.chmod(0o640)  # root:ponte 0640 is a way to provision: a warning, not a failure
    assert by_name(check_permissions(config))["permissions token"].status is Status.WARN
    token.chmod(0o600)
    assert "permissions token" not in by_name(check_permissions(config))


@contextmanager
def tmpfs(path: Path, size: str):
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip() or 'not root'}); needs root")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def test_disk_fullTmpfs_failsAgainstTheQueueReserve(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    with tmpfs(tmp_path / "small", "8m") as mount:
        config = make_config(tmp_path, kiosk={"data_dir": str(mount / "ponte")})
        assert check_disk(config).status is Status.WARN  # 8 MB free: above the reserve, but low
        filler = mount / "filler"
        with open(filler, "wb") as fh:
            try:
                while True:
                    fh.write(b"\0" * (1024 * 1024))
                    fh.flush()
            except OSError:
                pass  # the disk is full
        check = check_disk(config)
        assert check.status is Status.FAIL
        assert "new submissions will be refused" in check.message
        assert "free space" in check.action


# --- the catalogue and the whole run --------------------------------------------------------------------

def test_services_emptyFolder_andBrokenDefinition_fail(tmp_path):
    folder = tmp_path / "services"
    folder.mkdir()
    config = make_config(tmp_path, services={"dirs": [str(folder)], "include_samples": False})
    assert check_services(config).status is Status.FAIL
    (folder / "broken.yaml").write_text("id: [unclosed\n")
    check = check_services(config)
    assert check.status is Status.FAIL and "kiosk services check" in check.action


def test_report_json_worstStatusWins_andEveryCheckHasAnActionWhenNotOk(tmp_path, monkeypatch):
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    config = make_config(tmp_path)
    report = Doctor(config, probe=lambda code: ({"platform": "offscreen", "screens": [], "outputs": [],
                                                  "inputs": []}, ""),
                    voices=lambda: []).run()
    data = json.loads(report.to_json())
    assert data["status"] == "fail"  # the destination's closed port at least
    names = [c["name"] for c in data["checks"]]
    for expected in ("version", "display", "audio output", "audio input", "speech en", "recognition pt",
                     "destination *", "clock", "disk", "services"):
        assert expected in names
    for c in data["checks"]:
        assert set(c) == {"name", "status", "message", "action"}
        if c["status"] in ("warn", "fail"):
            assert c["action"], c
    assert Report((Check("a", Status.OK, ""), Check("b", Status.SKIP, ""))).status is Status.OK
