"""The XForm a ministry publishes and the instances the kiosk sends agree, element by element.

For every sample service and both sides of its conditions: a journey answered through the
real engine, the payload built as the touch screen builds it, the instance rendered by the
OpenRosa connector, checked against the form from kiosk/xform.py: same root, id and version,
every element of the instance is an element of the form, every value valid for its bind
type and choices, and every element the form asks of a visible page is there.
"""
from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.config import config_from_dict
from kiosk.definition import DefinitionError, load_service
from kiosk.journey import CHECK, QUESTION, Journey
from kiosk.samples import sample_answer
from kiosk.submission import build_payload
from kiosk.xform import XF, form_id, form_version, leaf_paths, target_problems, xform_for
from offline_queue.connectors.render import render_xform

SERVICES = Path(__file__).resolve().parent.parent / "kiosk" / "services"
SAMPLES = sorted(SERVICES.glob("*.yaml"))
H = "{http://www.w3.org/1999/xhtml}"
NOW = dt.datetime(2026, 11, 23, 10, 30, tzinfo=dt.timezone.utc)


class Form:
    """What a server reads from an XForm: the instance's elements, their binds and choices."""

    def __init__(self, text: str):
        self.tree = ET.fromstring(text.encode("utf-8"))
        model = self.tree.find(f"{H}head/{{{XF}}}model")
        self.root = model.find(f"{{{XF}}}instance")[0]
        self.leaves: list[str] = []
        self._walk(self.root, "")
        self.binds = {b.get("nodeset"): b for b in model.findall(f"{{{XF}}}bind")}
        self.controls = {}
        for control in self.tree.find(f"{H}body"):
            values = [item.findtext(f"{{{XF}}}value") for item in control.findall(f"{{{XF}}}item")]
            self.controls[control.get("ref")] = (control.tag.split("}")[1], values)

    def _walk(self, element, prefix):
        for child in element:
            path = prefix + child.tag.split("}")[1]
            if len(child):
                self._walk(child, path + "/")
            else:
                self.leaves.append(path)


def journey_for(service, language: str, last: bool) -> Journey:
    clock = iter(NOW + dt.timedelta(minutes=i) for i in range(1000))
    journey = Journey(service, language, clock=lambda: next(clock), today=NOW.date())
    while journey.step == QUESTION:
        problem = journey.next(sample_answer(journey.page, service, last=last))
        assert problem is None, (journey.page.id, problem)
    assert journey.step == CHECK
    journey.give_consent()
    return journey


def valid_for(kind: str, value: str) -> bool:
    if kind == "string":
        return True
    if kind == "binary":  # a file sent as its own part: the element holds its plain file name
        return re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", value) is not None
    if kind == "int":
        return re.fullmatch(r"-?\d+", value) is not None
    if kind == "decimal":
        return re.fullmatch(r"-?\d+(\.\d+)?", value) is not None
    if kind == "date":
        return dt.date.fromisoformat(value).isoformat() == value
    if kind == "dateTime":
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None
    raise AssertionError(f"unknown bind type {kind}")


