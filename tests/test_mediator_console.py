"""The mediator console against the real offline queue: health without personal data, audited actions; then
through the real ConsoleScreen (pytest-qt, offscreen): reprinting a receipt on a thermal printer (the raster
decoded back), the PIN-confirmed closing of the day with its printed sheet, an ODK-encrypted row, and the
console's layout at 1366x768 and 1024x768. Real CUPS with cups-pdf: `-m slow`."""
from __future__ import annotations

import dataclasses
import json
import time

import pytest

from kiosk.audit import AuditLog
from operations.console import Console
from operations.health import backend_clock_offset, databases, human_age, human_bytes, open_queue, queue_health
from kiosk.stats import Stats
from tests.queue_fixtures import make_queue_config, sample_payload

CANARY = "Zorbatinsky"


@pytest.fixture
def setup(tmp_path):
    config, private = make_queue_config(tmp_path)
    outbox, reason = open_queue(config)
    assert outbox is not None, reason
    dest = config.destination("x")
    refs = []
    for i in range(3):
        p = sample_payload(reference=f"REF{i}AAAA")
        p["answers"] = {"name": CANARY, "street": f"{CANARY} street"}
        outbox.enqueue(p, dest)
        refs.append(p["submission_id"])
    outbox.claim()
    outbox.mark_failed(refs[0], "HTTP 503 from the backend", time.time() + 3600, "network")
    outbox.mark_dead(refs[1], "HTTP 422: field postcode rejected")
    audit = AuditLog(config.data_dir / "audit.db", kiosk_id=config.kiosk_id)
    console = Console(config, audit, "ana.s", outbox=outbox, stats=Stats(config.data_dir / "stats.db"),
                      clock_probe=False)
    outbox.release([refs[2]])
    yield config, outbox, audit, console, refs
    outbox.close()


def test_queue_health(setup):
    config, outbox, audit, console, refs = setup
    q = console.queue()
    assert q.available and q.counts["failed"] == 1 and q.counts["dead"] == 1 and q.counts["queued"] == 1
    assert q.oldest_waiting_seconds is not None and q.oldest_waiting_seconds < 60
    reasons = {f["state"]: f["reason"] for f in q.failed}
    assert reasons == {"failed": "HTTP 503 from the backend", "dead": "HTTP 422: field postcode rejected"}
    assert q.last_success is None
    assert q.destinations[0]["name"] == "*"
    assert CANARY not in json.dumps(dataclasses.asdict(q), default=str)


def test_retry_one_and_all(setup):
    config, outbox, audit, console, refs = setup
    ok, _ = console.retry(refs[1])
    assert ok and outbox.counts()["dead"] == 0
    ok, _ = console.retry()
    assert ok and outbox.counts()["failed"] == 0 and outbox.counts()["queued"] == 3
    assert [e.action for e in audit.entries()] == ["retry", "retry"]


def test_sync_now(setup):
    config, outbox, audit, console, refs = setup
    ok, detail = console.sync_now()  # no backend listening: one pass, nothing delivered
    assert ok and detail.startswith("delivered 0"), detail
    assert audit.entries()[-1].details == {"outcome": "ok"}


def test_sync_now_wakes_the_worker(setup):
    config, outbox, audit, console, refs = setup

    class Worker:
        woken = False
        last_success = 1_700_000_000.0

        class syncer:
            blocked_until = {"*": 9e12}
            block_reason = {"*": "connection refused"}

        def connectivity_changed(self, online=True):
            self.woken = online

    console.sync_worker = Worker()
    assert console.sync_now() == (True, "sync started") and console.sync_worker.woken
    q = console.queue()
    assert q.last_success.startswith("2023-11-14")
    assert q.destinations[0]["online"] is False and q.destinations[0]["detail"] == "connection refused"


def test_export_bundle_is_sealed(setup, tmp_path):
    config, outbox, audit, console, refs = setup
    ok, detail = console.export_bundle(tmp_path / "usb")
    assert ok and detail.startswith("3 ")
    from offline_queue.bundle import read_bundle
    bundles = list((tmp_path / "usb").glob("*.zip"))
    manifest, bodies = read_bundle(bundles[0])
    assert len(manifest["items"]) == 3
    assert all(CANARY.encode() not in b for b in bodies.values())
    assert audit.entries()[-1].action == "export_bundle"


def test_export_audit(setup, tmp_path):
    config, outbox, audit, console, refs = setup
    console.sync_now()
    out = console.export_audit(tmp_path / "usb")
    assert len(out.read_text().splitlines()) == 2


