"""The mediator layer through the real QML screens (pytest-qt, offscreen).

Covers: an assisted journey with consent (payload["assisted"] as queued), a
refused consent, a withdrawn consent, PIN lock-out on the shuffled keypad, the
console's actions, and that no audit entry, log line or console screen holds
the test journey's canary personal data. Also writes the 1366x768
screenshots of the panel and the console (to $PONTE_MEDIATOR_SHOTS if set).
"""
from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest

from kiosk.mediators import MediatorStore
from offline_queue import open_outbox
from tests.queue_fixtures import make_queue_config
from tests.ui_driver import Driver

pytestmark = pytest.mark.timeout(300)


class SafeDriver(Driver):
    """The lead's Driver, walking only real QQuickItems: now and then childItems() hands back a
    wrapper that is not an item (seen as "'QMetaObject' object has no attribute 'objectName'")."""

    def items(self):
        from PySide6.QtQuick import QQuickItem
        window = self.app.window
        stack = [window.contentItem(), *window.findChildren(QQuickItem)]
        seen, keep = set(), []
        while stack:
            item = stack.pop()
            if not isinstance(item, QQuickItem) or id(item) in seen:
                continue
            seen.add(id(item))
            keep.append(item)
            yield item
            try:
                stack.extend(item.childItems())
            except (AttributeError, RuntimeError):
                continue

    def ensure_visible(self, item) -> None:
        # The same wrappers can turn up on the way up to an enclosing Flickable.
        try:
            super().ensure_visible(item)
        except (AttributeError, RuntimeError, TypeError):
            pass

PIN = "482913"
SUPERVISOR_PIN = "730519"
CANARY_NAME = "Quenildo Canarinho"
CANARY_ADDRESS = "Rua Canario 77"


def make_kiosk(qtbot, tmp_path, mediator: dict | None = None):
    import dataclasses
    from ui.app import KioskApp

    config, private_key = make_queue_config(tmp_path)
    if mediator:
        config = dataclasses.replace(config, raw={**config.raw, "mediator": mediator})
    store = MediatorStore.for_config(config)
    store.add("ana.s", "Ana Silva", "mediator", PIN)
    store.add("rui.s", "Rui Santos", "supervisor", SUPERVISOR_PIN)
    store.close()
    app = KioskApp(config, windowed=True, size=(1366, 768))
    quits: list[int] = []
    ctrl = app.mediator
    ctrl._quit = quits.append
    ctrl.console.clock_probe = False
    qtbot.waitExposed(app.window)
    driver = SafeDriver(app, qtbot)
    driver.config, driver.private_key, driver.ctrl, driver.quits = config, private_key, ctrl, quits
    driver.export_dir = tmp_path / "usb"
    ctrl.console.export_dir = driver.export_dir
    return driver


def close_kiosk(d) -> None:
    d.ctrl.close()
    d.app.close()


@pytest.fixture
def kiosk(qtbot, tmp_path):
    driver = make_kiosk(qtbot, tmp_path)
    yield driver
    close_kiosk(driver)


def start(d: Driver, language: str = "pt", service: str = "change-of-address") -> None:
    d.click("startButton")
    d.click(f"lang_{language}")
    d.click(f"service_{service}")
    if d.app.bridge.screen == "start":  # the service's own start page: what it needs, the data notice
        d.click("nextButton")
        d.qtbot.waitUntil(lambda: d.app.bridge.screen == "question", timeout=5000)


ACCOUNTS = ("ana.s", "rui.s")  # the PIN pad lists active accounts in id order, by initials


def enter_pin(d: Driver, pin: str, account: str = "ana.s") -> None:
    d.settle()  # the pad may have been opened without a touch: let it lay out
    pad = d.ctrl.pin
    index = ACCOUNTS.index(account) if len(pad.accounts) > 1 else 0
    if pad.selectedAccount != index:
        d.click(f"pinAccount_{index}")
    for digit in pin:
        d.click(f"pinKey_{pad.keypad.index(digit)}")
    d.click("pinSubmit")
    wait_idle(d)


def wait_idle(d: Driver) -> None:
    """Until the background work (PIN check, console action) is done and its result shown."""
    d.qtbot.waitUntil(lambda: not d.ctrl.tasks.busy, timeout=20000)
    d.settle()


