"""Public services as data: load, check and describe a service definition file.

A definition is a YAML (or JSON) file validated against
`kiosk/schema/service.schema.json`, then checked for what a schema cannot say
(every text in every language, conditions that point backwards, known
validators). Every problem carries the file, the line and a plain explanation
so a service designer can fix it without reading code.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import stat
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

import yaml

from kiosk import national_id, postcode, xform
from kiosk.documents import DocumentRules

if TYPE_CHECKING:  # jsonschema is imported only when a file must be validated (start-up time)
    import jsonschema

SCHEMA_PATH = Path(__file__).parent / "schema" / "service.schema.json"
# Limits that keep a hostile or broken file from taking the kiosk's memory or time. A real
# definition is 20-40 KiB and 7 levels deep; the limits are far above that.
MAX_FILE_BYTES = 256 * 1024
MAX_DEPTH = 20
MAX_NUMBER_DIGITS = 30
MAX_SCHEMA_ERRORS = 50  # one broken file can be reported in full without listing 10,000 errors
CHOICE_TYPES = frozenset({"single_choice", "multiple_choice"})
# Answers of these types identify a person whatever the definition says.
ALWAYS_PERSONAL = frozenset({"phone", "email", "national_id", "postcode", "document", "signature"})
# Answers that are files sent with the submission (kiosk/documents.py): the answer holds their names.
FILE_TYPES = frozenset({"document", "signature"})
# Keys of the messages the validators give (translations/core: "error.<key>"); a
# page's `errors:` may replace any of them, or "invalid_<its type>".
ERROR_KEYS = frozenset({
    "required", "too_long", "invalid_number", "too_small", "too_large", "invalid_date", "date_in_future",
    "date_in_past", "invalid_phone", "invalid_email", "invalid_postcode", "invalid_national_id",
    "choose_one", "choose_from_list", "unsupported_character",
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
class Stop:
    """An eligibility page's stop outcome: when its answer means the service cannot help."""

    when: Condition
    message: dict[str, str]  # why, kindly
    instead: dict[str, str] = field(default_factory=dict)  # what to do instead


# The parts of a service's data notice, as GDPR article 13 lists them; every one is required.
DATA_NOTICE_PARTS = ("controller", "purpose", "legal_basis", "retention", "rights", "contact")


@dataclass(frozen=True)
class Page:
    id: str
    type: str
    question: dict[str, str]
    hint: dict[str, str] = field(default_factory=dict)
    required: bool = True
    personal: bool = False
    sensitive: bool = False  # masked on a printed copy of the answers (e.g. an ID number: last 3 characters)
    pictogram: Path | None = None
    mediator_notes: dict[str, str] = field(default_factory=dict)
    options: tuple[Option, ...] = ()
    min: float | None = None
    max: float | None = None
    max_length: int | None = None
    integer: bool = False  # a number question that takes whole numbers only (XForm type int)
    date_range: str = "any"
    show_if: Condition | None = None
    errors: dict[str, dict[str, str]] = field(default_factory=dict)
    stop: Stop | None = None
    label: dict[str, str] = field(default_factory=dict)  # "your full name": names the answer in error messages
    document: DocumentRules | None = None  # a document question's limits (pages, bytes, resolution)
    oral_alternative: bool = False  # a signature question: the citizen may confirm orally instead

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
    minutes: int | None = None  # about how long the questions take
    cost: dict[str, str] = field(default_factory=dict)
    data_notice: dict[str, dict[str, str]] = field(default_factory=dict)  # DATA_NOTICE_PARTS -> texts
    after_submit: dict[str, Any] = field(default_factory=dict)  # next_steps, phone, counter, web
    # The channels offered for status updates (kiosk/status_updates.py); empty: the service offers none.
    status_updates: tuple[str, ...] = ()

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

