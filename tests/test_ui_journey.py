"""The citizen journey through the real QML screens, offscreen, into a real SQLite queue."""
from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from kiosk import status_updates
from kiosk.config import config_from_dict
from kiosk.definition import load_catalogue
from kiosk.reference import is_valid
from kiosk.validators import validate
from offline_queue import open_outbox
from tests.queue_fixtures import make_queue_config
from tests.ui_driver import Driver, open_kiosk
from translations import text as tr

pytestmark = pytest.mark.timeout(300)

CATALOGUE = load_catalogue([Path(__file__).parents[1] / "kiosk" / "services"])
# The default run walks every service in English and Arabic, and each other language once on a service of
# its own (so every language still reaches the queue on every run); every service in every language with -m slow.
DEFAULT_OTHER = {"pt": "birth-certificate", "fr": "change-of-address", "es": "social-energy-tariff"}


def _default_journey(service_id: str, lang: str) -> bool:
    return lang in ("en", "ar") or DEFAULT_OTHER.get(lang) == service_id


JOURNEYS = [pytest.param(s.id, lang, marks=() if _default_journey(s.id, lang) else pytest.mark.slow)
            for s in sorted(CATALOGUE.services.values(), key=lambda s: s.id) for lang in s.languages]


def _camera_folder(tmp_path: Path) -> Path:
    """Pictures the file-fed camera stand-in gives as photos ([documents] camera = "files:FOLDER")."""
    from PIL import Image
    folder = tmp_path / "camera"
    folder.mkdir()
    Image.new("RGB", (900, 1200), (230, 230, 220)).save(folder / "bill.jpg", "JPEG", quality=85)
    return folder


@pytest.fixture
def kiosk(qtbot, tmp_path):
    config, private_key = make_queue_config(tmp_path)
    # Document pages come from the file-fed camera: no scanner or stick is looked for.
    config = config_from_dict({**config.raw, "documents": {"scanner": "none", "usb_dirs": [],
                                                           "camera": f"files:{_camera_folder(tmp_path)}"}})
    driver = open_kiosk(qtbot, config)
    driver.private_key = private_key
    yield driver
    driver.app.close()


def start(driver: Driver, language: str, service_id: str) -> None:
    driver.click("startButton")
    driver.click(f"lang_{language}")
    driver.click(f"service_{service_id}")
    assert driver.app.bridge.screen == "start"  # the start page: what it is, what to bring, the data notice
    driver.click("nextButton")
    assert driver.app.bridge.screen == "question"


def submit(driver: Driver) -> str:
    driver.click("consentButton")
    driver.click("submitButton")
    driver.qtbot.waitUntil(lambda: driver.app.bridge.screen == "done" or bool(driver.app.bridge.submitError), timeout=10000)
    assert driver.app.bridge.screen == "done", driver.app.bridge.submitError
    return driver.text_of("referenceText")


def queued(driver: Driver) -> list:
    with open_outbox(driver.config) as outbox:
        items = outbox.items()
        return [(item, outbox.open_payload(item.reference, driver.private_key)) for item in items]


@pytest.mark.parametrize("service_id,language", JOURNEYS)
def test_every_service_in_every_language_reaches_the_queue(kiosk, service_id, language):
    service = CATALOGUE.services[service_id]
    start(kiosk, language, service_id)
    assert kiosk.text_of("questionText") == service.text(service.pages[0].question, language)
    entered = kiosk.complete_questions(service)
    shown_reference = submit(kiosk)
    assert is_valid(shown_reference)

    rows = queued(kiosk)
    assert len(rows) == 1, "exactly one submission per journey"
    item, payload = rows[0]
    assert item.state == "queued"
    assert item.reference == shown_reference.replace("-", "") == payload["reference"]
    assert payload["service"] == {"id": service_id, "version": service.version}
    assert payload["language"] == language
    assert payload["kiosk_id"] == "test-kiosk"
    # What is queued is what was entered, normalised by the same validators. The contact for status updates
    # travels apart (payload["status_updates"]), never among the answers.
    contact = {page_id: raw for page_id, raw in entered.items() if page_id in status_updates.PAGE_IDS}
    entered = {page_id: raw for page_id, raw in entered.items() if page_id not in contact}
    for page_id, raw in entered.items():
        expected = validate(service.page(page_id), raw, national_id_kind=service.national_id,
                            postcode_kind=service.postcode)
        assert payload["answers"][page_id] == expected, page_id
    assert set(payload["answers"]) == set(entered)
    assert bool(payload.get("status_updates")) == bool(set(contact) - {status_updates.CHANNEL})
    # Files: each document page and the signature are attachments named by the answer.
    files = {f["name"] for f in payload.get("attachments", ())}
    for page in service.pages:
        if page.type == "document" and page.id in entered:
            assert set(payload["answers"][page.id]) <= files and len(payload["answers"][page.id]) >= 1
        elif page.type == "signature" and page.id in entered:
            assert payload["answers"][page.id] in files


