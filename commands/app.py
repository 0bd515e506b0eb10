"""`kiosk run` (the touch screen), `kiosk demo` and `kiosk screenshots`: the commands that start Qt."""
from __future__ import annotations

import dataclasses
import os
import signal
from pathlib import Path
from typing import Any, cast

import click

from commands.base import BadInput, Env, Failure, exit_with, pass_config
from kiosk.config import Config, Destination


class Size(click.ParamType):
    """A window size written WIDTHxHEIGHT."""

    name = "WIDTHxHEIGHT"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> tuple[int, int]:
        if isinstance(value, tuple):
            return value
        try:
            width, height = (int(part) for part in str(value).lower().split("x"))
        except ValueError:
            self.fail(f"must look like 1366x768, not {value!r}", param, ctx)
        if not (100 <= width <= 10000 and 100 <= height <= 10000):
            self.fail(f"{value} is not a screen size", param, ctx)
        return width, height


SIZE = Size()


def _has_screen() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("QT_QPA_PLATFORM"))


def start_kiosk(config: Config, windowed: bool, size: tuple[int, int]) -> int:
    """Run the touch screen until it is left; returns Qt's exit code."""
    from ui.app import prepare_environment
    prepare_environment()
    from ui.app import KioskApp

    if not _has_screen():
        raise Failure("no screen found (DISPLAY/WAYLAND_DISPLAY unset). Start it from a desktop session, "
                      "under cage, or try `xvfb-run kiosk demo` / `kiosk screenshots DIR`.")
    try:
        app = KioskApp(config, windowed=windowed, size=size, sync=True)
    except RuntimeError as exc:
        raise Failure(str(exc)) from None
    for problem in app.catalogue.problems:
        click.echo(f"kiosk: service left out: {problem}", err=True)
    _quit_on_signals(app)
    try:
        return int(app.qt.exec())
    finally:
        app.close()


def _quit_on_signals(app: Any) -> None:
    """Ctrl-C or SIGTERM ends the run (Qt's loop would otherwise swallow them)."""
    from PySide6.QtCore import QTimer

    def stop(*_: Any) -> None:
        app.state.set_allow_exit(True)
        app.qt.quit()
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    app._signal_timer = QTimer()  # wakes Python regularly so the handler can run
    app._signal_timer.start(250)
    app._signal_timer.timeout.connect(lambda: None)


_PROBLEM_QML = b"""
import QtQuick
import QtQuick.Window
Window {
    objectName: "configProblem"
    color: "#1d1d1b"
    Column {
        anchors.centerIn: parent
        width: parent.width * 0.8
        spacing: 24
        Text { width: parent.width; color: "#ffd166"; font.pixelSize: 40; font.bold: true; wrapMode: Text.Wrap
               text: "Ponte cannot start: its configuration needs fixing" }
        Text { objectName: "problemText"; width: parent.width; color: "white"; font.pixelSize: 24
               wrapMode: Text.Wrap; text: problem }
        Text { width: parent.width; color: "#cccccc"; font.pixelSize: 20; wrapMode: Text.Wrap
               text: "For staff: correct the file (kiosk config check lists every problem), then restart the kiosk." }
    }
}
"""


def show_config_problem(message: str, windowed: bool, size: tuple[int, int]) -> None:
    """Keep a screen telling the mediator why the kiosk did not start, until it is stopped (SIGTERM, Ctrl-C).

    Without it a kiosk under cage would show a black screen while systemd restarts it again and again.
    """
    from ui.app import prepare_environment
    prepare_environment()
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QGuiApplication, QWindow
    from PySide6.QtQml import QQmlApplicationEngine

    from ui.qtlog import install_qt_message_handler
    install_qt_message_handler()
    qt = QGuiApplication.instance() or QGuiApplication([])
    engine = QQmlApplicationEngine()
    engine.rootContext().setContextProperty("problem", message)
    engine.loadData(_PROBLEM_QML)
    window = cast(QWindow, engine.rootObjects()[0])
    if windowed:
        window.resize(*size)
        window.show()
    else:
        window.showFullScreen()
    previous = {sig: signal.signal(sig, lambda *_: qt.quit()) for sig in (signal.SIGINT, signal.SIGTERM)}
    timer = QTimer()  # wakes Python regularly so the signal handlers can run
    timer.start(250)
    timer.timeout.connect(lambda: None)
    click.echo("kiosk: the configuration problem is shown on the screen until the kiosk is stopped", err=True)
    try:
        qt.exec()
    finally:
        timer.stop()
        window.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@click.command()
