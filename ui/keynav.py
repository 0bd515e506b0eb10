"""Keyboard and keypad use of the citizen screens (EZ Access conventions), and focus management.

`KeyNavigator` sits between the keys and the QML screens:

- arrows and Tab move the focus in visual (reading) order, within the topmost dialog when one is
  up (the idle warning, the help card, the PIN pad, the consent screen, a popup): focus is trapped
  there and never reaches the controls behind;
- Enter and Space activate the focused control (through its accessibility press action, the very
  path a screen reader's "activate" takes);
- after every page change the focus goes to the new page's heading (the question), and when a dialog
  opens, into the dialog; after an option is chosen (its button is rebuilt) the focus stays on it;
  whatever gets the focus is scrolled into view;
- with speech on, the focused item is spoken through the kiosk's own voice: name, role, position and
  state ("Yes, option 1 of 2, selected"); a personal answer's text is never spoken this way;
- the help key (F1 or ?) says where you are and which keys do what; the repeat key (F2 or *) says the
  last thing again; + and - (or the keyboard's volume keys) change the volume; Escape stops speech;
- any key on the start (attract) screen turns speech on and starts, so no sighted touch is needed.

Keys, like touches, count as activity for the inactivity timer (ui.app.ActivityFilter); focus moves
made here count too, since a screen reader moves focus without a key the kiosk can see.
"""
from __future__ import annotations

import logging
from typing import Callable, Iterable

import shiboken6
from PySide6.QtCore import QEvent, QObject, QPointF, Qt, QTimer, Property, Signal, Slot
from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent, QKeyEvent
from PySide6.QtQuick import QQuickItem, QQuickWindow

from translations import text as tr

log = logging.getLogger(__name__)

# Dialogs that take the focus and keep it, topmost first (objectNames in the QML).
TRAPS = ("consoleScreen", "consentScreen", "pinPad", "helpCalledCard", "idleOverlay",
         "startAgainDialog", "displayDialog", "languageDialog", "dataNotice")

NEXT_KEYS = {Qt.Key.Key_Tab, Qt.Key.Key_Down}
PREVIOUS_KEYS = {Qt.Key.Key_Backtab, Qt.Key.Key_Up}
ACTIVATE_KEYS = {Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space, Qt.Key.Key_Select}
HELP_KEYS = {Qt.Key.Key_F1, Qt.Key.Key_Question, Qt.Key.Key_Help, Qt.Key.Key_Slash}
REPEAT_KEYS = {Qt.Key.Key_F2, Qt.Key.Key_Asterisk}
LOUDER_KEYS = {Qt.Key.Key_Plus, Qt.Key.Key_VolumeUp}
QUIETER_KEYS = {Qt.Key.Key_Minus, Qt.Key.Key_VolumeDown}
# Keys that on their own say nothing about a person being there to act (held modifiers).
SILENT_KEYS = {Qt.Key.Key_Shift, Qt.Key.Key_Control, Qt.Key.Key_Alt, Qt.Key.Key_Meta, Qt.Key.Key_AltGr,
               Qt.Key.Key_CapsLock, Qt.Key.Key_NumLock}

_ROLE = QAccessible.Role


def accessible(item: QObject):
    """The item's accessibility interface (the one AT-SPI reads), or None."""
    try:
        iface = QAccessible.queryAccessibleInterface(item)
    except (RuntimeError, TypeError):  # an item deleted under us
        return None
    return iface if iface is not None and iface.isValid() else None


def role_of(item: QObject):
    iface = accessible(item)
    return iface.role() if iface is not None else None


def is_text_input(item: QObject | None) -> bool:
    return item is not None and role_of(item) == _ROLE.EditableText


def scene_rect(item: QQuickItem) -> tuple[float, float, float, float]:
    """(left, top, width, height) in window coordinates."""
    p = item.mapToScene(QPointF(0, 0))
    return p.x(), p.y(), item.width(), item.height()


