"""Words shown or spoken to people, per language.

Each area keeps its own folder of `<language>.json` files (core/, voice/,
mediator/ ...); they are merged into one flat table per language. A key that
a language lacks falls back to English, so a missing translation shows English
text rather than a raw key.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).parent
FALLBACK = "en"


@lru_cache(maxsize=None)
def table(language: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for area in sorted(p for p in ROOT.iterdir() if p.is_dir() and not p.name.startswith("_")):
        path = area / f"{language}.json"
        if path.is_file():
            merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


def text(language: str, key: str, **params: object) -> str:
    """The text for `key` in `language` (English if missing), with {params} filled in."""
    template = table(language).get(key) or table(FALLBACK).get(key) or key
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return template


def has_text(language: str, key: str) -> bool:
    """Whether `key` has a text in `language` or in the English fallback."""
    return bool(table(language).get(key) or table(FALLBACK).get(key))


def languages() -> list[str]:
    return sorted({p.stem for p in (ROOT / "core").glob("*.json")})
