"""Shared test set-up: Qt runs offscreen with the virtual keyboard, like the kiosk."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_IM_MODULE", "qtvirtualkeyboard")
os.environ.setdefault("QT_QUICK_CONTROLS_STYLE", "Basic")
# Never touch the developer's own kiosk data from a test.
os.environ["PONTE_DATA_DIR"] = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"ponte-test-{os.getpid()}")
os.environ.pop("PONTE_CONFIG", None)