def test_rtl_layout_for_arabic(kiosk):
    start(kiosk, "ar", "change-of-address")
    back, nxt = kiosk.item("backButton"), kiosk.item("nextButton")
    # Right to left: Back sits on the right, Next on the left.
    assert back.mapToScene(back.boundingRect().center()).x() > nxt.mapToScene(nxt.boundingRect().center()).x()
    kiosk.click("switchLang_en") if kiosk.has("switchLang_en") else None
    kiosk.click("languageButton")
    kiosk.click("switchLang_en")
    back, nxt = kiosk.item("backButton"), kiosk.item("nextButton")
    assert back.mapToScene(back.boundingRect().center()).x() < nxt.mapToScene(nxt.boundingRect().center()).x()


def test_touch_targets_and_text_sizes_at_1366x768(kiosk):
    service = CATALOGUE.services["change-of-address"]
    start(kiosk, "en", service.id)
    for name in ("backButton", "nextButton", "callHelperButton", "languageButton"):
        item = kiosk.item(name)
        assert item.width() >= 44 and item.height() >= 44, name
    assert kiosk.item("questionText").property("font").pixelSize() >= 24
    kiosk.click("nextButton")  # empty required answer
    error = kiosk.item("errorText")
    assert error.property("text") == "Enter your tax number (NIF)."  # specific, not "Please answer this question."
    assert error.property("font").pixelSize() >= 24


def test_language_switch_mid_journey_keeps_answers(kiosk):
    service = CATALOGUE.services["change-of-address"]
    start(kiosk, "pt", service.id)
    first = service.pages[0]
    kiosk.answer_page(first, service)
    kiosk.click("nextButton")
    kiosk.click("languageButton")
    kiosk.click("switchLang_fr")
    assert kiosk.app.bridge.language == "fr"
    assert kiosk.text_of("questionText") == service.text(service.pages[1].question, "fr")
    kiosk.click("backButton")
    assert kiosk.text_of("answerField") == "123456789"


def test_check_answers_change_returns_to_check(kiosk):
    service = CATALOGUE.services["change-of-address"]
    start(kiosk, "en", service.id)
    kiosk.complete_questions(service)
    kiosk.click("change_full_name")
    assert kiosk.app.bridge.pageId == "full_name"
    kiosk.type_into("answerField", "Rui Exemplo")
    kiosk.click("nextButton")
    assert kiosk.app.bridge.screen == "check"
    assert kiosk.text_of("answer_full_name") == "Rui Exemplo"


def test_submit_needs_consent_and_keeps_answers(kiosk):
    service = CATALOGUE.services["change-of-address"]
    start(kiosk, "en", service.id)
    kiosk.complete_questions(service)
    kiosk.click("submitButton")
    assert kiosk.app.bridge.screen == "check"
    assert kiosk.text_of("submitErrorText") == tr("en", "consent.needed")
    assert queued(kiosk) == []


def test_inactivity_warns_then_wipes_everything(kiosk):
    service = CATALOGUE.services["change-of-address"]
    start(kiosk, "en", service.id)
    canary = "Zeferino Canario"
    kiosk.click("nextButton")  # an error on screen too
    kiosk.answer_page(service.pages[0], service)
    kiosk.click("nextButton")
    kiosk.type_into("answerField", canary)

    kiosk.clock.now += 61
    kiosk.qtbot.waitUntil(lambda: kiosk.has("idleOverlay"), timeout=3000)
    assert "30" in kiosk.text_of("idleCountdown") or "29" in kiosk.text_of("idleCountdown")
    kiosk.click("moreTimeButton")
    assert not kiosk.has("idleOverlay")
    assert kiosk.text_of("answerField") == canary, "more time keeps the answers"

    kiosk.clock.now += 60 + 30 + 1
    kiosk.qtbot.waitUntil(lambda: kiosk.app.bridge.screen == "attract", timeout=3000)
    assert kiosk.app.bridge.journey is None
    assert kiosk.app.bridge.language == "en"
    kiosk.settle()
    assert canary not in kiosk.all_text()
    assert not kiosk.has("idleOverlay")
    assert queued(kiosk) == [], "an abandoned journey is never submitted"


