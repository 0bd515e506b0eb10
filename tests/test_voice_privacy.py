"""Speech that carries a citizen's answer never stays on disk after their session."""
from __future__ import annotations

import pytest

from voice.tts import Synthesizer

pytestmark = pytest.mark.timeout(120)


def test_private_clips_are_kept_apart_and_purged(tmp_path):
    synth = Synthesizer(tmp_path / "voice-cache")
    try:
        shared = synth.synthesize("Next", "en")
        private = synth.synthesize("Your answer is Zeferino Canario", "en", private=True)
        assert shared.parent == tmp_path / "voice-cache"
        assert private.parent == synth.private_dir and private.is_file()
        synth.purge_private()
        assert not private.exists() and shared.exists()
        # A crash leaves nothing behind either: the next start clears what is there.
        again = synth.synthesize("Zeferino Canario", "en", private=True)
    finally:
        synth.close()
    Synthesizer(tmp_path / "voice-cache").close()
    assert not again.exists()
    leftovers = [p for p in (tmp_path / "voice-cache").rglob("*") if p.is_file()]
    assert all(b"Canario" not in p.name.encode() for p in leftovers)
    assert len(leftovers) == 1


def test_check_answers_are_not_read_or_cached_unless_asked():
    from kiosk.screen import CHECK, ScreenContent
    from voice.script import script

    screen = ScreenContent(CHECK, "en", "Check your answers", body="Read your answers.", personal=True,
                           answer="What is your name? Zeferino Canario")
    assert "Canario" not in script(screen)
    assert "Canario" in script(screen, read_personal=True)


@pytest.fixture
def controller(qtbot, tmp_path):
    from kiosk.config import Config
    from ui.voice_bridge import VoiceController
    from voice.audio_qt import WavFileSource
    from voice.headphones import FakeHeadphones
    from voice.recognizer import ModelStore
    config = Config(data_dir=tmp_path / "data", raw={})
    c = VoiceController(config, audio_input=WavFileSource(realtime=False), models=ModelStore(tmp_path / "data"),
                        enabled=True, headphones=FakeHeadphones(plugged=True))  # private speech needs them
    c.spoken = []
    c.spoke.connect(c.spoken.append)
    yield c
    c.close()


def test_reference_clip_stays_private_and_leaves_with_the_citizen(qtbot, controller):
    from kiosk.screen import ATTRACT, DONE, ScreenContent
    c = controller
    c.show(ScreenContent(DONE, "en", "Thank you.", reference="K7Q2M9"))
    qtbot.waitUntil(lambda: bool(c.spoken), timeout=30000)
    assert "K, 7, Q, 2, M, 9" in c.spoken[-1]
    assert c.last_clip.parent == c.synth.private_dir and c.last_clip.is_file()
    shared = list(c.synth.cache_dir.glob("*.wav"))
    assert shared == []  # nothing of this citizen's reference in the shared cache
    c.listenAgain()  # heard again: still from the private folder
    qtbot.waitUntil(lambda: len(c.spoken) == 2, timeout=30000)
    assert c.last_clip.parent == c.synth.private_dir and list(c.synth.cache_dir.glob("*.wav")) == []
    c.show(ScreenContent(ATTRACT, "en", "Welcome"))  # the wipe: the next citizen
    assert list(c.synth.private_dir.iterdir()) == []


def test_shared_cache_is_capped_least_recently_used_first(tmp_path):
    import os
    from voice.cache import SharedCache
    synth = Synthesizer(tmp_path / "voice-cache")
    try:
        clips = [synth.synthesize(text, "en") for text in ("Next", "Back", "Yes", "No")]
    finally:
        synth.close()
    sizes = {p: p.stat().st_size for p in clips}
    for i, clip in enumerate(clips):  # last used in this order: Next, Back, Yes, No
        os.utime(clip, (1_000_000 + i, 1_000_000 + i))
    cap = sum(sizes.values()) - 1  # one byte too many
    cache = SharedCache(tmp_path / "voice-cache", cap)
    cache.used(clips[0])  # "Next" played again: now the most recent
    left = sorted(p.name for p in (tmp_path / "voice-cache").glob("*.wav"))
    assert clips[0].exists() and not clips[1].exists()  # "Back" was the least recently used
    assert cache.size() <= cap * 0.9 + 1 and len(left) < 4
    # A private clip is never counted or touched.
    private = synth.private_dir / "x.wav"
    private.parent.mkdir(parents=True, exist_ok=True)
    private.write_bytes(b"RIFF" * 10)
    cache.used(private)
    assert private.exists()