@pytest.mark.parametrize("last", [False, True], ids=["first-options", "last-options"])
@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_form_and_instance_agree_element_by_element(tmp_path, path, last):
    service = load_service(path)
    form = Form(xform_for(service))
    config = config_from_dict({"kiosk": {"id": "lisboa-loja-03", "data_dir": str(tmp_path)}}, base=tmp_path)
    language = service.languages[-1]
    journey = journey_for(service, language, last)
    payload = build_payload(journey, config, assisted={"assisted": True, "mediator_id": "ana.s"})
    payload["attachments"] = attachment_manifest(journey)  # as Outbox.enqueue adds it
    instance = ET.fromstring(render_xform(payload).body)

    # Same root element, form id and version: otherwise Central answers 404.
    assert instance.tag == form.root.tag.split("}")[1]
    assert instance.get("id") == form.root.get("id") == form_id(service)
    assert instance.get("version") == form.root.get("version") == form_version(service)

    sent = {}
    for element in instance.iter():
        if len(element) == 0 and element is not instance:
            sent[_path(instance, element)] = element.text or ""
    assert set(sent) <= set(form.leaves), set(sent) - set(form.leaves)
    for leaf, value in sent.items():
        bind = form.binds[f"/data/{leaf}"]
        if value:
            assert valid_for(bind.get("type"), value), (leaf, bind.get("type"), value)
        kind, choices = form.controls.get(f"/data/{leaf}", ("input", []))
        if kind == "select1" and value:
            assert value in choices, (leaf, value, choices)
        if kind == "select" and value:
            assert set(value.split()) <= set(choices), (leaf, value, choices)
    # Every visible page is in the instance, where the form expects it.
    targets = {page.id: service.mapping.get(page.id, page.id) for page in service.pages}
    for page in journey.visible_pages():
        assert (f"{targets[page.id]}/page" if page.type == "document" else targets[page.id]) in sent, page.id
    assert list(leaf_paths(service)) == form.leaves

    # What a ministry needs to find a citizen's submission and its origin.
    assert sent["submission/reference"] == payload["reference"]
    assert sent["submission/kiosk_id"] == "lisboa-loja-03"
    assert sent["submission/language"] == language
    assert sent["submission/started"] == "2026-11-23T10:30:00Z"
    assert sent["submission/submitted"] > sent["submission/started"]
    assert sent["submission/assisted"] == "yes"
    assert "ana.s" not in render_xform(payload).body.decode()  # assisted, but not by whom
    assert sent["meta/instanceID"] == f"uuid:{payload['submission_id']}"
    assert sent["meta/instanceName"] == f"{service.id} {payload['reference']}"
    assert form.binds["/data/meta/instanceID"].get("{http://openrosa.org/javarosa}preload") == "uid"


def attachment_manifest(journey: Journey) -> list[dict]:
    """The payload's list of files for the journey's document and signature answers (names only)."""
    names = []
    for page in journey.visible_pages():
        value = journey.answers.get(page.id)
        if page.type == "document":
            names += list(value)
        elif page.type == "signature" and value != "oral":
            names.append(value)
    return [{"name": name} for name in names]


def _path(root, element) -> str:
    parents = {child: parent for parent in root.iter() for child in parent}
    parts = []
    while element is not root:
        parts.append(element.tag)
        element = parents[element]
    return "/".join(reversed(parts))


def test_both_option_runs_see_different_answers():
    service = load_service(SERVICES / "social-energy-tariff.yaml")
    first = journey_for(service, "en", False).answers
    last = journey_for(service, "en", True).answers
    assert first != last


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_form_types_choices_and_conditions(path):
    service = load_service(path)
    form = Form(xform_for(service, language="pt"))
    targets = {page.id: service.mapping.get(page.id, page.id) for page in service.pages}
    for page in service.pages:
        # A document is a repeat (group/repeat/upload) of one media element per page.
        leaf = f"{targets[page.id]}/page" if page.type == "document" else targets[page.id]
        bind = form.binds[f"/data/{leaf}"]
        expected = {"number": "int" if page.integer else "decimal", "date": "date", "document": "binary",
                    "signature": "binary"}.get(page.type, "string")
        assert bind.get("type") == expected, page.id
        assert (bind.get("required") == "true()") == page.required
        relevant = form.binds.get(f"/data/{targets[page.id]}", bind).get("relevant")
        assert (relevant is not None) == (page.show_if is not None)
        kind, values = form.controls[f"/data/{targets[page.id]}"]
        if page.type in ("single_choice", "multiple_choice"):
            assert kind == ("select1" if page.type == "single_choice" else "select")
            assert values == [o.value for o in page.options]
        elif page.type == "yes_no":
            assert (kind, values) == ("select1", ["yes", "no"])
        elif page.type == "document":
            assert kind == "group"
            upload = form.tree.find(f".//{{{XF}}}repeat[@nodeset='/data/{targets[page.id]}']/{{{XF}}}upload")
            assert upload is not None and upload.get("ref") == f"/data/{leaf}" and upload.get("mediatype") == "image/*"
        elif page.type == "signature":
            assert kind == "upload"
        else:
            assert kind == "input"
    title = form.tree.findtext(f"{H}head/{H}title")
    assert title == service.title["pt"]


