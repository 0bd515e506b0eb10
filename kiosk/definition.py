"""Public services as data: load, check and describe a service definition file.

A definition is a YAML (or JSON) file validated against
`kiosk/schema/service.schema.json`, then checked for what a schema cannot say
(every text in every language, conditions that point backwards, known
validators). Every problem carries the file, the line and a plain explanation
so a service designer can fix it without reading code.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

import jsonschema
import yaml

from kiosk import national_id, postcode

SCHEMA_PATH = Path(__file__).parent / "schema" / "service.schema.json"
CHOICE_TYPES = frozenset({"single_choice", "multiple_choice"})
# Answers of these types identify a person whatever the definition says.
ALWAYS_PERSONAL = frozenset({"phone", "email", "national_id", "postcode"})
# Keys of the messages the validators give (translations/core: "error.<key>"); a
# page's `errors:` may replace any of them, or "invalid_<its type>".
ERROR_KEYS = frozenset({
    "required", "too_long", "invalid_number", "too_small", "too_large", "invalid_date", "date_in_future",
    "date_in_past", "invalid_phone", "invalid_email", "invalid_postcode", "invalid_national_id",
    "choose_one", "choose_from_list",
})


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a definition file."""

    file: str
    line: int | None
    pointer: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        at = f" ({self.pointer})" if self.pointer else ""
        return f"{where}{at}: {self.message}"


