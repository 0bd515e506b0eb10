"""What a screen reader finds: the kiosk's real AT-SPI tree, read from another process.

Qt's offscreen platform has no accessibility bridge, so the kiosk runs here on Xvfb with its own
D-Bus session bus; Qt (QT_LINUX_ACCESSIBILITY_ALWAYS_ON=1) registers with the at-spi2-core bus
that the session bus starts on demand, and Debian's /usr/bin/python3 with python3-pyatspi reads
the tree exactly as Orca would (tests/atspi_dump.py). The kiosk walks one journey of each sample
service (tests/atspi_kiosk.py) and stops on every screen for the dump.

Fails on a nameless push button, toggle, radio button, check box, text field or image, and on
names that carry glyphs a screen reader reads aloud ("left arrow Back", "ballot box I agree").

Needs the Debian packages xvfb, dbus, at-spi2-core, python3-gi, python3-pyatspi
(packaging/setup-debian.sh --tests); skipped with that reason when they are absent.
"""
from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
import unicodedata
from pathlib import Path

import pytest

from kiosk.definition import load_catalogue

ROOT = Path(__file__).parents[1]
SYSTEM_PYTHON = "/usr/bin/python3"
DUMP = str(ROOT / "tests" / "atspi_dump.py")
SERVICES = sorted(load_catalogue([ROOT / "kiosk" / "services"]).services)

# Roles a person operates: each must have a name.
INTERACTIVE = {"push button", "toggle button", "radio button", "check box", "text", "entry",
               "password text", "spin button", "combo box", "slider", "link", "menu item",
               "check menu item", "radio menu item", "page tab", "list item"}
EDITABLE_ROLES = {"text", "entry", "password text"}
# Characters a screen reader speaks by name ("left arrow", "ballot box with check", ...); any other
# symbol (Unicode category So: arrows, boxes, emoji such as the speaker) counts too.
GLYPHS = set("←→↑↓☐☑☒✓✔✗✘•►◄▶◀▲▼★☆✕✖✚➜➔")

# The mediators' invisible press-and-hold corner: a button that does nothing when a reader presses it.
HIDDEN_CORNER = {json.loads((ROOT / "translations" / "mediator" / f).read_text(encoding="utf-8")).get("m.pin.title")
                 for f in ("en.json", "pt.json", "es.json", "fr.json", "ar.json")} - {None, ""}

pytestmark = pytest.mark.timeout(900)
_TREES: dict[str, list[tuple[str, dict]]] = {}


def _missing() -> str:
    needs = {"Xvfb": shutil.which("Xvfb"), "dbus-daemon": shutil.which("dbus-daemon"),
             "at-spi-bus-launcher": next((p for p in ("/usr/libexec/at-spi-bus-launcher",
                                                      "/usr/lib/at-spi2-core/at-spi-bus-launcher")
                                          if os.path.exists(p)), None)}
    absent = [name for name, where in needs.items() if not where]
    if not os.path.exists(SYSTEM_PYTHON):
        absent.append(SYSTEM_PYTHON)
    elif subprocess.run([SYSTEM_PYTHON, "-c", "import gi, pyatspi"], capture_output=True).returncode:
        absent.append("python3-gi/python3-pyatspi")
    return ", ".join(absent)


def _free_display() -> int:
    for number in range(120, 400):
        if not os.path.exists(f"/tmp/.X11-unix/X{number}") and not os.path.exists(f"/tmp/.X{number}-lock"):
            return number
    raise RuntimeError("no free X display number")


@pytest.fixture(scope="module")
def desktop(tmp_path_factory):
    """An X display and a D-Bus session bus, as the environment a reader and the kiosk share."""
    absent = _missing()
    if absent:
        pytest.skip(f"needs Debian packages for AT-SPI (packaging/setup-debian.sh --tests): missing {absent}")
    number = _free_display()
    xvfb = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "1366x768x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        if os.path.exists(f"/tmp/.X11-unix/X{number}"):
            break
        time.sleep(0.05)
    bus = subprocess.run(["dbus-daemon", "--session", "--fork", "--print-address=1", "--print-pid=1"],
                         capture_output=True, text=True, check=True)
    address, pid = bus.stdout.split()[:2]
    env = {**os.environ, "DISPLAY": f":{number}", "DBUS_SESSION_BUS_ADDRESS": address,
           "QT_LINUX_ACCESSIBILITY_ALWAYS_ON": "1", "NO_AT_BRIDGE": "0", "PYTHONPATH": str(ROOT),
           "XDG_RUNTIME_DIR": str(tmp_path_factory.mktemp("runtime"))}
    env.pop("QT_QPA_PLATFORM", None)
    try:
        yield env
    finally:
        os.kill(int(pid), signal.SIGTERM)
        xvfb.terminate()
        xvfb.wait(10)


