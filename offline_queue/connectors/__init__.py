"""Connectors: how a submission is rendered at enqueue and delivered by the sync worker."""
from __future__ import annotations

from dataclasses import dataclass

DELIVERED, RETRY, DEAD = "delivered", "retry", "dead"


@dataclass(frozen=True)
class Outcome:
    """What one delivery attempt means for the outbox."""

    kind: str  # DELIVERED, RETRY or DEAD
    reason: str = ""  # no personal data: status codes, server messages about format
    remote_ref: str | None = None
    retry_after: float | None = None  # seconds, from Retry-After
    # "http" (about this submission), "unknown" (cut after sending: outcome unknown), or a destination-level
    # kind that pauses it for the pass: "network" (lifted early by a health probe), "tls", "config", "auth"
    # (401/403) or "unverified" (an answer that is not the backend's proof of delivery).
    error_kind: str = "http"


@dataclass(frozen=True)
class Rendered:
    """A body rendered once at enqueue; exactly these bytes are sent on every attempt."""

    body: bytes
    content_type: str
    seal: str  # "none": body is safe at rest as is; "device": body must be sealed with the device key
    # REST sealed envelopes: the key only the backend that opens the payload also knows (seal.py); stored
    # with the body so the connector can check the backend's ack_mac.
    ack_key: bytes | None = None
