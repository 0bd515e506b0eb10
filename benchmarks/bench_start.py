"""Start-up: process start to the first rendered frame, the kiosk against a bare QML window.

Measured in one run, on this machine, offscreen (QT_QPA_PLATFORM=offscreen):

  baseline  a bare PySide6 QML window with one button (this file, --bare)
  kiosk     the real `kiosk run --windowed`, with (a) the three sample services and
            (b) a catalogue of 100 generated services

"First frame" is the moment the window's first frame is swapped: the kiosk says READY=1
on $NOTIFY_SOCKET then (ui/watchdog.py, as under systemd), and the bare window sends the
same datagram from its own frameSwapped. The time runs from just before the process is
spawned to the datagram's arrival. Each figure is the median of --runs starts, taken in
turn (baseline, samples, 100 services, ...) so that load on the machine hits all alike.
Before measuring, one start of each kiosk fills the catalogue cache, as the first start
after an update does; the "cold" line shows a start with an empty cache.

Goals (issue 16): (a) <= 1.5x the bare window, (b) <= 2x.

Beside each wall-clock median, the CPU time the process had used by its first frame (all threads, from
/proc) is printed as a second opinion: it moves less than wall time when other work shares the cores.

--compare DIR adds the same two kiosk starts from another checkout (e.g. `git archive HEAD~1 | tar -x -C DIR`),
taken in the same turns, so that a change is measured against what it changes under the same load. The
load average is printed at the start and the end: the machine is shared, and ratios are only comparable
within one run.

    .venv/bin/python benchmarks/bench_start.py [--runs 7] [--compare DIR]
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "kiosk" / "services"
PYTHON = sys.executable

BARE_QML = b"""
import QtQuick
import QtQuick.Controls
ApplicationWindow {
    width: 1366; height: 768; visible: true
    Button { anchors.centerIn: parent; text: "Start" }
}
"""


def bare_window(qml: str) -> int:
    """The baseline: a QML window with one button; READY=1 at its first frame (--bare)."""
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtQml import QQmlApplicationEngine

    app = QGuiApplication(sys.argv)
    engine = QQmlApplicationEngine()
    engine.load(qml)
    window = engine.rootObjects()[0]

    def first_frame() -> None:
        window.frameSwapped.disconnect(first_frame)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.sendto(b"READY=1", os.environ["NOTIFY_SOCKET"])
        sock.close()
    window.frameSwapped.connect(first_frame)
    return app.exec()


def generate_catalogue(folder: Path, count: int) -> None:
    """`count` services made from the samples, each with its own id (and form id)."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copytree(SAMPLES / "pictograms", folder / "pictograms", dirs_exist_ok=True)
    samples = sorted(SAMPLES.glob("*.yaml"))
    for n in range(count):
        sample = samples[n % len(samples)]
        text = sample.read_text(encoding="utf-8")
        sid = f"{sample.stem}-{n:03d}"
        text = text.replace(f"\nid: {sample.stem}\n", f"\nid: {sid}\n", 1)
        text = text.replace(f"form_id: {sample.stem.replace('-', '_')}", f"form_id: {sid.replace('-', '_')}", 1)
        (folder / f"{sid}.yaml").write_text(text, encoding="utf-8")