# libyaml's C parser when present (about 10x faster than the pure-Python one); nodes
# still carry their line, which is all the problems need.
_BaseLoader = yaml.CSafeLoader if getattr(yaml, "__with_libyaml__", False) else yaml.SafeLoader
_STR, _INT = "tag:yaml.org,2002:str", "tag:yaml.org,2002:int"
# The only YAML types a definition uses; anything else (!!binary, !!set, timestamps, merge
# keys, python tags) is refused before it is constructed.
_PLAIN_TAGS = frozenset({_STR, _INT, "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool",
                         "tag:yaml.org,2002:null", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})


class _LineLoader(_BaseLoader):  # type: ignore[misc, valid-type]
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
# YAML 1.1 reads "yes"/"no"/"on" as booleans; option values must stay strings. Dates stay
# text too: no field is a date, and "2001-13-45" must not be a crash.
_LineLoader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
# ... but true/false (required:, personal:) must stay booleans.
_LineLoader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                                  list("tTfF"))


def _short(value: Any, limit: int = 60) -> str:
    """A value cut to a readable length for a message (a hostile file may hold megabytes)."""
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _check_nodes(root: yaml.Node, source: str) -> None:
    """Refuse what a definition never needs and what could make loading blow up.

    Walks the composed nodes without recursion, before anything is constructed: an alias
    (the same node reached twice) could expand a 20 KiB file into gigabytes, deep nesting
    would exhaust the stack, a 5,000-digit number is a ValueError in int().
    """
    problems: list[Problem] = []
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, int]] = [(root, 1)]

    def refuse(node: yaml.Node, message: str) -> None:
        problems.append(Problem(source, node.start_mark.line + 1, "", message))

    while stack and len(problems) < 20:
        node, depth = stack.pop()
        if id(node) in seen:
            refuse(node, "YAML anchors and aliases (&name, *name) are not allowed in a service "
                         "definition; the value anchored here is reused: write each text out in full")
            break
        seen.add(id(node))
        if depth > MAX_DEPTH:
            refuse(node, f"the file is nested more than {MAX_DEPTH} levels deep; a definition needs about 7")
            break
        if node.tag not in _PLAIN_TAGS:
            refuse(node, f"the YAML tag {_short(node.tag)} is not used in service definitions; "
                         "remove it (put a value that looks special in quotes)")
            continue
        if isinstance(node, yaml.ScalarNode):
            if node.tag == _INT and len(node.value) > MAX_NUMBER_DIGITS:
                refuse(node, f"a number with {len(node.value)} digits; numbers in a definition are short "
                             "(put it in quotes if it is text)")
        elif isinstance(node, yaml.MappingNode):
            keys: dict[str, int] = {}
            for key, value in node.value:
                if key.tag == "tag:yaml.org,2002:merge":
                    refuse(key, "merge keys (<<) are not allowed in a service definition; write the fields out in full")
                elif not isinstance(key, yaml.ScalarNode) or key.tag != _STR:
                    refuse(key, f"'{_short(getattr(key, 'value', '?'))}' cannot be a field name; "
                                "field names are plain words (put it in quotes if you mean text)")
                elif key.value in keys:
                    refuse(key, f"'{_short(key.value)}' appears twice here (first on line {keys[key.value]}); "
                                "keep one")
                else:
                    keys[key.value] = key.start_mark.line + 1
                stack.append((value, depth + 1))
        else:
            stack.extend((item, depth + 1) for item in node.value)
    if problems:
        raise DefinitionError(problems)


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


