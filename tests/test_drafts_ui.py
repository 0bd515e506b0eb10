"""Save and resume through the real screens, offscreen: pause, the code card, the code entry, a real drafts.db.

The drafts.db of each test is made before the kiosk starts with a cheap scrypt cost (the store keeps
the cost it was made with), so a pause or a resume takes milliseconds here; the rules are the same.
"""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
import yaml

from kiosk.config import config_from_dict
from kiosk.drafts import ALPHABET
from kiosk.journey import CHECK, QUESTION
from offline_queue.drafts import SQLiteDraftStore
from tests.queue_fixtures import make_queue_config
from tests.test_ui_journey import CATALOGUE, queued, start, submit
from tests.ui_driver import Driver, FakeClock

pytestmark = pytest.mark.timeout(300)

FAST_N = 2 ** 10
CODE = re.compile(r"^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{2}$")
ADDRESS = CATALOGUE.services["change-of-address"]


def prepare(tmp_path: Path, **raw):
    """A kiosk configuration with a fresh queue key, and its drafts.db made with a cheap scrypt."""
    config, private_key = make_queue_config(tmp_path)
    if raw:
        config = config_from_dict({**config.raw, **raw}, base=tmp_path)
    (config.data_dir).mkdir(parents=True, exist_ok=True)
    SQLiteDraftStore(config.data_dir / "drafts.db", scrypt_n=FAST_N).close()
    return config, private_key


def open_kiosk(qtbot, config, private_key=None, size=(1366, 768)) -> Driver:
    from ui.app import KioskApp
    clock = FakeClock()
    app = KioskApp(config, windowed=True, size=size, clock=clock)
    driver = Driver(app, qtbot)
    driver.config, driver.private_key, driver.clock = config, private_key, clock
    return driver


@pytest.fixture
def kiosk(qtbot, tmp_path):
    config, private_key = prepare(tmp_path)
    driver = open_kiosk(qtbot, config, private_key)
    yield driver
    driver.app.close()


def answer_pages(driver: Driver, service, count: int) -> dict:
    """Answer the first `count` pages by touch; what was entered, by page id (raw, as the journey keeps it)."""
    for _ in range(count):
        page = driver.app.bridge.journey.page
        driver.answer_page(page, service)
        driver.click("nextButton")
        assert driver.app.bridge.error == "", driver.app.bridge.error
    return dict(driver.app.bridge.journey.raw)


def pause(driver: Driver) -> str:
    """Start again, then Pause and come back later; wait for the code card; the code as shown."""
    driver.click("startAgainButton")
    driver.click("pauseButton")
    assert driver.app.bridge.screen == "paused"
    driver.qtbot.waitUntil(lambda: driver.has("pauseCode") and driver.text_of("pauseCode") != "", timeout=10000)
    return driver.text_of("pauseCode")


def enter_code(driver: Driver, code: str, language: str = "en") -> None:
    """From the attract screen: language, "I have a code", the code by touch, Go on."""
    driver.click("startButton")
    driver.click(f"lang_{language}")
    driver.click("haveCodeButton")
    assert driver.app.bridge.screen == "resume"
    for sign in code.replace("-", ""):
        driver.click(f"codeKey_{sign}")
    assert driver.text_of("resumeTyped") == code
    driver.click("resumeGoOn")
    drafts = driver.app.drafts
    driver.qtbot.waitUntil(lambda: not drafts.busy, timeout=10000)
    driver.settle()


def test_pause_mid_journey_shows_the_code_and_nothing_of_the_answers_then_finish_clears_it(kiosk):
    start(kiosk, "en", ADDRESS.id)
    entered = answer_pages(kiosk, ADDRESS, 2)
    code = pause(kiosk)
    assert CODE.match(code), code
    assert code == kiosk.app.drafts.code
    item = kiosk.item("pauseCode")
    assert item.property("font").pixelSize() >= 64, "the code in large type"
    kept = kiosk.text_of("pauseKeptUntil")
    assert kept.startswith("Come back to this kiosk before tomorrow at ") and "erased" in kept
    # The journey left the screen and the memory: the draft holds it now.
    assert kiosk.app.bridge.journey is None
    shown = kiosk.all_text()
    assert kiosk.text_of("serviceTitle") == "Ponte"
    for value in entered.values():
        assert str(value) not in shown
    assert not kiosk.has("backButton") and not kiosk.has("startAgainButton") and not kiosk.has("pauseButton")
    assert kiosk.app.drafts._keeper.count() == 1
    kiosk.click("pauseFinishButton")
    assert kiosk.app.bridge.screen == "attract"
    assert kiosk.app.drafts.code == "" and code not in kiosk.all_text()
    assert kiosk.app.drafts._keeper.count() == 1, "Finish forgets the code shown, never the draft"


