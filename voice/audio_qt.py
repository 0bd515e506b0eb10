"""The hardware edge: where 16 kHz mono 16-bit PCM comes from.

The only module in voice/ that imports Qt (QtCore/QtMultimedia, no widgets).
Every source has the same small interface, used by the voice controller:

    available() -> (bool, reason)
    start(on_pcm: Callable[[bytes], None], on_end: Callable[[], None]) -> None
    stop() -> None

`QtMicrophone` is the real microphone (QAudioSource). `WavFileSource` plays a
WAV file into the same callbacks at real-time pace (or faster): tests and
demos use it where no microphone exists. `ClipPlayer` plays synthesised clips
through QAudioSink.
"""
from __future__ import annotations

import time
import warnings
import wave
from pathlib import Path
from typing import Callable, Protocol

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, QTimer, Signal
from PySide6.QtMultimedia import QAudioFormat, QAudioSink, QAudioSource, QMediaDevices

with warnings.catch_warnings():  # deprecated in 3.13; this project pins Python 3.11
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

RATE = 16000
CHUNK_MS = 100


def _name(enum_value) -> str:
    # Qt 6.12 returns QtAudio enums where older code names QAudio ones: compare by name.
    return getattr(enum_value, "name", str(enum_value))


class AudioInput(Protocol):
    def available(self) -> tuple[bool, str]: ...
    def start(self, on_pcm: Callable[[bytes], None], on_end: Callable[[], None]) -> None: ...
    def stop(self) -> None: ...


def speech_format() -> QAudioFormat:
    fmt = QAudioFormat()
    fmt.setSampleRate(RATE)
    fmt.setChannelCount(1)
    fmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
    return fmt


def to_speech_pcm(data: bytes, rate: int, channels: int, width: int, state=None) -> tuple[bytes, object]:
    """Convert PCM to 16 kHz mono 16-bit; `state` carries the resampler between chunks."""
    if width != 2:
        data = audioop.lin2lin(data, width, 2)
    if channels == 2:
        data = audioop.tomono(data, 2, 0.5, 0.5)
    elif channels != 1:
        raise ValueError(f"{channels} channels: use mono or stereo audio")
    if rate != RATE:
        data, state = audioop.ratecv(data, 2, 1, rate, RATE, state)
    return data, state


class QtMicrophone(QObject):
    """The default (or a named) audio input through QtMultimedia's QAudioSource."""

    def __init__(self, device_name: str = "", parent: QObject | None = None):
        super().__init__(parent)
        self._device_name = device_name
        self._source: QAudioSource | None = None
        self._io: QIODevice | None = None
        self._on_pcm: Callable[[bytes], None] | None = None
        self._convert = None

    def _device(self):
        inputs = QMediaDevices.audioInputs()
        if self._device_name:
            return next((d for d in inputs if self._device_name in (d.description(), bytes(d.id()).decode())), None)
        default = QMediaDevices.defaultAudioInput()
        return default if not default.isNull() else (inputs[0] if inputs else None)

    def available(self) -> tuple[bool, str]:
        device = self._device()
        if device is None or device.isNull():
            return False, "no microphone (audio input device) found"
        return True, device.description()

    def start(self, on_pcm: Callable[[bytes], None], on_end: Callable[[], None]) -> None:
        self.stop()
        device = self._device()
        if device is None or device.isNull():
            raise RuntimeError("no microphone (audio input device) found")
        fmt = speech_format()
        if not device.isFormatSupported(fmt):
            fmt = device.preferredFormat()
        width = {QAudioFormat.SampleFormat.Int16: 2, QAudioFormat.SampleFormat.Int32: 4,
                 QAudioFormat.SampleFormat.UInt8: 1}.get(fmt.sampleFormat())
        if width is None:  # float: ask for Int16 at the device's rate and channels instead
            fmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
            width = 2
        state = [None]
        rate, channels = fmt.sampleRate(), fmt.channelCount()

        def convert(data: bytes) -> bytes:
            if (rate, channels, width) == (RATE, 1, 2):
                return data
            out, state[0] = to_speech_pcm(data, rate, channels, width, state[0])
            return out

        self._convert = convert
        self._on_pcm = on_pcm
        self._source = QAudioSource(device, fmt, self)
        self._source.setBufferSize(rate * channels * width)  # 1 s: a busy GUI thread loses nothing
        self._io = self._source.start()
        if self._io is None or _name(self._source.error()) != "NoError":
            error = self._source.error()
            self.stop()
            raise RuntimeError(f"the microphone could not be opened ({error})")
        self._io.readyRead.connect(self._read)

    def _read(self) -> None:
        if self._io is None or self._on_pcm is None:
            return
        data = bytes(self._io.readAll().data())
        if data:
            self._on_pcm(self._convert(data))

    def stop(self) -> None:
        if self._source is not None:
            self._read()
            self._source.stop()
            self._source.deleteLater()
        self._source, self._io, self._on_pcm = None, None, None


