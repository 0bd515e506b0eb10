"""Easy-read rules checked by machine (kiosk/easyread): the samples pass, each rule catches its breach with the
file, line and text, and scores are warnings, not refusals."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kiosk.easyread import check, readability, sentences, syllables
from kiosk.definition import parse
from tests.test_cli import kiosk as run_kiosk

SAMPLES = Path(__file__).resolve().parent.parent / "kiosk" / "services"
LANGS = ("en", "pt", "fr", "es", "ar")


def findings(doc: dict) -> list[str]:
    """The hard-rule breaches (errors) of a small document; reading-ease warnings are tested on their own."""
    return [f"{f.level}:{'/'.join(map(str, f.path))}/{f.language}:{f.message}" for f in check(doc, LANGS)
            if f.level == "error"]


def page(**extra) -> dict:
    return {"id": "p", "type": "short_text", "question": {"en": "What is your name?"}, **extra}


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_the_samples_keep_every_rule(path):
    doc = parse(path.read_text(encoding="utf-8"), str(path))
    assert [f for f in check(doc, tuple(doc["languages"])) if f.level == "error"] == []


def test_a_long_sentence_is_refused_and_mediator_notes_are_exempt():
    long = "You must bring the paper that the office sent you by post last month with your name on it."
    doc = {"title": {"en": long}, "pages": [page(mediator_notes={"en": long})]}
    found = findings(doc)
    assert len(found) == 1 and found[0].startswith("error:title/en:19 words in one sentence")


def test_one_sentence_per_hint_line():
    doc = {"pages": [page(hint={"en": "It has 9 numbers. It is on your card."})]}
    assert any("one sentence per hint line" in f for f in findings(doc))
    doc = {"pages": [page(hint={"en": "It has 9 numbers.\nIt is on your card."})]}
    assert findings(doc) == []


@pytest.mark.parametrize("language,text", [("en", "Bring the form pursuant to the letter."),
                                           ("pt", "Traga o documento supracitado."),
                                           ("fr", "Apportez le formulaire ci-après."),
                                           ("es", "Traiga el documento en virtud de la carta."),
                                           ("ar", "أحضر الورقة المذكور أعلاه.")])
def test_jargon_in_each_language(language, text):
    assert any("jargon list" in f for f in findings({"title": {language: text}}))


def test_numbers_as_digits_but_both_is_not_a_count():
    assert any("'two'" in f for f in findings({"title": {"en": "Bring two photos."}}))
    assert any("'três'" in f for f in findings({"title": {"pt": "Traga três fotografias."}}))
    assert findings({"title": {"fr": "Les deux", "pt": "As duas", "en": "Bring 2 photos."}}) == []


def test_an_abbreviation_is_explained_where_it_is_first_read():
    assert any("explain 'NIF'" in f for f in findings({"title": {"en": "Your NIF number."}}))
    assert findings({"title": {"en": "Your NIF (tax number)."}, "description": {"en": "Type the NIF."}}) == []
    assert findings({"title": {"en": "Complain to the CNPD, the data authority."}}) == []
    assert findings({"title": {"en": "Send it by SMS."}}) == []  # known to everyone
    # Explained on the start page, used again in the consent: the consent comes later in reading order.
    doc = {"consent": {"en": "I send it to the IMT."}, "data_notice": {"controller": {"en": "The Institute (IMT)."}}}
    assert findings(doc) == []


def test_a_question_whose_format_matters_needs_a_hint():
    doc = {"pages": [page(type="date"), page(type="postcode", hint={"en": "4 numbers, a dash, 3 numbers."})]}
    found = findings(doc)
    assert len(found) == 1 and "a date question needs a hint" in found[0]


def test_reading_ease_is_a_warning_per_language_with_a_formula():
    hard = {"description": {"en": "Notwithstanding considerations, applicants substantiate eligibility comprehensively.",
                            "ar": "نص عربي"}}
    found = check(hard, LANGS)
    warnings = [f for f in found if f.level == "warning"]
    assert [f.language for f in warnings] == ["en"] and "reading ease" in warnings[0].message
    assert readability("The cat sat on the mat. It was warm.", "en") > 90
    assert readability("نص", "ar") is None
    assert syllables("certificate", "en") == 4 and syllables("informação", "pt") == 4
    assert sentences("One. Two!\nThree?") == ["One.", "Two!", "Three?"]


def test_kiosk_services_check_names_file_line_and_text(tmp_path):
    folder = tmp_path / "services"
    shutil.copytree(SAMPLES, folder)
    path = folder / "change-of-address.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("en: \"It has 9 numbers.\\nIt is on the back of your citizen card.\"",
                                 "en: It has 9 numbers. It is on the back of your citizen card pursuant to law."),
                    encoding="utf-8")
    result = run_kiosk("services", "check", str(path))
    assert result.returncode == 1
    line = next(i + 1 for i, ln in enumerate(path.read_text(encoding="utf-8").splitlines()) if "pursuant" in ln)
    assert f"change-of-address.yaml:{line} (/pages/0/hint/en): easy-read: one sentence per hint line" in result.stdout
    assert "'pursuant' is on the en jargon list" in result.stdout
