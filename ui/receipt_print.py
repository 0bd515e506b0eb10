"""Receipts on paper and on screen: one Qt layout drawn into a PDF, a printer or a thermal raster.

`kiosk.receipt.build_receipt()` decides what a receipt says; this module only
draws it. The layout is painted with QPainter in "receipt units" (an 80 mm
thermal roll is 576 units wide, one unit a printer dot) and scaled onto the
page, so A4, A6 and a thermal roll look alike. Qt shapes Arabic and lays it
out right to left (HarfBuzz, with a Noto font that covers Arabic); ESC/POS
text mode cannot, which is why thermal printers get the Qt-rendered image.

Printing never blocks the journey and never raises to the screen: each call
returns a `PrintResult` whose `message_key` the screen words in the
citizen's language (translations core: receipt.result.<code>).
"""
from __future__ import annotations

import enum
import io
import logging
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import segno
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QPointF, QRectF, Qt
from PySide6.QtGui import (QColor, QFont, QFontDatabase, QImage, QPageLayout, QPageSize, QPainter,
                           QPainterPath, QPdfWriter, QPen)

from kiosk.config import PrinterSettings
from kiosk.receipt import Receipt

log = logging.getLogger(__name__)

# An 80 mm thermal printer prints 72 mm at 203 dpi: 576 dots, the usual ESC/POS raster width.
THERMAL_DOTS = 576
# Logical width the layout is drawn at on each page size (fonts are in the same units, so a
# wider logical page means smaller type: about 11 pt on A4 and A6, 3 mm on the roll).
_LOGICAL_WIDTH = {"A4": 820.0, "A6": 720.0, "thermal": float(THERMAL_DOTS)}
_PAGE_SIZES = {"A4": QPageSize.PageSizeId.A4, "A6": QPageSize.PageSizeId.A6}
_MARGIN_MM = {"A4": 20.0, "A6": 6.0}
# Text fonts in order of preference; Qt falls back along the list per character (Arabic, Latin).
_FAMILIES = ["Noto Sans", "Noto Sans Arabic", "DejaVu Sans"]
_MONO = "DejaVu Sans Mono"


class PrintResult(enum.Enum):
    """How a print request ended; the screen turns it into words (receipt.result.<value>)."""

    PRINTED = "printed"
    NO_PRINTER = "no_printer"
    OFFLINE = "offline"
    OUT_OF_PAPER = "out_of_paper"
    FAILED = "failed"

    @property
    def message_key(self) -> str:
        return f"receipt.result.{self.value}"

    @property
    def ok(self) -> bool:
        return self is PrintResult.PRINTED


# --- QR code ---------------------------------------------------------------------------------------


def qr_code(text: str) -> segno.QRCode:
    """The receipt's QR code: medium error correction, so a creased or photographed print still reads."""
    return segno.make_qr(text, error="m", boost_error=True)


def qr_data_url(text: str, scale: int = 8) -> str:
    """A PNG data URL of the QR code, for an Image on screen (no image provider needed)."""
    return qr_code(text).png_data_uri(scale=scale, border=4, dark="#000", light="#fff")


def _qr_path(text: str, size: float, *, pixel_grid: bool) -> tuple[QPainterPath, float]:
    """The dark modules as one path of `size` units square (with the quiet zone); and the size used.

    On a raster (`pixel_grid`) a module is a whole number of pixels, so no module is blurred.
    """
    matrix = [list(row) for row in qr_code(text).matrix_iter(scale=1, border=4)]
    count = len(matrix)
    module = max(1.0, float(int(size / count))) if pixel_grid else size / count
    path = QPainterPath()
    for y, row in enumerate(matrix):
        x = 0
        while x < count:  # one rectangle per run of dark modules: fewer seams, smaller PDF
            if row[x]:
                start = x
                while x < count and row[x]:
                    x += 1
                path.addRect(QRectF(start * module, y * module, (x - start) * module, module))
            else:
                x += 1
    path.setFillRule(Qt.FillRule.WindingFill)
    return path, module * count


