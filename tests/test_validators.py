"""Answer validators, national ID checksums, postcodes and reference numbers.

Example tests say what a citizen sees; hypothesis properties say what must hold
for any input (a checksum catches every single-character mistake, no answer
ever crashes the kiosk). All values are fake.
"""
from __future__ import annotations

import datetime as dt
import math
import unicodedata

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from kiosk import national_id, postcode, reference
from kiosk.definition import Option, Page
from kiosk.validators import Invalid, is_blank, validate

TODAY = dt.date(2026, 11, 23)
DIGITS = "0123456789"


def page(kind: str, **kw) -> Page:
    if kind in ("single_choice", "multiple_choice") and "options" not in kw:
        kw["options"] = tuple(Option(v, {"en": v.title()}) for v in ("post", "counter", "email"))
    return Page(id="q", type=kind, question={"en": "Question?"}, **kw)


def check(kind: str, raw, **kw):
    nid = kw.pop("national_id_kind", "none")
    pc = kw.pop("postcode_kind", "any")
    return validate(page(kind, **kw), raw, national_id_kind=nid, postcode_kind=pc, today=TODAY)


def key(result) -> str | None:
    return result.key if isinstance(result, Invalid) else None


# --- check-digit helpers (independent re-implementations of the published rules) ----

def nif_check(body: str) -> str:
    total = sum(int(d) * w for d, w in zip(body, range(9, 1, -1)))
    check = 11 - total % 11
    return str(0 if check >= 10 else check)


def luhn_check(body: str) -> str:
    total = 0
    for i, d in enumerate(reversed(body)):
        n = int(d) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return str((10 - total % 10) % 10)


def dni_letter(number: int) -> str:
    return "TRWAGMYFPDXBNJZSQVHLCKE"[number % 23]


def substitute(text: str, index: int, char: str) -> str:
    return text[:index] + char + text[index + 1:]


bodies8 = st.text(DIGITS, min_size=8, max_size=8)


# --- blanks and required ----------------------------------------------------------

@pytest.mark.parametrize("raw", [None, "", "   ", "\n\t", [], ()])
def test_blank_answers(raw):
    assert is_blank(raw)
    assert key(check("short_text", raw)) == "required"
    assert check("short_text", raw, required=False) is None


@pytest.mark.parametrize("raw", [0, "0", False, ["a"], " x "])
def test_not_blank(raw):
    assert not is_blank(raw)


# --- text ---------------------------------------------------------------------------

def test_short_text_tidies_spaces():
    assert check("short_text", "  Maria   da\tSilva  ") == "Maria da Silva"


def test_text_length_limits():
    assert check("short_text", "a" * 100) == "a" * 100
    assert check("short_text", "a" * 101) == Invalid("too_long", {"max": 100})
    assert check("short_text", "a" * 11, max_length=10) == Invalid("too_long", {"max": 10})
    assert check("long_text", "a" * 1000) == "a" * 1000
    assert key(check("long_text", "a" * 1001)) == "too_long"


def test_long_text_keeps_lines_and_accepts_windows_line_ends():
    assert check("long_text", "line one\nline two\n") == "line one\nline two"
    assert check("long_text", "line one\r\nline two") == "line one\nline two"


def test_text_refuses_control_characters_and_non_text():
    assert key(check("short_text", "abc\x00def")) == "unsupported_character"
    assert key(check("long_text", "abc\x1bdef")) == "unsupported_character"
    assert key(check("short_text", 42)) == "invalid_short_text"
    assert key(check("short_text", ["a"])) == "invalid_short_text"


# --- characters that cannot be shown or sent (issue 17 §4) ------------------------------

REFUSED = [
    *"\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",  # bidi embeddings, overrides, isolates
    "\ufffe", "\uffff", "\U0001fffe", "\U0010ffff", "\ufdd0", "\ufdef",  # noncharacters
    "\x7f", "\x80", "\x9b", "\x9f",  # DEL and C1 controls
    "\u200b", "\u2060", "\ufeff",  # zero-width space, word joiner, BOM
    "\ud800", "\udfff",  # lone surrogates
    "\x00", "\x1b", "\x0b", "\x0c",  # C0 controls
    "\u2062", "\u206e", "\ufff9", "\U000e0041",  # invisible operators, deprecated format, annotation, tag
]


