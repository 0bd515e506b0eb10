"""Are headphones plugged in? The hardware edge behind private listening (EN 301 549 5.1.3.9).

Every source has the same small interface: `plugged` (now), `listeners` (called with the new state on
each change), `poll()` (read what happened since the last call; never blocks), `poll_ms` (how often the
ui layer should call `poll()`; 0 = never) and `close()`. Nothing here imports Qt: the timer lives in
`ui.voice_bridge`.

- `EvdevHeadphones`: the Linux input switch events of the sound card's jack: `struct input_event`
  records with type EV_SW and code SW_HEADPHONE_INSERT read from /dev/input/eventN (non-blocking,
  `os.read`). The state at start comes from the EVIOCGSW ioctl (a plain file or pipe, as in tests, has
  none: unplugged until an event says otherwise). The kiosk's user must be able to read the device
  (group `input` on Debian).
- `PulseHeadphones`: PulseAudio's (or PipeWire's) active sink port, from `pactl list sinks`.
- `NoHeadphones`: never plugged (setting "none", or nothing found).
- `FakeHeadphones`: plug() and unplug() by hand, for tests and demos.

`open_headphones(setting)` reads the `[voice] headphones` setting: "auto" (the first input device
whose switch capabilities include SW_HEADPHONE_INSERT, else PulseAudio when `pactl` is there, else
none), "none", "pulse" or "evdev:/dev/input/eventN".
"""
from __future__ import annotations

import errno
import fcntl
import logging
import os
import shutil
import struct
import subprocess
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

EV_SYN, EV_SW = 0x00, 0x05
SYN_DROPPED = 0x03
SW_HEADPHONE_INSERT = 0x02
# struct input_event { struct timeval time; __u16 type; __u16 code; __s32 value; } (native longs)
INPUT_EVENT = struct.Struct("@llHHi")
_SW_BYTES = 8  # room for every switch bit (SW_MAX is 0x10)
EVIOCGSW = (2 << 30) | (_SW_BYTES << 16) | (ord("E") << 8) | 0x1B  # _IOC(_IOC_READ, 'E', 0x1b, len)


class HeadphoneSource:
    """Plugged or not, and who to tell when that changes."""

    poll_ms = 0

    def __init__(self, plugged: bool = False):
        self.plugged = plugged
        self.listeners: list[Callable[[bool], None]] = []

    def _set(self, plugged: bool) -> None:
        if plugged != self.plugged:
            self.plugged = plugged
            for listener in list(self.listeners):
                listener(plugged)

    def poll(self) -> None:
        """Take in what happened since the last call (listeners hear of a change); never blocks."""

    def close(self) -> None:
        self.listeners.clear()


class NoHeadphones(HeadphoneSource):
    """No jack to watch: never plugged."""


class FakeHeadphones(HeadphoneSource):
    """Headphones plugged and unplugged by hand (tests, demos)."""

    def plug(self) -> None:
        self._set(True)

    def unplug(self) -> None:
        self._set(False)


def encode_event(type_: int, code: int, value: int, sec: int = 0, usec: int = 0) -> bytes:
    """One `struct input_event` record as the kernel writes it (tests and demos write these to files)."""
    return INPUT_EVENT.pack(sec, usec, type_, code, value)