# --- layout ----------------------------------------------------------------------------------------


def _font(size: float, *, bold: bool = False, mono: bool = False) -> QFont:
    font = QFont()
    if mono:
        font.setFamilies([_MONO, *_FAMILIES])
    else:
        font.setFamilies(_FAMILIES)
    font.setPixelSize(max(1, round(size)))
    font.setBold(bold)
    font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)  # same metrics on every device
    return font


@dataclass
class _Op:
    """One drawn piece of the layout at a vertical position: pages break between pieces."""

    y: float
    height: float
    draw: Callable[[QPainter, float], None]  # (painter, dy): draw shifted up by dy
    keep_with_next: bool = False


class _Layout:
    """Lays a receipt out top to bottom at a logical width, measuring with a painter."""

    def __init__(self, painter: QPainter, receipt: Receipt, width: float, *, pixel_grid: bool):
        self.p, self.r, self.width = painter, receipt, width
        self.pixel_grid = pixel_grid
        self.ops: list[_Op] = []
        self.y = 0.0
        self.start = Qt.AlignmentFlag.AlignRight if receipt.rtl else Qt.AlignmentFlag.AlignLeft
        # Units per "point" of type: the roll and A6 print a unit as about 0.125 mm.
        self.body = 26.0 if width <= 600 else 24.0

    def text(self, text: str, size: float, *, bold: bool = False, centre: bool = False, gap: float = 0.0,
             x: float = 0.0, width: float | None = None, keep: bool = False, mono: bool = False) -> float:
        if not text:
            return 0.0
        font = _font(size, bold=bold, mono=mono)
        width = self.width - x if width is None else width
        align = Qt.AlignmentFlag.AlignHCenter if centre else self.start
        flags = int(align | Qt.AlignmentFlag.AlignAbsolute | Qt.AlignmentFlag.AlignTop) | int(Qt.TextFlag.TextWordWrap)
        self.p.setFont(font)
        box = self.p.boundingRect(QRectF(0, 0, width, 1e6), flags, text)
        height = box.height()
        left = self.width - x - width if self.r.rtl else x  # the start side is the right in Arabic

        def draw(p: QPainter, dy: float, y: float = self.y) -> None:
            p.setFont(font)
            p.drawText(QRectF(left, y - dy, width, height + 2), flags, text)
        self.ops.append(_Op(self.y, height, draw, keep))
        self.y += height + gap
        return height

    def rule(self, gap: float) -> None:
        y = self.y + gap / 2
        thickness = 2.0 if self.width <= 600 else 1.5

        def draw(p: QPainter, dy: float) -> None:
            p.fillRect(QRectF(0, y - dy, self.width, thickness), QColor("black"))
        self.ops.append(_Op(self.y, gap, draw))
        self.y += gap

    def reference_box(self, x: float, width: float) -> float:
        """The reference in large type in a box; always left to right (it is a code, not words)."""
        size = min(96.0, width / 6.2)
        flags = int(Qt.AlignmentFlag.AlignCenter) | int(Qt.TextFlag.TextForceLeftToRight)
        while True:  # the largest type that fits the box with a margin, measured as this painter draws it
            font = _font(size, bold=True, mono=True)
            font.setLetterSpacing(QFont.SpacingType.AbsoluteSpacing, size * 0.06)
            self.p.setFont(font)
            drawn = self.p.boundingRect(QRectF(0, 0, 1e6, 1e6), flags, self.r.reference).width()
            if drawn <= width * 0.86 - size * 0.4 or size < 12:
                break
            size *= 0.92
        box = self.p.boundingRect(QRectF(0, 0, width, 1e6), flags, self.r.reference)
        pad = size * 0.25
        height = box.height() + 2 * pad
        left = self.width - x - width if self.r.rtl else x
        y0 = self.y
        line = max(2.0, size / 18)

        def draw(p: QPainter, dy: float) -> None:
            p.save()
            p.setPen(QPen(QColor("black"), line))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRoundedRect(QRectF(left + line / 2, y0 - dy + line / 2, width - line, height - line),
                              size * 0.15, size * 0.15)
            p.setFont(font)
            p.drawText(QRectF(left, y0 - dy, width, height), flags, self.r.reference)
            p.restore()
        self.ops.append(_Op(self.y, height, draw, True))
        self.y += height
        return height

    def qr(self, size: float, *, x: float | None = None, y: float | None = None) -> float:
        path, used = _qr_path(self.r.qr_text, size, pixel_grid=self.pixel_grid)
        left = (self.width - used) / 2 if x is None else x
        if self.pixel_grid:
            left = float(int(left))
        top = self.y if y is None else y

        def draw(p: QPainter, dy: float) -> None:
            p.save()
            p.setRenderHint(QPainter.RenderHint.Antialiasing, False)  # crisp modules on a raster
            p.translate(QPointF(left, float(int(top - dy)) if self.pixel_grid else top - dy))
            p.fillPath(path, QColor("black"))
            p.restore()
        self.ops.append(_Op(top, used, draw, True))
        if y is None:
            self.y += used
        return used

    def build(self) -> float:
        r, u = self.r, self.body
        narrow = self.width <= 600
        self.text(r.heading, u * 0.85, centre=True, gap=u * 0.2, keep=True)
        self.text(r.service_title, u * 1.3, bold=True, centre=True, gap=u * 0.5, keep=True)
        self.rule(u * 0.8)
        if narrow:
            self.text(r.reference_label, u, centre=True, gap=u * 0.3, keep=True)
            self.reference_box(self.width * 0.04, self.width * 0.92)
            self.y += u * 0.4
            self.text(f"{r.issued_label}: {r.issued}", u, centre=True, gap=u * 0.6)
            self.qr(self.width * 0.56)
            self.y += u * 0.2
            self.text(r.qr_label, u * 0.8, centre=True, gap=u * 0.4)
        else:  # reference and date on the start side, the QR code beside them
            column = self.width * 0.58
            top = self.y
            self.text(r.reference_label, u, x=0, width=column, gap=u * 0.3, keep=True)
            self.reference_box(0, column)
            self.y += u * 0.5
            self.text(f"{r.issued_label}: {r.issued}", u, x=0, width=column, gap=u * 0.3)
            left_bottom = self.y
            qr_x = 0.0 if r.rtl else self.width * 0.68
            used = self.qr(self.width * 0.3, x=qr_x, y=top)
            self.y = top + used + u * 0.2
            self.text(r.qr_label, u * 0.75, x=self.width * 0.66, width=self.width * 0.34, gap=u * 0.2)
            self.y = max(self.y, left_bottom)
        self.rule(u * 1.2)
        if r.next_steps:
            self.text(r.next_steps_label, u * 1.05, bold=True, gap=u * 0.25, keep=True)
            self.text(r.next_steps, u, gap=u * 0.4)
        if r.expected_by:
            self.text(r.expected_by, u, bold=True, gap=u * 0.6)
        if r.follow_up:
            self.text(r.follow_up_label, u * 1.05, bold=True, gap=u * 0.25, keep=True)
            for row in r.follow_up:
                # A phone number or web address stays left to right inside an Arabic line.
                value = _isolate(row.text, r.rtl) if row.kind in ("phone", "web") else row.text
                self.text(f"{row.label}: {value}", u, gap=u * 0.25)
            self.y += u * 0.35
        self.text(r.keep_note, u * 0.85, gap=u * 0.5)
        if r.answers:
            self.rule(u * 1.2)
            self.text(r.answers_label, u * 1.05, bold=True, gap=u * 0.4, keep=True)
            for line in r.answers:
                self.text(line.question, u * 0.8, gap=u * 0.1, keep=True)
                self.text(_isolate(line.answer, r.rtl, first_strong=True), u, bold=True, gap=u * 0.45)
            if r.answers_note:
                self.text(r.answers_note, u * 0.8, gap=u * 0.4)
        return self.y


