"""The PIN pad (`mediator.pin` in QML): choose an account by its initials, type on shuffled keys.

QML sends key positions, never digits; the digits stay here and are checked
off the GUI thread (scrypt takes tens of milliseconds) through the task
manager. Anyone can open the pad by holding the corner, so it shows initials,
never names or account ids. The PIN's length limits come from kiosk.pin.
"""
from __future__ import annotations

import functools
from concurrent.futures import Future

from PySide6.QtCore import Property, QObject, Signal, Slot

from kiosk.mediators import DISABLED, LOCKED, AuthResult, Mediator, MediatorStore, initials, record_login
from kiosk.pin import MAX_FAILURES, MAX_LENGTH, MIN_LENGTH, shuffled_keypad
from translations import text as tr
from ui.tasks import TaskManager


class PinEntry(QObject):
    """One PIN entry at a time; `succeeded(mediator)` when a PIN was right."""

    changed = Signal()  # what typing changes: digits, message, lock, the selected account
    accountsChanged = Signal()  # the list of accounts (only when the pad opens)
    succeeded = Signal(object)  # kiosk.mediators.Mediator

    def __init__(self, store: MediatorStore, audit, tasks: TaskManager, language: str,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.store, self.audit, self.tasks, self.language = store, audit, tasks, language
        self._accounts: list[Mediator] = []
        self._selected = -1
        self._keypad = shuffled_keypad()
        self._pin = ""  # never leaves Python; QML sees only its length
        self._message = ""
        self._locked = False
        self._busy = False
        self._reauth = False

    # --- starting -----------------------------------------------------------------

    def start(self, only: Mediator | None = None) -> None:
        """A fresh pad: every active account, or just `only` (asking a signed-in mediator again)."""
        self._reauth = only is not None
        self._accounts = [only] if only is not None else self.store.active()
        self._selected = 0 if len(self._accounts) == 1 else -1
        self._reset_entry()
        if not self._accounts:
            self._message = tr(self.language, "m.pin.no_accounts")
        elif self._reauth:
            self._message = tr(self.language, "m.pin.reauth")
        self.accountsChanged.emit()
        self.changed.emit()

    def _reset_entry(self) -> None:
        self._pin, self._message, self._locked = "", "", False
        self._keypad = shuffled_keypad()

    # --- properties for QML ------------------------------------------------------

    @Property("QVariantList", notify=accountsChanged)
    def accounts(self) -> list:
        """One button per account: its initials and its position (no name, no id)."""
        return [{"index": i, "label": label}
                for i, label in enumerate(initials([m.name for m in self._accounts]))]

    @Property(int, notify=changed)
    def selectedAccount(self) -> int:
        return self._selected

    @Property(str, notify=changed)
    def prompt(self) -> str:
        if 0 <= self._selected < len(self._accounts):
            label = initials([m.name for m in self._accounts])[self._selected]
            return tr(self.language, "m.pin.enter", name=label)
        return tr(self.language, "m.pin.who")

    @Property("QVariantList", notify=changed)
    def keypad(self) -> list:
        return list(self._keypad)

    @Property(int, notify=changed)
    def length(self) -> int:
        """How many digits are typed (the digits themselves never reach QML)."""
        return len(self._pin)

    @Property(str, notify=changed)
    def digitsTyped(self) -> str:
        """What a screen reader says of the dots ("3 digits typed"), in the plural form of the mediator's language."""
        return tr(self.language, "m.pin.digits", n=self.length)

    @Property(int, constant=True)
    def minLength(self) -> int:
        return MIN_LENGTH

    @Property(int, constant=True)
    def maxLength(self) -> int:
        return MAX_LENGTH

    @Property(str, notify=changed)
    def message(self) -> str:
        return self._message

    @Property(bool, notify=changed)
    def locked(self) -> bool:
        return self._locked

    @Property(bool, notify=changed)
    def busy(self) -> bool:
        """True while the PIN is being checked."""
        return self._busy

    @Property(bool, notify=changed)
    def reauth(self) -> bool:
        """True when a signed-in mediator is asked for the PIN again."""
        return self._reauth

    @property
    def selected_mediator(self) -> Mediator | None:
        return self._accounts[self._selected] if 0 <= self._selected < len(self._accounts) else None

    # --- keys ----------------------------------------------------------------------

    @Slot(int)
    def selectAccount(self, index: int) -> None:
        if 0 <= index < len(self._accounts) and not self._busy:
            self._selected = index
            self._reset_entry()
            self.changed.emit()

    @Slot(int)
    def pressKey(self, index: int) -> None:
        """A key of the shuffled pad, by position."""
        if self._locked or self._busy or not 0 <= index < len(self._keypad) or len(self._pin) >= MAX_LENGTH:
            return
        self._pin += self._keypad[index]
        self._message = ""
        self.changed.emit()

    @Slot()
    def deleteDigit(self) -> None:
        self._pin = self._pin[:-1]
        self.changed.emit()

    @Slot()
    def clear(self) -> None:
        self._pin = ""
        self.changed.emit()

    def forget(self) -> None:
        """The pad closes: no digit stays behind."""
        self._pin = ""
        self.changed.emit()

    @Slot()
    def submit(self) -> None:
        """Check the PIN off the GUI thread; the outcome comes back through `_checked`."""
        mediator = self.selected_mediator
        if mediator is None or len(self._pin) < MIN_LENGTH or self._busy or self._locked:
            return
        pin, self._pin = self._pin, ""
        self._busy = True
        self.changed.emit()
        # The digits live on only inside the task; no other reference to them is kept.
        self.tasks.run_in_background(functools.partial(self.store.authenticate, mediator.id, pin), self._checked)
        del pin

    def _checked(self, future: Future) -> None:
        self._busy = False
        self._keypad = shuffled_keypad()
        try:
            result: AuthResult = future.result()
            record_login(self.audit, result)
        except Exception as exc:  # noqa: BLE001 - a damaged accounts file: say so, never crash
            self._message = tr(self.language, "m.console.failed_action", reason=type(exc).__name__)
            self.changed.emit()
            return
        if result.ok:
            self._message = ""
            self.changed.emit()
            self.succeeded.emit(result.mediator)
            return
        if result.outcome == LOCKED:
            self._locked = True
            self._message = tr(self.language, "m.pin.locked", seconds=result.retry_in)
        elif result.outcome == DISABLED:
            self._message = tr(self.language, "m.pin.disabled")
        else:
            self._message = tr(self.language, "m.pin.wrong", left=max(0, MAX_FAILURES - result.failures))
        self.changed.emit()
