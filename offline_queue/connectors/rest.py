"""REST JSON connector: our own contract, docs/sync-api.yaml."""
from __future__ import annotations

import base64
import json

from offline_queue.connectors import DEAD, DELIVERED, RETRY, Outcome
from offline_queue.connectors.http import (DestinationConfigError, HttpClient, classify_exception, classify_status,
                                           retry_after, secret)
from offline_queue.seal import SealError, open_sealed, sealed_key_id


def open_envelope(envelope: dict, private_keys: dict) -> dict:
    """The payload inside a REST envelope; private_keys maps key id (or None, any) to X25519 private keys."""
    if "payload" in envelope:
        return envelope["payload"]
    sealed = envelope.get("sealed") or {}
    try:
        blob = base64.b64decode(sealed["data"], validate=True)
    except (KeyError, TypeError, ValueError):
        raise SealError("envelope has neither 'payload' nor a valid 'sealed.data'") from None
    kid = sealed_key_id(blob)
    key = private_keys.get(kid) or private_keys.get(None)
    if key is None:
        raise SealError(f"no private key for key id {kid}")
    return json.loads(open_sealed(blob, key))


class RestConnector:
    """POST /submissions with the envelope rendered at enqueue; GET /health as the probe."""

    def __init__(self, destination, client: HttpClient | None = None):
        self.destination = destination
        self.client = client or HttpClient(destination)
        self.base = destination.url.rstrip("/")
        self._config_error: DestinationConfigError | None = None
        try:  # bearer token from token_env / token_file, read once; a missing one is reported per attempt
            if token := secret(destination.options, "token"):
                self.client.headers["Authorization"] = f"Bearer {token}"
        except DestinationConfigError as exc:
            self._config_error = exc

    def send(self, submission_id: str, body: bytes, content_type: str) -> Outcome:
        if self._config_error is not None:
            return classify_exception(self._config_error, self.destination)
        headers = {"Content-Type": content_type, "Idempotency-Key": submission_id,
                   "Accept": "application/json"}
        try:
            response = self.client.request("POST", f"{self.base}/submissions", data=body, headers=headers)
        except Exception as exc:  # noqa: BLE001 - every transport failure is classified, none escapes
            return classify_exception(exc, self.destination)
        status = response.status_code
        if 200 <= status < 300:
            # Only the backend's own acknowledgement counts: a captive portal also says 200.
            ack = _json(response)
            if not isinstance(ack, dict) or ack.get("idempotency_key") != submission_id:
                return Outcome(RETRY, f"HTTP {status} without an acknowledgement of this submission "
                                      "(captive portal or proxy?)", error_kind="network")
            return Outcome(DELIVERED, remote_ref=_str(ack.get("case_reference")))
        if status == 409:
            ack = _json(response)
            if isinstance(ack, dict) and ack.get("idempotency_key") == submission_id and ack.get("duplicate"):
                return Outcome(DELIVERED, remote_ref=_str(ack.get("case_reference")))
        outcome = classify_status(status, retry_after(response))
        if outcome.kind == DEAD:
            return Outcome(DEAD, f"HTTP {status}: {_reason(response)}")
        return outcome

    def probe(self) -> bool:
        try:
            response = self.client.request("GET", f"{self.base}/health", headers={"Accept": "application/json"})
        except Exception:  # noqa: BLE001
            return False
        return response.status_code == 200 and isinstance(_json(response), dict)


def _json(response):
    if "json" not in response.headers.get("Content-Type", ""):
        return None
    try:
        return response.json()
    except ValueError:
        return None


def _str(value) -> str | None:
    return None if value is None else str(value)[:200]


def _reason(response) -> str:
    """The backend's reason for a refusal (about the format, never echoing answers back: see the contract)."""
    body = _json(response)
    if isinstance(body, dict):
        text = body.get("reason") or body.get("error") or body.get("detail") or ""
        return str(text)[:300] or response.reason or "refused"
    return response.reason or "refused"
