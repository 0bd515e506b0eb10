"""Save and resume: kiosk.drafts (the rules) over offline_queue.drafts (a real SQLite file)."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kiosk.definition import Service, load_service
from kiosk.drafts import (ALPHABET, AttemptPolicy, BadCode, DraftKeeper, DraftUnreadable, Locked, ServiceGone,
                          WrongCode, format_code, new_code, normalise_code)
from kiosk.journey import CHECK, QUESTION, Journey
from offline_queue.drafts import SQLiteDraftStore

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 11, 23)
FAST_N = 2 ** 10  # scrypt cost for tests: the rules are the same, the seconds are not
CANARY = "Zebulon Canarywright"

SERVICE = textwrap.dedent("""\
    format: 1
    id: paused
    version: {version}
    languages: [en, pt]
    title: {{en: Paused, pt: Em pausa}}
    description: {{en: A test service., pt: Um serviço de teste.}}
    destination: test
    consent: {{en: I agree., pt: Concordo.}}
    pages:
      - id: name
        type: short_text
        question: {{en: "Your name?", pt: "O seu nome?"}}
      - id: age
        type: number
        min: 0
        max: {max_age}
        question: {{en: "How old are you?", pt: "Que idade tem?"}}
      - id: pets
        type: yes_no
        question: {{en: "Do you have pets?", pt: "Tem animais?"}}
    data_notice: {{controller: {{en: The test office., pt: O serviço de teste.}}, purpose: {{en: To test., pt: Para testar.}}, legal_basis: {{en: A law., pt: Uma lei.}}, retention: {{en: One year., pt: Um ano.}}, rights: {{en: See and correct your data., pt: Ver e corrigir os dados.}}, contact: {{en: test@example.org, pt: test@example.org}}}}
    """)


def make_service(folder: Path, *, version: int = 1, max_age: int = 120) -> Service:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "paused.yaml"
    path.write_text(SERVICE.format(version=version, max_age=max_age), encoding="utf-8")
    return load_service(path)


class Clock:
    """A wall clock the test moves by hand."""

    def __init__(self, start: float = 1_790_000_000.0):
        self.now = start

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def service(tmp_path) -> Service:
    return make_service(tmp_path / "services")


@pytest.fixture
def clock() -> Clock:
    return Clock()


def keeper_for(path: Path, clock: Clock, **kwargs) -> DraftKeeper:
    return DraftKeeper(SQLiteDraftStore(path, scrypt_n=FAST_N), clock=clock, **kwargs)


def half_done(service: Service, language: str = "pt") -> Journey:
    journey = Journey(service, language, today=TODAY)
    assert journey.next(CANARY) is None
    assert journey.next("80") is None
    return journey  # now on "pets"


def test_code_is_ten_symbols_of_31_shown_in_groups_and_read_back_from_any_spelling():
    assert len(ALPHABET) == 31 and not set("01ILO") & set(ALPHABET)
    code = new_code()
    assert len(code) == 10 and set(code) <= set(ALPHABET)
    shown = format_code(code)
    assert shown == f"{code[:4]}-{code[4:8]}-{code[8:]}"
    assert normalise_code(shown.lower()) == code
    assert normalise_code(" ".join(code)) == code
    for bad in ("", "ABCD-EFGH", "ABCD-EFGH-J0", "ABCD-EFGH-JKL", "x" * 100):
        with pytest.raises(BadCode):
            normalise_code(bad)


def test_save_then_resume_gives_the_answers_page_and_language_back(tmp_path, service, clock):
    keeper = keeper_for(tmp_path / "drafts.db", clock)
    saved = keeper.save(half_done(service))
    resumed = keeper.resume(saved.shown.lower(), {service.id: service})
    journey = resumed.journey
    assert journey.language == "pt"
    assert journey.step == QUESTION and journey.page.id == "pets"
    assert journey.raw == {"name": CANARY, "age": "80"}
    assert resumed.dropped == [] and resumed.definition_changed is False
    assert journey.next("yes") is None and journey.step == CHECK
    assert journey.answers["name"] == CANARY


def test_a_journey_saved_at_check_answers_resumes_at_check_answers(tmp_path, service, clock):
    keeper = keeper_for(tmp_path / "drafts.db", clock)
    journey = half_done(service, "en")
    journey.next("no")
    assert journey.step == CHECK
    resumed = keeper.resume(keeper.save(journey).code, {service.id: service})
    assert resumed.journey.step == CHECK and resumed.journey.consent_given is False


def test_a_resumed_draft_is_erased_so_the_code_works_once(tmp_path, service, clock):
    keeper = keeper_for(tmp_path / "drafts.db", clock)
    saved = keeper.save(half_done(service))
    keeper.resume(saved.code, {service.id: service})
    with pytest.raises(WrongCode):
        keeper.resume(saved.code, {service.id: service})
    assert keeper.store.count(clock()) == 0


def test_draft_expires_after_the_keeping_time_and_is_erased_from_the_file(tmp_path, service, clock):
    keeper = keeper_for(tmp_path / "drafts.db", clock, keep_seconds=3600)
    late = keeper.save(half_done(service))
    kept = keeper.save(half_done(service))
    assert late.expires_at == dt.datetime.fromtimestamp(clock.now + 3600, dt.timezone.utc)
    clock.now += 3599
    assert keeper.purge() == 0
    keeper.resume(kept.code, {service.id: service})
    clock.now += 1
    assert keeper.purge() == 1
    assert keeper.store.count(clock()) == 0
    with pytest.raises(WrongCode):
        keeper.resume(late.code, {service.id: service})


def test_a_clock_set_back_does_not_let_a_draft_outlive_its_time(tmp_path, service, clock):
    keeper = keeper_for(tmp_path / "drafts.db", clock, keep_seconds=3600)
    keeper.save(half_done(service))
    clock.now -= 1800  # a small correction: the draft is kept
    assert keeper.purge() == 0
    clock.now -= 2 * 86400  # the clock went back two days: the draft would live two days more
    assert keeper.purge() == 1
    # A shorter keeping time set later does not cut short the time a citizen was told.
    told = keeper.save(half_done(service))
    shorter = DraftKeeper(keeper.store, clock=clock, keep_seconds=60)
    clock.now += 600
    assert shorter.resume(told.code, {service.id: service}).journey.raw["name"] == CANARY


def test_an_expired_draft_is_not_given_back_even_before_a_purge(tmp_path, service, clock):
    store = SQLiteDraftStore(tmp_path / "drafts.db", scrypt_n=FAST_N)
    keeper = DraftKeeper(store, clock=clock, keep_seconds=60)
    saved = keeper.save(half_done(service))
    clock.now += 61
    # take() itself refuses an expired row: no window between expiry and the next purge
    from kiosk.drafts import derive, normalise_code as norm
    lookup, _ = derive(norm(saved.code), store.kiosk_salt(), n=store.scrypt_n())
    assert store.take(lookup, clock()) is None


def test_five_wrong_codes_in_ten_minutes_pause_the_kiosk_and_each_pause_doubles(tmp_path, service, clock):
    keeper = keeper_for(tmp_path / "drafts.db", clock)
    saved = keeper.save(half_done(service))
    wrong = "2222-2222-22" if saved.code != "2222222222" else "3333-3333-33"
    lefts = []
    for _ in range(4):
        with pytest.raises(WrongCode) as caught:
            keeper.resume(wrong, {service.id: service})
        lefts.append(caught.value.attempts_left)
        clock.now += 10
    assert lefts == [4, 3, 2, 1]
    with pytest.raises(Locked) as fifth:
        keeper.resume(wrong, {service.id: service})
    assert fifth.value.wait_seconds == 600
    # While paused even the right code is not checked.
    with pytest.raises(Locked):
        keeper.resume(saved.code, {service.id: service})
    clock.now += 600
    for _ in range(4):
        with pytest.raises(WrongCode):
            keeper.resume(wrong, {service.id: service})
    with pytest.raises(Locked) as second:
        keeper.resume(wrong, {service.id: service})
    assert second.value.wait_seconds == 1200
    clock.now += 1200
    assert keeper.resume(saved.code, {service.id: service}).journey.page.id == "pets"


def test_wrong_codes_spread_over_more_than_ten_minutes_do_not_pause():
    policy = AttemptPolicy()
    from kiosk.drafts import AttemptState
    state, now = AttemptState(), 0.0
    for _ in range(20):
        state = policy.after_failure(state, now)
        assert policy.wait(state, now) == 0
        now += 151  # four per ten minutes
    assert policy.attempts_left(state, now) >= 1


def test_a_bad_code_format_is_not_counted_as_a_guess(tmp_path, service, clock):
    keeper = keeper_for(tmp_path / "drafts.db", clock)
    for _ in range(10):
        with pytest.raises(BadCode):
            keeper.resume("hello", {service.id: service})
    assert keeper.store.attempts().failures == ()


def test_wrong_code_limits_survive_a_restart(tmp_path, service, clock):
    path = tmp_path / "drafts.db"
    keeper = keeper_for(path, clock)
    for _ in range(4):
        with pytest.raises(WrongCode):
            keeper.resume("2222-2222-22", {service.id: service})
    keeper.store.close()
    restarted = keeper_for(path, clock)
    with pytest.raises(Locked):
        restarted.resume("2222-2222-22", {service.id: service})
    restarted.store.close()
    again = keeper_for(path, clock)
    assert again.wait_seconds() == 600
    with pytest.raises(Locked):
        again.resume("2222-2222-22", {service.id: service})


_SAVE_IN_ANOTHER_PROCESS = textwrap.dedent("""\
    import datetime as dt, sys
    from pathlib import Path
    from kiosk.definition import load_service
    from kiosk.drafts import DraftKeeper
    from kiosk.journey import Journey
    from offline_queue.drafts import SQLiteDraftStore
    service = load_service(Path(sys.argv[1]))
    journey = Journey(service, "pt", today=dt.date(2026, 11, 23))
    journey.next(sys.stdin.readline().strip())
    journey.next("80")
    keeper = DraftKeeper(SQLiteDraftStore(Path(sys.argv[2]), scrypt_n=2 ** 10))
    print(keeper.save(journey).shown)
    """)


def test_a_journey_paused_in_one_process_resumes_in_the_next(tmp_path, service):
    """A real restart: the kiosk process that saved is gone; a new one takes the journey back."""
    done = subprocess.run([sys.executable, "-c", _SAVE_IN_ANOTHER_PROCESS, str(service.source),
                           str(tmp_path / "drafts.db")], input=CANARY + "\n", capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    shown = done.stdout.strip()
    keeper = DraftKeeper(SQLiteDraftStore(tmp_path / "drafts.db", scrypt_n=FAST_N))
    resumed = keeper.resume(shown, {service.id: service})
    assert resumed.journey.page.id == "pets" and resumed.journey.raw["name"] == CANARY


def test_nothing_readable_in_the_raw_bytes_and_the_code_never_stored(tmp_path, service, clock):
    path = tmp_path / "drafts.db"
    keeper = keeper_for(path, clock)
    codes = [keeper.save(half_done(service)) for _ in range(3)]
    files = [p for p in tmp_path.iterdir() if p.name.startswith("drafts.db")]
    raw = b"".join(p.read_bytes() for p in files)
    assert raw, "the drafts file was written"
    for needle in (CANARY, "Canarywright", "paused", '"age"', '"80"'):
        assert needle.encode() not in raw, needle
    for saved in codes:
        for form in (saved.code, saved.shown, saved.code.lower()):
            assert form.encode() not in raw and form.encode("utf-16-le") not in raw
    assert path.stat().st_mode & 0o077 == 0


def test_a_damaged_draft_is_refused_with_a_reason_not_a_traceback(tmp_path, service, clock):
    import sqlite3
    path = tmp_path / "drafts.db"
    keeper = keeper_for(path, clock)
    saved = keeper.save(half_done(service))
    with sqlite3.connect(path) as db:
        db.execute("UPDATE drafts SET ciphertext = zeroblob(length(ciphertext))")
    with pytest.raises(DraftUnreadable):
        keeper.resume(saved.code, {service.id: service})


def test_a_changed_definition_keeps_the_answers_that_still_fit_and_says_so(tmp_path, service, clock):
    keeper = keeper_for(tmp_path / "drafts.db", clock)
    saved = keeper.save(half_done(service))
    newer = make_service(tmp_path / "v2", version=2, max_age=65)  # 80 no longer fits
    resumed = keeper.resume(saved.code, {newer.id: newer})
    assert resumed.definition_changed is True
    assert resumed.dropped == ["age"]
    assert resumed.journey.raw == {"name": CANARY}
    assert resumed.journey.page.id == "age"  # asked again, before going on


def test_a_service_no_longer_offered_is_said_plainly(tmp_path, service, clock):
    keeper = keeper_for(tmp_path / "drafts.db", clock)
    saved = keeper.save(half_done(service))
    with pytest.raises(ServiceGone):
        keeper.resume(saved.code, {})
    # The draft is kept: once the service is back (a catalogue update), the same code works.
    assert keeper.resume(saved.code, {service.id: service}).journey.raw["name"] == CANARY


def test_the_idle_wipe_forgets_the_journey_but_not_the_draft(tmp_path, service, clock):
    """The wipe drops the journey from memory (the session starts over); the sealed draft stays on disk."""
    keeper = keeper_for(tmp_path / "drafts.db", clock)
    journey = half_done(service)
    shown = keeper.save(journey).shown
    del journey  # what the wipe does: the session lets go of the journey and the code shown
    assert not any(CANARY in repr(v) for v in vars(keeper).values())
    assert keeper.store.count(clock()) == 1
    assert keeper.resume(shown, {service.id: service}).journey.raw["name"] == CANARY


# --- the screens' bridge: real Qt objects offscreen, the work on the task runner's threads ---------------


@pytest.fixture
def bridge_parts(qapp, tmp_path, service, clock):
    from ui.drafts_bridge import DraftsBridge
    from ui.tasks import TaskManager
    tasks = TaskManager()
    keeper = keeper_for(tmp_path / "drafts.db", clock)
    current = {"journey": half_done(service)}
    bridge = DraftsBridge(keeper, journey=lambda: current["journey"], services=lambda: {service.id: service},
                          tasks=tasks)
    yield bridge, keeper, current
    tasks.wait(10_000)


def test_bridge_saves_off_the_gui_thread_shows_the_code_and_resumes_it(qtbot, bridge_parts, clock):
    bridge, keeper, current = bridge_parts
    bridge.save()
    assert bridge.busy
    qtbot.waitUntil(lambda: bridge.code != "", timeout=10_000)
    assert not bridge.busy and bridge.error == ""
    assert bridge.expiresAt.startswith(dt.datetime.fromtimestamp(clock.now + 86400, dt.timezone.utc).date().isoformat())
    code = bridge.code
    bridge.clear()  # the next citizen, or the wipe
    current["journey"] = None
    got = []
    bridge.journeyResumed.connect(lambda journey, dropped, changed: got.append((journey, dropped, changed)))
    bridge.resume(code.lower())
    qtbot.waitUntil(lambda: bool(got), timeout=10_000)
    journey, dropped, changed = got[0]
    assert journey.page.id == "pets" and journey.raw["name"] == CANARY and dropped == [] and changed is False


def test_bridge_wipe_forgets_the_code_shown_but_keeps_the_draft(qtbot, bridge_parts, clock):
    bridge, keeper, _ = bridge_parts
    bridge.save()
    qtbot.waitUntil(lambda: bridge.code != "", timeout=10_000)
    bridge.clear()
    assert bridge.code == "" and bridge.expiresAt == ""
    assert keeper.store.count(clock()) == 1


def test_a_save_that_finishes_after_the_wipe_erases_its_unseen_draft(qtbot, bridge_parts, clock):
    bridge, keeper, _ = bridge_parts
    bridge.save()
    bridge.clear()  # before the sealing comes back: its code will never be shown
    qtbot.waitUntil(lambda: not bridge._tasks.busy and keeper.store.count(clock()) == 0, timeout=10_000)
    assert bridge.code == ""


def test_bridge_wrong_code_and_bad_code_give_message_keys(qtbot, bridge_parts):
    bridge, _, _ = bridge_parts
    bridge.resume("not a code")
    qtbot.waitUntil(lambda: not bridge.busy, timeout=10_000)
    assert bridge.error == "bad_code"
    bridge.resume("2222-2222-22")
    qtbot.waitUntil(lambda: not bridge.busy, timeout=10_000)
    assert bridge.error == "wrong_code"


def test_kiosk_drafts_status_counts_and_unlock_ends_a_pause(tmp_path, service, monkeypatch):
    import json

    from click.testing import CliRunner

    from commands.cli import kiosk
    data = tmp_path / "data"
    (tmp_path / "kiosk.toml").write_text(f'[kiosk]\ndata_dir = "{data}"\n[drafts]\nkeep_hours = 2\n',
                                         encoding="utf-8")
    monkeypatch.setenv("PONTE_CONFIG", str(tmp_path / "kiosk.toml"))
    keeper = DraftKeeper(SQLiteDraftStore(data / "drafts.db", scrypt_n=FAST_N))
    saved = keeper.save(half_done(service))
    for _ in range(5):
        with pytest.raises((WrongCode, Locked)):
            keeper.resume("2222-2222-22", {service.id: service})
    shown = CliRunner().invoke(kiosk, ["drafts", "status"])
    assert shown.exit_code == 0, shown.output
    status = json.loads(shown.output)
    assert status["drafts"] == 1 and status["codes_paused_seconds"] > 0 and status["keep_hours"] == 2
    assert saved.code not in shown.output and CANARY not in shown.output
    assert CliRunner().invoke(kiosk, ["drafts", "unlock"]).exit_code == 0
    assert keeper.wait_seconds() == 0
    assert keeper.resume(saved.code, {service.id: service}).journey.raw["name"] == CANARY


# --- Journey.snapshot / restore over the sample services, any point of the journey --------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SAMPLES = {p.stem: load_service(p) for p in sorted((ROOT / "kiosk" / "services").glob("*.yaml"))}


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(sorted(SAMPLES)), steps=st.integers(0, 40), last=st.booleans(),
       back_at=st.integers(-1, 40), language=st.sampled_from(["en", "ar"]))
def test_a_restored_snapshot_is_the_same_journey_at_the_same_place(name, steps, last, back_at, language):
    from kiosk.samples import sample_answer
    service = SAMPLES[name]
    if language not in service.languages:
        language = service.languages[0]
    journey = Journey(service, language, today=TODAY)
    for i in range(steps):
        if journey.step != QUESTION:
            break
        if i == back_at:
            journey.back()
            continue
        journey.next(sample_answer(journey.page, service, last=last))
    again = Journey(service, language, today=TODAY)
    assert again.restore(journey.snapshot()) == []
    assert again.answers == journey.answers
    assert again.step == journey.step
    assert (again.page.id if again.page else None) == (journey.page.id if journey.page else None)
    assert again.progress() == journey.progress()


def test_a_damaged_drafts_file_is_one_clear_line_not_a_traceback(tmp_path, monkeypatch):
    from commands.cli import main
    from offline_queue.drafts import DraftStoreError
    data = tmp_path / "data"
    data.mkdir()
    (data / "drafts.db").write_bytes(b"this is not a database, " * 200)
    with pytest.raises(DraftStoreError) as caught:
        SQLiteDraftStore(data / "drafts.db")
    assert "drafts.db" in str(caught.value) and "move it aside" in str(caught.value)
    (tmp_path / "kiosk.toml").write_text(f'[kiosk]\ndata_dir = "{data}"\n', encoding="utf-8")
    monkeypatch.setenv("PONTE_CONFIG", str(tmp_path / "kiosk.toml"))
    assert main(["drafts", "status"]) == 1


@pytest.mark.slow
def test_round_trip_with_the_production_scrypt_cost(tmp_path, service, clock):
    from kiosk.drafts import SCRYPT_N
    store = SQLiteDraftStore(tmp_path / "drafts.db")
    assert store.scrypt_n() == SCRYPT_N == 2 ** 15
    keeper = DraftKeeper(store, clock=clock)
    saved = keeper.save(half_done(service))
    with pytest.raises(WrongCode):
        keeper.resume("2222-2222-22" if saved.code != "2222222222" else "3333-3333-33", {service.id: service})
    assert keeper.resume(saved.shown, {service.id: service}).journey.raw["name"] == CANARY
