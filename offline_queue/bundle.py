"""Bundles: sealed submissions carried on a USB stick to an office and uploaded from there.

A bundle is a zip file: manifest.json plus items/<submission id>.body and, for submissions with documents or
signatures, items/<submission id>/<file name> (version 2; docs/documents.md). REST
bodies are the sealed envelopes as queued; OpenRosa bodies (which the kiosk
keeps device-sealed) are re-sealed for the backend's public key, so the bundle
reveals nothing without the backend's private key. Upload uses the same
idempotency keys, so uploading a bundle twice delivers nothing twice.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import time
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from offline_queue.connectors import DELIVERED, DEAD
from offline_queue.outbox import Outbox, QueueError, iso
from offline_queue.seal import SealError, open_sealed, seal

log = logging.getLogger(__name__)

FORMAT, VERSION = "ponte-queue-bundle", 1
VERSION_ATTACHMENTS = 2  # written when any item has attachments: an older reader refuses it, never drops them


class BundleError(QueueError):
    """A bundle that cannot be written or read; the message says why."""


@dataclass(frozen=True)
class UploadResult:
    delivered: int
    retry: int
    dead: int
    lines: tuple[str, ...]  # one line per submission: reference, outcome (no personal data)


def export_bundle(outbox: Outbox, directory: Path | str, config) -> tuple[Path, int]:
    """Write every undelivered submission into a new bundle in directory; returns (path, count)."""
    from offline_queue.keys import sealing_public_key
    directory = Path(directory)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = directory / f"ponte-{config.kiosk_id}-{stamp}.zip"
    items = []
    skipped = 0
    try:
        directory.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".zip.partial")
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as zf:
            for item, body, body_seal, content_type, _ in outbox.exportable():
                if body is None:
                    continue
                try:
                    stored_files = outbox.stored_attachments(item.id)
                except QueueError:  # a damaged file: the submission stays in the queue for support, not exported
                    skipped += 1
                    continue
                if body_seal == "device":
                    destination = config.destination(item.destination)
                    body = seal(outbox.open_body(body, body_seal), sealing_public_key(config, destination))
                    body_seal = "backend"
                name = f"items/{item.id}.body"
                zf.writestr(name, body)
                entry: dict[str, object] = {
                    "id": item.id, "reference": item.reference, "service_id": item.service_id,
                    "destination": item.destination, "kind": item.kind, "content_type": content_type,
                    "body_seal": body_seal, "file": name, "sha256": hashlib.sha256(body).hexdigest(),
                    "created_at": iso(item.created_at)}
                files = []
                for file_name, file_type, file_seal, data in stored_files:
                    if file_seal == "device":  # as the body: re-sealed for the backend, opened at upload
                        destination = config.destination(item.destination)
                        data = seal(outbox.open_body(data, "device"), sealing_public_key(config, destination))
                    part = f"items/{item.id}/{file_name}"
                    zf.writestr(part, data)
                    files.append({"name": file_name, "content_type": file_type, "file": part,
                                  "open": file_seal == "device", "sha256": hashlib.sha256(data).hexdigest()})
                if files:
                    entry["attachments"] = files
                items.append(entry)
            version = VERSION_ATTACHMENTS if any("attachments" in e for e in items) else VERSION
            manifest = {"format": FORMAT, "version": version, "kiosk_id": config.kiosk_id,
                        "created_at": iso(time.time()), "items": items}
            zf.writestr("manifest.json", json.dumps(manifest, indent=2))
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        if skipped:
            log.warning("%d submission(s) with a damaged attachment were left out of the bundle", skipped)
    except OSError as exc:
        raise BundleError(f"cannot write the bundle in {directory}: {exc.strerror or type(exc).__name__}") from None
    return target, len(items)


def read_bundle(path: Path | str) -> tuple[dict, dict[str, bytes]]:
    try:
        with zipfile.ZipFile(path) as zf:
            manifest = json.loads(zf.read("manifest.json"))
            if manifest.get("format") != FORMAT or manifest.get("version") not in (VERSION, VERSION_ATTACHMENTS):
                raise BundleError(f"{path}: not a {FORMAT} version {VERSION} or {VERSION_ATTACHMENTS} bundle")
            bodies = {}
            for entry in manifest["items"]:
                for spec in [entry, *entry.get("attachments", [])]:
                    data = zf.read(spec["file"])
                    if hashlib.sha256(data).hexdigest() != spec["sha256"]:
                        raise BundleError(f"{path}: {spec['file']} is damaged (checksum); copy the bundle again")
                    bodies[spec["file"]] = data
                bodies[entry["id"]] = bodies[entry["file"]]
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise BundleError(f"{path}: cannot read the bundle ({type(exc).__name__}); copy it again") from None
    return manifest, bodies


def upload_bundle(path: Path | str, config, private_key=None, connector_for=None) -> UploadResult:
    """Send every submission in the bundle with its own idempotency key; safe to run more than once."""
    from offline_queue.sync import make_connector
    manifest, bodies = read_bundle(path)
    connectors: dict = {}
    delivered = retry = dead = 0
    lines = []
    for entry in manifest["items"]:
        destination = config.destination(entry["destination"])
        if destination is None:
            lines.append(f"{entry['reference']}: no destination '{entry['destination']}' in this configuration")
            retry += 1
            continue
        body = bodies[entry["id"]]
        if entry["body_seal"] == "backend":
            if private_key is None:
                lines.append(f"{entry['reference']}: sealed OpenRosa body; run with --private-key")
                retry += 1
                continue
            try:
                body = open_sealed(body, private_key)
            except SealError as exc:
                lines.append(f"{entry['reference']}: {exc}")
                retry += 1
                continue
        try:
            files = _attachments(entry, bodies, private_key)
        except SealError as exc:
            lines.append(f"{entry['reference']}: {exc}")
            retry += 1
            continue
        if destination.name not in connectors:
            connectors[destination.name] = (connector_for or make_connector)(destination)
        if files:
            outcome = connectors[destination.name].send(entry["id"], body, entry["content_type"], attachments=files)
        else:
            outcome = connectors[destination.name].send(entry["id"], body, entry["content_type"])
        if outcome.kind == DELIVERED:
            delivered += 1
            lines.append(f"{entry['reference']}: delivered" + (f" ({outcome.remote_ref})" if outcome.remote_ref else ""))
        elif outcome.kind == DEAD:
            dead += 1
            lines.append(f"{entry['reference']}: refused: {outcome.reason}")
        else:
            retry += 1
            lines.append(f"{entry['reference']}: not delivered, try again later: {outcome.reason}")
    return UploadResult(delivered, retry, dead, tuple(lines))


def _attachments(entry: dict, bodies: dict[str, bytes], private_key) -> tuple:
    """An item's files as the connector sends them: sealed parts of a sealed REST envelope as they are, files
    the kiosk kept device-sealed opened with the backend's private key (SealError without one)."""
    from kiosk.documents import Attachment
    from offline_queue.outbox import SEALED_ATTACHMENT_TYPE
    files = []
    for spec in entry.get("attachments", []):
        data = bodies[spec["file"]]
        if spec.get("open"):
            if private_key is None:
                raise SealError("sealed attachments; run with --private-key")
            files.append(Attachment(spec["name"], spec["content_type"], open_sealed(data, private_key)))
        else:
            files.append(Attachment(spec["name"], SEALED_ATTACHMENT_TYPE, data))
    return tuple(files)