def test_touching_the_screen_keeps_the_session_alive(kiosk):
    start(kiosk, "en", "change-of-address")
    kiosk.clock.now += 50
    kiosk.click("hintText") if kiosk.has("hintText") else kiosk.click("questionText")
    kiosk.clock.now += 50
    kiosk.settle()
    kiosk.qtbot.wait(400)
    assert not kiosk.has("idleOverlay")
    assert kiosk.app.bridge.screen == "question"


def _can_mount() -> bool:
    return os.geteuid() == 0 and shutil.which("mount") is not None


@pytest.mark.skipif(not _can_mount(), reason="mounting a small tmpfs needs root")
def test_full_disk_tells_the_citizen_and_loses_nothing(qtbot, tmp_path):
    from ui.app import KioskApp

    mountpoint = tmp_path / "small-disk"
    mountpoint.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mountpoint)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
    try:
        config, private_key = make_queue_config(tmp_path)
        import dataclasses
        config = dataclasses.replace(config, data_dir=mountpoint / "data")
        app = KioskApp(config, windowed=True, size=(1366, 768))
        driver = Driver(app, qtbot)
        service = CATALOGUE.services["change-of-address"]
        start(driver, "en", service.id)
        driver.complete_questions(service, {"full_name": "Zeferino Canario"})
        # Fill the disk to the last byte.
        filler = mountpoint / "filler"
        try:
            with open(filler, "wb") as f:
                while True:
                    f.write(b"\0" * 4096)
                    f.flush()
        except OSError:
            pass
        driver.click("consentButton")
        driver.click("submitButton")
        qtbot.waitUntil(lambda: app.bridge.submitError != "", timeout=10000)
        assert app.bridge.screen == "check"
        assert driver.text_of("submitErrorText") == tr("en", "error.queue_write_failed")
        assert driver.text_of("answer_full_name") == "Zeferino Canario", "answers stay on screen"
        # A mediator frees space; the same answers go through.
        filler.unlink()
        driver.click("submitButton")
        qtbot.waitUntil(lambda: app.bridge.screen == "done", timeout=10000)
        reference = driver.text_of("referenceText").replace("-", "")
        app.close()
        with open_outbox(config) as outbox:
            items = outbox.items()
            assert [i.reference for i in items] == [reference]
            assert outbox.open_payload(reference, private_key)["answers"]["full_name"] == "Zeferino Canario"
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)


def test_broken_definition_is_left_out_not_fatal(qtbot, tmp_path):
    from kiosk.config import config_from_dict
    from ui.app import KioskApp

    extra = tmp_path / "services"
    extra.mkdir()
    (extra / "broken.yaml").write_text("id: broken\npages: [\n", encoding="utf-8")
    config, _ = make_queue_config(tmp_path)
    raw = dict(config.raw, services={"dirs": [str(extra)], "include_samples": True})
    config = config_from_dict(raw, base=tmp_path)
    app = KioskApp(config, windowed=True, size=(1366, 768))
    try:
        assert any("broken.yaml" in p.file for p in app.catalogue.problems)
        assert len(app.bridge.services) == len(CATALOGUE.services)
    finally:
        app.close()


def test_unique_submission_ids(kiosk):
    # Two journeys in a row on the same kiosk: two rows, two different ids and references.
    service = CATALOGUE.services["change-of-address"]
    refs = []
    for _ in range(2):
        start(kiosk, "en", service.id)
        kiosk.complete_questions(service)
        refs.append(submit(kiosk))
        kiosk.click("finishButton")
        assert kiosk.app.bridge.screen == "attract"
    rows = queued(kiosk)
    assert len(rows) == 2 and refs[0] != refs[1]
    assert len({uuid.UUID(p["submission_id"]) for _, p in rows}) == 2


