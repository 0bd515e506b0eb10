"""Receipts on paper: a real CUPS with the cups-pdf printer, python-escpos rasters decoded back, the screen.

Every check reads the output the way a person or a phone would: the PDF rendered
to PNG (pdftoppm), its text (pdftotext), the QR code decoded (zbarimg).
"""
from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import io
import json
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import unicodedata
from pathlib import Path

import pytest

from kiosk.definition import load_catalogue
from kiosk.receipt import MASK, build_receipt
from kiosk.reference import display, new_reference
from tests.queue_fixtures import make_queue_config
from translations import text as tr

pytestmark = pytest.mark.timeout(240)
ROOT = Path(__file__).parents[1]
CATALOGUE = load_catalogue([ROOT / "kiosk" / "services"])
MOVE = CATALOGUE.services["change-of-address"]
WHEN = dt.datetime(2026, 12, 7, 15, 4)
ANSWERS = {"nif": "123456789", "full_name": "Ana Canary-Exemplo", "date_moved": "2026-11-30",
           "others_moved": "no"}


def tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if not path:
        pytest.skip(f"{name} is missing: install Debian's {package} (packaging/setup-debian.sh --tests)")
    return path


def qr_texts(png: Path) -> list[str]:
    """Every QR code zbarimg finds in an image, as text."""
    done = subprocess.run([tool("zbarimg", "zbar-tools"), "-q", "--raw", "-Sqrcode.enable", str(png)],
                          capture_output=True, timeout=60)
    return [done.stdout.decode("utf-8").rstrip("\n")] if done.stdout else []


def pdf_to_png(pdf: Path, out: Path, dpi: int = 150) -> Path:
    subprocess.run([tool("pdftoppm", "poppler-utils"), "-r", str(dpi), "-png", "-f", "1", "-l", "1",
                    "-singlefile", str(pdf), str(out)], check=True, capture_output=True, timeout=60)
    return out.with_suffix(".png")


def pdf_text(pdf: Path) -> str:
    """The PDF's text; Arabic presentation forms (shaped glyphs) folded back to letters, bidi marks dropped."""
    raw = subprocess.run([tool("pdftotext", "poppler-utils"), str(pdf), "-"], capture_output=True,
                         timeout=60).stdout.decode("utf-8")
    return re.sub("[\u200e\u200f\u202a-\u202e\u2066-\u2069]", "", unicodedata.normalize("NFKC", raw))


def receipt_for(language: str, reference: str | None = None, answers: bool = False):
    rows = [(MOVE.page(k), v) for k, v in ANSWERS.items()] if answers else None
    return build_receipt(MOVE, reference or new_reference(), WHEN, language, answers=rows)


# --- PDF and raster, drawn by Qt ------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "ar"])
@pytest.mark.parametrize("page", ["A4", "A6"])
def test_pdf_holds_the_reference_and_its_qr_code_decodes(qapp, tmp_path, language, page):
    from ui.receipt_print import write_pdf
    receipt = receipt_for(language)
    pdf = write_pdf(receipt, tmp_path / "receipt.pdf", page)
    text = pdf_text(pdf)
    assert receipt.reference in text
    assert receipt.service_title.split()[0] in text  # Arabic too: the text is real, shaped text
    assert qr_texts(pdf_to_png(pdf, tmp_path / "page")) == [receipt.qr_text]
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert re.search(r"Pages:\s+1\n", info), "a receipt fits on one page"


def test_a_copy_of_the_answers_is_printed_only_when_asked_and_masked(qapp, tmp_path):
    from ui.receipt_print import write_pdf
    plain = pdf_text(write_pdf(receipt_for("en"), tmp_path / "plain.pdf"))
    copy = pdf_text(write_pdf(receipt_for("en", answers=True), tmp_path / "copy.pdf"))
    assert "Canary" not in plain and MASK * 6 + "789" not in plain and "123456789" not in plain
    assert "Canary" in copy and MASK * 6 + "789" in copy and "123456789" not in copy


def decode_gs_v_0(data: bytes):
    """The images an ESC/POS stream prints with GS v 0, stacked: 1 bits are black dots."""
    from PIL import Image
    rows: list[bytes] = []
    width_bytes = None
    i = 0
    while (i := data.find(b"\x1dv0", i)) >= 0:
        xl, xh, yl, yh = data[i + 4:i + 8]
        width_bytes, height = xl + 256 * xh, yl + 256 * yh
        block = data[i + 8:i + 8 + width_bytes * height]
        rows += [block[r * width_bytes:(r + 1) * width_bytes] for r in range(height)]
        i += 8 + width_bytes * height
    assert width_bytes, "no GS v 0 raster in the stream"
    # ESC/POS sets a bit for a black dot; PIL's "1;I" raw mode reads exactly that (most significant bit first).
    return Image.frombytes("1", (width_bytes * 8, len(rows)), b"".join(rows), "raw", "1;I")


