"""The `document` question and the signature's oral alternative through the real QML screens (offscreen).

Real parts: SANE's own `test` device through `scanimage`, the file-fed camera (documents/camera.py, the only
fake: this machine has no camera) behind the same interface as the QtMultimedia adapter, a USB stick as a temp
folder, the real outbox (sealed SQLite) and the real audit log. Covers Retake and Remove, the page limits, the
pages in the submission, the thumbnails on check answers, no page left on disk after the wipe (canary bytes over
the whole data folder), and the oral alternative in the audit log and the payload.

`-m slow` also renders the screens (two pages, camera preview, check answers) in English and Arabic at
1366x768 and 1080x1920 with the layout walk of tests/test_layout.py; $PONTE_DOCUMENT_SHOTS keeps the PNGs.
"""
from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pytest
import yaml
from PIL import Image

from kiosk.config import config_from_dict
from kiosk.documents import ORAL
from kiosk.mediators import MediatorStore
from offline_queue import open_outbox
from offline_queue.seal import open_sealed
from tests.queue_fixtures import make_queue_config
from tests.ui_driver import Driver

pytestmark = pytest.mark.timeout(300)

needs_scanimage = pytest.mark.skipif(shutil.which("scanimage") is None,
                                     reason="scanimage is not installed (Debian: apt-get install sane-utils)")
PIN = "482913"

# A small service of our own (the sample parking-card service may not be there yet): two document pages at
# most, kept small so the tests stay fast, and a signature that may be confirmed orally.
SERVICE = {
    "format": 1, "id": "doc-test", "version": 1, "languages": ["en", "ar"],
    "title": {"en": "Parking card", "ar": "بطاقة وقوف"}, "description": {"en": "Apply", "ar": "قدّم"},
    "destination": "civil", "consent": {"en": "I agree", "ar": "أوافق"},
    "data_notice": {k: {"en": k, "ar": k} for k in ("controller", "purpose", "legal_basis", "retention", "rights",
                                                    "contact")},
    "pages": [
        {"id": "proof", "type": "document", "question": {"en": "A proof of address", "ar": "إثبات العنوان"},
         "document": {"min_pages": 1, "max_pages": 2, "max_side": 600, "jpeg_quality": 70}},
        {"id": "signature", "type": "signature", "question": {"en": "Sign here", "ar": "وقّع هنا"},
         "oral_alternative": True},
    ],
}


