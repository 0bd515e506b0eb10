"""`kiosk translations ...`: the interface's words for translators (docs/translating.md).

The kiosk reads translations/<area>/<language>.json; translators get one Qt Linguist .ts file per language
(Qt Linguist, Weblate and Crowdin open it), and their finished texts come back into the JSON files.
"""
from __future__ import annotations

from pathlib import Path

import click

from commands.base import BadInput, Failure
from translations import FALLBACK, languages
from translations.check import problems
from translations.ts import TsError, export_ts, import_ts


@click.group("translations")
def translations_group() -> None:
    """The interface's words in each language: check them, export .ts files for translators, import them back.

    \b
    Example:
      kiosk translations check
    """


@translations_group.command()
@click.option("--lang", "langs", multiple=True, help="Only this language (repeatable).")
def check(langs: tuple[str, ...]) -> None:
    """Report every interface text a language lacks, leaves empty or words with other {blanks}; exit 1 if any.

    Service content (titles, questions, options) is checked by `kiosk services check`.

    \b
    Example:
      kiosk translations check --lang ar
    """
    found = problems(langs=list(langs) or None)
    for problem in found:
        click.echo(str(problem))
    if found:
        raise Failure(f"{len(found)} text(s) missing or unfinished; export a .ts file to fill them in")
    click.echo(f"{len(languages())} language(s), every interface text translated")


@translations_group.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--lang", "langs", multiple=True,
              help="Only this language (repeatable); a new language code starts an empty file.")
def export_(directory: Path, langs: tuple[str, ...]) -> None:
    """Write DIRECTORY/ponte_<lang>.ts for each language, ready for Qt Linguist or Weblate.

    Untranslated texts are marked unfinished; texts with a count are numerus messages.

    \b
    Example:
      kiosk translations export /tmp/ts --lang pt
    """
    wanted = [lang for lang in (list(langs) or languages()) if lang != FALLBACK]
    if not wanted:
        raise BadInput("English is the source language: name another language with --lang")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for language in wanted:
            path = directory / f"ponte_{language}.ts"
            path.write_text(export_ts(language), encoding="utf-8")
            click.echo(str(path))
    except OSError as exc:
        raise Failure(f"cannot write into {directory}: {exc.strerror or exc}") from None


@translations_group.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, exists=True, path_type=Path))
def import_(files: tuple[Path, ...]) -> None:
    """Write the finished texts of translated .ts files back into translations/ (unfinished ones are skipped).

    \b
    Example:
      kiosk translations import /tmp/ts/ponte_pt.ts
    """
    for path in files:
        try:
            result = import_ts(path)
        except TsError as exc:
            raise BadInput(str(exc)) from None
        except OSError as exc:
            raise Failure(f"cannot write the translations: {exc.strerror or exc}") from None
        click.echo(f"{path}: {result.language}: {result.written} text(s) written, {result.unfinished} unfinished"
                   + (f", {len(result.unknown)} unknown key(s) skipped: {', '.join(result.unknown[:5])}"
                      if result.unknown else ""))
