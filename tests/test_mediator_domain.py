"""Mediator accounts, PINs, lock-out and assisted sessions (no Qt)."""
from __future__ import annotations

import datetime as dt
import random

import pytest

from kiosk import assist, pin
from kiosk.assist import AssistError, AssistSession
from kiosk.audit import AuditLog
from kiosk.mediators import DISABLED, LOCKED, OK, WRONG, MediatorError, MediatorStore, login

PIN = "482913"


class Clock:
    def __init__(self, t: float = 1_000_000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def store(tmp_path, clock):
    s = MediatorStore(tmp_path / "mediators.db", clock=clock)
    s.add("ana.s", "Ana Silva", "mediator", PIN)
    return s


@pytest.fixture
def audit(tmp_path):
    return AuditLog(tmp_path / "audit.db", kiosk_id="test", key=b"k" * 32)


def test_pin_format():
    for bad in ("12345", "abcdef", "111111", "123456", "987654", "１２３４５６"):
        with pytest.raises(pin.PinError):
            pin.check_pin_format(bad)
    pin.check_pin_format("482913")


def test_pin_hash_is_salted_and_slow_scheme():
    a, b = pin.hash_pin(PIN), pin.hash_pin(PIN)
    assert a != b and a.startswith("scrypt$16384$8$1$") and PIN not in a
    assert pin.verify_pin(PIN, a) and not pin.verify_pin("482914", a)
    assert not pin.verify_pin(PIN, "garbage")


def test_pin_is_stored_only_hashed(store, tmp_path):
    raw = (tmp_path / "mediators.db").read_bytes()
    assert PIN.encode() not in raw


def test_shuffled_keypad_has_every_digit_once():
    layouts = {tuple(pin.shuffled_keypad()) for _ in range(20)}
    assert all(sorted(l) == list("0123456789") for l in layouts)
    assert len(layouts) > 1
    assert pin.shuffled_keypad(random.Random(1)) == pin.shuffled_keypad(random.Random(1))


def test_lockout_grows(store, clock):
    for i in range(4):
        assert store.authenticate("ana.s", "000000").outcome == WRONG
    fifth = store.authenticate("ana.s", "000000")
    assert fifth.outcome == LOCKED and fifth.retry_in == 60
    # Even the right PIN is refused while locked.
    assert store.authenticate("ana.s", PIN).outcome == LOCKED
    clock.t += 61
    sixth = store.authenticate("ana.s", "000000")
    assert sixth.outcome == LOCKED and sixth.retry_in == 120
    clock.t += 121
    assert store.authenticate("ana.s", PIN).outcome == OK
    assert store.get("ana.s").failures == 0


def test_lock_seconds_capped():
    assert pin.lock_seconds(4) == 0 and pin.lock_seconds(5) == 60 and pin.lock_seconds(50) == 3600


def test_disabled_and_unknown(store):
    store.disable("ana.s")
    assert store.authenticate("ana.s", PIN).outcome == DISABLED
    assert store.authenticate("nobody", PIN).outcome == WRONG
    with pytest.raises(MediatorError):
        store.add("ana.s", "Other", "mediator", "593817")
    with pytest.raises(MediatorError):
        store.add("Bad Id", "Other", "mediator", "593817")
    with pytest.raises(MediatorError):
        store.add("bob", "Bob", "admin", "593817")


def test_login_audits_without_pin(store, audit):
    assert login(store, audit, "ana.s", "000000").outcome == WRONG
    assert login(store, audit, "ana.s", PIN).ok
    actions = [e.action for e in audit.entries()]
    assert actions == ["login_failed", "login"]
    dump = repr([e.body() for e in audit.entries()])  # bodies: hashes are hex and may hold any digits
    assert PIN not in dump and "000000" not in dump


def _session(store, audit, service="change-of-address"):
    return AssistSession(store.get("ana.s"), audit, service=service, language="pt",
                         clock=lambda: dt.datetime(2026, 11, 23, 18, 40, tzinfo=dt.timezone.utc))


def test_assisted_with_consent(store, audit):
    s = _session(store, audit)
    assert not s.may_fill
    with pytest.raises(AssistError):
        s.fill("street")
    s.ask_consent()
    s.accept_consent()
    assert s.may_fill
    s.fill("street")
    s.check_identity("id_card")
    s.end()
    payload = s.record().to_payload()
    assert payload == {"assisted": True, "mediator_id": "ana.s", "consent_at": "2026-11-23T18:40:00+00:00",
                       "consent_withdrawn_at": None, "filled_on_behalf": True, "identity_checked": True,
                       "identity_document": "id_card", "service": "change-of-address"}
    assert [e.action for e in audit.entries()] == ["assist_start", "consent_shown", "consent_given",
                                                   "fill_on_behalf", "identity_checked", "assist_end"]
    assert audit.verify().ok


def test_refused_consent(store, audit):
    s = _session(store, audit)
    s.ask_consent()
    s.refuse_consent()
    assert not s.may_fill and s.state == assist.HELPING
    assert s.record().to_payload()["consent_at"] is None
    with pytest.raises(AssistError):
        s.fill("street")


def test_withdrawn_consent(store, audit):
    s = _session(store, audit)
    s.ask_consent()
    s.accept_consent()
    s.fill("street")
    s.withdraw_consent()
    assert not s.may_fill
    with pytest.raises(AssistError):
        s.fill("postcode")
    p = s.record().to_payload()
    assert p["consent_withdrawn_at"] and p["filled_on_behalf"]


def test_consent_is_for_one_service(store, audit):
    s = _session(store, audit)
    s.ask_consent()
    s.accept_consent()
    s.set_context("birth-certificate")
    assert not s.may_fill
    assert audit.entries()[-1].details["reason"] == "service_changed"


def test_consent_needs_a_service(store, audit):
    s = _session(store, audit, service=None)
    with pytest.raises(AssistError):
        s.ask_consent()


def test_citizen_session_owns_the_assisted_record_and_ends_it(store, audit, tmp_path):
    from kiosk.citizen import CitizenSession
    private = tmp_path / "voice-private"
    private.mkdir()
    (private / "clip.wav").write_bytes(b"RIFF")
    citizen = CitizenSession(voice_private_dir=private)
    assert citizen.assisted_payload() is None and citizen.assisted_record().assisted is False
    s = _session(store, audit)
    citizen.start_assist(s)
    assert citizen.assisted and citizen.assisted_record().mediator_id == "ana.s"
    citizen.end()
    assert s.state == assist.ENDED and not citizen.assisted
    assert list(private.iterdir()) == []  # the citizen's spoken answers leave with them
    with pytest.raises(RuntimeError):
        citizen.start_assist(_session(store, audit))  # an ended session takes nobody in: make a new one
    assert not hasattr(assist, "current_record") and not hasattr(assist, "set_current")


def test_citizen_session_end_survives_a_failing_audit_write(store, audit):
    from kiosk.citizen import CitizenSession
    citizen = CitizenSession()
    citizen.start_assist(_session(store, audit))
    audit._db.close()  # the next audit write fails, as on a full or vanished disk
    citizen.end()
    assert citizen.assist is None and citizen.ended


def test_unknown_document_kind(store, audit):
    with pytest.raises(AssistError):
        _session(store, audit).check_identity("123456789")


def test_citizen_facing_strings_in_every_language():
    import json
    from pathlib import Path
    folder = Path(__file__).parents[1] / "translations" / "mediator"
    en = json.loads((folder / "en.json").read_text(encoding="utf-8"))
    citizen = [k for k in en if k.startswith(("m.citizen.", "m.consent."))]
    assert len(citizen) >= 14
    for lang in ("pt", "fr", "es", "ar"):
        table = json.loads((folder / f"{lang}.json").read_text(encoding="utf-8"))
        missing = [k for k in citizen if not table.get(k)]
        assert not missing, f"{lang}: {missing}"
        for k in citizen:  # same placeholders as English
            assert ("{name}" in en[k]) == ("{name}" in table[k]), f"{lang} {k}"


def test_audit_payload_batch(audit):
    from kiosk.audit import audit_payload
    audit.append("login", "ana.s")
    audit.append("exit", "ana.s")
    p = audit_payload(audit.entries(), "k1")
    assert p["kind"] == "audit" and p["first_seq"] == 1 and p["last_seq"] == 2 and len(p["entries"]) == 2


def test_cli_mediators(tmp_path, monkeypatch, capsys):
    import io
    from commands.cli import main
    monkeypatch.setenv("PONTE_DATA_DIR", str(tmp_path))
    monkeypatch.setattr("kiosk.config.config_path", lambda: None)
    monkeypatch.setattr("sys.stdin", io.StringIO("593817\n"))
    assert main(["mediators", "add", "rui.m", "--name", "Rui M", "--role", "supervisor"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("123456\n"))
    assert main(["mediators", "add", "eva", "--name", "Eva"]) == 1  # too easy to guess
    assert main(["mediators", "list"]) == 0
    out = capsys.readouterr().out
    assert "rui.m" in out and "supervisor" in out and "593817" not in out
    assert main(["mediators", "disable", "rui.m"]) == 0
    assert not MediatorStore(tmp_path / "mediators.db").get("rui.m").active
    assert main(["mediators", "unlock", "nobody"]) == 1
    assert main(["console", "--no-clock"]) == 0
    assert "QUEUE" in capsys.readouterr().out
    assert main(["stats"]) == 0


# --- lock-out under parallel attempts, and what timing can tell ---------------------------

def _wrong_pin_in_parallel(path, clock, n: int) -> list[str]:
    """n wrong PINs at once, each through its own connection (as separate kiosk processes would)."""
    import threading
    stores = [MediatorStore(path, clock=clock) for _ in range(n)]
    barrier = threading.Barrier(n)
    outcomes: list[str] = []

    def attempt(s):
        barrier.wait()
        outcomes.append(s.authenticate("ana.s", "000000").outcome)

    threads = [threading.Thread(target=attempt, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in stores:
        s.close()
    return outcomes


def test_parallel_wrong_pins_each_count_and_lock_the_account(store, clock, tmp_path):
    outcomes = _wrong_pin_in_parallel(tmp_path / "mediators.db", clock, 16)
    assert len(outcomes) == 16
    after = store.get("ana.s")
    # Each attempt was counted: the fifth locked the account, the eleven after it met the lock.
    assert after.failures == pin.MAX_FAILURES and after.locked_until > clock.t
    assert outcomes.count(WRONG) == pin.MAX_FAILURES - 1
    assert outcomes.count(LOCKED) == 16 - (pin.MAX_FAILURES - 1)
    assert store.authenticate("ana.s", PIN).outcome == LOCKED


def _parallel_process(path: str, t: float, queue) -> None:
    s = MediatorStore(path, clock=lambda: t)
    queue.put(s.authenticate("ana.s", "000000").outcome)
    s.close()


@pytest.mark.slow
def test_parallel_wrong_pins_from_separate_processes(store, clock, tmp_path):
    import multiprocessing
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_parallel_process, args=(str(tmp_path / "mediators.db"), clock.t, queue))
             for _ in range(16)]
    for p in procs:
        p.start()
    outcomes = [queue.get(timeout=120) for _ in procs]
    for p in procs:
        p.join()
    assert outcomes.count(WRONG) == pin.MAX_FAILURES - 1
    assert store.get("ana.s").failures == pin.MAX_FAILURES


@pytest.fixture
def kdf_calls(monkeypatch):
    """Every scrypt the PIN check runs, with the cost it ran at (n, r, p)."""
    import hashlib
    calls: list[tuple[int, int, int]] = []
    real = hashlib.scrypt

    def counting(password, *, salt, n, r, p, dklen=64, maxmem=0):
        calls.append((n, r, p))
        return real(password, salt=salt, n=n, r=r, p=p, dklen=dklen, maxmem=maxmem)

    monkeypatch.setattr(pin.hashlib, "scrypt", counting)
    return calls


def test_every_account_state_costs_one_same_kdf(store, clock, kdf_calls):
    """Disabled, locked, unknown, wrong and right: the same single scrypt, so timing tells nothing."""
    store.add("bea.c", "Bea Costa", "mediator", "593817")
    store.add("cid.d", "Cid Dias", "mediator", "284719")
    store.disable("bea.c")
    for _ in range(pin.MAX_FAILURES):
        store.authenticate("cid.d", "000000")
    kdf_calls.clear()
    cases = {"disabled": ("bea.c", "593817"), "locked": ("cid.d", "284719"), "unknown": ("nobody", PIN),
             "wrong": ("ana.s", "000000"), "right": ("ana.s", PIN)}
    seen = {}
    for case, (who, typed) in cases.items():
        before = len(kdf_calls)
        seen[case] = store.authenticate(who, typed).outcome
        assert len(kdf_calls) - before == 1, f"{case}: {len(kdf_calls) - before} KDF calls"
    assert seen == {"disabled": DISABLED, "locked": LOCKED, "unknown": WRONG, "wrong": WRONG, "right": OK}
    assert len(set(kdf_calls)) == 1  # one cost for all
    assert kdf_calls[0] == (pin.SCRYPT_N, pin.SCRYPT_R, pin.SCRYPT_P)


def test_initials_hide_names_and_stay_distinct():
    from kiosk.mediators import initials
    assert initials(["Ana Silva", "Rui Santos"]) == ["AS", "RS"]
    assert initials(["Ana Silva", "Abel Sousa", "Ana Silva"]) == ["AS 1", "AS 2", "AS 3"]
    assert initials(["Élodie d'Arc", "Ωmega", "  "]) == ["ÉD", "Ω", "?"]
