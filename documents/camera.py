"""The camera behind one small interface: a live preview into a QML `VideoOutput` and one photo at a time.

`QtCamera` is the real adapter (QtMultimedia: `QCamera` + `QImageCapture` in a `QMediaCaptureSession`, its
video going to the `VideoOutput`'s sink). `FileCamera` has the same interface and is fed from image files: it
exists for the tests and demos on machines without a camera, and is chosen only by the configuration
(`[documents] camera = "files:FOLDER"`), never as a silent stand-in when the real camera is missing.

A photo arrives as a `QImage` through `photoTaken`; turning it into file bytes (`image_bytes`) and processing
it (`documents.imaging`) is slow and belongs on a worker thread (ui/tasks.py). A failure arrives through
`failed` as a message key (translations core: `doc.<key>`), never with image data.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QImageReader

from documents.capture import IMAGE_SUFFIXES

log = logging.getLogger(__name__)

FILES_PREFIX = "files:"
# A frame for the preview is scaled to this longest side: enough for a screen, cheap to push.
PREVIEW_SIDE = 1280


class CameraAdapter(QObject):
    """What a document screen needs of a camera; subclasses are the real one and the file-fed stand-in."""

    photoTaken = Signal(QImage)  # one photo, full resolution (never logged, never cached)
    failed = Signal(str)  # a message key: camera_failed, no_camera
    activeChanged = Signal()

    name = "Camera"

    def available(self) -> bool:
        """Whether a camera is there to use now."""
        raise NotImplementedError

    def start(self, video_sink: QObject | None) -> None:
        """Start the live preview into a QVideoSink (a QML VideoOutput's `videoSink`)."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stop the preview and release the camera (other applications, power, privacy)."""
        raise NotImplementedError

    def take_photo(self) -> None:
        """Take one photo; `photoTaken` or `failed` follows on the GUI thread."""
        raise NotImplementedError

    def is_active(self) -> bool:
        raise NotImplementedError


class QtCamera(CameraAdapter):
    """The system's camera through QtMultimedia."""

    def __init__(self, device_id: bytes | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self._device_id = device_id
        self._camera: Any = None  # QCamera, QImageCapture, QMediaCaptureSession once started
        self._capture: Any = None
        self._session: Any = None

    def _device(self):
        from PySide6.QtMultimedia import QMediaDevices
        inputs = QMediaDevices.videoInputs()
        if self._device_id is not None:
            return next((d for d in inputs if bytes(d.id().data()) == self._device_id), None)
        default = QMediaDevices.defaultVideoInput()
        return default if not default.isNull() else (inputs[0] if inputs else None)

    def available(self) -> bool:
        return self._device() is not None

    def is_active(self) -> bool:
        return self._camera is not None and self._camera.isActive()

    def start(self, video_sink: QObject | None) -> None:
        from PySide6.QtMultimedia import QCamera, QImageCapture, QMediaCaptureSession
        device = self._device()
        if device is None:
            self.failed.emit("no_camera")
            return
        if self._camera is None:
            self._session = QMediaCaptureSession(self)
            self._camera = QCamera(device, self)
            self._capture = QImageCapture(self)
            self._session.setCamera(self._camera)
            self._session.setImageCapture(self._capture)
            self._capture.imageCaptured.connect(lambda _id, image: self.photoTaken.emit(image))
            self._capture.errorOccurred.connect(self._on_capture_error)
            self._camera.errorOccurred.connect(self._on_camera_error)
            self._camera.activeChanged.connect(self.activeChanged)
        if video_sink is not None:
            self._session.setVideoSink(video_sink)
        self._camera.start()

    def stop(self) -> None:
        if self._camera is not None:
            self._camera.stop()
            self._session.setVideoSink(None)

    def take_photo(self) -> None:
        if self._capture is None or not self.is_active() or not self._capture.isReadyForCapture():
            self.failed.emit("camera_failed")
            return
        self._capture.capture()  # to memory: captureToFile would leave the page in a file

    def _on_camera_error(self, _error, _text: str) -> None:
        log.warning("camera error: %s", _error)
        self.failed.emit("camera_failed")

    def _on_capture_error(self, _id, _error, _text: str) -> None:
        log.warning("photo not taken: %s", _error)
        self.failed.emit("camera_failed")


class FileCamera(CameraAdapter):
    """A camera that "films" the image files of a folder: the preview shows the current file, a photo is that
    file, the next photo the next file (round the folder). For tests and demos without a camera."""

    name = "Camera (files)"

    def __init__(self, folder: Path, parent: QObject | None = None):
        super().__init__(parent)
        self.folder = Path(folder)
        self._sink: Any = None  # a QVideoSink
        self._active = False
        self._index = 0
        self._timer = QTimer(self)
        self._timer.setInterval(200)  # a steady preview, as a real camera keeps sending frames
        self._timer.timeout.connect(self._push)
        self.photos_taken = 0

    def files(self) -> list[Path]:
        try:
            return sorted(p for p in self.folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
        except OSError:
            return []

    def available(self) -> bool:
        return bool(self.files())

    def is_active(self) -> bool:
        return self._active

    def _current(self) -> QImage:
        files = self.files()
        if not files:
            return QImage()
        reader = QImageReader(str(files[self._index % len(files)]))
        reader.setAutoTransform(True)
        return reader.read()

    def start(self, video_sink: QObject | None) -> None:
        if not self.available():
            self.failed.emit("no_camera")
            return
        self._sink = video_sink
        self._active = True
        self._push()
        self._timer.start()
        self.activeChanged.emit()

    def stop(self) -> None:
        self._timer.stop()
        was, self._active, self._sink = self._active, False, None
        if was:
            self.activeChanged.emit()

    def _push(self) -> None:
        if self._sink is None:
            return
        from PySide6.QtMultimedia import QVideoFrame
        image = self._current()
        if image.isNull():
            return
        if max(image.width(), image.height()) > PREVIEW_SIDE:
            image = image.scaled(PREVIEW_SIDE, PREVIEW_SIDE, aspectMode=Qt.AspectRatioMode.KeepAspectRatio)
        self._sink.setVideoFrame(QVideoFrame(image))

    def take_photo(self) -> None:
        image = self._current() if self._active else QImage()
        if image.isNull():
            QTimer.singleShot(0, lambda: self.failed.emit("camera_failed"))
            return
        self._index += 1
        self.photos_taken += 1
        QTimer.singleShot(0, lambda: self.photoTaken.emit(image))  # later, as a real capture arrives
        self._push()


def camera_from_setting(value: str, parent: QObject | None = None) -> CameraAdapter | None:
    """The camera a `[documents] camera` value names: "" the system's default, "none" no camera, "files:FOLDER"
    the file-fed stand-in; anything else a device id as QMediaDevices gives it."""
    value = (value or "").strip()
    if value == "none":
        return None
    if value.startswith(FILES_PREFIX):
        return FileCamera(Path(value[len(FILES_PREFIX):]).expanduser(), parent)
    return QtCamera(value.encode() if value else None, parent)


def image_bytes(image: QImage) -> bytes:
    """A photo as JPEG file bytes (quality 95: near lossless, and fast to write; documents.imaging then
    downscales and compresses it for sending). Safe on a worker thread: a QImage is reentrant."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if image.isNull() or not image.save(buffer, "JPEG", 95):  # type: ignore[call-overload]  # str is what works
        raise ValueError("the photo could not be encoded")
    buffer.close()
    return bytes(data.data())