@pytest.mark.parametrize("char", REFUSED, ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize("kind", ["short_text", "long_text", "email"])
def test_characters_that_cannot_be_shown_or_sent_are_refused(kind, char):
    raw = f"ana{char}sousa@example.org" if kind == "email" else f"Ana{char}Sousa"
    if kind == "short_text" and char.isspace():  # VT, FF: white space, tidied into one space
        assert check(kind, raw) == "Ana Sousa"
        return
    assert key(check(kind, raw)) == ("invalid_email" if kind == "email" else "unsupported_character")


def test_a_bidi_override_cannot_disguise_an_answer():
    # "Ana" followed by RIGHT-TO-LEFT OVERRIDE shows "exe.txt" as "txt.exe".
    assert key(check("short_text", "Ana \u202eexe.txt")) == "unsupported_character"


def test_text_is_nfc_normalised():
    assert check("short_text", "Zoe\u0301 Mu\u0308ller") == "Zoé Müller"
    assert check("long_text", "Jose\u0301\nSão") == "José\nSão"
    assert check("email", "jose\u0301@example.org") == "josé@example.org"
    # The limit counts what is stored: 100 composed letters fit, though typed as 200 code points.
    assert check("short_text", "e\u0301" * 100) == "é" * 100


def test_unicode_line_separators_are_line_ends_in_long_text_and_spaces_in_short_text():
    assert check("long_text", "one\u2028two\u2029three\x85four") == "one\ntwo\nthree\nfour"
    assert check("short_text", "one\u2028two\x85three") == "one two three"


def test_joiners_are_kept_where_a_script_needs_them():
    # Persian and Kurdish names use ZWNJ between Arabic letters: "mi-khaham" keeps its shape.
    assert check("short_text", "می\u200cخواهم") == "می\u200cخواهم"
    assert check("short_text", "ل\u200dا") == "ل\u200dا"  # ZWJ between Arabic letters
    assert check("short_text", "क्\u200dष") == "क्\u200dष"  # ZWJ in a Devanagari conjunct
    for text in ("Ana\u200cSousa", "Ana\u200dSousa", "\u200cأحمد", "أحمد\u200c", "أحمد \u200cعلي"):
        assert key(check("short_text", text)) == "unsupported_character", repr(text)


def test_direction_marks_typed_by_arabic_keyboards_are_accepted():
    for text in ("أحمد\u200f 12", "Rua\u200e 5", "١٢\u061c٣"):
        assert check("short_text", text) == text


def _xml_char(ch: str) -> bool:
    code = ord(ch)
    return code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF


@settings(max_examples=400)
@given(st.sampled_from(["short_text", "long_text"]), st.text(max_size=60))
@example("short_text", "a\ud800b")
@example("long_text", "\ufffe")
def test_accepted_text_is_nfc_valid_xml_and_utf8(kind, raw):
    from kiosk.validators import unsupported_character
    result = check(kind, raw, max_length=1000)
    if isinstance(result, Invalid):
        assert result.key in ("required", "too_long", "unsupported_character")
        if result.key == "unsupported_character":
            tidied = unicodedata.normalize("NFC", raw) if not any("\ud800" <= c <= "\udfff" for c in raw) else raw
            assert unsupported_character(tidied, "\n\t") is not None or any("\ud800" <= c <= "\udfff" for c in raw)
        return
    assert unicodedata.is_normalized("NFC", result)
    assert all(_xml_char(ch) for ch in result)
    result.encode("utf-8")  # strict: no lone surrogate
    assert not set(result) & set(REFUSED)
    assert check(kind, result, max_length=1000) == result  # stable: accepted as it is


@given(st.sampled_from(["short_text", "long_text"]), st.text(st.characters(codec="utf-8", categories=["L", "N"]),
                                                             min_size=1, max_size=20),
       st.sampled_from(REFUSED), st.integers(0, 20))
def test_a_refused_character_anywhere_is_refused(kind, text, char, at):
    assume(not (kind == "short_text" and char.isspace()))  # VT/FF in a short text are tidied to a space
    at = min(at, len(text))
    assert key(check(kind, text[:at] + char + text[at:], max_length=1000)) in ("unsupported_character",)


def test_text_in_every_script():
    for text in ("Ana Sousa", "Zoé Müller", "أحمد المثال", "Łukasz Żółw"):
        assert check("short_text", text) == text


# --- numbers --------------------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ("3", 3), (" 12 ", 12), ("1 000", 1000), ("2,5", 2.5), ("2.5", 2.5), ("-4", -4), (7, 7), (7.0, 7),
    (2.25, 2.25), ("٣", 3),
])
def test_numbers(raw, expected):
    result = check("number", raw)
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize("raw", ["three", "3a", "1e5", "--1", "1.2.3", ".5", "nan", "inf", float("nan"),
                                 float("inf"), True, [3], {"n": 3}, 10 ** 400, "9" * 400])
