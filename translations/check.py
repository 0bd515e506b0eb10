"""Checks that every language has every word of the interface, finished and with the same blanks to fill.

Run by tests/test_translations.py (so CI fails on a missing or unfinished text) and by
`kiosk translations check`. Service content (titles, questions, options) lives in the service
definitions and is checked by `kiosk services check`, which refuses a text missing in a language.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from translations import FALLBACK, ROOT, languages, plural_categories
from translations.ts import _read, areas

PLACEHOLDER = re.compile(r"\{(\w+)\}")
OPTIONAL_FORMS = {"many"}  # CLDR "many" of pt/fr/es: exact millions; "other" stands in (translations/__init__.py)


@dataclass(frozen=True)
class Problem:
    """One missing or unfinished text: where it is and what is wrong, in one line."""

    area: str
    language: str
    key: str
    message: str

    def __str__(self) -> str:
        return f"translations/{self.area}/{self.language}.json: {self.key}: {self.message}"


def problems(root: Path = ROOT, langs: list[str] | None = None) -> list[Problem]:
    """Every text the English files have that a language lacks, leaves empty, or words with other blanks."""
    found: list[Problem] = []
    for language in langs or languages():
        if language == FALLBACK:
            continue
        needed = plural_categories(language) - OPTIONAL_FORMS
        for area in areas(root):
            english, own = _read(root, area, FALLBACK), _read(root, area, language)
            for key, source in english.items():
                target = own.get(key)
                def add(message: str, key: str = key, area: str = area, language: str = language) -> None:
                    found.append(Problem(area, language, key, message))
                if target is None or target == "" or target == {}:
                    add("missing (the English text shows instead)")
                    continue
                if isinstance(source, dict) != isinstance(target, dict):
                    add("plural forms expected" if isinstance(source, dict) else "a plain text expected, not forms")
                    continue
                if isinstance(target, dict):
                    lacking = sorted(c for c in needed if not target.get(c))
                    if lacking:
                        add(f"plural forms missing: {', '.join(lacking)}")
                    src_blanks = set(PLACEHOLDER.findall(source.get("other", "")))
                    texts = [t for c, t in target.items() if c != "_by"]
                else:
                    src_blanks = set(PLACEHOLDER.findall(source))
                    texts = [target]
                for text in texts:
                    extra = set(PLACEHOLDER.findall(text)) - src_blanks
                    if extra:
                        add(f"blank {{{sorted(extra)[0]}}} is not in the English text")
                        break
                if not isinstance(target, dict) and src_blanks - set(PLACEHOLDER.findall(target)):
                    add(f"blank {{{sorted(src_blanks - set(PLACEHOLDER.findall(target)))[0]}}} of the English "
                        "text is missing")
            for key in own:
                if key not in english:
                    found.append(Problem(area, language, key, "not in the English file (renamed or removed?)"))
    return found
