""""How was it?" on the real confirmation screen, offscreen, into the real SQLite outbox."""
from __future__ import annotations

import pytest

from tests.test_ui_journey import CATALOGUE, kiosk, queued, start, submit  # noqa: F401 - the kiosk fixture

pytestmark = pytest.mark.timeout(300)


def feedback_rows(driver) -> list:
    return [(item, payload) for item, payload in queued(driver) if payload.get("kind") == "feedback"]


def reach_done(driver, language: str = "en") -> None:
    service = CATALOGUE.services["change-of-address"]
    start(driver, language, service.id)
    driver.complete_questions(service)
    submit(driver)


def test_a_face_queues_one_anonymous_row_and_finish_clears_it(kiosk):  # noqa: F811
    reach_done(kiosk)
    reference = kiosk.text_of("referenceText").replace("-", "")
    assert kiosk.text_of("feedbackTitle") == "How was it?"
    face = kiosk.item("feedbackFace_4")
    assert face.width() >= 72 and face.height() >= 72
    assert "Good" in kiosk.all_text()
    kiosk.click("feedbackFace_4")
    assert kiosk.text_of("feedbackTitle") == "What mattered most? (you can skip this)"
    assert not feedback_rows(kiosk), "nothing leaves before the citizen is done answering"
    kiosk.click("feedbackReason_quick")
    assert kiosk.text_of("feedbackThanks") == "Thank you. Your answer has no name on it."
    assert kiosk.app.feedback.given
    kiosk.qtbot.waitUntil(lambda: len(feedback_rows(kiosk)) == 1, timeout=10000)
    item, payload = feedback_rows(kiosk)[0]
    assert payload["feedback"]["face"] == 4 and payload["feedback"]["reason"] == "quick"
    assert payload["feedback"]["service"] == "change-of-address" and payload["feedback"]["language"] == "en"
    assert item.reference != reference and reference not in str(payload), "linked to no submission"
    day = kiosk.app.mediator.stores.stats.today()
    assert day.feedback.get("4") == 1, "counted in the day's statistics (console, kiosk stats)"
    # A second tap cannot queue a second row for the same journey.
    kiosk.app.feedback.give(2, "")
    kiosk.click("finishButton")
    assert kiosk.app.bridge.screen == "attract"
    assert not kiosk.app.feedback.given
    assert len(feedback_rows(kiosk)) == 1


def test_skip_sends_the_face_alone_and_the_next_journey_asks_again(kiosk):  # noqa: F811
    reach_done(kiosk)
    kiosk.click("feedbackFace_1")
    kiosk.click("feedbackSkip")
    kiosk.qtbot.waitUntil(lambda: len(feedback_rows(kiosk)) == 1, timeout=10000)
    assert feedback_rows(kiosk)[0][1]["feedback"]["reason"] is None
    kiosk.click("finishButton")
    reach_done(kiosk)
    assert kiosk.text_of("feedbackTitle") == "How was it?"  # the face picked last time is forgotten
    assert kiosk.has("feedbackFace_5")


def test_finish_is_never_blocked_by_feedback(kiosk):  # noqa: F811
    reach_done(kiosk)
    kiosk.click("feedbackFace_3")  # a face, then straight to Finish: nothing is queued, nothing waits
    kiosk.click("finishButton")
    assert kiosk.app.bridge.screen == "attract"
    assert not feedback_rows(kiosk)
