"""`kiosk voice ...`: speech recognition models, synthesis voices, and speech to and from files."""
from __future__ import annotations

import shutil
import wave
from pathlib import Path

import click

from commands.base import Failure, pass_config
from kiosk.config import Config


@click.group()
def voice() -> None:
    """Voice guidance and voice answers, fully offline.

    \b
    Example:
      kiosk voice models
    """


@voice.command()
@pass_config
def models(config: Config) -> None:
    """List the installed speech recognition models, with language and size.

    \b
    Example:
      kiosk voice models
    """
    from voice.models import list_models, models_dir
    found = list_models(config.data_dir)
    if not found:
        click.echo(f"No speech recognition models in {models_dir(config.data_dir)}.")
        click.echo("Install one with: kiosk voice install-model PATH LANG")
        return
    click.echo(f"{'LANG':<6} {'SIZE':>9}  PATH")
    for m in found:
        note = f"  (unusable: {m.problem})" if m.problem else ""
        click.echo(f"{m.language:<6} {m.size_mb:>6.0f} MB  {m.path}{note}")


@voice.command("install-model")
@click.argument("path")
@click.argument("lang")
@pass_config
def install_model(config: Config, path: str, lang: str) -> None:
    """Install a vosk model for LANG from a local zip file or folder (a USB stick); it is loaded once to check it.

    \b
    Example:
      kiosk voice install-model /media/usb/vosk-model-small-pt-0.3.zip pt
    """
    from voice.models import ModelError
    from voice.models import install_model as install
    click.echo("Checking that the model loads (this can take a minute) ...")
    try:
        info = install(path, lang, config.data_dir)
    except ModelError as exc:
        raise Failure(f"voice install-model: {exc}") from None
    click.echo(f"Installed the {info.language} model ({info.size_mb:.0f} MB) in {info.path}")


@voice.command()
@click.option("--all", "show_all", is_flag=True, help="Every voice the engine offers.")
@pass_config
def voices(config: Config, show_all: bool) -> None:
    """List the speech synthesis voice chosen for each kiosk language.

    \b
    Example:
      kiosk voice voices --all
    """
    from voice.tts import SynthesisError, Synthesizer
    synth = Synthesizer(config.cache_dir / "voice-cache")
    try:
        found = synth.voices()
        if show_all:
            for v in found:
                click.echo(f"{v.id:<28} {','.join(v.languages):<14} {v.name}")
            return
        click.echo(f"{'LANG':<6} {'VOICE':<20} NAME")
        for lang in config.languages:
            choice = synth.voice_for(lang)
            name = choice.voice.name if choice.voice else "-"
            vid = choice.voice.id if choice.voice else "-"
            note = "  (no voice for this language: fallback)" if choice.fallback else ""
            click.echo(f"{lang:<6} {vid:<20} {name}{note}")
    except SynthesisError as exc:
        raise Failure(f"voice voices: speech synthesis is not available: {exc}") from None
    finally:
        synth.close()


@voice.command()
@click.argument("text")
@click.option("--lang", default="en", show_default=True)
@click.option("--rate", type=click.IntRange(50, 200), default=100, show_default=True, help="Speed in percent.")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="WAV file to write.")
@pass_config
def say(config: Config, text: str, lang: str, rate: int, out: Path) -> None:
    """Synthesise TEXT to a WAV file with the voice the kiosk would use.

    \b
    Example:
      kiosk voice say "Olá, bom dia." --lang pt --out hello.wav
    """
    from voice.tts import SynthesisError, Synthesizer, wav_duration
    synth = Synthesizer(config.cache_dir / "voice-cache")
    try:
        path = synth.synthesize(text, lang, rate)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, out)
        choice = synth.voice_for(lang)
        click.echo(f"{out}: {wav_duration(out):.2f} s, voice {choice.voice.id if choice.voice else '-'}"
                   + (" (fallback)" if choice.fallback else ""))
    except (SynthesisError, OSError) as exc:
        raise Failure(f"voice say: {exc}") from None
    finally:
        synth.close()


@voice.command()
@click.argument("wav", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--lang", required=True)
@pass_config
def recognise(config: Config, wav: Path, lang: str) -> None:
    """Recognise a 16 kHz mono WAV with the yes/no/number/command grammar of a number question.

    \b
    Example:
      kiosk voice recognise answer.wav --lang ko
    """
    from kiosk.screen import ScreenContent
    from voice.grammar import build_grammar
    from voice.recognizer import ModelStore, recognise_pcm
    store = ModelStore(config.data_dir)
    if not store.has_model(lang):
        raise Failure(f"voice recognise: no model for '{lang}'. Install one with: kiosk voice install-model PATH {lang}")
    store.preload(lang)
    model = store.model(lang, wait=None)
    if model is None:
        raise Failure(f"voice recognise: {store.state(lang)[1]}")
    try:
        with wave.open(str(wav)) as w:
            if (w.getframerate(), w.getnchannels(), w.getsampwidth()) != (16000, 1, 2):
                raise Failure("voice recognise: the WAV must be 16 kHz mono 16-bit "
                              "(sox IN.wav -r 16000 -c 1 -b 16 OUT.wav)")
            pcm = w.readframes(w.getnframes())
    except (OSError, wave.Error, EOFError) as exc:
        raise Failure(f"voice recognise: {exc}") from None
    screen = ScreenContent(kind="question", language=lang, title="", question_type="number")
    heard = recognise_pcm(model, build_grammar(screen), pcm)
    click.echo(f"text: {heard.text!r}  intent: {heard.intent}")