def qt_raster(receipt):
    from PIL import Image
    from ui.receipt_print import image_png, render_image
    return Image.open(io.BytesIO(image_png(render_image(receipt)))).convert("1")


@pytest.mark.parametrize("language", ["en", "ar"])
def test_thermal_raster_through_escpos_is_the_qt_rendered_receipt(qapp, tmp_path, language):
    from escpos.printer import Dummy

    from ui.receipt_print import PrintResult, print_escpos
    receipt = receipt_for(language)
    printer = Dummy(profile="TM-T20II")
    assert print_escpos(receipt, printer) is PrintResult.PRINTED
    stream = printer.output
    assert stream.endswith(b"\x1dVA\x00") or b"\x1dV" in stream[-8:], "the paper is cut after the receipt"
    printed = decode_gs_v_0(stream)
    expected = qt_raster(receipt)
    assert printed.size == expected.size and printed.size[0] == 576
    assert printed.tobytes() == expected.tobytes()
    printed.save(tmp_path / "thermal.png")
    assert qr_texts(tmp_path / "thermal.png") == [receipt.qr_text]


def test_thermal_file_printer_missing_or_written(qapp, tmp_path):
    from ui.receipt_print import PrintResult, escpos_printer, print_escpos
    receipt = receipt_for("en")
    assert print_escpos(receipt, escpos_printer(str(tmp_path / "no" / "lp0"))) is PrintResult.NO_PRINTER
    device = tmp_path / "lp0"
    device.touch()
    assert print_escpos(receipt, escpos_printer(str(device))) is PrintResult.PRINTED
    assert decode_gs_v_0(device.read_bytes()).tobytes() == qt_raster(receipt).tobytes()
    device.chmod(0o400)
    if os.geteuid() != 0:  # root writes anyway
        assert print_escpos(receipt, escpos_printer(str(device))) is PrintResult.OFFLINE


class FakeThermalPrinter:
    """A network receipt printer on 127.0.0.1: answers paper-status queries, records what it is sent."""

    PAPER_QUERY = b"\x10\x04\x04"

    def __init__(self, paper_status: int, hold: threading.Event | None = None):
        self.hold = hold  # when given, the printer "thinks" until it is set
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.paper_status = paper_status
        self.received = bytearray()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.server.accept()
        with conn:
            conn.settimeout(10)
            while True:
                try:
                    chunk = conn.recv(65536)
                except OSError:
                    return
                if not chunk:
                    return
                self.received += chunk
                if self.PAPER_QUERY in chunk:
                    if self.hold is not None:
                        self.hold.wait(60)
                    conn.sendall(bytes([self.paper_status]))

    def close(self) -> None:
        self.thread.join(timeout=10)
        self.server.close()


def test_network_thermal_printer_out_of_paper_offline_and_printing(qapp):
    from ui.receipt_print import PrintResult, escpos_printer, print_escpos
    receipt = receipt_for("ar")
    empty = FakeThermalPrinter(paper_status=114)  # the "no paper" bits
    assert print_escpos(receipt, escpos_printer(f"tcp://127.0.0.1:{empty.port}")) is PrintResult.OUT_OF_PAPER
    empty.close()
    assert b"\x1dv0" not in empty.received
    ready = FakeThermalPrinter(paper_status=18)  # paper adequate
    assert print_escpos(receipt, escpos_printer(f"tcp://127.0.0.1:{ready.port}")) is PrintResult.PRINTED
    ready.close()
    assert decode_gs_v_0(bytes(ready.received)).tobytes() == qt_raster(receipt).tobytes()
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    assert print_escpos(receipt, escpos_printer(f"tcp://127.0.0.1:{port}", timeout=2)) is PrintResult.OFFLINE


def test_print_results_are_words_in_every_language():
    from ui.receipt_print import PrintResult
    for result in PrintResult:
        english = tr("en", result.message_key)
        assert english != result.message_key
        for language in ("pt", "fr", "es", "ar"):
            assert tr(language, result.message_key) not in (english, result.message_key), (language, result)