def _isolate(text: str, rtl: bool, *, first_strong: bool = False) -> str:
    """Text set apart from the line's direction (Unicode isolates), so "+351 200 000 001" keeps its order."""
    if not rtl:
        return text
    return ("\u2068" if first_strong else "\u2066") + text + "\u2069"


def _layout(painter: QPainter, receipt: Receipt, width: float, *, pixel_grid: bool) -> tuple[list[_Op], float]:
    painter.setLayoutDirection(Qt.LayoutDirection.RightToLeft if receipt.rtl else Qt.LayoutDirection.LeftToRight)
    layout = _Layout(painter, receipt, width, pixel_grid=pixel_grid)
    # Another document (the day-closing sheet, ui/manifest_print.py) lays itself out with the same pieces,
    # so the PDF, CUPS and thermal paths below print it alike.
    lay_out = getattr(receipt, "lay_out", None)
    height = lay_out(layout) if callable(lay_out) else layout.build()
    return layout.ops, height


def _paint_pages(painter: QPainter, receipt: Receipt, logical_width: float, page_height: float,
                 new_page: Callable[[], bool]) -> None:
    """Draw the receipt across as many pages as it needs; never splits a piece, keeps headings with text."""
    painter.setPen(QColor("black"))
    ops, _ = _layout(painter, receipt, logical_width, pixel_grid=False)
    offset = 0.0
    for i, op in enumerate(ops):
        bottom = op.y + op.height
        if op.keep_with_next and i + 1 < len(ops):
            bottom = max(bottom, ops[i + 1].y + ops[i + 1].height)
        if bottom - offset > page_height and op.y > offset:
            if not new_page():
                raise OSError("the printer refused a new page")
            offset = op.y
        op.draw(painter, offset)