def _camera_folder(folder: Path) -> Path:
    """Photos for the file-fed camera (documents/camera.py): the walk adds pages to a document question
    with "Take a photo", as a citizen would (this machine has no camera)."""
    from PIL import Image
    folder.mkdir(parents=True, exist_ok=True)
    for n, colour in enumerate(((20, 80, 160), (160, 40, 40)), start=1):
        image = Image.new("RGB", (640, 480), colour)
        image.paste((250, 250, 250), (160, 120, 320, 240))
        image.save(folder / f"{n}.jpg", "JPEG", quality=90)
    return folder


class Kiosk:
    """The kiosk walking one journey in its own process, stopping on each screen until told."""

    def __init__(self, env: dict, service: str, data_dir: Path, watch: bool = False):
        camera = _camera_folder(data_dir.parent / "camera")
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.atspi_kiosk", "--service", service,
                                      "--data-dir", str(data_dir), "--camera", f"files:{camera}"]
                                     + (["--watch"] if watch else []),
                                     cwd=ROOT, env=env, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.lines: queue.Queue[str] = queue.Queue()
        self.errors: list[str] = []
        threading.Thread(target=self._read, args=(self.proc.stdout, self.lines), daemon=True).start()
        threading.Thread(target=self._drain, daemon=True).start()

    @staticmethod
    def _read(stream, into) -> None:
        for line in stream:
            into.put(line)
        into.put("")

    def _drain(self) -> None:
        for line in self.proc.stderr:
            self.errors.append(line)

    def screen(self, timeout: float = 60) -> dict | None:
        """The next settled screen ({"screen", "pid"}), or None at the end of the journey."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError("the kiosk did not reach its next screen:\n" + "".join(self.errors[-30:])) from None
            if line == "":
                raise AssertionError(f"the kiosk stopped (status {self.proc.wait()}):\n" + "".join(self.errors[-30:]))
            if line.startswith("{"):
                message = json.loads(line)
                return None if message.get("end") else message

    def next(self) -> None:
        self.proc.stdin.write("next\n")
        self.proc.stdin.flush()

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.flush()
                self.proc.wait(15)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait(5)


def dump(env: dict, pid: int) -> dict:
    """The kiosk's AT-SPI tree as Debian's pyatspi reads it."""
    done = subprocess.run([SYSTEM_PYTHON, DUMP, "--pid", str(pid)], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, f"reader failed: {done.stdout[-500:]} {done.stderr[-2000:]}"
    return json.loads(done.stdout)["tree"]


def nodes(tree: dict):
    yield tree
    for child in tree["children"]:
        yield from nodes(child)


def findings(screen: str, tree: dict) -> list[str]:
    """What a screen reader user would stumble on in this screen's tree."""
    found = []
    for node in nodes(tree):
        role, name = node["role"], node["name"].strip()
        where = f"{screen}: {role} {name!r} at {node['extents']}"
        if role in INTERACTIVE and not name:
            found.append(f"{where}: no name")
        if role == "image" and not name:
            found.append(f"{where}: image without a name (name it, or hide it if decorative)")
        if any(ch in GLYPHS or unicodedata.category(ch) == "So" for ch in name):
            found.append(f"{where}: name carries a glyph read aloud")
        if role in {"push button", "toggle button", "radio button", "check box"} and not node["actions"]:
            found.append(f"{where}: no action to call")
        if name in HIDDEN_CORNER:
            found.append(f"{where}: the invisible press-and-hold helper corner is offered as a control")
    return found


def journey_trees(env: dict, service: str, data_dir: Path) -> list[tuple[str, dict]]:
    """(screen, tree) for every screen of one journey through `service`; walked once per run."""
    if service not in _TREES:
        _TREES[service] = _walk(env, service, data_dir)
    return _TREES[service]


def _walk(env: dict, service: str, data_dir: Path) -> list[tuple[str, dict]]:
    kiosk = Kiosk(env, service, data_dir)
    trees = []
    try:
        while (screen := kiosk.screen()) is not None:
            trees.append((screen["screen"], dump(env, screen["pid"])))
            if os.environ.get("PONTE_ATSPI_OUT"):  # keep the trees to look at or count by hand
                out = Path(os.environ["PONTE_ATSPI_OUT"]) / service
                out.mkdir(parents=True, exist_ok=True)
                (out / f"{len(trees):02d}-{screen['screen'].replace(':', '-')}.json").write_text(
                    json.dumps(trees[-1][1], indent=1, ensure_ascii=False))
            kiosk.next()
    finally:
        kiosk.close()
    return trees