def test_print_receipt_never_raises_and_none_means_no_printer(qapp, tmp_path):
    from kiosk.config import PrinterSettings
    from ui.receipt_print import PrintResult, print_receipt
    receipt = receipt_for("en")
    assert print_receipt(receipt, PrinterSettings(kind="none")) is PrintResult.NO_PRINTER
    assert print_receipt(receipt, PrinterSettings(kind="escpos", device="")) is PrintResult.NO_PRINTER
    broken = PrinterSettings(kind="escpos", device="tcp://127.0.0.1:notaport")
    assert print_receipt(receipt, broken) is PrintResult.FAILED
    assert print_receipt(receipt, PrinterSettings(kind="cups", name=f"ponte-absent-{os.getpid()}")) \
        is PrintResult.NO_PRINTER


# --- a real CUPS with the cups-pdf printer --------------------------------------------------------


def _cups_running() -> bool:
    try:
        done = subprocess.run(["lpstat", "-r"], capture_output=True, text=True, timeout=10,
                              env={**os.environ, "LC_ALL": "C"})
    except (OSError, subprocess.SubprocessError):
        return False
    return "is running" in done.stdout and "not running" not in done.stdout


def _cups_pdf_out_dir() -> Path:
    """Where cups-pdf writes for this user: the Out line of /etc/cups/cups-pdf.conf."""
    user = pwd.getpwuid(os.geteuid())
    out = "/var/spool/cups-pdf/${USER}"
    conf = Path("/etc/cups/cups-pdf.conf")
    if conf.is_file():
        for line in conf.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.strip().startswith("Out "):
                out = line.split(None, 1)[1].strip()
    return Path(out.replace("${HOME}", user.pw_dir).replace("${USER}", user.pw_name))


@pytest.fixture(scope="module")
def cups_pdf():
    """A cups-pdf print queue on the machine's CUPS, started here if it is not running."""
    for name, package in (("cupsd", "cups"), ("lpadmin", "cups-client"), ("lpstat", "cups-client")):
        tool(name, package)
    if not Path("/usr/lib/cups/backend/cups-pdf").exists():
        pytest.skip("the cups-pdf backend is missing: install printer-driver-cups-pdf")
    started = None
    if not _cups_running():
        if os.geteuid() != 0:
            pytest.skip("cupsd is not running and only root can start it")
        started = subprocess.Popen([shutil.which("cupsd"), "-f"], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE)
        for _ in range(100):
            if _cups_running() or started.poll() is not None:
                break
            time.sleep(0.1)
        if not _cups_running():
            started.terminate()
            reason = (started.communicate(timeout=10)[1] or b"").decode(errors="replace").strip()[-200:]
            pytest.skip(f"cupsd could not start: {reason or 'no reason given'}")
    ppds = subprocess.run(["lpinfo", "-m"], capture_output=True, text=True, timeout=60).stdout
    ppd = next((line.split()[0] for line in ppds.splitlines() if "CUPS-PDF_opt" in line), "lsb/usr/cups-pdf/CUPS-PDF_opt.ppd")
    queue = f"ponte-test-pdf-{os.getpid()}"
    added = subprocess.run(["lpadmin", "-p", queue, "-v", "cups-pdf:/", "-E", "-m", ppd],
                           capture_output=True, text=True, timeout=60)
    assert added.returncode == 0, added.stderr
    yield queue, _cups_pdf_out_dir()
    subprocess.run(["lpadmin", "-x", queue], capture_output=True, timeout=60)
    if started is not None:
        started.terminate()
        started.wait(timeout=30)


def wait_for_pdf(out_dir: Path, reference: str) -> Path:
    for _ in range(1200):  # cups-pdf runs ghostscript: give it up to two minutes on a busy machine
        found = sorted(out_dir.glob(f"*{reference}*.pdf")) if out_dir.is_dir() else []
        if found and found[0].stat().st_size > 0:
            size = found[0].stat().st_size
            time.sleep(0.2)
            if found[0].stat().st_size == size:  # written out
                return found[0]
        time.sleep(0.1)
    raise AssertionError(f"no PDF for {reference} in {out_dir}")


