"""Voice logic without Qt: words per language, what a screen says, grammars and intents."""
from __future__ import annotations

import json

import pytest
from hypothesis import given, strategies as st

from kiosk.screen import CHECK, DONE, QUESTION, ScreenContent, SpokenOption
from translations import ROOT
from voice import phrases
from voice.grammar import build_grammar, confirmation_grammar
from voice.script import script, spell

LANGS = ("en", "pt", "fr", "es", "ar")


def yes_no(lang="en", **kw):
    return ScreenContent(QUESTION, lang, "Did anyone move with you?", hint="Choose one.",
                         options=(SpokenOption(1, "yes", "Yes"), SpokenOption(2, "no", "No")),
                         question_type="yes_no", **kw)


@pytest.mark.parametrize("lang", LANGS + ("ko",))
def test_every_language_has_numbers_answers_and_commands(lang):
    for n in range(1, 11):
        assert phrases.number_words(lang, n), (lang, n)
    for name in phrases.ANSWERS + phrases.COMMANDS:
        assert phrases.words(lang, name), (lang, name)


@pytest.mark.parametrize("lang", LANGS + ("ko",))
def test_words_are_unambiguous_within_a_language(lang):
    seen = {}
    for name in phrases.ANSWERS + phrases.COMMANDS:
        for w in phrases.words(lang, name):
            assert seen.setdefault(w, name) == name, (lang, w)
    for n in range(1, 11):
        for w in phrases.number_words(lang, n):
            assert seen.setdefault(w, n) == n, (lang, w)


@pytest.mark.parametrize("lang", LANGS)
def test_voice_strings_translated_with_the_same_placeholders(lang):
    en = json.loads((ROOT / "voice" / "en.json").read_text(encoding="utf-8"))
    other = json.loads((ROOT / "voice" / f"{lang}.json").read_text(encoding="utf-8"))
    import string
    for key, value in en.items():
        if key.startswith("voice.mediator") or key == "voice.rate":
            continue  # mediator-side texts are English for now (see docs/voice.md)
        assert key in other, (lang, key)
        fields = lambda s: sorted(f for _, f, _, _ in string.Formatter().parse(s) if f)
        assert fields(other[key]) == fields(value), (lang, key)


def test_script_reads_title_question_hint_and_numbered_options():
    said = script(yes_no())
    assert said.startswith("Did anyone move with you? Choose one.")
    assert "Yes: say one, or touch button 1." in said
    assert "No: say two, or touch button 2." in said
    assert "You can also say back, next, help or repeat." in said


def test_error_is_said_first():
    said = script(yes_no(error="Please answer this question."))
    assert said.startswith("Please answer this question.")


@pytest.mark.parametrize("lang", LANGS)
def test_script_in_the_session_language(lang):
    said = script(yes_no(lang))
    assert phrases.spoken_word(lang, "1") in said
    assert phrases.spoken_word(lang, "back") in said


def test_personal_answer_not_read_unless_asked():
    screen = ScreenContent(QUESTION, "en", "Your tax number", personal=True, answer="123456789",
                           question_type="national_id")
    assert "123456789" not in script(screen)
    assert "not read aloud" in script(screen)
    assert "123456789" in script(screen, read_personal=True)
    open_screen = ScreenContent(QUESTION, "en", "How many people?", answer="3", question_type="number")
    assert "Your answer: 3." in script(open_screen)


def test_check_screen_is_personal():
    screen = ScreenContent(CHECK, "en", "Check your answers", body="Name Ana Silva", personal=True)
    assert "Check your answers." in script(screen)


def test_reference_spoken_character_by_character():
    assert spell("AB-12 3") == "A, B, 1, 2, 3"
    done = ScreenContent(DONE, "en", "Thank you.", reference="K7Q2M9")
    assert "Your reference number is: K, 7, Q, 2, M, 9." in script(done)


def test_grammar_maps_labels_numbers_yes_no_and_commands():
    g = build_grammar(yes_no())
    assert g.intent("yes") == ("choose", "yes")
    assert g.intent("two") == ("choose", "no")
    assert g.intent("No") == ("choose", "no")
    assert g.intent("go back") == ("command", "back")
    assert g.intent("repeat") == ("command", "repeat")
    assert g.intent("") is None and g.intent("[unk]") is None
    assert g.intent("yes no") is None  # two meanings: ask again rather than guess
    assert g.intent("[unk] yes") == ("choose", "yes")
    assert '"[unk]"' in g.vosk_grammar()


def test_number_question_accepts_numbers_only_there():
    number = ScreenContent(QUESTION, "pt", "Quantas pessoas?", question_type="number")
    g = build_grammar(number)
    assert g.intent("três") == ("number", "3")
    assert g.intent("dez") == ("number", "10")
    assert g.intent("sim") is None  # no yes/no on a number question
    text = ScreenContent(QUESTION, "en", "Your name", question_type="short_text")
    assert build_grammar(text).intent("three") is None


def test_choice_options_by_label_and_number():
    screen = ScreenContent(QUESTION, "fr", "Logement", question_type="single_choice", options=(
        SpokenOption(1, "rent", "Location"), SpokenOption(2, "own", "Propriétaire"),
        SpokenOption(3, "other", "Autre")))
    g = build_grammar(screen)
    assert g.intent("propriétaire") == ("choose", "own")
    assert g.intent("trois") == ("choose", "other")
    assert g.intent("quatre") is None
    assert g.intent("suivant") == ("command", "next")


def test_korean_grammar_for_the_only_model_here():
    number = ScreenContent(QUESTION, "ko", "", question_type="number")
    g = build_grammar(number)
    assert g.intent("넷") == ("number", "4")
    assert "네" not in g.phrases  # "yes" is a near-homophone of 넷 (four): absent where it means nothing
    assert confirmation_grammar("ko").intent("네") == ("command", "yes")
    assert confirmation_grammar("ko").intent("아니요") == ("command", "no")


@given(st.lists(st.text(alphabet=st.characters(categories=("L",)), min_size=1, max_size=12),
                min_size=1, max_size=10, unique_by=phrases.normalise))
def test_every_phrase_of_a_grammar_maps_back_to_its_meaning(labels):
    options = tuple(SpokenOption(i + 1, f"v{i}", label) for i, label in enumerate(labels))
    g = build_grammar(ScreenContent(QUESTION, "en", "Q", options=options, question_type="single_choice"))
    for phrase, meaning in g.mapping.items():
        assert g.intent(phrase) == meaning
        assert phrases.normalise(phrase) == phrase
