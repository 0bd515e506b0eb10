"""The day-closing manifest on paper: one sheet (A4, A6 or a thermal roll) drawn by the receipt machinery.

`kiosk.closeday.day_sheet()` words the sheet (kiosk id, time, counts by state,
queue digest, audit head; no personal data); this module lays it out with the
pieces of ui/receipt_print.py (`_Layout`: text, rules, QR code) and prints it
through the same PDF, CUPS and ESC/POS paths as a citizen's receipt, so a
printer that is missing, offline or out of paper gives the same `PrintResult`.
The QR code holds the manifest's fingerprint (SHA-256 of its canonical JSON),
so the office can match the paper with the manifest the backend received.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtGui import QImage

from kiosk.closeday import DaySheet, SheetLine
from kiosk.config import PrinterSettings
from ui import receipt_print
from ui.receipt_print import THERMAL_DOTS, PrintResult


@dataclass(frozen=True)
class SheetDocument:
    """A DaySheet as the receipt printers take it: what they read of a receipt, and its own layout."""

    sheet: DaySheet

    @property
    def rtl(self) -> bool:
        return self.sheet.rtl

    @property
    def heading(self) -> str:
        return self.sheet.heading

    @property
    def reference(self) -> str:
        return self.sheet.reference

    @property
    def qr_text(self) -> str:
        return self.sheet.qr_text

    def lay_out(self, layout: Any) -> float:
        """Top to bottom with the receipt's pieces (`layout` is a ui.receipt_print._Layout); the height used."""
        s, u = self.sheet, layout.body
        narrow = layout.width <= 600
        layout.text(s.heading, u * 1.4, bold=True, centre=True, gap=u * 0.5, keep=True)
        for line in s.header:  # on a roll the values (a date and its UTC form) get the whole width
            _pair(layout, line, u, stacked=narrow)
        layout.rule(u * 0.9)
        layout.text(s.counts_label, u * 1.05, bold=True, gap=u * 0.3, keep=True)
        for line in s.counts:
            _pair(layout, line, u)
        layout.rule(u * 0.9)
        column = layout.width if narrow else layout.width * 0.68
        top = layout.y
        for line in s.details:
            layout.text(line.label, u * 0.85, width=column, gap=u * 0.1, keep=True)
            layout.text(line.value, u * (0.8 if line.code else 0.95), width=column, mono=line.code, gap=u * 0.45)
        if narrow:  # the QR code under the details, centred
            layout.y += u * 0.2
            layout.qr(layout.width * 0.42)
            layout.y += u * 0.2
            layout.text(s.qr_label, u * 0.75, centre=True, gap=u * 0.5)
        else:  # beside them, so the sheet stays one page down to A6
            bottom = layout.y
            used = layout.qr(layout.width * 0.26, x=layout.width * 0.74, y=top)
            layout.y = top + used + u * 0.1
            layout.text(s.qr_label, u * 0.7, x=layout.width * 0.72, width=layout.width * 0.28, gap=u * 0.3)
            layout.y = max(layout.y, bottom) + u * 0.2
        layout.text(s.note, u * 0.8, gap=u * 0.2)
        return float(layout.y)


def _pair(layout: Any, line: SheetLine, u: float, *, stacked: bool = False) -> None:
    """A label and its value side by side (the value in bold, at the middle of the line), or the value under
    its label (`stacked`)."""
    if stacked:
        layout.text(line.label, u * 0.85, gap=u * 0.05, keep=True)
        layout.text(line.value, u, bold=True, mono=line.code, gap=u * 0.3)
        return
    top, column = layout.y, layout.width * 0.5
    left = layout.text(line.label, u, width=column - u * 0.5)
    layout.y = top
    right = layout.text(line.value, u, bold=True, x=column, width=layout.width - column, mono=line.code)
    layout.y = top + max(left, right) + u * 0.25


def write_pdf(sheet: DaySheet, path: Path | str, page: str = "A4") -> Path:
    """The sheet as a one-page PDF (A4 or A6), vector text and QR code."""
    return receipt_print.write_pdf(SheetDocument(sheet), path, page)  # type: ignore[arg-type]


def render_image(sheet: DaySheet, width: int = THERMAL_DOTS) -> QImage:
    """The sheet as a thermal printer prints it: black and white, `width` dots wide."""
    return receipt_print.render_image(SheetDocument(sheet), width)  # type: ignore[arg-type]


def print_sheet(sheet: DaySheet, settings: PrinterSettings) -> PrintResult:
    """Print on the kiosk's [printer], as a receipt would be; never raises. Slow: call it off the GUI thread."""
    return receipt_print.print_receipt(SheetDocument(sheet), settings)  # type: ignore[arg-type]
