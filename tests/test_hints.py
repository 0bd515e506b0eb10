"""Hints on optional questions: "You can leave this empty" is said once, by the screen, in every language."""
from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.definition import load_catalogue
from translations import text as tr

SERVICES = Path(__file__).resolve().parent.parent / "kiosk" / "services"

# The word that carries "empty" in each language's "You can leave this empty": the screen's
# sentence has it once, so a hint that paraphrases the sentence makes it appear twice.
EMPTY_WORD = {"en": "empty", "pt": "vazio", "fr": "vide", "es": "vac", "ar": "فارغ"}


def _optional_pages():
    catalogue = load_catalogue([SERVICES])
    assert not catalogue.problems, catalogue.problems
    for service in catalogue.services.values():
        for page in service.pages:
            if not page.required:
                yield service, page


def test_the_sample_services_have_optional_questions() -> None:
    assert len(list(_optional_pages())) >= 4


@pytest.mark.parametrize("language", sorted(EMPTY_WORD))
def test_no_optional_question_says_leave_it_empty_twice(language: str) -> None:
    word = EMPTY_WORD[language]
    sentence = tr(language, "question.optional")
    assert word in sentence.lower(), "the core sentence changed: update EMPTY_WORD"
    twice = []
    for service, page in _optional_pages():
        if language not in service.languages:
            continue
        hint = service.text(page.hint, language)
        # The question screen shows the definition's hint followed by the core sentence.
        rendered = f"{hint} {sentence}".lower()
        if rendered.count(word) > 1:
            twice.append(f"{service.id}/{page.id}: {hint!r}")
    assert not twice, f"'{sentence}' said twice in {language}: {twice}"
