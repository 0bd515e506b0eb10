"""Rendering payloads into wire bodies, once, at enqueue (no network code here)."""
from __future__ import annotations

import base64
import json
import re
from decimal import Decimal
from xml.etree.ElementTree import Element, SubElement, tostring

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from kiosk import status_updates, xform
from offline_queue.connectors import Rendered
from offline_queue.keys import key_id
from offline_queue.seal import Sealer

SEAL_ALG = "X25519-HKDF-SHA256-A256GCM"


def canonical_json(value) -> bytes:
    """Sorted keys, no spaces, UTF-8: the same payload always gives the same bytes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def render_rest(payload: dict, public: X25519PublicKey | Sealer, clear: bool = False) -> Rendered:
    """The REST envelope of docs/sync-api.yaml: routing metadata in clear, the payload sealed."""
    envelope = {
        "idempotency_key": payload["submission_id"],
        "reference": payload["reference"],
        "service": payload.get("service", {}),
        "kiosk_id": payload.get("kiosk_id"),
        "submitted_at": payload.get("submitted_at"),
    }
    ack_key = None  # the backend proves delivery with a MAC under this key (docs/sync-api.yaml)
    if clear:
        envelope["payload"] = payload
    else:
        sealer = public if isinstance(public, Sealer) else Sealer(public)
        blob, ack_key = sealer.seal_with_ack(canonical_json(payload))
        envelope["sealed"] = {"alg": SEAL_ALG, "key_id": key_id(sealer.public),
                              "data": base64.b64encode(blob).decode()}
    return Rendered(canonical_json(envelope), "application/json", "device" if clear else "none", ack_key)


# Characters XML 1.0 cannot hold at all. The validators refuse them in answers; anything that
# still carries one (an answer from an older kiosk) is sent with U+FFFD rather than as a
# document every OpenRosa server refuses.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):  # XForm select_multiple: space-separated choices
        return " ".join(_text(v) for v in value)
    if isinstance(value, float):  # xsd:decimal has no exponent: 0.00001, never 1e-05
        return format(Decimal(repr(value)), "f")
    return _NOT_XML.sub("\ufffd", str(value))


def render_xform(payload: dict) -> Rendered:
    """An XForm instance laid out as kiosk/xform.py describes (and `kiosk services xform` publishes).

    payload["fields"] go in as elements (paths like "group/name" nest; a document's list of page files as one
    repeat per page, kiosk/xform.py); then the <submission>
    group (reference, kiosk id, language, times, assisted yes/no) and meta/instanceID =
    uuid:<submission id>, meta/instanceName = "<service> <reference>". A field name that is
    not an XML name, or that collides with another or with the kiosk's own elements, is a
    ValueError: the answer would be lost at the server (issue 9).
    """
    form = payload.get("form") or {}
    if not form.get("id"):
        raise ValueError("an OpenRosa destination needs payload['form']['id'] from the service definition")
    fields = {str(name).strip("/"): value for name, value in (payload.get("fields") or {}).items()}
    fields.update(status_updates.xform_fields(payload))  # the contact for status updates, in its own group
    problems = xform.target_problems({name: name for name in fields})  # names only: values are personal
    if problems:
        raise ValueError("cannot render the XForm instance: " + "; ".join(sorted(problems.values())))
    root = Element(form.get("root", xform.ROOT), {"id": str(form["id"])})
    if form.get("version") is not None:
        root.set("version", str(form["version"]))
    nodes: dict[str, Element] = {}
    # A document's pages: a list answer whose items are all files sent with the submission (option values
    # of a multiple choice have no '.' and are never file names). Each page becomes one repeat.
    files = {str(a.get("name")) for a in payload.get("attachments") or () if isinstance(a, dict)}
    repeated = {name for name, value in fields.items()
                if isinstance(value, (list, tuple)) and value and all(str(v) in files for v in value)}
    for name, value in fields.items():
        parent, path = root, ""
        *groups, leaf = name.split("/")
        for group in groups:
            path += "/" + group
            if path not in nodes:
                nodes[path] = SubElement(parent, group)
            parent = nodes[path]
        if name in repeated:  # a document: one repeat per page, its file name as the media element's value
            for file_name in xform.repeat_values(value):
                SubElement(SubElement(parent, leaf), xform.PAGE).text = _text(file_name)
        else:
            SubElement(parent, leaf).text = _text(value)
    origin = SubElement(root, xform.SUBMISSION)
    for name, value in xform.submission_values(payload).items():
        SubElement(origin, name).text = _text(value)
    meta = SubElement(root, xform.META)
    SubElement(meta, "instanceID").text = f"uuid:{payload['submission_id']}"
    service = payload.get("service") or {}
    SubElement(meta, "instanceName").text = _text(xform.instance_name(str(service.get("id", form["id"])),
                                                                      str(payload.get("reference", ""))))
    body = b"<?xml version='1.0' encoding='UTF-8'?>\n" + tostring(root, encoding="unicode").encode("utf-8")
    return Rendered(body, "text/xml", "device")
