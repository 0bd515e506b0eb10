"""`kiosk voice ...`: models, voices, and speech to and from files."""
from __future__ import annotations

import argparse
import sys
import wave
from pathlib import Path

from kiosk.config import Config


def register(subparsers) -> None:
    voice = subparsers.add_parser("voice", help="voice guidance and voice answers (offline)")
    sub = voice.add_subparsers(dest="voice_command", metavar="ACTION")
    voice.set_defaults(handler=lambda args, config: (voice.print_help(), 2)[1])

    p = sub.add_parser("models", help="list the speech recognition models, with language and size")
    p.set_defaults(handler=cmd_models)

    p = sub.add_parser("install-model", help="install a vosk model from a local zip file or folder")
    p.add_argument("path", help="zip file or folder (for example on a USB stick)")
    p.add_argument("lang", help="language code the model is for (en, pt, fr, es, ar, ko ...)")
    p.set_defaults(handler=cmd_install_model)

    p = sub.add_parser("voices", help="list the speech synthesis voices per kiosk language")
    p.add_argument("--all", action="store_true", help="list every voice the engine offers")
    p.set_defaults(handler=cmd_voices)

    p = sub.add_parser("say", help="synthesise TEXT to a WAV file")
    p.add_argument("text")
    p.add_argument("--lang", default="en")
    p.add_argument("--rate", type=int, default=100, help="speed in percent (50-200, default 100)")
    p.add_argument("--out", required=True, help="WAV file to write")
    p.set_defaults(handler=cmd_say)

    p = sub.add_parser("recognise", help="recognise a 16 kHz mono WAV with the yes/no/number/command grammar")
    p.add_argument("wav")
    p.add_argument("--lang", required=True)
    p.set_defaults(handler=cmd_recognise)


def cmd_models(args: argparse.Namespace, config: Config) -> int:
    from voice.models import list_models, models_dir
    found = list_models(config.data_dir)
    if not found:
        print(f"No speech recognition models in {models_dir(config.data_dir)}.")
        print("Install one with: kiosk voice install-model PATH LANG")
        return 0
    print(f"{'LANG':<6} {'SIZE':>9}  PATH")
    for m in found:
        note = f"  (unusable: {m.problem})" if m.problem else ""
        print(f"{m.language:<6} {m.size_mb:>6.0f} MB  {m.path}{note}")
    return 0


def cmd_install_model(args: argparse.Namespace, config: Config) -> int:
    from voice.models import ModelError, install_model
    print(f"Checking that the model loads (this can take a minute) ...", flush=True)
    try:
        info = install_model(args.path, args.lang, config.data_dir)
    except ModelError as exc:
        print(f"kiosk voice install-model: {exc}", file=sys.stderr)
        return 1
    print(f"Installed the {info.language} model ({info.size_mb:.0f} MB) in {info.path}")
    return 0


def _synth(config: Config):
    from voice.tts import Synthesizer
    return Synthesizer(config.data_dir / "voice-cache")


def cmd_voices(args: argparse.Namespace, config: Config) -> int:
    from voice.tts import SynthesisError
    synth = _synth(config)
    try:
        voices = synth.voices()
        if args.all:
            for v in voices:
                print(f"{v.id:<28} {','.join(v.languages):<14} {v.name}")
            return 0
        print(f"{'LANG':<6} {'VOICE':<20} NAME")
        for lang in config.languages:
            choice = synth.voice_for(lang)
            name = choice.voice.name if choice.voice else "-"
            vid = choice.voice.id if choice.voice else "-"
            note = "  (no voice for this language: fallback)" if choice.fallback else ""
            print(f"{lang:<6} {vid:<20} {name}{note}")
        return 0
    except SynthesisError as exc:
        print(f"kiosk voice voices: speech synthesis is not available: {exc}", file=sys.stderr)
        return 1
    finally:
        synth.close()


def cmd_say(args: argparse.Namespace, config: Config) -> int:
    import shutil
    from voice.tts import SynthesisError, wav_duration
    synth = _synth(config)
    try:
        path = synth.synthesize(args.text, args.lang, args.rate)
        out = Path(args.out)
        if out.parent and not out.parent.exists():
            out.parent.mkdir(parents=True)
        shutil.copyfile(path, out)
        choice = synth.voice_for(args.lang)
        print(f"{out}: {wav_duration(out):.2f} s, voice {choice.voice.id if choice.voice else '-'}"
              + (" (fallback)" if choice.fallback else ""))
        return 0
    except (SynthesisError, OSError) as exc:
        print(f"kiosk voice say: {exc}", file=sys.stderr)
        return 1
    finally:
        synth.close()


def cmd_recognise(args: argparse.Namespace, config: Config) -> int:
    from kiosk.screen import ScreenContent
    from voice.grammar import build_grammar
    from voice.recognizer import FAILED, ModelStore, recognise_pcm
    store = ModelStore(config.data_dir)
    if not store.has_model(args.lang):
        print(f"kiosk voice recognise: no model for '{args.lang}'. Install one with: "
              f"kiosk voice install-model PATH {args.lang}", file=sys.stderr)
        return 1
    store.preload(args.lang)
    model = store.model(args.lang, wait=None)
    if model is None:
        print(f"kiosk voice recognise: {store.state(args.lang)[1]}", file=sys.stderr)
        return 1
    try:
        with wave.open(args.wav) as w:
            if (w.getframerate(), w.getnchannels(), w.getsampwidth()) != (16000, 1, 2):
                print("kiosk voice recognise: the WAV must be 16 kHz mono 16-bit "
                      "(sox IN.wav -r 16000 -c 1 -b 16 OUT.wav)", file=sys.stderr)
                return 1
            pcm = w.readframes(w.getnframes())
    except (OSError, wave.Error) as exc:
        print(f"kiosk voice recognise: {exc}", file=sys.stderr)
        return 1
    screen = ScreenContent(kind="question", language=args.lang, title="", question_type="number")
    heard = recognise_pcm(model, build_grammar(screen), pcm)
    print(f"text: {heard.text!r}  intent: {heard.intent}")
    return 0
