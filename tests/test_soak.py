"""The running kiosk survives thousands of touches: no reference to True or None is lost.

PySide6 6.12.0 on CPython 3.11 drops a reference to True on every Signal.emit() made from
Python; the kiosk then aborts with `Fatal Python error: bool_dealloc` after about 700 touches.
These tests fail on 6.12.0 (the soak aborts with status 134 at ~touch 700; the emit check loses
one reference per emit) and pass on the pinned 6.11.3.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
# 6.12.0 aborted at about touch 700: 1,000 touches still cross it (about 4 minutes on a busy two-core
# machine); PONTE_SOAK_TOUCHES=3000 for a longer soak.
TOUCHES = int(os.environ.get("PONTE_SOAK_TOUCHES", "1000"))
# A few references may come and go with caches warming up; a leak of one per emit loses thousands.
SLACK = 20


def test_pyside6_parts_are_one_checked_version():
    versions = {name: metadata.version(name) for name in ("PySide6-Essentials", "PySide6-Addons", "shiboken6")}
    assert len(set(versions.values())) == 1, f"PySide6 parts disagree: {versions}"
    assert versions["PySide6-Essentials"] != "6.12.0", "6.12.0 leaks a reference to True on every emit"


def test_signal_emit_keeps_references_to_true_and_none(qapp):
    from PySide6.QtCore import QObject, QTimer, Signal

    class Emitter(QObject):
        fired = Signal()
        value = Signal(bool)

    emitter = Emitter()
    received = []
    emitter.value.connect(received.append)
    before = sys.getrefcount(True), sys.getrefcount(None)
    for _ in range(1000):
        emitter.fired.emit()
        emitter.value.emit(True)
    for _ in range(200):
        QTimer.singleShot(0, lambda: None)
    qapp.processEvents()
    after = sys.getrefcount(True), sys.getrefcount(None)
    assert len(received) == 1000
    assert after[0] - before[0] >= -SLACK, f"lost {before[0] - after[0]} references to True in 1000 emits"
    assert after[1] - before[1] >= -SLACK, f"lost {before[1] - after[1]} references to None"


@pytest.mark.timeout(900)
def test_thousands_of_touches_through_the_real_kiosk(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "tests.soak_kiosk", "--touches", str(TOUCHES),
                           "--data-dir", str(tmp_path / "data")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=850)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    assert proc.returncode == 0, (f"the kiosk exited with status {proc.returncode} "
                                  f"(134 is an abort such as bool_dealloc):\n{proc.stderr[-3000:]}")
    report = json.loads(lines[-1])
    assert report["error"] is None, report["error"]
    assert report["touches"] == TOUCHES
    assert {"attract", "language", "services", "question"} <= set(report["screens"])
    true_lost = report["true_start"] - report["true_end"]
    none_lost = report["none_start"] - report["none_end"]
    assert true_lost <= SLACK, f"{true_lost} references to True lost over {TOUCHES} touches: {report}"
    assert none_lost <= SLACK, f"{none_lost} references to None lost over {TOUCHES} touches: {report}"