def photo(colour, size=(1200, 900), exif_make: str | None = None) -> bytes:
    image = Image.new("RGB", size, colour)
    image.paste((250, 250, 250), (size[0] // 4, size[1] // 4, size[0] // 2, size[1] // 2))
    out = io.BytesIO()
    if exif_make:
        exif = Image.Exif()
        exif[0x010F] = exif_make
        image.save(out, "JPEG", exif=exif, quality=90)
    else:
        image.save(out, "JPEG", quality=90)
    return out.getvalue()


class Kiosk:
    """The running kiosk with our service, the test scanner, the file-fed camera and a stick folder."""

    def __init__(self, qtbot, tmp_path: Path, *, size=(1366, 768), document: dict | None = None,
                 scanner: str = "test", usb: bool = True):
        from ui.app import KioskApp
        services = tmp_path / "services"
        services.mkdir()
        service = {**SERVICE, "pages": [dict(p) for p in SERVICE["pages"]]}
        if document:
            service["pages"][0]["document"] = {**service["pages"][0]["document"], **document}
        (services / "doc-test.yaml").write_text(yaml.safe_dump(service, allow_unicode=True))
        self.camera_dir = tmp_path / "camera"
        self.camera_dir.mkdir()
        (self.camera_dir / "1.jpg").write_bytes(photo((20, 80, 160), exif_make="CanaryCam"))
        (self.camera_dir / "2.jpg").write_bytes(photo((160, 40, 40)))
        self.usb_root = tmp_path / "media"
        self.usb_root.mkdir()
        config, self.private_key = make_queue_config(tmp_path)
        documents = {"scanner": scanner, "camera": f"files:{self.camera_dir}",
                     "usb_dirs": [str(self.usb_root)] if usb else []}
        self.config = config_from_dict({**config.raw, "services": {"dirs": [str(services)], "include_samples": False},
                                        "documents": documents})
        store = MediatorStore.for_config(self.config)
        store.add("ana.s", "Ana Silva", "mediator", PIN)
        store.close()
        self.app = KioskApp(self.config, windowed=True, size=size)
        self.app.mediator.console.clock_probe = False
        self.qtbot = qtbot
        self.d = Driver(self.app, qtbot)
        self.docs = self.app.documents

    def start(self, language: str = "en") -> None:
        self.d.click("startButton")
        self.d.click(f"lang_{language}")
        self.d.click("service_doc-test")
        self.d.click("nextButton")
        assert self.app.bridge.screen == "question" and self.app.bridge.questionType == "document"

    def wait(self, pages: int | None = None) -> None:
        """Until the capture in flight is done (and, if given, that many pages are shown)."""
        self.qtbot.waitUntil(lambda: not self.docs.busy and not self.docs.tasks.busy
                             and (pages is None or self.docs.count == pages), timeout=60000)
        self.d.settle()

    def page_files(self) -> list[Path]:
        root = self.docs.root
        return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []

    def close(self) -> None:
        self.app.mediator.close()
        self.app.close()


@pytest.fixture
def kiosk(qtbot, tmp_path):
    k = Kiosk(qtbot, tmp_path)
    yield k
    k.close()


def _shown(image) -> bool:
    """An Image item that has loaded a real picture (the provider answers a 1x1 blank for anything else)."""
    return image.property("progress") == 1.0 and image.implicitWidth() > 1 and image.implicitHeight() > 1


def _take_photo(k: Kiosk) -> None:
    k.d.click("docSource_camera")
    assert k.d.has("docPreview") and k.d.has("docFrameGuide")
    k.d.click("docTakePhoto")


def _stick(k: Kiosk, files: dict[str, bytes]) -> Path:
    stick = k.usb_root / "STICK"
    stick.mkdir(exist_ok=True)
    for name, data in files.items():
        (stick / name).write_bytes(data)
    return stick


# --- sources ---------------------------------------------------------------------------------------------

@needs_scanimage
def test_scanner_page_is_shown_as_a_thumbnail_then_retaken_and_removed(kiosk):
    k = kiosk
    k.start()
    assert [s["id"] for s in k.docs.sources] == ["scanner", "camera", "usb"]
    k.d.click("docSource_scanner")
    k.wait(pages=1)
    assert k.d.has("docThumb_1") and k.d.has("docRetake_1") and k.d.has("docRemove_1")
    assert k.app.bridge.journey.raw["proof"] == ["proof-1.jpg"]
    (first,) = k.page_files()
    image = Image.open(first)
    assert image.format == "JPEG" and max(image.size) <= 600  # processed at the definition's resolution
    assert oct(first.stat().st_mode & 0o777) == "0o600" and oct(first.parent.stat().st_mode & 0o777) == "0o700"
    thumb = k.d.item("docThumb_1")
    k.qtbot.waitUntil(lambda: _shown(thumb), timeout=5000)  # the provider served the page
    assert thumb.property("source").toString().startswith("image://ponte-private/")
    assert thumb.property("cache") is False

    k.d.click("docRetake_1")  # from the scanner again: a new file in the same place
    k.wait(pages=1)
    (second,) = k.page_files()
    assert second != first and not first.exists()

    k.d.click("docRemove_1")
    k.d.settle()
    assert k.docs.count == 0 and k.page_files() == [] and k.app.bridge.journey.raw["proof"] == []
    k.d.click("nextButton")  # nothing left: the specific message, in words
    assert k.app.bridge.screen == "question" and k.d.text_of("errorText") == "Add at least one page."


def test_camera_preview_gets_frames_and_a_photo_becomes_a_page_without_metadata(kiosk):
    k = kiosk
    k.start()
    k.d.click("docSource_camera")
    assert k.docs.mode == "camera" and k.d.has("docPreview") and k.d.has("docFrameGuide")
    sink = k.d.item("docPreview").property("videoSink")
    k.qtbot.waitUntil(lambda: sink.videoFrame().isValid(), timeout=5000)  # the live preview is fed
    assert k.app.documents.camera.is_active()
    k.d.click("docTakePhoto")
    k.wait(pages=1)
    assert k.docs.mode == "" and not k.app.documents.camera.is_active()  # the camera is released
    (page,) = k.page_files()
    data = page.read_bytes()
    assert b"CanaryCam" not in data and b"Exif" not in data
    image = Image.open(io.BytesIO(data))
    assert max(image.size) <= 600 and image.getpixel((5, 5))[2] > 120  # the blue photo, downscaled

    k.d.click("docSource_camera")  # a second page; then Cancel from the preview takes nothing
    k.d.click("docCancel")
    assert k.docs.mode == "" and k.docs.count == 1 and not k.app.documents.camera.is_active()


def test_usb_stick_lists_its_pictures_and_the_chosen_one_becomes_a_page(kiosk):
    k = kiosk
    k.start()
    k.d.click("docSource_usb")
    k.wait()
    assert k.d.text_of("docMessage") == "No USB stick was found. Put it in the slot, wait a moment, then try again."

    stick = _stick(k, {"notes.txt": b"not a picture"})
    k.d.click("docSource_usb")
    k.wait()
    assert k.d.text_of("docMessage").startswith("The USB stick has no pictures we can use")

    _stick(k, {"b-letter.jpg": photo((200, 180, 40), exif_make="CanaryCam"), "a-bill.png": b"\x89PNG broken"})
    k.d.click("docSource_usb")
    k.wait()
    assert k.docs.mode == "usb" and [f["name"] for f in k.docs.usbFiles] == ["a-bill.png", "b-letter.jpg"]
    k.d.click("docFile_0")  # not an image after all: a message, no page
    k.wait()
    assert k.docs.count == 0 and k.d.text_of("docMessage").startswith("This file is not a picture")
    k.d.click("docSource_usb")
    k.wait()
    k.d.click("docFile_1")
    k.wait(pages=1)
    assert k.docs.message == "" and b"CanaryCam" not in k.page_files()[0].read_bytes()
    assert (stick / "b-letter.jpg").exists()  # the citizen's stick is only read


def test_usb_file_too_big_is_refused_with_a_message(kiosk, monkeypatch):
    import documents.capture
    import ui.documents_bridge
    monkeypatch.setattr(ui.documents_bridge, "MAX_FILE_BYTES", 1000)
    monkeypatch.setattr(documents.capture, "MAX_FILE_BYTES", 1000)
    k = kiosk
    _stick(k, {"big.jpg": photo((10, 10, 10))})
    k.start()
    k.d.click("docSource_usb")
    k.wait()
    k.d.click("docFile_0")
    k.wait()
    assert k.docs.count == 0
    assert k.d.text_of("docMessage") == "This file is too big. Choose another one, or scan the paper."


def test_no_scanner_found_is_said_in_words(qtbot, tmp_path, monkeypatch):
    import ui.documents_bridge
    monkeypatch.setattr(ui.documents_bridge, "scanners", lambda: [])  # auto-detection finds no device
    if shutil.which("scanimage") is None:
        pytest.skip("scanimage is not installed")
    k = Kiosk(qtbot, tmp_path, scanner="")
    try:
        k.start()
        k.d.click("docSource_scanner")
        k.wait()
        assert k.d.text_of("docMessage").startswith("No scanner was found.")
    finally:
        k.close()


def test_only_the_sources_present_get_a_button(qtbot, tmp_path):
    k = Kiosk(qtbot, tmp_path, scanner="none", usb=False)
    try:
        for image in k.camera_dir.iterdir():  # an empty folder: no camera either
            image.unlink()
        k.start()
        assert k.docs.sources == [] and k.d.has("docNoSource") and not k.d.has("docSources")
    finally:
        k.close()


# --- limits ------------------------------------------------------------------------------------------------

def test_page_limit_hides_add_and_refuses_more(kiosk):
    k = kiosk
    k.start()
    _take_photo(k)
    k.wait(pages=1)
    assert k.d.text_of("docCount") == "Pages added: 1 (you can add up to 2)" and k.d.has("docSources")
    _take_photo(k)
    k.wait(pages=2)
    assert not k.d.has("docSources")  # the limit is reached: no way to add a third
    k.docs.openUsb()  # and if asked anyway (voice, a stale touch): the message, nothing added
    assert k.d.text_of("docMessage").startswith("You cannot add more pages.") and k.docs.count == 2
    k.d.click("docRetake_2")  # Retake still works at the limit
    assert k.docs.mode == "camera"
    k.d.click("docTakePhoto")
    k.wait(pages=2)


def test_pages_too_big_together_are_refused(qtbot, tmp_path):
    k = Kiosk(qtbot, tmp_path, document={"max_bytes": 100_000})
    try:
        noise = io.BytesIO()  # noise compresses badly: about 70 kB a page after processing
        Image.effect_noise((1600, 1200), 60).convert("RGB").save(noise, "JPEG", quality=90)
        for image in k.camera_dir.iterdir():
            image.write_bytes(noise.getvalue())
        k.start()
        _take_photo(k)
        k.wait(pages=1)
        _take_photo(k)
        k.wait()
        assert k.docs.count == 1
        assert k.d.text_of("docMessage") == "The pages are too big together. Remove a page, or take it again."
    finally:
        k.close()


# --- into the outbox, and nothing left after the wipe ------------------------------------------------------

def _sign(k: Kiosk) -> None:
    from tests.test_signature import STROKES, _touch_draw
    from PySide6.QtCore import QPointF
    area = k.d.item("signatureArea")
    origin = area.mapToScene(QPointF(0, 0))
    _touch_draw(k.app.window, [[(round(origin.x() + x), round(origin.y() + y)) for x, y in STROKES[1]]])


def test_submission_carries_the_pages_and_the_wipe_leaves_no_page_anywhere(kiosk):
    k = kiosk
    k.start()
    _take_photo(k)
    k.wait(pages=1)
    _take_photo(k)
    k.wait(pages=2)
    kept = [p.read_bytes() for p in sorted(k.page_files(), key=lambda p: p.stat().st_mtime_ns)]
    k.d.click("nextButton")
    assert k.app.bridge.questionType == "signature"
    _sign(k)
    k.d.click("nextButton")
    assert k.app.bridge.screen == "check"
    rows = {row["pageId"]: row for row in k.app.bridge.summary}
    assert rows["proof"]["answer"] == "Pages: 2" and len(rows["proof"]["images"]) == 2
    assert rows["signature"]["answer"] == "Signed" and len(rows["signature"]["images"]) == 1
    thumbs = [i for i in k.app.items() if i.objectName().startswith("checkThumb_") and i.isVisible()]
    assert len(thumbs) == 3
    k.qtbot.waitUntil(lambda: all(_shown(t) for t in thumbs), timeout=5000)
    k.d.click("consentButton")
    k.d.click("submitButton")
    k.qtbot.waitUntil(lambda: k.app.bridge.screen == "done", timeout=10000)
    reference = k.app.bridge.reference.replace("-", "")
    k.app.bridge.finish()  # the citizen leaves
    assert not k.docs.root.exists() and k.docs.count == 0
    with open_outbox(k.config) as outbox:
        payload = outbox.open_payload(reference, k.private_key)
        (item,) = outbox.items()
        stored = {name: open_sealed(data, k.private_key) for name, _, _, data in outbox.stored_attachments(item.id)}
    assert payload["answers"]["proof"] == ["proof-1.jpg", "proof-2.jpg"]
    assert [a["name"] for a in payload["attachments"]] == ["signature.png", "signature.svg", "proof-1.jpg",
                                                           "proof-2.jpg"]
    assert stored["proof-1.jpg"] == kept[0] and stored["proof-2.jpg"] == kept[1]
    # Canary: a run of each page's bytes appears nowhere in the data folder (queue, WAL, caches, logs).
    canaries = [page[len(page) // 2:len(page) // 2 + 48] for page in kept]
    for path in Path(k.config.data_dir).rglob("*"):
        if path.is_file():
            raw = path.read_bytes()
            assert not any(c in raw for c in canaries), f"a page's bytes are in {path.name}"


def test_a_capture_finishing_after_the_wipe_is_dropped(kiosk):
    k = kiosk
    k.start()
    _take_photo(k)  # the photo is being processed on a worker thread...
    k.app.bridge.restart()  # ...when the citizen is wiped
    k.qtbot.waitUntil(lambda: not k.docs.tasks.busy, timeout=20000)
    k.d.settle()
    assert k.page_files() == [] and k.docs.count == 0 and not k.docs.root.exists()


def test_pages_go_when_the_journey_is_left(kiosk):
    k = kiosk
    k.start()
    _take_photo(k)
    k.wait(pages=1)
    k.d.click("backButton")  # to the service's start page: the journey and its pages stay
    assert k.app.bridge.screen == "start" and len(k.page_files()) == 1
    k.d.click("backButton")  # to the list of services: the journey is gone, and so are its pages
    assert k.app.bridge.screen == "services" and k.app.bridge.journey is None
    assert k.page_files() == [] and not k.docs.root.exists()


def test_pages_left_by_a_crash_are_deleted_at_start(qtbot, tmp_path):
    leftover = Path(make_queue_config(tmp_path)[0].data_dir) / "documents-private" / "0123abcd"
    leftover.mkdir(parents=True)
    (leftover / "page.jpg").write_bytes(b"CANARY-PAGE")
    k = Kiosk(qtbot, tmp_path)
    try:
        assert not leftover.exists()
    finally:
        k.close()


# --- the signature's oral alternative ------------------------------------------------------------------------

def _sign_in(k: Kiosk) -> None:
    from tests.test_mediator_ui import SafeDriver, enter_pin
    d = SafeDriver(k.app, k.qtbot)
    d.ctrl = k.app.mediator
    assert k.app.mediator.layer.view == "called" and d.has("helpCalledCard")
    d.click("helpHelperHere")
    enter_pin(d, PIN)
    assert d.ctrl.layer.view == "panel" and d.has("mediatorPanel")


def test_oral_alternative_goes_to_the_audit_log_and_the_payload_not_as_an_image(kiosk):
    k = kiosk
    k.start()
    _take_photo(k)
    k.wait(pages=1)
    k.d.click("nextButton")
    assert k.docs.oralAllowed and k.d.has("cannotSign")
    k.d.click("cannotSign")  # no helper signed in yet: one is called
    assert k.app.bridge.helpWaiting and k.d.has("oralText")
    _sign_in(k)
    assert k.app.mediator.assist.oralAllowed
    k.d.click("panelOralConfirm")
    assert k.app.bridge.journey.raw["signature"] == ORAL and k.docs.oralDone
    assert not k.d.has("signatureArea")  # no pad to sign on in its place
    entries = [e for e in k.app.mediator.audit.entries() if e.action == "signed_orally"]
    assert len(entries) == 1 and entries[0].details == {"service": "doc-test", "step": "signature"}
    assert entries[0].mediator == "ana.s"
    k.app.mediator.handBack()
    k.d.settle()
    k.d.click("nextButton")
    assert k.app.bridge.screen == "check"
    rows = {row["pageId"]: row for row in k.app.bridge.summary}
    assert rows["signature"]["answer"] == "Agreed out loud, noted by a helper" and rows["signature"]["images"] == []
    k.d.click("consentButton")
    k.d.click("submitButton")
    k.qtbot.waitUntil(lambda: k.app.bridge.screen == "done", timeout=10000)
    reference = k.app.bridge.reference.replace("-", "")
    with open_outbox(k.config) as outbox:
        payload = outbox.open_payload(reference, k.private_key)
    assert payload["answers"]["signature"] == ORAL
    assert payload["assisted"]["assisted"] is True and payload["assisted"]["signed_orally"] == ["signature"]
    assert [a["name"] for a in payload["attachments"]] == ["proof-1.jpg"]  # no signature image


def test_oral_confirmation_is_refused_where_the_definition_does_not_allow_it(kiosk):
    k = kiosk
    k.start()
    assert not k.app.mediator.assist.oralAllowed  # a document page, no mediator
    k.app.mediator.assist.confirmOral()
    assert not [e for e in k.app.mediator.audit.entries() if e.action == "signed_orally"]
    assert k.app.bridge.journey.raw.get("signature") is None


# --- read aloud, and the camera choice ---------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "pt", "fr", "es", "ar"])
def test_document_and_signature_screens_say_what_to_do(lang):
    from kiosk.screen import QUESTION, ScreenContent
    from translations import table
    from voice.script import script
    for kind in ("document", "signature"):
        said = script(ScreenContent(QUESTION, lang, "Q", question_type=kind, personal=True))
        assert table(lang)[f"voice.{kind}_prompt"] in said
    for key in [k for k in table("en") if k.startswith(("doc.", "signature.")) or k.endswith((".document",
                                                                                              ".signature"))]:
        assert table(lang).get(key), f"{key} has no {lang} text"


def test_the_file_fed_camera_is_only_chosen_by_the_setting(tmp_path):
    from PySide6.QtCore import QCoreApplication
    from documents.camera import FileCamera, QtCamera, camera_from_setting
    _app = QCoreApplication.instance() or QCoreApplication([])  # noqa: F841 - QObjects need an application
    assert camera_from_setting("none") is None
    assert isinstance(camera_from_setting(""), QtCamera)  # the real camera, even where there is none
    fake = camera_from_setting(f"files:{tmp_path}")
    assert isinstance(fake, FileCamera) and not fake.available()  # an empty folder is no camera
    (tmp_path / "p.jpg").write_bytes(photo((1, 2, 3), size=(64, 48)))
    assert fake.available()


def test_the_real_camera_previews_and_takes_a_photo_where_there_is_one(qtbot):
    from PySide6.QtMultimedia import QMediaDevices, QVideoSink
    from documents.camera import QtCamera, image_bytes
    if not QMediaDevices.videoInputs():
        pytest.skip("no camera on this machine (the file-fed camera covers the screens)")
    camera, sink, photos = QtCamera(), QVideoSink(), []
    camera.photoTaken.connect(photos.append)
    assert camera.available()
    camera.start(sink)
    try:
        qtbot.waitUntil(lambda: sink.videoFrame().isValid(), timeout=10000)
        camera.take_photo()
        qtbot.waitUntil(lambda: bool(photos), timeout=10000)
    finally:
        camera.stop()
    assert Image.open(io.BytesIO(image_bytes(photos[0]))).format == "JPEG"


# --- screenshots and layout (slow) ---------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("size", [(1366, 768), (1080, 1920)], ids=["1366x768", "1080x1920"])
@pytest.mark.parametrize("lang", ["en", "ar"])
def test_document_screens_fit_and_are_rendered(qtbot, tmp_path, lang, size):
    from tests.test_layout import _ENGINE, layout_problems
    k = Kiosk(qtbot, tmp_path, size=size)
    out = Path(os.environ.get("PONTE_DOCUMENT_SHOTS") or tmp_path / "shots")
    out.mkdir(parents=True, exist_ok=True)
    _ENGINE[0] = k.app.engine
    name = f"{lang}-{size[0]}x{size[1]}"
    problems: list[str] = []
    try:
        k.start(lang)
        _take_photo(k)
        k.wait(pages=1)
        k.d.click("docSource_camera")
        k.qtbot.wait(400)
        problems += [f"camera: {p}" for p in layout_problems(k.app, whole=False)]
        k.app.window.grabWindow().save(str(out / f"camera-{name}.png"))
        k.d.click("docTakePhoto")
        k.wait(pages=2)
        k.qtbot.wait(300)
        problems += [f"pages: {p}" for p in layout_problems(k.app, whole=False)]
        k.app.window.grabWindow().save(str(out / f"pages-{name}.png"))
        k.d.click("nextButton")
        k.d.settle()
        problems += [f"signature: {p}" for p in layout_problems(k.app, whole=False)]
        k.app.window.grabWindow().save(str(out / f"signature-{name}.png"))
        _sign(k)
        k.d.click("nextButton")
        k.qtbot.wait(300)
        problems += [f"check: {p}" for p in layout_problems(k.app, whole=False)]
        k.app.window.grabWindow().save(str(out / f"check-{name}.png"))
    finally:
        k.close()
    assert not problems, "\n".join(problems)
