"""Bundles: sealed submissions carried on a USB stick to an office and uploaded from there.

A bundle is a zip file: manifest.json plus items/<submission id>.body. REST
bodies are the sealed envelopes as queued; OpenRosa bodies (which the kiosk
keeps device-sealed) are re-sealed for the backend's public key, so the bundle
reveals nothing without the backend's private key. Upload uses the same
idempotency keys, so uploading a bundle twice delivers nothing twice.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from offline_queue.connectors import DELIVERED, DEAD
from offline_queue.outbox import Outbox, QueueError, iso
from offline_queue.seal import SealError, open_sealed, seal

FORMAT, VERSION = "ponte-queue-bundle", 1


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
    try:
        directory.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".zip.partial")
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as zf:
            for item, body, body_seal, content_type, _ in outbox.exportable():
                if body is None:
                    continue
                if body_seal == "device":
                    destination = config.destination(item.destination)
                    body = seal(outbox.open_body(body, body_seal), sealing_public_key(config, destination))
                    body_seal = "backend"
                name = f"items/{item.id}.body"
                zf.writestr(name, body)
                items.append({"id": item.id, "reference": item.reference, "service_id": item.service_id,
                              "destination": item.destination, "kind": item.kind, "content_type": content_type,
                              "body_seal": body_seal, "file": name, "sha256": hashlib.sha256(body).hexdigest(),
                              "created_at": iso(item.created_at)})
            manifest = {"format": FORMAT, "version": VERSION, "kiosk_id": config.kiosk_id,
                        "created_at": iso(time.time()), "items": items}
            zf.writestr("manifest.json", json.dumps(manifest, indent=2))
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        raise BundleError(f"cannot write the bundle in {directory}: {exc.strerror or type(exc).__name__}") from None
    return target, len(items)


def read_bundle(path: Path | str) -> tuple[dict, dict[str, bytes]]:
    try:
        with zipfile.ZipFile(path) as zf:
            manifest = json.loads(zf.read("manifest.json"))
            if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
                raise BundleError(f"{path}: not a {FORMAT} version {VERSION} bundle")
            bodies = {}
            for entry in manifest["items"]:
                body = zf.read(entry["file"])
                if hashlib.sha256(body).hexdigest() != entry["sha256"]:
                    raise BundleError(f"{path}: {entry['file']} is damaged (checksum); copy the bundle again")
                bodies[entry["id"]] = body
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
        if destination.name not in connectors:
            connectors[destination.name] = (connector_for or make_connector)(destination)
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
