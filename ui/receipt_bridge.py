"""The receipt on the confirmation screen: its QR code, "Print my receipt", the print result in words.

`ReceiptController` listens to the kiosk bridge: when a submission is on disk
it builds the receipt (`kiosk.receipt.build_receipt`) in the session's
language; when the session is wiped it forgets it. Printing runs on the task
manager's pool, never on the GUI thread; its `PrintResult` comes back as words
in the citizen's language (translations core: receipt.result.<code>). A print
that ends after the citizen has left is dropped, so the next person never
sees it.
"""
from __future__ import annotations

import datetime as dt
import logging
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Property, QObject, Signal, Slot

from kiosk.receipt import Receipt, build_receipt
from translations import text as tr
from ui.tasks import TaskManager

if TYPE_CHECKING:  # the printing module (QPainter pages, segno, ESC/POS) loads at the first receipt, not at start-up
    from ui.receipt_print import PrintResult

log = logging.getLogger(__name__)


class ReceiptController(QObject):
    """What QML binds for the receipt card; `kiosk` is the KioskBridge of this session."""

    receiptChanged = Signal()
    printChanged = Signal()
    answersChanged = Signal()
    printed = Signal(str)  # the print result in words, for whoever speaks or shows it

    def __init__(self, config: Any, kiosk: Any, *, tasks: TaskManager | None = None,
                 printer: Any = None, parent: QObject | None = None):
        super().__init__(parent)
        self._config = config
        self._kiosk = kiosk
        self._settings = printer if printer is not None else config.printer
        self._tasks = tasks or TaskManager(self)
        self._receipt: Receipt | None = None
        self._rows: list = []  # (page, value) of the finished journey, for a copy of the answers
        self._when: dt.datetime | None = None
        self._reference = ""
        self._qr = ""
        self._printing = False
        self._result: PrintResult | None = None
        self._answers_shown = False
        self._session = 0  # bumped at every wipe: late results of an earlier session are dropped
        kiosk.submitted.connect(self._on_submitted)
        kiosk.restarted.connect(self.clear)
        kiosk.changed.connect(self._follow_language)

    # --- state for QML -----------------------------------------------------------------------

    @Property(bool, notify=receiptChanged)
    def available(self) -> bool:
        return self._receipt is not None

    @Property(bool, notify=receiptChanged)
    def canPrint(self) -> bool:
        return self._receipt is not None and self._settings.kind != "none"

    @Property(str, notify=receiptChanged)
    def qrImage(self) -> str:
        """The QR code (reference and follow-up address) as a PNG data URL."""
        return self._qr

    @Property(str, notify=receiptChanged)
    def qrText(self) -> str:
        return self._receipt.qr_text if self._receipt else ""

    @Property(str, notify=receiptChanged)
    def qrLabel(self) -> str:
        return self._receipt.qr_label if self._receipt else ""

    @Property(str, notify=receiptChanged)
    def expectedBy(self) -> str:
        return self._receipt.expected_by if self._receipt else ""

    @Property(str, notify=receiptChanged)
    def spokenText(self) -> str:
        """The receipt as the voice reads it (no answers): EN 301 549 5.1.3.16, receipts as speech."""
        return self._receipt.spoken_text() if self._receipt else ""

    @Property(bool, notify=printChanged)
    def printing(self) -> bool:
        return self._printing

    @Property(str, notify=printChanged)
    def resultCode(self) -> str:
        return self._result.value if self._result else ""

    @Property(bool, notify=printChanged)
    def resultOk(self) -> bool:
        return bool(self._result and self._result.ok)

    @Property(str, notify=printChanged)
    def resultText(self) -> str:
        if self._printing:
            return tr(self._language(), "receipt.printing")
        return tr(self._language(), self._result.message_key) if self._result else ""

    @Property(bool, notify=answersChanged)
    def answersShown(self) -> bool:
        return self._answers_shown

    @Property("QVariantList", notify=answersChanged)
    def answers(self) -> list:
        """A copy of the answers on screen (sensitive ones masked), only while the citizen asked to see it."""
        if not self._answers_shown or self._receipt is None:
            return []
        copy = self._build(with_answers=True)
        # In Arabic an answer keeps its own direction: "+351 912 345 678" is not reordered.
        wrap = (lambda text: "\u2068" + text + "\u2069") if copy.rtl else (lambda text: text)
        return [{"pageId": a.page_id, "question": a.question, "answer": wrap(a.answer), "masked": a.masked}
                for a in copy.answers]

    # --- actions -----------------------------------------------------------------------------

    @Slot()
    def print(self) -> None:  # noqa: A003 - the name QML calls
        self._print(with_answers=False)

    @Slot()
    def printWithAnswers(self) -> None:
        self._print(with_answers=True)

    @Slot(bool)
    def showAnswers(self, shown: bool) -> None:
        self._answers_shown = bool(shown) and self._receipt is not None
        self.answersChanged.emit()

    @Slot()
    def clear(self) -> None:
        """Forget the receipt and the answers (the session was wiped)."""
        self._session += 1
        self._receipt, self._rows, self._when, self._reference, self._qr = None, [], None, "", ""
        self._printing, self._result, self._answers_shown = False, None, False
        self.receiptChanged.emit()
        self.printChanged.emit()
        self.answersChanged.emit()

    def receipt(self, *, with_answers: bool = False) -> Receipt | None:
        """The current receipt (for tests and the mediator), optionally with a copy of the answers."""
        return self._build(with_answers=with_answers) if self._receipt else None

    def wait(self, msecs: int = -1) -> bool:
        """Block until a running print has finished (tests, shutdown)."""
        return self._tasks.wait(msecs)

    # --- inside ------------------------------------------------------------------------------

    def _language(self) -> str:
        return str(self._kiosk.property("language") or self._config.default_language)

    def _build(self, *, with_answers: bool) -> Receipt:
        journey = self._kiosk.journey
        service = journey.service if journey is not None else None
        if service is None or self._when is None:
            assert self._receipt is not None
            return self._receipt
        return build_receipt(service, self._reference, self._when, self._language(),
                             answers=self._rows if with_answers else None)

    def _on_submitted(self, reference: str) -> None:
        journey = self._kiosk.journey
        if journey is None:
            return
        self._reference = reference
        self._when = dt.datetime.now().astimezone()
        self._rows = [(row.page, row.value) for row in journey.summary()]
        self._result, self._printing, self._answers_shown = None, False, False
        self._rebuild()
        self.printChanged.emit()
        self.answersChanged.emit()

    def _rebuild(self) -> None:
        self._receipt = self._build(with_answers=False) if self._kiosk.journey is not None else None
        if self._receipt is not None:
            from ui.receipt_print import qr_data_url
            self._qr = qr_data_url(self._receipt.qr_text)
        else:
            self._qr = ""
        self.receiptChanged.emit()

    def _follow_language(self) -> None:
        if self._receipt is not None and self._receipt.language != self._language() and self._kiosk.journey:
            self._rebuild()
            self.printChanged.emit()
            self.answersChanged.emit()

    def _print(self, *, with_answers: bool) -> None:
        if self._receipt is None or self._printing:
            return
        from ui.receipt_print import PrintResult, print_receipt
        receipt = self._build(with_answers=with_answers)
        settings, session = self._settings, self._session
        self._printing, self._result = True, None
        self.printChanged.emit()

        def done(future: Future) -> None:  # back on the GUI thread
            if session != self._session:
                return  # the citizen has gone; the next one must not see this
            try:
                result = future.result()
            except Exception as exc:  # noqa: BLE001 - print_receipt does not raise; belt and braces
                log.warning("receipt not printed: %s", type(exc).__name__)
                result = PrintResult.FAILED
            self._printing, self._result = False, result
            self.printChanged.emit()
            self.printed.emit(tr(self._language(), result.message_key))
        self._tasks.run_in_background(lambda: print_receipt(receipt, settings), done)
