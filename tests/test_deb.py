"""The Debian package: its conffile documents every setting, systemd accepts its units, and (slow) it builds,
installs into a fresh Debian 12 root and runs there."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from kiosk.config import DESTINATIONS, SECTIONS, DestinationSettings, declared, load_config

REPO = Path(__file__).resolve().parent.parent
PACKAGING = REPO / "packaging"
UNITS = ("ponte-kiosk.service", "ponte-kiosk-metrics.service", "ponte-kiosk-metrics.timer")


def test_conffile_isValid_andDocumentsEverySetting():
    text = (PACKAGING / "kiosk.toml").read_text()
    config = load_config(PACKAGING / "kiosk.toml")
    assert str(config.data_dir) == "/var/lib/ponte"
    for section, cls in SECTIONS.items():
        assert f"[{section}]" in text, section
        for key, *_ in declared(cls):
            assert f"{key} =" in text or f"# {key}" in text or f" {key} " in text or f"{key} /" in text, \
                f"[{section}] {key} is not documented in packaging/kiosk.toml"
    for key, *_ in declared(DestinationSettings):
        assert key in text, f"[{DESTINATIONS}.NAME] {key} is not documented in packaging/kiosk.toml"


def test_units_areAcceptedBy_systemdAnalyzeVerify(tmp_path):
    """Real systemd-analyze; /opt/ponte is a tmpfs in a private mount namespace, holding stand-in programs."""
    if shutil.which("systemd-analyze") is None or shutil.which("unshare") is None:
        pytest.skip("systemd-analyze and unshare are needed (apt-get install systemd util-linux)")
    if os.geteuid() != 0:
        pytest.skip("a private mount namespace for /opt/ponte needs root")
    script = textwrap.dedent(f"""
        set -e
        mount -t tmpfs tmpfs /opt
        mkdir -p /opt/ponte/bin /opt/ponte/libexec
        cp {PACKAGING}/debian/ponte-kiosk-session /opt/ponte/libexec/
        printf '#!/bin/sh\\n' > /opt/ponte/bin/kiosk && chmod +x /opt/ponte/bin/kiosk
        systemd-analyze verify {' '.join(str(PACKAGING / u) for u in UNITS)}
    """)
    done = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "", done.stderr  # no warning either


def test_sessionScript_passesTheKiosksExitStatus_throughAStandInCage(tmp_path):
    """cage 0.1.4 exits 0 whatever its application returned; the session script must not lose 3 (restart)."""
    fake = tmp_path / "bin"
    fake.mkdir()
    script = (PACKAGING / "debian" / "ponte-kiosk-session").read_text()
    script = script.replace("/usr/bin/cage", str(fake / "cage")).replace("/opt/ponte/bin/kiosk", str(fake / "kiosk"))
    session = tmp_path / "session"
    session.write_text(script)
    session.chmod(0o755)
    # A cage that runs its application and exits 0, like Debian 12's.
    (fake / "cage").write_text('#!/bin/sh\nwhile [ "$1" != "--" ]; do shift; done; shift; "$@"; exit 0\n')
    for code in (0, 3, 1):
        (fake / "kiosk").write_text(f"#!/bin/sh\nexit {code}\n")
        for f in fake.iterdir():
            f.chmod(0o755)
        done = subprocess.run([str(session)], env={**os.environ, "RUNTIME_DIRECTORY": str(tmp_path)})
        assert done.returncode == code


# --- the real package in a fresh Debian 12 root (slow) --------------------------------------------------------

def _need(*programs: str) -> None:
    missing = [p for p in programs if shutil.which(p) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (apt-get install -y mmdebstrap)")
    if os.geteuid() != 0:
        pytest.skip("mmdebstrap's root mode and the package's postinst need root")


INSIDE = r"""
set -u
out=/srv/ponte-test-out   # not /tmp: mmdebstrap empties it when it finishes
mkdir -p $out
# the technician's provisioning: service definitions (the samples, as an example)
cp -r /opt/ponte/lib/python3.11/site-packages/kiosk/services/. /etc/ponte/services/
as_ponte() { runuser -u ponte -- env PONTE_CONFIG=/etc/ponte/kiosk.toml QT_QPA_PLATFORM=offscreen HOME=/var/lib/ponte "$@"; }
stat -c '%a %U' /var/lib/ponte > $out/data-dir.txt
command -v kiosk > $out/which.txt
as_ponte kiosk doctor --json > $out/doctor.json 2> $out/doctor.err; echo $? > $out/doctor.rc
as_ponte kiosk services check > $out/services.txt 2>&1; echo $? > $out/services.rc
as_ponte kiosk screenshots /var/lib/ponte/shots --lang en --service change-of-address > $out/shots.txt 2>&1
echo $? > $out/shots.rc
find /var/lib/ponte/shots -name '*.png' | wc -l > $out/shots.count
systemd-analyze verify /lib/systemd/system/ponte-kiosk.service /lib/systemd/system/ponte-kiosk-metrics.service \
    /lib/systemd/system/ponte-kiosk-metrics.timer > $out/verify.txt 2>&1; echo $? > $out/verify.rc