def test_cups_pdf_prints_a_receipt_whose_qr_decodes(qapp, tmp_path, cups_pdf):
    """English and Arabic, A4 and A6, through QtPrintSupport on a real CUPS queue, off the GUI thread."""
    from concurrent.futures import ThreadPoolExecutor

    from ui.receipt_print import PrintResult, print_cups
    queue, out_dir = cups_pdf
    jobs = [(receipt_for("en"), "A4"), (receipt_for("ar"), "A6")]
    with ThreadPoolExecutor(max_workers=1) as pool:  # printing never runs on the GUI thread
        results = [pool.submit(print_cups, receipt, queue, page).result(timeout=120) for receipt, page in jobs]
    assert results == [PrintResult.PRINTED, PrintResult.PRINTED]
    for (receipt, page), name in zip(jobs, ("en", "ar")):
        pdf = wait_for_pdf(out_dir, receipt.reference)
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, timeout=60).stdout
        assert receipt.reference in info, "the job carries the reference in its title"
        size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info)
        expected_width = {"A4": 595, "A6": 297}[page]
        assert size and abs(float(size.group(1)) - expected_width) < 3, info
        assert qr_texts(pdf_to_png(pdf, tmp_path / f"cups-{name}")) == [receipt.qr_text]
        pdf.unlink()


def test_cups_states_in_words():
    """The lines `lpstat -l -p` prints (C locale) for a printer out of paper, stopped, or fine."""
    from ui.receipt_print import PrintResult, state_from_lpstat
    idle = ("printer front-desk is idle.  enabled since Mon Dec  7 15:05:23 2026\n\tForm mounted:\n"
            "\tAlerts: none\n\tDescription: paused printers are rare\n")
    assert state_from_lpstat(idle) is PrintResult.PRINTED  # a description is not a state
    assert state_from_lpstat(idle.replace("Alerts: none", "Alerts: media-empty-error media-needed-warning")) \
        is PrintResult.OUT_OF_PAPER
    assert state_from_lpstat(idle.replace("Alerts: none", "Alerts: offline-report")) is PrintResult.OFFLINE
    assert state_from_lpstat(idle.replace("Alerts: none", "Alerts: toner-empty-error")) is PrintResult.OFFLINE
    stopped = "printer front-desk disabled since Mon Dec  7 15:05:23 2026 -\n\tPaused\n\tAlerts: paused\n"
    assert state_from_lpstat(stopped) is PrintResult.OFFLINE
    assert state_from_lpstat("") is PrintResult.PRINTED  # no lpstat: Qt's own state decides


def test_a_disabled_cups_queue_is_offline(qapp, cups_pdf):
    from ui.receipt_print import PrintResult, cups_state, print_cups
    queue, _ = cups_pdf
    subprocess.run(["cupsdisable", queue], check=True, capture_output=True, timeout=60)
    try:
        assert cups_state(queue)[0] is PrintResult.OFFLINE
        assert print_cups(receipt_for("en"), queue) is PrintResult.OFFLINE
    finally:
        subprocess.run(["cupsenable", queue], check=True, capture_output=True, timeout=60)
    assert cups_state(queue)[0] is PrintResult.PRINTED


# --- the confirmation screen ----------------------------------------------------------------------


@pytest.fixture
def kiosk_without_printer(qtbot, tmp_path):
    from tests.ui_driver import Driver
    from ui.app import KioskApp
    config, _ = make_queue_config(tmp_path)
    config = dataclasses.replace(config, raw={**config.raw, "printer": {"kind": "cups",
                                                                         "name": f"ponte-absent-{os.getpid()}"}})
    app = KioskApp(config, windowed=True, size=(1366, 768))
    driver = Driver(app, qtbot)
    yield driver
    app.close()


