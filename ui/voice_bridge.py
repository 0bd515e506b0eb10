"""Voice guidance and voice answers as seen from QML: the `voice` context property.

`VoiceController` holds no voice logic of its own: what to say comes from
`voice.script`, what the screen accepts from `voice.grammar`, clips from
`voice.tts.Synthesizer` (a worker thread and process), models from
`voice.recognizer.ModelStore` (loaded in the background). `ui.voice_speaker.Speaker`
plays the clips with QtMultimedia; the controller listens through an audio source from `voice.audio_qt`
(the microphone, or a WAV file in tests and demos).

The lead's bridge calls `show(screen)` on every screen change and connects
`intent(kind, value)` to act on what the citizen said, after they confirmed it.
"""
from __future__ import annotations

import logging
import re

from PySide6.QtCore import Property, QObject, QTimer, Signal, Slot

from kiosk.config import Config
from kiosk.screen import ATTRACT, ScreenContent
from translations import table
from translations import text as tr
from ui.voice_listener import Listener
from ui.voice_notices import VoiceNotices
from ui.voice_speaker import Speaker
from voice import script as scripts
from voice.grammar import Grammar, Intent, build_grammar, confirmation_grammar
from voice.headphones import HeadphoneSource, open_headphones
from voice.recognizer import ABSENT, FAILED, READY, ModelStore
from voice.cache import SharedCache
from voice.tts import MAX_RATE, MIN_RATE, Synthesizer

log = logging.getLogger(__name__)

RATE_STEP = 15
VOLUME_STEP = 10  # percent
MIN_VOLUME, MAX_VOLUME = 10, 100  # never silent by accident: 0 would look like a broken kiosk