def visual_order(items: Iterable[QQuickItem], rtl: bool = False) -> list[QQuickItem]:
    """Items in reading order: lines from top to bottom, each line from the start edge.

    Items belong to one line when their vertical centre falls within the first item's height, so a
    tall button and a short one beside it read left to right (right to left in Arabic). What is in a
    scrolling list reads where the list is, in the list's own order, even the part scrolled out of
    sight (its place on the screen would put it after what is below the list)."""
    units: list[tuple[tuple[float, float, float, float], object]] = []
    lists: dict[int, tuple[QQuickItem, list[QQuickItem]]] = {}
    for item in items:
        flick = outermost_flickable(item)
        if flick is None:
            units.append((scene_rect(item), item))
        elif id(flick) not in lists:
            lists[id(flick)] = (flick, [item])
            units.append((scene_rect(flick), lists[id(flick)]))
        else:
            lists[id(flick)][1].append(item)
    ordered: list[QQuickItem] = []
    for unit in _reading_order(units, rtl):
        if isinstance(unit, tuple):
            flick, inside = unit
            content = flick.property("contentItem")
            ordered.extend(_reading_order([(content_rect(i, content), i) for i in inside], rtl))
        else:
            ordered.append(unit)
    return ordered


def _reading_order(units: list, rtl: bool) -> list:
    rects = sorted(units, key=lambda r: (r[0][1] + r[0][3] / 2, r[0][0]))
    lines: list[list] = []
    for rect, unit in rects:
        centre = rect[1] + rect[3] / 2
        if lines and lines[-1][0][0][1] <= centre < lines[-1][0][0][1] + lines[-1][0][0][3]:
            lines[-1].append((rect, unit))
        else:
            lines.append([(rect, unit)])
    ordered: list = []
    for line in lines:
        line.sort(key=lambda r: -(r[0][0] + r[0][2]) if rtl else r[0][0])
        ordered.extend(unit for _, unit in line)
    return ordered


def content_rect(item: QQuickItem, content: QQuickItem) -> tuple[float, float, float, float]:
    p = item.mapToItem(content, QPointF(0, 0))
    return p.x(), p.y(), item.width(), item.height()


def outermost_flickable(item: QQuickItem) -> QQuickItem | None:
    found = None
    flick = enclosing_flickable(item)
    while flick is not None:
        found, flick = flick, enclosing_flickable(flick)
    return found


def descendants(root: QQuickItem) -> Iterable[QQuickItem]:
    """`root` and every item below it. An item QML destroyed in this turn of the event loop can come back
    from childItems() as a stale wrapper of another type (seen: QMetaObject); it is skipped, never touched."""
    stack = [root]
    while stack:
        item = stack.pop()
        if not isinstance(item, QQuickItem):
            continue
        yield item
        stack.extend(item.childItems())


def is_within(item: QQuickItem, root: QQuickItem) -> bool:
    while item is not None:
        if item == root:
            return True
        item = item.parentItem()
    return False


def enclosing_flickable(item: QQuickItem) -> QQuickItem | None:
    parent = item.parentItem()
    while parent is not None:
        if parent.property("contentY") is not None and parent.property("flicking") is not None:
            return parent
        parent = parent.parentItem()
    return None


def scroll_into_view(item: QQuickItem, margin: float = 24.0) -> None:
    """Move every Flickable around `item` so the item (and its focus ring) is on screen."""
    flick = enclosing_flickable(item)
    while flick is not None:
        content = flick.property("contentItem")
        top = item.mapToItem(content, QPointF(0, 0)).y()
        y, height = flick.property("contentY"), flick.height()
        max_y = max(0.0, flick.property("contentHeight") - height)
        if top - margin < y:
            flick.setProperty("contentY", max(0.0, top - margin))
        elif top + item.height() + margin > y + height:
            flick.setProperty("contentY", min(max_y, max(0.0, top + item.height() + margin - height)))
        item, flick = flick, enclosing_flickable(flick)


