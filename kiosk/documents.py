"""Documents and signatures as the domain sees them: attachments, their names and the limits a service sets.

No Qt and no image library here: image processing lives in `documents/` (Pillow), capture adapters in
`documents/capture.py`. An attachment travels with its submission through the outbox (sealed at rest with the
same key rules as the body, docs/documents.md) and is delivered exactly once with it.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

# Names go into the XForm instance (the element's value) and into multipart part names: keep them plain.
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
CONTENT_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".svg": "image/svg+xml",
                 ".pdf": "application/pdf"}
ORAL = "oral"  # a signature question's answer when the citizen confirmed orally (the definition must allow it)
DEFAULT_MAX_PAGES = 10
DEFAULT_MAX_BYTES = 10 * 1024 * 1024          # one document, all pages together, after processing
DEFAULT_MAX_TOTAL_BYTES = 40 * 1024 * 1024    # every attachment of one submission


class DocumentError(ValueError):
    """An attachment or a document that breaks a rule; the message says what to do and names no content."""

    def __init__(self, message: str, key: str = "document_invalid"):
        super().__init__(message)
        self.key = key  # the citizen-facing message key (translations core: error.<key>)


@dataclass(frozen=True)
class Attachment:
    """One file sent with a submission: a page of a document, a signature (PNG) or its strokes (SVG).

    `name` is the file name the answer carries and the multipart part is named by (unique per submission)."""

    name: str
    content_type: str
    data: bytes = field(repr=False)  # personal data: never in a repr, a log line or an exception

    def __post_init__(self) -> None:
        check_name(self.name)
        if not isinstance(self.data, (bytes, bytearray)) or not self.data:
            raise DocumentError(f"attachment {self.name}: no bytes")
        if not self.content_type or "/" not in self.content_type:
            raise DocumentError(f"attachment {self.name}: content type {self.content_type!r} is not a MIME type")

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def manifest(self) -> dict:
        """What the payload says about this file (names, sizes, digests; never the bytes)."""
        return {"name": self.name, "content_type": self.content_type, "size": len(self.data), "sha256": self.sha256}


def check_name(name: str) -> str:
    """The name if it is a plain file name (letters, digits, . _ -; at most 100), else DocumentError."""
    if not isinstance(name, str) or not _NAME.match(name) or ".." in name:
        raise DocumentError(f"attachment name {name!r} is not a plain file name (letters, digits, '.', '_', '-')")
    return name


def content_type_for(name: str) -> str:
    """The MIME type for a file name's extension; DocumentError for one we do not send."""
    ext = name[name.rfind("."):].lower() if "." in name else ""
    if ext not in CONTENT_TYPES:
        raise DocumentError(f"{name}: only {', '.join(sorted(CONTENT_TYPES))} files can be attached")
    return CONTENT_TYPES[ext]


def page_name(page_id: str, index: int, ext: str) -> str:
    """The file name of a document's page: `<page id>-<n>.<ext>` (n from 1), as answers and parts carry it."""
    return check_name(f"{page_id}-{index + 1}.{ext.lstrip('.')}")


@dataclass(frozen=True)
class DocumentRules:
    """A `document` page's limits, from its definition: pages and bytes after processing, and the resolution
    images are downscaled to (longest side, pixels) and the JPEG quality they are compressed with."""

    min_pages: int = 1
    max_pages: int = DEFAULT_MAX_PAGES
    max_bytes: int = DEFAULT_MAX_BYTES
    max_side: int = 2000
    jpeg_quality: int = 80

    def __post_init__(self) -> None:
        if not 0 <= self.min_pages <= self.max_pages or self.max_pages < 1:
            raise DocumentError(f"pages: need 0 <= min_pages ({self.min_pages}) <= max_pages ({self.max_pages})")
        if self.max_bytes < 1 or self.max_side < 16 or not 1 <= self.jpeg_quality <= 95:
            raise DocumentError("max_bytes must be positive, max_side at least 16, jpeg_quality 1..95")

    @classmethod
    def from_page(cls, spec: dict) -> "DocumentRules":
        """From a definition page's `document` mapping (missing keys take the defaults)."""
        known = {k: spec[k] for k in ("min_pages", "max_pages", "max_bytes", "max_side", "jpeg_quality") if k in spec}
        for key, value in known.items():
            if not isinstance(value, int) or isinstance(value, bool):
                raise DocumentError(f"document {key} must be a whole number")
        return cls(**known)

    def check(self, pages: list[Attachment]) -> None:
        """DocumentError unless the pages fit: count and total size (key says which, for the citizen)."""
        if len(pages) < self.min_pages:
            raise DocumentError(f"{len(pages)} page(s); at least {self.min_pages} needed", "document_too_few_pages")
        if len(pages) > self.max_pages:
            raise DocumentError(f"{len(pages)} pages; at most {self.max_pages}", "document_too_many_pages")
        total = sum(len(p.data) for p in pages)
        if total > self.max_bytes:
            raise DocumentError(f"{total} bytes; at most {self.max_bytes}", "document_too_large")


def check_attachments(attachments: list[Attachment] | tuple[Attachment, ...],
                      max_total: int = DEFAULT_MAX_TOTAL_BYTES) -> None:
    """DocumentError for duplicate names or more bytes than one submission may carry."""
    names = [a.name for a in attachments]
    if len(set(names)) != len(names):
        raise DocumentError("two attachments have the same name")
    total = sum(len(a.data) for a in attachments)
    if total > max_total:
        raise DocumentError(f"attachments hold {total} bytes; at most {max_total} per submission")