def test_condition_xpath():
    service = load_service(SERVICES / "change-of-address.yaml")
    form = Form(xform_for(service))
    assert form.binds["/data/numero_pessoas"].get("relevant") == "/data/outros_mudaram = 'yes'"
    tariff = Form(xform_for(load_service(SERVICES / "social-energy-tariff.yaml")))
    assert [b.get("relevant") for b in tariff.binds.values() if b.get("relevant")] == [
        "selected(/data/prestacoes, 'none')",  # show_if contains
        "/data/status_updates/channel = 'sms'", "/data/status_updates/channel = 'email'"]  # status updates
    births = Form(xform_for(load_service(SERVICES / "birth-certificate.yaml")))
    assert "(/data/titular = 'my_child' or /data/titular = 'someone_else')" in [  # show_if in
        b.get("relevant") for b in births.binds.values()]


# --- names at the destination (issue 9 §2) ---------------------------------------------------

@pytest.mark.parametrize("target, words", [
    ("nome completo", "holds a space"), ("1st", "must start with a letter"), ("a//b", "empty"),
    ("ns:name", "holds ':'"), ("xmlThing", "starts with 'xml'"), ("meta/instanceID", "the kiosk fills itself"),
    ("submission", "the kiosk fills itself"), ("naïve", None), ("group/ok_name", None), ("nom.de-famille", None),
])
def test_target_names(target, words):
    problems = target_problems({"q": target})
    if words is None:
        assert problems == {}
    else:
        assert words in problems["q"]


def test_a_field_and_a_group_of_the_same_name_collide():
    problems = target_problems({"a": "person", "b": "person/name"})
    assert list(problems) == ["a"] and "cannot hold both" in problems["a"]


def test_render_refuses_what_the_form_could_not_hold():
    payload = {"submission_id": "s", "reference": "R", "form": {"id": "f"}, "service": {"id": "svc"},
               "fields": {"nome completo": "Maria Canary"}}
    with pytest.raises(ValueError) as info:
        render_xform(payload)
    assert "nome completo" in str(info.value) and "Maria" not in str(info.value)  # names, never answers
    for fields in ({"meta/x": "1"}, {"a": "1", "a/b": "2"}):
        with pytest.raises(ValueError):
            render_xform({**payload, "fields": fields})


def test_render_replaces_characters_xml_cannot_hold():
    payload = {"submission_id": "s", "reference": "R", "form": {"id": "f"}, "fields": {"a": "x\ufffey\x01z"}}
    body = render_xform(payload).body
    assert ET.fromstring(body).findtext("a") == "x\ufffdy\ufffdz"


def test_xform_for_refuses_a_service_with_bad_targets():
    import dataclasses
    service = load_service(SERVICES / "change-of-address.yaml")
    broken = dataclasses.replace(service, mapping={**service.mapping, "full_name": "nome completo"})
    with pytest.raises(ValueError, match="nome completo"):
        xform_for(broken)


def test_services_check_refuses_bad_and_colliding_targets(tmp_path):
    text = (SERVICES / "change-of-address.yaml").read_text(encoding="utf-8")
    (tmp_path / "pictograms").symlink_to(SERVICES / "pictograms")
    cases = {
        "  full_name: nome_completo": ("  full_name: nome completo", "holds a space"),
        "  nif: nif": ("  nif: meta/nif", "the kiosk fills itself"),
        "  new_address: morada": ("  new_address: nome_completo/rua", "cannot hold both"),
        "  phone: telefone": ("  phone: email", "both go to field 'email'"),
    }
    for old, (new, words) in cases.items():
        assert old in text, old
        path = tmp_path / "service.yaml"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        with pytest.raises(DefinitionError) as info:
            load_service(path)
        messages = [p.message for p in info.value.problems]
        assert any(words in m for m in messages), (new, messages)
        assert all(p.line for p in info.value.problems), info.value.problems
    # An unmapped page goes to a field named like its id: it collides with a mapped target.
    path.write_text(text.replace("  email: email\n", "").replace("  phone: telefone", "  phone: email"),
                    encoding="utf-8")
    with pytest.raises(DefinitionError, match="both go to field 'email'"):
        load_service(path)


