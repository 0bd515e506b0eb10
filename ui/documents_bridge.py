"""The `document` question as QML sees it (`documents`), and the signature's oral alternative.

A document's pages come from the sources present on this kiosk ([documents] in the configuration): a SANE
scanner (documents/capture.py), a camera (documents/camera.py, a live preview in a VideoOutput) and image files
on a USB stick. Capturing, reading and processing a page (documents/imaging.py: downscaled, no metadata) run on
a worker thread (ui/tasks.py); the GUI thread only writes the finished page into the citizen session's private
folder and shows it.

Privacy: a page exists only as a processed file in `<data_dir>/documents-private/<session>/` (mode 0700, files
0600), read back when the submission is written (sealed in the outbox). The folder is deleted when the citizen
leaves (the bridge's `restarted`) and at start-up (a crash must not leave pages behind). Thumbnails come through
the `image://ponte-private/...` provider (`PrivateImages`), whose URLs carry the session token so no image of
one citizen can be shown to the next from a cache; QML loads them with `cache: false`.
"""
from __future__ import annotations

import logging
import os
import secrets
import shutil
import uuid
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import (Property, QAbstractListModel, QByteArray, QModelIndex, QObject, QSize, Qt, QUrl,
                            Signal, Slot)
from PySide6.QtGui import QImage
from PySide6.QtQuick import QQuickImageProvider

from documents.camera import CameraAdapter, camera_from_setting, image_bytes
from documents.capture import IMAGE_SUFFIXES, MAX_FILE_BYTES, CaptureError, FileSource, ScannerSource, scanners
from kiosk.config import Config
from kiosk.definition import Page
from kiosk.documents import ORAL, Attachment, DocumentError, DocumentRules, page_name
from kiosk.screen import QUESTION, ScreenContent
from translations import text as tr
from ui.tasks import TaskManager

log = logging.getLogger(__name__)

SCANNER, CAMERA, USB = "scanner", "camera", "usb"
PROVIDER = "ponte-private"
THUMB_SIDE = 480  # the longest side a thumbnail is decoded at


@dataclass(frozen=True)
class StoredPage:
    """One kept page: its processed file in the private folder and where it came from (for Retake)."""

    path: Path
    source: str
    size: int


class PageModel(QAbstractListModel):
    """The pages of the document question on the screen, in order: thumbnail URL, number, source."""

    UrlRole = Qt.ItemDataRole.UserRole + 1
    NumberRole = Qt.ItemDataRole.UserRole + 2
    SourceRole = Qt.ItemDataRole.UserRole + 3

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._rows: list[tuple[str, str]] = []  # (url, source)

    def roleNames(self) -> dict:  # noqa: N802 - Qt's name
        return {self.UrlRole: QByteArray(b"url"), self.NumberRole: QByteArray(b"number"),
                self.SourceRole: QByteArray(b"source")}

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        url, source = self._rows[index.row()]
        return {self.UrlRole: url, self.NumberRole: index.row() + 1, self.SourceRole: source}.get(role)

    def set_rows(self, rows: list[tuple[str, str]]) -> None:
        """New rows with the fewest changes: a page added at the end is one insert, a replaced one a dataChanged."""
        old = self._rows
        if len(rows) == len(old) + 1 and rows[:-1] == old:
            self.beginInsertRows(QModelIndex(), len(old), len(old))
            self._rows = list(rows)
            self.endInsertRows()
        elif len(rows) == len(old):
            changed = [i for i, (a, b) in enumerate(zip(old, rows)) if a != b]
            self._rows = list(rows)
            if changed:
                self.dataChanged.emit(self.index(min(changed)), self.index(max(changed)),
                                      [self.UrlRole, self.SourceRole])
        else:
            self.beginResetModel()
            self._rows = list(rows)
            self.endResetModel()


class PrivateImages(QQuickImageProvider):
    """`image://ponte-private/<session>/<page id>/<n>`: a document page or a signature of the citizen at the
    screen, decoded from the private folder (or the signature in memory); nothing for any other session."""

    def __init__(self, lookup: Callable[[str], bytes | None]):
        super().__init__(QQuickImageProvider.ImageType.Image)
        self._lookup = lookup

    def requestImage(self, image_id: str, size: QSize, requested: QSize) -> QImage:  # noqa: N802 - Qt's name
        data = self._lookup(image_id.split("?")[0])
        image = QImage.fromData(data) if data else QImage()
        if image.isNull():
            image = QImage(1, 1, QImage.Format.Format_ARGB32)
            image.fill(Qt.GlobalColor.transparent)
            return image
        # The size QML asks for (sourceSize); a side it leaves at 0 is free, none given is THUMB_SIDE square.
        width = requested.width() if requested.width() > 0 else (1 << 15 if requested.height() > 0 else THUMB_SIDE)
        height = requested.height() if requested.height() > 0 else (1 << 15 if requested.width() > 0 else THUMB_SIDE)
        if image.width() > width or image.height() > height:
            image = image.scaled(width, height, Qt.AspectRatioMode.KeepAspectRatio,
                                 Qt.TransformationMode.SmoothTransformation)
        return image


