"""Once-only prefill: the rules (kiosk/prefill.py), the client (offline_queue/prefill.py) and the dev-backend's
POST /prefill/{service}, over real HTTP(S) on 127.0.0.1; then the mediator's panel through the real controller.

No mocks: a real dev-backend (with its demo people), a real hanging or failing server for the errors, a
real TLS server with a certificate from another CA, a real audit log.
"""
from __future__ import annotations

import http.server
import json
import logging
import ssl
import threading
from pathlib import Path

import pytest

from kiosk import prefill
from kiosk.assist import AssistSession
from kiosk.audit import AuditLog
from kiosk.definition import load_service
from kiosk.journey import CHECK, QUESTION, Journey
from kiosk.mediators import Mediator
from kiosk.submission import build_payload, submit
from offline_queue import open_outbox
from offline_queue.devbackend import PREFILL_SOURCE, start_dev_backend
from offline_queue.prefill import PrefillClient
from offline_queue.sync import Syncer
from tests.queue_fixtures import FAST, free_port, make_cert, make_queue_config, with_destinations

pytestmark = pytest.mark.timeout(60)

SERVICES = Path(__file__).resolve().parent.parent / "kiosk" / "services"
KNOWN_NIF, UNKNOWN_NIF = "123456789", "100000010"  # valid check digits; the dev-backend knows the first
TOKEN_ENV = "PONTE_TEST_PREFILL_TOKEN"
TOKEN = "prefill-t0ken-42"


@pytest.fixture
def address() -> Journey:
    """A change-of-address journey whose first answer (the tax number) is the known person's."""
    journey = Journey(load_service(SERVICES / "change-of-address.yaml"), "en")
    assert journey.next(KNOWN_NIF) is None and journey.page.id == "full_name"
    return journey


@pytest.fixture
def assist(tmp_path) -> AssistSession:
    audit = AuditLog(tmp_path / "audit.db", kiosk_id="test", key=b"k" * 32)
    session = AssistSession(Mediator("ana.s", "Ana", "mediator", True), audit, service="change-of-address")
    session.check_identity("id_card")
    return session


@pytest.fixture
def backend(tmp_path, monkeypatch):
    """(config, dev-backend): the civil registry destination declares prefill for change-of-address."""
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    config, private = make_queue_config(tmp_path)
    server = start_dev_backend(tmp_path / "backend.db", [private], token=TOKEN)
    config = with_destinations(config, {"civil-registry": {
        "url": server.url, "token_env": TOKEN_ENV, "prefill": ["change-of-address"], "prefill_deadline": 3}})
    yield config, server
    server.stop()


def ask(config, journey, assist, name: str = "civil-registry"):
    client = PrefillClient(config.destination(name))
    assert prefill.unavailable(journey, config.destination(name), assist, online=client.reachable()) is None
    return client.fetch(prefill.request_for(journey, assist, config.kiosk_id))


# --- online: answers marked, changeable, submitted -------------------------------------------------------

def test_online_knownPerson_answersAreFilled_marked_changeable_andSubmitted(backend, address, assist):
    config, server = backend
    result = ask(config, address, assist)
    assert result.outcome is prefill.Outcome.FOUND and result.source == PREFILL_SOURCE
    filled = prefill.merge(address, result)
    assert filled == ["full_name", "phone", "email"]
    prefill.record(assist.audit, assist, address.service, "civil-registry", result.outcome, len(filled))
    # The question is still asked, with the answer already there; the citizen goes on or changes it.
    assert address.page.id == "full_name" and address.raw["full_name"] == "Ana Exemplo"
    assert prefill.source_name(address.prefilled_from("full_name"), "pt") == "Registo Civil"
    assert address.next() is None
    for page_id, raw in (("date_moved", "01/10/2026"), ("new_postcode", "1000-001"),
                         ("new_address", "Rua do Exemplo 1"), ("others_moved", "no")):
        assert address.page.id == page_id and address.next(raw) is None
    assert address.page.id == "phone" and address.next() is None
    assert address.page.id == "email" and address.next("other@example.org") is None  # changed: no mark
    assert address.step == CHECK
    assert address.prefilled_from("phone") and address.prefilled_from("email") is None
    address.give_consent()
    payload = build_payload(address, config)
    assert payload["answers"]["full_name"] == "Ana Exemplo" and payload["answers"]["email"] == "other@example.org"
    assert payload["prefilled"] == ["full_name", "phone"]
    with open_outbox(config) as outbox:
        submit(address, config, outbox)
        assert Syncer(outbox, config, FAST).run_once().delivered == 1
    [row] = server.rows()
    assert row["payload"]["prefilled"] == ["full_name", "phone"]
    # The audit log says a prefill happened, and nothing about whom or what.
    [entry] = [e for e in assist.audit.entries() if e.action == "prefill"]
    assert entry.details == {"service": "change-of-address", "destination": "civil-registry", "outcome": "found",
                             "count": 3}
    text = json.dumps([e.to_dict() for e in assist.audit.entries()])
    # The whole phone number, written either way ("912" alone also turns up inside the entries' hex hashes).
    assert "Ana Exemplo" not in text and KNOWN_NIF not in text
    assert "912 345 678" not in text and "912345678" not in text