def sign_in(d: Driver) -> None:
    d.click("callHelperButton")
    assert d.has("helpCalledCard")
    d.click("helpHelperHere")
    enter_pin(d, PIN)
    assert d.ctrl.layer.view == "panel" and d.has("mediatorPanel")


def audit_actions(d: Driver) -> list[str]:
    return [e.action for e in d.ctrl.audit.entries()]


def answer_all(d: Driver, answers: dict | None = None) -> None:
    service = d.app.bridge.journey.service
    d.complete_questions(service, answers)


def submit_and_open(d: Driver) -> dict:
    d.click("consentButton")
    d.click("submitButton")
    d.qtbot.waitUntil(lambda: d.app.bridge.screen == "done", timeout=10000)
    reference = d.app.bridge.reference.replace("-", "")
    with open_outbox(d.config) as outbox:
        return outbox.open_payload(reference, d.private_key)


def test_assisted_journey_with_consent(kiosk):
    d = kiosk
    start(d)
    sign_in(d)
    assert "NIF" in d.text_of("panelNotes") or d.text_of("panelNotes")  # notes for the first question
    assert d.text_of("panelRequirements")
    d.click("panelAskConsent")
    assert d.has("consentScreen")
    # In the citizen's language (pt), with the mediator's name.
    assert d.text_of("consentTitle") == "Ana Silva pode preencher o formulário por si?"
    assert d.text_of("consentAccept") == "Sim, Ana Silva pode preencher por mim"
    d.click("consentAccept")
    assert d.ctrl.assist.mayFill and d.has("withdrawConsent")
    d.click("identity_id_card")
    d.click("panelHide")
    answer_all(d, {"full_name": CANARY_NAME, "new_address": CANARY_ADDRESS})
    d.click("mediatorTab")
    assert d.has("panelAnswers")
    assert CANARY_NAME in d.all_text()  # the mediator sees the answers so far
    d.click("panelHandBack")
    assert not d.has("mediatorPanel") and not d.has("assistBar")
    payload = submit_and_open(d)
    a = payload["assisted"]
    assert a["assisted"] is True and a["mediator_id"] == "ana.s" and a["consent_at"]
    assert a["filled_on_behalf"] is True and a["identity_checked"] is True and a["identity_document"] == "id_card"
    assert a["service"] == "change-of-address" and a["consent_withdrawn_at"] is None
    actions = audit_actions(d)
    for expected in ("login", "assist_start", "consent_shown", "consent_given", "identity_checked",
                     "fill_on_behalf", "assist_end"):
        assert expected in actions
    steps = [e.details["step"] for e in d.ctrl.audit.entries() if e.action == "fill_on_behalf"]
    assert "full_name" in steps and "new_address" in steps
    assert d.ctrl.audit.verify().ok
    # Next citizen: unassisted.
    d.click("finishButton") if d.has("finishButton") else d.app.bridge.finish()
    assert d.app.bridge.citizen.assisted_payload() is None
    today = d.ctrl.stores.stats.today()
    assert today.completed == 1 and today.assisted == 1


def test_refused_consent(kiosk):
    d = kiosk
    start(d, "ar")
    sign_in(d)
    d.click("panelAskConsent")
    assert d.has("consentScreen")
    assert d.item("consentScreen").property("LayoutMirroring.enabled") in (True, None)
    assert d.ctrl.assist.citizenRtl
    d.click("consentRefuse")
    assert d.ctrl.layer.view == "panel" and not d.ctrl.assist.mayFill and not d.has("withdrawConsent")
    assert "consent_refused" in audit_actions(d)
    d.click("panelHandBack")
    d.click("panelHide") if d.has("panelHide") else None
    answer_all(d)
    a = submit_and_open(d)["assisted"]
    assert a["assisted"] is True and a["consent_at"] is None and a["filled_on_behalf"] is False


def test_withdrawn_consent(kiosk):
    d = kiosk
    start(d, "fr")
    sign_in(d)
    d.click("panelAskConsent")
    d.click("consentAccept")
    assert d.text_of("withdrawConsent") == "Arrêter : je le fais moi-même"
    d.click("withdrawConsent")  # the citizen takes the screen back
    assert not d.ctrl.assist.mayFill and not d.has("withdrawConsent")
    assert d.has("assistBar")  # the helper is still there to explain
    assert audit_actions(d)[-1] == "consent_withdrawn"
    record = d.ctrl.assist.record()
    assert record["consent_at"] and record["consent_withdrawn_at"]


