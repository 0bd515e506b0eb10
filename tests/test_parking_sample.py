"""The parking-card sample: a document and a signature, every section the other samples have, easy-read.

Easy-read rules checked on every citizen text of this sample, in every language (Inclusion Europe's
"Information for all"; mediator notes are for the trained helper and exempt): sentences of at most 15 words,
one sentence per hint, numbers written as digits.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from kiosk import status_updates
from kiosk.definition import DATA_NOTICE_PARTS, load_service
from kiosk.journey import STOPPED, Journey
from kiosk.samples import sample_answer
from kiosk.xform import xform_for

SERVICES = Path(__file__).resolve().parents[1] / "kiosk" / "services"
SERVICE = load_service(SERVICES / "disabled-parking-card.yaml")
# The pages the loader adds for status updates: their words are the kiosk's own (translations/updates).
OWN_PAGES = [page for page in SERVICE.pages if page.id not in status_updates.PAGE_IDS]
OTHERS = [load_service(p) for p in sorted(SERVICES.glob("*.yaml")) if p.stem != SERVICE.id]
LANGUAGES = ("en", "pt", "fr", "es", "ar")
MAX_WORDS = 15
# Number words from 2 up (a/one is also an article in most of these languages): write digits instead.
NUMBER_WORDS = {
    "en": "two three four five six seven eight nine ten eleven twelve twenty thirty hundred",
    "pt": "dois duas três quatro cinco seis sete oito nove dez onze doze vinte trinta cem",
    "fr": "deux trois quatre cinq six sept huit neuf dix onze douze vingt trente cent",
    "es": "dos tres cuatro cinco seis siete ocho nueve diez once doce veinte treinta cien",
    "ar": "اثنان اثنين اثنتان ثلاثة ثلاث أربعة أربع خمسة خمس ستة سبعة سبع ثمانية ثماني تسعة تسع عشرة عشرين "
          "ثلاثين مئة",
}


def sentences(text: str) -> list[str]:
    """Sentences of a text: split after . ! ? ؟ (not inside 6.1.e or a web address) and at line ends."""
    parts = re.split(r"(?<=[.!?؟])\s+|\n+", text.strip())
    return [p for p in (part.strip() for part in parts) if p]


def words(sentence: str) -> list[str]:
    return [w for w in sentence.split() if re.search(r"\w", w)]


def citizen_texts(service) -> list[tuple[str, dict[str, str]]]:
    """(where, texts by language) for every text a citizen reads or hears."""
    found = [("title", service.title), ("description", service.description), ("consent", service.consent),
             ("data_use", service.data_use), ("requirements", service.requirements), ("cost", service.cost)]
    found += [(f"data_notice/{part}", service.data_notice[part]) for part in DATA_NOTICE_PARTS]
    found += [(f"after_submit/{k}", v) for k, v in service.after_submit.items() if isinstance(v, dict)]
    for page in OWN_PAGES:
        found += [(f"{page.id}/question", page.question)]
        found += [(f"{page.id}/hint", page.hint)] if page.hint else []
        found += [(f"{page.id}/label", page.label)] if getattr(page, "label", None) else []
        found += [(f"{page.id}/option/{o.value}", o.label) for o in page.options]
        found += [(f"{page.id}/error/{key}", text) for key, text in page.errors.items()]
        if page.stop is not None:
            found += [(f"{page.id}/stop/message", page.stop.message), (f"{page.id}/stop/instead", page.stop.instead)]
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_sentences_are_short_and_numbers_are_digits(language):
    long, spelled = [], []
    numbers = set(NUMBER_WORDS[language].split())
    for where, texts in citizen_texts(SERVICE):
        for sentence in sentences(texts[language]):
            if len(words(sentence)) > MAX_WORDS:
                long.append(f"{where}: {sentence!r} ({len(words(sentence))} words)")
            hits = {w.strip(".,:;!?؟()«»\"'").lower() for w in sentence.split()} & numbers
            if hits:
                spelled.append(f"{where}: {sentence!r} spells {sorted(hits)}")
    assert not long, long
    assert not spelled, spelled


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_hint_is_one_sentence(language):
    several = [f"{page.id}: {page.hint[language]!r}" for page in OWN_PAGES
               if page.hint and len(sentences(page.hint[language])) != 1]
    assert not several, several


def test_it_asks_for_a_document_of_one_to_three_pages_and_a_signature_that_may_be_oral():
    (document,) = [p for p in SERVICE.pages if p.type == "document"]
    (signature,) = [p for p in SERVICE.pages if p.type == "signature"]
    assert (document.document.min_pages, document.document.max_pages) == (1, 3)
    assert signature.oral_alternative
    assert document.personal and signature.personal  # never logged, not read aloud unless asked
    assert document.pictogram.is_file() and signature.pictogram.is_file()


def test_it_has_every_section_the_other_samples_have():
    for other in OTHERS:
        for section in ("pictogram", "data_use", "requirements", "minutes", "cost", "national_id", "postcode",
                        "openrosa"):
            assert bool(getattr(SERVICE, section)) >= bool(getattr(other, section)), (section, other.id)
        assert set(SERVICE.data_notice) == set(other.data_notice) == set(DATA_NOTICE_PARTS)
        assert set(SERVICE.after_submit) >= set(other.after_submit), other.id
        if getattr(other, "status_updates", ()):
            assert SERVICE.status_updates, f"{other.id} offers status updates"
    assert SERVICE.openrosa == {"form_id": "disabled_parking_card", "form_version": "1"}
    assert {p.id for p in OWN_PAGES} <= set(SERVICE.mapping)  # every answer has its field at the IMT
    assert all(page.mediator_notes for page in OWN_PAGES)
    assert any(page.stop is not None for page in SERVICE.pages)  # the eligibility stop: no certificate
    assert any(page.show_if is not None for page in SERVICE.pages)
    for texts in [t for _, t in citizen_texts(SERVICE)] + [p.mediator_notes for p in OWN_PAGES]:
        assert set(texts) == set(LANGUAGES) and all(v.strip() for v in texts.values())


def test_without_a_certificate_the_journey_stops_kindly():
    journey = Journey(SERVICE, "en")
    while journey.page.id != "has_certificate":
        assert journey.next(sample_answer(journey.page, SERVICE)) is None
    journey.next("no")
    assert journey.step == STOPPED and journey.stopped_by is SERVICE.page("has_certificate").stop


def test_the_xform_names_the_sample_form():
    form = xform_for(SERVICE)
    assert 'id="disabled_parking_card"' in form and 'version="1"' in form
    assert 'nodeset="/data/comprovativo_morada"' in form and 'appearance="signature"' in form
