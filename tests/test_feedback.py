"""Feedback after a journey: queued through the real outbox as its own kind, anonymous, counted in stats."""
from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiosk.feedback import FACES, REASONS, Feedback, FeedbackError, feedback_payload, give_feedback
from kiosk.stats import Stats
from offline_queue import open_outbox
from offline_queue.devbackend import start_dev_backend
from offline_queue.keys import generate_keypair, write_keypair
from offline_queue.sync import Syncer
from tests.queue_fixtures import make_queue_config

pytestmark = pytest.mark.timeout(60)
DAY = dt.date(2026, 11, 23)
ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("en", "pt", "fr", "es", "ar")


@pytest.fixture
def setup(tmp_path):
    pair = generate_keypair()
    _, public = write_keypair(pair, tmp_path / "keys")
    backend = start_dev_backend(tmp_path / "backend.db", private_keys=[pair.private])
    config, _ = make_queue_config(tmp_path, destinations={"*": {"kind": "rest", "url": backend.url}},
                                  queue={"public_key": str(public)})
    yield config, backend
    backend.stop()


def test_feedback_is_queued_as_its_own_kind_and_delivered_without_personal_data(setup):
    config, backend = setup
    stats = Stats.for_config(config, today=lambda: DAY)
    with open_outbox(config) as outbox:
        assert give_feedback(outbox, config, Feedback(4, "change-of-address", "pt", DAY, "quick"), stats)
        assert give_feedback(outbox, config, Feedback(1, "change-of-address", "ar", DAY), stats)
        assert sum(outbox.counts().values()) == 2
        Syncer(outbox, config).run_once()
        assert outbox.counts()["delivered"] == 2
    rows = backend.rows()
    assert [r["service_id"] for r in rows] == ["ponte-feedback", "ponte-feedback"]
    payload = rows[0]["payload"]
    assert payload["kind"] == "feedback"
    assert payload["feedback"] == {"face": 4, "reason": "quick", "service": "change-of-address",
                                   "language": "pt", "day": "2026-11-23"}
    # Nothing else: no answers, no reference of a submission, no time finer than the day.
    assert set(payload) == {"kind", "submission_id", "idempotency_key", "reference", "service", "kiosk_id",
                            "submitted_at", "feedback"}
    assert payload["submitted_at"] == "2026-11-23T00:00:00Z"
    text = json.dumps(payload)
    assert not re.search(r"T(?!00:00:00)\d\d:\d\d", text), "a time of day leaked"
    stats.close()


def test_each_feedback_gets_a_fresh_reference_unrelated_to_any_submission():
    a = feedback_payload(Feedback(5, "s", "en", DAY), "k")
    b = feedback_payload(Feedback(5, "s", "en", DAY), "k")
    assert a["reference"] != b["reference"] and a["submission_id"] != b["submission_id"]


def test_feedback_is_counted_and_shown_by_kiosk_stats(setup, monkeypatch, tmp_path):
    config, _ = setup
    stats = Stats.for_config(config, today=lambda: DAY)
    with open_outbox(config) as outbox:
        for face, reason in ((5, "easy"), (5, None), (2, "hard_words"), (4, "easy")):
            give_feedback(outbox, config, Feedback(face, "birth-certificate", "en", DAY, reason), stats)
    figures = stats.day(DAY)
    assert figures.feedback == {"1": 0, "2": 1, "3": 0, "4": 1, "5": 2}
    assert figures.feedback_reasons == {"easy": 2, "hard_words": 1}
    stats.close()
    toml = tmp_path / "kiosk.toml"
    toml.write_text(f'[kiosk]\ndata_dir = "{config.data_dir}"\n', encoding="utf-8")
    monkeypatch.setenv("PONTE_CONFIG", str(toml))
    from commands.cli import kiosk
    result = CliRunner().invoke(kiosk, ["stats", "--day", DAY.isoformat()])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["feedback"]["5"] == 2 and shown["feedback_reasons"]["easy"] == 2


def test_no_rest_destination_counts_but_queues_nothing(tmp_path):
    config, _ = make_queue_config(tmp_path, destinations={"*": {"kind": "openrosa", "url": "http://127.0.0.1:9"}})
    stats = Stats.for_config(config, today=lambda: DAY)
    with open_outbox(config) as outbox:
        assert give_feedback(outbox, config, Feedback(3, "s", "en", DAY), stats) is False
        assert sum(outbox.counts().values()) == 0
    assert stats.day(DAY).feedback["3"] == 1
    stats.close()