def switch_state(fd: int) -> bool | None:
    """SW_HEADPHONE_INSERT now, from the EVIOCGSW ioctl; None when `fd` is not an input device."""
    buf = bytearray(_SW_BYTES)
    try:
        fcntl.ioctl(fd, EVIOCGSW, buf, True)
    except OSError:
        return None
    return bool(buf[SW_HEADPHONE_INSERT // 8] & (1 << (SW_HEADPHONE_INSERT % 8)))


class EvdevHeadphones(HeadphoneSource):
    """The jack switch of /dev/input/eventN (or any file or pipe of `input_event` records)."""

    poll_ms = 250

    def __init__(self, path: str | os.PathLike[str]):
        super().__init__(False)
        self.path = Path(path)
        self._buffer = b""
        self._fd: int | None = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        self.plugged = bool(switch_state(self._fd))

    def poll(self) -> None:
        while self._fd is not None:
            try:
                chunk = os.read(self._fd, INPUT_EVENT.size * 64)
            except BlockingIOError:
                return  # nothing new
            except OSError as exc:  # the device went away (a USB sound card unplugged)
                log.warning("headphone switch %s: %s; no longer watched", self.path, errno.errorcode.get(
                    exc.errno or 0, exc))
                self.close()
                self._set(False)
                return
            if not chunk:
                return  # end of a file, or the writer of a pipe is gone: maybe more later
            self._buffer += chunk
            whole = len(self._buffer) - len(self._buffer) % INPUT_EVENT.size
            records, self._buffer = self._buffer[:whole], self._buffer[whole:]
            for _sec, _usec, type_, code, value in INPUT_EVENT.iter_unpack(records):
                if type_ == EV_SW and code == SW_HEADPHONE_INSERT:
                    self._set(bool(value))
                elif type_ == EV_SYN and code == SYN_DROPPED and self._fd is not None:
                    # The kernel's buffer overflowed: events were lost; ask for the state itself.
                    state = switch_state(self._fd)
                    if state is not None:
                        self._set(state)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        super().close()


def parse_pactl_sinks(text: str) -> bool:
    """Is a headphone port the active port of a sink, in `pactl list sinks` output (LC_ALL=C)?"""
    for line in text.splitlines():
        name, _, value = line.strip().partition(":")
        if name == "Active Port" and "headphone" in value.lower():
            return True
    return False


class PulseHeadphones(HeadphoneSource):
    """PulseAudio's (or PipeWire's) view: a sink whose active port is the headphones."""

    poll_ms = 2000

    def __init__(self, pactl: str = "pactl"):
        super().__init__(False)
        self.pactl = pactl
        state = self._ask()
        self.answers = state is not None  # False: no sound server to ask (then "auto" does not poll it)
        self.plugged = bool(state)

    def _ask(self) -> bool | None:
        try:
            done = subprocess.run([self.pactl, "list", "sinks"], capture_output=True, text=True, timeout=2,
                                  env={**os.environ, "LC_ALL": "C"})
        except (OSError, subprocess.TimeoutExpired):
            return None
        return parse_pactl_sinks(done.stdout) if done.returncode == 0 else None

    def poll(self) -> None:
        state = self._ask()
        if state is not None:
            self._set(state)


def has_headphone_switch(capabilities: str) -> bool:
    """Does a /sys/class/input/eventN/device/capabilities/sw bitmap (hex words, highest first) hold
    SW_HEADPHONE_INSERT?"""
    words = capabilities.split()
    try:
        return bool(words) and bool(int(words[-1], 16) & (1 << SW_HEADPHONE_INSERT))
    except ValueError:
        return False


def find_switch_devices(sys_root: Path = Path("/sys/class/input"), dev_root: Path = Path("/dev/input")) -> list[Path]:
    """The input devices that report headphone insertion, in name order."""
    found = []
    for event in sorted(sys_root.glob("event*"), key=lambda p: (len(p.name), p.name)):
        try:
            capabilities = (event / "device" / "capabilities" / "sw").read_text()
        except OSError:
            continue
        if has_headphone_switch(capabilities):
            found.append(dev_root / event.name)
    return found


def open_headphones(setting: str, *, sys_root: Path = Path("/sys/class/input"),
                    dev_root: Path = Path("/dev/input")) -> HeadphoneSource:
    """The source the `[voice] headphones` setting names; never raises (NoHeadphones instead)."""
    if setting == "none":
        return NoHeadphones()
    if setting.startswith("evdev:"):
        candidates = [Path(setting.removeprefix("evdev:"))]
    elif setting in ("auto", "pulse"):
        candidates = find_switch_devices(sys_root, dev_root) if setting == "auto" else []
    else:
        log.warning("[voice] headphones: unknown source; headphones are not watched")
        return NoHeadphones()
    for path in candidates:
        try:
            return EvdevHeadphones(path)
        except OSError as exc:
            log.warning("headphone switch %s not readable (%s): is the kiosk's user in the group 'input'?",
                        path, exc.strerror)
    if setting in ("auto", "pulse") and shutil.which("pactl"):
        pulse = PulseHeadphones()
        if pulse.answers or setting == "pulse":
            return pulse
    if setting != "auto":
        log.warning("[voice] headphones = %r: nothing to watch; headphones are not detected", setting)
    return NoHeadphones()