def _paint_on_page(painter: QPainter, receipt: Receipt, page: str, page_rect: QRectF,
                   new_page: Callable[[], bool]) -> None:
    logical = _LOGICAL_WIDTH[page]
    scale = page_rect.width() / logical
    painter.save()
    painter.translate(page_rect.topLeft())
    painter.scale(scale, scale)
    _paint_pages(painter, receipt, logical, page_rect.height() / scale, new_page)
    painter.restore()


def _ensure_fonts() -> None:
    """Make sure the Noto Arabic font is known to Qt even where fontconfig does not list it."""
    if "Noto Sans Arabic" in QFontDatabase.families():
        return
    for path in ("/usr/share/fonts/truetype/noto/NotoSansArabic-Regular.ttf",
                 "/usr/share/fonts/truetype/noto/NotoSansArabic-Bold.ttf"):
        if os.path.isfile(path):
            QFontDatabase.addApplicationFont(path)


def write_pdf(receipt: Receipt, path: Path | str, page: str = "A4") -> Path:
    """The receipt as a PDF file of A4 or A6 pages (vector text and QR code)."""
    if page not in _PAGE_SIZES:
        raise ValueError(f"page must be one of {', '.join(_PAGE_SIZES)}, not {page!r}")
    _ensure_fonts()
    path = Path(path)
    writer = QPdfWriter(str(path))
    writer.setResolution(300)
    writer.setTitle(f"{receipt.heading} {receipt.reference}")
    writer.setCreator("Ponte kiosk")
    writer.setPageLayout(QPageLayout(QPageSize(_PAGE_SIZES[page]), QPageLayout.Orientation.Portrait,
                                     QMarginsF(*(_MARGIN_MM[page],) * 4), QPageLayout.Unit.Millimeter))
    painter = QPainter()
    if not painter.begin(writer):
        raise OSError(f"cannot write {path}")
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        rect = QRectF(0, 0, writer.width(), writer.height())
        _paint_on_page(painter, receipt, page, rect, writer.newPage)
    finally:
        painter.end()
    return path