def test_pin_lockout(kiosk):
    d = kiosk
    start(d)
    d.click("callHelperButton")
    d.click("helpHelperHere")
    first = list(d.ctrl.pin.keypad)
    for i in range(4):
        enter_pin(d, "000000")
        assert "4" in d.text_of("pinMessage") or "tentativas" in d.text_of("pinMessage") or d.text_of("pinMessage")
    # Reshuffled after every attempt (a shuffle may repeat, so only the contents are certain).
    assert sorted(d.ctrl.pin.keypad) == sorted(first) == list("0123456789")
    enter_pin(d, "000000")
    assert d.ctrl.pin.locked
    assert "60" in d.text_of("pinMessage")
    assert not d.item("pinKeys").isEnabled()
    # Even the right PIN is refused while locked (pushed past the pad's own guard).
    d.ctrl.pin._pin, d.ctrl.pin._locked = PIN, False
    d.ctrl.pin.submit()
    wait_idle(d)
    assert d.ctrl.layer.view == "pin" and not d.ctrl.signIn.signedIn and d.ctrl.pin.locked
    actions = audit_actions(d)
    assert actions.count("login_failed") == 4 and "login_locked" in actions and "login" not in actions
    d.click("pinCancel")
    assert d.ctrl.layer.view == ""


def test_shuffled_keypad_changes(kiosk):
    d = kiosk
    start(d)
    layouts = set()
    for _ in range(4):
        d.ctrl.openPin()
        layouts.add(tuple(d.ctrl.pin.keypad))
        assert sorted(d.ctrl.pin.keypad) == list("0123456789")
    assert len(layouts) > 1


def test_corner_gesture_opens_pin(kiosk):
    d = kiosk
    corner = d.item("mediatorCorner")
    centre = corner.mapToScene(QPointF(corner.width() / 2, corner.height() / 2)).toPoint()
    QTest.mousePress(d.window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre)
    d.qtbot.wait(2300)
    QTest.mouseRelease(d.window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre)
    d.qtbot.waitUntil(lambda: d.ctrl.layer.view == "pin", timeout=2000)


def _queue_with_problems(d: Driver) -> None:
    from tests.queue_fixtures import sample_payload
    import time
    with open_outbox(d.config) as outbox:
        ids = []
        for i in range(2):
            p = sample_payload(reference=f"REFX{i}AAA")
            p["answers"] = {"full_name": CANARY_NAME}
            outbox.enqueue(p, d.config.destination("x"))
            ids.append(p["submission_id"])
        outbox.claim()
        outbox.mark_failed(ids[0], "HTTP 503", time.time() + 3600, "network")
        outbox.mark_dead(ids[1], "HTTP 422: postcode rejected")


def test_console_actions(kiosk):
    d = kiosk
    _queue_with_problems(d)
    d.ctrl.cornerGesture()  # at the attract screen: the mediator came for the console
    enter_pin(d, PIN)
    assert d.ctrl.layer.view == "console" and d.has("consoleScreen")
    wait_idle(d)
    text = d.all_text()
    # In the mediator's words, with an action; the state names stay out, the connector's reason only for support.
    from translations import text as tr
    lang = d.ctrl.console.language
    assert tr(lang, "m.console.count.failed", n=1) in text and tr(lang, "m.console.count.dead", n=1) in text
    assert tr(lang, "m.console.problem.refused_said", said="postcode rejected") in text
    assert "dead: 1" not in text and "failed: 1" not in text
    assert tr(lang, "m.console.for_support", detail="HTTP 422: postcode rejected") in text
    d.click("consoleRetry_0")
    wait_idle(d)
    assert d.ctrl.console.message.startswith("Done")
    d.click("consoleSyncNow")
    wait_idle(d)
    assert d.ctrl.console.message not in ("", "…")
    d.click("consoleRetryAll")
    wait_idle(d)
    d.click("consoleExport")
    wait_idle(d)
    bundles = list(d.export_dir.glob("*.zip"))
    assert len(bundles) == 1 and CANARY_NAME.encode() not in bundles[0].read_bytes()
    assert not d.has("consoleExportAudit")  # a mediator cannot take the audit log away
    d.ctrl.console.exportAudit()
    assert "supervisor" in d.ctrl.console.message and not list(d.export_dir.glob("ponte-audit-*.jsonl"))
    d.click("consoleSettings")
    assert "kiosk id:  test-kiosk" in d.all_text()
    d.click("consoleClose")  # back from settings to the console
    assert d.ctrl.layer.view == "console"
    wait_idle(d)
    d.click("consoleExit")
    assert d.quits == [] and d.ctrl.console.confirmPending == "exit"
    d.click("consoleExit")
    assert d.quits == [0]
    actions = audit_actions(d)
    for expected in ("login", "console_open", "retry", "sync_now", "export_bundle", "settings", "exit"):
        assert expected in actions
    assert d.ctrl.audit.verify().ok