def test_no_queue():
    q = queue_health(None, "offline_queue has no open_outbox() yet")
    assert not q.available and "open_outbox" in q.reason


def test_actions_without_queue(tmp_path):
    config, _ = make_queue_config(tmp_path)
    audit = AuditLog(tmp_path / "a.db")
    console = Console(config, audit, "ana.s", outbox=None, outbox_reason="queue missing", clock_probe=False)
    assert console.sync_now() == (False, "queue missing")
    assert console.retry() == (False, "queue missing")
    assert audit.entries()[-1].details["outcome"] == "failed"


def test_clock_offset():
    import datetime as dt
    now = lambda: dt.datetime(2026, 11, 23, 18, 0, 30, tzinfo=dt.timezone.utc)  # noqa: E731
    offset, detail = backend_clock_offset("http://x", now=now, fetch=lambda u, t: "Mon, 23 Nov 2026 18:00:00 GMT")
    assert offset == 30.0 and detail == ""

    def down(u, t):
        raise OSError("refused")

    assert backend_clock_offset("http://x", fetch=down)[0] is None
    assert backend_clock_offset("http://x", fetch=lambda u, t: None)[1] == "the backend sent no Date header"


def test_device_helpers(setup):
    config, *_ = setup
    assert "queue.db" in databases(config.data_dir)
    assert human_bytes(2048) == "2.0 KB" and human_age(30) == "30 s" and human_age(3600) == "60 min"


def test_destination_urls_are_shown_without_their_secrets(tmp_path):
    from tests.queue_fixtures import make_queue_config as make
    config, _ = make(tmp_path, destinations={"odk": {"kind": "openrosa",
                                                     "url": "https://c.example.org/v1/key/S3cretT0ken/projects/1"}})
    health = queue_health(None, "", config=config)
    assert health.destinations == []  # no outbox: nothing to say
    outbox, _ = open_queue(config)
    try:
        shown = queue_health(outbox, config=config).destinations
    finally:
        outbox.close()
    assert shown[0]["url"] == "https://c.example.org/v1/key/***/projects/1"


# --- through the real ConsoleScreen (pytest-qt, offscreen): reprint a receipt, close the day -------------

import subprocess  # noqa: E402
from pathlib import Path  # noqa: E402

from kiosk import closeday, signing  # noqa: E402
from kiosk.mediators import MediatorStore  # noqa: E402
from offline_queue import PayloadUnreadable, open_outbox  # noqa: E402
from tests.test_mediator_ui import PIN, SafeDriver, enter_pin, wait_idle  # noqa: E402
from tests.test_receipt_print import (FakeThermalPrinter, cups_pdf, decode_gs_v_0, pdf_text,  # noqa: E402,F401
                                      pdf_to_png, qr_texts, wait_for_pdf)

UI_CANARY = "Quintiliano Canarinho"
NOWHERE = {"*": {"kind": "rest", "url": "http://127.0.0.1:9"}}  # the discard port: nothing is ever delivered


def citizen_payload(reference: str) -> dict:
    payload = sample_payload(reference=reference)
    payload["answers"] = {"full_name": UI_CANARY, "new_address": f"Rua {UI_CANARY} 7"}
    return payload


def open_console(qtbot, tmp_path, printer: dict, payloads=(), size=(1366, 768), config=None):
    """A kiosk with these submissions queued, its console open for Ana (a mediator, not a supervisor)."""
    from ui.app import KioskApp
    if config is None:
        config, _ = make_queue_config(tmp_path, destinations=NOWHERE)
    config = with_printer(config, printer)
    store = MediatorStore.for_config(config)
    store.add("ana.s", "Ana Silva", "mediator", PIN)
    store.close()
    with open_outbox(config) as outbox:
        for payload, destination in payloads:
            outbox.enqueue(payload, config.destination(destination))
    app = KioskApp(config, windowed=True, size=size)
    ctrl = app.mediator
    ctrl._quit = lambda code: None
    ctrl.console.clock_probe = False
    qtbot.waitExposed(app.window)
    d = SafeDriver(app, qtbot)
    d.config, d.ctrl = config, ctrl
    ctrl.cornerGesture()  # at the attract screen: the PIN pad, then the console
    enter_pin(d, PIN)
    assert ctrl.layer.view == "console" and d.has("consoleScreen")
    wait_idle(d)
    return d


@pytest.fixture
def consoles():
    opened = []
    yield opened
    for d in opened:
        d.ctrl.close()
        d.app.close()


def with_printer(config, printer: dict):
    """The same kiosk with this [printer] section."""
    from kiosk.config import config_from_dict
    return config_from_dict({**config.raw, "printer": printer})


