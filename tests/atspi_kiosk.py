"""Run the real kiosk on an X display and walk one journey, pausing on each screen for a reader.

Started by tests/test_atspi.py under Xvfb with a D-Bus session bus, so that Qt's AT-SPI bridge
exposes the window to assistive technology (the offscreen platform has none):

    python -m tests.atspi_kiosk --service birth-certificate --data-dir /tmp/a11y

Protocol on stdout/stdin, one JSON line each way: the driver prints
`{"screen": "question:dob", "pid": 1234}` when a screen is settled (answered, for a question,
so that the chosen option's state can be read), and waits, with Qt's event loop still running
so that the accessibility bridge answers, for a line on stdin: `next` moves on, `quit` ends.
After the last screen it prints `{"end": true}`. With `--watch` it touches nothing and prints a
line each time the screen changes (a reader drives it through AT-SPI actions) until `quit`.
"""
from __future__ import annotations

import argparse
import json
import os
import queue
import sys
import threading
from pathlib import Path


class _Bot:
    """The few pytest-qt `qtbot` calls tests/ui_driver.Driver needs, without pytest."""

    def wait(self, ms: int) -> None:
        from PySide6.QtTest import QTest
        QTest.qWait(ms)

    def waitExposed(self, window, timeout: int = 5000) -> None:  # noqa: N802 - qtbot's name
        from PySide6.QtTest import QTest
        QTest.qWaitForWindowExposed(window, timeout)

    def waitUntil(self, check, timeout: int = 2000) -> None:  # noqa: N802 - qtbot's name
        from PySide6.QtTest import QTest
        waited = 0
        while not check():
            if waited >= timeout:
                raise TimeoutError("condition not met")
            QTest.qWait(20)
            waited += 20


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--service", required=True)
    parser.add_argument("--language", default="en")
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--camera", default="",
                        help='[documents] camera for document questions, e.g. "files:FOLDER" (the file-fed camera)')
    parser.add_argument("--watch", action="store_true",
                        help="touch nothing: report each new screen while an AT-SPI reader drives")
    args = parser.parse_args(argv)

    os.environ["QT_QPA_PLATFORM"] = "xcb"
    os.environ["QT_LINUX_ACCESSIBILITY_ALWAYS_ON"] = "1"
    os.environ.setdefault("QT_QUICK_CONTROLS_STYLE", "Basic")
    os.environ["PONTE_DATA_DIR"] = str(args.data_dir)

    from kiosk.journey import CHECK
    from kiosk.samples import sample_answer
    from tests.queue_fixtures import make_queue_config
    from tests.ui_driver import Driver
    from ui.app import KioskApp

    args.data_dir.mkdir(parents=True, exist_ok=True)
    config, _private_key = make_queue_config(args.data_dir)
    if args.camera:  # "Take a photo" on document questions, from a folder of images (documents/camera.py)
        from kiosk.config import config_from_dict
        config = config_from_dict({**config.raw, "documents": {"camera": args.camera, "scanner": "none",
                                                               "usb_dirs": []}})
    app = KioskApp(config, windowed=True, size=(1366, 768))
    bot = _Bot()
    driver = Driver(app, bot)
    bridge = app.bridge
    service = app.catalogue.services[args.service]

    lines: queue.Queue[str] = queue.Queue()

    def read_stdin() -> None:
        for line in sys.stdin:
            lines.put(line.strip())
        lines.put("quit")

    threading.Thread(target=read_stdin, daemon=True).start()

    def pause() -> None:
        bot.wait(300)  # let the new screen lay out and the bridge announce its children
        print(json.dumps({"screen": _name(), "pid": os.getpid()}), flush=True)
        while True:
            try:
                line = lines.get_nowait()
            except queue.Empty:
                bot.wait(20)  # keep the event loop (and with it the AT-SPI bridge) answering
                continue
            if line == "quit":
                app.close()
                sys.exit(0)
            return

    def _name() -> str:
        page = getattr(bridge.journey, "page", None) if bridge.journey else None
        return f"{bridge.screen}:{page.id}" if bridge.screen == "question" and page else bridge.screen

    if args.watch:
        # Nothing is touched here: the reader drives through AT-SPI; each new screen is reported.
        shown = None
        while True:
            name = _name()
            if name != shown:
                bot.wait(300)  # the new screen's items reach the bridge a frame or two later
                shown = name
                print(json.dumps({"screen": name, "pid": os.getpid(), "error": bridge.error}), flush=True)
            try:
                if lines.get_nowait() == "quit":
                    break
            except queue.Empty:
                bot.wait(50)
        app.close()
        return 0

    pause()                                    # attract
    driver.click("startButton")
    pause()                                    # language
    driver.click(f"lang_{args.language}")
    pause()                                    # services
    driver.click(f"service_{args.service}")
    pause()                                    # start page
    driver.click("nextButton")
    for _ in range(len(service.pages) + 1):
        if bridge.journey.step == CHECK:
            break
        page = bridge.journey.page
        driver.answer_page(page, service, sample_answer(page, service))
        pause()                                # each question, answered
        driver.click("nextButton")
    pause()                                    # check your answers
    driver.click("consentButton")
    pause()                                    # consent given
    driver.click("submitButton")
    bot.waitUntil(lambda: bridge.screen == "done", timeout=10000)
    pause()                                    # done
    print(json.dumps({"end": True}), flush=True)
    app.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