def test_an_encrypted_form_carries_the_public_key():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    service = load_service(SERVICES / "social-energy-tariff.yaml")
    form = Form(xform_for(service, public_key=pem))
    submission = form.tree.find(f"{H}head/{{{XF}}}model/{{{XF}}}submission")
    b64 = "".join(line for line in pem.splitlines() if not line.startswith("-----"))
    assert submission.get("base64RsaPublicKey") == b64
    assert Form(xform_for(service, public_key=b64)).tree.find(f"{H}head/{{{XF}}}model/{{{XF}}}submission") \
        .get("base64RsaPublicKey") == b64
    assert Form(xform_for(service)).tree.find(f"{H}head/{{{XF}}}model/{{{XF}}}submission") is None
    ec_pem = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    for bad, words in (("not a key!", "not base64"), ("AAAA", "cannot be read"), (ec_pem, "not an RSA key")):
        with pytest.raises(ValueError, match=words):
            xform_for(service, public_key=bad)


# Answers of any shape a citizen or a script could give, per question type.
_RAW = {
    "number": st.one_of(st.integers(-10 ** 6, 10 ** 6), st.floats(-1e6, 1e6, allow_nan=False),
                        st.decimals(places=6, min_value=-10 ** 6, max_value=10 ** 6, allow_nan=False).map(str),
                        st.text("0123456789.,- ", max_size=12)),
    "date": st.one_of(st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1)).map(lambda d: d.strftime("%d/%m/%Y")),
                      st.text(max_size=12)),
    "short_text": st.text(max_size=30), "long_text": st.text(max_size=60),
}


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_any_accepted_answer_is_valid_for_its_bind_type(data):
    """Whatever the validators accept, the rendered instance holds a value the form's type allows."""
    from kiosk.validators import Invalid, validate
    service = load_service(data.draw(st.sampled_from(SAMPLES)))
    form = _form_of(service)
    page = data.draw(st.sampled_from([p for p in service.pages if p.type in _RAW]))
    raw = data.draw(_RAW[page.type])
    value = validate(page, raw, national_id_kind=service.national_id, postcode_kind=service.postcode,
                     today=NOW.date())
    if value is None or isinstance(value, Invalid):
        return
    target = service.mapping.get(page.id, page.id)
    payload = {"submission_id": "s", "reference": "R", "form": {"id": form_id(service)}, "fields": {target: value}}
    sent = ET.fromstring(render_xform(payload).body).findtext(target)
    kind = form.binds[f"/data/{target}"].get("type")
    assert valid_for(kind, sent), (page.id, kind, raw, value, sent)
    assert sent == value or kind != "string"  # text goes out exactly as accepted


_FORMS: dict = {}


def _form_of(service) -> Form:
    if service.id not in _FORMS:
        _FORMS[service.id] = Form(xform_for(service))
    return _FORMS[service.id]


@pytest.mark.parametrize("raw, sent", [("0,00001", "0.00001"), ("-0.0000001", "-0.0000001"), ("2.5", "2.5"),
                                       ("1000000000000000000000", "1000000000000000000000")])
def test_decimals_are_sent_without_an_exponent(raw, sent):
    # xsd:decimal has no exponent; str(0.00001) is "1e-05".
    from kiosk.validators import validate
    service = load_service(SERVICES / "social-energy-tariff.yaml")
    page = next(p for p in service.pages if p.type == "number" and not p.integer)
    value = validate(page.__class__(**{**page.__dict__, "min": None, "max": None}), raw)
    payload = {"submission_id": "s", "reference": "R", "form": {"id": "f"}, "fields": {"n": value}}
    assert ET.fromstring(render_xform(payload).body).findtext("n") == sent