@pytest.mark.parametrize("face, reason, day", [
    (0, None, DAY), (6, None, DAY), (True, None, DAY), ("5", None, DAY),
    (3, "the clerk was rude to me, Maria", DAY),  # never free text
    (3, None, dt.datetime(2026, 11, 23, 14, 5)),  # never a time of day
])
def test_only_the_fixed_faces_reasons_and_a_day_are_accepted(face, reason, day):
    with pytest.raises(FeedbackError):
        Feedback(face, "s", "en", day, reason)


def test_every_face_and_reason_is_worded_in_all_five_languages():
    for language in LANGUAGES:
        words = json.loads((ROOT / "translations" / "core" / f"{language}.json").read_text(encoding="utf-8"))
        keys = ["feedback.title", "feedback.reason_title", "feedback.send", "feedback.skip", "feedback.thanks",
                *(f"feedback.face.{f}" for f in FACES), *(f"feedback.reason.{r}" for r in REASONS)]
        missing = [k for k in keys if not words.get(k)]
        assert not missing, f"{language}: {missing}"


def test_the_delivered_feedback_validates_against_docs_sync_api(setup):
    import jsonschema
    import yaml
    config, backend = setup
    with open_outbox(config) as outbox:
        give_feedback(outbox, config, Feedback(2, "birth-certificate", "fr", DAY, "too_long"))
        Syncer(outbox, config).run_once()
    doc = yaml.safe_load((ROOT / "docs" / "sync-api.yaml").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator({"$ref": "#/components/schemas/Feedback",
                                                 "components": doc["components"]})
    payload = backend.rows()[0]["payload"]
    validator.validate(payload)
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({**payload, "feedback": {**payload["feedback"], "comment": "free text"}})


def test_feedback_rows_are_internal_in_the_day_closing_books(setup):
    from kiosk.closeday import queue_books
    config, _ = setup
    with open_outbox(config) as outbox:
        give_feedback(outbox, config, Feedback(5, "birth-certificate", "en", DAY))
        submissions, internal, _ = queue_books(outbox)
    assert submissions == {} or sum(submissions.values()) == 0, "a feedback is not a citizen's submission"
    assert internal == {"ponte-feedback": {"queued": 1}}


def test_the_mediator_console_shows_the_days_faces(tmp_path):
    from ui.console_format import _today
    stats = Stats(tmp_path / "stats.db", today=lambda: DAY)
    assert _today("en", stats.day(DAY))["feedback"] == "How was it (1 to 5): -"
    for face in (5, 5, 2):
        stats.record_feedback("s", "en", face)
    assert _today("en", stats.day(DAY))["feedback"] == "How was it (1 to 5): 5: 2, 2: 1"
    assert _today("ar", stats.day(DAY))["feedback"].endswith("5: 2, 2: 1")
    stats.close()


def test_the_feedback_bridge_counts_and_queues_one_answer_per_journey(qapp, setup, tmp_path):
    from kiosk.definition import load_service
    from kiosk.journey import Journey
    from ui.bridge import QueueWriter
    from ui.feedback_bridge import FeedbackBridge
    config, _ = setup
    service = load_service(ROOT / "kiosk" / "services" / "birth-certificate.yaml")
    writer = QueueWriter(lambda: open_outbox(config))
    stats = Stats(tmp_path / "stats.db")
    bridge = FeedbackBridge(config, journey=lambda: Journey(service, "fr"), submit=writer.submit, stats=stats)
    try:
        assert bridge.faces == [1, 2, 3, 4, 5] and "needed_help" in bridge.reasons
        bridge.give(9, "")  # not a face: nothing taken
        assert not bridge.given
        bridge.give(4, "needed_help")
        bridge.give(1, "")  # a second touch: still one answer
        assert bridge.given
        assert writer.submit(lambda outbox: sum(outbox.counts().values())).result(timeout=10) == 1
        bridge.clear()
        bridge.give(3, "")
        assert writer.submit(lambda outbox: sum(outbox.counts().values())).result(timeout=10) == 2
        assert stats.today().feedback == {"1": 0, "2": 0, "3": 1, "4": 1, "5": 0}
    finally:
        writer.close()
        stats.close()