def _unique_items(validator: Any, unique: bool, instance: Any, schema: dict) -> Iterable:
    """uniqueItems in linear time: jsonschema compares unhashable items pairwise (minutes on a long list)."""
    if not unique or not validator.is_type(instance, "array"):
        return
    seen: set[str] = set()
    for item in instance:
        key = json.dumps(item, sort_keys=True, default=repr)
        if key in seen:
            import jsonschema
            yield jsonschema.ValidationError(f"{_short(item)} appears twice; each item may appear once")
            return
        seen.add(key)


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    import jsonschema  # only here: most start-ups find every file in the catalogue cache
    cls = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"uniqueItems": _unique_items})
    return cls(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def _schema_message(error: jsonschema.ValidationError) -> str:
    """Turn a jsonschema error into a sentence a service designer understands."""
    name = error.path[-1] if error.path else "the file"
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return f"'{missing}' is missing here; add it"
    if error.validator == "additionalProperties":
        return f"{error.message.split('(')[-1].rstrip(')')}: not a known field; check the spelling"
    if error.validator == "enum" and "propertyNames" in error.schema_path:
        return f"'{_short(error.instance)}' is not a supported language code; use one of: {', '.join(error.validator_value)}"
    if error.validator == "enum":
        return f"'{_short(error.instance)}' is not allowed for {name}; use one of: {', '.join(map(str, error.validator_value))}"
    if error.validator == "propertyNames":
        return f"'{_short(error.instance)}' is not a supported language code"
    if error.validator == "pattern":
        return f"'{_short(error.instance)}' is not a valid {name} (expected pattern {error.validator_value})"
    if error.validator == "type":
        return f"{name} should be a {error.validator_value}, not {type(error.instance).__name__}"
    if error.validator == "const":
        return f"{name} must be {error.validator_value!r}"
    if error.validator in ("minItems", "minProperties"):
        return f"{name} is empty; it needs at least {error.validator_value} item(s)"
    return error.message


def parse(text: str, source: str) -> Any:
    """Parse YAML or JSON text; syntax errors and unsafe constructs become Problems with a line."""
    if len(text) > MAX_FILE_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise DefinitionError([Problem(source, None, "", f"the file is larger than {MAX_FILE_BYTES // 1024} KiB; "
                                       "a service definition is far smaller (is it the right file?)")])
    loader = _LineLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_nodes(node, source)
        return loader.construct_document(node)
    except yaml.reader.ReaderError as exc:
        line = None
        if isinstance(exc.position, int):  # libyaml counts UTF-8 bytes, the Python reader characters
            if _BaseLoader is not yaml.SafeLoader:
                line = text.encode("utf-8", "surrogatepass")[:exc.position].count(b"\n") + 1
            else:
                line = text[:exc.position].count("\n") + 1
        raise DefinitionError([Problem(source, line, "", "not valid YAML: the file holds a character that is not "
                                       "allowed in text (is it a binary file?)")]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        # libyaml puts an error at the end of a file without a final newline one line further.
        line = min(mark.line + 1, text.count("\n") + 1) if mark else None
        raise DefinitionError([Problem(source, line, "",
                                       f"not valid YAML: {_short(exc.problem, 200)}")]) from None
    except yaml.YAMLError as exc:
        raise DefinitionError([Problem(source, None, "", f"not valid YAML: {_short(str(exc), 200)}")]) from None
    finally:
        loader.dispose()


def _read(path: Path, source: str) -> bytes:
    """The file's bytes, refusing what is not a small regular file before reading it."""
    def refuse(message: str) -> DefinitionError:
        return DefinitionError([Problem(source, None, "", message)])

    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):  # a folder, or a FIFO that would block start-up
            raise refuse("cannot read the file: it is not a regular file (a folder or a device?)")
        if info.st_size > MAX_FILE_BYTES:
            raise refuse(f"the file is larger than {MAX_FILE_BYTES // 1024} KiB; "
                         "a service definition is far smaller (is it the right file?)")
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)  # it may grow between stat and read
    except OSError as exc:
        raise refuse(f"cannot read the file: {exc.strerror or exc}") from None
    if len(data) > MAX_FILE_BYTES:
        raise refuse(f"the file is larger than {MAX_FILE_BYTES // 1024} KiB; "
                     "a service definition is far smaller (is it the right file?)")
    return data


