"""The systemd watchdog, against a real unix datagram socket standing in for systemd's NOTIFY_SOCKET."""
from __future__ import annotations

import socket
import uuid

import pytest

from ui.watchdog import SystemdNotifier, Watchdog, watchdog_interval_ms


@pytest.fixture
def notify_socket(tmp_path):
    """A bound datagram socket, as systemd creates for a Type=notify service."""
    path = tmp_path / "notify"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(10)
    yield str(path), sock
    sock.close()


def received(sock: socket.socket, qtbot, until: str, limit: int = 50) -> list[str]:
    """Datagrams read while the Qt loop keeps running, up to the first one containing `until`."""
    messages: list[str] = []
    sock.setblocking(False)
    for _ in range(limit):
        qtbot.waitUntil(lambda: _readable(sock), timeout=10_000)
        message = sock.recv(4096).decode()
        messages.append(message)
        if until in message:
            return messages
    raise AssertionError(f"no {until!r} among {messages}")


def _readable(sock: socket.socket) -> bool:
    try:
        sock.recv(1, socket.MSG_PEEK)
        return True
    except BlockingIOError:
        return False


def test_interval_isHalfOfWatchdogUsec_andOffWithoutIt():
    assert watchdog_interval_ms({"WATCHDOG_USEC": "30000000"}) == 15_000
    assert watchdog_interval_ms({}) is None
    assert watchdog_interval_ms({"WATCHDOG_USEC": "soon"}) is None


def test_notifier_sendsDatagram_toPathSocket(notify_socket):
    path, sock = notify_socket
    assert SystemdNotifier(path).notify("READY=1")
    assert sock.recv(4096) == b"READY=1"


def test_notifier_abstractSocket_withAtPrefix():
    name = f"ponte-test-{uuid.uuid4().hex}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    sock.settimeout(10)
    try:
        assert SystemdNotifier("@" + name).notify("WATCHDOG=1")
        assert sock.recv(4096) == b"WATCHDOG=1"
    finally:
        sock.close()


def test_notifier_withoutSocket_isOff_andGoneSocket_neverRaises(tmp_path):
    assert not SystemdNotifier("").enabled
    assert SystemdNotifier("").notify("READY=1") is False
    gone = SystemdNotifier(str(tmp_path / "no-such-socket"))
    assert gone.notify("WATCHDOG=1") is False  # logged once, not raised
    assert gone.notify("WATCHDOG=1") is False


def test_watchdog_readyAfterFirstFrame_thenPingsFromEventLoop(qtbot, notify_socket):
    from PySide6.QtQuick import QQuickWindow
    path, sock = notify_socket
    window = QQuickWindow()
    window.resize(200, 100)
    dog = Watchdog(window, notifier=SystemdNotifier(path), interval_ms=20)
    dog.start()
    window.show()
    try:
        first = received(sock, qtbot, "READY=1")
        assert dog.ready
        assert "READY=1" in first[-1]
        pings = received(sock, qtbot, "WATCHDOG=1")
        assert pings[-1] == "WATCHDOG=1"
        dog.stop()
        assert "STOPPING=1" in received(sock, qtbot, "STOPPING=1")[-1]
    finally:
        dog.stop()
        window.close()


def test_watchdog_pingsStop_whenEventLoopIsNotRunning(qtbot, notify_socket):
    """A frozen GUI thread sends nothing: that silence is what makes systemd restart the kiosk."""
    path, sock = notify_socket
    dog = Watchdog(None, notifier=SystemdNotifier(path), interval_ms=1)
    dog.start()
    assert sock.recv(4096).startswith(b"READY=1")  # no window: ready at once
    sock.setblocking(False)
    # Block the GUI thread (no event processing) for a while: no timer can fire.
    import time
    end = time.monotonic() + 0.2
    while time.monotonic() < end:
        pass
    with pytest.raises(BlockingIOError):
        sock.recv(4096)
    received(sock, qtbot, "WATCHDOG=1")  # the loop runs again: pings come back
    dog.stop()


def test_watchdog_withoutNotifySocket_doesNothing(qtbot, monkeypatch):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    dog = Watchdog(None)
    dog.start()
    assert not dog.ready
    dog.stop()


def test_kioskApp_underSystemd_saysReadyAndPings(qtbot, notify_socket, monkeypatch, tmp_path):
    """The real kiosk window: READY=1 once its first frame is drawn, WATCHDOG=1 while its loop runs."""
    path, sock = notify_socket
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    monkeypatch.setenv("WATCHDOG_USEC", "100000")
    from kiosk.config import config_from_dict
    from ui.app import KioskApp
    app = KioskApp(config_from_dict({"kiosk": {"data_dir": str(tmp_path / "data")}}), windowed=True)
    try:
        assert "READY=1" in received(sock, qtbot, "READY=1")[-1]
        assert received(sock, qtbot, "WATCHDOG=1")[-1] == "WATCHDOG=1"
    finally:
        app.close()
    assert "STOPPING=1" in received(sock, qtbot, "STOPPING=1")[-1]
