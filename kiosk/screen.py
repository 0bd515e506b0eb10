"""What one screen says, as plain data: for the screen, the voice and the mediator.

The UI builds a `ScreenContent` every time the screen changes; voice guidance
reads it aloud and builds its recognition grammar from it, the mediator panel
shows it. Keeping it here (no Qt) lets all three be tested without a display.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from translations import has_text
from translations import text as tr

# Screen kinds, in the order a citizen meets them (STOPPED: an eligibility answer ends the journey).
ATTRACT, LANGUAGE, SERVICES, START, QUESTION, CHECK, DONE = (
    "attract", "language", "services", "start", "question", "check", "done")
STOPPED = "stopped"


@dataclass(frozen=True)
class SpokenOption:
    """One thing the citizen can choose on this screen: by touch, by number or by name."""

    number: int
    value: str
    label: str


@dataclass(frozen=True)
class ScreenContent:
    kind: str
    language: str
    title: str
    body: str = ""
    hint: str = ""
    error: str = ""
    options: tuple[SpokenOption, ...] = ()
    question_type: str = ""  # for QUESTION screens: the page's type
    reference: str = ""  # for DONE: the reference number, undecorated
    personal: bool = False  # the answer on this screen identifies a person
    answer: str = ""  # the current answer as text (may be personal: see `personal`)
    commands: tuple[str, ...] = field(default=("back", "next", "help", "repeat"))


def error_text(service, page, problem, language: str) -> str:
    """Why an answer was refused, in words, as specific as we can make it (GOV.UK style: "Enter your
    tax number", "Your tax number has 9 digits"). In order: the definition's own wording for this
    question and error; the kiosk's wording naming the question's `label` ("Enter your full name");
    the kiosk's wording for this error and this kind of question or national ID; the general one.
    For the screen, the voice and the command line."""
    custom = page.errors.get(problem.key) if page is not None else None
    if custom:
        return service.text(custom, language)
    params = dict(problem.params)
    keys = []
    if page is not None:
        label = getattr(page, "label", None) or {}
        if label and page.type in ("short_text", "long_text"):  # "Enter your full name"
            params["label"] = service.text(label, language)
            keys.append(f"error.{problem.key}.labelled")
        if page.type == "national_id":
            keys.append(f"error.{problem.key}.national_id.{service.national_id}")
        keys.append(f"error.{problem.key}.{page.type}")
    keys.append(f"error.{problem.key}")
    for key in keys:
        if has_text(language, key):
            return tr(language, key, **params)
    return tr(language, "error.required" if problem.key == "required" else "error.title")