def test_not_numbers(raw):
    assert key(check("number", raw)) in ("invalid_number", "too_large")


def test_number_min_max():
    assert check("number", "0", min=1, max=20) == Invalid("too_small", {"min": 1})
    assert check("number", "21", min=1, max=20) == Invalid("too_large", {"max": 20})
    assert check("number", "1", min=1, max=20) == 1
    assert check("number", "20", min=1, max=20) == 20
    assert check("number", "0.5", min=0.5) == 0.5


@given(st.integers(-10 ** 6, 10 ** 6), st.integers(-1000, 1000), st.integers(0, 1000))
def test_number_bounds_property(value, low, span):
    high = low + span
    result = check("number", str(value), min=low, max=high)
    if value < low:
        assert result == Invalid("too_small", {"min": low})
    elif value > high:
        assert result == Invalid("too_large", {"max": high})
    else:
        assert result == value


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e9, max_value=1e9))
def test_finite_floats_are_numbers(value):
    result = check("number", value)
    assert result == value and not isinstance(result, Invalid)


# --- dates ------------------------------------------------------------------------------

@pytest.mark.parametrize("raw", ["2024-03-31", "31/03/2024", "31-03-2024", "31.03.2024", " 31/03/2024 ",
                                 dt.date(2024, 3, 31), dt.datetime(2024, 3, 31, 10, 30)])
def test_date_formats(raw):
    assert check("date", raw) == "2024-03-31"


@pytest.mark.parametrize("raw", ["31/02/2024", "2024-13-01", "yesterday", "31/03", "1899-12-31", "0", 20240331])
def test_not_dates(raw):
    assert key(check("date", raw)) == "invalid_date"


def test_date_range():
    assert check("date", "2026-11-23", date_range="past") == "2026-11-23"
    assert key(check("date", "2026-11-24", date_range="past")) == "date_in_future"
    assert check("date", "2026-11-23", date_range="future") == "2026-11-23"
    assert key(check("date", "2026-11-22", date_range="future")) == "date_in_past"
    assert check("date", "2099-01-01", date_range="any") == "2099-01-01"


@given(st.dates(dt.date(1900, 1, 1), dt.date(2200, 12, 31)),
       st.sampled_from(["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"]))
def test_any_real_date_in_any_format(day, fmt):
    assert check("date", day.strftime(fmt)) == day.isoformat()
    past = check("date", day.strftime(fmt), date_range="past")
    assert past == day.isoformat() if day <= TODAY else past == Invalid("date_in_future")
    future = check("date", day.strftime(fmt), date_range="future")
    assert future == day.isoformat() if day >= TODAY else future == Invalid("date_in_past")


# --- phone and email ------------------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ("912 345 678", "912345678"), ("+351 912 345 678", "+351912345678"), ("(21) 000-0000", "210000000"),
    ("91.234.56.78", "912345678"), (912345678, "912345678"), ("٩١٢٣٤٥٦٧٨", "912345678"),
])
def test_phones(raw, expected):
    assert check("phone", raw) == expected


