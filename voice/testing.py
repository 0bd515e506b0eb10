"""Helpers for tests, benchmarks and demos: speech audio made offline, a virtual microphone.

`korean_speech()` makes 16 kHz mono 16-bit WAVs with `espeak-ng -v ko` and
`sox`; `VirtualMicrophone` starts a PulseAudio server with a null sink and a
virtual source fed by its monitor, so `paplay` into the sink is heard by any
program recording from the source (the real QAudioSource path, no hardware).
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

SINK, SOURCE = "kiosk_out", "kiosk_mic"


def tools_missing(*tools: str) -> list[str]:
    return [t for t in tools if shutil.which(t) is None]


def speech_wav(text: str, language: str, out: Path | str, *, voice: str | None = None,
               speed: int = 160, pad: float = 0.0) -> Path:
    """`text` spoken by espeak-ng, as 16 kHz mono 16-bit PCM WAV (what the recogniser takes)."""
    out = Path(out)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        subprocess.run(["espeak-ng", "-v", voice or language, "-s", str(speed), "-w", str(raw), text],
                       check=True, capture_output=True)
        effects = ["pad", str(pad), str(pad)] if pad else []
        subprocess.run(["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(out), *effects],
                       check=True, capture_output=True)
    return out


def read_pcm(path: Path | str) -> bytes:
    import wave
    with wave.open(str(path)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (16000, 1, 2), path
        return w.readframes(w.getnframes())


def pulse_running() -> bool:
    if shutil.which("pactl") is None:
        return False
    return subprocess.run(["pactl", "info"], capture_output=True, timeout=10).returncode == 0


class VirtualMicrophone:
    """A PulseAudio null sink + virtual source; started here or added to a running server."""

    def __init__(self):
        self.proc: subprocess.Popen | None = None
        self.modules: list[str] = []
        self.reason = ""

    def start(self) -> bool:
        missing = tools_missing("pulseaudio", "pactl", "paplay")
        if missing:
            self.reason = f"missing {', '.join(missing)}"
            return False
        if not pulse_running():
            self.proc = subprocess.Popen(
                ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--disallow-exit",
                 "--load=module-native-protocol-unix"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for _ in range(50):
                if pulse_running():
                    break
                time.sleep(0.1)
            else:
                self.stop()
                self.reason = "pulseaudio did not start (no audio system on this machine)"
                return False
        sinks = subprocess.run(["pactl", "list", "short", "sinks"], capture_output=True, text=True).stdout
        if SINK not in sinks:
            self._load("module-null-sink", f"sink_name={SINK}")
        sources = subprocess.run(["pactl", "list", "short", "sources"], capture_output=True, text=True).stdout
        if f"\t{SOURCE}\t" not in sources:
            self._load("module-virtual-source", f"source_name={SOURCE}", f"master={SINK}.monitor")
        subprocess.run(["pactl", "set-default-source", SOURCE], capture_output=True)
        subprocess.run(["pactl", "set-default-sink", SINK], capture_output=True)
        return True

    def _load(self, *args: str) -> None:
        done = subprocess.run(["pactl", "load-module", *args], capture_output=True, text=True)
        if done.returncode == 0 and done.stdout.strip():
            self.modules.append(done.stdout.strip())

    def play(self, wav: Path | str) -> subprocess.Popen:
        """Play a WAV into the sink: what the virtual microphone then hears."""
        return subprocess.Popen(["paplay", f"--device={SINK}", str(wav)])

    def stop(self) -> None:
        for module in reversed(self.modules):
            subprocess.run(["pactl", "unload-module", module], capture_output=True)
        self.modules = []
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            self.proc = None
