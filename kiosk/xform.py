"""The XForm of a service, and the layout every OpenRosa instance of it follows.

A ministry that receives submissions on ODK Central or KoboToolbox publishes the form that
`xform_for` writes; the kiosk's OpenRosa connector
(`offline_queue/connectors/render.py`) renders each submission into an instance with the
same element names, in the same places, with values of the types bound here. Both sides take
the layout from this module, so they cannot drift apart.

Layout of an instance (root element `data`, attributes from the definition's `openrosa`):

    <data id="change_of_address" version="1">
      <nif>…</nif> …                      one element per page: the mapping's target, or the page id
      <submission>                        where the submission comes from (no personal data)
        <reference>K7RM4Q2P</reference>   the citizen's reference number
        <kiosk_id>…</kiosk_id> <language>pt</language>
        <started>…Z</started> <submitted>…Z</submitted>
        <assisted>yes|no</assisted>       whether a mediator helped (not who)
      </submission>
      <meta><instanceID>uuid:…</instanceID><instanceName>change-of-address K7RM4Q2P</instanceName></meta>
    </data>

A `document` page is a repeat with one media element per page, as ODK Collect sends a repeat
group holding an image question (XLSForm `begin repeat` + `image`); each file is its own
multipart part whose name is the element's value:

    <comprovativo_morada><page>proof_of_address-1.jpg</page></comprovativo_morada>
    <comprovativo_morada><page>proof_of_address-2.jpg</page></comprovativo_morada>

A `signature` page is one media element: `<assinatura>signature.png</assinatura>`.
"""
from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING, Any, Iterable
from xml.etree.ElementTree import Element, SubElement, indent, register_namespace, tostring

if TYPE_CHECKING:
    from kiosk.definition import Condition, Page, Service

ROOT = "data"
META = "meta"
SUBMISSION = "submission"
# Top-level names the kiosk writes itself; a mapping target may not use them.
RESERVED = frozenset({META, SUBMISSION})
# The <submission> group: element name -> XForm bind type.
SUBMISSION_FIELDS = {"reference": "string", "kiosk_id": "string", "language": "string",
                     "started": "dateTime", "submitted": "dateTime", "assisted": "string"}
YES_NO = ("yes", "no")
# The media element inside each repeat of a document page: one repeat, and one file, per page.
PAGE = "page"

# Question type -> XForm bind type; choice types become select1/select controls.
BIND_TYPES = {
    "short_text": "string", "long_text": "string", "phone": "string", "email": "string",
    "postcode": "string", "national_id": "string", "date": "date", "yes_no": "string",
    "single_choice": "string", "multiple_choice": "string",
    # Files sent as their own parts (docs/documents.md); the element holds the file name(s).
    "document": "binary", "signature": "binary",
}

XF = "http://www.w3.org/2002/xforms"
NAMESPACES = {"xf": XF, "h": "http://www.w3.org/1999/xhtml", "jr": "http://openrosa.org/javarosa",
              "orx": "http://openrosa.org/xforms", "odk": "http://www.opendatakit.org/xforms",
              "xsd": "http://www.w3.org/2001/XMLSchema"}


# --- names ------------------------------------------------------------------------

def _name_start(ch: str) -> bool:
    return ch == "_" or unicodedata.category(ch) in ("Lu", "Ll", "Lt", "Lm", "Lo", "Nl")


def _name_char(ch: str) -> bool:
    return _name_start(ch) or ch in "-." or unicodedata.category(ch) in ("Nd", "Mn", "Mc")


def name_problem(segment: str) -> str | None:
    """Why `segment` cannot be an XML element name (XML 1.0 NCName: no colon), or None."""
    if not segment:
        return "a part of it is empty (two '/' in a row, or one at an end)"
    if not _name_start(segment[0]):
        return f"'{segment}' must start with a letter or '_'"
    bad = next((ch for ch in segment if not _name_char(ch)), None)
    if bad is not None:
        what = "a space" if bad == " " else f"'{bad}'"
        return f"'{segment}' holds {what}; use letters, digits, '_', '-' or '.'"
    if segment.lower().startswith("xml"):
        return f"'{segment}' starts with 'xml', which XML reserves"
    return None


