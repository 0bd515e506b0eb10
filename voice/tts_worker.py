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


def main() -> int:
    reply = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8", buffering=1)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # stray prints go to stderr
    try:
        import pyttsx3
        engine = pyttsx3.init()
    except Exception as exc:  # no espeak-ng, no driver: say so once, then answer every request with it
        engine, init_error = None, f"{type(exc).__name__}: {exc}"
    else:
        init_error = ""
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
                out = request["out"]
                tmp = f"{out}.{os.getpid()}.part.wav"
                if request.get("voice"):
                    engine.setProperty("voice", request["voice"])
                engine.setProperty("rate", int(request.get("rate") or 170))
                engine.save_to_file(request["text"], tmp)
                engine.runAndWait()
                if not os.path.isfile(tmp) or os.path.getsize(tmp) <= 44:
                    raise RuntimeError("the engine wrote no audio")
                os.replace(tmp, out)
                answer = {"ok": True, "out": out}
        except Exception as exc:
            answer = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        reply.write(json.dumps(answer) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
