"""Qt Linguist's .ts files for the words in translations/: what translators open in Qt Linguist or Weblate.

The running kiosk reads the JSON files (one per area and language, see translations/__init__.py); a
translator works on one .ts file per language, which this module writes from the JSON and reads back:

    kiosk translations export DIR [--lang xx]     DIR/ponte_xx.ts, each message marked unfinished where
                                                  the language has no text yet
    kiosk translations import DIR/ponte_xx.ts     finished messages written back into the JSON files

In the .ts file the context is the area (core, mediator, voice ...), the source is the English text and the
comment is the key, so `pyside6-lrelease` compiles it and QTranslator.translate(area, english, key) finds it.
Texts with a count are numerus messages: one form per plural category, in the order Qt's own rules use for
the language (checked against Qt itself by tests/test_translations.py).
"""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import translations
from translations import CATEGORIES, FALLBACK, LOCALES, ROOT

# The plural forms of a numerus message, in the order Qt's rules number them (qttools numerus.cpp).
# CLDR's "many" of Portuguese, French and Spanish (exact millions) has no Qt form: "other" stands in.
QT_FORMS: dict[str, tuple[str, ...]] = {
    "en": ("one", "other"), "es": ("one", "other"), "pt": ("one", "other"), "fr": ("one", "other"),
    "ar": ("zero", "one", "two", "few", "many", "other"),
}


class TsError(ValueError):
    """A .ts file that cannot be read back; the message says which file and what is wrong."""


@dataclass(frozen=True)
class Imported:
    """What an import changed: texts written, messages left unfinished, keys the JSON files do not know."""

    language: str
    written: int
    unfinished: int
    unknown: tuple[str, ...]


def qt_forms(language: str) -> tuple[str, ...]:
    """The plural categories of `language` in Qt's numerus order."""
    if language in QT_FORMS:
        return QT_FORMS[language]
    return tuple(c for c in CATEGORIES if c in translations.plural_categories(language))


def areas(root: Path = ROOT) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))


def _read(root: Path, area: str, language: str) -> dict:
    path = root / area / f"{language}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def export_ts(language: str, root: Path = ROOT) -> str:
    """The .ts file (XML text) of `language`: every English text of every area, translated where it is."""
    ts = ET.Element("TS", version="2.1", language=LOCALES.get(language, language), sourcelanguage="en_GB")
    forms = qt_forms(language)
    for area in areas(root):
        english, own = _read(root, area, FALLBACK), _read(root, area, language)
        if not english:
            continue
        context = ET.SubElement(ts, "context")
        ET.SubElement(context, "name").text = area
        for key, source in english.items():
            message = ET.SubElement(context, "message")
            target = own.get(key)
            if isinstance(source, dict):
                message.set("numerus", "yes")
                ET.SubElement(message, "source").text = source.get("other", "")
                ET.SubElement(message, "comment").text = key
                translation = ET.SubElement(message, "translation")
                done = isinstance(target, dict) and all(target.get(c) for c in forms if c != "many" or c in target)
                for category in forms:
                    form = target.get(category) or target.get("other", "") if isinstance(target, dict) else ""
                    ET.SubElement(translation, "numerusform").text = form
            else:
                ET.SubElement(message, "source").text = source
                ET.SubElement(message, "comment").text = key
                translation = ET.SubElement(message, "translation")
                done = isinstance(target, str) and bool(target)
                translation.text = target if done else ""
            if not done:
                translation.set("type", "unfinished")
    ET.indent(ts)
    return '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n' + ET.tostring(ts, encoding="unicode") + "\n"


def import_ts(path: Path, root: Path = ROOT) -> Imported:
    """Write the finished messages of a .ts file back into the JSON files of its language.

    Unfinished messages are skipped (the English text keeps showing); keys no English file has are reported,
    not added. The JSON files keep their order: a changed text stays where it was, a new one is appended.
    """
    try:
        ts = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as exc:
        raise TsError(f"{path}: not a readable .ts file ({exc})") from None
    locale = ts.get("language") or ""
    language = next((code for code, name in LOCALES.items() if name == locale), locale.split("_")[0])
    if not language or language == FALLBACK:
        raise TsError(f"{path}: the TS element names no target language other than English (language=\"{locale}\")")
    forms = qt_forms(language)
    written, unfinished, unknown = 0, 0, []
    for context in ts.iter("context"):
        area = context.findtext("name", "")
        english = _read(root, area, FALLBACK) if area in areas(root) else {}
        own = _read(root, area, language)
        changed = False
        for message in context.iter("message"):
            key = message.findtext("comment", "")
            translation = message.find("translation")
            if key not in english:
                unknown.append(f"{area}/{key}")
                continue
            if translation is None or translation.get("type") in ("unfinished", "obsolete", "vanished"):
                unfinished += 1
                continue
            if message.get("numerus") == "yes":
                texts = [f.text or "" for f in translation.iter("numerusform")]
                value: str | dict = {c: t for c, t in zip(forms, texts) if t}
                if "other" not in value:
                    unfinished += 1
                    continue
                if isinstance(own.get(key), dict) and "many" in own[key] and "many" not in forms:
                    value = {**value, "many": own[key]["many"]}  # a CLDR form Qt does not carry stays as it was
            else:
                value = translation.text or ""
                if not value:
                    unfinished += 1
                    continue
            if own.get(key) != value:
                own[key] = value
                written += 1
                changed = True
        if changed:
            _write(root / area / f"{language}.json", own)
    translations.entries.cache_clear()
    translations.table.cache_clear()
    return Imported(language, written, unfinished, tuple(unknown))


def _write(path: Path, entries: dict) -> None:
    """One entry per line, as the files in the repository are written (plural objects on one line)."""
    lines = [f"  {json.dumps(k, ensure_ascii=False)}: {json.dumps(v, ensure_ascii=False)}" for k, v in entries.items()]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text("{\n" + ",\n".join(lines) + "\n}\n", encoding="utf-8")
    tmp.replace(path)
