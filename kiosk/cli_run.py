"""`kiosk run` (the touch screen), `kiosk demo`, and `kiosk screenshots`."""
from __future__ import annotations

import dataclasses
import os
import signal
import sys
from pathlib import Path

from kiosk.config import Config


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise SystemExit(f"kiosk: --size must look like 1366x768, not {text!r}") from None
    return width, height


def register(sub) -> None:
    run = sub.add_parser("run", help="start the touch screen kiosk (full screen)")
    run.add_argument("--windowed", action="store_true", help="a normal window that can be closed (development)")
    run.add_argument("--size", default="1366x768", help="window size when windowed, e.g. 1920x1080")
    run.set_defaults(handler=run_kiosk)
    demo = sub.add_parser("demo", help="the kiosk with the sample services and a local dev-backend")
    demo.add_argument("--windowed", action="store_true", help="a normal window instead of full screen")
    demo.add_argument("--size", default="1366x768", help="window size when windowed")
    demo.add_argument("--port", type=int, default=8765, help="dev-backend port (another is chosen if taken)")
    demo.set_defaults(handler=run_demo)
    shots = sub.add_parser("screenshots", help="render every screen of every service in every language to PNG")
    shots.add_argument("outdir", type=Path)
    shots.add_argument("--size", default="1366x768")
    shots.add_argument("--lang", action="append", help="only these languages (repeatable)")
    shots.add_argument("--service", action="append", help="only these services (repeatable)")
    shots.set_defaults(handler=screenshots)


def run_kiosk(args, config: Config) -> int:
    from ui.app import prepare_environment
    prepare_environment()
    from ui.app import KioskApp

    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("QT_QPA_PLATFORM")):
        print("kiosk: no screen found (DISPLAY/WAYLAND_DISPLAY unset). Start it from a desktop session, "
              "under cage, or try `xvfb-run kiosk demo` / `kiosk screenshots DIR`.", file=sys.stderr)
        return 1
    try:
        app = KioskApp(config, windowed=args.windowed, size=_size(args.size), sync=True)
    except RuntimeError as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return 1
    for problem in app.catalogue.problems:
        print(f"kiosk: service left out: {problem}", file=sys.stderr)
    _quit_on_ctrl_c(app)
    try:
        return app.qt.exec()
    finally:
        app.close()


def _quit_on_ctrl_c(app) -> None:
    """Ctrl-C in the terminal ends a development run (Qt's loop would otherwise swallow it)."""
    from PySide6.QtCore import QTimer

    def stop(*_):
        app.state.set_allow_exit(True)
        app.qt.quit()
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    app._signal_timer = QTimer()  # wakes Python regularly so the handler can run
    app._signal_timer.start(250)
    app._signal_timer.timeout.connect(lambda: None)


def run_demo(args, config: Config) -> int:
    """Start a dev-backend on 127.0.0.1 and a kiosk whose every service submits to it."""
    from kiosk.config import Destination
    from offline_queue.devbackend import DevBackend, load_keys
    from offline_queue.keys import dev_backend_dir

    key_dir = dev_backend_dir(config.data_dir)
    key_dir.mkdir(parents=True, exist_ok=True)
    keys = load_keys(key_dir)
    try:
        backend = DevBackend(key_dir / "backend.db", keys, port=args.port)
    except OSError:
        backend = DevBackend(key_dir / "backend.db", keys, port=0)  # the port is taken: any free one
    backend.start()
    demo_config = dataclasses.replace(config, destinations={"*": Destination("*", "rest", backend.url,
                                                                                {"allow_http": True})},
                                      raw={k: v for k, v in config.raw.items() if k != "queue"})
    print(f"Ponte demo: dev-backend on {backend.url}; data in {config.data_dir}")
    print("  watch submissions arrive:  kiosk queue status   (Ctrl-C here ends the demo)")
    try:
        return run_kiosk(args, demo_config)
    finally:
        backend.stop()


def screenshots(args, config: Config) -> int:
    from ui.screenshots import render_all
    written = render_all(config, args.outdir, _size(args.size), languages=args.lang, services=args.service)
    print(f"{len(written)} screenshots in {args.outdir}")
    return 0 if written else 1