def load_service(path: Path | str, *, cache: CatalogueCache | None = None) -> Service:
    """Load and fully check one definition file, or raise DefinitionError.

    Whatever the file holds, the only exception is DefinitionError: one broken or hostile
    file is reported and left out, it never stops the kiosk or hides the other services.
    With a `cache`, a file whose exact bytes were already validated is not parsed again.
    """
    path = Path(path)
    source = str(path)
    try:
        data = _read(path, source)
        if cache is not None:
            service = cache.service(data, path)
            if service is not None:
                return service
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise DefinitionError([Problem(source, None, "", "cannot read the file: it is not UTF-8 text "
                                           "(is it a binary file? save it as UTF-8)")]) from None
        doc = parse(text, source)
        problems = check_document(doc, source)
        if problems:
            raise DefinitionError(problems)
        service = _build(doc, path)
        if cache is not None:
            cache.remember(data, doc)
        return service
    except DefinitionError:
        raise
    except RecursionError:
        raise DefinitionError([Problem(source, None, "", "the file is nested too deeply to be checked; "
                                       "a definition needs about 7 levels")]) from None
    except MemoryError:
        raise DefinitionError([Problem(source, None, "", "the file needs too much memory to be checked; "
                                       "is it the right file?")]) from None
    except Exception as exc:  # noqa: BLE001 - one bad file must never stop the others
        raise DefinitionError([Problem(source, None, "", f"the file could not be checked "
                                       f"({type(exc).__name__}: {_short(str(exc), 120)}); "
                                       "run `kiosk services check` on it and fix what it shows")]) from None


def check_document(doc: Any, source: str) -> list[Problem]:
    """All problems in a parsed definition: schema first, then meaning."""
    if not isinstance(doc, dict):
        return [Problem(source, None, "", "the file must hold a mapping (id:, title:, pages: ...)")]
    errors = list(itertools.islice(_validator().iter_errors(doc), MAX_SCHEMA_ERRORS + 1))
    problems = [
        Problem(source, _line_of(doc, e.absolute_path), _pointer(e.absolute_path), _short(_schema_message(e), 300))
        for e in sorted(errors[:MAX_SCHEMA_ERRORS],
                        key=lambda e: [(0, p, "") if isinstance(p, int) else (1, 0, str(p)) for p in e.absolute_path])
    ]
    if len(errors) > MAX_SCHEMA_ERRORS:
        problems.append(Problem(source, None, "", f"more problems after these {MAX_SCHEMA_ERRORS}; fix these first"))
    if problems:
        return problems
    return _check_meaning(doc, source)