@click.option("--windowed", is_flag=True, help="A normal window that can be closed (development).")
@click.option("--size", type=SIZE, default="1366x768", show_default=True, help="Window size when windowed.")
@click.pass_obj
def run(env: Env, windowed: bool, size: tuple[int, int]) -> None:
    """Start the touch-screen kiosk, full screen, delivering in the background (plain `kiosk` does this).

    A configuration that cannot be used stops it with one line on stderr (the journal) and, when there
    is a screen, the same words on it for the mediator.

    \b
    Example:
      kiosk run --windowed --size 1920x1080
    """
    try:
        config = env.config
    except BadInput as exc:
        exc.show()
        if _has_screen():
            show_config_problem(exc.format_message(), windowed, size)
        exit_with(exc.exit_code)
    exit_with(start_kiosk(config, windowed, size))


@click.command()
@click.option("--windowed", is_flag=True, help="A normal window instead of full screen.")
@click.option("--size", type=SIZE, default="1366x768", show_default=True, help="Window size when windowed.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Dev-backend port (another is chosen if it is taken).")
@pass_config
def demo(config: Config, windowed: bool, size: tuple[int, int], port: int) -> None:
    """The kiosk with a local dev-backend that every service submits to, for trying it out.

    \b
    Example:
      kiosk demo --windowed
    """
    from offline_queue.devbackend import DevBackend, load_keys
    from offline_queue.keys import dev_backend_dir

    key_dir = dev_backend_dir(config.data_dir)
    key_dir.mkdir(parents=True, exist_ok=True)
    keys = load_keys(key_dir)
    try:
        backend = DevBackend(key_dir / "backend.db", keys, port=port)
    except OSError:
        backend = DevBackend(key_dir / "backend.db", keys, port=0)  # the port is taken: any free one
    backend.start()
    # Every service to the dev-backend, sealed with its key (no [queue] public_key of a real backend):
    # demo_keys allows that key (offline_queue/keys.py), allow_http the plain http:// to loopback.
    demo = Destination("*", "rest", backend.url, {"demo_keys": True, "allow_http": True})
    demo_config = dataclasses.replace(config, destinations={"*": demo},
                                      raw={k: v for k, v in config.raw.items() if k not in ("queue", "destinations")})
    click.echo(f"Ponte demo: dev-backend on {backend.url}; data in {config.data_dir}")
    click.echo("  watch submissions arrive:  kiosk queue status   (Ctrl-C here ends the demo)")
    try:
        code = start_kiosk(demo_config, windowed, size)
    finally:
        backend.stop()
    exit_with(code)


@click.command()
@click.argument("outdir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--size", "sizes", type=SIZE, multiple=True,
              help="Window size, repeatable; portrait too (default: 1366x768).")
@click.option("--lang", "languages", multiple=True, help="Only this language (repeatable).")
@click.option("--service", "service_ids", multiple=True, help="Only this service (repeatable).")
@pass_config
def screenshots(config: Config, outdir: Path, sizes: tuple[tuple[int, int], ...], languages: tuple[str, ...],
                service_ids: tuple[str, ...]) -> None:
    """Render every screen of every service in every language to PNG, offscreen (no screen needed).

    \b
    Example:
      kiosk screenshots shots/ --size 1920x1080 --size 800x1280 --lang pt --service change-of-address
    """
    from ui.screenshots import render_all
    written = render_all(config, outdir, list(sizes) or [(1366, 768)], languages=list(languages) or None,
                         services=list(service_ids) or None)
    click.echo(f"{len(written)} screenshots in {outdir}")
    if not written:
        exit_with(1)