@pytest.mark.parametrize("raw", ["12345", "1" * 16, "call me", "+", "91234567a", "++351912345678", "91\x00234567"])
def test_not_phones(raw):
    assert key(check("phone", raw)) == "invalid_phone"


@given(st.text(DIGITS, min_size=6, max_size=15), st.booleans(), st.lists(st.sampled_from(" .-"), max_size=3))
def test_phone_property(digits, plus, separators):
    typed = ("+" if plus else "") + digits
    for sep in separators:
        typed = typed[:3] + sep + typed[3:]
    assert check("phone", typed) == ("+" if plus else "") + digits


@pytest.mark.parametrize("raw", ["name@example.com", " ana.sousa+kiosk@example.pt ", "x@mail.example.org"])
def test_emails(raw):
    assert check("email", raw) == raw.strip()


@pytest.mark.parametrize("raw", ["name", "name@", "@example.com", "name@example", "name@example.c",
                                 "na me@example.com", "a@b@example.com", "a" * 250 + "@example.com",
                                 "name@exa\x00mple.com"])
def test_not_emails(raw):
    assert key(check("email", raw)) == "invalid_email"


@given(st.from_regex(r"\A[a-z0-9._+]{1,20}@[a-z0-9]{1,20}\.[a-z]{2,6}\Z"))
def test_simple_emails_are_accepted(address):
    assert check("email", address) == address


# --- postcodes ----------------------------------------------------------------------------------

@pytest.mark.parametrize("kind, raw, expected", [
    ("PT", "1000-001", "1000-001"), ("PT", "1000001", "1000-001"), ("PT", " 4000-123 ", "4000-123"),
    ("PT", "٤٠٠٠-١٢٣", "4000-123"),
    ("ES", "28013", "28013"), ("FR", "75001", "75001"), ("GB", "sw1a1aa", "SW1A 1AA"), ("GB", "M1 1AE", "M1 1AE"),
    ("any", "ab-123", "AB-123"),
])
def test_postcodes(kind, raw, expected):
    assert check("postcode", raw, postcode_kind=kind) == expected


@pytest.mark.parametrize("kind, raw", [
    ("PT", "1000-01"), ("PT", "10000-001"), ("PT", "1000 001"), ("PT", "ABCD-EFG"), ("PT", "100000"),
    ("ES", "53001"), ("ES", "00123"), ("FR", "7500"), ("GB", "12345"), ("any", "-"),
])
def test_not_postcodes(kind, raw):
    assert key(check("postcode", raw, postcode_kind=kind)) == "invalid_postcode"


@given(st.text(DIGITS, min_size=4, max_size=4), st.text(DIGITS, min_size=3, max_size=3), st.booleans())
def test_any_pt_postcode(first, last, dash):
    typed = f"{first}-{last}" if dash else first + last
    assert check("postcode", typed, postcode_kind="PT") == f"{first}-{last}"


@given(st.text(max_size=12))
def test_pt_postcode_accepts_only_its_shape(text):
    result = check("postcode", text, postcode_kind="PT")
    if not isinstance(result, Invalid) and result is not None:
        assert len(result) == 8 and result[4] == "-" and (result[:4] + result[5:]).isascii()
        assert (result[:4] + result[5:]).isdigit()


# --- national ID numbers -------------------------------------------------------------------------

@pytest.mark.parametrize("kind, raw", [
    ("pt-nif", "123456789"), ("pt-nif", "123 456 789"), ("pt-nif", "100000002"),
    ("es-dni", "12345678Z"), ("es-dni", "12345678-z"), ("es-dni", "X1234567L"), ("es-dni", "Y0000000Z"),
    ("luhn", "79927398713"), ("luhn", "4111 1111 1111 1111"),
    ("fr-nir", "255081416802538"), ("fr-nir", "2 55 08 2A 168 026 96"),
    ("none", "AB1234"),
])
def test_valid_national_ids(kind, raw):
    assert national_id.is_valid(kind, raw)
    assert check("national_id", raw, national_id_kind=kind) == national_id.normalise(raw)