def _check_meaning(doc: dict, source: str) -> list[Problem]:
    problems: list[Problem] = []
    languages = doc["languages"]

    def add(path: list, message: str) -> None:
        # A message quotes values from the file, which may be thousands of characters long.
        # Cut in the middle: the start names the value, the end says what to do.
        if len(message) > 400:
            message = message[:200] + "…" + message[-200:]
        problems.append(Problem(source, _line_of(doc, path), _short(_pointer(path), 200), message))

    def texts(path: list, value: dict) -> None:
        missing = [lang for lang in languages if lang not in value]
        if missing:
            add(path, f"no text in {', '.join(missing)}; every text needs all the service's languages")

    for key in ("title", "description", "consent", "data_use", "requirements", "cost"):
        if key in doc:
            texts([key], doc[key])
    # A citizen is told who receives the answers and why before the first question (GDPR art. 13).
    notice = doc.get("data_notice")
    if not isinstance(notice, dict):
        add([], "'data_notice' is missing; a citizen must be told who receives the answers, why, on what "
                f"legal basis, for how long, their rights and whom to contact ({', '.join(DATA_NOTICE_PARTS)})")
    else:
        for part in DATA_NOTICE_PARTS:
            if part not in notice:
                add(["data_notice"], f"'{part}' is missing from data_notice; add it in every language")
            elif isinstance(notice[part], dict):
                texts(["data_notice", part], notice[part])
    for key, value in (doc.get("after_submit") or {}).items():
        if isinstance(value, dict):
            texts(["after_submit", key], value)
    if doc.get("national_id", "none") not in national_id.VALIDATORS:
        add(["national_id"], f"unknown validator '{doc['national_id']}'; known: {', '.join(sorted(national_id.VALIDATORS))}")
    if doc.get("postcode", "any") not in postcode.FORMATS:
        add(["postcode"], f"unknown postcode format '{doc['postcode']}'; known: {', '.join(sorted(postcode.FORMATS))}")
    seen: dict[str, int] = {}
    for i, page in enumerate(doc["pages"]):
        base = ["pages", i]
        if page["id"] in seen:
            add(base + ["id"], f"page id '{page['id']}' is used twice (first at page {seen[page['id']] + 1})")
        for key in ("question", "hint", "mediator_notes", "label"):
            if key in page:
                texts(base + [key], page[key])
        for key in ("message", "instead"):
            if key in page.get("stop", {}):
                texts(base + ["stop", key], page["stop"][key])
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
        if "document" in page and kind != "document":
            add(base + ["document"], f"'document' limits only apply to a document question, not {kind}")
        elif kind == "document" and page.get("document", {}).get("min_pages", 1) > \
                page.get("document", {}).get("max_pages", DocumentRules.max_pages):
            add(base + ["document"], "min_pages is more than max_pages")
        if page.get("oral_alternative") and kind != "signature":
            add(base + ["oral_alternative"], f"'oral_alternative' only applies to a signature question, not {kind}")
        if page.get("integer") and kind != "number":
            add(base + ["integer"], f"'integer' only applies to a number question, not {kind}")
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
    folder = Path(source).parent
    pictograms = _pictograms(doc)
    # Folders are resolved once each (a catalogue of 100 services has 1,000 pictograms in one
    # folder); only a pictogram that is itself a symbolic link is resolved on its own.
    folders: dict[str, str] = {}

    def resolve(name: str) -> Path:
        joined = os.path.join(source_dir, name)
        parent, leaf = os.path.split(joined)
        if parent not in folders:
            folders[parent] = os.path.realpath(parent)
        target = os.path.join(folders[parent], leaf)
        return Path(os.path.realpath(target) if leaf in ("", ".", "..") or os.path.islink(target) else target)

    source_dir = str(folder)
    for path, name in pictograms:
        if not name:
            continue
        try:
            target_file = resolve(name)
            if not target_file.is_relative_to(folders.setdefault("", os.path.realpath(source_dir))):
                add(path, f"pictogram '{_short(name)}' is outside the definition's folder; keep pictograms beside it")
            elif not target_file.is_file():
                add(path, f"pictogram file '{_short(name)}' does not exist next to the definition")
        except OSError:  # e.g. a name too long for the file system
            add(path, f"pictogram '{_short(name)}' cannot be opened; use a short file name beside the definition")
    if isinstance(doc.get("status_updates"), dict):
        from kiosk import status_updates
        if "about" in doc["status_updates"]:
            texts(["status_updates", "about"], doc["status_updates"]["about"])
        for page_id in seen.keys() & set(status_updates.PAGE_IDS):
            add(["pages", seen[page_id], "id"], f"'{page_id}' is the kiosk's own page for status updates; "
                "give this page another id")
        for answer_id, target in doc.get("mapping", {}).items():
            if str(target).split("/")[0] == status_updates.GROUP:
                add(["mapping", answer_id], f"'{target}' is inside '{status_updates.GROUP}', where the kiosk "
                    "puts the contact for status updates; choose another name")
    mapping = doc.get("mapping", {})
    for answer_id in mapping:
        if answer_id not in seen:
            add(["mapping", answer_id], f"'{answer_id}' is not a page id")
    # Where each answer goes: the mapping's target, or the page id itself.
    for answer_id, target in {**{p: p for p in seen}, **mapping}.items():
        where = ["mapping", answer_id] if answer_id in mapping else ["pages", seen.get(answer_id, 0), "id"]
        if target in targets:
            add(where, f"'{answer_id}' and '{targets[target]}' both go to field '{target}'; "
                "one answer would overwrite the other")
        targets.setdefault(target, answer_id)
    destinations = {a: t for a, t in {**{p: p for p in seen}, **mapping}.items() if a in seen}
    for answer_id, message in xform.target_problems(destinations).items():
        add(["mapping", answer_id] if answer_id in mapping else ["pages", seen[answer_id], "id"], message)
    return problems


