"""`kiosk run` (the touch screen), `kiosk demo`, and `kiosk screenshots`."""
from __future__ import annotations

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

    try:
        app = KioskApp(config, windowed=args.windowed, size=_size(args.size))
    except RuntimeError as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return 1
    for problem in app.catalogue.problems:
        print(f"kiosk: service left out: {problem}", file=sys.stderr)
    return app.qt.exec()


def screenshots(args, config: Config) -> int:
    from ui.screenshots import render_all
    written = render_all(config, args.outdir, _size(args.size), languages=args.lang, services=args.service)
    print(f"{len(written)} screenshots in {args.outdir}")
    return 0 if written else 1