def test_prefill_neverOverwritesWhatTheCitizenAnswered_norTakesRefusedValues(backend, address, assist):
    config, _ = backend
    address.next("Ana Maria Exemplo")  # answered before the prefill
    result = prefill.PrefillResult(prefill.Outcome.FOUND, {"full_name": "Ana Exemplo", "phone": "not a phone",
                                                           "people_count": "2", "nif": "999999999"}, {"": "X"})
    assert prefill.merge(address, result) == ["people_count"]
    assert address.answers["full_name"] == "Ana Maria Exemplo" and "phone" not in address.answers
    assert address.answers["nif"] == KNOWN_NIF


def test_requestCarriesTheCheckedIdentity_andOnlyPagesTheKioskCanFill(address, assist):
    request = prefill.request_for(address, assist, "lisboa-03")
    body = request.to_json()
    assert body["identity"]["national_id"] == KNOWN_NIF and body["identity"]["document"] == "id_card"
    assert body["identity"]["checked_by"] == "ana.s" and body["identity"]["scheme"] == "pt-nif"
    assert "nif" not in body["pages"] and "full_name" in body["pages"]
    tariff = Journey(load_service(SERVICES / "social-energy-tariff.yaml"), "en")
    tariff.next(KNOWN_NIF)
    assert not {"status_updates", "status_updates_phone"} & set(prefill.request_for(tariff, assist, "k").pages)


# --- not offered ---------------------------------------------------------------------------------------

def test_offline_notOffered(tmp_path, address, assist):
    config, _ = make_queue_config(tmp_path)
    config = with_destinations(config, {"civil-registry": {"url": f"http://127.0.0.1:{free_port()}",
                                                           "prefill": ["change-of-address"], "connect_timeout": 1}})
    destination = config.destination("civil-registry")
    online = PrefillClient(destination).reachable()
    assert online is False
    assert prefill.unavailable(address, destination, assist, online=online) == prefill.OFFLINE


def test_notOffered_withoutDeclaration_mediator_identityCheck_orTaxNumber(backend, address, assist, tmp_path):
    config, _ = backend
    destination = config.destination("civil-registry")
    other = Journey(load_service(SERVICES / "birth-certificate.yaml"), "en")
    assert prefill.unavailable(other, destination, assist, online=True) == prefill.NOT_DECLARED
    assert prefill.unavailable(address, destination, None, online=True) == prefill.NO_MEDIATOR
    unchecked = AssistSession(Mediator("rui", "Rui", "mediator", True), assist.audit)
    assert prefill.unavailable(address, destination, unchecked, online=True) == prefill.IDENTITY_NOT_CHECKED
    fresh = Journey(address.service, "en")
    assert prefill.unavailable(fresh, destination, assist, online=True) == prefill.NO_NATIONAL_ID
    assist.end()
    assert prefill.unavailable(address, destination, assist, online=True) == prefill.NO_MEDIATOR


# --- nothing known, errors -----------------------------------------------------------------------------

def test_unknownPerson_is404_nothingKnown_journeyUnchanged(backend, assist):
    config, _ = backend
    journey = Journey(load_service(SERVICES / "change-of-address.yaml"), "en")
    journey.next(UNKNOWN_NIF)
    result = ask(config, journey, assist)
    assert result.outcome is prefill.Outcome.NOTHING_KNOWN
    assert prefill.merge(journey, result) == [] and set(journey.answers) == {"nif"}


def test_wrongToken_failsPlainly(backend, address, assist, monkeypatch):
    config, _ = backend
    monkeypatch.setenv(TOKEN_ENV, "wrong")
    result = ask(config, address, assist)
    assert result.outcome is prefill.Outcome.FAILED and "HTTP 401" in result.reason


