"""The journey engine: moving through pages, conditions, check answers, language, finishing.

Runs on the sample services and on small definitions written to tmp_path. No Qt.
All answers are fake (the NIFs are made-up numbers with a valid check digit).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from kiosk.definition import Service, load_service
from kiosk.journey import CHECK, DONE, QUESTION, STOPPED, Journey, JourneyError
from kiosk.samples import sample_answer
from kiosk.validators import Invalid

SERVICES = Path(__file__).resolve().parent.parent / "kiosk" / "services"
TODAY = dt.date(2026, 11, 23)
FAKE_NIF = "123456789"      # made up; valid check digit
OTHER_FAKE_NIF = "100000002"

INLINE = textwrap.dedent("""\
    format: 1
    id: inline
    version: 1
    languages: [en, pt]
    title: {en: Inline, pt: Em linha}
    description: {en: A test service., pt: Um serviço de teste.}
    destination: test
    consent: {en: I agree., pt: Concordo.}
    pages:
      - id: pets
        type: yes_no
        question: {en: "Do you have pets?", pt: "Tem animais?"}
      - id: kinds
        type: multiple_choice
        show_if: {page: pets, equals: "yes"}
        question: {en: "Which pets?", pt: "Que animais?"}
        options:
          - {value: dog, label: {en: Dog, pt: Cão}}
          - {value: cat, label: {en: Cat, pt: Gato}}
          - {value: bird, label: {en: Bird, pt: Pássaro}}
      - id: dog_name
        type: short_text
        show_if: {page: kinds, contains: dog}
        question: {en: "What is your dog called?", pt: "Como se chama o cão?"}
      - id: age
        type: number
        min: 0
        max: 120
        question: {en: "How old are you?", pt: "Que idade tem?"}
      - id: note
        type: long_text
        required: false
        question: {en: "Anything else?", pt: "Mais alguma coisa?"}
    data_notice: {controller: {en: The test office., pt: O serviço de teste.}, purpose: {en: To test., pt: Para testar.}, legal_basis: {en: A law., pt: Uma lei.}, retention: {en: One year., pt: Um ano.}, rights: {en: See and correct your data., pt: Ver e corrigir os dados.}, contact: {en: test@example.org, pt: test@example.org}}
    """)


@pytest.fixture
def inline(tmp_path) -> Service:
    path = tmp_path / "inline.yaml"
    path.write_text(INLINE, encoding="utf-8")
    return load_service(path)


def sample(name: str) -> Service:
    return load_service(SERVICES / f"{name}.yaml")


def journey(service: Service, language: str = "en") -> Journey:
    return Journey(service, language, today=TODAY)


def ids(j: Journey) -> list[str]:
    return [p.id for p in j.visible_pages()]


def go_through(j: Journey, answers: dict) -> None:
    """Answer pages in order until check answers, from `answers` (page id -> raw)."""
    while j.step == QUESTION:
        problem = j.next(answers[j.page.id])
        assert problem is None, (j.page.id, problem)


ADDRESS_ANSWERS = {
    "nif": FAKE_NIF, "full_name": "Ana Exemplo Teste", "date_moved": "01/10/2026", "new_postcode": "1000001",
    "new_address": "Rua do Exemplo 1, 2.º Esq.", "others_moved": "no", "people_count": "2",
    "phone": "", "email": "ana.exemplo@example.com",
}


# --- moving forward and back ------------------------------------------------------

def test_starts_on_the_first_page(inline):
    j = journey(inline)
    assert j.step == QUESTION and j.page.id == "pets"
    # "kinds" and "dog_name" may still be asked (they depend on answers not given yet): counted.
    assert j.progress() == (1, 5)
    assert j.back() is False
    assert j.page.id == "pets"


def test_unknown_language_is_refused(inline):
    with pytest.raises(JourneyError):
        Journey(inline, "ar")


def test_next_and_back(inline):
    j = journey(inline)
    assert j.next("no") is None
    assert j.page.id == "age"
    assert j.progress() == (2, 3)
    assert j.back() is True
    assert j.page.id == "pets"
    assert j.next() is None  # the stored answer is reused
    assert j.page.id == "age"


def test_validation_error_blocks_next(inline):
    j = journey(inline)
    assert j.next("maybe") == Invalid("choose_one")
    assert j.page.id == "pets" and j.error == Invalid("choose_one")
    assert j.next() == Invalid("choose_one")  # the refused raw answer is not accepted later either
    assert j.next("") == Invalid("required")
    assert j.next("yes") is None and j.error is None
    assert j.page.id == "kinds"
    assert j.next([]) == Invalid("required")
    assert j.next(["fish"]) == Invalid("choose_from_list")
    assert j.page.id == "kinds"


def test_number_limits_block_next(inline):
    j = journey(inline)
    j.next("no")
    assert j.next("121") == Invalid("too_large", {"max": 120})
    assert j.next("-1") == Invalid("too_small", {"min": 0})
    assert j.next("forty") == Invalid("invalid_number")
    assert j.page.id == "age"
    assert j.next("40") is None
    assert j.page.id == "note"


def test_answer_records_without_moving(inline):
    j = journey(inline)
    assert j.answer("yes") is None
    assert j.page.id == "pets"
    assert ids(j) == ["pets", "kinds", "age", "note"]
    assert j.raw["pets"] == "yes"


def test_optional_page_can_be_skipped(inline):
    j = journey(inline)
    go_through(j, {"pets": "no", "age": "40", "note": "   "})
    assert j.step == CHECK
    assert j.answers == {"pets": "no", "age": 40}
    assert [(r.page.id, r.value) for r in j.summary()] == [("pets", "no"), ("age", 40), ("note", None)]
    assert j.is_complete()


# --- conditional pages --------------------------------------------------------------

def test_conditional_pages_appear_and_disappear(inline):
    j = journey(inline)
    assert ids(j) == ["pets", "age", "note"]
    j.next("yes")
    assert ids(j) == ["pets", "kinds", "age", "note"]
    j.next(["cat", "dog"])
    assert j.page.id == "dog_name"
    assert ids(j) == ["pets", "kinds", "dog_name", "age", "note"]
    assert j.progress() == (3, 5)
    j.next("Rex")
    assert j.page.id == "age"
    j.back()
    j.back()
    assert j.page.id == "kinds"
    j.next(["cat"])
    assert j.page.id == "age"  # dog_name is hidden again
    assert ids(j) == ["pets", "kinds", "age", "note"]


def test_hidden_answers_are_not_submitted(inline):
    j = journey(inline)
    go_through(j, {"pets": "yes", "kinds": ["dog"], "dog_name": "Rex", "age": "40", "note": "Hello"})
    assert j.answers == {"pets": "yes", "kinds": ["dog"], "dog_name": "Rex", "age": 40, "note": "Hello"}
    j.change("pets")
    j.next("no")
    assert j.step == CHECK
    assert j.answers == {"pets": "no", "age": 40, "note": "Hello"}
    assert "kinds" not in j.answers and "dog_name" not in j.answers
    assert [r.page.id for r in j.summary()] == ["pets", "age", "note"]
    # The hidden answers are kept in memory: changing back shows them again.
    j.change("pets")
    j.next("yes")
    assert j.step == CHECK
    assert j.answers["dog_name"] == "Rex"


def test_chained_condition_needs_the_middle_page_visible(inline):
    j = journey(inline)
    go_through(j, {"pets": "yes", "kinds": ["dog"], "dog_name": "Rex", "age": "40", "note": ""})
    j.change("pets")
    j.next("no")
    # kinds is hidden, so its answer (which contains dog) must not show dog_name.
    page = next(p for p in inline.pages if p.id == "dog_name")
    assert not j.is_visible(page)


def test_change_of_address_conditional_count():
    j = journey(sample("change-of-address"))
    go_through(j, dict(ADDRESS_ANSWERS, others_moved="yes"))
    assert j.answers["people_count"] == 2
    assert j.answers["new_postcode"] == "1000-001"
    assert "phone" not in j.answers
    j.change("others_moved")
    j.next("no")
    assert "people_count" not in j.answers


def test_birth_certificate_branches():
    j = journey(sample("birth-certificate"))
    assert j.next("mine") is None
    assert j.next("yes") is None  # registered in Portugal: this kiosk can help
    assert j.next(FAKE_NIF) is None
    assert j.page.id == "date_of_birth"  # no name or relation for your own certificate
    j.next("1960-05-04")
    j.next("Lisboa, Portugal")
    assert j.next("email") is None
    assert j.page.id == "delivery_email"
    j.next("ana.exemplo@example.com")
    assert j.page.id == "status_updates"  # the kiosk's optional page: this service offers status updates
    j.next(None)
    assert j.step == CHECK
    assert set(j.answers) == {"whose", "registered_in_portugal", "nif", "date_of_birth", "place_of_birth",
                              "delivery", "delivery_email"}
    j.change("whose")
    j.next("someone_else")
    assert j.page.id == "person_name"
    j.next("Rui Exemplo")
    assert j.page.id == "relation"
    j.next("parent")
    assert j.step == CHECK
    j.change("delivery")
    j.next("post")
    assert j.page.id == "delivery_postcode"
    j.next("4000-123")
    j.next("Rua Falsa 10")
    assert j.step == CHECK
    assert "delivery_email" not in j.answers
    assert j.answers["delivery_postcode"] == "4000-123"


def test_social_tariff_contains_condition():
    j = journey(sample("social-energy-tariff"))
    j.next(OTHER_FAKE_NIF)
    j.next(["unemployment"])
    assert j.page.id == "people_home"
    j.back()
    j.next(["none"])
    assert j.page.id == "yearly_income"
    j.next("5 000")
    assert j.answers["yearly_income"] == 5000


# --- check answers and change ------------------------------------------------------------

def test_change_returns_to_check(inline):
    j = journey(inline)
    go_through(j, {"pets": "no", "age": "40", "note": ""})
    j.change("age")
    assert j.step == QUESTION and j.page.id == "age" and j.returning_to_check
    assert j.next("41") is None
    assert j.step == CHECK
    assert j.answers["age"] == 41


def test_change_visits_a_newly_shown_page_first(inline):
    j = journey(inline)
    go_through(j, {"pets": "no", "age": "40", "note": ""})
    j.change("pets")
    j.next("yes")
    assert j.step == QUESTION and j.page.id == "kinds"
    j.next(["dog"])
    assert j.page.id == "dog_name"
    j.next("Rex")
    assert j.step == CHECK  # age and note already have answers
    assert j.is_complete()


def test_change_with_the_same_answer_goes_straight_back(inline):
    j = journey(inline)
    go_through(j, {"pets": "no", "age": "40", "note": ""})
    j.change("note")
    assert j.next() is None
    assert j.step == CHECK


def test_change_refused_answer_keeps_you_on_the_page(inline):
    j = journey(inline)
    go_through(j, {"pets": "no", "age": "40", "note": ""})
    j.change("age")
    assert j.next("200") == Invalid("too_large", {"max": 120})
    assert j.step == QUESTION and j.page.id == "age"


def test_back_during_change_cancels_it(inline):
    j = journey(inline)
    go_through(j, {"pets": "no", "age": "40", "note": ""})
    j.change("age")
    assert j.answer("200") is not None  # refused
    assert j.back() is True
    assert j.step == CHECK
    assert j.answers["age"] == 40 and j.is_complete()


def test_back_from_a_newly_shown_page_during_change(inline):
    j = journey(inline)
    go_through(j, {"pets": "no", "age": "40", "note": ""})
    j.change("pets")
    j.next("yes")
    assert j.page.id == "kinds"
    assert j.back() is True
    assert j.page.id == "pets" and j.returning_to_check  # back to the question being changed
    assert j.back() is True
    assert j.step == CHECK
    assert j.answers == {"pets": "no", "age": 40}
    assert j.is_complete()
    j.give_consent()
    j.finish()
    assert j.step == DONE


def test_back_from_check_goes_to_the_last_page(inline):
    j = journey(inline)
    go_through(j, {"pets": "no", "age": "40", "note": ""})
    assert j.back() is True
    assert j.step == QUESTION and j.page.id == "note" and not j.returning_to_check


def test_change_outside_check_is_an_error(inline):
    j = journey(inline)
    with pytest.raises(JourneyError):
        j.change("age")


def test_change_of_a_hidden_or_unknown_page_is_an_error(inline):
    j = journey(inline)
    go_through(j, {"pets": "no", "age": "40", "note": ""})
    with pytest.raises(JourneyError):
        j.change("kinds")
    with pytest.raises(KeyError):
        j.change("no_such_page")
    assert j.step == CHECK


def test_no_question_on_check(inline):
    j = journey(inline)
    go_through(j, {"pets": "no", "age": "40", "note": ""})
    assert j.page is None
    assert j.progress() == (3, 3)
    with pytest.raises(JourneyError):
        j.answer("x")
    with pytest.raises(JourneyError):
        j.next("x")


# --- language -----------------------------------------------------------------------------

def test_language_switch_keeps_answers():
    j = journey(sample("change-of-address"), "pt")
    j.next(FAKE_NIF)
    j.next("Ana Exemplo")
    j.set_language("ar")
    assert j.language == "ar"
    assert j.page.id == "date_moved"
    assert j.answers == {"nif": FAKE_NIF, "full_name": "Ana Exemplo"}
    j.back()
    j.set_language("fr")
    assert j.page.id == "full_name" and j.raw["full_name"] == "Ana Exemplo"
    with pytest.raises(JourneyError):
        j.set_language("de")
    assert j.language == "fr"


def test_language_switch_at_check(inline):
    j = journey(inline, "pt")
    go_through(j, {"pets": "no", "age": "40", "note": ""})
    j.set_language("en")
    assert j.step == CHECK and j.answers == {"pets": "no", "age": 40}


# --- finishing -------------------------------------------------------------------------------

def test_finish_needs_consent(inline):
    j = journey(inline)
    go_through(j, {"pets": "no", "age": "40", "note": ""})
    with pytest.raises(JourneyError, match="consent"):
        j.finish()
    j.give_consent()
    j.finish()
    assert j.step == DONE
    with pytest.raises(JourneyError):
        j.finish()
    with pytest.raises(JourneyError):
        j.change("age")


def test_consent_can_be_withdrawn(inline):
    j = journey(inline)
    go_through(j, {"pets": "no", "age": "40", "note": ""})
    j.give_consent()
    j.give_consent(False)
    with pytest.raises(JourneyError):
        j.finish()


def test_finish_needs_check_and_completeness(inline):
    j = journey(inline)
    j.give_consent()
    with pytest.raises(JourneyError):
        j.finish()
    j.next("no")
    with pytest.raises(JourneyError):
        j.finish()
    assert not j.is_complete()


def test_full_journey_on_every_sample():
    answers = {
        "change-of-address": ADDRESS_ANSWERS,
        "birth-certificate": {"whose": "my_child", "registered_in_portugal": "yes", "nif": FAKE_NIF, "person_name": "Bebé Exemplo",
                              "date_of_birth": "2024-02-29", "place_of_birth": "Porto, Portugal",
                              "delivery": "counter", "status_updates": "none"},
        "social-energy-tariff": {"nif": FAKE_NIF, "benefits": ["old_age_supplement", "disability"],
                                 "people_home": "2", "energy": "both", "supplier": "dont_know",
                                 "contract_holder": "yes", "home_postcode": "4000-123", "anything_else": "",
                                 "phone": "+351 900 000 000", "status_updates": "none"},
    }
    for name, given in answers.items():
        j = journey(sample(name))
        go_through(j, given)
        assert j.is_complete()
        assert set(j.answers) <= set(given)
        j.give_consent()
        j.finish()
        assert j.step == DONE


def test_clock_is_injectable(inline):
    moment = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.timezone.utc)
    j = Journey(inline, "en", clock=lambda: moment)
    assert j.started_at == moment and j.now() == moment


# --- any sequence of actions keeps the journey sound ---------------------------------------------

def candidate_answers(page) -> list:
    """Valid, invalid and blank raw answers for a page of any type (all fake)."""
    common = ["", None, "?", 12, ["x"]]
    by_type = {
        "yes_no": ["yes", "no", "YES", True, "maybe"],
        "short_text": ["Ana Exemplo", "x" * 200],
        "long_text": ["Some words\nover two lines", "x" * 2000],
        "number": ["1", "2", "0", "25", "3,5", "-1", "many"],
        "date": ["2020-01-31", "31/12/2019", "2099-01-01", "30/02/2020"],
        "phone": ["912345678", "+351 900 000 000", "12"],
        "email": ["ana.exemplo@example.com", "not-an-email"],
        "postcode": ["1000-001", "4000123", "ABC"],
        "national_id": [FAKE_NIF, OTHER_FAKE_NIF, "123456788"],
    }
    if page.options:
        values = [o.value for o in page.options]
        if page.type == "single_choice":
            return common + values + ["not_an_option"]
        return common + [[v] for v in values] + [values, values[:2], ["not_an_option"], []]
    return common + by_type[page.type]


class JourneyMachine(RuleBasedStateMachine):
    """Random citizens: answer, next, back, change, switch language, consent, finish."""

    def __init__(self):
        super().__init__()
        self.j: Journey | None = None
        self.passed_over = False

    @initialize(name=st.sampled_from(["change-of-address", "birth-certificate", "social-energy-tariff"]),
                language=st.sampled_from(["en", "pt", "fr", "es", "ar"]))
    def start(self, name, language):
        self.j = journey(_SAMPLES[name], language)

    @rule(data=st.data())
    def answer(self, data):
        if self.j.step != QUESTION:
            with pytest.raises(JourneyError):
                self.j.answer("x")
            return
        raw = data.draw(st.sampled_from(candidate_answers(self.j.page)))
        result = self.j.answer(raw)
        assert result is None or isinstance(result, Invalid)

    @rule(data=st.data(), with_value=st.booleans())
    def next(self, data, with_value):
        if self.j.step != QUESTION:
            with pytest.raises(JourneyError):
                self.j.next()
            return
        before = self.j.page.id
        if with_value:
            result = self.j.next(data.draw(st.sampled_from(candidate_answers(self.j.page))))
        else:
            result = self.j.next()
        if result is not None:
            assert isinstance(result, Invalid)
            assert self.j.step == QUESTION and self.j.page.id == before

    @rule()
    def next_with_a_good_answer(self):
        """Like a citizen who gets it right: makes reaching check answers likely."""
        if self.j.step != QUESTION:
            return
        before = self.j.page.id
        for raw in candidate_answers(self.j.page)[5:]:
            if self.j.answer(raw) is None:
                assert self.j.next() is None
                assert self.j.step != QUESTION or self.j.page.id != before
                return
        raise AssertionError(f"no candidate answer accepted for {before}")

    @rule()
    def pass_over(self):
        if self.j.step != QUESTION:
            with pytest.raises(JourneyError):
                self.j.pass_over()
            return
        self.passed_over = True
        self.j.pass_over()

    @rule()
    def back(self):
        if self.j.step == DONE:
            with pytest.raises(JourneyError):
                self.j.back()
            return
        assert self.j.back() in (True, False)

    @rule(data=st.data())
    def change(self, data):
        page_id = data.draw(st.sampled_from([p.id for p in self.j.service.pages]))
        visible = page_id in [p.id for p in self.j.visible_pages()]
        if self.j.step == CHECK and visible:
            self.j.change(page_id)
            assert self.j.step == QUESTION and self.j.page.id == page_id
        else:
            with pytest.raises(JourneyError):
                self.j.change(page_id)

    @rule(language=st.sampled_from(["en", "pt", "fr", "es", "ar", "de"]))
    def set_language(self, language):
        before = dict(self.j.answers)
        if language == "de":
            with pytest.raises(JourneyError):
                self.j.set_language(language)
        else:
            self.j.set_language(language)
            assert self.j.language == language
        assert self.j.answers == before

    @rule(given=st.booleans())
    def consent(self, given):
        self.j.give_consent(given)

    @rule()
    def finish(self):
        ready = self.j.step == CHECK and self.j.is_complete() and self.j.consent_given
        if ready:
            self.j.finish()
            assert self.j.step == DONE
        else:
            with pytest.raises(JourneyError):
                self.j.finish()

    @invariant()
    def sound(self):
        if self.j is None:
            return
        j = self.j
        assert j.step in (QUESTION, CHECK, DONE, STOPPED)
        if j.step == STOPPED:
            return
        visible = [p.id for p in j.visible_pages()]
        assert set(j.answers) <= set(visible)
        assert None not in j.answers.values()
        n, total = j.progress()
        # The total also counts pages still open (their condition waits on an unanswered page).
        assert 1 <= n <= total and total >= len(visible)
        if j.step != QUESTION:
            assert total == len(visible)
        if j.step == QUESTION:
            assert j.page.id in visible  # the page on screen is always one that should be shown
        else:
            assert j.page is None and not j.returning_to_check
        if j.step == DONE or (j.step == CHECK and not self.passed_over):
            assert j.is_complete()  # check answers is only reached with every shown page answered
        # A page is shown only if its condition holds on the answers of the pages shown before it.
        for p in j.visible_pages():
            if p.show_if:
                assert p.show_if.page in visible[:visible.index(p.id)]
                assert p.show_if.holds(j.answers)


_SAMPLES = {name: sample(name) for name in ("change-of-address", "birth-certificate", "social-energy-tariff")}

JourneyMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=40, deadline=None,
                                            suppress_health_check=[HealthCheck.too_slow])
TestJourneyMachine = JourneyMachine.TestCase


def test_an_eligibility_answer_stops_kindly_and_back_returns_to_it():
    service = sample("birth-certificate")
    j = journey(service)
    j.next("mine")
    assert j.page.id == "registered_in_portugal"
    assert j.next("no") is None
    assert j.step == STOPPED and j.page is None
    assert "Portugal" in service.text(j.stopped_by.message, "en")
    assert service.text(j.stopped_by.instead, "pt")  # what to do instead, in every language
    with pytest.raises(JourneyError):
        j.next()
    assert j.back() is True
    assert j.step == QUESTION and j.page.id == "registered_in_portugal" and j.stopped_by is None
    assert j.next("yes") is None and j.page.id == "nif"


def test_progress_total_never_grows_going_forward():
    """"1 of 8" must not become "6 of 9": pages that may still be asked are counted from the start."""
    for name in ("change-of-address", "birth-certificate", "social-energy-tariff"):
        j = journey(sample(name))
        totals = []
        given = {"whose": "someone_else", "others_moved": "yes", "benefits": ["none"], "delivery": "email"}
        for _ in range(len(j.service.pages) + 1):
            if j.step != QUESTION:
                break
            n, total = j.progress()
            totals.append(total)
            page = j.page
            value = given.get(page.id, sample_answer(page, j.service))
            assert j.next(value) is None, page.id
        assert totals == sorted(totals, reverse=True), f"{name}: {totals}"
        assert j.step == CHECK


@pytest.mark.parametrize("language", ["en", "pt", "fr", "es", "ar"])
def test_every_required_question_has_a_specific_error_in_every_language(language):
    """GOV.UK style: "Enter your tax number (NIF)", not "Please answer this question." everywhere."""
    from kiosk.screen import error_text
    from kiosk.validators import Invalid
    from translations import table, text

    generic = text(language, "error.required")
    for name in ("change-of-address", "birth-certificate", "social-energy-tariff"):
        service = sample(name)
        for page in service.pages:
            if not page.required:
                continue
            message = error_text(service, page, Invalid("required"), language)
            assert message and message != generic, f"{name}/{page.id}: {message}"
            assert "{" not in message, message
            if language != "en":
                assert message not in table("en").values(), f"{name}/{page.id} is English in {language}"


def test_error_messages_name_the_question_and_the_rule():
    from kiosk.screen import error_text
    from kiosk.validators import Invalid

    address = sample("change-of-address")
    assert error_text(address, address.page("nif"), Invalid("required"), "en") == "Enter your tax number (NIF)."
    assert "9" in error_text(address, address.page("nif"), Invalid("invalid_national_id"), "pt")
    assert error_text(address, address.page("full_name"), Invalid("required"), "en") == "Enter your full name."
    assert error_text(address, address.page("full_name"), Invalid("required"), "pt") == "Escreva o seu nome completo."
    assert error_text(address, address.page("others_moved"), Invalid("required"), "fr") == "Choisissez Oui ou Non."
    # The definition's own words win over the kiosk's.
    page = dataclasses.replace(address.page("phone"), errors={"invalid_phone": {"en": "Nine digits, please."}})
    assert error_text(address, page, Invalid("invalid_phone"), "en") == "Nine digits, please."
