"""Service definitions: the samples load and are complete; broken files give plain, located problems."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from kiosk import national_id, postcode
from kiosk.definition import (CHOICE_TYPES, Condition, DefinitionError, Problem, check_document,
                              load_catalogue, load_service, parse)
from kiosk.validators import Invalid, validate

SERVICES = Path(__file__).resolve().parent.parent / "kiosk" / "services"
SAMPLES = sorted(SERVICES.glob("*.yaml"))
ALL_LANGUAGES = ("en", "pt", "fr", "es", "ar")

# A small valid definition; the broken ones below are made by editing it, so
# the line numbers in the assertions are the lines of this text.
VALID = textwrap.dedent("""\
    format: 1
    id: demo
    version: 1
    languages: [en, pt]
    title: {en: Demo, pt: Demonstração}
    description: {en: A demo., pt: Uma demonstração.}
    destination: test
    consent: {en: I agree., pt: Concordo.}
    pages:
      - id: first
        type: yes_no
        question: {en: "First?", pt: "Primeiro?"}
      - id: second
        type: short_text
        question: {en: "Second?", pt: "Segundo?"}
    """)
# The data notice (GDPR art. 13) is required wherever the schema has it; after the pages so
# that the line numbers above stay the same.
if "data_notice" in (SERVICES.parent / "schema" / "service.schema.json").read_text(encoding="utf-8"):
    VALID += ("data_notice: {controller: {en: Us., pt: Nós.}, purpose: {en: To help., pt: Ajudar.}, "
              "legal_basis: {en: Law., pt: Lei.}, retention: {en: 1 year., pt: 1 ano.}, "
              "rights: {en: Ask., pt: Pergunte.}, contact: {en: Desk., pt: Balcão.}}\n")


def write(tmp_path: Path, text: str, name: str = "service.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(DefinitionError) as info:
        load_service(path)
    problems = info.value.problems
    assert problems, "a DefinitionError always carries at least one problem"
    for problem in problems:
        assert problem.file == str(path)
        assert problem.message and "Traceback" not in problem.message
    return problems


def only_problem(path: Path) -> Problem:
    problems = problems_of(path)
    assert len(problems) == 1, problems
    return problems[0]


def edit(old: str, new: str) -> str:
    assert old in VALID, old
    return VALID.replace(old, new, 1)


# --- the sample services -----------------------------------------------------

def test_there_are_three_samples():
    assert {p.stem for p in SAMPLES} >= {"change-of-address", "birth-certificate", "social-energy-tariff"}


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_sample_loads_with_every_language(path):
    service = load_service(path)
    assert service.id == path.stem
    assert set(service.languages) == set(ALL_LANGUAGES)
    texts = [service.title, service.description, service.consent, service.data_use, service.requirements]
    for page in service.pages:
        texts += [page.question, page.mediator_notes]
        texts += [page.hint] if page.hint else []
        texts += [o.label for o in page.options]
        texts += list(page.errors.values())
    for text in texts:
        assert set(text) == set(ALL_LANGUAGES), text
        assert all(value.strip() for value in text.values())


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_sample_is_well_formed(path):
    service = load_service(path)
    from kiosk import status_updates
    # The kiosk's own pages for status updates (generated when the service offers them) are not counted.
    assert 6 <= len([p for p in service.pages if p.id not in status_updates.PAGE_IDS]) <= 12
    assert service.national_id == "pt-nif"
    assert service.postcode == "PT"
    assert service.data_use and service.requirements
    assert all(page.mediator_notes for page in service.pages)
    # Every condition points back to an earlier page, at a value that page can give.
    for i, page in enumerate(service.pages):
        if page.show_if is None:
            continue
        earlier = {p.id: p for p in service.pages[:i]}
        assert page.show_if.page in earlier
        target = earlier[page.show_if.page]
        possible = {"yes", "no"} if target.type == "yes_no" else {o.value for o in target.options}
        wanted = {page.show_if.equals} if page.show_if.equals is not None else set(page.show_if.any_of)
        if page.show_if.contains is not None:
            wanted = {page.show_if.contains}
        assert wanted and wanted <= possible, (page.id, wanted, possible)
    # The mapping names real pages, and every page is mapped.
    assert set(service.mapping) == {p.id for p in service.pages}
    assert service.openrosa["form_id"] == service.id.replace("-", "_")
    assert service.openrosa["form_version"] == "1"


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_sample_pictograms_exist(path):
    service = load_service(path)
    pictures = [service.pictogram] + [p.pictogram for p in service.pages] + \
               [o.pictogram for p in service.pages for o in p.options]
    pictures = [p for p in pictures if p is not None]
    assert service.pictogram is not None
    for picture in pictures:
        assert picture.is_file(), picture
        text = picture.read_text(encoding="utf-8")
        assert 'viewBox="0 0 96 96"' in text
        assert "<text" not in text  # no words inside a pictogram


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_sample_choice_pages_have_options_and_types_vary(path):
    service = load_service(path)
    for page in service.pages:
        assert bool(page.options) == (page.type in CHOICE_TYPES)
    assert len({p.type for p in service.pages}) >= 5
    assert any(p.show_if for p in service.pages)


def test_change_of_address_pages():
    service = load_service(SERVICES / "change-of-address.yaml")
    assert [p.id for p in service.pages] == ["nif", "full_name", "date_moved", "new_postcode", "new_address",
                                             "others_moved", "people_count", "phone", "email"]
    assert service.destination == "civil-registry"
    assert service.page("nif").personal and service.page("full_name").personal
    assert service.page("new_address").personal
    assert service.page("date_moved").date_range == "past"
    count = service.page("people_count")
    assert (count.min, count.max) == (1, 20)
    assert count.show_if == Condition("others_moved", "yes")
    assert not service.page("phone").required and not service.page("email").required
    assert service.page("nif").required is True


def test_social_tariff_uses_contains():
    service = load_service(SERVICES / "social-energy-tariff.yaml")
    income = service.page("yearly_income")
    assert income.show_if.contains == "none"
    assert service.page("benefits").type == "multiple_choice"
    assert service.page("anything_else").type == "long_text" and not service.page("anything_else").required
    assert service.destination == "social-security"


def test_birth_certificate_delivery_branches():
    service = load_service(SERVICES / "birth-certificate.yaml")
    assert service.page("person_name").show_if.any_of == ("my_child", "someone_else")
    assert service.page("delivery_email").show_if == Condition("delivery", "email")
    assert all(o.pictogram for o in service.page("whose").options)
    assert all(o.pictogram for o in service.page("delivery").options)


def test_samples_load_as_a_catalogue():
    catalogue = load_catalogue([SERVICES])
    assert catalogue.problems == []
    assert {"change-of-address", "birth-certificate", "social-energy-tariff"} <= set(catalogue.services)
    for language in ALL_LANGUAGES:
        assert len(catalogue.for_language(language)) == len(catalogue.services)


def test_yes_no_words_stay_strings_and_booleans_stay_booleans(tmp_path):
    text = edit("    type: short_text\n", "    type: short_text\n    required: false\n    personal: true\n"
                "    show_if: {page: first, equals: yes}\n")
    service = load_service(write(tmp_path, text))
    second = service.page("second")
    assert second.required is False and second.personal is True
    assert second.show_if.equals == "yes"


# --- broken files ---------------------------------------------------------------

def test_valid_base_loads(tmp_path):
    assert load_service(write(tmp_path, VALID)).id == "demo"


def test_yaml_syntax_error_has_its_line(tmp_path):
    text = edit("    type: short_text\n", "    type: [short_text\n")
    problem = only_problem(write(tmp_path, text))
    assert problem.message.startswith("not valid YAML")
    assert problem.line in (14, 15)


def test_tab_indentation_is_a_yaml_error_with_a_line(tmp_path):
    text = edit("    type: short_text\n", "\ttype: short_text\n")
    problem = only_problem(write(tmp_path, text))
    assert problem.message.startswith("not valid YAML")
    assert problem.line == 14


def test_missing_required_top_level_field(tmp_path):
    problem = only_problem(write(tmp_path, edit("destination: test\n", "")))
    assert problem.message == "'destination' is missing here; add it"
    assert problem.line == 1


def test_missing_required_page_field_points_at_the_page(tmp_path):
    problem = only_problem(write(tmp_path, edit("    type: short_text\n", "")))
    assert problem.message == "'type' is missing here; add it"
    assert problem.pointer == "/pages/1"
    assert problem.line == 13


def test_unknown_question_type_lists_the_known_ones(tmp_path):
    problem = only_problem(write(tmp_path, edit("type: short_text", "type: dropdown")))
    assert problem.line == 14
    assert problem.pointer == "/pages/1/type"
    assert "'dropdown' is not allowed for type" in problem.message
    for kind in ("single_choice", "short_text", "national_id", "postcode"):
        assert kind in problem.message


def test_unknown_field_is_named(tmp_path):
    problem = only_problem(write(tmp_path, edit("    type: short_text\n", "    type: short_text\n    requird: false\n")))
    assert "requird" in problem.message and "not a known field" in problem.message


def test_missing_language_in_service_text(tmp_path):
    problem = only_problem(write(tmp_path, edit("title: {en: Demo, pt: Demonstração}", "title: {en: Demo}")))
    assert problem.line == 5
    assert problem.pointer == "/title"
    assert "no text in pt" in problem.message


def test_missing_language_in_question(tmp_path):
    text = edit('question: {en: "Second?", pt: "Segundo?"}', 'question: {en: "Second?"}')
    problem = only_problem(write(tmp_path, text))
    assert problem.line == 15
    assert problem.pointer == "/pages/1/question"
    assert "no text in pt" in problem.message


def test_missing_language_in_option_label(tmp_path):
    text = edit("    type: short_text\n", textwrap.indent(textwrap.dedent("""\
        type: single_choice
        options:
          - value: a
            label: {en: A, pt: A}
          - value: b
            label: {en: B}
        """), "    "))
    problem = only_problem(write(tmp_path, text))
    assert problem.pointer == "/pages/1/options/1/label"
    assert problem.line == 19
    assert "no text in pt" in problem.message


def test_unsupported_language_code(tmp_path):
    problem = only_problem(write(tmp_path, edit("title: {en: Demo, pt: Demonstração}",
                                                "title: {en: Demo, pt: Demonstração, de: Demo}")))
    assert "'de' is not a supported language code" in problem.message


def test_show_if_pointing_forward(tmp_path):
    text = edit("    type: yes_no\n", "    type: yes_no\n    show_if: {page: second, equals: x}\n")
    problem = only_problem(write(tmp_path, text))
    assert problem.line == 12
    assert problem.pointer == "/pages/0/show_if/page"
    assert "'second' is not an earlier page" in problem.message


def test_show_if_pointing_at_itself(tmp_path):
    text = edit("    type: short_text\n", "    type: short_text\n    show_if: {page: second, equals: x}\n")
    assert "not an earlier page" in only_problem(write(tmp_path, text)).message


def test_show_if_needs_exactly_one_test(tmp_path):
    text = edit("    type: short_text\n", "    type: short_text\n    show_if: {page: first}\n")
    assert "exactly one of equals, in or contains" in only_problem(write(tmp_path, text)).message


def test_contains_needs_multiple_choice(tmp_path):
    text = edit("    type: short_text\n", "    type: short_text\n    show_if: {page: first, contains: \"yes\"}\n")
    assert "'contains' only works on a multiple_choice page" in only_problem(write(tmp_path, text)).message


def test_condition_value_that_can_never_match(tmp_path):
    text = edit("    type: short_text\n", "    type: short_text\n    show_if: {page: first, equals: maybe}\n")
    problem = only_problem(write(tmp_path, text))
    assert problem.pointer == "/pages/1/show_if"
    assert "'maybe'" in problem.message and "yes, no" in problem.message


def test_duplicate_page_id(tmp_path):
    problem = only_problem(write(tmp_path, edit("id: second", "id: first")))
    assert problem.line == 13
    assert problem.pointer == "/pages/1/id"
    assert "page id 'first' is used twice" in problem.message


def test_choice_question_without_options(tmp_path):
    problem = only_problem(write(tmp_path, edit("type: short_text", "type: single_choice")))
    assert problem.line == 13
    assert problem.message == "a single_choice question needs options"


def test_options_on_a_text_question(tmp_path):
    text = edit("    type: short_text\n", "    type: short_text\n    options:\n"
                "      - {value: a, label: {en: A, pt: A}}\n      - {value: b, label: {en: B, pt: B}}\n")
    assert "takes no options" in only_problem(write(tmp_path, text)).message


def test_min_larger_than_max(tmp_path):
    text = edit("    type: short_text\n", "    type: number\n    min: 5\n    max: 1\n")
    assert only_problem(write(tmp_path, text)).message == "min is larger than max"


def test_unknown_national_id_validator(tmp_path):
    problem = only_problem(write(tmp_path, edit("pages:", "national_id: xx-abc\npages:")))
    assert problem.line == 9
    assert problem.pointer == "/national_id"
    assert "unknown validator 'xx-abc'" in problem.message
    for name in national_id.VALIDATORS:
        assert name in problem.message


def test_unknown_postcode_format(tmp_path):
    problem = only_problem(write(tmp_path, edit("pages:", "postcode: XX\npages:")))
    assert "unknown postcode format 'XX'" in problem.message
    for name in postcode.FORMATS:
        assert name in problem.message


def test_mapping_to_a_page_that_does_not_exist(tmp_path):
    problem = only_problem(write(tmp_path, edit("pages:", "mapping:\n  first: primeiro\n  third: terceiro\npages:")))
    assert problem.line == 11
    assert problem.pointer == "/mapping/third"
    assert problem.message == "'third' is not a page id"


def test_error_override_needs_every_language(tmp_path):
    text = edit("    type: short_text\n", "    type: short_text\n    errors:\n      required: {en: Say something.}\n")
    problem = only_problem(write(tmp_path, text))
    assert problem.pointer == "/pages/1/errors/required"
    assert "no text in pt" in problem.message


def test_error_override_with_an_unknown_key(tmp_path):
    text = edit("    type: short_text\n", "    type: short_text\n    errors:\n"
                "      to_long: {en: Too long., pt: Demasiado longo.}\n")
    problem = only_problem(write(tmp_path, text))
    assert problem.pointer == "/pages/1/errors/to_long"
    assert "'to_long'" in problem.message and "too_long" in problem.message


def test_wrong_format_version(tmp_path):
    problem = only_problem(write(tmp_path, edit("format: 1", "format: 2")))
    assert problem.message == "format must be 1"


@pytest.mark.parametrize("text", ["- a\n- b\n", "just some words\n", "", "# only a comment\n", "42\n"])
def test_a_file_that_is_not_a_mapping(tmp_path, text):
    problem = only_problem(write(tmp_path, text))
    assert problem.line is None
    assert "the file must hold a mapping" in problem.message


def test_a_binary_file(tmp_path):
    path = tmp_path / "picture.yaml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
    problem = only_problem(path)
    assert problem.message.startswith("cannot read the file")
    assert "UTF-8" in problem.message


def test_a_file_with_nul_bytes(tmp_path):
    path = tmp_path / "nul.yaml"
    path.write_bytes(b"format: 1\nid: a\x00b\n")
    problem = only_problem(path)
    assert problem.message.startswith("not valid YAML")
    assert problem.line == 2


def test_a_missing_file(tmp_path):
    problem = only_problem(tmp_path / "nowhere.yaml")
    assert problem.message.startswith("cannot read the file")


def test_a_directory_instead_of_a_file(tmp_path):
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    assert only_problem(folder).message.startswith("cannot read the file")


def test_json_definitions_work(tmp_path):
    import json

    import yaml
    doc = yaml.safe_load(VALID)
    path = tmp_path / "demo.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert load_service(path).id == "demo"


def test_several_problems_are_all_reported(tmp_path):
    text = edit("title: {en: Demo, pt: Demonstração}", "title: {en: Demo}").replace("id: second", "id: first")
    messages = [p.message for p in problems_of(write(tmp_path, text))]
    assert any("no text in pt" in m for m in messages)
    assert any("used twice" in m for m in messages)


def test_problem_text_names_file_line_and_place():
    problem = Problem("services/x.yaml", 12, "/pages/0/type", "bad")
    assert str(problem) == "services/x.yaml:12 (/pages/0/type): bad"
    assert str(Problem("x.yaml", None, "", "bad")) == "x.yaml: bad"


def test_parse_and_check_document_work_without_files():
    doc = parse(VALID, "<memory>")
    assert check_document(doc, "<memory>") == []
    assert check_document(["a"], "<memory>")[0].message.startswith("the file must hold a mapping")


# --- catalogue ----------------------------------------------------------------------

def test_catalogue_leaves_a_broken_file_out_and_reports_it(tmp_path):
    write(tmp_path, VALID, "a-good.yaml")
    write(tmp_path, VALID.replace("id: demo", "id: other"), "b-good.yml")
    write(tmp_path, edit("type: short_text", "type: dropdown"), "c-broken.yaml")
    (tmp_path / "d-binary.json").write_bytes(b"\xff\xfe\x00\x01")
    (tmp_path / "notes.txt").write_text("not a definition")
    catalogue = load_catalogue([tmp_path])
    assert set(catalogue.services) == {"demo", "other"}
    files = {Path(p.file).name for p in catalogue.problems}
    assert files == {"c-broken.yaml", "d-binary.json"}
    assert any(p.line == 14 and "dropdown" in p.message for p in catalogue.problems)


def test_catalogue_reports_duplicate_service_ids(tmp_path):
    write(tmp_path, VALID, "a.yaml")
    write(tmp_path, VALID, "b.yaml")
    catalogue = load_catalogue([tmp_path])
    assert list(catalogue.services) == ["demo"]
    assert catalogue.services["demo"].source.name == "a.yaml"
    [problem] = catalogue.problems
    assert Path(problem.file).name == "b.yaml"
    assert problem.line == 2
    assert "service id 'demo' is already used" in problem.message and "a.yaml" in problem.message


def test_catalogue_accepts_single_files_and_missing_folders(tmp_path):
    path = write(tmp_path, VALID)
    catalogue = load_catalogue([path, tmp_path / "does-not-exist"])
    assert list(catalogue.services) == ["demo"]
    assert catalogue.problems == []


def test_catalogue_for_language(tmp_path):
    write(tmp_path, VALID, "a.yaml")
    catalogue = load_catalogue([tmp_path])
    assert [s.id for s in catalogue.for_language("pt")] == ["demo"]
    assert catalogue.for_language("ar") == []


# --- how a definition reaches the validators --------------------------------------

def test_override_keys_match_validator_keys():
    """Every error override in the samples uses a key the validators can produce."""
    for path in SAMPLES:
        for page in load_service(path).pages:
            for key in page.errors:
                assert f'"error.{key}"' in (Path(__file__).resolve().parent.parent / "translations" / "core"
                                            / "en.json").read_text(encoding="utf-8")


def test_sample_nif_page_accepts_a_valid_fake_number():
    service = load_service(SERVICES / "change-of-address.yaml")
    page = service.page("nif")
    assert validate(page, "123 456 789", national_id_kind=service.national_id) == "123456789"
    assert isinstance(validate(page, "123456788", national_id_kind=service.national_id), Invalid)


def test_empty_in_condition(tmp_path):
    text = edit("    type: short_text\n", "    type: short_text\n    show_if: {page: first, in: []}\n")
    assert "'in' is empty" in only_problem(write(tmp_path, text)).message


def test_error_keys_match_the_core_translations():
    import json

    from kiosk.definition import ERROR_KEYS
    en = json.loads((Path(__file__).resolve().parent.parent / "translations" / "core" / "en.json")
                    .read_text(encoding="utf-8"))
    for key in ERROR_KEYS:
        assert f"error.{key}" in en


def test_skipped_answer_never_satisfies_a_condition():
    assert not Condition("a", None, ("x",)).holds({"a": None})
    assert not Condition("a", "x").holds({})
    assert Condition("a", None, ("x", "y")).holds({"a": "y"})
    assert Condition("a", contains="x").holds({"a": ["w", "x"]})
    assert not Condition("a", contains="x").holds({"a": "x"})


def test_two_pages_mapped_to_the_same_field(tmp_path):
    problem = only_problem(write(tmp_path, edit("pages:", "mapping:\n  first: campo\n  second: campo\npages:")))
    assert problem.line == 11
    assert problem.pointer == "/mapping/second"
    assert "both go to field 'campo'" in problem.message


def test_missing_or_escaping_pictogram_is_reported(tmp_path):
    from kiosk.definition import DefinitionError, load_service
    source = (Path(__file__).parents[1] / "kiosk/services/change-of-address.yaml").read_text(encoding="utf-8")
    assert "pictogram: pictograms/" in source
    for name, expected in (("pictograms/nope.svg", "does not exist"), ("../outside.svg", "outside")):
        path = tmp_path / f"svc-{expected.split()[0]}.yaml"
        path.write_text(source.replace("pictogram: pictograms/", f"pictogram: {name}#", 1).replace(f"{name}#", name + " #", 1), encoding="utf-8")
        with pytest.raises(DefinitionError) as info:
            load_service(path)
        assert any(expected in p.message and p.line for p in info.value.problems), info.value


# --- hostile files (issue 17) -------------------------------------------------------

def test_an_alias_bomb_is_refused_without_expanding(tmp_path):
    bomb = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    bomb += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 12)]
    problem = only_problem(write(tmp_path, VALID + "\n".join(bomb) + "\n"))
    assert "anchors and aliases" in problem.message
    assert problem.line is not None and problem.line > VALID.count("\n")


def test_a_single_alias_is_refused_too(tmp_path):
    text = edit("title: {en: Demo, pt: Demonstração}", "title: &t {en: Demo, pt: Demonstração}")
    text = text.replace("description: {en: A demo., pt: Uma demonstração.}", "description: *t")
    problem = only_problem(write(tmp_path, text))
    assert "aliases" in problem.message and problem.line == 5  # where the reused value is anchored


def test_merge_keys_are_refused(tmp_path):
    text = edit("consent: {en: I agree., pt: Concordo.}", "consent: {<<: {en: I agree.}, pt: Concordo.}")
    assert "merge keys" in only_problem(write(tmp_path, text)).message


def test_a_file_over_the_size_limit_is_refused_before_parsing(tmp_path):
    from kiosk.definition import MAX_FILE_BYTES
    path = write(tmp_path, VALID + "# " + "x" * MAX_FILE_BYTES + "\n")
    problem = only_problem(path)
    assert "larger than 256 KiB" in problem.message
    with pytest.raises(DefinitionError, match="larger than"):
        parse("a: " + "b" * (MAX_FILE_BYTES + 1), "<memory>")


@pytest.mark.parametrize("nesting", ["[" * 30 + "]" * 30, "[" * 5000 + "]" * 5000,
                                     "".join("\n" + "  " * i + "k:" for i in range(1, 40)) + " x"])
def test_deep_nesting_is_refused(tmp_path, nesting):
    problem = only_problem(write(tmp_path, VALID + "extra: " + nesting + "\n"))
    assert "nested" in problem.message or "nesting" in problem.message


def test_a_huge_integer_is_a_located_problem_not_a_valueerror(tmp_path):
    problem = only_problem(write(tmp_path, edit("version: 1", "version: " + "9" * 5000)))
    assert problem.line == 3 and "5000 digits" in problem.message


def test_an_impossible_date_is_just_text(tmp_path):
    # YAML 1.1 would make 2001-13-45 a timestamp and int() it into a ValueError.
    service = load_service(write(tmp_path, edit("destination: test", "destination: 2001-13-45")))
    assert service.destination == "2001-13-45"


@pytest.mark.parametrize("value, words", [("!!binary aGVsbG8=", "tag"), ("!!set {a, b}", "tag"),
                                          ("!!python/object/apply:os.system [echo hi]", "tag"),
                                          ("!!timestamp 2001-13-45", "tag")])
def test_yaml_tags_are_refused(tmp_path, value, words):
    problem = only_problem(write(tmp_path, edit("destination: test", f"destination: {value}")))
    assert words in problem.message and problem.line == 7


def test_keys_must_be_plain_words_and_appear_once(tmp_path):
    problem = only_problem(write(tmp_path, edit("destination: test", "destination: test\n2024: x")))
    assert "cannot be a field name" in problem.message and problem.line == 8
    problem = only_problem(write(tmp_path, edit("destination: test", "destination: test\ndestination: x")))
    assert "appears twice" in problem.message and "line 7" in problem.message and problem.line == 8


def test_schema_errors_are_capped_and_short(tmp_path):
    text = edit("languages: [en, pt]", "languages: [" + ", ".join(f"x{i}" * 50 for i in range(300)) + "]")
    problems = problems_of(write(tmp_path, text))
    assert len(problems) == 51 and problems[-1].message == "more problems after these 50; fix these first"
    assert all(len(p.message) <= 301 for p in problems)
    pointers = [p.pointer for p in problems if p.pointer.startswith("/languages/")]
    assert pointers[:3] == ["/languages/0", "/languages/1", "/languages/2"]  # in file order, not as text


def test_unique_items_on_a_long_list_is_linear(tmp_path):
    # jsonschema's own uniqueItems compares unhashable items pairwise: minutes for 20,000 mappings, seconds for these 5,000.
    text = edit("languages: [en, pt]", "languages: [" + ", ".join("{a: %d}" % i for i in range(5000)) + "]")
    problems = problems_of(write(tmp_path, text))
    assert problems and all(p.file.endswith("service.yaml") for p in problems)
    text = edit("languages: [en, pt]", "languages: [en, pt, en]")
    assert any("appears twice" in p.message for p in problems_of(write(tmp_path, text)))


def test_a_fifo_is_reported_not_waited_on(tmp_path):
    import os
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    write(tmp_path, VALID, "good.yaml")
    catalogue = load_catalogue([tmp_path])
    assert list(catalogue.services) == ["demo"]
    [problem] = catalogue.problems
    assert problem.file == str(fifo) and "not a regular file" in problem.message


def test_an_unexpected_error_in_one_file_is_reported_and_the_rest_load(tmp_path):
    # A pictogram name longer than the file system allows raises OSError deep in pathlib.
    long_name = "a" * 5000 + ".svg"
    write(tmp_path, VALID, "a-good.yaml")
    write(tmp_path, edit("destination: test", f"destination: test\npictogram: {long_name}").replace(
        "id: demo", "id: other"), "b-bad.yaml")
    catalogue = load_catalogue([tmp_path])
    assert list(catalogue.services) == ["demo"]
    [problem] = catalogue.problems
    assert problem.file.endswith("b-bad.yaml") and "pictogram" in problem.message and len(problem.message) < 300


def test_any_exception_becomes_a_problem(tmp_path, monkeypatch):
    import kiosk.definition as definition

    def broken(doc, path):
        raise AttributeError("'NoneType' object has no attribute 'get'")
    monkeypatch.setattr(definition, "_build", broken)
    problem = only_problem(write(tmp_path, VALID))
    assert "could not be checked" in problem.message and "AttributeError" in problem.message
    monkeypatch.setattr(definition, "_build", lambda doc, path: (_ for _ in ()).throw(RecursionError()))
    assert "nested too deeply" in only_problem(write(tmp_path, VALID)).message


# --- the validated catalogue cache (issue 16) ---------------------------------------------

def test_cache_skips_parsing_unchanged_files(tmp_path, monkeypatch):
    import kiosk.definition as definition
    folder = tmp_path / "services"
    folder.mkdir()
    write(folder, VALID, "demo.yaml")
    cache = tmp_path / "cache"
    first = load_catalogue([folder], cache_dir=cache)
    assert list(first.services) == ["demo"] and (cache / "catalogue.json").is_file()

    def no_parse(text, source):
        raise AssertionError("an unchanged file was parsed again")
    monkeypatch.setattr(definition, "parse", no_parse)
    second = load_catalogue([folder], cache_dir=cache)
    assert second.services["demo"] == first.services["demo"]
    monkeypatch.undo()
    # A changed file is parsed and checked again, and a broken edit is reported with its line.
    write(folder, edit("type: short_text", "type: dropdown"), "demo.yaml")
    third = load_catalogue([folder], cache_dir=cache)
    assert third.services == {} and third.problems[0].line == 14


def test_cache_still_checks_pictograms_and_ignores_damage(tmp_path):
    folder = tmp_path / "services"
    folder.mkdir()
    (folder / "p.svg").write_text("<svg/>")
    write(folder, edit("destination: test", "destination: test\npictogram: p.svg"), "demo.yaml")
    cache = tmp_path / "cache"
    assert list(load_catalogue([folder], cache_dir=cache).services) == ["demo"]
    (folder / "p.svg").unlink()
    catalogue = load_catalogue([folder], cache_dir=cache)
    assert catalogue.services == {} and catalogue.problems[0].line == 8  # located: loaded in full
    (folder / "p.svg").write_text("<svg/>")
    for damage in (b"\x00garbage", b'{"key": "x", "entries": []}', b"[" * 100000):
        (cache / "catalogue.json").write_bytes(damage)
        assert list(load_catalogue([folder], cache_dir=cache).services) == ["demo"]


def test_cache_holds_only_the_definitions(tmp_path):
    import json
    folder = tmp_path / "services"
    folder.mkdir()
    write(folder, VALID, "demo.yaml")
    write(folder, VALID.replace("id: demo", "id: second"), "second.yaml")
    cache = tmp_path / "cache"
    load_catalogue([folder], cache_dir=cache)
    (folder / "second.yaml").unlink()
    load_catalogue([folder], cache_dir=cache)
    stored = json.loads((cache / "catalogue.json").read_text(encoding="utf-8"))
    # One entry per current file: the cache does not grow with every edit ever made.
    assert [doc["id"] for doc in stored["entries"].values()] == ["demo"]


def test_cached_start_up_does_not_import_jsonschema(tmp_path):
    import subprocess
    import sys
    folder = tmp_path / "services"
    folder.mkdir()
    write(folder, VALID, "demo.yaml")
    code = ("import sys; from kiosk.definition import load_catalogue; "
            f"c = load_catalogue([{str(folder)!r}], cache_dir={str(tmp_path / 'cache')!r}); "
            "print(list(c.services), 'jsonschema' in sys.modules)")
    root = Path(__file__).resolve().parent.parent
    run = lambda: subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root,  # noqa: E731
                                 check=True).stdout.split()
    assert run() == ["['demo']", "True"]  # first start: validated
    assert run() == ["['demo']", "False"]  # then: from the cache, no schema library


def test_cache_from_other_checking_code_is_not_trusted(tmp_path, monkeypatch):
    # After an update that adds a rule, a file the old code accepted must be checked again.
    import json

    import kiosk.definition as definition
    folder = tmp_path / "services"
    folder.mkdir()
    write(folder, VALID, "demo.yaml")
    cache = tmp_path / "cache"
    load_catalogue([folder], cache_dir=cache)
    stored = json.loads((cache / "catalogue.json").read_text(encoding="utf-8"))
    assert stored["key"] == definition._cache_key()
    calls = []
    monkeypatch.setattr(definition, "parse", lambda text, source: calls.append(source) or parse(text, source))
    stored["key"] = "written-by-an-older-kiosk"
    (cache / "catalogue.json").write_text(json.dumps(stored), encoding="utf-8")
    assert list(load_catalogue([folder], cache_dir=cache).services) == ["demo"]
    assert calls == [str(folder / "demo.yaml")]


def test_long_values_are_cut_short_in_messages(tmp_path):
    text = edit("    type: short_text\n", "    type: short_text\n    show_if: {page: " + "x" * 3000 + ", equals: a}\n")
    problem = only_problem(write(tmp_path, text))
    assert problem.message.startswith("'xxx") and problem.message.endswith("a condition can only look back")
    assert len(problem.message) <= 401


@pytest.mark.parametrize("language", ALL_LANGUAGES)
def test_every_error_key_has_words_in_every_language(language):
    import json

    from kiosk.definition import ERROR_KEYS
    words = json.loads((Path(__file__).resolve().parent.parent / "translations" / "core" / f"{language}.json")
                       .read_text(encoding="utf-8"))
    assert [key for key in sorted(ERROR_KEYS) if not words.get(f"error.{key}")] == []
