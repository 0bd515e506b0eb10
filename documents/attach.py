"""Files given for a service's `document` and `signature` pages turned into answers and attachments, exactly
as the screens hand them on: pages processed and named, a signature drawn from its strokes or taken from an
image. Used by `kiosk queue add --attach PAGE=FILE`."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from documents.imaging import MAX_INPUT_BYTES, document_pages, process_image
from documents.signature import signature_attachments
from kiosk.definition import Service
from kiosk.documents import Attachment, DocumentError, DocumentRules, check_attachments


def _read(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_INPUT_BYTES:
            raise DocumentError(f"{path.name} is larger than {MAX_INPUT_BYTES // (1024 * 1024)} MiB")
        return path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"{path} cannot be read ({exc.strerror})") from None


def _signature(page_id: str, path: Path, with_svg: bool) -> list[Attachment]:
    """A `.json` file of strokes ({"width", "height", "strokes": [[[x, y], ...], ...]}) is drawn as the pad
    draws it; an image is taken as the signature's PNG."""
    data = _read(path)
    if path.suffix.lower() == ".json":
        try:
            spec = json.loads(data)
            strokes, width, height = spec["strokes"], spec["width"], spec["height"]
        except (ValueError, KeyError, TypeError):
            raise DocumentError(f"{path.name}: a signature file is JSON with width, height and strokes") from None
        return signature_attachments(page_id, strokes, width, height, with_svg=with_svg)
    png = process_image(data, DocumentRules(max_side=2000), fmt="png")
    return [Attachment(f"{page_id}.png", "image/png", png)]


def attach_files(service: Service, files: dict[str, list[Path]], *, with_svg: bool = True
                 ) -> tuple[dict[str, Any], list[Attachment]]:
    """(answers, attachments) for {page id: [files in order]}: a document page's answer is its pages' file
    names, a signature page's the PNG's name. DocumentError names the page and what is wrong."""
    pages = {p.id: p for p in service.pages}
    answers: dict[str, Any] = {}
    attachments: list[Attachment] = []
    for page_id, paths in files.items():
        page = pages.get(page_id)
        if page is None or page.type not in ("document", "signature"):
            kinds = sorted(p.id for p in service.pages if p.type in ("document", "signature"))
            raise DocumentError(f"{page_id!r} is not a document or signature page of {service.id} "
                                f"(those are: {', '.join(kinds) or 'none'})")
        if page.type == "document":
            found = document_pages(page.id, [_read(p) for p in paths], page.document or DocumentRules())
            answers[page.id] = [a.name for a in found]
        else:
            if len(paths) != 1:
                raise DocumentError(f"{page_id}: a signature is one file")
            found = _signature(page.id, paths[0], with_svg)
            answers[page.id] = found[0].name
        attachments += found
    check_attachments(attachments)
    return answers, attachments