def test_citizen_cannot_close_the_full_screen_kiosk(qtbot, tmp_path):
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QWindow

    from ui.app import KioskApp

    config, _ = make_queue_config(tmp_path)
    app = KioskApp(config, windowed=False, size=(1366, 768))
    try:
        qtbot.waitExposed(app.window)
        assert app.window.visibility() == QWindow.Visibility.FullScreen
        assert app.window.flags() & Qt.WindowType.FramelessWindowHint
        app.window.close()  # what Alt+F4 or a window manager's close asks for
        qtbot.wait(50)
        assert app.window.isVisible(), "the kiosk refused to close"
    finally:
        app.close()


def test_one_accept_and_send_in_view_on_check_answers(kiosk):
    """The consent and one Accept and send are on screen without scrolling, however many answers."""
    service = CATALOGUE.services["change-of-address"]
    start(kiosk, "en", service.id)
    kiosk.complete_questions(service)
    assert not kiosk.has("nextButton"), "no second Send in the footer"
    sends = [i for i in kiosk.items() if i.objectName() == "submitButton" and i.isVisible()]
    assert len(sends) == 1 and sends[0].property("text") == tr("en", "submit.accept_and_send")
    for name in ("consentButton", "submitButton"):
        item = kiosk.item(name)
        top = item.mapToScene(item.boundingRect().topLeft())
        assert top.y() >= 0 and top.y() + item.height() <= kiosk.window.height(), f"{name} is below the fold"
    kiosk.click("submitButton")  # no consent yet: refused, the reason in view
    error = kiosk.item("submitErrorText")
    assert error.property("text") == tr("en", "consent.needed")
    centre = error.mapToScene(error.boundingRect().center())
    assert 0 < centre.y() < kiosk.window.height()
    kiosk.click("consentButton")
    kiosk.click("submitButton")
    kiosk.qtbot.waitUntil(lambda: kiosk.app.bridge.screen == "done", timeout=10000)


def test_the_kiosk_delivers_in_the_background(qtbot, tmp_path):
    """From the touch screen to the backend: queued first, then delivered by the sync worker."""
    from offline_queue.devbackend import start_dev_backend
    from offline_queue.keys import generate_keypair, write_keypair
    from ui.app import KioskApp

    pair = generate_keypair()
    write_keypair(pair, tmp_path / "keys")
    backend = start_dev_backend(tmp_path / "backend.db", private_keys=[pair.private])
    try:
        config, _ = make_queue_config(tmp_path, destinations={"*": {"kind": "rest", "url": backend.url}})
        import dataclasses
        config = dataclasses.replace(config, raw={**config.raw, "queue": {"public_key": str(tmp_path / "keys" / "public.pem")}})
        app = KioskApp(config, windowed=True, size=(1366, 768), sync=True)
        try:
            driver = Driver(app, qtbot)
            service = CATALOGUE.services["change-of-address"]
            start(driver, "en", service.id)
            driver.complete_questions(service)
            reference = submit(driver).replace("-", "")
            qtbot.waitUntil(lambda: len(backend.rows()) == 1, timeout=15000)
            assert backend.rows()[0]["reference"] == reference
        finally:
            app.close()
        with open_outbox(config) as outbox:
            assert outbox.counts()["delivered"] == 1
    finally:
        backend.stop()


def test_voice_intents_reach_every_step(kiosk):
    """What voice recognition hands over (after "Is that right?") drives the same journey as touch."""
    bridge = kiosk.app.bridge
    service = CATALOGUE.services["change-of-address"]
    helped = []
    bridge.helpRequested.connect(lambda: helped.append(True))
    bridge.applyIntent("command", "next")  # anything on the attract screen starts
    assert bridge.screen == "language"
    bridge.applyIntent("number", str([l["code"] for l in bridge.languages].index("en") + 1))
    assert bridge.screen == "services"
    bridge.applyIntent("choose", service.id)
    assert bridge.screen == "start"
    bridge.applyIntent("command", "next")  # "next" on the start page begins
    assert bridge.screen == "question"
    kiosk.complete_questions(service, {"others_moved": "no"})
    bridge.applyIntent("command", "next")  # send without consent: refused, answers kept
    assert bridge.screen == "check" and bridge.submitError == tr("en", "consent.needed")
    bridge.applyIntent("command", "yes")  # "yes" agrees
    assert bridge.consentGiven
    bridge.applyIntent("command", "next")
    kiosk.qtbot.waitUntil(lambda: bridge.screen == "done", timeout=10000)
    bridge.applyIntent("command", "next")
    assert bridge.screen == "attract" and bridge.journey is None
    bridge.applyIntent("command", "help")  # last: the mediator's "coming" screen covers the kiosk
    assert helped == [True]