def test_the_code_card_is_spoken_sign_by_sign_and_kept_out_of_the_shared_speech_cache(kiosk):
    from voice.script import script
    start(kiosk, "en", ADDRESS.id)
    answer_pages(kiosk, ADDRESS, 1)
    code = pause(kiosk)
    content = kiosk.app.bridge.screen_content()
    assert content.kind == "paused" and content.reference == code.replace("-", "")  # private speech
    said = script(content)
    assert ", ".join(code.replace("-", "")) in said  # "Your code is: X, A, 7, R, ..."
    assert "Your answers are kept" in said and "tomorrow at" in said
    assert all(answer not in said for answer in ("Maria", "Rua"))


def test_entering_the_code_goes_on_at_the_same_page_with_every_answer(kiosk):
    start(kiosk, "en", ADDRESS.id)
    entered = answer_pages(kiosk, ADDRESS, 3)
    page_id = kiosk.app.bridge.pageId
    code = pause(kiosk)
    kiosk.click("pauseFinishButton")
    enter_code(kiosk, code)
    bridge = kiosk.app.bridge
    assert bridge.screen == "question" and bridge.pageId == page_id
    assert {k: bridge.journey.raw[k] for k in entered} == entered
    assert not kiosk.has("resumedNotice"), "nothing to tell: no note in the way"
    assert bridge.progressText == "Question 4 of 9"
    # Back shows an answer given before the pause.
    kiosk.click("backButton")
    first = bridge.journey.page
    assert bridge.answerText or bridge.dateParts != ["", "", ""] or any(o["selected"] for o in bridge.options), first.id
    kiosk.click("nextButton")
    kiosk.complete_questions(ADDRESS)
    reference = submit(kiosk)
    (item, payload), = queued(kiosk)
    assert payload["reference"] == reference.replace("-", "")
    assert set(entered) <= set(payload["answers"])
    assert kiosk.app.drafts._keeper.count() == 0, "a resumed draft is erased"


def test_a_wrong_code_says_so_and_how_many_tries_are_left(kiosk):
    enter_code(kiosk, "ABCD-EFGH-JK")
    assert kiosk.app.bridge.screen == "resume"
    assert kiosk.text_of("resumeError") == ("This code is not right, or it is too old. Check it and try again. "
                                             "4 more tries before a pause.")
    kiosk.click("codeKeyDelete")  # typing again takes the message away
    assert not kiosk.has("resumeError")
    assert kiosk.text_of("resumeTyped") == "ABCD-EFGH-J_"


def test_too_many_wrong_codes_lock_with_the_minutes_in_the_citizens_language(kiosk):
    enter_code(kiosk, "ABCD-EFGH-JK", language="pt")
    for sign in ("K", "M", "N", "P"):  # four more wrong codes, by touch: the fifth starts a pause
        kiosk.click("codeKeyDelete")
        kiosk.click(f"codeKey_{sign}")
        kiosk.click("resumeGoOn")
        kiosk.qtbot.waitUntil(lambda: not kiosk.app.drafts.busy, timeout=10000)
        kiosk.settle()
    assert kiosk.app.drafts.error == "locked"
    assert kiosk.text_of("resumeError") == ("Demasiados códigos errados. Tente de novo dentro de 10 minutos "
                                             "ou peça ajuda.")
    kiosk.click("languageButton")
    kiosk.click("switchLang_ar")
    assert kiosk.text_of("resumeError") == "رموز خاطئة كثيرة. حاول مرة أخرى بعد 10 دقائق أو اطلب المساعدة."


def test_a_paused_journey_resumes_after_a_restart_of_the_kiosk(qtbot, tmp_path):
    config, private_key = prepare(tmp_path)
    first = open_kiosk(qtbot, config, private_key)
    try:
        start(first, "en", ADDRESS.id)
        entered = answer_pages(first, ADDRESS, 2)
        page_id = first.app.bridge.pageId
        code = pause(first)
    finally:
        first.app.close()
    second = open_kiosk(qtbot, config, private_key)
    try:
        enter_code(second, code)
        assert second.app.bridge.screen == "question" and second.app.bridge.pageId == page_id
        assert {k: second.app.bridge.journey.raw[k] for k in entered} == entered
    finally:
        second.app.close()


def test_the_idle_wipe_clears_the_code_card_but_keeps_the_draft(kiosk):
    start(kiosk, "en", ADDRESS.id)
    answer_pages(kiosk, ADDRESS, 1)
    code = pause(kiosk)
    kiosk.clock.now += kiosk.config.idle_seconds + kiosk.config.settings.session.warning_seconds + 5
    kiosk.app.bridge._tick()
    kiosk.settle()
    assert kiosk.app.bridge.screen == "attract"
    assert kiosk.app.drafts.code == "" and not kiosk.has("pauseCode") and code not in kiosk.all_text()
    assert kiosk.app.drafts._keeper.count() == 1
    enter_code(kiosk, code)  # the code still works: the wipe forgot only what was on screen
    assert kiosk.app.bridge.screen == "question"


