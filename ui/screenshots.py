"""Render every screen of every service in every language to PNG, offscreen.

The journey is driven through the same bridge slots the screens call, with
fictitious answers from `kiosk.samples`; submissions go to a throw-away queue
in a temporary folder, never to the kiosk's real one.
"""
from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

from ui.app import prepare_environment


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


def render_all(config, outdir: Path, size: tuple[int, int], *, languages=None, services=None) -> list[Path]:
    prepare_environment(offscreen=True)
    from PySide6.QtCore import QCoreApplication

    from kiosk.journey import CHECK
    from kiosk.samples import sample_answer
    from ui.app import KioskApp

    outdir = Path(outdir)
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="ponte-shots-") as tmp:
        # A private queue: screenshots must never add to the kiosk's real outbox.
        shot_config = dataclasses.replace(config, data_dir=Path(tmp))
        now = [0.0]  # our own clock, so the idle warning can be shown without waiting a minute
        app = KioskApp(shot_config, windowed=True, size=size, clock=lambda: now[0])
        bridge = app.bridge
        langs = languages or list(config.languages)
        tag = f"{size[0]}x{size[1]}"
        try:
            written.append(_grab(app, outdir / tag / "00-attract.png"))
            for lang in langs:
                bridge.wipe()
                bridge.start()
                bridge.chooseLanguage(lang)
                written.append(_grab(app, outdir / tag / lang / "01-services.png"))
                bridge.back()
                written.append(_grab(app, outdir / tag / lang / "00-language.png"))
                for service in app.catalogue.for_language(lang):
                    if services and service.id not in services:
                        continue
                    bridge.wipe()
                    bridge.start()
                    bridge.chooseLanguage(lang)
                    bridge.chooseService(service.id)
                    folder = outdir / tag / lang / service.id
                    step = 0
                    while bridge.journey.step != CHECK:
                        page = bridge.journey.page
                        step += 1
                        if step == 1 and page.required:
                            bridge.next()  # show the error message a citizen sees for an empty answer
                            written.append(_grab(app, folder / f"{step:02d}-{page.id}-error.png"))
                        answer = sample_answer(page, service)
                        if page.type in ("single_choice", "yes_no"):
                            bridge.chooseOption(answer)
                        elif page.type == "multiple_choice":
                            for value in answer:
                                bridge.chooseOption(value)
                        else:
                            bridge.setAnswer(answer)
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
            bridge.wipe()
        finally:
            app.close()
            QCoreApplication.processEvents()
    return written
