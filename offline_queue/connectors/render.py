"""Rendering payloads into wire bodies, once, at enqueue (no network code here)."""
from __future__ import annotations

import base64
import json
from xml.etree.ElementTree import Element, SubElement, tostring

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

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


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):  # XForm select_multiple: space-separated choices
        return " ".join(_text(v) for v in value)
    return str(value)


def render_xform(payload: dict) -> Rendered:
    """An XForm instance: payload["fields"] (paths like "group/name" nest), meta/instanceID = uuid:<id>."""
    form = payload.get("form") or {}
    if not form.get("id"):
        raise ValueError("an OpenRosa destination needs payload['form']['id'] from the service definition")
    root = Element(form.get("root", "data"), {"id": str(form["id"])})
    if form.get("version") is not None:
        root.set("version", str(form["version"]))
    nodes: dict[str, Element] = {}
    for name, value in (payload.get("fields") or {}).items():
        parent, path = root, ""
        *groups, leaf = str(name).strip("/").split("/")
        for group in groups:
            path += "/" + group
            if path not in nodes:
                nodes[path] = SubElement(parent, group)
            parent = nodes[path]
        SubElement(parent, leaf).text = _text(value)
    meta = SubElement(root, "meta")
    SubElement(meta, "instanceID").text = f"uuid:{payload['submission_id']}"
    body = b"<?xml version='1.0' encoding='UTF-8'?>\n" + tostring(root, encoding="unicode").encode("utf-8")
    return Rendered(body, "text/xml", "device")
