"""A process that owns the pyttsx3 engine: `python -m voice.tts_worker`.

pyttsx3's espeak driver keeps global state and runs its own event loop, so it
is never shared between threads: this process owns the only engine. It reads
one JSON request per line on stdin and answers one JSON line on the original
stdout (pyttsx3 prints chatter such as "Audio saved to"; that goes to stderr):

    {"cmd": "say", "text": ..., "voice": id|null, "rate": wpm, "out": path}
        -> {"ok": true, "out": path} | {"ok": false, "error": ...}
    {"cmd": "voices"} -> {"ok": true, "voices": [{"id", "name", "languages"}]}

A WAV is written to a temporary name and renamed, so a cached file is whole.
"""
from __future__ import annotations

import json
import os
import sys
import wave


# pyttsx3's espeak driver sometimes returns from runAndWait before the clip is
# written, or writes an empty or truncated clip (measured: the call after a
# long text; see docs/voice.md). Every clip is checked against the length of
# its text and made again if it is too short.
MIN_SECONDS_PER_CHAR = 1 / 40  # far faster than any espeak-ng rate we use
ATTEMPTS = 4


def _seconds(path: str) -> float:
    try:
        with wave.open(path) as w:
            return w.getnframes() / float(w.getframerate())
    except (OSError, EOFError, wave.Error):
        return 0.0


def _synchronize() -> None:
    """Wait until espeak has finished everything queued (pyttsx3 initialises it in its
    asynchronous RETRIEVAL mode, so runAndWait can return while espeak still works)."""
    try:
        from pyttsx3.drivers import _espeak
        _espeak.Synchronize()
    except Exception:  # another driver (Windows, macOS): nothing to wait for
        pass


def _set_properties(engine, voice: str | None, rate: int) -> None:
    """Set voice and rate now, not through pyttsx3's command queue.

    Measured: through engine.setProperty, a rate change was sometimes ignored for
    every later clip (the queued command ran after the synthesis it was meant
    for). The driver's own setProperty calls espeak at once.
    """
    if _set_properties.current == (voice, rate):
        return
    _set_properties.current = (voice, rate)
    driver = getattr(getattr(engine, "proxy", None), "_driver", None)
    target = driver if driver is not None and hasattr(driver, "setProperty") else engine
    _synchronize()
    if voice:
        target.setProperty("voice", voice)
    target.setProperty("rate", rate)


_set_properties.current = None


def save(engine, request: dict) -> str:
    out = request["out"]
    text = request["text"]
    _set_properties(engine, request.get("voice"), int(request.get("rate") or 170))
    wpm = int(request.get("rate") or 170)
    if not save.warmed:
        # The first clip of a fresh engine is the least reliable: make a throwaway one, but only now
        # that voice and rate are set. A warm-up at another rate followed by a rate change is the
        # pattern in which espeak kept the old rate (a 70 % clip came out at the warm-up's speed).
        save.warmed = True
        warm = f"{out}.{os.getpid()}-warm.part.wav"
        try:
            engine.save_to_file("ready", warm)
            engine.runAndWait()
            _synchronize()
        finally:
            try:
                os.remove(warm)
            except OSError:
                pass
    expected = max(0.05, len(text.strip()) * MIN_SECONDS_PER_CHAR * 165 / max(wpm, 1))
    for attempt in range(1, ATTEMPTS + 1):
        save.attempts = attempt
        save.counter += 1
        tmp = f"{out}.{os.getpid()}-{save.counter}.part.wav"
        engine.save_to_file(text, tmp)
        engine.runAndWait()
        _synchronize()
        seconds = _seconds(tmp)
        if seconds >= expected:
            os.replace(tmp, out)
            _sweep(out)
            return out
        try:
            os.remove(tmp)
        except OSError:
            pass
    raise RuntimeError(f"the engine wrote no usable audio after {ATTEMPTS} attempts")


save.counter = 0
save.attempts = 0
save.warmed = False


def _sweep(out: str) -> None:
    """Remove part files that a late write of the driver may have left behind."""
    folder = os.path.dirname(out) or "."
    for name in os.listdir(folder):
        if name.endswith(".part.wav") and f".{os.getpid()}-" in name:
            try:
                os.remove(os.path.join(folder, name))
            except OSError:
                pass


def main() -> int:
    reply = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8", buffering=1)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # stray prints go to stderr
    try:
        import pyttsx3
        engine = pyttsx3.init()
    except Exception as exc:  # no espeak-ng, no driver: say so once, then answer every request with it
        engine, init_error = None, f"{type(exc).__name__}: {exc}"
    else:
        init_error = ""  # the warm-up clip is made by the first save, at that request's voice and rate
    for line in sys.stdin:
        try:
            request = json.loads(line)
            if engine is None:
                raise RuntimeError(f"speech engine unavailable: {init_error}")
            if request.get("cmd") == "voices":
                voices = [{"id": v.id, "name": v.name, "languages": [str(x) for x in (v.languages or [])]}
                          for v in engine.getProperty("voices")]
                answer = {"ok": True, "voices": voices}
            else:
                answer = {"ok": True, "out": save(engine, request), "attempts": save.attempts}
        except Exception as exc:
            answer = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        reply.write(json.dumps(answer) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