def target_problems(targets: dict[str, str]) -> dict[str, str]:
    """Problems with the destination field paths of a service, by answer id.

    `targets` maps every page id to where its answer goes (the mapping's target, or the page
    id itself). A target must be a path of XML names ("group/name" nests), must not be a
    name the kiosk writes itself (`meta`, `submission`), and must not be both a field and a
    group of other fields.
    """
    problems: dict[str, str] = {}
    leaves: dict[str, str] = {}
    for answer_id, target in targets.items():
        parts = str(target).split("/")
        bad = next((p for p in map(name_problem, parts) if p), None)
        if bad:
            problems[answer_id] = f"'{target}' is not a valid field name at the destination: {bad} (e.g. nome_completo)"
        elif parts[0] in RESERVED:
            problems[answer_id] = (f"'{target}' is inside '{parts[0]}', which the kiosk fills itself "
                                   "(meta/instanceID, the reference number ...); choose another name")
        else:
            leaves[answer_id] = target
    for answer_id, target in leaves.items():
        for other_id, other in leaves.items():
            if other_id != answer_id and other.startswith(target + "/"):
                problems[answer_id] = (f"'{target}' is a field, but '{other_id}' goes to '{other}' inside it; "
                                       "an element cannot hold both a value and other fields")
                break
    return problems


def targets_of(service: Service) -> dict[str, str]:
    """Page id -> destination field path, in page order."""
    return {page.id: service.mapping.get(page.id, page.id) for page in service.pages}


def repeated_media(service: Service) -> list[str]:
    """The field paths of document pages, in page order: each is a repeat of one media element per page.

    The OpenRosa connector knows them without the definition: a document's answer is the list of its pages'
    file names, every one of them a file sent with the submission (offline_queue/connectors/render.py)."""
    targets = targets_of(service)
    return [targets[page.id] for page in service.pages if page.type == "document"]


def repeat_values(value: Any) -> list[str]:
    """The file names of a document answer, one per repeat (a list; or a space-separated text)."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if v is not None and str(v)]
    return str(value).split()


# --- what the kiosk adds to every instance --------------------------------------------------

def instance_name(service_id: str, reference: str) -> str:
    """meta/instanceName: what a ministry sees in Central's list of submissions."""
    return f"{service_id} {reference}"


def submission_values(payload: dict) -> dict[str, str]:
    """The <submission> group's values from a kiosk payload (kiosk/submission.py)."""
    assisted = payload.get("assisted")
    if isinstance(assisted, dict):
        assisted = assisted.get("assisted")
    return {
        "reference": str(payload.get("reference") or ""),
        "kiosk_id": str(payload.get("kiosk_id") or ""),
        "language": str(payload.get("language") or ""),
        "started": str(payload.get("started_at") or ""),
        "submitted": str(payload.get("submitted_at") or ""),
        "assisted": "yes" if assisted else "no",
    }


# --- the form ---------------------------------------------------------------------------

def form_id(service: Service) -> str:
    """The XForm id: the definition's `openrosa.form_id`, else the service id (as submission.py does)."""
    return service.openrosa.get("form_id", service.id)


def form_version(service: Service) -> str:
    return str(service.openrosa.get("form_version", service.version))


def bind_type(page: Page) -> str:
    """The XForm type of a page's element."""
    if page.type == "number":
        return "int" if getattr(page, "integer", False) else "decimal"
    return BIND_TYPES[page.type]


def choices(page: Page) -> tuple[str, ...]:
    """The values a choice page may send (select1/select items); empty for other pages."""
    if page.type == "yes_no":
        return YES_NO
    return tuple(option.value for option in page.options)


def _quote(value: Any) -> str:
    """An XPath string literal (XPath 1.0 has no escape: pick the quote the text lacks)."""
    text = str(value).lower() if isinstance(value, bool) else str(value)
    if "'" not in text:
        return f"'{text}'"
    return '"' + text.replace('"', "") + '"'