class _Misbehaving(http.server.BaseHTTPRequestHandler):
    """GET /health answers; POST /prefill/... does what the server's `mode` says."""

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        self._send(200, b'{"status": "ok"}')

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        mode = self.server.mode  # type: ignore[attr-defined]
        if mode == "hang":
            self.server.release.wait(30)  # type: ignore[attr-defined]
            return
        if mode == "500":
            return self._send(500, b'{"error": "boom", "reason": "database for 123456789 is down"}')
        if mode == "html":
            return self._send(200, b"<html><title>Portal</title></html>", "text/html")
        return self._send(200, json.dumps({"answers": "full_name=Ana"}).encode())

    def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def misbehaving(tmp_path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Misbehaving)
    server.daemon_threads = True
    server.release = threading.Event()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    config, _ = make_queue_config(tmp_path)
    config = with_destinations(config, {"civil-registry": {
        "url": f"http://127.0.0.1:{server.server_address[1]}", "prefill": ["change-of-address"],
        "prefill_deadline": 0.5}})
    yield config, server
    server.release.set()
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("mode, expected", [("500", "HTTP 500"), ("hang", "no answer within 0.5 s"),
                                            ("html", "did not answer with prefill answers"),
                                            ("garbage", "did not answer with prefill answers")])
def test_backendErrorOrHang_failsPlainly_withoutPersonalData_andTheJourneyGoesOn(misbehaving, address, assist,
                                                                                 mode, expected, caplog):
    caplog.set_level(logging.DEBUG)
    config, server = misbehaving
    server.mode = mode
    result = ask(config, address, assist)
    assert result.outcome is prefill.Outcome.FAILED and expected in result.reason
    assert KNOWN_NIF not in result.reason  # the backend's words are cleaned
    assert prefill.merge(address, result) == []
    assert address.step == QUESTION and address.next("Ana Exemplo") is None  # the citizen types on
    assert KNOWN_NIF not in caplog.text


