"""Where a document's page images come from, behind one interface: a SANE scanner (`scanimage`), files on a
USB stick, and - in the screens - a camera. The screen asks a source for one page at a time and shows it
before it is kept (Retake, Remove); processing (downscale, strip metadata) happens in `imaging`.

A capture error's message says what the mediator can do and never holds image data.
"""
from __future__ import annotations

import logging
import os
import shutil
import subprocess
from pathlib import Path
from typing import Protocol, runtime_checkable

from kiosk.documents import DocumentError

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp")
MAX_FILE_BYTES = 60 * 1024 * 1024


class CaptureError(DocumentError):
    """A page could not be captured; the message says what to do (check the cable, insert the stick...)."""

    def __init__(self, message: str, key: str = "capture_failed"):
        super().__init__(message, key)


@runtime_checkable
class PageSource(Protocol):
    """One way of getting page images: a scanner, a folder of files, a camera."""

    name: str  # shown to the mediator: "Scanner (test)", "USB stick"

    def available(self) -> bool:
        """Whether a page can be captured now (the device answers, the stick has images left)."""

    def capture(self) -> bytes:
        """One page as image file bytes (PNG, JPEG...), not yet processed; CaptureError if none."""


class ScannerSource:
    """A SANE scanner through `scanimage` (Debian's sane-utils), one page per call, PNG on stdout.

    `device` is a SANE device name (`scanimage -L` lists them; "test" is SANE's own test backend); `options`
    are further backend options, e.g. ["--test-picture", "Color pattern"] or ["--source", "Flatbed"]."""

    def __init__(self, device: str, resolution: int = 150, mode: str = "Color", options: list[str] | None = None,
                 timeout: float = 120.0, scanimage: str = "scanimage"):
        if not device or device.startswith("-"):
            raise ValueError("device is a SANE device name such as 'test' or 'epson2:libusb:001:004'")
        self.device = device
        self.resolution = int(resolution)
        self.mode = mode
        self.options = list(options or [])
        self.timeout = timeout
        self.scanimage = scanimage
        self.name = f"Scanner ({device})"

    def _binary(self) -> str | None:
        return shutil.which(self.scanimage)

    def available(self) -> bool:
        return self._binary() is not None

    def command(self) -> list[str]:
        """The scanimage command line (no personal data on it: device and options only)."""
        return [self._binary() or self.scanimage, "-d", self.device, "--format=png",
                f"--resolution={self.resolution}", f"--mode={self.mode}", *self.options]

    def capture(self) -> bytes:
        if self._binary() is None:
            raise CaptureError("scanimage is not installed: install the sane-utils package (packaging/setup-debian.sh)")
        try:
            # A private temporary directory is not needed: the image comes on stdout, never on disk.
            done = subprocess.run(self.command(), capture_output=True, timeout=self.timeout, check=False,
                                  env={**os.environ, "LC_ALL": "C"})
        except subprocess.TimeoutExpired:
            raise CaptureError(f"the scanner {self.device} gave no page within {self.timeout:.0f} s: check that it "
                               "is on and connected, then scan again") from None
        except OSError as exc:
            raise CaptureError(f"scanimage could not be started ({exc.strerror})") from None
        if done.returncode != 0 or not done.stdout.startswith(b"\x89PNG"):
            words = done.stderr.decode("utf-8", "replace").strip().splitlines()
            why = words[-1][:200] if words else f"exit status {done.returncode}"
            raise CaptureError(f"the scanner {self.device} did not scan: {why}; check that it is on, connected "
                               "and has a page on the glass, then scan again")
        return done.stdout


def scanners(scanimage: str = "scanimage", timeout: float = 30.0) -> list[str]:
    """SANE device names `scanimage -L` finds (may take seconds: it probes USB and the network)."""
    binary = shutil.which(scanimage)
    if binary is None:
        return []
    try:
        done = subprocess.run([binary, "-f", "%d%n"], capture_output=True, timeout=timeout, check=False)
    except (subprocess.TimeoutExpired, OSError):
        return []
    return [line for line in done.stdout.decode("utf-8", "replace").splitlines() if line.strip()]


class FileSource:
    """Image files, e.g. from a USB stick, handed on one at a time in the order given (or sorted by name)."""

    def __init__(self, paths: list[Path], name: str = "USB stick"):
        self.paths = [Path(p) for p in paths]
        self.name = name
        self._next = 0

    @classmethod
    def from_folder(cls, folder: Path, name: str = "USB stick") -> "FileSource":
        """The image files directly in a folder (a stick's root), sorted by name; hidden files left out."""
        try:
            found = sorted(p for p in Path(folder).iterdir() if p.is_file() and not p.name.startswith(".")
                           and p.suffix.lower() in IMAGE_SUFFIXES)
        except OSError as exc:
            raise CaptureError(f"the folder {folder} cannot be read ({exc.strerror}); is the stick inserted?") from None
        return cls(found, name)

    def available(self) -> bool:
        return self._next < len(self.paths)

    def capture(self) -> bytes:
        if not self.available():
            raise CaptureError("no more image files on the stick")
        path = self.paths[self._next]
        self._next += 1
        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                raise CaptureError(f"{path.name} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB; scan it instead")
            with path.open("rb") as f:
                return f.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise CaptureError(f"{path.name} cannot be read ({exc.strerror}); was the stick removed?") from None