class DefinitionError(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Option:
    value: str
    label: dict[str, str]
    pictogram: Path | None = None


@dataclass(frozen=True)
class Condition:
    page: str
    equals: Any = None
    any_of: tuple = ()
    contains: str | None = None

    def holds(self, answers: dict[str, Any]) -> bool:
        value = answers.get(self.page)
        if value is None:  # not answered, hidden or skipped
            return False
        if self.contains is not None:
            return isinstance(value, (list, tuple)) and self.contains in value
        if self.any_of:
            return value in self.any_of
        return value == self.equals


@dataclass(frozen=True)
class Page:
    id: str
    type: str
    question: dict[str, str]
    hint: dict[str, str] = field(default_factory=dict)
    required: bool = True
    personal: bool = False
    pictogram: Path | None = None
    mediator_notes: dict[str, str] = field(default_factory=dict)
    options: tuple[Option, ...] = ()
    min: float | None = None
    max: float | None = None
    max_length: int | None = None
    date_range: str = "any"
    show_if: Condition | None = None
    errors: dict[str, dict[str, str]] = field(default_factory=dict)

    def option(self, value: str) -> Option | None:
        return next((o for o in self.options if o.value == value), None)


@dataclass(frozen=True)
class Service:
    id: str
    version: int
    languages: tuple[str, ...]
    title: dict[str, str]
    description: dict[str, str]
    destination: str
    consent: dict[str, str]
    pages: tuple[Page, ...]
    source: Path
    pictogram: Path | None = None
    data_use: dict[str, str] = field(default_factory=dict)
    requirements: dict[str, str] = field(default_factory=dict)
    national_id: str = "none"
    postcode: str = "any"
    mapping: dict[str, str] = field(default_factory=dict)
    openrosa: dict[str, str] = field(default_factory=dict)

    def page(self, page_id: str) -> Page:
        for page in self.pages:
            if page.id == page_id:
                return page
        raise KeyError(page_id)

    def text(self, texts: dict[str, str], language: str) -> str:
        """A text in the language, falling back to the service's first language."""
        return texts.get(language) or texts.get(self.languages[0], "")


@dataclass
class Catalogue:
    """The services the kiosk offers, and the ones left out because they are broken."""

    services: dict[str, Service]
    problems: list[Problem]

    def for_language(self, language: str) -> list[Service]:
        return [s for s in self.services.values() if language in s.languages]


# --- loading -----------------------------------------------------------------

class _LineLoader(yaml.SafeLoader):
    """Safe YAML loader that remembers the line of every mapping and sequence item."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict:
    mapping = _LineDict(loader.construct_mapping(node, deep=True))
    mapping.lines = {k.value: k.start_mark.line + 1 for k, _ in node.value if hasattr(k, "value")}
    mapping.line = node.start_mark.line + 1
    return mapping


class _LineDict(dict):
    line: int | None = None
    lines: dict = {}


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
# YAML 1.1 reads "yes"/"no"/"on" as booleans; option values must stay strings.
_LineLoader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:bool"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
# ... but true/false (required:, personal:) must stay booleans.
_LineLoader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                                  list("tTfF"))


def _line_of(doc: Any, path: Iterable) -> int | None:
    """The line of the deepest element of `path` that we can locate."""
    line = getattr(doc, "line", None)
    node = doc
    for part in path:
        if isinstance(node, dict) and part in node:
            line = getattr(node, "lines", {}).get(part, line)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
            line = getattr(node, "line", line)
        else:
            break
    return line


def _pointer(path: Iterable) -> str:
    return "/" + "/".join(str(p) for p in path) if path else ""


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def _schema_message(error: jsonschema.ValidationError) -> str:
    """Turn a jsonschema error into a sentence a service designer understands."""
    name = error.path[-1] if error.path else "the file"
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return f"'{missing}' is missing here; add it"
    if error.validator == "additionalProperties":
        return f"{error.message.split('(')[-1].rstrip(')')}: not a known field; check the spelling"
    if error.validator == "enum" and "propertyNames" in error.schema_path:
        return f"'{error.instance}' is not a supported language code; use one of: {', '.join(error.validator_value)}"
    if error.validator == "enum":
        return f"'{error.instance}' is not allowed for {name}; use one of: {', '.join(map(str, error.validator_value))}"
    if error.validator == "propertyNames":
        return f"'{error.instance}' is not a supported language code"
    if error.validator == "pattern":
        return f"'{error.instance}' is not a valid {name} (expected pattern {error.validator_value})"
    if error.validator == "type":
        return f"{name} should be a {error.validator_value}, not {type(error.instance).__name__}"
    if error.validator == "const":
        return f"{name} must be {error.validator_value!r}"
    if error.validator in ("minItems", "minProperties"):
        return f"{name} is empty; it needs at least {error.validator_value} item(s)"
    return error.message


def parse(text: str, source: str) -> Any:
    """Parse YAML or JSON text; syntax errors become Problems with a line."""
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - _LineLoader is a SafeLoader
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1 if isinstance(exc.position, int) else None
        raise DefinitionError([Problem(source, line, "", "not valid YAML: the file holds a character that is not "
                                       "allowed in text (is it a binary file?)")]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise DefinitionError([Problem(source, mark.line + 1 if mark else None, "",
                                       f"not valid YAML: {exc.problem}")]) from None
    except yaml.YAMLError as exc:
        raise DefinitionError([Problem(source, None, "", f"not valid YAML: {exc}")]) from None


def load_service(path: Path | str) -> Service:
    """Load and fully check one definition file, or raise DefinitionError."""
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise DefinitionError([Problem(source, None, "", "cannot read the file: it is not UTF-8 text "
                                       "(is it a binary file? save it as UTF-8)")]) from None
    except OSError as exc:
        raise DefinitionError([Problem(source, None, "", f"cannot read the file: {exc.strerror or exc}")]) from None
    doc = parse(text, source)
    problems = check_document(doc, source)
    if problems:
        raise DefinitionError(problems)
    return _build(doc, path)


def check_document(doc: Any, source: str) -> list[Problem]:
    """All problems in a parsed definition: schema first, then meaning."""
    if not isinstance(doc, dict):
        return [Problem(source, None, "", "the file must hold a mapping (id:, title:, pages: ...)")]
    problems = [
        Problem(source, _line_of(doc, e.absolute_path), _pointer(e.absolute_path), _schema_message(e))
        for e in sorted(_validator().iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
    ]
    if problems:
        return problems
    return _check_meaning(doc, source)


def _check_meaning(doc: dict, source: str) -> list[Problem]:
    problems: list[Problem] = []
    languages = doc["languages"]

    def add(path: list, message: str) -> None:
        problems.append(Problem(source, _line_of(doc, path), _pointer(path), message))

    def texts(path: list, value: dict) -> None:
        missing = [lang for lang in languages if lang not in value]
        if missing:
            add(path, f"no text in {', '.join(missing)}; every text needs all the service's languages")

    for key in ("title", "description", "consent", "data_use", "requirements"):
        if key in doc:
            texts([key], doc[key])
    if doc.get("national_id", "none") not in national_id.VALIDATORS:
        add(["national_id"], f"unknown validator '{doc['national_id']}'; known: {', '.join(sorted(national_id.VALIDATORS))}")
    if doc.get("postcode", "any") not in postcode.FORMATS:
        add(["postcode"], f"unknown postcode format '{doc['postcode']}'; known: {', '.join(sorted(postcode.FORMATS))}")
    seen: dict[str, int] = {}
    for i, page in enumerate(doc["pages"]):
        base = ["pages", i]
        if page["id"] in seen:
            add(base + ["id"], f"page id '{page['id']}' is used twice (first at page {seen[page['id']] + 1})")
        for key in ("question", "hint", "mediator_notes"):
            if key in page:
                texts(base + [key], page[key])
        for key, value in page.get("errors", {}).items():
            texts(base + ["errors", key], value)
            if key not in ERROR_KEYS and key != "invalid_" + page["type"]:
                add(base + ["errors", key], f"'{key}' is not an error key; use one of: {', '.join(sorted(ERROR_KEYS))}")
        kind = page["type"]
        if kind in CHOICE_TYPES and "options" not in page:
            add(base, f"a {kind} question needs options")
        if kind not in CHOICE_TYPES and "options" in page:
            add(base + ["options"], f"a {kind} question takes no options; use single_choice or multiple_choice")
        values = [o["value"] for o in page.get("options", [])]
        if len(values) != len(set(values)):
            add(base + ["options"], "two options share the same value")
        for j, option in enumerate(page.get("options", [])):
            texts(base + ["options", j, "label"], option["label"])
        if "min" in page and "max" in page and page["min"] > page["max"]:
            add(base + ["min"], "min is larger than max")
        cond = page.get("show_if")
        if cond:
            earlier = {p["id"]: p for p in doc["pages"][:i]}
            if cond["page"] not in earlier:
                add(base + ["show_if", "page"],
                    f"'{cond['page']}' is not an earlier page; a condition can only look back")
            elif "contains" in cond and earlier[cond["page"]]["type"] != "multiple_choice":
                add(base + ["show_if", "contains"], "'contains' only works on a multiple_choice page")
            if sum(k in cond for k in ("equals", "in", "contains")) != 1:
                add(base + ["show_if"], "give exactly one of equals, in or contains")
            elif cond["page"] in earlier:
                possible = _possible_answers(earlier[cond["page"]])
                wanted = [cond["equals"]] if "equals" in cond else cond.get("in", [cond.get("contains")])
                impossible = [w for w in wanted if possible is not None and w not in possible]
                if not wanted:
                    add(base + ["show_if", "in"], "'in' is empty, so this page would never show")
                elif impossible:
                    add(base + ["show_if"], f"'{', '.join(map(str, impossible))}' is never an answer to "
                        f"'{cond['page']}', so this page would never show; use one of: {', '.join(possible or [])}")
        seen.setdefault(page["id"], i)
    targets: dict[str, str] = {}
    base = Path(source).parent
    pictograms = [(["pictogram"], doc.get("pictogram"))]
    for i, page in enumerate(doc["pages"]):
        pictograms.append((["pages", i, "pictogram"], page.get("pictogram")))
        pictograms += [(["pages", i, "options", j, "pictogram"], o.get("pictogram"))
                       for j, o in enumerate(page.get("options", []))]
    for path, name in pictograms:
        if not name:
            continue
        target_file = (base / name).resolve()
        if not target_file.is_relative_to(base.resolve()):
            add(path, f"pictogram '{name}' is outside the definition's folder; keep pictograms beside it")
        elif not target_file.is_file():
            add(path, f"pictogram file '{name}' does not exist next to the definition")
    for answer_id, target in doc.get("mapping", {}).items():
        if answer_id not in seen:
            add(["mapping", answer_id], f"'{answer_id}' is not a page id")
        if target in targets:
            add(["mapping", answer_id], f"'{answer_id}' and '{targets[target]}' both go to field '{target}'; "
                "one answer would overwrite the other")
        targets.setdefault(target, answer_id)
    return problems


def _possible_answers(page: dict) -> list | None:
    """The answers a page can give that a condition may test, or None if any value is possible."""
    if page["type"] == "yes_no":
        return ["yes", "no"]
    if page["type"] in CHOICE_TYPES:
        return [o["value"] for o in page.get("options", [])]
    return None


def _pictogram(base: Path, name: str | None) -> Path | None:
    return (base / name) if name else None


def _build(doc: dict, path: Path) -> Service:
    base = path.parent

    def page(p: dict) -> Page:
        cond = p.get("show_if")
        return Page(
            id=p["id"], type=p["type"], question=dict(p["question"]), hint=dict(p.get("hint", {})),
            required=p.get("required", True),
            personal=p.get("personal", False) or p["type"] in ALWAYS_PERSONAL,
            pictogram=_pictogram(base, p.get("pictogram")),
            mediator_notes=dict(p.get("mediator_notes", {})),
            options=tuple(Option(o["value"], dict(o["label"]), _pictogram(base, o.get("pictogram")))
                          for o in p.get("options", [])),
            min=p.get("min"), max=p.get("max"), max_length=p.get("max_length"),
            date_range=p.get("date_range", "any"),
            show_if=Condition(cond["page"], cond.get("equals"), tuple(cond.get("in", ())), cond.get("contains"))
            if cond else None,
            errors={k: dict(v) for k, v in p.get("errors", {}).items()},
        )

    return Service(
        id=doc["id"], version=doc["version"], languages=tuple(doc["languages"]),
        title=dict(doc["title"]), description=dict(doc["description"]),
        destination=doc["destination"], consent=dict(doc["consent"]),
        pages=tuple(page(p) for p in doc["pages"]), source=path,
        pictogram=_pictogram(base, doc.get("pictogram")),
        data_use=dict(doc.get("data_use", {})), requirements=dict(doc.get("requirements", {})),
        national_id=doc.get("national_id", "none"), postcode=doc.get("postcode", "any"),
        mapping=dict(doc.get("mapping", {})), openrosa=dict(doc.get("openrosa", {})),
    )


def definition_files(dirs: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for d in dirs:
        d = Path(d)
        if d.is_file():
            files.append(d)
        elif d.is_dir():
            files.extend(sorted(p for p in d.iterdir() if p.suffix in (".yaml", ".yml", ".json")))
    return files


def _id_line(path: Path) -> int | None:
    try:
        return _line_of(parse(path.read_text(encoding="utf-8"), str(path)), ["id"])
    except (OSError, UnicodeDecodeError, DefinitionError):
        return None


def load_catalogue(dirs: Iterable[Path]) -> Catalogue:
    """Every loadable service; broken ones are left out and reported, never raised."""
    services: dict[str, Service] = {}
    problems: list[Problem] = []
    for path in definition_files(dirs):
        try:
            service = load_service(path)
        except DefinitionError as exc:
            problems.extend(exc.problems)
            continue
        if service.id in services:
            problems.append(Problem(str(path), _id_line(path), "/id",
                                    f"service id '{service.id}' is already used by {services[service.id].source}"))
            continue
        services[service.id] = service
    return Catalogue(services, problems)