def test_tls_wrongCA_isRefused_rightCA_works(tmp_path, address, assist, monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    config, private = make_queue_config(tmp_path)
    ca, cert, key = make_cert(tmp_path / "certs")
    other_ca, _, _ = make_cert(tmp_path / "other", name="other")
    server = start_dev_backend(tmp_path / "b.db", [private], token=TOKEN)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.server.socket = context.wrap_socket(server.server.socket, server_side=True)
    try:
        for bundle, works in ((other_ca, False), (ca, True)):
            tls = with_destinations(config, {"civil-registry": {
                "url": f"https://127.0.0.1:{server.port}", "ca_bundle": str(bundle), "token_env": TOKEN_ENV,
                "prefill": ["change-of-address"]}})
            client = PrefillClient(tls.destination("civil-registry"))
            assert client.reachable() is works
            result = client.fetch(prefill.request_for(address, assist, "k"))
            if works:
                assert result.outcome is prefill.Outcome.FOUND and result.answers["full_name"] == "Ana Exemplo"
            else:
                assert result.outcome is prefill.Outcome.FAILED and "not trusted" in result.reason
        assert server.server.prefills == 1  # the refused connection never reached the handler
    finally:
        server.stop()


def test_plainHttp_toARealHost_isRefused(tmp_path, address, assist):
    from kiosk.config import config_from_dict
    config = config_from_dict({"destinations": {"civil-registry": {
        "url": "http://registry.example.gov/ponte", "prefill": ["change-of-address"]}}})
    client = PrefillClient(config.destination("civil-registry"))
    result = client.fetch(prefill.request_for(address, assist, "k"))
    assert result.outcome is prefill.Outcome.FAILED and "https" in result.reason


# --- the mediator's panel, the citizen's consent screen and check answers, through the real QML ---------

def _kiosk(qtbot, tmp_path, url: str, token: str | None = None):
    from kiosk.mediators import MediatorStore
    from tests.test_mediator_ui import PIN, SafeDriver
    from ui.app import KioskApp

    config, private = make_queue_config(tmp_path)
    config = with_destinations(config, {"*": {"url": url, "prefill": ["change-of-address"], "connect_timeout": 1,
                                              **({"token_env": TOKEN_ENV} if token else {})}})
    store = MediatorStore.for_config(config)
    store.add("ana.s", "Ana Silva", "mediator", PIN)
    store.close()
    app = KioskApp(config, windowed=True, size=(1366, 768))
    app.mediator._quit = lambda code: None
    app.mediator.console.clock_probe = False
    qtbot.waitExposed(app.window)
    driver = SafeDriver(app, qtbot)
    driver.ctrl, driver.config, driver.private_key = app.mediator, config, private
    return driver


def _to_identity_checked(d, language: str) -> None:
    from tests.test_mediator_ui import sign_in, start
    start(d, language)
    d.type_into("answerField", KNOWN_NIF)
    d.click("nextButton")
    assert d.app.bridge.journey.page.id == "full_name"
    sign_in(d)
    d.click("identity_id_card")


def _shot(d, name: str, show: str = "") -> None:
    """The window to $PONTE_PREFILL_SHOTS/<name>.png when set (to look at), scrolled to `show` first."""
    import os
    if not os.environ.get("PONTE_PREFILL_SHOTS"):
        return
    out = Path(os.environ["PONTE_PREFILL_SHOTS"])
    out.mkdir(parents=True, exist_ok=True)
    if show:
        d.ensure_visible(d.item(show))
    d.settle()
    d.app.window.grabWindow().save(str(out / f"{name}.png"))


@pytest.mark.slow  # a whole assisted journey through the QML: about a minute on a loaded machine
@pytest.mark.parametrize("language, title, mark", [
    ("en", "Fill in what the office already knows?", "From Civil Registry"),
    ("ar", "هل نملأ ما تعرفه الإدارة مسبقًا؟", "من: السجل المدني"),
])
def test_panel_online_citizenAgrees_answersMarkedOnCheck(qtbot, tmp_path, monkeypatch, language, title, mark):
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    config, private = make_queue_config(tmp_path / "b")
    server = start_dev_backend(tmp_path / "backend.db", [private], token=TOKEN)
    d = _kiosk(qtbot, tmp_path, server.url, token=TOKEN)
    try:
        _to_identity_checked(d, language)
        qtbot.waitUntil(lambda: d.ctrl.prefill.panel["canAsk"], timeout=10000)
        assert d.has("panelAskPrefill")
        _shot(d, f"prefill-panel-{language}", "panelAskPrefill")
        d.click("panelAskPrefill")
        assert d.has("consentScreen") and d.text_of("consentTitle").lstrip("\u200f") == title
        _shot(d, f"prefill-consent-{language}")
        d.click("consentAccept")
        qtbot.waitUntil(lambda: not d.ctrl.tasks.busy, timeout=10000)
        d.settle()
        journey = d.app.bridge.journey
        assert journey.answers["full_name"] == "Ana Exemplo" and "Ana Exemplo" in d.app.bridge.answerText
        assert "3" in d.text_of("panelPrefillStatus")
        d.click("panelHide")
        _shot(d, f"prefill-question-{language}")
        service = journey.service
        from kiosk.samples import sample_answer as sample
        for _ in range(len(service.pages) + 1):
            if journey.step == CHECK:
                break
            page = journey.page
            if page.id not in journey.answers:
                d.answer_page(page, service, sample(page, service))
            d.click("nextButton")
        assert journey.step == CHECK
        assert d.text_of("source_full_name") == mark and d.text_of("source_phone") == mark
        assert not d.has("source_date_moved")  # typed by the citizen: no mark
        _shot(d, f"prefill-check-{language}", "source_phone")
        [entry] = [e for e in d.ctrl.audit.entries() if e.action == "prefill"]
        assert entry.details["outcome"] == "found" and entry.details["count"] == 3
    finally:
        d.ctrl.close()
        d.app.close()
        server.stop()


def test_panel_offline_notOffered_journeyGoesOn(qtbot, tmp_path):
    d = _kiosk(qtbot, tmp_path, f"http://127.0.0.1:{free_port()}")
    try:
        _to_identity_checked(d, "en")
        qtbot.waitUntil(lambda: not d.ctrl.tasks.busy, timeout=10000)
        d.settle()
        assert d.ctrl.prefill.panel["canAsk"] is False
        assert not d.has("panelAskPrefill")
        assert "Offline" in d.text_of("panelPrefillStatus")
        assert d.ctrl.assist.ask_prefill() is False  # not even through the slot
        d.click("panelHide")
        d.type_into("answerField", "Ana Exemplo")
        d.click("nextButton")
        assert d.app.bridge.journey.page.id == "date_moved"
        assert not [e for e in d.ctrl.audit.entries() if e.action == "prefill"]
    finally:
        d.ctrl.close()
        d.app.close()