def render_image(receipt: Receipt, width: int = THERMAL_DOTS) -> QImage:
    """The receipt as a black-and-white raster `width` dots wide: what a thermal printer prints."""
    _ensure_fonts()
    logical = float(THERMAL_DOTS)
    scale = width / logical
    margin = 16.0
    probe = QImage(8, 8, QImage.Format.Format_Grayscale8)
    probe.setDotsPerMeterX(8000)  # 203 dpi
    probe.setDotsPerMeterY(8000)
    painter = QPainter(probe)
    _, height = _layout(painter, receipt, logical - 2 * margin, pixel_grid=True)
    painter.end()
    image = QImage(width, int((height + 2 * margin) * scale) + 1, QImage.Format.Format_Grayscale8)
    image.setDotsPerMeterX(8000)
    image.setDotsPerMeterY(8000)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
    painter.setPen(QColor("black"))
    painter.scale(scale, scale)
    painter.translate(margin, margin)
    ops, _ = _layout(painter, receipt, logical - 2 * margin, pixel_grid=True)
    for op in ops:
        op.draw(painter, 0.0)
    painter.end()
    # A thermal head prints dots or nothing: threshold (no dithering, which would fray the letters).
    return image.convertToFormat(QImage.Format.Format_Mono, Qt.ImageConversionFlag.ThresholdDither |
                                 Qt.ImageConversionFlag.MonoOnly)


def image_png(image: QImage) -> bytes:
    """An image as PNG bytes."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


# --- printers --------------------------------------------------------------------------------------


def _lpstat_reasons(name: str) -> str:
    """CUPS's state line and reasons for one queue (media-empty, offline-report, paused...), lower case."""
    lpstat = shutil.which("lpstat")
    if not lpstat:
        return ""
    try:
        done = subprocess.run([lpstat, "-l", "-p", name], capture_output=True, text=True, timeout=5,
                              env={**os.environ, "LC_ALL": "C"})
    except (OSError, subprocess.SubprocessError):
        return ""
    return (done.stdout + done.stderr).lower()


def cups_state(name: str = "") -> tuple[PrintResult, str]:
    """Whether a CUPS queue ("" = the default one) can print now: (PRINTED if so, else why not; the name)."""
    from PySide6.QtPrintSupport import QPrinter, QPrinterInfo
    info = QPrinterInfo.printerInfo(name) if name else QPrinterInfo.defaultPrinter()
    if info.isNull():
        return PrintResult.NO_PRINTER, name
    name = info.printerName()
    state = state_from_lpstat(_lpstat_reasons(name))
    if state is PrintResult.PRINTED and info.state() in (QPrinter.PrinterState.Error, QPrinter.PrinterState.Aborted):
        state = PrintResult.OFFLINE
    return state, name


# printer-state-reasons (RFC 8011, PWG 5100.9) as `lpstat -l -p` lists them under "Alerts:".
_NO_PAPER = ("media-empty", "media-needed")
_NOT_WORKING = ("offline", "paused", "stopped", "shutdown", "media-jam", "door-open", "cover-open",
                "marker-supply-empty", "toner-empty", "spool-area-full")


def state_from_lpstat(text: str) -> PrintResult:
    """What `lpstat -l -p QUEUE` (in the C locale) says about printing now: PRINTED if nothing stops it."""
    lines = text.lower().splitlines()
    alerts = " ".join(line.split(":", 1)[1] for line in lines if line.strip().startswith("alerts:"))
    if any(reason in alerts for reason in _NO_PAPER):
        return PrintResult.OUT_OF_PAPER
    if (lines and " disabled " in f" {lines[0]} ") or any(reason in alerts for reason in _NOT_WORKING):
        return PrintResult.OFFLINE
    return PrintResult.PRINTED