def _relevant(condition: Condition, ref: str) -> str:
    """An XPath for a show_if condition (the journey's rules: a hidden page sends nothing)."""
    if condition.contains is not None:
        return f"selected({ref}, {_quote(condition.contains)})"
    if condition.any_of:
        return "(" + " or ".join(f"{ref} = {_quote(v)}" for v in condition.any_of) + ")"
    return f"{ref} = {_quote(condition.equals)}"


def _text(texts: dict[str, str], service: Service, language: str) -> str:
    return service.text(texts, language) if texts else ""


def xform_for(service: Service, *, language: str | None = None, public_key: str | None = None) -> str:
    """The XForm (ODK XForms 1.0) for a service, ready to publish on ODK Central or KoboToolbox.

    Root element id and version come from the definition's `openrosa` section, element
    names from its mapping; labels are in `language` (default: the service's first).
    Conditions become `relevant`, required questions `required`, choices select1/select
    with the option values. The kiosk checks every answer itself; the form only needs to
    accept what the kiosk sends and show it well in Central.

    With `public_key` (the ministry's RSA public key, PEM or base64 DER) the form is an
    encrypted form: `<submission base64RsaPublicKey=…>`, as an XLSForm `public_key` gives.
    """
    language = language or service.languages[0]
    key = _public_key(public_key) if public_key is not None else None
    targets = targets_of(service)
    problems = target_problems(targets)
    if problems:
        raise ValueError("; ".join(problems.values()))
    for prefix, uri in NAMESPACES.items():
        register_namespace(prefix, uri)

    html = Element(f"{{{NAMESPACES['h']}}}html")
    head = SubElement(html, f"{{{NAMESPACES['h']}}}head")
    SubElement(head, f"{{{NAMESPACES['h']}}}title").text = _text(service.title, service, language) or service.id
    model = SubElement(head, f"{{{XF}}}model", {f"{{{NAMESPACES['odk']}}}xforms-version": "1.0.0"})
    instance = SubElement(model, f"{{{XF}}}instance")
    root = SubElement(instance, f"{{{XF}}}{ROOT}", {"id": form_id(service), "version": form_version(service)})
    body = SubElement(html, f"{{{NAMESPACES['h']}}}body")
    if key is not None:
        SubElement(model, f"{{{XF}}}submission", {"method": "post", "base64RsaPublicKey": key})

    groups: dict[str, Element] = {}

    def node(path: str) -> Element:
        parent = root
        walked = ""
        *parts, leaf = path.split("/")
        for part in parts:
            walked += "/" + part
            if walked not in groups:
                groups[walked] = SubElement(parent, f"{{{XF}}}{part}")
            parent = groups[walked]
        return SubElement(parent, f"{{{XF}}}{leaf}")

    def bind(path: str, kind: str, extra: dict[str, str] | None = None) -> None:
        SubElement(model, f"{{{XF}}}bind", {"nodeset": f"/{ROOT}/{path}", "type": kind, **(extra or {})})

    for page in service.pages:
        path = targets[page.id]
        extra: dict[str, str] = {}
        relevant = None
        if page.show_if is not None:
            relevant = _relevant(page.show_if, f"/{ROOT}/{targets.get(page.show_if.page, page.show_if.page)}")
        if page.required:
            extra["required"] = "true()"
        parent_body = body
        if page.type == "document":
            # A repeat with one image per page (XLSForm: begin repeat, image, end repeat). The primary
            # instance holds only the template: a submission has one repeat per page it sends.
            repeat = groups["/" + path] = node(path)
            repeat.set(f"{{{NAMESPACES['jr']}}}template", "")
            if relevant is not None:
                bind(path, "string", {"relevant": relevant})
            node(f"{path}/{PAGE}")
            bind(f"{path}/{PAGE}", bind_type(page), extra)
            group = SubElement(body, f"{{{XF}}}group", {"ref": f"/{ROOT}/{path}"})
            SubElement(group, f"{{{XF}}}label").text = _text(page.question, service, language)
            parent_body = SubElement(group, f"{{{XF}}}repeat", {"nodeset": f"/{ROOT}/{path}"})
            path = f"{path}/{PAGE}"
        else:
            node(path)
            if relevant is not None:
                extra["relevant"] = relevant
            bind(path, bind_type(page), extra)
        control = {"single_choice": "select1", "yes_no": "select1", "multiple_choice": "select"}.get(page.type, "input")
        attributes = {"ref": f"/{ROOT}/{path}"}
        if page.type in ("document", "signature"):  # ODK's file question; a signature drawn on the screen
            control, attributes["mediatype"] = "upload", "image/*"
            if page.type == "signature":
                attributes["appearance"] = "signature"
        element = SubElement(parent_body, f"{{{XF}}}{control}", attributes)
        SubElement(element, f"{{{XF}}}label").text = _text(page.question, service, language)
        if page.hint:
            SubElement(element, f"{{{XF}}}hint").text = _text(page.hint, service, language)
        if page.type == "yes_no":
            items = [(value, _yes_no_label(value, language)) for value in YES_NO]
        else:
            items = [(o.value, _text(o.label, service, language)) for o in page.options]
        for value, label in items:
            item = SubElement(element, f"{{{XF}}}item")
            SubElement(item, f"{{{XF}}}label").text = label
            SubElement(item, f"{{{XF}}}value").text = value

    origin = SubElement(root, f"{{{XF}}}{SUBMISSION}")
    for name, kind in SUBMISSION_FIELDS.items():
        SubElement(origin, f"{{{XF}}}{name}")
        bind(f"{SUBMISSION}/{name}", kind, {"readonly": "true()"})
    meta = SubElement(root, f"{{{XF}}}{META}")
    SubElement(meta, f"{{{XF}}}instanceID")
    SubElement(meta, f"{{{XF}}}instanceName")
    bind(f"{META}/instanceID", "string", {"readonly": "true()", f"{{{NAMESPACES['jr']}}}preload": "uid"})
    bind(f"{META}/instanceName", "string",
         {"calculate": f"concat({_quote(service.id + ' ')}, /{ROOT}/{SUBMISSION}/reference)"})
    indent(html, space="  ")
    text = tostring(html, encoding="unicode")
    # ElementTree cannot write a default namespace beside unqualified attributes (XForms
    # wants both), so XForms elements are written as xf: and the prefix is dropped here;
    # "<" never occurs unescaped in text or attribute values.
    text = text.replace("<xf:", "<").replace("</xf:", "</").replace(' xmlns:xf="', ' xmlns="')
    return "<?xml version='1.0' encoding='UTF-8'?>\n" + text + "\n"


