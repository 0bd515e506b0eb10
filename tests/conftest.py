"""Shared test set-up: Qt runs offscreen with the virtual keyboard, like the kiosk."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_IM_MODULE", "qtvirtualkeyboard")
os.environ.setdefault("QT_QUICK_CONTROLS_STYLE", "Basic")
# Never touch the developer's own kiosk data from a test.
os.environ["PONTE_DATA_DIR"] = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"ponte-test-{os.getpid()}")
os.environ.pop("PONTE_CONFIG", None)

import pytest  # noqa: E402


@pytest.fixture(autouse=True, scope="session")
def _one_application(qapp):
    """pytest-qt's application, made before any test: code under test that makes its own when none exists
    (`kiosk receipt`, `kiosk close-day --pdf`) must find this one, as in the running kiosk. A plain
    QGuiApplication made by such code and quit later left a posted Quit behind, and from then on every event
    loop of every later test returned at once (a whole CI run timed out on waits that never waited)."""
    yield qapp


@pytest.fixture(autouse=True)
def _event_loops_still_run(request):
    """Fail the test that leaves Qt quitting (QCoreApplication.exit outside exec): after it, QEventLoop.exec
    returns -1 at once, so every later qtbot wait spins without delivering a single event."""
    yield
    from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer
    if QCoreApplication.instance() is None:
        return
    loop = QEventLoop()
    QTimer.singleShot(0, loop.quit)
    if loop.exec() == -1:
        # Reset it (exec starts by clearing the flag) so that the tests after this one still mean something.
        QTimer.singleShot(0, QCoreApplication.quit)
        QCoreApplication.exec()
        pytest.fail(f"{request.node.nodeid} left Qt's application quitting: event loops returned at once after it")