def _pictograms(doc: dict) -> list[tuple[list, Any]]:
    """(path in the document, file name) of every pictogram a definition names."""
    pictograms: list[tuple[list, Any]] = [(["pictogram"], doc.get("pictogram"))]
    for i, page in enumerate(doc["pages"]):
        pictograms.append((["pages", i, "pictogram"], page.get("pictogram")))
        pictograms += [(["pages", i, "options", j, "pictogram"], o.get("pictogram"))
                       for j, o in enumerate(page.get("options", []))]
    return pictograms


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
            sensitive=p.get("sensitive", False),
            pictogram=_pictogram(base, p.get("pictogram")),
            mediator_notes=dict(p.get("mediator_notes", {})),
            options=tuple(Option(o["value"], dict(o["label"]), _pictogram(base, o.get("pictogram")))
                          for o in p.get("options", [])),
            min=p.get("min"), max=p.get("max"), max_length=p.get("max_length"), integer=p.get("integer", False),
            date_range=p.get("date_range", "any"),
            show_if=Condition(cond["page"], cond.get("equals"), tuple(cond.get("in", ())), cond.get("contains"))
            if cond else None,
            errors={k: dict(v) for k, v in p.get("errors", {}).items()},
            stop=_stop(p["id"], p["stop"]) if p.get("stop") else None,
            label=dict(p.get("label", {})),
            document=DocumentRules.from_page(p.get("document", {})) if p["type"] == "document" else None,
            oral_alternative=p.get("oral_alternative", False),
        )

    pages = tuple(page(p) for p in doc["pages"])
    mapping = dict(doc.get("mapping", {}))
    updates = doc.get("status_updates")
    channels: tuple[str, ...] = ()
    if isinstance(updates, dict):  # generated pages at the end of the questions (kiosk/status_updates.py)
        from kiosk import status_updates
        channels = tuple(updates.get("channels", status_updates.CHANNELS))
        pages += status_updates.pages(tuple(doc["languages"]), channels, updates.get("about"))
        mapping.update({k: v for k, v in status_updates.TARGETS.items() if any(p.id == k for p in pages)})
    return Service(
        id=doc["id"], version=doc["version"], languages=tuple(doc["languages"]),
        title=dict(doc["title"]), description=dict(doc["description"]),
        destination=doc["destination"], consent=dict(doc["consent"]),
        pages=pages, source=path,
        pictogram=_pictogram(base, doc.get("pictogram")),
        data_use=dict(doc.get("data_use", {})), requirements=dict(doc.get("requirements", {})),
        national_id=doc.get("national_id", "none"), postcode=doc.get("postcode", "any"),
        mapping=mapping, openrosa=dict(doc.get("openrosa", {})),
        minutes=doc.get("minutes"), cost=dict(doc.get("cost", {})),
        data_notice={k: dict(v) for k, v in doc.get("data_notice", {}).items()},
        after_submit={k: (dict(v) if isinstance(v, dict) else v) for k, v in doc.get("after_submit", {}).items()},
        status_updates=channels,
    )


def _stop(page_id: str, stop: dict) -> Stop:
    when = stop["when"]
    return Stop(Condition(page_id, when.get("equals"), tuple(when.get("in", ())), when.get("contains")),
                dict(stop["message"]), dict(stop.get("instead", {})))


def definition_files(dirs: Iterable[Path]) -> list[Path]:
    """The definition files in `dirs` (files are taken as given, folders for *.yaml, *.yml, *.json)."""
    files: list[Path] = []
    for d in dirs:
        d = Path(d)
        try:
            if d.is_dir():
                files.extend(sorted(p for p in d.iterdir() if p.suffix in (".yaml", ".yml", ".json")))
            elif d.exists():
                files.append(d)
        except OSError:  # an unreadable folder holds no services; load_service reports unreadable files
            continue
    return files


def _id_line(path: Path) -> int | None:
    try:
        return _line_of(parse(path.read_text(encoding="utf-8"), str(path)), ["id"])
    except Exception:  # noqa: BLE001 - only a line number for a message
        return None


# Bump when what parse() produces changes, so older cached documents are not reused.
_CACHE_FORMAT = 1