def _public_key(text: str) -> str:
    """The base64 DER of an RSA public key given as PEM or as base64; ValueError if it is not one."""
    import base64
    import binascii
    lines = [line.strip() for line in text.strip().splitlines() if line.strip() and not line.startswith("-----")]
    key = "".join(lines)
    try:
        der = base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the public key is not base64 or PEM") from None
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
    from cryptography.hazmat.primitives.serialization import load_der_public_key
    try:
        loaded = load_der_public_key(der)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"the public key cannot be read: {exc}") from None
    if not isinstance(loaded, RSAPublicKey):
        raise ValueError("the public key is not an RSA key (ODK encryption needs RSA)")
    return key


def _yes_no_label(value: str, language: str) -> str:
    try:
        from translations import text as tr
        return tr(language, f"answer.{value}")
    except Exception:  # noqa: BLE001 - a label is only a label; the value is what counts
        return value.capitalize()


def leaf_paths(service: Service) -> Iterable[str]:
    """Every element path of an instance, in document order (for tests and tools); a document page's
    media element is `<target>/page`, repeated once per page in an instance."""
    repeats = set(repeated_media(service))
    yield from (f"{t}/{PAGE}" if t in repeats else t for t in targets_of(service).values())
    yield from (f"{SUBMISSION}/{name}" for name in SUBMISSION_FIELDS)
    yield from (f"{META}/instanceID", f"{META}/instanceName")
