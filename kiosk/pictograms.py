"""Where the pictograms come from: the licence list beside them, and the checks `kiosk services check` runs.

A folder of pictograms holds a `LICENSES.toml` with one table per SVG file (its `source`, its `licence`, what it
`shows`); kiosk/services/pictograms/LICENSES.toml is the samples' list. A pictogram a service uses must be
listed there, so that no picture of unknown origin reaches a kiosk, and it must go with a text in every
language of the service (the service's title, the question or the option's label), which the kiosk shows and
reads aloud beside it: a pictogram is never the only way to understand a choice.

These checks are for the people who write services (`kiosk services check`); a running kiosk does not leave a
service out for them.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterable

from kiosk.definition import DefinitionError, Problem, Service, _line_of, _pointer, parse

LICENCE_FILE = "LICENSES.toml"
REQUIRED = ("source", "licence")
_LOCATE = -1  # a problem's line, to be found in the definition file


@dataclass(frozen=True)
class PictogramLicence:
    """One entry of a LICENSES.toml: where a pictogram comes from and under which licence it may be used."""

    file: str
    source: str
    licence: str
    shows: str = ""


def read_licences(folder: Path) -> tuple[dict[str, PictogramLicence], list[str]]:
    """The licence list of a pictogram folder by file name, and what is wrong with it (plain sentences).

    A missing file is an empty list (each pictogram is then reported where it is used)."""
    path = Path(folder) / LICENCE_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}, []
    except (OSError, UnicodeDecodeError) as exc:
        return {}, [f"{path}: cannot be read ({type(exc).__name__}); it must be a UTF-8 text file"]
    except tomllib.TOMLDecodeError as exc:
        return {}, [f"{path}: not valid TOML ({exc})"]
    licences: dict[str, PictogramLicence] = {}
    problems: list[str] = []
    for name, entry in data.items():
        if not isinstance(entry, dict):
            problems.append(f'{path}: "{name}" must be a table: ["{name}"] with source = "…" and licence = "…"')
            continue
        missing = [key for key in REQUIRED if not str(entry.get(key) or "").strip()]
        if missing:
            problems.append(f'{path}: ["{name}"] has no {" and no ".join(missing)}; say where it comes from and '
                            'under which licence (e.g. source = "drawn for the project", licence = "EUPL-1.2")')
            continue
        licences[name] = PictogramLicence(name, str(entry["source"]), str(entry["licence"]),
                                          str(entry.get("shows", "")))
    return licences, problems


def folder_problems(folder: Path) -> list[str]:
    """SVG files of a folder that its LICENSES.toml does not list, entries whose file is gone, and errors in it."""
    folder = Path(folder)
    licences, problems = read_licences(folder)
    files = {p.name for p in folder.glob("*.svg")}
    problems += [f"{folder / name}: not listed in {folder / LICENCE_FILE}; add its source and licence"
                 for name in sorted(files - set(licences))]
    problems += [f"{folder / LICENCE_FILE}: lists {name}, which is not in the folder; remove the entry"
                 for name in sorted(set(licences) - files)]
    return problems


def _uses(service: Service) -> Iterable[tuple[list, Path, dict[str, str]]]:
    """(place in the definition, pictogram file, the text that goes with it) for every pictogram a service uses."""
    if service.pictogram is not None:
        yield ["pictogram"], service.pictogram, service.title
    for i, page in enumerate(service.pages):
        if page.pictogram is not None:
            yield ["pages", i, "pictogram"], page.pictogram, page.question
        for j, option in enumerate(page.options):
            if option.pictogram is not None:
                yield ["pages", i, "options", j, "pictogram"], option.pictogram, option.label


def _locate(service: Service) -> Callable[[list], int | None]:
    """The line of a place in the service's file (None when the file cannot be read again)."""
    try:
        doc = parse(Path(service.source).read_text(encoding="utf-8"), str(service.source))
    except (OSError, UnicodeDecodeError, DefinitionError):
        return lambda path: None
    return lambda path: _line_of(doc, path)


def licence_problems(services: Iterable[Service]) -> list[Problem]:
    """Every pictogram the services use that is not listed with a source and licence beside it, or that has no
    text in one of its service's languages; each problem names the definition file and the place in it."""
    folders: dict[Path, tuple[dict[str, PictogramLicence], list[str]]] = {}
    problems: list[Problem] = []
    reported: set[str] = set()
    for service in services:
        source = str(service.source)
        found: list[Problem] = []
        for path, picture, text in _uses(service):
            pointer = _pointer(path)
            folder = Path(picture).parent
            if folder not in folders:
                folders[folder] = read_licences(folder)
                for message in folders[folder][1]:
                    if message not in reported:
                        reported.add(message)
                        found.append(Problem(source, None, pointer, message))
            if Path(picture).name not in folders[folder][0]:
                found.append(Problem(source, _LOCATE, pointer,
                                        f"pictogram '{Path(picture).name}' is not listed in "
                                        f"{folder.name}/{LICENCE_FILE}; add its source and licence there "
                                        '(e.g. source = "drawn for the project", licence = "EUPL-1.2")'))
            silent = [lang for lang in service.languages if not str(text.get(lang) or "").strip()]
            if silent:
                found.append(Problem(source, _LOCATE, pointer,
                                        f"pictogram '{Path(picture).name}' has no text beside it in "
                                        f"{', '.join(silent)}; a pictogram is always shown and read with words"))
        if found:  # lines only when there is something to say: the file is parsed again
            line = _locate(service)
            problems += [replace(p, line=line(_path(p.pointer))) if p.line == _LOCATE else p for p in found]
    return problems


def _path(pointer: str) -> list:
    return [int(part) if part.isdigit() else part for part in pointer.strip("/").split("/")]
