"""What the current screen accepts by voice, and what a recognised phrase means.

A `Grammar` is built from a ScreenContent: the option labels, their numbers,
yes/no, the numbers 1–10 (on number questions) and the commands. Its
`phrases` go to vosk as the recognition grammar (with "[unk]" so out-of-grammar
speech is not forced onto a phrase); `intent(text)` maps what vosk heard to
one of:

    ("choose", option value) | ("number", "n") | ("command", name)

or None when the text is empty, unknown or ambiguous.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from kiosk.screen import ScreenContent
from voice import phrases

Intent = tuple[str, str]
UNK = "[unk]"
YES_VALUES = ("yes", "true", "sim", "oui", "sí", "si")
NO_VALUES = ("no", "false", "não", "non")


@dataclass(frozen=True)
class Grammar:
    language: str
    mapping: dict[str, Intent] = field(default_factory=dict)

    @property
    def phrases(self) -> list[str]:
        return sorted(self.mapping)

    def vosk_grammar(self) -> str:
        return json.dumps(self.phrases + [UNK], ensure_ascii=False)

    def intent(self, text: str) -> Intent | None:
        """The meaning of a recognised text; None if nothing or two different things matched."""
        said = phrases.normalise(text.replace(UNK, " "))
        if not said:
            return None
        if said in self.mapping:
            return self.mapping[said]
        # vosk may join phrases ("다시 여섯") or keep a stray word: accept the
        # text only if every phrase found in it means the same thing.
        tokens = said.split()
        found: set[Intent] = set()
        for phrase, meaning in self.mapping.items():
            p = phrase.split()
            if any(tokens[i:i + len(p)] == p for i in range(len(tokens) - len(p) + 1)):
                found.add(meaning)
        return found.pop() if len(found) == 1 else None

    def describe(self, intent: Intent) -> str:
        """How to say an intent back to the citizen ("You said: Yes")."""
        for phrase, meaning in self.mapping.items():
            if meaning == intent:
                return phrase
        return intent[1]


def _add(mapping: dict[str, Intent], phrase: str, meaning: Intent) -> None:
    phrase = phrases.normalise(phrase)
    if phrase and phrase not in mapping:  # first meaning wins: options before numbers before commands
        mapping[phrase] = meaning


def confirmation_grammar(language: str) -> Grammar:
    """Only yes and no: the answer to "You said X. Is that right?"."""
    mapping: dict[str, Intent] = {}
    for name in phrases.ANSWERS:
        for w in phrases.words(language, name):
            _add(mapping, w, ("command", name))
    return Grammar(language, mapping)


def build_grammar(screen: ScreenContent, language: str | None = None) -> Grammar:
    """The phrases the screen accepts, in `language` (default: the screen's)."""
    lang = language or screen.language
    mapping: dict[str, Intent] = {}
    by_number = {o.number: o for o in screen.options}
    # Option labels, as shown ("Yes", "Rented flat").
    for option in screen.options:
        _add(mapping, option.label, ("choose", option.value))
    # Yes/no words choose a yes/no option when there is one.
    for name, values in (("yes", YES_VALUES), ("no", NO_VALUES)):
        target = next((o for o in screen.options if o.value.lower() in values), None)
        for w in phrases.words(lang, name):
            if target is not None:
                _add(mapping, w, ("choose", target.value))
            elif not screen.options and screen.question_type in ("", "yes_no"):
                _add(mapping, w, ("command", name))
    # Numbers: the number of an option, or a number answer.
    for n in phrases.NUMBERS:
        for w in phrases.number_words(lang, n):
            if n in by_number:
                _add(mapping, w, ("choose", by_number[n].value))
            elif screen.question_type == "number":
                _add(mapping, w, ("number", str(n)))
    for name in screen.commands:
        for w in phrases.words(lang, name):
            _add(mapping, w, ("command", name))
    return Grammar(lang, mapping)