def thermal(device: Path | str) -> dict:
    return {"kind": "escpos", "device": str(device)}


SIZES = ((1366, 768), (1024, 768))


def fits(d, view: str, monkeypatch) -> None:
    """The console as shown now, at each kiosk size: tests/test_layout.py's measures (targets of 44 px, 8 px
    apart, inside the window, no clipped text), taken inside the console or its PIN pad. Screenshots go to
    $PONTE_CONSOLE_SHOTS when it is set."""
    import os

    from tests import test_layout
    monkeypatch.setattr(test_layout, "MODALS", ("consoleDayPin", "consoleScreen"))
    test_layout._ENGINE[0] = d.app.engine
    shots = os.environ.get("PONTE_CONSOLE_SHOTS")
    problems = []
    for width, height in SIZES:
        d.app.window.resize(width, height)
        test_layout.settle(d.app)
        problems += [f"{view} {width}x{height}: {p}" for p in test_layout.layout_problems(d.app, whole=True)]
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            d.app.window.grabWindow().save(str(Path(shots) / f"console-{view}-{width}x{height}.png"))
    d.app.window.resize(*SIZES[0])
    test_layout.settle(d.app)
    assert not problems, "\n".join(problems)


def show_receipts(d) -> list[dict]:
    d.click("consoleReceiptsOpen")
    wait_idle(d)
    d.qtbot.waitUntil(lambda: len(d.ctrl.console.recent) > 0, timeout=10000)
    d.settle()
    return d.ctrl.console.recent


def printed_qr(device: Path, tmp_path: Path, name: str) -> list[str]:
    image = tmp_path / f"{name}.png"
    decode_gs_v_0(device.read_bytes()).save(image)
    return qr_texts(image)


def test_reprint_lists_references_and_prints_the_receipt_on_the_thermal_printer(qtbot, tmp_path, consoles,
                                                                                   monkeypatch):
    from tests.test_odk_encryption import encrypted_payload
    device = tmp_path / "lp0"
    device.touch()
    sealed_for_odk = encrypted_payload(7)  # OpenRosa, encrypted with the form's key: nothing here opens it
    sealed_for_odk["service"] = {"id": "change-of-address", "version": 3}
    payloads = [(citizen_payload(f"RPRT{i:04d}"), "x") for i in range(3)] + [(sealed_for_odk, "odk")]
    d = open_console(qtbot, tmp_path, thermal(device), payloads, config=odk_config(tmp_path)[0])
    consoles.append(d)
    fits(d, "main", monkeypatch)
    rows = show_receipts(d)
    fits(d, "receipts", monkeypatch)
    assert [r["reference"] for r in rows] == ["ENC0-0007", "RPRT-0002", "RPRT-0001", "RPRT-0000"]  # newest first
    assert rows[0]["service"] == "Tell us you moved house" and rows[0]["state"] == "queued"
    assert d.has("consoleReceipts") and not d.has("consoleQueue")
    text = d.all_text()
    assert "RPRT-0001" in text and UI_CANARY not in text

    d.click("consoleReprint_2")
    wait_idle(d)
    assert d.ctrl.console.message == "Receipt RPRT-0001: printed."
    qr = printed_qr(device, tmp_path, "reprint")
    assert len(qr) == 1 and qr[0].startswith("RPRT-0001\n"), qr
    device.write_bytes(b"")
    d.click("consoleReprint_0")  # the ODK-encrypted row: its receipt needs none of its answers
    wait_idle(d)
    assert d.ctrl.console.message == "Receipt ENC0-0007: printed."
    assert printed_qr(device, tmp_path, "odk")[0].startswith("ENC0-0007\n")

    # The audit says which submission and how it went, never the reference or an answer.
    entry = [e for e in d.ctrl.audit.entries() if e.action == "receipt_reprint"][0]
    assert entry.mediator == "ana.s"
    assert entry.details == {"item": payloads[1][0]["submission_id"], "service": "change-of-address",
                             "outcome": "printed"}
    logged = json.dumps([e.to_dict() for e in d.ctrl.audit.entries()])
    assert "RPRT" not in logged and "ENC0" not in logged and UI_CANARY not in logged

    # Printer unplugged, out of paper: one plain line on the console, nothing raised.
    device.unlink()
    d.click("consoleReprint_1")
    wait_idle(d)
    assert d.ctrl.console.message.startswith("Receipt RPRT-0002: not printed: no printer found")
    empty = FakeThermalPrinter(paper_status=114)
    d.ctrl.console.config = with_printer(d.config, thermal(f"tcp://127.0.0.1:{empty.port}"))
    d.click("consoleReprint_1")
    wait_idle(d)
    empty.close()
    assert d.ctrl.console.message == "Receipt RPRT-0002: not printed: the printer has no paper."
    assert [e.details["outcome"] for e in d.ctrl.audit.entries() if e.action == "receipt_reprint"] == \
        ["printed", "printed", "no_printer", "out_of_paper"]

    d.click("consoleReceiptsBack")
    assert d.has("consoleQueue") and not d.has("consoleReceipts") and d.ctrl.console.recent == []


