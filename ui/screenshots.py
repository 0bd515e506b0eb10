"""Render every screen of every service in every language to PNG, offscreen, at one or more sizes.

The journey is driven through the same bridge slots the screens call, with
fictitious answers from `kiosk.samples`; submissions go to a throw-away queue
in a temporary folder, never to the kiosk's real one. One window is resized
from size to size, so a whole set of sizes costs one start-up.
"""
from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path
from typing import Iterable

from ui.app import prepare_environment

Size = tuple[int, int]


def answer_with_sample(bridge, page, service) -> None:
    """Answer `page` through the screens' bridge as a citizen would, with the sample answer of kiosk.samples."""
    from kiosk.samples import sample_answer
    answer = sample_answer(page, service)
    if page.type in ("single_choice", "yes_no"):
        bridge.chooseOption(answer)
    elif page.type == "multiple_choice":
        for value in answer:
            bridge.chooseOption(value)
    else:
        bridge.setAnswer(answer)


def _settle(app, rounds: int = 6) -> None:
    from PySide6.QtCore import QCoreApplication, QEventLoop, QThread
    for _ in range(rounds):
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        QThread.msleep(5)


def _grab(app, path: Path) -> Path:
    _settle(app)
    image = app.window.grabWindow()
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(str(path))
    return path


def _popup(app, name: str, shown: bool) -> None:
    from PySide6.QtCore import QObject
    popup = app.window.findChild(QObject, name)
    if popup is not None:
        popup.setProperty("visible", shown)


def render_all(config, outdir: Path, sizes: Size | Iterable[Size], *, languages=None, services=None) -> list[Path]:
    """Write PNGs under outdir/WIDTHxHEIGHT/LANG/SERVICE/ and return their paths."""
    prepare_environment(offscreen=True)
    from PySide6.QtCore import QCoreApplication

    from ui.app import KioskApp

    size_list: list[Size] = [sizes] if isinstance(sizes, tuple) and len(sizes) == 2 and \
        all(isinstance(n, int) for n in sizes) else list(sizes)  # type: ignore[arg-type]
    outdir = Path(outdir)
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="ponte-shots-") as tmp:
        # A private queue: screenshots must never add to the kiosk's real outbox.
        shot_config = dataclasses.replace(config, data_dir=Path(tmp))
        now = [0.0]  # our own clock, so the idle warning can be shown without waiting a minute
        app = KioskApp(shot_config, windowed=True, size=size_list[0], clock=lambda: now[0])
        try:
            for size in size_list:
                app.window.resize(*size)
                _settle(app)
                written += _render_size(app, config, outdir / f"{size[0]}x{size[1]}", now,
                                        languages or list(config.languages), services)
            app.bridge.wipe()
        finally:
            app.close()
            QCoreApplication.processEvents()
    return written


def _render_size(app, config, folder_for_size: Path, now: list, langs: list, services) -> list[Path]:
    from kiosk.journey import CHECK

    bridge = app.bridge
    written: list[Path] = []
    bridge.wipe()
    written.append(_grab(app, folder_for_size / "00-attract.png"))
    for lang in langs:
        bridge.wipe()
        bridge.start()
        bridge.chooseLanguage(lang)
        written.append(_grab(app, folder_for_size / lang / "01-services.png"))
        bridge.back()
        written.append(_grab(app, folder_for_size / lang / "00-language.png"))
        for service in app.catalogue.for_language(lang):
            if services and service.id not in services:
                continue
            bridge.wipe()
            bridge.start()
            bridge.chooseLanguage(lang)
            bridge.chooseService(service.id)
            folder = folder_for_size / lang / service.id
            written.append(_grab(app, folder / "02-start.png"))
            bridge.showDataNotice(True)
            written.append(_grab(app, folder / "03-data-notice.png"))
            bridge.showDataNotice(False)
            bridge.begin()
            step = 3
            while bridge.journey.step != CHECK:
                page = bridge.journey.page
                step += 1
                if step == 4 and page.required:
                    bridge.next()  # show the error message a citizen sees for an empty answer
                    written.append(_grab(app, folder / f"{step:02d}-{page.id}-error.png"))
                    _popup(app, "startAgainPopup", True)
                    written.append(_grab(app, folder / f"{step:02d}-start-again.png"))
                    _popup(app, "startAgainPopup", False)
                if page.stop is not None:
                    bridge.chooseOption(page.stop.when.equals)
                    bridge.next()
                    written.append(_grab(app, folder / f"{step:02d}-{page.id}-stopped.png"))
                    bridge.back()
                answer_with_sample(bridge, page, service)
                bridge.changed.emit()
                _settle(app)
                # Show the on-screen keyboard as the citizen sees it while typing.
                field = app.item("answerField") or app.item("answerArea") or app.item("dayField")
                if field is not None and page.type not in ("single_choice", "yes_no", "multiple_choice"):
                    field.forceActiveFocus()
                written.append(_grab(app, folder / f"{step:02d}-{page.id}.png"))
                bridge.next()
            written.append(_grab(app, folder / "90-check.png"))
            bridge.submit()  # without consent: the refusal a citizen sees
            written.append(_grab(app, folder / "90-check-no-consent.png"))
            if service is app.catalogue.for_language(lang)[0]:
                bridge.help.call(service.id, "check")  # the flag the counter sees (no card over it)
                written.append(_grab(app, folder / "90-check-helper-flag.png"))
                bridge.help.end()
                now[0] += config.idle_seconds + 3
                bridge._tick()
                written.append(_grab(app, folder / "91-idle-warning.png"))
                bridge.moreTime()
            bridge.giveConsent(True)
            bridge.submit()
            for _ in range(200):
                if bridge.screen == "done":
                    break
                _settle(app, 1)
            written.append(_grab(app, folder / "99-done.png"))
    return written