def print_cups(receipt: Receipt, name: str = "", page: str = "A4") -> PrintResult:
    """Print on a CUPS queue through QtPrintSupport; the queue's state is checked first."""
    from PySide6.QtPrintSupport import QPrinter, QPrinterInfo
    _ensure_fonts()
    state, name = cups_state(name)
    if state is not PrintResult.PRINTED:
        return state
    printer = QPrinter(QPrinterInfo.printerInfo(name), QPrinter.PrinterMode.HighResolution)
    printer.setDocName(f"{receipt.heading} {receipt.reference}")
    printer.setPageLayout(QPageLayout(QPageSize(_PAGE_SIZES.get(page, QPageSize.PageSizeId.A4)),
                                      QPageLayout.Orientation.Portrait,
                                      QMarginsF(*(_MARGIN_MM.get(page, 10.0),) * 4), QPageLayout.Unit.Millimeter))
    painter = QPainter()
    if not painter.begin(printer):
        return PrintResult.OFFLINE
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        rect = printer.pageRect(QPrinter.Unit.DevicePixel)
        _paint_on_page(painter, receipt, page if page in _PAGE_SIZES else "A4",
                       QRectF(0, 0, rect.width(), rect.height()), printer.newPage)
    except OSError:
        painter.end()
        return PrintResult.FAILED
    return PrintResult.PRINTED if painter.end() else PrintResult.FAILED


def escpos_printer(device: str, *, profile: str = "TM-T20II", timeout: float = 5.0) -> Any:
    """A python-escpos printer for a device path (/dev/usb/lp0) or tcp://host[:port]; not yet opened."""
    from escpos.printer import File, Network
    if device.startswith("tcp://"):
        host, _, port = device[len("tcp://"):].partition(":")
        return Network(host, int(port or 9100), timeout=timeout, profile=profile)
    return File(device, profile=profile)


def print_escpos(receipt: Receipt, printer: Any, *, width: int = THERMAL_DOTS) -> PrintResult:
    """Print the Qt-rendered raster on an ESC/POS printer (python-escpos File, Network, Usb or Dummy)."""
    from escpos.exceptions import DeviceNotFoundError, Error as EscposError
    from PIL import Image
    devfile = getattr(printer, "devfile", None)
    if devfile is not None and not os.path.exists(devfile):
        return PrintResult.NO_PRINTER
    raster = Image.open(io.BytesIO(image_png(render_image(receipt, width)))).convert("1")
    try:
        printer.open()
    except DeviceNotFoundError:
        return PrintResult.OFFLINE
    except OSError:
        return PrintResult.OFFLINE
    try:
        if hasattr(printer, "host"):  # a two-way connection can say whether there is paper
            try:
                if printer.paper_status() == 0:
                    return PrintResult.OUT_OF_PAPER
            except (OSError, EscposError, NotImplementedError):
                pass  # some printers do not answer; print anyway
        printer.image(raster, impl="bitImageRaster", fragment_height=960)
        printer.cut()
    except (OSError, EscposError) as exc:
        log.warning("thermal printing failed: %s", type(exc).__name__)
        return PrintResult.OFFLINE
    finally:
        try:
            printer.close()
        except OSError:
            pass
    return PrintResult.PRINTED


def print_receipt(receipt: Receipt, settings: PrinterSettings) -> PrintResult:
    """Print on the printer `settings` ([printer] of the configuration) names; never raises.

    Slow (rendering, a printer that does not answer): call it off the GUI thread.
    """
    try:
        if settings.kind == "none":
            return PrintResult.NO_PRINTER
        if settings.kind == "escpos":
            if not settings.device:
                return PrintResult.NO_PRINTER
            printer = escpos_printer(settings.device, profile=settings.profile, timeout=settings.timeout)
            return print_escpos(receipt, printer, width=settings.dots)
        return print_cups(receipt, settings.name, settings.paper)
    except Exception as exc:  # noqa: BLE001 - a printer problem must never end the citizen's visit
        log.warning("receipt not printed: %s", type(exc).__name__)
        return PrintResult.FAILED