@pytest.mark.slow
@pytest.mark.parametrize("service", SERVICES)
def test_every_screen_of_a_journey_names_its_controls_without_glyphs(desktop, service, tmp_path):
    trees = journey_trees(desktop, service, tmp_path / "data")
    screens = [name for name, _ in trees]
    assert {"attract", "language", "services", "check", "done"} <= set(screens), screens
    interactive = sum(1 for _, tree in trees for n in nodes(tree) if n["role"] in INTERACTIVE)
    assert interactive > 10 * len(trees) // 10, "the tree holds almost nothing: is the bridge on?"
    problems = [p for name, tree in trees for p in findings(name, tree)]
    assert not problems, f"{len(problems)} accessibility problems:\n" + "\n".join(problems[:80])


@pytest.mark.slow
def test_a_chosen_answer_reports_checked(desktop, tmp_path):
    """A selected option or the given consent must say so (Orca: "Yes. selected radio button")."""
    trees = journey_trees(desktop, "birth-certificate", tmp_path / "data")
    # Every question is dumped after its answer is chosen.
    # Check your answers is dumped twice, before and after "I agree": only the second has a choice.
    last_check = [tree for name, tree in trees if name == "check"][-1:]
    choosing = [(name, [n for n in nodes(tree) if n["role"] in {"radio button", "check box"}])
                for name, tree in trees if name.startswith("question:") or any(tree is t for t in last_check)]
    choosing = [(name, boxes) for name, boxes in choosing if boxes]
    assert len(choosing) >= 3, f"too few screens with choices: {[name for name, _ in choosing]}"
    unchecked = [f"{name}: {[b['name'] for b in boxes]}" for name, boxes in choosing
                 if not any("checked" in b["states"] for b in boxes)]
    assert not unchecked, "chosen, but no item reports checked:\n" + "\n".join(unchecked)


class Reader:
    """One long-lived pyatspi process that dumps and acts on the kiosk, as a screen reader does."""

    def __init__(self, env: dict, pid: int):
        self.proc = subprocess.Popen([SYSTEM_PYTHON, DUMP, "--pid", str(pid), "--serve"], env=env, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def ask(self, **command) -> dict:
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, f"the reader stopped: {self.proc.stderr.read()[-2000:]}"
        answer = json.loads(line)
        assert "error" not in answer, f"{command}: {answer['error']}"
        return answer

    def close(self) -> None:
        self.proc.stdin.close()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


@pytest.mark.slow
def test_a_journey_through_atspi_actions_alone(desktop, tmp_path):
    """Press, choose and type only through AT-SPI (doAction, EditableText), and reach the reference."""
    from kiosk.samples import sample_answer
    from translations import text as tr

    service = load_catalogue([ROOT / "kiosk" / "services"]).services["birth-certificate"]
    kiosk = Kiosk(desktop, service.id, tmp_path / "data", watch=True)
    reader = None
    try:
        shown = kiosk.screen()
        assert shown["screen"] == "attract"
        reader = Reader(desktop, shown["pid"])

        def press(name: str) -> dict:
            reader.ask(do=name)
            after = kiosk.screen()
            assert not after.get("error"), f"after pressing {name!r}: {after['error']}"
            return after

        press(tr("en", "attract.touch_to_start"))
        press(tr("en", "language.own_name"))
        press(service.text(service.title, "en"))
        shown = press(tr("en", "start.button"))
        for _ in range(len(service.pages) + 1):
            if not shown["screen"].startswith("question:"):
                break
            page = service.page(shown["screen"].split(":", 1)[1])
            answer = sample_answer(page, service)
            if page.type in ("single_choice", "yes_no", "multiple_choice"):
                values = answer if isinstance(answer, list) else [answer]
                for value in values:
                    label = (tr("en", f"answer.{value}") if page.type == "yes_no" else
                             next(service.text(o.label, "en") for o in page.options if o.value == value))
                    reader.ask(do=label)
            elif page.type == "date":
                for index, part in enumerate(answer.split("/")):
                    reader.ask(type=[index, part])
            else:
                reader.ask(type=[0, answer])
            shown = press(tr("en", "nav.next"))
        assert shown["screen"] == "check", shown
        reader.ask(do=tr("en", "consent.agree"))
        shown = press(tr("en", "submit.accept_and_send"))
        assert shown["screen"] == "done", shown
        labels = [n["name"] for n in nodes(reader.ask(dump=1)["tree"])]
        assert any(tr("en", "done.reference_intro") in name for name in labels), labels
    finally:
        if reader is not None:
            reader.close()
        kiosk.close()