@pytest.mark.parametrize("kind, raw", [
    ("pt-nif", "123456788"), ("pt-nif", "12345678"), ("pt-nif", "1234567890"), ("pt-nif", "12345678A"),
    ("es-dni", "12345678A"), ("es-dni", "X1234567A"), ("es-dni", "1234567Z"),
    ("luhn", "79927398710"), ("luhn", "7"), ("fr-nir", "255081416802539"), ("none", "AB1"),
    ("pt-nif", "¹²³⁴⁵⁶⁷⁸⁹"),
])
def test_invalid_national_ids(kind, raw):
    assert not national_id.is_valid(kind, raw)
    assert key(check("national_id", raw, national_id_kind=kind)) == "invalid_national_id"


def test_national_id_in_arabic_indic_digits_is_read_as_digits():
    assert check("national_id", "١٢٣٤٥٦٧٨٩", national_id_kind="pt-nif") == "123456789"


def test_nif_check_digit_zero_collision_is_the_published_algorithm():
    # Totals of 0 and 1 (mod 11) both give check digit 0: a known limit of the NIF.
    assert national_id.pt_nif("100000010") and nif_check("10000001") == "0"


@given(bodies8)
def test_pt_nif_generated_is_valid(body):
    assert national_id.is_valid("pt-nif", body + nif_check(body))


@given(bodies8, st.integers(0, 8), st.sampled_from(DIGITS))
def test_pt_nif_single_digit_change_is_invalid(body, index, digit):
    nif = body + nif_check(body)
    assume(nif[index] != digit)
    # A change in the body is always caught unless the check digit is 0 (see the collision test).
    assume(index == 8 or nif[8] != "0")
    assert not national_id.is_valid("pt-nif", substitute(nif, index, digit))


@given(st.integers(0, 99_999_999), st.integers(0, 8), st.sampled_from(DIGITS + "TRWAGMYFPDXBNJZSQVHLCKE"))
def test_es_dni_generated_valid_and_single_change_invalid(number, index, char):
    dni = f"{number:08d}{dni_letter(number)}"
    assert national_id.is_valid("es-dni", dni)
    assume(dni[index] != char and (index == 8) == char.isalpha())
    assert not national_id.is_valid("es-dni", substitute(dni, index, char))


@given(st.sampled_from("XYZ"), st.integers(0, 9_999_999))
def test_es_nie_generated_is_valid(prefix, number):
    letter = dni_letter(int(str("XYZ".index(prefix)) + f"{number:07d}"))
    assert national_id.is_valid("es-dni", f"{prefix}{number:07d}{letter}")


@given(st.text(DIGITS, min_size=1, max_size=20), st.data())
def test_luhn_generated_valid_and_single_change_invalid(body, data):
    number = body + luhn_check(body)
    assert national_id.is_valid("luhn", number)
    index = data.draw(st.integers(0, len(number) - 1))
    digit = data.draw(st.sampled_from(DIGITS))
    assume(number[index] != digit)
    assert not national_id.is_valid("luhn", substitute(number, index, digit))


@given(st.text(DIGITS, min_size=13, max_size=13))
def test_fr_nir_generated_is_valid(body):
    key_ = 97 - int(body) % 97
    assert national_id.is_valid("fr-nir", f"{body}{key_:02d}")


@given(st.sampled_from(sorted(national_id.VALIDATORS)), st.text(max_size=30))
def test_national_id_validators_never_raise(kind, text):
    assert national_id.is_valid(kind, text) in (True, False)


# --- reference numbers ---------------------------------------------------------------------------

ref_bodies = st.text(reference.ALPHABET, min_size=reference.LENGTH - 1, max_size=reference.LENGTH - 1)


def make_ref(body: str) -> str:
    return body + reference._check_char(body)


def test_new_reference_shape():
    for _ in range(50):
        ref = reference.new_reference()
        assert len(ref) == 8 and set(ref) <= set(reference.ALPHABET)
        assert reference.is_valid(ref)
        assert reference.display(ref) == f"{ref[:4]}-{ref[4:]}"
        assert reference.is_valid(reference.display(ref))


