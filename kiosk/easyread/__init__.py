"""Easy-read rules for what a citizen reads, checked by machine (`kiosk services check`).

The rules are Inclusion Europe's "Information for all" as far as a program can check them:

- errors (the service is refused until they are fixed):
  - a sentence of more than 15 words;
  - a hint line holding more than one sentence (one idea, one line);
  - a word from the language's jargon list (kiosk/easyread/words.toml);
  - a small number written as a word ("two copies" → "2 copies");
  - an abbreviation not explained at its first use in the language ("NIF (your tax number)"); the list of
    abbreviations everyone knows (SMS, PIN …) is in words.toml;
  - a question whose answer has a format (date, phone, email, postcode, ID number, number) without a hint;
- warnings (shown, not refused): a readability score under the threshold, where a formula for the language
  exists: Flesch (English), Kandel and Moles (French), Fernández Huerta (Spanish), and the adaptation of
  Flesch to Portuguese by Martins et al. (1996). Arabic has no formula here.

Mediator notes are written for staff and are exempt. Syllables are counted as groups of vowels (a silent
final "e" in English and French dropped): an approximation, good enough for a warning, never for a refusal.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

MAX_WORDS = 15
FORMAT_TYPES = ("date", "phone", "email", "postcode", "national_id", "number")
EXEMPT = ("mediator_notes", "mapping", "openrosa", "id", "destination", "pictogram", "national_id",
          "postcode", "format", "version", "languages", "type", "value", "show_if", "document", "status_updates")
WORDS_FILE = Path(__file__).with_name("words.toml")
# Where a citizen reads a definition's texts: the start page, then the questions, then the check screen's
# consent, then the confirmation.
READING_ORDER = ["title", "description", "requirements", "minutes", "cost", "data_notice", "data_use", "pages",
                 "consent", "after_submit"]
# Readability formulas: (constant, per words-per-sentence, per syllables-per-word) and the warning threshold.
FORMULAS = {
    "en": (206.835, 1.015, 84.6, 60),   # Flesch (1948)
    "fr": (207.0, 1.015, 73.6, 60),     # Kandel and Moles (1958)
    "es": (206.84, 1.02, 60.0, 60),     # Fernández Huerta (1959), as corrected
    "pt": (248.835, 1.015, 84.6, 50),   # Flesch adapted by Martins et al. (1996); higher baseline
}
VOWELS = "aeiouyáàâãäéèêëíìîïóòôõöúùûüœæ"
SENTENCE_END = re.compile(r"(?<=[.!?؟])\s+")
WORD = re.compile(r"[^\W\d_][\w'’-]*|\d[\d.,:/-]*", re.UNICODE)
ADDRESS = re.compile(r"\S+@\S+\.\w+|https?://\S+|www\.\S+")  # an email or web address reads as one word
ABBREVIATION = re.compile(r"\b[A-Z]{2,6}\b")


@dataclass(frozen=True)
class Finding:
    """One breach: where (a path in the definition), the language, the rule broken and the text concerned."""

    path: tuple[Any, ...]
    language: str
    level: str  # "error" or "warning"
    message: str


@lru_cache(maxsize=None)
def word_lists() -> dict[str, dict[str, list[str]]]:
    """{language: {"jargon": [...], "numbers": [...], "known": [...]}} from words.toml."""
    return tomllib.loads(WORDS_FILE.read_text(encoding="utf-8"))


def texts(doc: Any, languages: tuple[str, ...], path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple, str, str]]:
    """(path, language, text) of every citizen text of a parsed definition (mediator notes left out)."""
    if isinstance(doc, dict):
        keys = set(doc)
        if keys and keys <= set(languages) and all(isinstance(v, str) for v in doc.values()):
            for language, text in doc.items():
                yield path, language, text
            return
        # The order a citizen meets them in, so "explained at first use" follows the reading order.
        for key in sorted(doc, key=lambda k: READING_ORDER.index(k) if not path and k in READING_ORDER else 99):
            if key in EXEMPT:
                continue
            yield from texts(doc[key], languages, (*path, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            yield from texts(value, languages, (*path, i))


def sentences(text: str) -> list[str]:
    return [s for line in text.splitlines() for s in SENTENCE_END.split(line.strip()) if s.strip()]


def words(text: str) -> list[str]:
    return WORD.findall(ADDRESS.sub("address", text))


def syllables(word: str, language: str) -> int:
    word = word.lower()
    groups = re.findall(f"[{VOWELS}]+", word)
    count = len(groups)
    if language in ("en", "fr") and word.endswith("e") and count > 1 and not word.endswith(("le", "ée")):
        count -= 1
    return max(1, count)


def readability(text: str, language: str) -> float | None:
    """The language's reading-ease score of a text (higher is easier), None without a formula."""
    if language not in FORMULAS:
        return None
    said = [w for w in words(text) if not w[0].isdigit()]
    parts = sentences(text)
    if not said or not parts:
        return None
    base, per_sentence, per_syllable, _ = FORMULAS[language]
    return base - per_sentence * len(said) / len(parts) - per_syllable * sum(syllables(w, language)
                                                                              for w in said) / len(said)