def write_config(folder: Path, services: Path | None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / "data"
    lines = ["[kiosk]", 'id = "bench"', f'data_dir = "{data}"']
    if services is not None:
        lines += ["[services]", f'dirs = ["{services}"]', "include_samples = false"]
    path = folder / "kiosk.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, all threads) the process has used so far; NaN where /proc cannot tell."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def time_to_first_frame(command: list[str], env: dict[str, str], cwd: Path = ROOT,
                        timeout: float = 60.0) -> tuple[float, float]:
    """Seconds from spawning `command` to its READY=1 on a fresh notify socket, and the CPU seconds it had
    used by then (less disturbed by other work on a shared machine); then it is ended."""
    with tempfile.TemporaryDirectory(prefix="bench-start-") as tmp:
        address = str(Path(tmp) / "notify")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(address)
        sock.settimeout(timeout)
        start = time.perf_counter()
        child = subprocess.Popen(command, env={**env, "NOTIFY_SOCKET": address}, cwd=cwd,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            while True:
                message = sock.recv(4096)
                if message.startswith(b"READY=1"):
                    elapsed = time.perf_counter() - start
                    cpu = cpu_seconds(child.pid)
                    break
        except socket.timeout:
            child.kill()
            raise SystemExit(f"no first frame within {timeout:.0f} s from {' '.join(command)}:\n"
                             + child.communicate()[1].decode(errors="replace")[-2000:]) from None
        finally:
            sock.close()
        child.send_signal(signal.SIGTERM)
        try:
            child.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            child.kill()
            child.communicate()
        return elapsed, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="starts of each kind (median reported)")
    parser.add_argument("--services", type=int, default=100, help="size of the generated catalogue")
    parser.add_argument("--compare", metavar="DIR", type=Path,
                        help="another checkout whose kiosk starts are measured in the same turns")
    parser.add_argument("--bare", metavar="QML", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare:
        return bare_window(args.bare)
    load_before = os.getloadavg()

    with tempfile.TemporaryDirectory(prefix="bench-start-") as tmp:
        tmp_path = Path(tmp)
        # Bytecode is cached as on an installed kiosk (pip compiles it), in a folder of this run
        # rather than __pycache__ beside the sources; the warm-up starts fill it for both sides.
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QT_QUICK_CONTROLS_STYLE": "Basic",
               "PYTHONPYCACHEPREFIX": str(tmp_path / "pycache")}
        for name in ("PONTE_CONFIG", "PYTHONDONTWRITEBYTECODE", "NOTIFY_SOCKET"):
            env.pop(name, None)
        qml = tmp_path / "bare.qml"
        qml.write_bytes(BARE_QML)
        generate_catalogue(tmp_path / "services", args.services)
        small = write_config(tmp_path / "samples", None)
        large = write_config(tmp_path / "large", tmp_path / "services")
        kiosk = [PYTHON, "-m", "commands", "run", "--windowed"]
        # (command, environment, working directory): the kiosk is `python -m commands` in its checkout.
        commands = {
            "bare": ([PYTHON, __file__, "--bare", str(qml)], env, ROOT),
            "samples": (kiosk, {**env, "PONTE_CONFIG": str(small)}, ROOT),
            "large": (kiosk, {**env, "PONTE_CONFIG": str(large)}, ROOT),
        }
        rows = [("samples", "kiosk, 3 sample services", 1.5),
                ("large", f"kiosk, {args.services} generated services", 2.0)]
        if args.compare is not None:
            other = args.compare.resolve()
            # Its own data folders: its catalogue cache must not be filled by this checkout's code.
            small_other = write_config(tmp_path / "samples-other", None)
            large_other = write_config(tmp_path / "large-other", tmp_path / "services")
            commands["samples@other"] = (kiosk, {**env, "PONTE_CONFIG": str(small_other)}, other)
            commands["large@other"] = (kiosk, {**env, "PONTE_CONFIG": str(large_other)}, other)
            rows += [("samples@other", f"  the same, {other.name}", 1.5),
                     ("large@other", f"  the same ({args.services}), {other.name}", 2.0)]
        time_to_first_frame(*commands["bare"])  # compiles PySide6's Python parts for both sides
        # First starts: they fill the catalogue cache (and the bytecode of our modules).
        cold = {name: time_to_first_frame(*commands[name])[0] for name, _, _ in rows}
        times: dict[str, list[float]] = {name: [] for name in commands}
        cpus: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, (command, run_env, cwd) in commands.items():
                elapsed, cpu = time_to_first_frame(command, run_env, cwd)
                times[name].append(elapsed)
                cpus[name].append(cpu)
    median = {name: statistics.median(values) for name, values in times.items()}
    cpu_median = {name: statistics.median(values) for name, values in cpus.items()}
    load_after = os.getloadavg()
    print(f"start-up to first frame, offscreen, median of {args.runs} (python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs; load average {load_before[0]:.2f} at the start, {load_after[0]:.2f} at the end)")
    print(f"  baseline  bare QML window, one button       {median['bare']:.3f} s")
    for name, label, goal in rows:
        ratio = median[name] / median["bare"]
        print(f"  {label:<40}  {median[name]:.3f} s  {ratio:.2f}x  (goal <= {goal}x: "
              f"{'met' if ratio <= goal else 'NOT met'}; first start, empty cache: {cold[name]:.3f} s)")
    print("  CPU time to the first frame (user + system, all threads; median): "
          + ", ".join(f"{name} {cpu_median[name]:.2f} s ({cpu_median[name] / cpu_median['bare']:.2f}x)"
                      for name in commands))
    spread = {name: (min(v), max(v)) for name, v in times.items()}
    print("  spread (min-max): " + ", ".join(f"{n} {lo:.2f}-{hi:.2f}" for n, (lo, hi) in spread.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