def test_supervisor_exports_the_audit_log(kiosk):
    d = kiosk
    d.ctrl.cornerGesture()
    enter_pin(d, SUPERVISOR_PIN, "rui.s")
    wait_idle(d)
    d.click("consoleExportAudit")
    wait_idle(d)
    exported = list(d.export_dir.glob("ponte-audit-*.jsonl"))
    assert len(exported) == 1
    from kiosk.audit import read_export, verify_entries
    entries = read_export(exported[0])
    assert entries[-1]["action"] == "audit_export" and entries[-1]["mediator"] == "rui.s"
    assert verify_entries(entries, d.ctrl.audit.key).ok


def test_restart_from_console(kiosk):
    d = kiosk
    d.ctrl.cornerGesture()
    enter_pin(d, PIN)
    d.click("consoleRestart")
    d.click("consoleRestart")
    from ui.mediator_bridge import RESTART_EXIT_CODE
    assert d.quits == [RESTART_EXIT_CODE]


def test_no_canary_in_audit_logs_or_console(kiosk, caplog):
    d = kiosk
    caplog.set_level(logging.DEBUG)
    start(d)
    sign_in(d)
    d.click("panelAskConsent")
    d.click("consentAccept")
    d.click("identity_passport")
    d.click("panelHide")
    answer_all(d, {"full_name": CANARY_NAME, "new_address": CANARY_ADDRESS})
    d.click("mediatorTab")
    d.click("panelHide")  # the panel covers the right of the check screen: Send is there
    submit_and_open(d)
    d.click("mediatorTab")
    d.click("panelConsole")
    assert d.has("consoleScreen")
    wait_idle(d)
    d.click("consoleSyncNow")
    wait_idle(d)
    d.click("consoleExport")
    wait_idle(d)
    console_text = d.all_text()
    audit_text = json.dumps([e.to_dict() for e in d.ctrl.audit.entries()], ensure_ascii=False)
    exported = b"".join(p.read_bytes() for p in d.export_dir.glob("*")).decode("latin-1")
    for canary in (CANARY_NAME, CANARY_ADDRESS, "Canarinho", "Canario"):
        assert canary not in console_text
        assert canary not in audit_text
        assert canary not in caplog.text
        assert canary not in exported
        assert canary not in json.dumps(d.ctrl.console.snapshot, ensure_ascii=False)
    raw_audit = (Path(d.config.data_dir) / "audit.db").read_bytes()
    assert CANARY_NAME.encode() not in raw_audit
    raw_stats = (Path(d.config.data_dir) / "stats.db").read_bytes()
    assert CANARY_NAME.encode() not in raw_stats


def test_touch_targets_and_names(kiosk):
    """Every interactive mediator item: >= 44 px, objectName and Accessible.name."""
    from PySide6.QtGui import QAccessible
    d = kiosk
    start(d)
    sign_in(d)
    checked = 0
    for view in ("panel", "consent", "console"):
        if view == "consent":
            d.click("panelAskConsent")
        if view == "console":
            d.ctrl.refuseConsent()
            d.click("panelConsole")
        d.settle()
        layer = d.item("mediatorLayer")
        stack = [layer]
        while stack:
            item = stack.pop()
            stack.extend(item.childItems())
            if not item.isVisible() or not item.metaObject().className().startswith(("MediatorButton", "BigButton", "QQuickMouseArea")):
                continue
            assert item.objectName(), f"unnamed {item.metaObject().className()}"
            iface = QAccessible.queryAccessibleInterface(item)
            assert iface is not None and iface.text(QAccessible.Text.Name), f"{item.objectName()} has no Accessible.name"
            assert item.height() >= 44 and item.width() >= 44, f"{item.objectName()} is {item.width()}x{item.height()}"
            checked += 1
    assert checked > 15