def test_yes_no_by_voice_command(kiosk):
    bridge = kiosk.app.bridge
    service = CATALOGUE.services["change-of-address"]
    start(kiosk, "en", service.id)
    while bridge.questionType != "yes_no":
        page = bridge.journey.page
        kiosk.answer_page(page, service)
        kiosk.click("nextButton")
    bridge.applyIntent("command", "yes")
    assert [o["value"] for o in bridge.options if o["selected"]] == ["yes"]


def test_read_to_me_turns_voice_on_and_starts(kiosk):
    voice = kiosk.app.extras["voice"]
    assert not voice.property("enabled")
    kiosk.click("readToMeButton")
    assert voice.property("enabled")
    assert kiosk.app.bridge.screen == "language"


def test_start_screen_invites_in_every_language(kiosk):
    # Each change of the invitation is an event to wait for, not a number of seconds: on a loaded
    # machine a fixed wait can miss a turn.
    seen = [kiosk.text_of("welcomeText")]
    for _ in range(4):
        kiosk.qtbot.waitUntil(lambda: kiosk.text_of("welcomeText") != seen[-1], timeout=20000)
        seen.append(kiosk.text_of("welcomeText"))
    assert set(seen) == {tr(code, "attract.welcome") for code in ("en", "pt", "fr", "es", "ar")}


def test_the_journey_is_frozen_while_it_is_being_written(kiosk):
    """Back, change, consent and language wait while Send writes: one row, one reference, done."""
    bridge = kiosk.app.bridge
    service = CATALOGUE.services["change-of-address"]
    start(kiosk, "en", service.id)
    kiosk.complete_questions(service)
    bridge.giveConsent(True)
    bridge.submit()  # the write runs on the writer thread; its answer waits for this thread's loop
    assert bridge.busy
    bridge.back()
    bridge.change("full_name")
    bridge.giveConsent(False)
    bridge.chooseLanguage("pt")
    assert bridge.screen == "check" and bridge.consentGiven and bridge.language == "en"
    kiosk.qtbot.waitUntil(lambda: bridge.screen == "done", timeout=10000)
    rows = queued(kiosk)
    assert len(rows) == 1 and rows[0][1]["reference"] == bridge.reference.replace("-", "")


def test_a_date_comes_back_in_its_three_boxes(kiosk):
    service = CATALOGUE.services["change-of-address"]
    start(kiosk, "en", service.id)
    kiosk.complete_questions(service, {"date_moved": "07/09/2021"})
    kiosk.click("change_date_moved")
    assert [kiosk.text_of(n) for n in ("dayField", "monthField", "yearField")] == ["07", "09", "2021"]


def test_start_page_and_data_notice_are_shown_and_reachable_from_every_page(kiosk):
    service = CATALOGUE.services["birth-certificate"]
    kiosk.click("startButton")
    kiosk.click("lang_pt")
    kiosk.click(f"service_{service.id}")
    assert kiosk.app.bridge.screen == "start"
    assert kiosk.text_of("startRequirements") == service.text(service.requirements, "pt")
    assert "5" in kiosk.text_of("startDuration")
    assert kiosk.text_of("startCost") == service.text(service.cost, "pt")
    assert kiosk.text_of("startReceiver") == service.text(service.data_notice["controller"], "pt")
    kiosk.click("startDataNoticeButton")
    for part in ("controller", "purpose", "legal_basis", "retention", "rights", "contact"):
        assert kiosk.text_of(f"dataNotice_{part}") == service.text(service.data_notice[part], "pt")
    # Read aloud on request: the voice gets the whole notice.
    assert service.text(service.data_notice["retention"], "pt") in kiosk.app.bridge.screen_content().body
    kiosk.click("dataNoticeClose")
    assert not kiosk.has("dataNotice")
    kiosk.click("nextButton")
    assert kiosk.app.bridge.screen == "question"
    # From a question too, and from check answers.
    kiosk.click("dataNoticeButton")
    assert kiosk.text_of("dataNotice_rights") == service.text(service.data_notice["rights"], "pt")
    kiosk.click("dataNoticeClose")
    kiosk.complete_questions(service)
    kiosk.click("dataNoticeButton")
    assert kiosk.has("dataNotice_contact")
    kiosk.click("dataNoticeClose")
    assert kiosk.app.bridge.screen == "check"


