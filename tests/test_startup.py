"""Start-up does without what the first screen does not need (issue 16).

A fresh interpreter builds the running kiosk (`KioskApp`, as `kiosk run` does, offscreen) and says which
of the heavy packages were imported by the time its window is up: the signed catalogue's TUF stack
(ui/catalogue_watch.py), PIL (ui/documents_bridge.py) and requests (ui/prefill_bridge.py) are imported on
first use, after the first frame. A kiosk refreshing its signed catalogue starts the first update once its
first frame is drawn, not while the screens load. No durations here: benchmarks/bench_start.py measures those.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from operations.catalogue_update import update_catalogue
from tests import test_catalogue_update as update_tests
from tests.test_catalogue_refresh import _kiosk_config
from tests.test_catalogue_update import _root

# The update tests' fixtures: signing keys, the sample services, a signed repository of them, the kiosk's
# data folder, and that repository served over loopback HTTPS with a test CA.
keys, source, repo, data_dir, https = (update_tests.keys, update_tests.source, update_tests.repo,
                                       update_tests.data_dir, update_tests.https)

ROOT = Path(__file__).resolve().parent.parent

# Packages the welcome screen never needs; each is imported by the code that uses it, later.
LATER = ("tuf", "securesystemslib", "urllib3", "requests", "PIL")

SCRIPT = """
import json, sys
from ui.app import prepare_environment
prepare_environment(offscreen=True)
from kiosk.config import load_config
from ui.app import KioskApp

app = KioskApp(load_config(sys.argv[1]), windowed=True, sync=True)
seen = sorted({name.split(".")[0] for name in sys.modules} & set(sys.argv[2].split(",")))
frames = []
app.window.frameSwapped.connect(lambda: (frames.append(1), app.qt.exit(0)))
app.qt.exec()
app.close()
print(json.dumps({"imported": seen, "frame": bool(frames)}))
"""


def test_firstFrame_withoutTufPilRequests(tmp_path):
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[kiosk]\nid = "startup-test"\ndata_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("PONTE_CONFIG", "NOTIFY_SOCKET")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(config), ",".join(LATER)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["frame"], "the window never drew its first frame"
    assert result["imported"] == [], f"imported before the first frame: {result['imported']}"


def test_catalogueUpdate_startsAfterTheFirstFrame(qtbot, tmp_path, https, repo, data_dir):
    from ui.app import KioskApp

    url, ca = https
    update_catalogue(data_dir, url, _root(repo), ca_bundle=ca)
    config = _kiosk_config(tmp_path, data_dir, {"url": url, "root": str(_root(repo)), "ca_bundle": str(ca),
                                                "refresh_minutes": 60})
    app = KioskApp(config, windowed=True, size=(1366, 768))
    try:
        watcher = app.catalogue_watch
        assert watcher.active and not watcher.busy  # the screens are loaded; no update has begun
        with qtbot.waitSignal(watcher.updateFinished, timeout=30_000) as finished:
            pass  # the first frame is drawn, then the update runs
        assert finished.args == [""]
    finally:
        app.close()