def test_screenshots(kiosk, tmp_path):
    d = kiosk
    out = Path(os.environ.get("PONTE_MEDIATOR_SHOTS", tmp_path / "shots"))
    out.mkdir(parents=True, exist_ok=True)
    _queue_with_problems(d)
    start(d)
    d.click("nextButton")  # an error on the first question, like a real citizen
    d.click("callHelperButton")
    d.settle()
    d.app.window.grabWindow().save(str(out / "mediator-called.png"))
    d.click("helpHelperHere")
    d.click(f"pinKey_{d.ctrl.pin.keypad.index('4')}")
    d.click(f"pinKey_{d.ctrl.pin.keypad.index('8')}")
    d.settle()
    d.app.window.grabWindow().save(str(out / "mediator-pin.png"))
    d.click("pinClear")
    enter_pin(d, PIN)
    d.settle()
    shots = {"mediator-panel.png": None}
    d.app.window.grabWindow().save(str(out / "mediator-panel.png"))
    d.click("panelAskConsent")
    d.settle()
    d.app.window.grabWindow().save(str(out / "mediator-consent.png"))
    d.click("consentAccept")
    d.settle()
    d.app.window.grabWindow().save(str(out / "mediator-filling.png"))
    d.click("panelConsole")
    d.qtbot.wait(100)
    d.app.window.grabWindow().save(str(out / "mediator-console.png"))
    d.click("consoleClose")
    d.click("panelHandBack")
    d.app.bridge.wipe()
    start(d, "ar")
    sign_in(d)
    d.click("panelAskConsent")
    d.settle()
    d.app.window.grabWindow().save(str(out / "mediator-consent-ar.png"))
    from PySide6.QtGui import QImage
    for name in ("mediator-panel.png", "mediator-consent.png", "mediator-console.png"):
        image = QImage(str(out / name))
        assert (image.width(), image.height()) == (1366, 768)
    del shots


def _overlap(a, b) -> bool:
    """Whether `a` lies over the part of `b` that can be seen (a page scrolled under its clip is not)."""
    from PySide6.QtCore import QRectF
    ra = a.mapRectToScene(QRectF(0, 0, a.width(), a.height()))
    rb = b.mapRectToScene(QRectF(0, 0, b.width(), b.height()))
    node = b.parentItem()
    while node is not None:
        if node.clip():
            rb = rb.intersected(node.mapRectToScene(QRectF(0, 0, node.width(), node.height())))
        node = node.parentItem()
    inter = ra.intersected(rb)
    return inter.width() > 0.5 and inter.height() > 0.5


@pytest.mark.parametrize("size", [(1366, 768), (1024, 768), (800, 1280)])
@pytest.mark.parametrize("lang", ["pt", "ar"])
def test_assist_bar_leaves_the_header_buttons_free(kiosk, size, lang):
    d = kiosk
    d.app.window.resize(*size)
    start(d, lang)
    d.ctrl.cornerGesture()  # (the header's own "Call a helper" is not what this test is about)
    enter_pin(d, PIN)
    assert d.ctrl.layer.view == "panel"
    for panel in (True, False):
        if not panel:
            d.click("panelHide")
        d.settle()
        bar = d.item("assistBar")
        buttons = [i for i in d.items() if i.isVisible() and i.objectName() in
                   ("callHelperButton", "languageButton", "dataNoticeButton", "startAgainButton")]
        assert buttons
        for b in buttons:
            assert not _overlap(bar, b), f"{size} {lang}: the assist bar covers {b.objectName()}"
        for name in ("answerField", "questionText", "nextButton", "backButton"):
            assert not _overlap(bar, d.item(name)), f"{size} {lang}: the assist bar covers {name}"
        if panel:
            assert not _overlap(bar, d.item("mediatorPanel"))


