"""One contract for every outbox (offline_queue.contract.QueueStore): the SQLite outbox and the in-memory fake
run the same tests, as ODK Collect's InstancesRepositoryTest does for its repositories."""
from __future__ import annotations

import sqlite3
import time

import pytest

from kiosk.outbox import NEEDS_A_PERSON, STATES, WAITING, QueueState
from offline_queue.contract import QueueStore
from offline_queue.outbox import open_outbox
from tests.fake_outbox import MemoryOutbox
from tests.queue_fixtures import make_queue_config, sample_payload


@pytest.fixture(params=["sqlite", "memory"])
def store(request, tmp_path):
    config, _ = make_queue_config(tmp_path)
    destination = config.destination("change-of-address")
    if request.param == "sqlite":
        outbox: QueueStore = open_outbox(config)
        yield outbox, destination
        outbox.close()
    else:
        yield MemoryOutbox(), destination


def put(store, reference="ABCD1234"):
    outbox, destination = store
    payload = sample_payload(reference)
    outbox.enqueue(payload, destination)
    return payload["submission_id"]


def test_states_are_one_list_for_python_and_the_screens():
    assert STATES == ("queued", "sending", "delivered", "failed", "dead")
    assert QueueState.DEAD == "dead" and set(WAITING) | set(NEEDS_A_PERSON) < set(STATES)
    assert QueueState.DELIVERED not in WAITING and QueueState.DELIVERED not in NEEDS_A_PERSON


def test_a_new_submission_is_queued_and_counted(store):
    outbox, _ = store
    assert outbox.counts() == dict.fromkeys(STATES, 0) and outbox.pending() == 0 and outbox.next_due() is None
    put(store)
    assert outbox.get("ABCD1234").state == QueueState.QUEUED
    assert outbox.counts()["queued"] == 1 and set(outbox.counts()) == set(STATES)
    assert outbox.pending() == 1 and outbox.next_due() is not None
    assert [i.reference for i in outbox.items(["queued"])] == ["ABCD1234"] and outbox.items(["dead"]) == []


def test_the_same_submission_twice_is_stored_once(store):
    outbox, destination = store
    payload = sample_payload("DUPL1234")
    outbox.enqueue(payload, destination)
    outbox.enqueue(payload, destination)
    assert outbox.counts()["queued"] == 1


def test_a_payload_without_its_identity_is_refused_before_anything_is_written(store):
    outbox, destination = store
    with pytest.raises(ValueError):
        outbox.enqueue({**sample_payload(), "submission_id": ""}, destination)
    assert outbox.pending() == 0


def test_an_unknown_state_is_refused(store):
    with pytest.raises(ValueError):
        store[0].items(["lost"])


def test_a_claim_moves_to_sending_and_no_second_claim_gets_it(store):
    outbox, _ = store
    sid = put(store)
    claimed = outbox.claim()
    assert [c.item.id for c in claimed] == [sid] and claimed[0].item.state == QueueState.SENDING
    assert claimed[0].body  # the exact bytes to send
    assert outbox.get(sid).state == QueueState.SENDING and outbox.claim() == []
    assert outbox.pending() == 1  # still on its way


def test_delivered_is_final_and_leaves_the_pending_count(store):
    outbox, _ = store
    sid = put(store)
    outbox.claim()
    outbox.mark_delivered([(sid, "CASE-1")])
    item = outbox.get(sid)
    assert item.state == QueueState.DELIVERED and item.remote_ref == "CASE-1"
    assert outbox.pending() == 0 and outbox.claim() == [] and outbox.next_due() is None
    assert outbox.retry("ABCD1234") == 0  # a delivered one is never sent again


def test_a_failure_waits_for_its_time_then_is_claimed_again(store):
    outbox, _ = store
    sid = put(store)
    outbox.claim()
    later = time.time() + 3600
    outbox.mark_failed(sid, "HTTP 503", later)
    assert outbox.get(sid).state == QueueState.FAILED and outbox.get(sid).last_error == "HTTP 503"
    assert outbox.next_due() == pytest.approx(later)
    assert outbox.claim() == []
    assert [c.item.id for c in outbox.claim(now=later + 1)] == [sid]


def test_a_refusal_is_dead_not_delivered_until_a_person_retries_it(store):
    outbox, _ = store
    sid = put(store)
    outbox.claim()
    outbox.mark_dead(sid, "400: form closed")
    assert outbox.get(sid).state == QueueState.DEAD and outbox.counts()["delivered"] == 0
    assert outbox.pending() == 0 and outbox.claim() == []
    assert [i.id for i in outbox.items(list(NEEDS_A_PERSON))] == [sid]
    assert outbox.retry("ABCD1234") == 1
    assert outbox.get(sid).state == QueueState.QUEUED and [c.item.id for c in outbox.claim()] == [sid]


def test_a_released_claim_is_queued_again_without_counting_an_attempt(store):
    outbox, _ = store
    sid = put(store)
    outbox.claim()
    outbox.release([sid])
    item = outbox.get(sid)
    assert item.state == QueueState.QUEUED and item.attempts == 0


def test_a_verdict_on_a_submission_not_claimed_changes_nothing(store):
    outbox, _ = store
    sid = put(store)
    outbox.mark_failed(sid, "late answer of an old pass", time.time() + 60)
    outbox.mark_dead(sid, "late answer of an old pass")
    assert outbox.get(sid).state == QueueState.QUEUED


def test_listeners_hear_each_enqueue_and_a_failing_one_fails_nothing(store):
    outbox, _ = store
    heard = []

    def boom():
        raise RuntimeError("listener bug")

    outbox.add_listener(lambda: heard.append(1))
    outbox.add_listener(boom)
    put(store)
    assert heard == [1] and outbox.pending() == 1
    outbox.remove_listener(boom)


def test_the_database_refuses_a_state_the_enum_does_not_name(tmp_path):
    config, _ = make_queue_config(tmp_path)
    outbox = open_outbox(config)
    outbox.enqueue(sample_payload(), config.destination("change-of-address"))
    outbox.close()
    conn = sqlite3.connect(config.queue_path)
    with pytest.raises(sqlite3.IntegrityError, match="unknown queue state"):
        conn.execute("UPDATE submissions SET state='lost'")
    with pytest.raises(sqlite3.IntegrityError, match="unknown queue state"):
        conn.execute("INSERT INTO submissions (id, reference, state) SELECT id || 'x', reference, 'deliverd' "
                     "FROM submissions")
    conn.execute("UPDATE submissions SET state='dead'")  # a named state is fine
    conn.close()
