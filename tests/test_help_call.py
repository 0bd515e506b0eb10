""""Call a helper" reaches a person: chime, flag, and a webhook on a real loopback HTTP server.

The notices carry no personal data (kiosk id, service, step, seconds waiting),
repeat while nobody comes, and stop (with a "cancelled" notice) at the wipe.
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.queue_fixtures import make_queue_config
from tests.ui_driver import Driver
from ui.help_call import NOTICE_FIELDS, build_notice, notify_url_problem, write_chime

pytestmark = pytest.mark.timeout(120)


class StaffDevice:
    """A loopback HTTP server standing in for the staff's phone: it records every POST."""

    def __init__(self, status: int = 200):
        self.notices: list[dict] = []
        self.threads: set[str] = set()
        received = self.notices
        threads = self.threads

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server name
                length = int(self.headers.get("Content-Length", 0))
                received.append(json.loads(self.rfile.read(length)))
                threads.add(threading.current_thread().name)
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/help"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def staff():
    device = StaffDevice()
    yield device
    device.close()


@pytest.fixture
def kiosk(qtbot, tmp_path, staff):
    from kiosk.config import config_from_dict
    from ui.app import KioskApp

    config, _ = make_queue_config(tmp_path, kiosk_id="kiosk-lisbon-7")
    raw = dict(config.raw)
    raw["help"] = {"notify_url": staff.url, "remind_seconds": 0.3}
    config = config_from_dict(raw, base=tmp_path)
    app = KioskApp(config, windowed=True, size=(1366, 768))
    driver = Driver(app, qtbot)
    yield driver
    app.bridge.help.wait_idle()
    app.close()


def test_calling_a_helper_notifies_the_staff_with_no_personal_data(kiosk, staff, qtbot):
    bridge = kiosk.app.bridge
    kiosk.click("startButton")
    kiosk.click("lang_pt")
    kiosk.click("service_change-of-address")
    kiosk.click("nextButton")
    kiosk.type_into("answerField", "123456789")
    kiosk.click("nextButton")
    kiosk.type_into("answerField", "Zeferino Canario")  # a name that must never leave in a notice

    kiosk.click("callHelperButton")
    assert bridge.helpWaiting
    assert kiosk.has("helperFlag"), "a flag the counter can see"
    assert bridge.help.chimes == 1
    qtbot.waitUntil(lambda: len(staff.notices) >= 1, timeout=5000)
    first = staff.notices[0]
    assert set(first) == set(NOTICE_FIELDS)
    assert first["event"] == "called" and first["kiosk_id"] == "kiosk-lisbon-7"
    assert first["service"] == "change-of-address" and first["step"] == "question:full_name"
    assert "Zeferino" not in json.dumps(staff.notices) and "123456789" not in json.dumps(staff.notices)
    # The request ran on a server thread while the GUI thread went on (never on the GUI thread).
    assert threading.main_thread().name not in staff.threads

    # Nobody came: reminders, with the time waited.
    qtbot.waitUntil(lambda: any(n["event"] == "reminder" for n in staff.notices), timeout=5000)

    # The citizen walks away: the wipe ends the call and tells the staff.
    bridge.wipe()
    assert not bridge.helpWaiting and not kiosk.has("helperFlag")
    qtbot.waitUntil(lambda: staff.notices[-1]["event"] == "cancelled", timeout=5000)
    count = len(staff.notices)
    qtbot.wait(900)  # three reminder periods: none may follow the wipe
    assert len(staff.notices) == count


def test_a_helper_signing_in_stops_the_reminders(kiosk, staff, qtbot):
    bridge = kiosk.app.bridge
    kiosk.click("startButton")
    kiosk.click("lang_en")
    kiosk.click("callHelperButton")
    qtbot.waitUntil(lambda: len(staff.notices) >= 1, timeout=5000)
    bridge.helperArrived()
    assert not bridge.helpWaiting
    count = len(staff.notices)
    qtbot.wait(900)
    assert len(staff.notices) == count and staff.notices[-1]["event"] != "cancelled"


def test_an_unreachable_staff_device_leaves_the_flag_up(qtbot, tmp_path):
    from ui.help_call import HelpCall
    from tests.queue_fixtures import free_port

    call = HelpCall(kiosk_id="k", notify_url=f"http://127.0.0.1:{free_port()}/x", timeout=1)
    results = []
    call.notified.connect(lambda event, status: results.append((event, status)))
    call.call("svc", "question:x")
    qtbot.waitUntil(lambda: bool(results), timeout=5000)
    assert results[0] == ("called", 0) and call.waiting
    call.end()
    call.wait_idle()


def test_notify_url_must_be_https_except_on_this_machine():
    assert notify_url_problem("https://staff.example.org/hook") is None
    assert notify_url_problem("http://127.0.0.1:8080/x") is None
    assert notify_url_problem("http://localhost/x") is None
    assert "https" in notify_url_problem("http://staff.example.org/hook")
    assert notify_url_problem("ftp://x") is not None


def test_a_notice_holds_only_its_fixed_fields():
    notice = build_notice("called", "k1", "birth-certificate", "question:nif", 12.7)
    assert notice == {"event": "called", "kiosk_id": "k1", "service": "birth-certificate",
                      "step": "question:nif", "seconds_waiting": 12}
    with pytest.raises(ValueError):
        build_notice("Ana Silva", "k1", "s", "x", 0)


def test_the_chime_is_a_real_wav_file(tmp_path):
    import wave
    path = write_chime(Path(tmp_path) / "sounds" / "chime.wav")
    with wave.open(str(path)) as chime:
        assert chime.getnframes() > 1000 and chime.getframerate() == 22050