def test_an_eligibility_stop_explains_kindly_and_sends_nothing(kiosk):
    service = CATALOGUE.services["birth-certificate"]
    start(kiosk, "en", service.id)
    kiosk.click("option_mine")
    kiosk.click("nextButton")
    kiosk.click("option_no")  # not registered in Portugal
    kiosk.click("nextButton")
    bridge = kiosk.app.bridge
    assert bridge.screen == "stopped"
    stop = service.page("registered_in_portugal").stop
    assert kiosk.text_of("screenTitle") == service.text(stop.message, "en")
    assert kiosk.text_of("stopInstead") == service.text(stop.instead, "en")
    kiosk.click("backButton")  # a mistake: back to the question
    assert bridge.screen == "question" and bridge.pageId == "registered_in_portugal"
    kiosk.click("nextButton")
    kiosk.click("stoppedFinishButton")
    assert bridge.screen == "attract" and bridge.journey is None
    assert queued(kiosk) == []


def test_start_again_asks_first_then_deletes_everything_at_once(kiosk):
    service = CATALOGUE.services["change-of-address"]
    start(kiosk, "fr", service.id)
    canary = "123456789"
    kiosk.type_into("answerField", canary)
    kiosk.click("startAgainButton")
    kiosk.click("startAgainCancel")  # "No, go on": nothing lost
    assert kiosk.app.bridge.screen == "question" and kiosk.text_of("answerField") == canary
    kiosk.click("startAgainButton")
    kiosk.click("startAgainConfirm")
    bridge = kiosk.app.bridge
    assert bridge.screen == "attract" and bridge.journey is None and bridge.language == "en"
    kiosk.settle()
    assert canary not in kiosk.all_text()


def test_the_idle_warning_says_the_answers_will_be_deleted(kiosk):
    start(kiosk, "es", "change-of-address")
    kiosk.clock.now += 61
    kiosk.qtbot.waitUntil(lambda: kiosk.has("idleOverlay"), timeout=3000)
    assert "borrarán" in kiosk.text_of("idleCountdown")


def test_errors_are_specific_to_the_question(kiosk):
    start(kiosk, "pt", "change-of-address")
    kiosk.click("nextButton")
    assert kiosk.text_of("errorText") == "Escreva o seu número de contribuinte (NIF)."
    kiosk.type_into("answerField", "123456780")  # wrong check digit
    kiosk.click("nextButton")
    assert "9" in kiosk.text_of("errorText") and "cartão" in kiosk.text_of("errorText")


def test_the_confirmation_says_what_happens_next_and_how_to_follow_up(kiosk):
    service = CATALOGUE.services["social-energy-tariff"]
    start(kiosk, "en", service.id)
    kiosk.complete_questions(service)
    submit(kiosk)
    assert kiosk.text_of("nextStepsText") == service.text(service.after_submit["next_steps"], "en")
    assert service.after_submit["phone"] in kiosk.text_of("followUp_phone")
    assert service.after_submit["web"] in kiosk.text_of("followUp_web")
    assert kiosk.text_of("followUp_counter").endswith(service.text(service.after_submit["counter"], "en"))


def test_bigger_text_and_high_contrast_are_for_this_citizen_only(kiosk):
    bridge = kiosk.app.bridge
    start(kiosk, "en", "change-of-address")
    normal_size = kiosk.item("questionText").property("font").pixelSize()
    kiosk.click("displayButton")
    kiosk.click("textScale_1_5")
    kiosk.click("highContrastButton")
    kiosk.click("displayClose")
    assert bridge.textScale == 1.5 and bridge.highContrast
    bigger = kiosk.item("questionText")
    assert bigger.property("font").pixelSize() == round(normal_size * 1.5)
    assert bigger.property("color").name() == "#ffffff"  # white on black
    assert kiosk.app.window.property("color").name() == "#000000"
    # The next citizen starts with the usual display.
    kiosk.click("startAgainButton")
    kiosk.click("startAgainConfirm")
    assert bridge.textScale == 1.0 and not bridge.highContrast
    assert kiosk.app.window.property("color").name() == "#ffffff"