class DocumentsBridge(QObject):
    """Pages of `document` questions (sources, capture, Retake, Remove, limits) and the signature's oral path."""

    changed = Signal()  # sources, mode, busy, message, counts, oral state
    usbChanged = Signal()  # the stick's files
    _probe_done = Signal()

    def __init__(self, config: Config, kiosk: Any, *, tasks: TaskManager | None = None,
                 camera: CameraAdapter | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.config = config
        self.kiosk = kiosk
        self.tasks = tasks or TaskManager(self)
        settings = config.documents
        self._scanner_setting = settings.scanner.strip()
        self._usb_dirs = tuple(settings.usb_dirs)
        self.camera = camera if camera is not None else camera_from_setting(settings.camera, self)
        if self.camera is not None:
            self.camera.photoTaken.connect(self._on_photo)
            self.camera.failed.connect(self._camera_failed)
        self.root = config.data_dir / "documents-private"
        self._wipe_root()  # pages left by a crash belong to nobody at the screen now
        self._session = secrets.token_hex(8)
        self._generation = 0  # bumped at the wipe: a capture finishing later is dropped
        self._pages: dict[str, list[StoredPage]] = {}
        self.model = PageModel(self)
        self._page_id = ""
        self._mode = ""
        self._busy = False
        self._message = ""
        self._replace: int | None = None
        self._usb_files: list[Path] = []
        self._video_sink: QObject | None = None
        self._oral_asked = False
        self._journey: Any = None  # the journey the pages belong to
        kiosk.screenShown.connect(self._follow)
        kiosk.restarted.connect(self.clear)

    # --- the private folder ----------------------------------------------------------------------------

    def _folder(self) -> Path:
        folder = self.root / self._session
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.root, 0o700)
        return folder

    def _wipe_root(self) -> None:
        if self.root.exists():
            shutil.rmtree(self.root, ignore_errors=True)

    def _write(self, data: bytes) -> Path:
        path = self._folder() / f"{uuid.uuid4().hex}.jpg"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        return path

    @Slot()
    def clear(self) -> None:
        """The citizen left: every page file, the camera, the stick's list and the oral request go."""
        self._generation += 1
        if self.camera is not None:
            self.camera.stop()
        self._pages.clear()
        self._wipe_root()
        self._session = secrets.token_hex(8)
        self._page_id, self._mode, self._busy, self._message = "", "", False, ""
        self._replace, self._usb_files, self._oral_asked = None, [], False
        self.model.set_rows([])
        self.usbChanged.emit()
        self.changed.emit()

    # --- following the screens ---------------------------------------------------------------------------

    def _current_page(self) -> Page | None:
        journey = self.kiosk.journey
        if journey is None or self.kiosk.screen != QUESTION:
            return None
        return journey.page

    def _rules(self) -> DocumentRules:
        page = self._current_page()
        return (page.document if page is not None and page.document else None) or DocumentRules()

    def _follow(self, _content: ScreenContent | None = None) -> None:
        if self.kiosk.journey is not self._journey and (self._pages or self.root.exists()):
            # Another journey (or none: paused, a service left): its pages are not this one's answers.
            self.clear()
        self._journey = self.kiosk.journey
        page = self._current_page()
        page_id = page.id if page is not None and page.type == "document" else ""
        if page_id != self._page_id:
            if self._mode == CAMERA and self.camera is not None:
                self.camera.stop()
            self._page_id, self._mode, self._message, self._replace = page_id, "", "", None
            self._oral_asked = False
            self._show_pages()
        self.changed.emit()

    def _show_pages(self) -> None:
        pages = self._pages.get(self._page_id, [])
        self.model.set_rows([(self._url(self._page_id, i, p), p.source) for i, p in enumerate(pages)])

    def _url(self, page_id: str, index: int, page: StoredPage | None = None) -> str:
        # The file's own name makes a replaced page a new URL: Retake shows the new photo at once.
        tag = page.path.stem[:8] if page is not None else "s"
        return f"image://{PROVIDER}/{self._session}/{page_id}/{index}?{tag}"

    def image(self, image_id: str) -> bytes | None:
        """The bytes behind a private image URL of the current session (the provider's lookup)."""
        parts = image_id.split("/")
        if len(parts) != 3 or not secrets.compare_digest(parts[0], self._session):
            return None
        page_id, index = parts[1], parts[2]
        pages = self._pages.get(page_id)
        if pages is not None:
            try:
                return pages[int(index)].path.read_bytes()
            except (ValueError, IndexError, OSError):
                return None
        files = getattr(self.kiosk, "_files", {}).get(page_id)
        return files[0].data if files else None  # a signature, kept in memory by the kiosk bridge

    def image_urls(self, page: Page, value: Any) -> list[str]:
        """Thumbnails for check answers: a document's pages, a drawn signature (an oral one has none)."""
        if page.type == "document" and page.id in self._pages and value == self._names(page.id):
            return [self._url(page.id, i, p) for i, p in enumerate(self._pages[page.id])]
        files = getattr(self.kiosk, "_files", {}).get(page.id)
        if page.type == "signature" and value != ORAL and files and value == files[0].name:
            return [self._url(page.id, 0)]
        return []

    def _names(self, page_id: str) -> list[str]:
        return [page_name(page_id, i, "jpg") for i in range(len(self._pages.get(page_id, [])))]

    def attachments(self, journey: Any) -> list[Attachment]:
        """The pages of every document answer the journey will send, read from the private folder."""
        found: list[Attachment] = []
        for page_id, pages in self._pages.items():
            names = self._names(page_id)
            if pages and journey.answers.get(page_id) == names:
                found += [Attachment(name, "image/jpeg", p.path.read_bytes()) for name, p in zip(names, pages)]
        return found

    # --- state for QML ---------------------------------------------------------------------------------------

    def _lang(self) -> str:
        return str(self.kiosk.language)

    @Property(bool, notify=changed)
    def active(self) -> bool:
        return self._page_id != ""

    @Property(QObject, constant=True)
    def pages(self) -> PageModel:
        return self.model

    @Property(int, notify=changed)
    def count(self) -> int:
        return len(self._pages.get(self._page_id, []))

    @Property(int, notify=changed)
    def maxPages(self) -> int:
        return self._rules().max_pages

    @Property(bool, notify=changed)
    def canAdd(self) -> bool:
        return self.active and not self._busy and self.count < self._rules().max_pages

    @Property(str, notify=changed)
    def countText(self) -> str:
        rules = self._rules()
        key = "doc.count_exact" if rules.min_pages == rules.max_pages else "doc.count"
        return tr(self._lang(), key, count=self.count, min=rules.min_pages, max=rules.max_pages)

    def _scanner_present(self) -> bool:
        return self._scanner_setting != "none" and shutil.which("scanimage") is not None

    def _camera_present(self) -> bool:
        return self.camera is not None and self.camera.available()

    def _usb_present(self) -> bool:
        return any(d.is_dir() for d in self._usb_dirs)

    @Property("QVariantList", notify=changed)
    def sources(self) -> list:
        """The page sources present on this kiosk, in the order the screen shows them."""
        lang = self._lang()
        found = [(SCANNER, self._scanner_present()), (CAMERA, self._camera_present()), (USB, self._usb_present())]
        return [{"id": s, "label": tr(lang, f"doc.source.{s}")} for s, present in found if present]

    @Property(str, notify=changed)
    def mode(self) -> str:
        """"" (the pages), "camera" (live preview) or "usb" (choosing a file on the stick)."""
        return self._mode

    @Property(bool, notify=changed)
    def busy(self) -> bool:
        return self._busy

    @Property(str, notify=changed)
    def busyText(self) -> str:
        return tr(self._lang(), "doc.working") if self._busy else ""

    @Property(str, notify=changed)
    def message(self) -> str:
        return self._message

    @Property("QVariantList", notify=usbChanged)
    def usbFiles(self) -> list:
        return [{"index": i, "name": p.name, "url": QUrl.fromLocalFile(str(p)).toString()}
                for i, p in enumerate(self._usb_files)]

    # --- actions -------------------------------------------------------------------------------------------

    def _fail(self, key: str) -> None:
        self._busy = False
        self._message = tr(self._lang(), f"doc.{key}")
        self.changed.emit()

    def _start(self, replace: int | None) -> bool:
        """Whether a capture may start now (one at a time; a new page only below the limit)."""
        if not self.active or self._busy:
            return False
        if replace is None and self.count >= self._rules().max_pages:
            self._fail("document_too_many_pages")
            return False
        self._replace = replace
        self._message = ""
        return True

    def _capture(self, source: str, read: Callable[[], bytes]) -> None:
        """Read and process one page on a worker thread; keep it on the GUI thread if nothing changed."""
        rules, generation, page_id = self._rules(), self._generation, self._page_id
        self._busy = True
        self.changed.emit()

        def work() -> bytes:
            from documents.imaging import process_image  # PIL: imported on the first page, not at start-up
            return process_image(read(), rules)

        def done(future: Future) -> None:
            if generation != self._generation or page_id != self._page_id:
                return  # the citizen left, or moved on: the page belongs to nobody
            self._busy = False
            try:
                data = future.result()
            except CaptureError as exc:
                return self._fail(exc.key)
            except DocumentError as exc:
                return self._fail("file_too_big" if exc.key == "document_too_large" else "not_an_image")
            except Exception as exc:  # noqa: BLE001 - a failed capture is a message, never a crash
                log.warning("page not captured: %s", type(exc).__name__)
                return self._fail("capture_failed")
            self._keep(page_id, source, data, rules)
        self.tasks.run_in_background(work, done)

    def _keep(self, page_id: str, source: str, data: bytes, rules: DocumentRules) -> None:
        pages = list(self._pages.get(page_id, []))
        replace = self._replace if self._replace is not None and self._replace < len(pages) else None
        total = sum(p.size for i, p in enumerate(pages) if i != replace) + len(data)
        if total > rules.max_bytes:
            return self._fail("document_too_large")
        if replace is None and len(pages) >= rules.max_pages:
            return self._fail("document_too_many_pages")
        try:
            path = self._write(data)
        except OSError as exc:
            log.warning("page not kept: %s", type(exc).__name__)
            return self._fail("capture_failed")
        kept = StoredPage(path, source, len(data))
        if replace is None:
            pages.append(kept)
        else:
            pages[replace].path.unlink(missing_ok=True)
            pages[replace] = kept
        self._pages[page_id] = pages
        self._replace = None
        self._after_change()

    def _after_change(self) -> None:
        self._show_pages()
        self.kiosk.setAnswer(self._names(self._page_id))
        self.changed.emit()

    @Slot()
    def scan(self, replace: int | None = None) -> None:
        """One page from the scanner ([documents] scanner, or the first SANE device found)."""
        if not self._start(replace):
            return
        configured = self._scanner_setting

        def read() -> bytes:
            device = configured or next(iter(scanners()), "")
            if not device or device == "none":
                raise CaptureError("no scanner found", "no_scanner")
            # SANE's test device scans black by default; its colour pattern looks like a page.
            options = ["--test-picture", "Color pattern"] if device == "test" else []
            try:
                return ScannerSource(device, options=options).capture()
            except CaptureError as exc:
                raise CaptureError(str(exc), "scanner_failed") from None
        self._capture(SCANNER, read)

    @Slot(QObject)
    def setVideoSink(self, sink: QObject | None) -> None:
        """The preview's VideoOutput.videoSink, from QML when the camera view appears."""
        self._video_sink = sink
        if self._mode == CAMERA and self.camera is not None and sink is not None and self.camera.is_active():
            self.camera.start(sink)  # a new preview while filming: the video goes there now

    @Slot()
    def openCamera(self, replace: int | None = None) -> None:
        if self.camera is None or not self._start(replace):
            return
        self._mode = CAMERA
        self.changed.emit()  # the preview appears and hands over its video sink (setVideoSink)
        if self._mode == CAMERA:
            self.camera.start(self._video_sink)

    def _camera_failed(self, key: str) -> None:
        if self.camera is not None:
            self.camera.stop()
        self._mode = ""
        self._fail(key)

    @Slot()
    def takePhoto(self) -> None:
        if self._mode != CAMERA or self.camera is None or self._busy:
            return
        self._busy = True
        self.changed.emit()
        self.camera.take_photo()

    def _on_photo(self, image: QImage) -> None:
        if self._mode != CAMERA:
            return
        self.camera.stop()
        self._mode = ""
        photo = QImage(image)  # our own reference for the worker thread
        self._busy = False
        self._capture(CAMERA, lambda: image_bytes(photo))

    @Slot()
    def closeView(self) -> None:
        """Back from the camera or the stick's files to the pages, nothing taken."""
        if self._mode == CAMERA and self.camera is not None:
            self.camera.stop()
        self._mode, self._replace = "", None
        self._usb_files = []
        self.usbChanged.emit()
        self.changed.emit()

    @Slot()
    def openUsb(self, replace: int | None = None) -> None:
        """List the image files at the root of the inserted stick(s), on a worker thread."""
        if not self._start(replace):
            return
        self._busy = True
        self.changed.emit()
        generation, dirs = self._generation, self._usb_dirs

        def done(future: Future) -> None:
            if generation != self._generation:
                return
            self._busy = False
            try:
                sticks, files = future.result()
            except Exception as exc:  # noqa: BLE001
                log.warning("USB sticks not listed: %s", type(exc).__name__)
                sticks, files = 0, []
            if not sticks:
                return self._fail("no_stick")
            if not files:
                return self._fail("stick_no_images")
            self._usb_files = files
            self._mode = USB
            self.usbChanged.emit()
            self.changed.emit()
        self.tasks.run_in_background(lambda: stick_images(dirs), done)

    @Slot(int)
    def pickFile(self, index: int) -> None:
        if self._mode != USB or not 0 <= index < len(self._usb_files):
            return
        path = self._usb_files[index]
        self._mode, self._usb_files = "", []
        self.usbChanged.emit()

        def read() -> bytes:
            try:
                if path.stat().st_size > MAX_FILE_BYTES:
                    raise CaptureError("file too big", "file_too_big")
            except OSError:
                raise CaptureError("the file cannot be read", "stick_removed") from None
            return FileSource([path]).capture()
        self._capture(USB, read)

    @Slot(int)
    def retake(self, index: int) -> None:
        """Capture page `index` again from the source it came from."""
        pages = self._pages.get(self._page_id, [])
        if not 0 <= index < len(pages):
            return
        source = pages[index].source
        if source == CAMERA and self._camera_present():
            self.openCamera(index)
        elif source == USB:
            self.openUsb(index)
        else:
            self.scan(index)

    @Slot(int)
    def remove(self, index: int) -> None:
        pages = self._pages.get(self._page_id, [])
        if self._busy or not 0 <= index < len(pages):
            return
        gone = pages.pop(index)
        gone.path.unlink(missing_ok=True)
        self._message = ""
        self._after_change()

    # --- the signature's oral alternative ------------------------------------------------------------

    def _signature_page(self) -> Page | None:
        page = self._current_page()
        return page if page is not None and page.type == "signature" else None

    @Property(bool, notify=changed)
    def oralAllowed(self) -> bool:
        page = self._signature_page()
        return bool(page and page.oral_alternative)

    @Property(bool, notify=changed)
    def oralAsked(self) -> bool:
        return self._oral_asked and self.oralAllowed and not self.oralDone

    @Property(bool, notify=changed)
    def oralDone(self) -> bool:
        page = self._signature_page()
        journey = self.kiosk.journey
        return bool(page and journey and journey.raw.get(page.id) == ORAL)

    @Slot()
    def askOral(self) -> None:
        """"I cannot sign": a helper is called to note that the citizen agrees out loud."""
        if not self.oralAllowed:
            return
        self._oral_asked = True
        self.changed.emit()
        if not getattr(self.kiosk.citizen, "assisted", False):
            self.kiosk.callHelper()

    @Slot()
    def cancelOral(self) -> None:
        self._oral_asked = False
        self.changed.emit()


def stick_images(dirs: tuple[Path, ...]) -> tuple[int, list[Path]]:
    """(sticks found, their image files) under the folders sticks are mounted in: a stick is a folder one or
    two levels down (/media/LABEL, /media/USER/LABEL) that is a mount point or holds files."""
    sticks: list[Path] = []
    for base in dirs:
        try:
            children = sorted(p for p in base.iterdir() if p.is_dir())
        except OSError:
            continue
        for child in children:
            candidates = [child]
            if not os.path.ismount(child):
                try:
                    candidates += sorted(p for p in child.iterdir() if p.is_dir() and os.path.ismount(p))
                except OSError:
                    pass
            for folder in candidates:
                try:
                    holds_files = any(p.is_file() for p in folder.iterdir())
                except OSError:
                    continue
                if os.path.ismount(folder) or holds_files:
                    sticks.append(folder)
    files: list[Path] = []
    for stick in sticks:
        try:
            files += FileSource.from_folder(stick).paths
        except CaptureError:
            continue
    return len(sticks), [p for p in files if p.suffix.lower() in IMAGE_SUFFIXES]