def test_a_pause_that_cannot_be_kept_goes_back_to_the_answers(kiosk):
    start(kiosk, "en", ADDRESS.id)
    entered = answer_pages(kiosk, ADDRESS, 2)
    page_id = kiosk.app.bridge.pageId
    kiosk.app.drafts._keeper.store.close()  # drafts.db can no longer be written
    kiosk.click("startAgainButton")
    kiosk.click("pauseButton")
    kiosk.qtbot.waitUntil(lambda: kiosk.has("pauseError"), timeout=10000)
    assert kiosk.text_of("pauseError") == "Saving does not work right now. Please ask a helper."
    assert not kiosk.has("pauseCode")
    kiosk.click("pauseBackButton")
    assert kiosk.app.bridge.screen == "question" and kiosk.app.bridge.pageId == page_id
    assert {k: kiosk.app.bridge.journey.raw[k] for k in entered} == entered


def test_pause_from_check_answers_comes_back_to_check_answers(kiosk):
    start(kiosk, "en", ADDRESS.id)
    kiosk.complete_questions(ADDRESS)
    code = pause(kiosk)
    kiosk.click("pauseFinishButton")
    enter_code(kiosk, code)
    assert kiosk.app.bridge.screen == "check"
    assert kiosk.app.bridge.journey.is_complete() and not kiosk.app.bridge.journey.consent_given
    submit(kiosk)


# --- signatures and documents are never kept in a draft -----------------------------------------------------

SIGNING = {
    "format": 1, "id": "parking-card", "version": 1, "languages": ["en", "ar"],
    "title": {"en": "Parking card", "ar": "بطاقة وقوف"}, "description": {"en": "Apply", "ar": "قدّم"},
    "destination": "civil", "consent": {"en": "I agree", "ar": "أوافق"},
    "data_notice": {k: {"en": k, "ar": k} for k in ("controller", "purpose", "legal_basis", "retention", "rights",
                                                    "contact")},
    "pages": [
        {"id": "plate", "type": "short_text", "question": {"en": "Number plate", "ar": "رقم اللوحة"}},
        {"id": "signature", "type": "signature", "question": {"en": "Sign here", "ar": "وقّع هنا"}},
        {"id": "disabled", "type": "yes_no", "question": {"en": "Blue badge?", "ar": "شارة زرقاء؟"}},
        {"id": "colour", "type": "short_text", "question": {"en": "Car colour", "ar": "لون السيارة"}},
    ],
}


@pytest.fixture
def signing(qtbot, tmp_path):
    services = tmp_path / "services"
    services.mkdir()
    (services / "parking-card.yaml").write_text(yaml.safe_dump(SIGNING, allow_unicode=True), encoding="utf-8")
    config, private_key = prepare(tmp_path, services={"dirs": [str(services)], "include_samples": False})
    driver = open_kiosk(qtbot, config, private_key)
    yield driver
    driver.app.close()


def test_a_signature_is_not_kept_in_a_draft_and_is_asked_again_after_resuming(signing):
    from tests.test_signature import H, STROKES, W
    bridge = signing.app.bridge
    start(signing, "en", "parking-card")
    signing.type_into("answerField", "AB-12-CD")
    signing.click("nextButton")
    bridge.setSignature(STROKES, W, H)  # the pad's strokes, as SignaturePad hands them over
    assert bridge._files and bridge.journey.raw["signature"] == "signature.png"
    signing.click("nextButton")
    signing.click("option_yes")
    signing.click("nextButton")
    assert bridge.pageId == "colour"
    code = pause(signing)
    assert signing.text_of("pauseFilesNotKept") == ("Your signature and scanned pages are not kept. "
                                                     "You will sign or scan again when you come back.")
    assert bridge._files == {}, "the signature's files leave memory with the journey"
    signing.click("pauseFinishButton")
    enter_code(signing, code)
    # Back at the signature (the first thing missing), every other answer kept, and told why.
    assert bridge.screen == "question" and bridge.pageId == "signature"
    assert not bridge.journey.raw.get("signature") and bridge._files == {}
    assert bridge.journey.raw["plate"] == "AB-12-CD" and bridge.journey.raw["disabled"] == "yes"
    assert signing.text_of("resumedNoticeText") == ("Signatures and scanned pages are not kept during a pause. "
                                                     "Please sign or scan again.")
    signing.click("resumedNoticeOk")
    assert not signing.has("resumedNotice")
    # Nothing can be sent without signing again: the check screen is reached only through the pad.
    signing.click("nextButton")
    assert bridge.screen == "question" and bridge.pageId == "signature" and bridge.error
    bridge.setSignature(STROKES, W, H)
    signing.click("nextButton")
    signing.click("nextButton")
    assert bridge.pageId == "colour"