dpkg -r ponte-kiosk > $out/remove.txt 2>&1
test -d /var/lib/ponte && echo kept > $out/after-remove.txt || echo gone > $out/after-remove.txt
dpkg -P ponte-kiosk > $out/purge.txt 2>&1
test -d /var/lib/ponte && echo kept > $out/after-purge.txt || echo gone > $out/after-purge.txt
"""


@pytest.mark.slow
@pytest.mark.timeout(5400)
def test_package_buildsInstallsAndRuns_inAFreshDebian12Root(tmp_path):
    _need("mmdebstrap", "dpkg-deb")
    work = Path(os.environ.get("PONTE_DEB_WORKDIR") or tmp_path)
    work.mkdir(parents=True, exist_ok=True)
    out_dir = work / "deb"
    built = subprocess.run([str(PACKAGING / "build-deb.sh"), str(out_dir)], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr[-3000:]
    debs = sorted(out_dir.glob("ponte-kiosk_*_amd64.deb"))
    assert debs, built.stdout
    deb = debs[-1]
    root = work / "root"
    if root.exists():
        shutil.rmtree(root)
    (work / "inside.sh").write_text(INSIDE)
    hooks = [
        f"--customize-hook=copy-in {deb} /tmp",
        f"--customize-hook=copy-in {work / 'inside.sh'} /tmp",
        f'--customize-hook=chroot "$1" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q '
        f'--no-install-recommends /tmp/{deb.name}',
        '--customize-hook=chroot "$1" sh /tmp/inside.sh',
    ]
    strapped = subprocess.run(["mmdebstrap", "--mode=root", "--variant=apt", "--include=systemd,ca-certificates",
                               *hooks, "bookworm", str(root), "http://deb.debian.org/debian"],
                              capture_output=True, text=True)
    log = (work / "mmdebstrap.log")
    log.write_text(strapped.stdout + strapped.stderr)
    assert strapped.returncode == 0, (strapped.stderr[-3000:])
    out = root / "srv" / "ponte-test-out"
    print("data dir:", (out / "data-dir.txt").read_text().strip())
    print("doctor exit", (out / "doctor.rc").read_text().strip(), (out / "doctor.err").read_text()[-500:])
    print((out / "doctor.json").read_text())
    print("services check:", (out / "services.rc").read_text().strip(), (out / "services.txt").read_text()[-800:])
    print("screenshots:", (out / "shots.rc").read_text().strip(), (out / "shots.txt").read_text()[-800:])
    print("systemd-analyze verify:", (out / "verify.rc").read_text().strip(), (out / "verify.txt").read_text())
    assert (out / "which.txt").read_text().strip() == "/usr/bin/kiosk"
    assert (out / "data-dir.txt").read_text().split() == ["700", "ponte"]
    report = json.loads((out / "doctor.json").read_text())
    checks = {c["name"]: c for c in report["checks"]}
    assert checks["version"]["status"] == "ok" and "ponte-kiosk" in checks["version"]["message"]
    assert checks["services"]["status"] == "ok"
    assert checks["permissions data folder"]["status"] == "ok"
    assert (out / "services.rc").read_text().strip() == "0"
    assert (out / "shots.rc").read_text().strip() == "0"
    assert int((out / "shots.count").read_text().strip() or 0) > 0
    assert (out / "verify.rc").read_text().strip() == "0"
    assert (out / "after-remove.txt").read_text().strip() == "kept"
    assert (out / "after-purge.txt").read_text().strip() == "gone"
