""""Call a helper" that reaches a person: a chime, a flag on screen, and the staff's own device.

`HelpCall` is started by the citizen's button. It plays a chime at once, keeps
`waiting` true (the screen shows a flag seen from the counter, with how many
minutes the citizen has waited, updated as they pass), and, where
`[help] notify_url` is set, POSTs a small JSON notice to it off the GUI thread,
then a reminder every `remind_seconds` while nobody has come. The notice holds
no personal data: kiosk id, service id, step, seconds waiting. The wipe (or a
helper signing in) ends the call and tells the staff it is over.
"""
from __future__ import annotations

import ipaddress
import json
import logging
import math
import struct
import time
import urllib.error
import urllib.parse
import urllib.request
import wave
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, QTimer, QUrl, Signal

from ui.tasks import TaskManager

log = logging.getLogger(__name__)

# What a notice may hold; anything else is dropped, so no answer can ever leak into it.
NOTICE_FIELDS = ("event", "kiosk_id", "service", "step", "seconds_waiting")
EVENTS = ("called", "reminder", "cancelled")


def notify_url_problem(url: str) -> str | None:
    """Why this URL may not be used (None if it may): https, or http only to this machine."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname:
        host = parts.hostname
        try:
            if host == "localhost" or ipaddress.ip_address(host).is_loopback:
                return None
        except ValueError:
            pass
        return "[help] notify_url must use https (http only to this machine)"
    return "[help] notify_url is not an http(s) URL"


def build_notice(event: str, kiosk_id: str, service: str, step: str, seconds_waiting: float) -> dict:
    """The JSON body sent to the staff: fixed fields, no personal data."""
    if event not in EVENTS:
        raise ValueError(f"unknown help event {event!r}")
    return {"event": event, "kiosk_id": kiosk_id, "service": service, "step": step,
            "seconds_waiting": int(seconds_waiting)}


def post_notice(url: str, notice: dict, timeout: float) -> int:
    """POST the notice (TLS verified by urllib's default context); the HTTP status, or raise OSError."""
    body = json.dumps({k: notice[k] for k in NOTICE_FIELDS}).encode("utf-8")
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json", "User-Agent": "ponte-kiosk"})
    # No proxy from the environment: the staff's device is on the kiosk's own network.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=timeout) as response:
        return response.status


def write_chime(path: Path) -> Path:
    """A short two-tone chime as a WAV file (made here: no binary asset in the repository)."""
    if path.is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    rate = 22050
    frames = bytearray()
    for freq, seconds in ((880.0, 0.18), (660.0, 0.32)):
        n = int(rate * seconds)
        for i in range(n):
            fade = min(1.0, i / 300, (n - i) / 2000)
            frames += struct.pack("<h", int(9000 * fade * math.sin(2 * math.pi * freq * i / rate)))
    tmp = path.with_suffix(".tmp")
    with wave.open(str(tmp), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(frames))
    tmp.replace(path)
    return path


class HelpCall(QObject):
    """One citizen's call for a helper, from the button to the wipe."""

    changed = Signal()  # waiting began or ended
    minuteChanged = Signal()  # one more whole minute of waiting (the flag's count)
    notified = Signal(str, int)  # event, HTTP status (0: not sent); for the log and tests

    def __init__(self, *, kiosk_id: str, notify_url: str = "", remind_seconds: float = 60.0,
                 timeout: float = 5.0, chime_path: Path | None = None, tasks: TaskManager | None = None,
                 clock: Callable[[], float] = time.monotonic, parent: QObject | None = None):
        super().__init__(parent)
        self.kiosk_id = kiosk_id
        self.timeout = timeout
        self._clock = clock
        self._tasks = tasks or TaskManager(self)
        self.notify_url = notify_url
        problem = notify_url_problem(notify_url) if notify_url else None
        if problem:
            log.warning("%s; helpers are called by chime and flag only", problem)
            self.notify_url = ""
        self._since: float | None = None
        self._service = ""
        self._step = ""
        self._reminder = QTimer(self)
        self._reminder.setInterval(max(1, int(remind_seconds * 1000)))
        self._reminder.timeout.connect(lambda: self._notify("reminder"))
        # Looks at the clock a few times a minute; the flag changes only when the minute does.
        self._minute_timer = QTimer(self)
        self._minute_timer.setInterval(5000)
        self._minute_timer.timeout.connect(self.check_minute)
        self._minutes_shown = 0
        self._chime = None
        self._chime_path = chime_path
        self.chimes = 0  # how many times the chime was asked to play (tests; no audio offscreen)

    @property
    def waiting(self) -> bool:
        return self._since is not None

    def seconds_waiting(self) -> float:
        return 0.0 if self._since is None else max(0.0, self._clock() - self._since)

    def minutes_waiting(self) -> int:
        """Whole minutes since the call (0 in the first minute), for the flag."""
        return int(self.seconds_waiting() // 60)

    def check_minute(self) -> None:
        """Tell the flag when another whole minute has passed (called by a timer while waiting)."""
        minutes = self.minutes_waiting()
        if minutes != self._minutes_shown:
            self._minutes_shown = minutes
            self.minuteChanged.emit()

    def call(self, service: str, step: str) -> None:
        """The citizen asked for a helper: chime, flag, notice (once; a second touch only chimes again)."""
        self._service, self._step = service or "", step or ""
        self._play_chime()
        if self._since is not None:
            return
        self._since = self._clock()
        self._minutes_shown = 0
        self._minute_timer.start()
        self.changed.emit()
        self._notify("called")
        if self.notify_url:
            self._reminder.start()

    def update_step(self, service: str, step: str) -> None:
        """Where the citizen is now, for the next reminder."""
        self._service, self._step = service or "", step or ""

    def end(self, *, cancelled: bool = True) -> None:
        """A helper came, or the session was wiped: no more reminders; tell the staff if it was cancelled."""
        if self._since is None:
            return
        self._reminder.stop()
        self._minute_timer.stop()
        if cancelled:
            self._notify("cancelled")
        self._since = None
        self.changed.emit()

    def stop(self) -> None:
        """The kiosk is closing: no more reminders or minute checks, nothing sent (a closed app must not keep
        calling the staff's device)."""
        self._reminder.stop()
        self._minute_timer.stop()

    def _notify(self, event: str) -> None:
        if not self.notify_url:
            self.notified.emit(event, 0)
            return
        notice = build_notice(event, self.kiosk_id, self._service, self._step, self.seconds_waiting())
        url, timeout = self.notify_url, self.timeout

        def done(future) -> None:
            try:
                status = future.result()
            except (OSError, ValueError) as exc:  # refused, unreachable, TLS, timeout: the flag stays up
                log.warning("helper notice not delivered: %s", type(exc).__name__)
                status = 0
            self.notified.emit(event, status)
        self._tasks.run_in_background(lambda: post_notice(url, notice, timeout), done)

    def _play_chime(self) -> None:
        self.chimes += 1
        if self._chime_path is None:
            return
        try:
            if self._chime is None:
                from PySide6.QtMultimedia import QSoundEffect
                self._chime = QSoundEffect(self)
                self._chime.setSource(QUrl.fromLocalFile(str(write_chime(self._chime_path))))
            self._chime.play()
        except (ImportError, OSError) as exc:  # no audio on this machine: the flag still shows
            log.warning("help chime not played: %s", type(exc).__name__)

    def wait_idle(self, msecs: int = 5000) -> bool:
        """Let notices in flight finish (shutdown and tests)."""
        return self._tasks.wait(msecs)