def test_done_screen_shows_the_qr_code_and_says_the_printer_is_missing(kiosk_without_printer, tmp_path):
    driver = kiosk_without_printer
    bridge, receipt = driver.app.bridge, driver.app.receipt
    driver.click("startButton")
    driver.click("lang_ar")
    driver.click("service_change-of-address")
    if bridge.screen == "start":  # what the service needs, what it costs, the data notice
        driver.click("nextButton")
    entered = driver.complete_questions(MOVE)
    driver.click("consentButton")
    driver.click("submitButton")
    driver.qtbot.waitUntil(lambda: bridge.screen == "done", timeout=10000)
    reference = driver.text_of("referenceText")
    driver.item("receiptQr")
    header, data = receipt.property("qrImage").split(",", 1)
    assert header == "data:image/png;base64"
    (tmp_path / "qr.png").write_bytes(base64.b64decode(data))
    assert qr_texts(tmp_path / "qr.png") == [f"{reference}\nhttps://registo.example.pt"]
    assert receipt.property("spokenText").startswith(tr("ar", "receipt.heading"))

    driver.click("printReceiptButton")  # no such printer: the screen says so, in Arabic
    driver.qtbot.waitUntil(lambda: receipt.property("resultCode") == "no_printer", timeout=30000)
    driver.settle()
    assert driver.text_of("printResultText") == tr("ar", "receipt.result.no_printer")
    assert driver.has("receiptQr"), "the QR code stays on screen"

    driver.click("showAnswersButton")  # a copy of the answers on screen, the ID number masked
    nif = driver.text_of("answerCopy_nif").strip("\u2068\u2069")
    digits = re.sub(r"\D", "", str(entered["nif"]))
    assert nif.endswith(digits[-3:]) and nif.startswith(MASK) and digits not in nif

    driver.click("finishButton")  # nothing blocks the journey; the next person sees no receipt
    assert bridge.screen == "attract"
    assert not receipt.property("available") and receipt.property("qrImage") == ""
    assert receipt.property("answers") == [] and receipt.property("resultText") == ""


# --- kiosk receipt REF ----------------------------------------------------------------------------


def _kiosk(*args: str, config: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PONTE_CONFIG": str(config), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, "-m", "commands", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120)


class _Run:
    """What a command did, in-process (the `kiosk` process itself is run once, below)."""

    def __init__(self, returncode: int, stdout: str, stderr: str):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def _kiosk_in(capsys, *args: str, config: Path) -> _Run:
    from commands.cli import main
    capsys.readouterr()
    code = main(["--config", str(config), *args])
    out = capsys.readouterr()
    return _Run(code, out.out, out.err)


def _config_file(tmp_path: Path, payload: str, extra: str = "") -> Path:
    config, _ = make_queue_config(tmp_path)
    path = tmp_path / "kiosk.toml"
    path.write_text(
        f'[kiosk]\ndata_dir = "{config.data_dir}"\nid = "test-kiosk"\n'
        f'[queue]\npublic_key = "{config.raw["queue"]["public_key"]}"\n'
        f'[destinations."*"]\nkind = "rest"\nurl = "http://127.0.0.1:9"\nallow_http = true\npayload = "{payload}"\n'
        + extra, encoding="utf-8")
    return path


GOOD = {"nif": "123456789", "full_name": "Ana Canary-Exemplo", "date_moved": "01/02/2020",
        "new_postcode": "1000001", "new_address": "Rua Exemplo 1", "others_moved": "no"}


def _queued(capsys, tmp_path: Path, config: Path) -> str:
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(GOOD), encoding="utf-8")
    added = _kiosk_in(capsys, "queue", "add", "--service", "change-of-address", "--answers", str(answers),
                   "--citizen-consented", config=config)
    assert added.returncode == 0, added.stderr
    return added.stdout.strip()


def test_kiosk_receipt_reprints_without_answers_unless_asked(qapp, capsys, tmp_path):
    sealed = tmp_path / "sealed"
    sealed.mkdir()
    config = _config_file(sealed, "sealed")
    reference = _queued(capsys, sealed, config)
    pdf = tmp_path / "again.pdf"
    done = _kiosk("receipt", reference.replace("-", "").lower(), "--pdf", str(pdf), config=config)
    assert done.returncode == 0, done.stderr
    text = pdf_text(pdf)
    # Not "789" alone: a random reference can hold those digits.
    assert reference in text and "Canary" not in text and MASK * 6 + "789" not in text and "123456789" not in text
    assert qr_texts(pdf_to_png(pdf, tmp_path / "again")) == [f"{reference}\nhttps://registo.example.pt"]
    # The payload is sealed for the backend: this kiosk cannot print its answers, and says why.
    refused = _kiosk_in(capsys, "receipt", reference, "--answers", "--pdf", str(tmp_path / "no.pdf"), config=config)
    assert refused.returncode == 1 and "sealed for the backend" in refused.stderr, refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1 and not (tmp_path / "no.pdf").exists()
    unknown = _kiosk_in(capsys, "receipt", display(new_reference()), config=config)
    assert unknown.returncode == 1 and "no submission" in unknown.stderr, unknown.stderr
    assert _kiosk_in(capsys, "receipt", "not-a-ref", config=config).returncode == 2


