"""The "A helper is coming" card and the flag, through the real QML screens.

"I will wait" is the card's main action (first, biggest, green) and keeps the
call and the flag up; "I am the helper" and "I do not need help now" are
secondary. The flag seen from the counter counts the minutes waited, and
the count moves on as minutes pass (a fake clock, no sleeping).
"""
from __future__ import annotations

import pytest

from tests.queue_fixtures import make_queue_config
from tests.ui_driver import Driver
from ui.help_call import HelpCall

pytestmark = pytest.mark.timeout(300)


def test_minutes_waiting_counts_whole_minutes_and_signals_each_new_one(qtbot):
    now = [100.0]
    call = HelpCall(kiosk_id="k1", clock=lambda: now[0])
    ticks = []
    call.minuteChanged.connect(lambda: ticks.append(call.minutes_waiting()))
    call.call("svc", "question:x")
    assert call.minutes_waiting() == 0
    now[0] += 59
    call.check_minute()
    assert ticks == []
    now[0] += 2
    call.check_minute()
    call.check_minute()  # the same minute again: no second signal
    now[0] += 120
    call.check_minute()
    assert ticks == [1, 3]
    call.end()
    assert call.minutes_waiting() == 0


@pytest.fixture
def kiosk(qtbot, tmp_path):
    from ui.app import KioskApp
    config, _ = make_queue_config(tmp_path)
    now = [1000.0]
    app = KioskApp(config, windowed=True, size=(1366, 768), clock=lambda: now[0])
    app.clock = now
    d = Driver(app, qtbot)
    yield d
    app.mediator.close()
    app.close()


def to_question(d: Driver, lang: str = "en") -> None:
    d.click("startButton")
    d.click(f"lang_{lang}")
    d.click("service_change-of-address")
    if d.app.bridge.screen == "start":
        d.click("nextButton")
    d.qtbot.waitUntil(lambda: d.app.bridge.screen == "question", timeout=5000)


def test_i_will_wait_is_the_main_action_and_keeps_the_flag_up(kiosk):
    d = kiosk
    to_question(d)
    d.click("callHelperButton")
    wait, helper, cancel = d.item("helpWait"), d.item("helpHelperHere"), d.item("helpCancel")
    top = {name: item.mapToScene(item.position() * 0).y() for name, item in
           (("wait", wait), ("helper", helper), ("cancel", cancel))}
    assert top["wait"] < top["helper"] and top["wait"] < top["cancel"], top
    assert wait.height() > helper.height() and wait.width() >= helper.width()
    assert wait.property("fontSize") > helper.property("fontSize")
    assert wait.property("fill") != helper.property("fill")  # green; the helper's button is plain
    d.click("helpWait")
    d.qtbot.waitUntil(lambda: not d.has("helpCalledCard"), timeout=2000)
    assert d.app.bridge.help.waiting, "I will wait must not cancel the call"
    flag = d.item("helperFlagText").property("text")
    assert "less than a minute" in flag
    # Three minutes later the flag says so, without anyone touching the screen.
    d.app.clock[0] += 3 * 60 + 5
    d.app.bridge.touch()  # the citizen is still there (the same clock runs the idle wipe)
    d.app.bridge.help.check_minute()
    d.settle()
    assert "Waiting for 3 minutes" in d.item("helperFlagText").property("text")


def test_i_do_not_need_help_now_ends_the_call(kiosk):
    d = kiosk
    to_question(d)
    d.click("callHelperButton")
    d.click("helpCancel")
    d.qtbot.waitUntil(lambda: not d.has("helpCalledCard"), timeout=2000)
    assert not d.app.bridge.help.waiting
    assert not d.has("helperFlag")


def test_flag_counts_minutes_in_arabic(kiosk):
    d = kiosk
    to_question(d, "ar")
    d.click("callHelperButton")
    d.click("helpWait")
    d.app.clock[0] += 2 * 60
    d.app.bridge.touch()
    d.app.bridge.help.check_minute()
    d.settle()
    assert "دقيقتين" in d.item("helperFlagText").property("text")  # the dual: "two minutes"
