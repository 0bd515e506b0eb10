"""Texts with a count read correctly in every language (CLDR plural rules through Babel), and dates use each
language's own words."""
from __future__ import annotations

import datetime as dt
import re

import pytest

import translations
from translations import CATEGORIES, entries, format_date, languages, plural_categories, text

LANGUAGES = languages()
# CLDR's "many" in Portuguese, French and Spanish is for exact millions ("1 000 000 de questions"); a form
# for it is written where a count could conceivably reach it, and "other" stands in otherwise.
OPTIONAL = {"many"}
# A count that a word follows ("{count} questions") needs plural forms; a count shown as a figure after a
# label, at the end or as "N of M" ("Pages: {count}", "option {n} of {count}", "{count} of {max}") reads the same
# for every number.
COUNTED_WORD = re.compile(r"\{(count|seconds|minutes|left|hours|days|pages|entries)\}\s*(?![^\W\d_]+\s*\{)[^\W\d_]")


def plural_keys() -> set[str]:
    return {k for k, v in entries("en").items() if isinstance(v, dict)}


def test_the_five_languages_are_there():
    assert LANGUAGES == ["ar", "en", "es", "fr", "pt"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_plural_text_has_the_forms_its_language_needs(language):
    needed = plural_categories(language) - OPTIONAL
    for key in sorted(plural_keys()):
        forms = entries(language).get(key)
        assert isinstance(forms, dict), f"{language}: {key} is written without plural forms"
        assert needed <= set(forms), f"{language}: {key} lacks {sorted(needed - set(forms))}"
        assert set(forms) <= set(CATEGORIES) | {"_by"}, f"{language}: {key} has an unknown category"
        placeholders = {frozenset(re.findall(r"\{(\w+)\}", f)) for c, f in forms.items() if c != "_by"}
        assert len(set().union(*placeholders)) <= 2, f"{language}: {key} forms take different parameters"


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_count_is_written_without_plural_forms(language):
    """A plain text where a word follows the count would read "1 questions": it must be a plural object."""
    plain = [k for k, v in entries(language).items() if isinstance(v, str) and COUNTED_WORD.search(v)]
    assert plain == []


def test_a_counted_word_is_caught_and_a_figure_after_a_label_is_not():
    assert COUNTED_WORD.search("{count} questions") and COUNTED_WORD.search("{minutes} دقائق")
    assert not COUNTED_WORD.search("Pages: {count}") and not COUNTED_WORD.search("option {n} of {count}")
    assert not COUNTED_WORD.search("Answers filled in: {count}. The citizen sees each one")
    assert not COUNTED_WORD.search("Pages added: {count} of {max}") and not COUNTED_WORD.search("{count} من {max}")


def test_english_one_and_other():
    assert text("en", "services.questions", count=1) == "1 question"
    assert text("en", "services.questions", count=0) == "0 questions"
    assert text("en", "services.questions", count=8) == "8 questions"
    assert text("en", "m.pin.wrong", left=1) == "Wrong PIN. 1 try left."
    assert text("en", "m.pin.wrong", left=4) == "Wrong PIN. 4 tries left."
    assert text("en", "idle.countdown", seconds=1) == "Your answers will be deleted in 1 second."


def test_french_counts_zero_and_one_as_singular_portuguese_of_portugal_does_not():
    assert text("fr", "services.questions", count=0) == "0 question"
    assert text("fr", "services.questions", count=1) == "1 question"
    assert text("fr", "services.questions", count=2) == "2 questions"
    assert text("pt", "services.questions", count=0) == "0 perguntas"  # pt_PT: only 1 is singular
    assert text("pt", "services.questions", count=1) == "1 pergunta"
    assert text("es", "services.questions", count=1) == "1 pregunta"


def test_arabic_has_six_forms_and_each_is_used():
    said = {n: text("ar", "services.questions", count=n) for n in (0, 1, 2, 3, 10, 11, 99, 100, 102)}
    assert said[1] == "سؤال واحد" and said[2] == "سؤالان"
    assert said[3] == "3 أسئلة" and said[10] == "10 أسئلة"
    assert said[11] == "11 سؤالًا" and said[99] == "99 سؤالًا"
    assert said[100] == "100 سؤال"
    assert said[102] == "102 سؤال" and said[0] != said[100]
    assert len({said[n] for n in (0, 1, 2, 3, 11, 100)}) == 6


def test_the_count_is_grouped_for_the_locale():
    assert text("en", "m.console.audit_ok", n=12345) == "Audit log intact (12,345 entries)"
    assert text("pt", "m.console.audit_ok", n=12345) == "Registo de auditoria intacto (12\u00a0345 entradas)"
    assert text("es", "m.console.audit_ok", n=12345) == "Registro de auditoría intacto (12.345 entradas)"
    assert "12\u202f345" in text("fr", "m.console.audit_ok", n=12345)


def test_a_missing_count_falls_back_to_the_other_form_and_never_raises():
    assert text("en", "services.questions") == "{count} questions"
    assert text("en", "services.questions", count="many") == "many questions"


def test_dates_in_each_languages_words():
    when = dt.datetime(2026, 12, 7, 15, 4)
    assert format_date("en", when) == "7 December 2026, 15:04"
    assert format_date("pt", when, with_time=False) == "7 de dezembro de 2026"
    assert format_date("fr", when) == "7 décembre 2026 à 15:04"
    assert format_date("es", when, with_time=False) == "7 de diciembre de 2026"
    assert format_date("ar", when) == "7 ديسمبر 2026، الساعة 15:04"
    assert format_date("xx", when, with_time=False) == "7 December 2026"  # an unknown language: English


def test_the_pin_pad_says_how_many_digits_in_the_mediators_language():
    assert translations.text("en", "m.pin.digits", n=1) == "1 digit typed"
    assert translations.text("ar", "m.pin.digits", n=2) == "كُتب رقمان"