class KeyNavigator(QObject):
    """Keys, focus and spoken focus for the citizen screens; `keynav` in QML."""

    changed = Signal()
    announced = Signal(str)  # every live announcement made (tests, mediator log)

    def __init__(self, bridge, voice=None, parent: QObject | None = None):
        super().__init__(parent)
        self.window: QQuickWindow | None = None
        self.bridge = bridge
        self.voice = voice
        self._items: Callable[[], Iterable[QQuickItem]] = lambda: ()
        self._keyboard_mode = False
        self._screen_key: tuple | None = None
        self._last_name = ""  # objectName of the last focused control, to find it again once rebuilt
        self._outside: QQuickItem | None = None  # the last control focused outside any dialog
        self._outside_name = ""
        self._trap: str = ""
        self._last_said = ""
        self._last_error = ""
        self._last_idle = ""
        self._followed: set[int] = set()
        self._keep: list[QQuickItem] = []  # the dialogs (TRAPS) found so far, followed for visibility
        self._trap_check_pending = False
        self._loader: QQuickItem | None = None

    def attach(self, window: QQuickWindow, items: Callable[[], Iterable[QQuickItem]] | None = None) -> None:
        """Start working on the loaded window (`items` walks every item, popups included)."""
        self.window = window
        self._items = items or (lambda: descendants(window.contentItem()))
        window.activeFocusItemChanged.connect(self._on_focus_changed)
        self.bridge.changed.connect(self._on_bridge_changed)
        self.bridge.idleChanged.connect(self._on_idle_changed)
        self.bridge.restarted.connect(self._on_restarted)
        self.bridge.submitted.connect(self._on_submitted)

    def detach(self) -> None:
        """Stop before the window goes (the app is closing): nothing deferred may touch it after."""
        if self.window is None:
            return
        self.window.activeFocusItemChanged.disconnect(self._on_focus_changed)
        for signal, slot in ((self.bridge.changed, self._on_bridge_changed),
                             (self.bridge.idleChanged, self._on_idle_changed),
                             (self.bridge.restarted, self._on_restarted),
                             (self.bridge.submitted, self._on_submitted)):
            signal.disconnect(slot)
        self.window, self._items = None, lambda: ()
        self._keep.clear()
        self._loader = None
        self._follow_traps()

    def _follow_traps(self) -> None:
        """Dialogs open from many places (Python, QML, the mediator layer): follow their visibility
        (a popup's content may only be made when it first opens, so this runs again on focus changes).

        The whole item tree (thousands of items) is walked only while some dialog has not been found yet:
        walking it on every focus change cost about 0.15 s a time, hundreds of times a journey."""
        if {i.objectName() for i in self._trap_items()} >= set(TRAPS):
            return
        for item in self.items():
            if item.objectName() in TRAPS and id(item) not in self._followed:
                self._followed.add(id(item))
                self._keep.append(item)  # the wrapper stays alive, so its id is never reused
                item.visibleChanged.connect(self._trap_maybe_changed)

    def _trap_items(self) -> list[QQuickItem]:
        """The dialogs found so far that still exist (one QML destroyed is forgotten, and looked for again)."""
        alive = [i for i in self._keep if shiboken6.isValid(i)]
        if len(alive) != len(self._keep):
            self._keep = alive
            self._followed = {id(i) for i in alive}
        return alive

    # --- QML ----------------------------------------------------------------------

    @Property(bool, notify=changed)
    def keyboardMode(self) -> bool:
        """A key was pressed in this session: focus is shown and (with speech on) spoken."""
        return self._keyboard_mode

    @Property(str, notify=changed)
    def keysHelp(self) -> str:
        return tr(self.bridge.language, "keys.keys_help")

    # --- what is on the screen ----------------------------------------------------------

    def focused(self) -> QQuickItem | None:
        """The item with the keyboard focus (None before attach, after detach, or nowhere)."""
        return self.window.activeFocusItem() if self.window is not None else None

    def _root(self) -> QQuickItem:
        assert self.window is not None, "KeyNavigator used before attach()"
        return self.window.contentItem()

    def items(self) -> list[QQuickItem]:
        return [i for i in self._items() if isinstance(i, QQuickItem)]

    def named(self, name: str) -> QQuickItem | None:
        return next((i for i in self.items() if i.objectName() == name and i.isVisible()), None)

    def trap(self) -> QQuickItem | None:
        """The topmost dialog showing, which holds the focus, or None."""
        if self.window is None:
            return None
        self._follow_traps()
        shown = {i.objectName(): i for i in self._trap_items() if i.isVisible()}
        return next((shown[name] for name in TRAPS if name in shown), None)

    def scope(self) -> QQuickItem:
        return self.trap() or self._root()

    def focusables(self, scope: QQuickItem | None = None) -> list[QQuickItem]:
        """Controls the focus can land on in `scope`, in reading order."""
        scope = scope or self.scope()
        found = [i for i in descendants(scope) if i.isVisible() and i.isEnabled() and i.activeFocusOnTab()
                 and i.width() > 0 and i.height() > 0]
        return visual_order(found, rtl=bool(self.bridge.rtl))

    def heading(self, scope: QQuickItem | None = None) -> QQuickItem | None:
        """The first heading of `scope` in reading order (the question, the screen's title)."""
        scope = scope or self.screen_root()
        found = [i for i in descendants(scope) if i.isVisible() and role_of(i) == _ROLE.Heading
                 and i.property("text")]
        ordered = visual_order(found, rtl=bool(self.bridge.rtl))
        return ordered[0] if ordered else None

    def screen_root(self) -> QQuickItem:
        loader = self._loader if self._loader is not None and shiboken6.isValid(self._loader) else None
        if loader is None:  # found once: the page Loader lives as long as the window
            loader = self._loader = next((i for i in self.items() if i.objectName() == "screenLoader"), None)
        item = loader.property("item") if loader is not None else None
        return item if isinstance(item, QQuickItem) else self._root()

    # --- moving the focus -----------------------------------------------------------------

    def focus(self, item: QQuickItem, *, speak: bool = True, keyboard: bool | None = None) -> None:
        keyboard = self._keyboard_mode if keyboard is None else keyboard
        reason = Qt.FocusReason.TabFocusReason if keyboard else Qt.FocusReason.OtherFocusReason
        item.forceActiveFocus(reason)
        scroll_into_view(item)
        if speak and keyboard:
            self.say_focus()

    @Slot(int)
    def move(self, step: int) -> None:
        """Next (+1) or previous (-1) control in reading order, within the open dialog if any."""
        controls = self.focusables()
        if not controls:
            return
        current = self.focused()
        if current in controls:
            target = controls[(controls.index(current) + step) % len(controls)]
        else:  # on the heading or nowhere: from the start (or, going back, from the end)
            target = controls[0] if step > 0 else controls[-1]
        self.focus(target, keyboard=True)

    @Slot()
    def focusScreenStart(self) -> None:
        """The focus on the page's heading (a screen reader reads the new question first)."""
        trap = self.trap()
        if trap is not None:
            return self._focus_trap(trap)
        heading = self.heading()
        if heading is not None:
            self.focus(heading, speak=False)
        else:
            controls = self.focusables()
            if controls:
                self.focus(controls[0], speak=False)

    def _focus_trap(self, trap: QQuickItem) -> None:
        controls = self.focusables(trap)
        if controls:
            # The idle warning is spoken whole when it comes (_on_idle_changed): its button would cut it off.
            self.focus(controls[0], speak=trap.objectName() != "idleOverlay")

    def _trap_maybe_changed(self) -> None:
        self._schedule_trap_check()

    def _schedule_trap_check(self) -> None:
        """One check after this turn of the event loop, however many focus and visibility changes asked."""
        if not self._trap_check_pending:
            self._trap_check_pending = True
            QTimer.singleShot(0, self._check_trap)

    def _check_trap(self) -> None:
        self._trap_check_pending = False
        if self.window is None:
            return
        trap = self.trap()
        name = trap.objectName() if trap is not None else ""
        if name == self._trap:
            if trap is not None and not is_within(self.focused() or trap, trap):
                self._focus_trap(trap)  # something took the focus out of the dialog: back in
            return
        self._trap = name
        if trap is not None:
            return self._focus_trap(trap)
        # The dialog closed: back where the person was (or to the page's heading).
        back = self._outside
        try:
            usable = back is not None and back.isVisible() and back.isEnabled()
        except RuntimeError:  # deleted with the page it was on
            usable = False
        back = back if usable else (self.named(self._outside_name) if self._outside_name else None)
        if back is not None and back.isEnabled():
            self.focus(back, speak=False)
        else:
            self.focusScreenStart()

    def _on_bridge_changed(self) -> None:
        b = self.bridge
        key = (b.screen, b.pageId, b.language)
        if key != self._screen_key:
            self._screen_key = key
            self._last_name = ""
            self._outside, self._outside_name = None, ""
            # After QML has rebuilt the page (same turn of the event loop, queued behind it).
            QTimer.singleShot(0, self._new_page)
        error = b.error if b.screen == "question" else b.submitError
        if error and error != self._last_error:
            self.announce(error)
        self._last_error = error

    def _new_page(self) -> None:
        if self.window is None:
            return
        self.focusScreenStart()
        b = self.bridge
        if b.screen == "question" and b.question:
            self.announce(b.question)

    def _on_focus_changed(self) -> None:
        item = self.focused()
        # A dialog may have opened (popups take the focus), and the focus may not leave an open one.
        self._schedule_trap_check()
        if item is not None and item.objectName() and item.activeFocusOnTab():
            self._last_name = item.objectName()
            if not any(is_within(item, t) for t in self._trap_items() if t.isVisible()):
                self._outside, self._outside_name = item, item.objectName()
            scroll_into_view(item)
            return
        if self._last_name:  # the focused control was rebuilt (an option chosen): find it again
            QTimer.singleShot(0, self._restore)

    def _restore(self) -> None:
        if self.window is None:
            return
        current = self.focused()
        if current is not None and current.activeFocusOnTab() and current.objectName():
            return
        again = self.named(self._last_name)
        if again is not None and is_within(again, self.scope()):
            self.focus(again)  # and, with keys, say its new state ("selected")

    # --- keys ------------------------------------------------------------------------

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() != QEvent.Type.KeyPress or self.window is None or obj is not self.window:
            return False
        assert isinstance(event, QKeyEvent)
        return self.key(Qt.Key(event.key()), event.modifiers(), event.isAutoRepeat())

    def key(self, key: Qt.Key, modifiers=Qt.KeyboardModifier.NoModifier, repeat: bool = False) -> bool:
        """Act on one key press; True when it was used here (Qt then does nothing more with it)."""
        if key in SILENT_KEYS:
            return False
        self.bridge.touch()  # a key is activity (a key used here never reaches ui.app.ActivityFilter)
        if not self._keyboard_mode:
            self._keyboard_mode = True
            self.changed.emit()
        if self.bridge.screen == "attract" and self.trap() is None:
            # Any key on the start screen: speech on, and in. Nobody needs to find the screen first.
            if self.voice is not None:
                self.voice.readToMe()
            self.bridge.start()
            return True
        focused = self.focused()
        in_text = is_text_input(focused)
        multiline = focused is not None and in_text and focused.inherits("QQuickTextEdit")  # up/down: its lines
        if key == Qt.Key.Key_Tab and modifiers & Qt.KeyboardModifier.ShiftModifier:
            key = Qt.Key.Key_Backtab
        rtl = bool(self.bridge.rtl)
        if key in NEXT_KEYS and not (multiline and key == Qt.Key.Key_Down):
            self.move(1)
            return True
        if key in PREVIOUS_KEYS and not (multiline and key == Qt.Key.Key_Up):
            self.move(-1)
            return True
        if key in (Qt.Key.Key_Left, Qt.Key.Key_Right) and not in_text:
            forward = (key == Qt.Key.Key_Right) != rtl  # in Arabic the next item is to the left
            self.move(1 if forward else -1)
            return True
        if key == Qt.Key.Key_Escape:
            self._stop_speech()
            return False  # and a popup still closes on it
        if key in HELP_KEYS and not (in_text and key in (Qt.Key.Key_Slash, Qt.Key.Key_Question)):
            self.help()
            return True
        if key in REPEAT_KEYS and not (in_text and key == Qt.Key.Key_Asterisk):
            self.repeat()
            return True
        if key in LOUDER_KEYS | QUIETER_KEYS and not (in_text and key in (Qt.Key.Key_Plus, Qt.Key.Key_Minus)):
            if self.voice is not None and key in LOUDER_KEYS:
                self.voice.louder()
            elif self.voice is not None:
                self.voice.quieter()
            return True
        if key in ACTIVATE_KEYS and not in_text:
            if not repeat and focused is not None:
                self.activate(focused)
            return True
        return False

    def activate(self, item: QQuickItem) -> bool:
        """Press the control, as a screen reader's "activate" does (its accessibility press action)."""
        iface = accessible(item)
        actions = iface.actionInterface() if iface is not None else None
        if actions is None or actions.pressAction() not in actions.actionNames() or not item.isEnabled():
            return False
        actions.doAction(actions.pressAction())
        return True

    # --- speech ---------------------------------------------------------------------------

    def describe(self, item: QQuickItem | None) -> str:
        """What a person hears for a focused item: name, role, position, state."""
        if item is None:
            return ""
        iface = accessible(item)
        if iface is None:
            return ""
        lang = self.bridge.language
        name = iface.text(QAccessible.Text.Name) or (item.property("text") or "")
        role, state = iface.role(), iface.state()
        parts = [name]
        if role in (_ROLE.RadioButton, _ROLE.CheckBox):
            group = visual_order([c for c in (item.parentItem().childItems() if item.parentItem() else [item])
                                  if c.isVisible() and role_of(c) == role], rtl=bool(self.bridge.rtl))
            if role == _ROLE.RadioButton:
                parts.append(tr(lang, "keys.role.option", n=group.index(item) + 1 if item in group else 1,
                                count=max(1, len(group))))
                parts.append(tr(lang, "keys.state.selected" if state.checked else "keys.state.not_selected"))
            else:
                if len(group) > 1:
                    parts.append(tr(lang, "keys.role.choice", n=group.index(item) + 1, count=len(group)))
                else:
                    parts.append(tr(lang, "keys.role.checkbox"))
                parts.append(tr(lang, "keys.state.ticked" if state.checked else "keys.state.not_ticked"))
        elif role == _ROLE.Button and state.checkable:
            parts.append(tr(lang, "keys.role.switch"))
            parts.append(tr(lang, "keys.state.on" if state.checked else "keys.state.off"))
        elif role == _ROLE.Button:
            parts.append(tr(lang, "keys.role.button"))
        elif role == _ROLE.EditableText:
            parts.append(tr(lang, "keys.role.text_field"))
            value = item.property("text") or ""
            if not value:
                parts.append(tr(lang, "keys.state.empty"))
            elif self._personal():
                parts.append(tr(lang, "keys.private_value"))
            else:
                parts.append(value)
        elif role == _ROLE.Heading:
            parts.append(tr(lang, "keys.role.heading"))
        if not item.isEnabled():
            parts.append(tr(lang, "keys.state.unavailable"))
        return ", ".join(p for p in parts if p) + "."

    def _personal(self) -> bool:
        """Is the current page's answer personal? Then its text is said only on request (and privately)."""
        journey = getattr(self.bridge, "journey", None)
        page = getattr(journey, "page", None) if journey is not None else None
        return bool(getattr(page, "personal", True)) if self.bridge.screen == "question" else True

    def say_focus(self) -> None:
        self.say(self.describe(self.focused()))

    def say(self, text: str) -> None:
        if text and self.voice is not None:
            self._last_said = text
            self.voice.sayText(text)

    def help(self) -> None:
        """Where you are, what is focused, and which keys do what."""
        lang = self.bridge.language
        content = self.bridge.screen_content()
        where = content.title or ""
        focused = self.describe(self.focused())
        text = tr(lang, "keys.help", where=where, item=focused.rstrip(".")) + " " + tr(lang, "keys.keys_help")
        if self.voice is not None:
            self.voice.readToMe()  # asking for help is asking to be spoken to
        self.say(text)

    def repeat(self) -> None:
        if self.voice is None:
            return
        if self._last_said:
            self.voice.sayText(self._last_said)
        else:
            self.voice.listenAgain()

    def _stop_speech(self) -> None:
        if self.voice is not None:
            self.voice.stopSpeaking()

    # --- live announcements ------------------------------------------------------------------------

    def announce(self, text: str, assertive: bool = False) -> None:
        """Tell screen readers something new without moving the focus (a live region)."""
        if not text:
            return
        self.announced.emit(text)
        target = self._root()
        try:
            event = QAccessibleAnnouncementEvent(target, text)
            event.setPoliteness(QAccessible.AnnouncementPoliteness.Assertive if assertive
                                else QAccessible.AnnouncementPoliteness.Polite)
            QAccessible.updateAccessibility(event)
        except (RuntimeError, TypeError) as exc:  # an accessibility bridge that cannot take it
            log.debug("announcement not sent: %s", exc)

    def _on_idle_changed(self) -> None:
        b = self.bridge
        if b.idlePhase == "warning" and self._last_idle != "warning":
            text = tr(b.language, "idle.title") + " " + b.idleCountdownText
            self.announce(text, assertive=True)
            if self.voice is not None and self.voice.property("enabled"):
                self.voice.sayText(text)
        self._last_idle = b.idlePhase

    def _on_submitted(self, reference: str) -> None:
        from voice.script import spell
        from kiosk.reference import display
        self.announce(tr(self.bridge.language, "keys.reference", reference=display(reference),
                         characters=spell(reference)))

    def _on_restarted(self) -> None:
        self._last_said, self._last_error, self._last_name = "", "", ""
        self._outside, self._outside_name = None, ""
        if self._keyboard_mode:
            self._keyboard_mode = False
            self.changed.emit()