class WavFileSource(QObject):
    """A WAV file fed like a microphone: CHUNK_MS chunks on a timer, then on_end()."""

    def __init__(self, path: Path | str | None = None, *, realtime: bool = True,
                 trailing_silence: float = 0.3, parent: QObject | None = None):
        super().__init__(parent)
        self.path = Path(path) if path else None
        self.realtime = realtime
        self.trailing_silence = trailing_silence
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick)
        self._chunks: list[bytes] = []
        self._on_pcm = None
        self._on_end = None

    def available(self) -> tuple[bool, str]:
        # Like a plugged-in microphone: there even while nobody speaks (no file loaded yet).
        return True, str(self.path) if self.path else "WAV file input"

    def load(self, path: Path | str) -> None:
        self.path = Path(path)

    def start(self, on_pcm: Callable[[bytes], None], on_end: Callable[[], None]) -> None:
        self.stop()
        if self.path is None or not self.path.is_file():
            raise RuntimeError(f"no audio file to play as microphone input ({self.path})")
        with wave.open(str(self.path)) as w:
            data, _ = to_speech_pcm(w.readframes(w.getnframes()), w.getframerate(), w.getnchannels(),
                                    w.getsampwidth())
        data += b"\0\0" * int(RATE * self.trailing_silence)
        step = RATE * 2 * CHUNK_MS // 1000
        self._chunks = [data[i:i + step] for i in range(0, len(data), step)]
        self._on_pcm, self._on_end = on_pcm, on_end
        self._timer.start(CHUNK_MS if self.realtime else 0)

    def _tick(self) -> None:
        if not self._chunks:
            on_end = self._on_end
            self.stop()
            if on_end:
                on_end()
            return
        if self._on_pcm:
            self._on_pcm(self._chunks.pop(0))

    def stop(self) -> None:
        self._timer.stop()
        self._chunks = []
        self._on_pcm, self._on_end = None, None


class ClipPlayer(QObject):
    """Plays one WAV clip at a time through QAudioSink; a new clip or stop() cuts it at once.

    (QMediaPlayer was tried first: with the FFmpeg backend on PulseAudio its stop()
    could block the GUI thread for good when a clip was replaced mid-play. The
    sink's stateChanged signal cannot be delivered to Python slots in PySide6
    6.12 (QAudio::State is not converted), so the sink is polled instead.)
    """

    playingChanged = Signal(bool)
    POLL_MS = 5

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._sink: QAudioSink | None = None
        self._buffer: QBuffer | None = None
        self._playing = False
        self.volume = 1.0  # 0..1, applied to every clip's sink (the citizen's volume setting)
        self.started_at: float | None = None  # perf_counter when the first sample was taken
        self._poll = QTimer(self)
        self._poll.setInterval(self.POLL_MS)
        self._poll.timeout.connect(self._check)

    @staticmethod
    def available() -> tuple[bool, str]:
        device = QMediaDevices.defaultAudioOutput()
        if device.isNull():
            return False, "no audio output device (loudspeaker or headphones) found"
        return True, device.description()

    def play(self, path: Path | str) -> None:
        self.stop()
        device = QMediaDevices.defaultAudioOutput()
        if device.isNull():
            raise RuntimeError("no audio output device (loudspeaker or headphones) found")
        with wave.open(str(path)) as w:
            fmt = QAudioFormat()
            fmt.setSampleRate(w.getframerate())
            fmt.setChannelCount(w.getnchannels())
            fmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
            data = w.readframes(w.getnframes())
        self._buffer = QBuffer(self)
        self._buffer.setData(QByteArray(data))
        self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self._sink = QAudioSink(device, fmt, self)
        self._sink.setVolume(self.volume)
        self.started_at = None
        self._sink.start(self._buffer)
        if _name(self._sink.error()) != "NoError":
            error = _name(self._sink.error())
            self.stop()
            raise RuntimeError(f"the loudspeaker could not be opened ({error})")
        self._set_playing(True)
        self._poll.start()

    def _check(self) -> None:
        sink = self._sink
        if sink is None:
            return self._poll.stop()
        if self.started_at is None and (self._buffer.pos() > 0 or sink.processedUSecs() > 0):
            self.started_at = time.perf_counter()
        state = _name(sink.state())
        if state == "IdleState" and self._buffer.atEnd():  # the whole clip has been played
            self.stop()
        elif state == "StoppedState":
            self.stop()

    def _set_playing(self, value: bool) -> None:
        if value != self._playing:
            self._playing = value
            self.playingChanged.emit(value)

    @property
    def playing(self) -> bool:
        return self._playing

    def set_volume(self, volume: float) -> None:
        """Loudness from now on (0..1), the clip playing now included."""
        self.volume = max(0.0, min(1.0, volume))
        if self._sink is not None:
            self._sink.setVolume(self.volume)

    def stop(self) -> None:
        self._poll.stop()
        sink, self._sink = self._sink, None
        if sink is not None:
            sink.stop()
            sink.deleteLater()
        if self._buffer is not None:
            self._buffer.close()
            self._buffer.deleteLater()
            self._buffer = None
        self._set_playing(False)
