"""What the kiosk says for one screen: plain text built from a ScreenContent.

The order is the one a helper sitting next to the citizen would use: title,
question, hint, any error, the options with how to choose them, then (on
request) the answer and the commands. Personal answers are never part of the
script unless the citizen asked for them on this screen.
"""
from __future__ import annotations

from kiosk.screen import DONE, ScreenContent
from translations import text as tr
from voice import phrases

# How each reference character is spoken: one at a time, separated so the
# synthesiser does not read "AB12" as a word or a number.
_SEPARATOR = ", "


def spell(reference: str) -> str:
    """A reference spoken character by character: "AB-12" -> "A, B, 1, 2"."""
    return _SEPARATOR.join(ch for ch in reference if ch.isalnum())


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    if text and text[-1] not in ".!?…:;。؟":
        text += "."
    return text


def script(screen: ScreenContent, *, read_personal: bool = False, with_commands: bool = True,
           can_listen: bool = True) -> str:
    """The words for `screen`. Without `can_listen` (no microphone or no model for the language) the
    options are read by number and nothing invites the citizen to say a word."""
    lang = screen.language
    parts: list[str] = []
    for piece in (screen.title, screen.body, screen.hint):
        if piece.strip():
            parts.append(_sentence(piece))
    if screen.error.strip():
        parts.insert(0, _sentence(screen.error))  # the error comes first: it is why we are here again
    for option in screen.options:
        word = phrases.number_words(lang, option.number)
        if not can_listen:
            parts.append(tr(lang, "voice.option_plain", label=option.label, number=option.number,
                            count=len(screen.options)))
        elif word and option.number <= 10:
            parts.append(tr(lang, "voice.option", label=option.label, word=word[0], number=option.number))
        else:
            parts.append(tr(lang, "voice.option_no_word", label=option.label, number=option.number))
    if screen.question_type == "number" and can_listen:
        parts.append(tr(lang, "voice.number_prompt"))
    if screen.question_type in ("document", "signature"):  # what to do with the paper, or with a finger
        parts.append(tr(lang, f"voice.{screen.question_type}_prompt"))
    if screen.answer:
        if screen.personal and not read_personal:
            parts.append(tr(lang, "voice.personal_hidden"))
        else:
            parts.append(tr(lang, "voice.answer_is", answer=screen.answer))
    if screen.kind == DONE and screen.reference:
        parts.append(tr(lang, "voice.reference", characters=spell(screen.reference)))
    if with_commands and can_listen and screen.commands and phrases.has_words(lang):
        names = {c: phrases.spoken_word(lang, c) for c in ("back", "next", "help", "repeat")}
        if all(c in screen.commands for c in names):
            parts.append(tr(lang, "voice.commands", **names))
    return " ".join(p for p in parts if p)
