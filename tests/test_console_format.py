"""The mediator console's queue in plain words, in every language, from a real SQLite outbox: no state names
("dead"), no connector codes ("HTTP 503") in what the mediator reads first, an action in every problem, dates
through translations.format_date; the connector's reason kept beside it for support."""
from __future__ import annotations

import datetime as dt
import re
import time

import pytest

from operations.health import device_health, open_queue, queue_health
from tests.queue_fixtures import make_queue_config, sample_payload
from translations import format_date, languages
from translations import text as tr
from ui.console_format import age_words, console_snapshot, problem

JARGON = re.compile(r"\bdead\b|\bHTTP\b|\b5\d\d\b|\b4\d\d\b|queued|Error\b|Exception", re.I)
LAST_SENT = "2026-12-07T10:42:00+00:00"


@pytest.fixture
def health(tmp_path):
    """A real outbox with one submission waiting, one to try again (HTTP 503) and one refused (HTTP 422)."""
    config, _ = make_queue_config(tmp_path)
    outbox, reason = open_queue(config)
    assert outbox is not None, reason
    dest = config.destination("x")
    ids = []
    for i in range(3):
        payload = sample_payload(reference=f"REF{i}AAAA")
        outbox.enqueue(payload, dest)
        ids.append(payload["submission_id"])
    outbox.claim()
    outbox.mark_failed(ids[0], "HTTP 503 from backend.example: the backend is out (paused for this pass)",
                       time.time() + 3600, "network")
    outbox.mark_dead(ids[1], "HTTP 422: field postcode rejected")
    outbox.release([ids[2]])
    q = queue_health(outbox, config=config)
    q.last_success = LAST_SENT
    q.destinations = [{"name": "civil-registry", "online": False}]
    yield config, q
    outbox.close()


@pytest.mark.parametrize("lang", languages())
def test_the_queue_is_told_in_plain_words_with_an_action(health, lang, tmp_path):
    config, q = health
    view = console_snapshot(config, lang, q, device_health(config, clock_probe=False), None, {}, {}, tmp_path)["queue"]
    labels = {c["state"]: c["label"] for c in view["counts"]}
    assert labels["dead"] == tr(lang, "m.console.count.dead", n=1)
    assert labels["queued"] == tr(lang, "m.console.count.queued", n=1)
    for label in labels.values():
        assert not JARGON.search(label), label
    problems = {p["state"]: p for p in view["failed"]}
    assert problems["failed"]["title"] == tr(lang, "m.console.problem.busy")
    refused = problems["dead"]["title"]
    assert refused == tr(lang, "m.console.problem.refused_said", said="field postcode rejected")
    for p in problems.values():
        assert not JARGON.search(p["title"].replace("field postcode rejected", "")), p["title"]
        assert not JARGON.search(p["line"]), p["line"]
    # The connector's words stay available, small, for whoever the mediator calls.
    assert "HTTP 503" in problems["failed"]["detail"] and "HTTP 422" in problems["dead"]["detail"]
    # Dates as the language writes them (format_date), not strftime's "07/12 10:42".
    moment = dt.datetime.fromisoformat(LAST_SENT).astimezone()
    assert format_date(lang, moment) in view["lastSync"]
    assert format_date(lang, moment) in view["destinations"][0]["state"]
    assert "07/12" not in view["lastSync"]
    assert view["destinations"][0]["state"] == tr(lang, "m.console.dest.offline_since", when=format_date(lang, moment))


def test_every_kind_of_reason_has_its_own_words_and_action():
    cases = {
        ("failed", "cannot reach backend.example (connection refused, no route or no network)"): "offline",
        ("failed", "HTTP 401 from backend.example: the backend refused the kiosk's credentials; check this "
                   "destination's token or password"): "password",
        ("failed", "TLS error talking to backend.example: certificate expired"): "secure",
        ("failed", "destination 'x': connect_timeout, read_timeout and deadline are seconds"): "settings",
        ("failed", "no destination named 'gone' in the configuration"): "settings",
        ("failed", "internal error while sending (KeyError)"): "fault",
        ("failed", "HTTP 502"): "busy",
        ("failed", "HTTP 302 redirect (captive portal or wrong URL?)"): "offline",
        ("failed", ""): "later",
        ("dead", "the server does not have this form version (3): ask for the form to be published"): "form_closed",
        ("dead", "the stored submission is damaged (its checksum does not match); it was not sent"): "damaged",
        ("dead", "HTTP 400: Bad Request"): "refused_said",
        ("dead", "refused"): "refused",
    }
    for (state, reason), kind in cases.items():
        words, detail = problem("en", state, reason)
        expected = tr("en", f"m.console.problem.{kind}", said="Bad Request")
        assert words == expected, (reason, words)
        assert not JARGON.search(words.replace("Bad Request", "")), words
        assert detail == (tr("en", "m.console.for_support", detail=reason) if reason else "")


def test_an_unreadable_queue_says_what_to_do_and_keeps_the_exception_for_support(tmp_path):
    config, _ = make_queue_config(tmp_path)
    q = queue_health(None, "the outbox cannot be opened: OperationalError: disk I/O error")
    view = console_snapshot(config, "pt", q, device_health(config, clock_probe=False), None, {}, {}, tmp_path)
    assert view["queue"]["reason"] == tr("pt", "m.console.queue_unreadable")
    assert "OperationalError" not in view["queue"]["reason"]
    assert "OperationalError" in view["queue"]["reasonDetail"]


def test_ages_are_words_with_plurals():
    assert age_words("en", 30) == "less than a minute"
    assert age_words("en", 60) == "1 minute" and age_words("en", 3600) == "60 minutes"
    assert age_words("en", 3 * 86400) == "3 days"
    assert age_words("ar", 2 * 3600) == "ساعتان"
    assert age_words("fr", 5 * 3600) == "5 heures"