@lru_cache(maxsize=1)
def _cache_key() -> str:
    """What a cached check depends on besides the file: the schema and the code that checks.

    After an update that changes a rule, every file is checked again on the next start.
    """
    digest = hashlib.sha256(SCHEMA_PATH.read_bytes())
    for module in (__file__, national_id.__file__, postcode.__file__, xform.__file__):
        digest.update(Path(module).read_bytes())
    digest.update(f"{_CACHE_FORMAT}:{yaml.__version__}".encode())
    return digest.hexdigest()


class CatalogueCache:
    """Definitions already validated, keyed by the SHA-256 of the file's bytes.

    A start-up with unchanged files skips YAML parsing, the schema (and the import of
    jsonschema) and the meaning checks: the key includes the schema and the checking code,
    so an update re-checks everything. Only the pictograms' presence is looked at again.
    What is cached is the parsed definition itself, which is public text and never personal
    data. A damaged or foreign cache file is ignored; one that cannot be written only costs time.
    """

    FILE_NAME = "catalogue.json"

    def __init__(self, directory: Path | str):
        self.path = Path(directory) / self.FILE_NAME
        self._entries: dict[str, dict] = {}
        self._used: dict[str, dict] = {}
        self._dirty = False
        self.hits = 0
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            if isinstance(raw, dict) and raw.get("key") == _cache_key() and isinstance(raw.get("entries"), dict):
                self._entries = {k: v for k, v in raw["entries"].items() if isinstance(v, dict)}
        except (OSError, ValueError, RecursionError):
            pass

    def service(self, data: bytes, path: Path) -> Service | None:
        """The service built from the cached definition of these exact bytes, or None."""
        digest = hashlib.sha256(data).hexdigest()
        doc = self._entries.get(digest)
        if doc is None:
            return None
        try:
            # Everything was checked when these bytes were first loaded, with this code; only the
            # files beside the definition can have changed since. A missing pictogram means a
            # full load, which reports it with its line.
            base = os.path.dirname(path)
            if any(name and not os.path.isfile(os.path.join(base, name)) for _, name in _pictograms(doc)):
                return None
            service = _build(doc, path)
        except Exception:  # noqa: BLE001 - a cache entry is never trusted over the file
            return None
        self._used[digest] = doc
        self.hits += 1
        return service

    def remember(self, data: bytes, doc: dict) -> None:
        """Record a definition that passed every check."""
        self._used[hashlib.sha256(data).hexdigest()] = doc
        self._dirty = True

    def save(self) -> None:
        """Write the entries used in this run (so the cache never outgrows the catalogue)."""
        if not self._dirty and set(self._used) == set(self._entries):
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.FILE_NAME}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"key": _cache_key(), "entries": self._used}, ensure_ascii=False),
                           encoding="utf-8")
            os.replace(tmp, self.path)
            self._entries, self._dirty = dict(self._used), False
        except (OSError, ValueError):
            pass  # a read-only or full disk: next start-up parses again


def load_catalogue(dirs: Iterable[Path], *, cache_dir: Path | str | None = None) -> Catalogue:
    """Every loadable service; broken ones are left out and reported, never raised.

    With `cache_dir` (the kiosk uses `data_dir / "catalogue-cache"`), unchanged files are
    taken from the validated catalogue cache instead of being parsed and checked again.
    """
    cache = CatalogueCache(cache_dir) if cache_dir is not None else None
    services: dict[str, Service] = {}
    problems: list[Problem] = []
    for path in definition_files(dirs):
        try:
            service = load_service(path, cache=cache)
        except DefinitionError as exc:
            problems.extend(exc.problems)
            continue
        except Exception as exc:  # noqa: BLE001 - load_service already reports everything; belt and braces
            problems.append(Problem(str(path), None, "", f"the file could not be checked ({type(exc).__name__})"))
            continue
        if service.id in services:
            problems.append(Problem(str(path), _id_line(path), "/id",
                                    f"service id '{service.id}' is already used by {services[service.id].source}"))
            continue
        services[service.id] = service
    if cache is not None:
        cache.save()
    return Catalogue(services, problems)