def test_without_files_keeps_every_other_answer_and_goes_back_to_the_first_file_page():
    from ui.drafts_bridge import without_files
    service = dataclasses.replace(ADDRESS)  # no file pages: nothing changes
    snapshot = {"raw": {"full_name": "Maria"}, "page": None, "step": CHECK}
    assert without_files(service, snapshot) == (snapshot, [])
    from kiosk.definition import load_service  # a service with a signature in the middle
    import tempfile
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "parking-card.yaml"
        path.write_text(yaml.safe_dump(SIGNING, allow_unicode=True), encoding="utf-8")
        signing_service = load_service(path)
    at_check = {"raw": {"plate": "X", "signature": "signature.png", "disabled": "no", "colour": "red"},
                "page": None, "step": CHECK}
    kept, redo = without_files(signing_service, at_check)
    assert redo == ["signature"] and kept["raw"] == {"plate": "X", "disabled": "no", "colour": "red"}
    assert kept["page"] == "signature" and kept["step"] == QUESTION
    before = {"raw": {"plate": "X"}, "page": "signature", "step": QUESTION}  # paused on the pad, unsigned
    assert without_files(signing_service, before) == (before, [])


# --- printing the code ----------------------------------------------------------------------------------------

def test_print_this_code_prints_a_slip_on_the_thermal_printer(qtbot, tmp_path):
    from tests.test_receipt_print import decode_gs_v_0, qt_raster
    from ui.drafts_bridge import code_slip
    device = tmp_path / "lp0"
    device.touch()
    config, private_key = prepare(tmp_path, printer={"kind": "escpos", "device": str(device)})
    driver = open_kiosk(qtbot, config, private_key)
    try:
        start(driver, "en", ADDRESS.id)
        answer_pages(driver, ADDRESS, 1)
        code = pause(driver)
        driver.click("pausePrintButton")
        driver.qtbot.waitUntil(lambda: driver.has("pausePrintResult")
                               and driver.text_of("pausePrintResult") == "Your code is printing. Please take it.",
                               timeout=20000)
        printed = decode_gs_v_0(device.read_bytes())
        expected = qt_raster(code_slip("en", code, driver.app.drafts._expires))
        assert printed.tobytes() == expected.tobytes(), "the slip printed is the Qt-rendered slip"
    finally:
        driver.app.close()


# --- how it looks ---------------------------------------------------------------------------------------------

SHOT_SIZES = [(1366, 768), (1024, 768), (1080, 1920)]


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_code_card_and_the_code_entry_fit_every_screen(qtbot, tmp_path, language):
    from tests.test_layout import _ENGINE, layout_problems
    config, private_key = prepare(tmp_path)
    driver = open_kiosk(qtbot, config, private_key)
    _ENGINE[0] = driver.app.engine
    problems = []
    try:
        start(driver, language, ADDRESS.id)
        answer_pages(driver, ADDRESS, 1)
        code = pause(driver)
        for size in SHOT_SIZES:
            driver.app.window.resize(*size)
            driver.qtbot.wait(60)
            tall = size[0] >= 1366 and size[1] >= 768 or size[1] >= 1024
            problems += [f"pause card {size}: {p}" for p in layout_problems(driver.app, whole=tall, whole_size=tall)]
        driver.app.window.resize(1366, 768)
        driver.qtbot.wait(100)
        driver.click("pauseFinishButton")
        enter_code(driver, "ABCD-EFGH-JK", language)
        for size in SHOT_SIZES:
            driver.app.window.resize(*size)
            driver.qtbot.wait(60)
            tall = size[0] >= 1366 and size[1] >= 768 or size[1] >= 1024
            problems += [f"code entry {size}: {p}" for p in layout_problems(driver.app, whole=tall, whole_size=tall)]
        assert code
    finally:
        driver.app.close()
    assert not problems, "\n".join(problems)


def test_the_code_keys_are_the_codes_alphabet(kiosk):
    kiosk.click("startButton")
    kiosk.click("lang_en")
    kiosk.click("haveCodeButton")
    for sign in ALPHABET:
        key = kiosk.item(f"codeKey_{sign}")
        assert key.width() >= 56 and key.height() >= 56
    for absent in "01ILO":
        assert not kiosk.has(f"codeKey_{absent}")
    kiosk.click("backButton")
    assert kiosk.app.bridge.screen == "services"