def test_reference_examples():
    ref = make_ref("ABC0D1E")
    assert reference.normalise(ref.lower()) == ref
    assert reference.normalise("abco-dle" + ref[-1].lower()) == ref   # o -> 0, l -> 1, dash ignored
    assert reference.normalise("ABCO DIE" + ref[-1]) == ref           # O -> 0, I -> 1, space ignored
    assert reference.normalise("abc0.d1e_" + ref[-1]) == ref
    assert reference.is_valid(reference.display(ref).lower())
    assert reference.normalise("ABC0D1E") is None                     # one character short
    assert reference.normalise("ABC0D1EXX") is None                   # one too many
    assert reference.normalise("ABCUD1E" + ref[-1]) is None           # U is not in the alphabet
    assert reference.normalise("ABC0D1É" + ref[-1]) is None
    assert reference.normalise("") is None and not reference.is_valid("")


@given(ref_bodies)
def test_generated_reference_is_valid(body):
    ref = make_ref(body)
    assert reference.is_valid(ref)
    assert reference.is_valid(reference.display(ref))


@given(ref_bodies, st.integers(0, reference.LENGTH - 1), st.sampled_from(reference.ALPHABET))
def test_reference_single_substitution_is_invalid(body, index, char):
    ref = make_ref(body)
    assume(ref[index] != char)
    assert not reference.is_valid(substitute(ref, index, char))


@given(ref_bodies, st.integers(0, reference.LENGTH - 2))
def test_reference_swapped_neighbours_are_caught(body, index):
    ref = make_ref(body)
    a, b = ref[index], ref[index + 1]
    # Luhn mod 32, like Luhn mod 10 with 09/90, cannot see 0 and Z swapped.
    assume(a != b and {a, b} != {"0", "Z"})
    assert not reference.is_valid(ref[:index] + b + a + ref[index + 2:])


@given(ref_bodies, st.lists(st.sampled_from(["-", " ", ".", "_"]), max_size=3), st.data())
def test_reference_normalise_accepts_how_people_write_it(body, separators, data):
    ref = make_ref(body)
    typed = ref.lower() if data.draw(st.booleans()) else ref
    typed = typed.replace("0", data.draw(st.sampled_from(["0", "O", "o"])))
    typed = typed.replace("1", data.draw(st.sampled_from(["1", "I", "i", "L", "l"])))
    for sep in separators:
        at = data.draw(st.integers(0, len(typed)))
        typed = typed[:at] + sep + typed[at:]
    assert reference.normalise(typed) == ref
    assert reference.is_valid(typed)


@given(st.text(max_size=20))
def test_reference_never_raises(text):
    result = reference.normalise(text)
    assert result is None or (len(result) == 8 and set(result) <= set(reference.ALPHABET))
    assert reference.is_valid(text) in (True, False)


# --- choices ------------------------------------------------------------------------------------

def test_yes_no():
    assert check("yes_no", "yes") == "yes"
    assert check("yes_no", " NO ") == "no"
    assert check("yes_no", True) == "yes" and check("yes_no", False) == "no"
    assert key(check("yes_no", "maybe")) == "choose_one"


def test_single_choice():
    assert check("single_choice", "post") == "post"
    assert key(check("single_choice", "pigeon")) == "choose_one"
    assert key(check("single_choice", ["post"])) == "choose_one"


def test_multiple_choice_keeps_definition_order_and_drops_repeats():
    assert check("multiple_choice", ["email", "post", "email"]) == ["post", "email"]
    assert check("multiple_choice", "counter") == ["counter"]
    assert key(check("multiple_choice", ["post", "pigeon"])) == "choose_from_list"
    assert key(check("multiple_choice", 5)) == "invalid_multiple_choice"


@given(st.lists(st.sampled_from(["post", "counter", "email"]), min_size=1))
def test_multiple_choice_property(chosen):
    result = check("multiple_choice", chosen)
    assert set(result) == set(chosen)
    assert result == [v for v in ("post", "counter", "email") if v in chosen]