def test_corner_stays_clear_of_header_buttons(kiosk):
    """In every language the corner never sits on the header's Language / Call a helper buttons."""
    d = kiosk
    for lang in ("en", "ar"):
        d.app.bridge.wipe()
        start(d, lang)
        corner = d.item("mediatorCorner")
        c = corner.mapToScene(QPointF(0, 0))
        for name in ("callHelperButton", "languageButton"):
            b = d.item(name)
            p = b.mapToScene(QPointF(0, 0))
            overlap = not (c.x() + corner.width() <= p.x() or p.x() + b.width() <= c.x()
                           or c.y() + corner.height() <= p.y() or p.y() + b.height() <= c.y())
            assert not overlap, f"{lang}: corner over {name}"
        d.click("callHelperButton")
        assert d.ctrl.layer.view == "called"
        d.click("helpCancel")


def test_modal_views_hold_off_the_wipe_for_a_while(kiosk):
    from ui.mediator_view import View
    d = kiosk
    start(d)
    d.click("callHelperButton")
    layer = d.ctrl.layer
    layer.stop()  # its own timer would add calls between ours
    touched = []
    layer._touch_citizen = lambda: touched.append(1)
    layer.keep_session_alive()
    assert touched == [1]  # the "helper is coming" card hides the idle warning: keep the session
    layer._since -= 301
    layer.keep_session_alive()
    assert touched == [1]  # but not for ever: a citizen who left is still wiped
    layer.set(View.PANEL)
    touched.clear()
    layer.keep_session_alive()
    assert touched == []  # the panel leaves the idle warning visible


# --- sign-in that does not outlive the mediator ------------------------------------------------

def test_idle_mediator_is_signed_out_from_the_console(qtbot, tmp_path):
    d = make_kiosk(qtbot, tmp_path, {"idle_signout_seconds": 0.5})
    try:
        d.ctrl.cornerGesture()  # at the attract screen: the console
        enter_pin(d, PIN)
        assert d.ctrl.layer.view == "console" and d.ctrl.signIn.signedIn
        with qtbot.waitSignal(d.ctrl.signIn.idleSignedOut, timeout=20000):
            pass  # nobody touches anything
        assert not d.ctrl.signIn.signedIn and d.ctrl.layer.view == ""
        assert not d.has("consoleScreen") and not d.has("consoleExit")
        last = d.ctrl.audit.entries()[-1]
        assert last.action == "logout" and last.details["reason"] == "idle"
    finally:
        close_kiosk(d)


def test_a_touch_restarts_the_idle_time(kiosk):
    d = kiosk
    d.ctrl.cornerGesture()
    enter_pin(d, PIN)
    idle = d.ctrl.signIn._idle
    # Let a good part of the idle time run down (2 s of 120), so the restart is plain to see.
    d.qtbot.waitUntil(lambda: idle.remainingTime() < idle.interval() - 2000, timeout=10000)
    before = idle.remainingTime()
    d.click("consoleRefresh")  # any touch anywhere counts
    assert idle.remainingTime() > before and idle.isActive()


def test_idle_sign_out_ends_assistance_but_keeps_the_citizen(qtbot, tmp_path):
    d = make_kiosk(qtbot, tmp_path, {"idle_signout_seconds": 0.5})
    try:
        start(d)
        sign_in(d)
        d.click("panelHide")
        with qtbot.waitSignal(d.ctrl.signIn.idleSignedOut, timeout=20000):
            pass
        assert not d.ctrl.assist.assisted and not d.has("assistBar") and not d.has("mediatorTab")
        assert d.app.bridge.screen == "question"  # the citizen's answers are theirs to go on with
        actions = audit_actions(d)
        assert actions[-2:] == ["assist_end", "logout"]
    finally:
        close_kiosk(d)


