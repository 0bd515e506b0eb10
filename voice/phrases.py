"""The words a citizen may say, per language: numbers 1–10, yes/no and commands.

They live in translations/voice/<lang>.json as `voice.word.<name>` and
`voice.number.<n>`, each a "|"-separated list of accepted phrasings; the first
one is the one the kiosk says aloud ("say one").
"""
from __future__ import annotations

import re
import unicodedata

from translations import table

COMMANDS = ("back", "next", "help", "repeat")
ANSWERS = ("yes", "no")
NUMBERS = range(1, 11)


def _own(language: str, key: str) -> list[str]:
    # No English fallback here: English words in a Korean grammar would only
    # be dropped by the model (or worse, matched).
    value = table(language).get(key, "")
    return [normalise(v) for v in value.split("|") if normalise(v)]


def words(language: str, name: str) -> list[str]:
    """Accepted phrasings of a command or yes/no ("back", "yes"...)."""
    return _own(language, f"voice.word.{name}")


def number_words(language: str, n: int) -> list[str]:
    return _own(language, f"voice.number.{n}")


def has_words(language: str) -> bool:
    return bool(words(language, "yes")) and all(number_words(language, n) for n in NUMBERS)


def spoken_word(language: str, name: str) -> str:
    """The phrasing the kiosk says aloud for a command, answer or number."""
    found = number_words(language, int(name)) if name.isdigit() else words(language, name)
    return found[0] if found else name


_PUNCT = re.compile(r"[^\w\s'-]", re.UNICODE)


def normalise(text: str) -> str:
    """Lower case, no punctuation, single spaces: the form vosk reports words in."""
    text = unicodedata.normalize("NFC", text).lower()
    text = _PUNCT.sub(" ", text)
    return " ".join(text.split())