# --- robustness: any input, every question type ----------------------------------------------------

TYPES = ["single_choice", "multiple_choice", "yes_no", "short_text", "long_text", "number", "date", "phone",
         "email", "postcode", "national_id"]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=10 ** 300, max_value=10 ** 400),
    st.floats(), st.text(), st.binary(max_size=20), st.dates(), st.datetimes(), st.decimals(),
    st.sampled_from(["yes", "no", "post", "1000-001", "123456789", "2024-02-30", "٣", "¹²³", "ß", "\x00", "\r\n"]),
)
anything = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.tuples(inner, inner), st.dictionaries(st.text(max_size=5), inner, max_size=3),
    st.frozensets(st.integers(), max_size=3)), max_leaves=8)


@settings(max_examples=300)
@given(st.sampled_from(TYPES), anything, st.sampled_from(sorted(national_id.VALIDATORS)),
       st.sampled_from(sorted(postcode.FORMATS)), st.booleans())
@example("number", 10 ** 400, "none", "any", True)
@example("date", dt.datetime(2020, 1, 1, 12), "none", "any", True)
@example("national_id", "¹²³⁴⁵⁶⁷⁸⁹", "pt-nif", "any", True)
def test_validate_never_raises(kind, raw, nid, pc, required):
    p = page(kind, required=required, min=0, max=100 if kind == "number" else None,
             date_range="past" if kind == "date" else "any")
    result = validate(p, raw, national_id_kind=nid, postcode_kind=pc, today=TODAY)
    if isinstance(result, Invalid):
        assert result.key == "required" or result.key in {
            "too_long", "invalid_number", "too_small", "too_large", "invalid_date", "date_in_future",
            "date_in_past", "invalid_phone", "invalid_email", "invalid_postcode", "invalid_national_id",
            "choose_one", "choose_from_list", "unsupported_character", "invalid_" + kind}
    elif result is None:
        assert not required  # only an optional question may be skipped
    else:
        # An accepted answer is plain data (it goes into JSON and XML) and stays accepted as it is.
        assert isinstance(result, (str, int, float, list)) and not isinstance(result, bool)
        if isinstance(result, float):
            assert math.isfinite(result)
        if isinstance(result, str) and kind not in ("short_text", "long_text"):
            assert result.isascii()
        again = validate(p, result, national_id_kind=nid, postcode_kind=pc, today=TODAY)
        assert again == result


@pytest.mark.parametrize("raw", [set(), frozenset(), {}, b""])
def test_empty_collections_are_no_choice(raw):
    assert key(check("multiple_choice", raw)) == "required"
    assert check("multiple_choice", raw, required=False) is None


def test_integer_number_questions_take_whole_numbers_only():
    assert check("number", "3", integer=True) == 3
    assert check("number", "3,0", integer=True) == 3
    assert key(check("number", "2.5", integer=True)) == "invalid_number"
    assert check("number", "2.5") == 2.5


@pytest.mark.parametrize("raw", ["1234567890123456", "12345678901234567890", "0.1234567890123456",
                                 1234567890123456789, "-9999999999999999"])
def test_numbers_with_more_digits_than_are_kept_are_refused(raw):
    # float() would send 12345678901234567168 for 12345678901234567890: not what was typed.
    assert key(check("number", raw)) == "invalid_number"


@pytest.mark.parametrize("raw, expected", [("123456789012345", 123456789012345), ("0.00001", 0.00001),
                                           ("1000000000000000000000", 10 ** 21), (10 ** 20, 10 ** 20)])
def test_numbers_within_the_digits_kept(raw, expected):
    assert check("number", raw) == expected


@given(st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-10 ** 9, max_value=10 ** 9))
def test_an_accepted_number_is_the_number_typed(number):
    from decimal import Decimal
    result = check("number", format(number, "f"))
    assert not isinstance(result, Invalid)
    assert Decimal(repr(result)) == number.normalize() or Decimal(result) == number
