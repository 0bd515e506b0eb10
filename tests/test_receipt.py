"""The receipt's content, without Qt: what it says, in which language, and what it never says."""
from __future__ import annotations

import dataclasses
import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk import LANGUAGES
from kiosk.definition import load_catalogue
from kiosk.receipt import MASK, add_working_days, build_receipt, format_date, mask
from translations import table
from translations import text as tr

ROOT = Path(__file__).parents[1]
CATALOGUE = load_catalogue([ROOT / "kiosk" / "services"])
MOVE = CATALOGUE.services["change-of-address"]
WHEN = dt.datetime(2026, 12, 7, 15, 4)  # a Monday
ANSWERS = {"nif": "123456789", "full_name": "Ana Canary-Exemplo", "date_moved": "2026-11-30",
           "new_postcode": "1000-001", "new_address": "Rua do Canario 12", "others_moved": "no",
           "phone": "", "email": "ana@example.org"}


def rows(service=MOVE, answers=ANSWERS):
    return [(page, answers[page.id]) for page in service.pages if page.id in answers]


def test_receipt_holds_title_reference_date_next_steps_and_follow_up():
    receipt = build_receipt(MOVE, "ABCD1234", WHEN, "en")
    assert receipt.service_title == "Tell us you moved house"
    assert receipt.reference == "ABCD-1234"
    assert receipt.issued == "7 December 2026, 15:04"
    assert "10 working days" in receipt.next_steps
    assert receipt.expected_by == "You should have an answer by 21 December 2026"
    assert [(f.kind, f.label, f.text) for f in receipt.follow_up] == [
        ("phone", "Phone", "+351 200 000 001"),
        ("counter", "At a counter", "Any Civil Registry office. Bring your reference number."),
        ("web", "On the web", "registo.example.pt")]
    assert receipt.follow_up_url == "https://registo.example.pt"
    assert receipt.qr_text == "ABCD-1234\nhttps://registo.example.pt"
    assert not receipt.rtl and not receipt.answers


def test_receipt_in_arabic_is_right_to_left_with_arabic_words():
    receipt = build_receipt(MOVE, "ABCD-1234", WHEN, "ar")
    assert receipt.rtl and receipt.language == "ar"
    assert receipt.service_title == MOVE.title["ar"]
    assert receipt.issued == "7 ديسمبر 2026، الساعة 15:04"
    assert receipt.heading == "إيصال"
    assert receipt.next_steps == MOVE.after_submit["next_steps"]["ar"]
    assert receipt.qr_text == "ABCD-1234\nhttps://registo.example.pt"  # the code itself is never translated


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_has_its_own_receipt_words(language):
    receipt = build_receipt(MOVE, "ABCD1234", WHEN, language)
    own = table(language)
    for key in ("receipt.heading", "receipt.reference", "receipt.date", "format.date_time", "receipt.scan",
                "receipt.expected_by", "receipt.answers_title", "receipt.masked_note", "receipt.print"):
        assert own.get(key), f"{key} missing in {language}"
    assert receipt.service_title == MOVE.title[language]
    if language != "en":
        assert receipt.heading != tr("en", "receipt.heading")
        assert "December" not in receipt.issued


def test_no_personal_answer_unless_the_citizen_asks():
    plain = build_receipt(MOVE, "ABCD1234", WHEN, "en")
    text = "\n".join(plain.lines()) + plain.spoken_text()
    for value in ("Canary", "123456789", "789", "Rua do Canario", "ana@example.org"):
        assert value not in text
    assert plain.answers == () and not plain.with_answers


def test_copy_of_the_answers_is_as_on_check_answers_with_sensitive_fields_masked():
    receipt = build_receipt(MOVE, "ABCD1234", WHEN, "en", answers=rows())
    shown = {a.page_id: a for a in receipt.answers}
    assert MOVE.page("nif").sensitive
    assert shown["nif"].answer == MASK * 6 + "789" and shown["nif"].masked
    assert "123456" not in "\n".join(receipt.lines())
    assert shown["full_name"].answer == "Ana Canary-Exemplo" and not shown["full_name"].masked
    assert shown["date_moved"].answer == "30/11/2026"
    assert shown["others_moved"].answer == "No"
    assert shown["phone"].answer == "Not answered"
    assert shown["full_name"].question == "What is your full name?"
    assert receipt.answers_label == "A copy of your answers" and receipt.answers_note
    # The voice never reads a copy of the answers (others may be listening).
    assert "Canary" not in receipt.spoken_text()


def test_copy_of_the_answers_in_portuguese_words_choices_in_the_language():
    tariff = CATALOGUE.services["social-energy-tariff"]
    page = next(p for p in tariff.pages if p.type == "multiple_choice")
    values = [o.value for o in page.options[:2]]
    receipt = build_receipt(tariff, "ABCD1234", WHEN, "pt", answers=[(page, values)])
    assert receipt.answers[0].answer == ", ".join(o.label["pt"] for o in page.options[:2])


@given(st.text(alphabet=st.characters(codec="utf-8", categories=("Lu", "Ll", "Nd", "Zs", "Pd")), max_size=40))
def test_mask_shows_at_most_the_last_three_letters_or_digits(text):
    masked = mask(text)
    assert len(masked) == len(text)
    significant = [ch for ch in text if ch.isalnum()]
    visible = [ch for ch in masked if ch.isalnum()]
    if len(significant) <= 3:
        assert visible == []
    else:
        assert visible == significant[-3:]
    assert [ch for ch in masked if not ch.isalnum() and ch != MASK] == [ch for ch in text if not ch.isalnum()]


def test_expected_by_counts_working_days_only():
    friday = dt.date(2026, 12, 11)
    assert add_working_days(friday, 1) == dt.date(2026, 12, 14)  # Monday
    assert add_working_days(friday, 5) == dt.date(2026, 12, 18)
    assert add_working_days(dt.date(2026, 12, 12), 1) == dt.date(2026, 12, 14)  # from a Saturday
    assert format_date(dt.date(2027, 1, 4), "fr", with_time=False) == "4 janvier 2027"
    assert format_date(dt.date(2027, 1, 4), "pt", with_time=False) == "4 de janeiro de 2027"


def test_a_definition_without_follow_up_gives_a_plain_receipt():
    bare = dataclasses.replace(MOVE, after_submit={})
    receipt = build_receipt(bare, "ABCD1234", WHEN, "es")
    assert receipt.next_steps == "" and receipt.expected_by == "" and receipt.follow_up == ()
    assert receipt.follow_up_url == "" and receipt.qr_text == "ABCD-1234"
    assert receipt.reference_label == "Su número de referencia"


def test_a_language_the_service_lacks_falls_back_to_its_first():
    only_pt = dataclasses.replace(MOVE, languages=("pt",))
    receipt = build_receipt(only_pt, "ABCD1234", WHEN, "ar")
    assert receipt.language == "pt" and not receipt.rtl


def test_spoken_text_spells_the_reference():
    receipt = build_receipt(MOVE, "ABCD1234", WHEN, "en")
    spoken = receipt.spoken_text()
    assert "A B C D 1 2 3 4" in spoken
    assert receipt.next_steps in spoken and "+351 200 000 001" in spoken and receipt.expected_by in spoken
    assert ".." not in spoken


def test_the_receipt_module_needs_no_qt():
    code = "import sys, kiosk.receipt; sys.exit(any(m.startswith('PySide6') for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0
