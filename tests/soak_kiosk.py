"""Touch the real kiosk thousands of times under its own event loop and report Python refcounts.

Run as a process of its own (tests/test_soak.py does), so that an interpreter abort such as
PySide6 6.12.0's `Fatal Python error: bool_dealloc` shows as an exit status instead of killing
the test runner:

    python -m tests.soak_kiosk --touches 3000 --data-dir /tmp/soak

Prints one JSON line: touches made, screens seen, and the reference counts of True and None
after a warm-up and at the end. Touches are real mouse presses and releases delivered to the
QML window at the centre of the target item, timed by a QTimer inside `exec()`, exactly as a
finger on the kiosk would arrive.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

SERVICE = "birth-certificate"  # its first page is a single choice: option, Next, Back loops forever


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--touches", type=int, default=3000)
    parser.add_argument("--warmup", type=int, default=150)
    parser.add_argument("--data-dir", type=Path, required=True)
    args = parser.parse_args(argv)

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("QT_QUICK_CONTROLS_STYLE", "Basic")
    os.environ["PONTE_DATA_DIR"] = str(args.data_dir)

    from PySide6.QtCore import QPointF, Qt, QTimer
    from PySide6.QtTest import QTest

    from tests.queue_fixtures import make_queue_config
    from ui.app import KioskApp

    args.data_dir.mkdir(parents=True, exist_ok=True)
    config, _private_key = make_queue_config(args.data_dir)
    app = KioskApp(config, windowed=True, size=(1366, 768))
    window = app.window

    state = {"touches": 0, "screens": set(), "cycle": 0, "misses": 0,
             "start": None, "error": None}

    # Walking the whole item tree for every touch would measure the walk, not the kiosk: the named
    # items are looked up once per screen and page, and again only when one is missing.
    cache = {"key": None, "items": {}}

    def named_items() -> dict:
        journey = getattr(app.bridge, "journey", None)
        page = getattr(journey, "page", None) if journey is not None else None
        key = (app.bridge.screen, getattr(page, "id", None))
        if key != cache["key"]:
            cache["key"] = key
            cache["items"] = {i.objectName(): i for i in app.items() if i.objectName() and i.isVisible()}
        return cache["items"]

    def visible(name: str):
        item = named_items().get(name)
        if item is None:
            cache["key"] = None  # delegates are built a frame later: look again next time
        return item

    def first_option():
        names = sorted(n for n in named_items() if n.startswith("option_"))
        return visible(names[0]) if names else None

    def target():
        screen = app.bridge.screen
        state["screens"].add(screen)
        if screen == "attract":
            return visible("startButton")
        if screen == "language":
            return visible("lang_en")
        if screen == "services":
            return visible(f"service_{SERVICE}")
        if screen == "start":  # the service's start page: what to bring, the data notice, then Start
            return visible("nextButton")
        if screen == "stopped":  # an eligibility answer that ends the journey kindly
            return visible("stoppedFinishButton")
        if screen == "question":
            step = state["cycle"] % 3
            state["cycle"] += 1
            if step == 0:
                return first_option() or visible("nextButton")
            if step == 1:
                return visible("nextButton")
            return visible("backButton")
        # Any other screen (consent, check, done): go back towards the questions.
        return visible("backButton") or visible("finishButton")

    def touch() -> None:
        try:
            item = target()
            if item is None:
                state["misses"] += 1
                if state["misses"] > 200:
                    raise RuntimeError(f"nothing to touch on the {app.bridge.screen} screen")
                return
            centre = item.mapToScene(QPointF(item.width() / 2, item.height() / 2)).toPoint()
            QTest.mouseClick(window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre)
            state["touches"] += 1
            if state["touches"] == args.warmup:
                state["start"] = (sys.getrefcount(True), sys.getrefcount(None))
            if state["touches"] >= args.touches:
                timer.stop()
                app.qt.exit(0)
        except Exception as exc:  # noqa: BLE001 - reported in the JSON, the test fails on it
            state["error"] = f"{type(exc).__name__}: {exc}"
            timer.stop()
            app.qt.exit(3)

    timer = QTimer()
    timer.setInterval(2)  # leave the event loop room to lay out and paint between touches
    timer.timeout.connect(touch)
    timer.start()
    code = app.qt.exec()
    end = (sys.getrefcount(True), sys.getrefcount(None))
    report = {
        "touches": state["touches"],
        "screens": sorted(state["screens"]),
        "true_start": state["start"][0] if state["start"] else None,
        "none_start": state["start"][1] if state["start"] else None,
        "true_end": end[0],
        "none_end": end[1],
        "error": state["error"],
    }
    print(json.dumps(report), flush=True)
    app.close()
    return code


if __name__ == "__main__":
    sys.exit(main())