@pytest.mark.slow  # cups-pdf runs ghostscript twice: about 30 s
def test_reprint_on_cups_gives_a_pdf_with_the_reference(qtbot, tmp_path, consoles, cups_pdf):  # noqa: F811
    """The CUPS path with the cups-pdf virtual printer: a reprinted receipt and the day's sheet."""
    queue, out_dir = cups_pdf
    d = open_console(qtbot, tmp_path, {"kind": "cups", "name": queue}, [(citizen_payload("CUPS2345"), "x")])
    consoles.append(d)
    show_receipts(d)
    d.click("consoleReprint_0")
    wait_idle(d)
    assert d.ctrl.console.message == "Receipt CUPS-2345: printed."
    pdf = wait_for_pdf(out_dir, "CUPS-2345")
    # cups-pdf's ghostscript drops the text layer (pdftotext reads glyph codes): the job's title and the QR code
    # carry the reference, as in tests/test_receipt_print.py; the PDF-file path is read with pdftotext below.
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, timeout=60).stdout
    qr = qr_texts(pdf_to_png(pdf, tmp_path / "reprint"))
    pdf.unlink()
    assert "CUPS-2345" in info and qr == ["CUPS-2345\nhttps://registo.example.pt"], (info, qr)

    # The day's sheet through the same queue: one A4 page whose QR code is the manifest's fingerprint.
    d.click("consoleReceiptsBack")
    d.click("consoleCloseDay")
    type_day_pin(d, PIN)
    qtbot.waitUntil(lambda: d.ctrl.console.message.startswith("Day closed"), timeout=20000)
    assert d.ctrl.console.message.endswith("Manifest printed."), d.ctrl.console.message
    kept = json.loads((d.config.data_dir / closeday.LAST_NAME).read_text())
    sheet = wait_for_pdf(out_dir, d.config.kiosk_id)
    info = subprocess.run(["pdfinfo", str(sheet)], capture_output=True, text=True, timeout=60).stdout
    qr = qr_texts(pdf_to_png(sheet, tmp_path / "sheet"))
    sheet.unlink()
    assert "Pages:           1" in info and "Day closed" in info, info
    assert qr == [f"ponte-close-day:{d.config.kiosk_id}:{kept['manifest']['closed_at']}:{kept['digest']}"]


def type_day_pin(d, pin: str) -> None:
    pad = d.ctrl.console.dayPin
    for digit in pin:
        d.click(f"pinKey_{pad.keypad.index(digit)}")
    d.click("pinSubmit")
    wait_idle(d)