def test_pin_is_asked_again_after_the_reauth_time(qtbot, tmp_path):
    d = make_kiosk(qtbot, tmp_path, {"reauth_minutes": 0.01})  # 0.6 s
    try:
        start(d)
        sign_in(d)
        with qtbot.waitSignal(d.ctrl.signIn.reauthDue, timeout=20000):
            pass
        d.settle()
        assert d.ctrl.layer.view == "pin" and d.ctrl.pin.reauth and d.has("pinPad")
        assert d.ctrl.pin.accounts == [{"index": 0, "label": "AS"}]  # only the one signed in
        assert not d.has("mediatorPanel")
        enter_pin(d, PIN)
        assert d.ctrl.layer.view == "panel" and d.ctrl.signIn.signedIn and d.ctrl.assist.assisted
        assert audit_actions(d)[-2:] == ["login", "reauth"]
        # Asked again, and this time nobody answers: cancelling signs the mediator out.
        with qtbot.waitSignal(d.ctrl.signIn.reauthDue, timeout=20000):
            pass
        d.settle()
        d.click("pinCancel")
        assert not d.ctrl.signIn.signedIn and not d.ctrl.assist.assisted
        last = d.ctrl.audit.entries()[-1]
        assert last.action == "logout" and last.details["reason"] == "reauth_cancelled"
    finally:
        close_kiosk(d)


def test_pin_pad_shows_initials_never_names(kiosk):
    d = kiosk
    d.ctrl.cornerGesture()
    d.settle()
    text = d.all_text()
    assert "AS" in text and "RS" in text
    for secret in ("Ana", "Silva", "Rui", "Santos", "ana.s", "rui.s"):
        assert secret not in text
        assert secret not in json.dumps(d.ctrl.pin.accounts)
    d.click("pinAccount_1")
    assert d.text_of("pinPrompt") == "PIN of RS"


def test_pin_rules_come_from_the_domain(kiosk):
    from kiosk.pin import MAX_LENGTH, MIN_LENGTH
    from ui.mediator_view import MODAL_VIEWS
    d = kiosk
    assert (d.ctrl.pin.minLength, d.ctrl.pin.maxLength) == (MIN_LENGTH, MAX_LENGTH)
    assert set(d.ctrl.layer.modalViews) == {v.value for v in MODAL_VIEWS}
    assert d.ctrl.console.needsPersonStates == ["failed", "dead"]
    d.ctrl.cornerGesture()
    d.settle()
    d.click("pinAccount_0")
    for digit in "48291":
        d.click(f"pinKey_{d.ctrl.pin.keypad.index(digit)}")
    assert not d.item("pinSubmit").isEnabled()  # one digit short of MIN_LENGTH
    d.click(f"pinKey_{d.ctrl.pin.keypad.index('3')}")
    assert d.item("pinSubmit").isEnabled()
    for _ in range(MAX_LENGTH):
        d.click("pinKey_0")
    assert d.ctrl.pin.length == MAX_LENGTH


def test_pin_hashing_and_audit_check_run_off_the_gui_thread(kiosk):
    import threading
    d = kiosk
    threads: dict[str, list[str]] = {"authenticate": [], "verify": []}
    store, audit = d.ctrl.stores.store, d.ctrl.audit
    real_auth, real_verify = store.authenticate, audit.verify

    def authenticate(*args):
        threads["authenticate"].append(threading.current_thread().name)
        return real_auth(*args)

    def verify():
        threads["verify"].append(threading.current_thread().name)
        return real_verify()

    store.authenticate, audit.verify = authenticate, verify
    d.ctrl.cornerGesture()
    enter_pin(d, PIN)
    wait_idle(d)
    main = threading.main_thread().name
    assert threads["authenticate"] and main not in threads["authenticate"]
    assert threads["verify"] and main not in threads["verify"]
    assert d.ctrl.console.snapshot["audit"]["ok"] and "intact" in d.text_of("consoleAudit")


def test_no_bare_threads_in_the_screen_layer():
    """Work leaves the GUI thread only through ui/tasks.py."""
    ui = Path(__file__).resolve().parent.parent / "ui"
    offenders = [p.name for p in ui.glob("*.py")
                 if p.name != "tasks.py" and ("threading.Thread(" in p.read_text() or "Thread(target" in p.read_text())]
    assert offenders == []


def test_sign_out_holds_when_the_audit_log_cannot_be_written(kiosk, caplog):
    d = kiosk
    start(d)
    sign_in(d)

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    d.ctrl.audit.append = disk_full  # every part shares this audit log
    d.ctrl.signIn.idleSignedOut.emit()  # the idle time ran out
    d.settle()
    assert not d.ctrl.signIn.signedIn and not d.ctrl.assist.assisted
    assert d.ctrl.layer.view == "" and not d.has("mediatorPanel") and not d.has("assistBar")
    assert "OSError" in caplog.text