class VoiceController(QObject):
    changed = Signal()
    intent = Signal(str, str)  # ("choose", value) | ("number", "n") | ("command", name)
    mediatorNotice = Signal(str)  # something the mediator should know (no voice, no model ...)
    spoke = Signal(str)  # the text of every clip that starts playing (tests, mediator log)
    heard = Signal(str, str, str)  # text, intent kind, intent value ("" when not understood)
    _modelState = Signal(str, str, str)  # from the model loading thread

    def __init__(self, config: Config, *, synthesizer: Synthesizer | None = None,
                 models: ModelStore | None = None, audio_input=None, enabled: bool | None = None,
                 headphones: HeadphoneSource | None = None, parent: QObject | None = None):
        super().__init__(parent)
        voice_cfg = config.voice  # typed and checked when the configuration was loaded
        self.config = config
        self.synth = synthesizer or Synthesizer(config.cache_dir / "voice-cache")
        # The shared cache is bounded; clips used least recently leave first.
        max_bytes = int(voice_cfg.cache_max_mb * 2 ** 20)
        self.cache = SharedCache(self.synth.cache_dir, max_bytes)
        self.speaker = Speaker(self.synth, self.cache, self)
        self.speaker.spoke.connect(self.spoke)
        self.speaker.speakingChanged.connect(self.changed)
        self.speaker.failed.connect(
            lambda reason: self._tell_mediator(tr(config.default_language, "voice.mediator.no_tts", reason=reason)))
        self.models = models or ModelStore(config.data_dir)
        self._model_listener = lambda lang, state, msg: self._modelState.emit(lang, state, msg)
        self.models.listeners.append(self._model_listener)
        if audio_input is None:
            from voice.audio_qt import QtMicrophone
            audio_input = QtMicrophone(voice_cfg.microphone, parent=self)
        self.listener = Listener(audio_input, self.models, self)
        self.listener.listeningChanged.connect(self.changed)
        self.listener.finished.connect(self._on_finished)
        self.mediator_notices = VoiceNotices(self.synth, self.models, lambda: self.listener.audio_input, self,
                                             language=config.default_language)
        self.mediator_notices.told.connect(self.mediatorNotice)
        self.mediator_notices.told.connect(self.changed)
        self._enabled = voice_cfg.on_by_default if enabled is None else enabled
        self._rate = voice_cfg.rate
        self._volume = voice_cfg.volume
        self.speaker.set_volume(self._volume / 100)
        self._screen: ScreenContent | None = None
        self._language = config.default_language
        self._heard_text = ""
        self._pending: Intent | None = None
        self._headphones_said = False
        self._private_aloud = False  # what is being said holds private data (only ever through headphones)
        self._modelState.connect(self._on_model_state)
        # Headphones (voice.headphones): plugging them in turns speech on; private texts only through them.
        self.headphones = headphones if headphones is not None else open_headphones(voice_cfg.headphones)
        self.headphones.listeners.append(self._on_headphones)
        self._headphones_timer = QTimer(self, interval=self.headphones.poll_ms)
        self._headphones_timer.timeout.connect(self.headphones.poll)
        if self.headphones.poll_ms:
            self._headphones_timer.start()

    # --- properties for QML ---------------------------------------------------

    def _get_enabled(self) -> bool:
        return self._enabled

    def _set_enabled(self, value: bool) -> None:
        if bool(value) != self._enabled:
            self.toggle()

    enabled = Property(bool, _get_enabled, _set_enabled, notify=changed)

    @Property(int, notify=changed)
    def rate(self) -> int:
        return self._rate

    @Property(int, constant=True)
    def minRate(self) -> int:
        """The slowest speech the synthesiser offers (percent of the normal rate)."""
        return MIN_RATE

    @Property(int, constant=True)
    def maxRate(self) -> int:
        return MAX_RATE

    @Property(int, notify=changed)
    def volume(self) -> int:
        """Speech volume in percent, as the citizen set it (the kiosk's default at each new session)."""
        return self._volume

    @Property(int, constant=True)
    def minVolume(self) -> int:
        return MIN_VOLUME

    @Property(int, constant=True)
    def maxVolume(self) -> int:
        return MAX_VOLUME

    @Property(bool, notify=changed)
    def speaking(self) -> bool:
        return self.speaker.speaking

    @property
    def audio_input(self):
        """The microphone (or a WAV source in tests and demos): a hardware edge, replaceable."""
        return self.listener.audio_input

    @audio_input.setter
    def audio_input(self, source) -> None:
        self.listener.audio_input = source

    # What was last said, for tests and the mediator (never shown to QML).
    last_clip = property(lambda self: self.speaker.last_clip)
    last_spoken = property(lambda self: self.speaker.last_spoken)
    last_error = property(lambda self: self.speaker.last_error)

    @Property(bool, notify=changed)
    def listening(self) -> bool:
        return self.listener.listening

    @Property(bool, notify=changed)
    def micAvailable(self) -> bool:
        return self._mic_state()[0] == READY

    @Property(str, notify=changed)
    def micState(self) -> str:
        """ready | loading | absent | failed | no-device: why the microphone is (not) there."""
        return self._mic_state()[0]

    @Property(str, notify=changed)
    def heardText(self) -> str:
        return self._heard_text

    @Property(bool, notify=changed)
    def confirmPending(self) -> bool:
        return self._pending is not None

    @Property(str, notify=changed)
    def confirmQuestion(self) -> str:
        return tr(self._language, "voice.you_said", text=self._heard_text) if self._pending else ""

    @Property(bool, notify=changed)
    def canReadPersonal(self) -> bool:
        s = self._screen
        return bool(self._enabled and s and s.personal and s.answer)

    @Property(bool, notify=changed)
    def headphonesHint(self) -> bool:
        return self._enabled and not self.headphones.plugged

    @Property(str, notify=changed)
    def notice(self) -> str:
        return self.mediator_notices.notice

    @Property("QVariantMap", notify=changed)
    def t(self) -> dict:
        cached = getattr(self, "_t_cache", None)  # read once per QML binding: built once per language
        if cached is None or cached[0] != self._language:
            cached = self._t_cache = (self._language, {k: v for k, v in {**table("en"), **table(self._language)}.items()
                                                        if k.startswith("voice.")})
        return cached[1]

    # --- screens --------------------------------------------------------------------

    @Slot(object)
    def show(self, screen: ScreenContent) -> None:
        """A new screen: stop speaking and listening at once, then read it (if voice is on)."""
        if screen.kind == ATTRACT and self._screen is not None and self._screen.kind != ATTRACT:
            self.reset()  # the session was wiped: the next citizen starts with the defaults
        self._cancel_listening()
        self._pending = None
        self._heard_text = ""
        self._screen = screen
        if screen.language != self._language:
            self._language = screen.language
            self.mediator_notices.new_language()
        self.models.preload(self._language)  # background; the microphone appears when ready
        self._check_mic_notice()
        self.changed.emit()
        if self._enabled:
            self._say(self._with_headphones_hint(self._screen_text()))
        else:
            self._stop_speech()

    def _with_headphones_hint(self, text: str) -> str:
        """The first thing said to each citizen: use headphones (others may hear)."""
        if self._headphones_said or not text or self.headphones.plugged:
            return text
        self._headphones_said = True
        return tr(self._language, "voice.headphones") + " " + text

    def _screen_text(self, read_personal: bool = False) -> str:
        # "Say one" and "you can also say next" only where saying works: a microphone and a model.
        return scripts.script(self._screen, read_personal=read_personal,
                              can_listen=self._mic_state()[0] == READY) if self._screen else ""

    def words_for(self, screen: ScreenContent) -> str:
        """The words this controller would say for `screen` now, without saying them (ui/voice_prefetch.py)."""
        shown, self._screen = self._screen, screen
        try:
            return self._screen_text()
        finally:
            self._screen = shown

    # --- speaking --------------------------------------------------------------------------

    def _say(self, text: str, private: bool = False) -> None:
        """Speak; `private` speech stays out of the shared cache: it holds the citizen's answer,
        or the reference number the confirmation screen reads out (theirs alone)."""
        screen = self._screen
        answer = screen.answer if screen is not None else ""
        private = private or bool(answer and answer in text) or bool(screen is not None and screen.reference)
        if private and not self.headphones.plugged:
            text = self._for_loudspeaker(text, private)
        self._private_aloud = private and self.headphones.plugged
        if text:
            self._check_voice_notice()
        self.speaker.say(text, self._language, self._rate, private)

    def _for_loudspeaker(self, text: str, asked: bool) -> str:
        """`text` without the citizen's personal answer or reference: a neutral phrase says where they are."""
        screen, lang = self._screen, self._language
        if screen is None:
            return text
        if screen.answer and (screen.personal or asked):
            hidden = tr(lang, "voice.private_answer")
            text = text.replace(tr(lang, "voice.answer_is", answer=screen.answer), hidden)
            if screen.answer in text:  # said some other way (a focused field, "you said"): none of it aloud
                text = hidden
        signs = [re.escape(c) for c in screen.reference if c.isalnum()]
        if signs:  # the reference, or a paused journey's code: spelled, whole or with dashes
            text = re.sub(r"[\W_]*".join(signs), tr(lang, "voice.private_reference"), text)
        return text

    def _on_headphones(self, plugged: bool) -> None:
        """Plugged in: speech on (said through them). Unplugged: nothing private goes on to the loudspeaker."""
        self.changed.emit()
        if plugged and not self._enabled:
            self.toggle()
        elif not plugged and self._private_aloud:
            self._stop_speech()

    def _stop_speech(self) -> None:
        self._private_aloud = False
        self.speaker.stop()

    @Slot()
    def listenAgain(self) -> None:
        """Say the screen again (the clip is cached: instant). Works even with voice off."""
        self._say(self._screen_text())

    @Slot(str)
    def sayText(self, text: str) -> None:
        """Say something other than the screen (the focused item, key help), if voice is on.
        A text with the citizen's answer in it is private like the screen's own."""
        if self._enabled:
            self._say(text)

    @Slot()
    def stopSpeaking(self) -> None:
        self._stop_speech()

    def _change_volume(self, delta: int) -> None:
        volume = max(MIN_VOLUME, min(MAX_VOLUME, self._volume + delta))
        if volume != self._volume:
            self._volume = volume
            self.speaker.set_volume(volume / 100)
            self.changed.emit()
        if self._enabled or self.speaker.speaking:
            # Heard at the new loudness at once (the clip is cached: instant).
            self._say(tr(self._language, "voice.volume_is", percent=self._volume))

    @Slot()
    def louder(self) -> None:
        self._change_volume(VOLUME_STEP)

    @Slot()
    def quieter(self) -> None:
        self._change_volume(-VOLUME_STEP)

    @Slot()
    def readToMe(self) -> None:
        """The citizen chose "read to me": voice on for this session."""
        if not self._enabled:
            self.toggle()

    @Slot()
    def toggle(self) -> None:
        self._enabled = not self._enabled
        self.changed.emit()
        if self._enabled:
            self._say(self._with_headphones_hint(self._screen_text()))
        else:
            self._stop_speech()

    def _change_rate(self, delta: int) -> None:
        rate = max(MIN_RATE, min(MAX_RATE, self._rate + delta))
        if rate != self._rate:
            self._rate = rate
            self.changed.emit()
        if self._enabled:
            self._say(self._screen_text())

    @Slot()
    def slower(self) -> None:
        self._change_rate(-RATE_STEP)

    @Slot()
    def faster(self) -> None:
        self._change_rate(RATE_STEP)

    @Slot()
    def readPersonalAnswer(self) -> None:
        """The citizen asked to hear their own (personal) answer on this screen."""
        if self._screen is not None:
            self._say(self._screen_text(read_personal=True), private=True)

    @Slot()
    def reset(self) -> None:
        """A new citizen: voice back to the kiosk's default, nothing pending."""
        self._cancel_listening()
        self._stop_speech()
        self._pending, self._heard_text = None, ""
        self._headphones_said = False
        self.synth.purge_private()  # the last citizen's answers, spoken, leave with them
        self.speaker.forget()
        self._enabled = self.config.voice.on_by_default
        self._rate = self.config.voice.rate
        self._volume = self.config.voice.volume
        self.speaker.set_volume(self._volume / 100)
        self.changed.emit()

    # --- listening ---------------------------------------------------------------------------

    def _mic_state(self) -> tuple[str, str]:
        return self.listener.state(self._language)

    def grammar(self) -> Grammar:
        if self._pending is not None:
            return confirmation_grammar(self._language)
        return build_grammar(self._screen) if self._screen else confirmation_grammar(self._language)

    @Slot()
    def startListening(self) -> None:
        if self.listener.listening or self._screen is None:
            return
        model = self.models.model(self._language)
        if model is None or self._mic_state()[0] != READY:
            self._check_mic_notice()
            return
        self._stop_speech()  # never record our own voice
        try:
            self.listener.start(model, self.grammar())
        except RuntimeError as exc:
            self._tell_mediator(tr(self._language, "voice.mediator.no_microphone") + f" ({exc})")

    @Slot()
    def stopListening(self) -> None:
        self.listener.stop()

    def _cancel_listening(self) -> None:
        self.listener.cancel()

    def _on_finished(self, result) -> None:
        if result is not None:
            self._on_heard(result.text, result.intent)

    def _on_heard(self, text: str, intent: Intent | None) -> None:
        self.heard.emit(text, *(intent or ("", "")))
        if self._pending is not None:  # the answer to "Is that right?"
            if intent == ("command", "yes"):
                return self.confirm(True)
            if intent == ("command", "no"):
                return self.confirm(False)
            return self._say(tr(self._language, "voice.not_understood"))
        if intent is None:
            self._heard_text = ""
            self.changed.emit()
            return self._say(tr(self._language, "voice.not_understood"))
        self._pending = intent
        self._heard_text = self._describe(text, intent)
        self.changed.emit()
        self._say(tr(self._language, "voice.you_said", text=self._heard_text))

    def _describe(self, text: str, intent: Intent) -> str:
        kind, value = intent
        if kind == "choose" and self._screen is not None:
            option = next((o for o in self._screen.options if o.value == value), None)
            if option is not None:
                return option.label
        if kind == "number":
            return value
        return text

    @Slot(bool)
    def confirm(self, right: bool) -> None:
        """The citizen's answer to "You said X. Is that right?" (touch or voice)."""
        pending, self._pending = self._pending, None
        self._heard_text = ""
        self.changed.emit()
        if pending is None:
            return
        if right:
            self._stop_speech()
            self.intent.emit(*pending)
        else:
            self._say(tr(self._language, "voice.try_again"))

    # --- notices for the mediator (ui.voice_notices) ----------------------------------------------

    def _tell_mediator(self, message: str) -> None:
        self.mediator_notices.tell(message)

    def _check_voice_notice(self) -> None:
        self.mediator_notices.check_voice(self._language)

    def _check_mic_notice(self) -> None:
        self.mediator_notices.check_microphone(self._language)

    def _on_model_state(self, language: str, state: str, message: str) -> None:
        if language == self._language:
            if state in (FAILED, ABSENT):
                self._check_mic_notice()
            self.changed.emit()

    def close(self) -> None:
        self._headphones_timer.stop()
        self.headphones.close()
        if self._model_listener in self.models.listeners:
            self.models.listeners.remove(self._model_listener)
        self._cancel_listening()
        self._stop_speech()
        self.synth.close()
