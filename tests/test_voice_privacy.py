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