def check(doc: dict, languages: tuple[str, ...]) -> list[Finding]:
    """Every easy-read breach in a parsed definition."""
    lists = word_lists()
    found: list[Finding] = []
    explained: dict[str, set[str]] = {lang: set() for lang in languages}
    by_language: dict[str, list[str]] = {lang: [] for lang in languages}
    for path, language, text in texts(doc, languages):
        own = lists.get(language, {})
        by_language.setdefault(language, []).append(text)

        def add(message: str, level: str = "error", path: tuple = path, language: str = language) -> None:
            found.append(Finding(path, language, level, message))

        for sentence in sentences(text):
            count = len(words(sentence))
            if count > MAX_WORDS:
                add(f"{count} words in one sentence (at most {MAX_WORDS}): \"{_short(sentence)}\"")
        if path and path[-1] == "hint":
            for line in text.splitlines():
                if len(sentences(line)) > 1:
                    add(f"one sentence per hint line: \"{_short(line)}\"")
        lowered = f" {text.lower()} "
        for term in own.get("jargon", []):
            if re.search(rf"(?<![\w]){re.escape(term.lower())}(?![\w])", lowered):
                add(f"'{term}' is on the {language} jargon list (kiosk/easyread/words.toml); say it plainly")
        tokens = [w.lower() for w in words(text)]
        articles = set(own.get("articles", []))  # "les deux", "as duas": "both", not a count
        for i, token in enumerate(tokens):
            if token in own.get("numbers", []) and not (i and tokens[i - 1] in articles):
                add(f"write numbers as digits: '{token}' in \"{_short(text)}\"")
        known = set(lists.get("all", {}).get("known", [])) | set(own.get("known", []))
        for match in ABBREVIATION.finditer(text):
            abbreviation = match.group()
            if abbreviation in known or abbreviation in explained[language]:
                continue
            explained[language].add(abbreviation)
            after, before = text[match.end():match.end() + 2], text[max(0, match.start() - 1):match.start()]
            # Explained: "NIF (your tax number)", "the CNPD, the data protection authority", "(NIF)" after the words.
            if not (after.startswith((" (", " –", " -", ":", ", ", "، ")) or before == "("):
                add(f"explain '{abbreviation}' where it is first used, e.g. \"{abbreviation} (…)\"")
    for i, page in enumerate(doc.get("pages") or []):
        if isinstance(page, dict) and page.get("type") in FORMAT_TYPES and not page.get("hint"):
            found.append(Finding(("pages", i, "type"), languages[0] if languages else "", "error",
                                 f"a {page.get('type')} question needs a hint that shows the format expected"))
    for language, all_texts in by_language.items():
        score = readability("\n".join(all_texts), language)
        if score is not None and score < FORMULAS[language][3]:
            found.append(Finding(("title",), language, "warning",
                                 f"reading ease {score:.0f} is under {FORMULAS[language][3]} ({language}): "
                                 "shorter words and sentences"))
    return found


def _short(text: str, limit: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def service_findings(services: Any) -> list[tuple[Any, Finding, int | None]]:
    """(service, finding, line in its file) for every easy-read breach of these services (kiosk.definition
    Service objects); the files are parsed again for their lines."""
    from kiosk.definition import DefinitionError, _line_of, parse
    out: list[tuple[Any, Finding, int | None]] = []
    for service in services:
        try:
            doc = parse(Path(service.source).read_text(encoding="utf-8"), str(service.source))
        except (OSError, UnicodeDecodeError, DefinitionError):
            continue
        if not isinstance(doc, dict):
            continue
        for finding in check(doc, tuple(service.languages)):
            out.append((service, finding, _line_of(doc, [*finding.path, finding.language])))
    return out