def test_kiosk_receipt_with_answers_where_the_kiosk_can_read_them(qapp, capsys, tmp_path):
    config = _config_file(tmp_path, "clear")  # sent in clear over TLS; kept under the device's own seal
    reference = _queued(capsys, tmp_path, config)
    shown = _kiosk_in(capsys, "receipt", reference, "--answers", "--lang", "pt", config=config)
    assert shown.returncode == 0, shown.stderr
    assert "Ana Canary-Exemplo" in shown.stdout and MASK * 6 + "789" in shown.stdout
    assert "123456789" not in shown.stdout and "Comprovativo" in shown.stdout


def test_printing_never_holds_the_screen_and_a_late_result_is_not_shown_to_the_next_person(qtbot, tmp_path):
    from kiosk.journey import CHECK
    from kiosk.samples import sample_answer
    from ui.app import KioskApp
    hold = threading.Event()
    printer = FakeThermalPrinter(paper_status=18, hold=hold)
    config, _ = make_queue_config(tmp_path)
    config = dataclasses.replace(config, raw={**config.raw, "printer": {
        "kind": "escpos", "device": f"tcp://127.0.0.1:{printer.port}", "timeout": 60}})
    app = KioskApp(config, windowed=True, size=(1366, 768))
    try:
        bridge, receipt = app.bridge, app.receipt
        bridge.start()
        bridge.chooseLanguage("fr")
        bridge.chooseService("change-of-address")
        if bridge.screen == "start":
            bridge.begin()
        while bridge.journey.step != CHECK:
            page = bridge.journey.page
            answer = sample_answer(page, MOVE)
            if page.type in ("single_choice", "yes_no"):
                bridge.chooseOption(answer)
            else:
                bridge.setAnswer(answer)
            bridge.next()
        bridge.giveConsent(True)
        bridge.submit()
        qtbot.waitUntil(lambda: bridge.screen == "done", timeout=10000)
        assert receipt.property("canPrint")
        receipt.print()  # returns at once: the printer has not answered yet
        assert receipt.property("printing")
        assert receipt.property("resultText") == tr("fr", "receipt.printing")
        bridge.finish()  # the citizen leaves while the printer thinks; the screen follows at once
        assert bridge.screen == "attract" and not receipt.property("printing")
        hold.set()
        assert receipt.wait(60000)
        qtbot.wait(100)  # the result comes back on the GUI thread ...
        assert receipt.property("resultText") == "" and receipt.property("resultCode") == ""  # ... and is dropped
        printer.close()
        assert b"\x1dv0" in printer.received, "the receipt was still printed for the citizen who asked"
    finally:
        hold.set()
        app.close()


def test_kiosk_receipt_print_on_a_thermal_printer_or_one_line_why_not(qapp, capsys, tmp_path):
    device = tmp_path / "lp0"
    device.touch()
    config = _config_file(tmp_path, "sealed", f'[printer]\nkind = "escpos"\ndevice = "{device}"\n')
    reference = _queued(capsys, tmp_path, config)
    printed = _kiosk_in(capsys, "receipt", reference, "--print", config=config)
    assert printed.returncode == 0, printed.stderr
    image = decode_gs_v_0(device.read_bytes())
    image.save(tmp_path / "roll.png")
    assert qr_texts(tmp_path / "roll.png") == [f"{reference}\nhttps://registo.example.pt"]
    device.unlink()
    missing = _kiosk_in(capsys, "receipt", reference, "--print", config=config)
    assert missing.returncode == 1 and "not printed: no printer" in missing.stderr, missing.stderr


def test_a_long_copy_of_the_answers_continues_on_a_second_page(qapp, tmp_path):
    from ui.receipt_print import write_pdf
    answers = {**ANSWERS, "new_postcode": "1000-001", "new_address": "Rua do Canario 12, 3 esq",
               "others_moved": "yes", "people_count": "3", "phone": "+351 912 345 678", "email": "ana@example.org"}
    receipt = build_receipt(MOVE, new_reference(), WHEN, "ar", answers=[(MOVE.page(k), v) for k, v in answers.items()])
    pdf = write_pdf(receipt, tmp_path / "long.pdf", "A6")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert re.search(r"Pages:\s+2\n", info)
    pages = [subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), str(pdf), "-"], capture_output=True,
                            timeout=60).stdout.decode("utf-8") for n in (1, 2)]
    assert receipt.reference in pages[0] and "ana@example.org" in pages[1]
    assert "ana@example.org" not in pages[0]  # nothing is drawn past the bottom of a page
    assert qr_texts(pdf_to_png(pdf, tmp_path / "long")) == [receipt.qr_text]