def test_close_the_day_from_the_console_with_the_pin_queues_and_prints_the_manifest(qtbot, tmp_path, consoles,
                                                                                    monkeypatch):
    device = tmp_path / "lp0"
    device.touch()
    d = open_console(qtbot, tmp_path, thermal(device), [(citizen_payload(f"DAYC{i:04d}"), "x") for i in range(2)])
    consoles.append(d)

    # Cancel: nothing closed, still on the console, still signed in.
    d.click("consoleCloseDay")
    assert d.has("consoleDayPin") and "Close the day" in d.all_text()
    d.click("pinCancel")
    assert not d.has("consoleDayPin") and d.ctrl.layer.view == "console" and d.ctrl.signIn.signedIn

    # A wrong PIN closes nothing and is audited like a failed sign-in.
    d.click("consoleCloseDay")
    fits(d, "close-day-pin", monkeypatch)
    type_day_pin(d, "000000")
    assert d.has("consoleDayPin") and "Wrong PIN" in d.ctrl.console.dayPin.message
    assert "close_day" not in [e.action for e in d.ctrl.audit.entries()]
    assert device.stat().st_size == 0

    type_day_pin(d, PIN)
    qtbot.waitUntil(lambda: d.ctrl.console.message.startswith("Day closed"), timeout=20000)
    wait_idle(d)
    assert not d.has("consoleDayPin")
    message = d.ctrl.console.message
    assert "Submissions: 2 (queued: 2)" in message and "Queued for the backend." in message, message
    assert message.endswith("Manifest printed.")
    fits(d, "day-closed", monkeypatch)

    # Queued through the outbox, signed by the device key, closed by Ana.
    with open_outbox(d.config) as outbox:
        rows = [r for r in outbox.body_digests() if r[2] == "ponte-close-day"]
    assert len(rows) == 1 and rows[0][1] == "queued"
    kept = json.loads((d.config.data_dir / closeday.LAST_NAME).read_text())
    manifest = kept["manifest"]
    signer = signing.load_signer(d.config.data_dir)
    closeday.verify_manifest(manifest, signer.private.public_key())
    assert manifest["closed_by"] == "ana.s" and manifest["submissions"] == {"queued": 2}
    actions = [e.action for e in d.ctrl.audit.entries()]
    assert actions[-3:] == ["login_failed", "login", "close_day"] or actions[-2:] == ["login", "close_day"], actions

    # The printed sheet's QR code is the manifest's fingerprint.
    qr = printed_qr(device, tmp_path, "sheet")
    assert qr == [f"ponte-close-day:{d.config.kiosk_id}:{manifest['closed_at']}:{kept['digest']}"]
    # The closing is in the queue, but not among the citizens' receipts.
    assert [r["reference"] for r in show_receipts(d)] == ["DAYC-0001", "DAYC-0000"]
    d.click("consoleReceiptsBack")

    # No printer: the day is closed all the same (chained to the first closing), and the console says so.
    device.unlink()
    d.click("consoleCloseDay")
    type_day_pin(d, PIN)
    qtbot.waitUntil(lambda: d.ctrl.console.message.startswith("Day closed"), timeout=20000)
    assert d.ctrl.console.message.endswith("Manifest not printed: no printer found (is it plugged in? "
                                           "[printer] in kiosk.toml).")
    again = json.loads((d.config.data_dir / closeday.LAST_NAME).read_text())
    assert again["manifest"]["previous"] == kept["digest"]


# --- an ODK-encrypted row: a clear error, and the console and CLI do not fall over -----------------------------

def odk_config(tmp_path):
    from cryptography.hazmat.primitives.asymmetric import rsa

    from tests.test_odk_encryption import b64_public, odk_destination
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    config, private = make_queue_config(tmp_path, destinations={
        "*": NOWHERE["*"], "odk": odk_destination("http://127.0.0.1:9/submission", b64_public(key))})
    return config, private


def test_open_payload_on_an_odk_encrypted_row_says_who_can_open_it(tmp_path):
    from tests.test_odk_encryption import encrypted_payload
    config, private = odk_config(tmp_path)
    payload = encrypted_payload(1)
    with open_outbox(config) as outbox:
        outbox.enqueue(payload, config.destination("odk"))
        with pytest.raises(PayloadUnreadable, match="encrypted with the ODK form's key"):
            outbox.open_payload(payload["reference"], private)
        other, _ = make_queue_config(tmp_path / "other")
        outbox.enqueue(sample_payload("REST0001"), config.destination("*"))
        with pytest.raises(PayloadUnreadable, match="this key"):  # a REST row, another backend's key
            from offline_queue.keys import generate_keypair
            outbox.open_payload("REST0001", generate_keypair().private)
        assert outbox.open_payload("REST0001", private)["reference"] == "REST0001"


def test_kiosk_receipt_refuses_the_answers_of_an_odk_encrypted_row_in_one_line(tmp_path, capsys):
    from commands.cli import main
    from tests.test_odk_encryption import encrypted_payload
    config, _ = odk_config(tmp_path)
    payload = encrypted_payload(7)
    payload["service"] = {"id": "change-of-address", "version": 3}
    with open_outbox(config) as outbox:
        outbox.enqueue(payload, config.destination("odk"))
    path = tmp_path / "kiosk.toml"
    path.write_text(f'[kiosk]\ndata_dir = "{config.data_dir}"\nid = "test-kiosk"\n[queue]\npublic_key = '
                    f'"{config.raw["queue"]["public_key"]}"\n[destinations."*"]\nkind = "rest"\n'
                    'url = "http://127.0.0.1:9"\nallow_http = true\n', encoding="utf-8")
    capsys.readouterr()
    code = main(["--config", str(path), "receipt", "ENC00007", "--answers"])
    err = capsys.readouterr().err
    assert code == 1 and "encrypted with the ODK form's key" in err and "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1
    assert main(["--config", str(path), "receipt", "ENC0-0007"]) == 0  # without answers: the receipt
    assert "ENC0-0007" in capsys.readouterr().out
