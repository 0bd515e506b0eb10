"""REST JSON connector: our own contract, docs/sync-api.yaml.

A submission counts as delivered only on the backend's acknowledgement: a 2xx JSON body that names the
submission's idempotency key and carries `ack_mac`, a MAC that only the party that opened the sealed payload
can compute (seal.py). A proxy that reflects the request, a portal, a JSON about another key: retried, never
delivered. `ack = "echo"` (explicit, warned about) accepts the key's echo alone, for backends that cannot
compute the MAC yet.
"""
from __future__ import annotations

import base64
import json
import logging

from offline_queue.connectors import DEAD, DELIVERED, RETRY, Outcome
from offline_queue.connectors.http import (Answer, DestinationConfigError, HttpClient, classify_exception,
                                           classify_status, clean_reason, secret)
from offline_queue.seal import SealError, ack_mac_valid, open_sealed_with_ack, sealed_key_id

log = logging.getLogger(__name__)

ACK_MODES = ("mac", "echo")
MAX_BATCH = 100  # submissions per batch request (the destination's `batch` option)


def open_envelope_with_ack(envelope: dict, private_keys: dict) -> tuple[dict, bytes | None]:
    """The payload inside a REST envelope and its acknowledgement key (None for a clear payload);
    private_keys maps key id (or None, any) to X25519 private keys."""
    if "payload" in envelope:
        return envelope["payload"], None
    sealed = envelope.get("sealed") or {}
    try:
        blob = base64.b64decode(sealed["data"], validate=True)
    except (KeyError, TypeError, ValueError):
        raise SealError("envelope has neither 'payload' nor a valid 'sealed.data'") from None
    kid = sealed_key_id(blob)
    key = private_keys.get(kid) or private_keys.get(None)
    if key is None:
        raise SealError(f"no private key for key id {kid}")
    plaintext, ack_key = open_sealed_with_ack(blob, key)
    return json.loads(plaintext), ack_key


def open_envelope(envelope: dict, private_keys: dict) -> dict:
    """The payload inside a REST envelope; private_keys maps key id (or None, any) to X25519 private keys."""
    return open_envelope_with_ack(envelope, private_keys)[0]


def ack_problem(destination) -> str | None:
    """Why this destination's acknowledgement setting cannot work, or None."""
    mode = destination.options.get("ack", "mac")
    if mode not in ACK_MODES:
        return f"ack = {mode!r} is not \"mac\" or \"echo\""
    if mode == "mac" and str(destination.options.get("payload", "sealed")) == "clear":
        return ('payload = "clear" gives the backend no sealed payload to prove delivery with; set ack = "echo" '
                "explicitly to accept the weaker acknowledgement, or send sealed payloads")
    return None


def ack_warning(destination) -> str | None:
    """The warning `kiosk doctor` and the log give for a destination that accepts echo acknowledgements."""
    if destination.kind == "rest" and destination.options.get("ack") == "echo":
        return (f"destination '{destination.name}': ack = \"echo\": a proxy that reflects requests would be taken "
                "for the backend; switch to ack = \"mac\" once the backend returns ack_mac (docs/sync-api.yaml)")
    return None


class RestConnector:
    """POST /submissions with the envelope rendered at enqueue; GET /health as the probe."""

    def __init__(self, destination, client: HttpClient | None = None):
        self.destination = destination
        self.client = client or HttpClient(destination)
        self.base = destination.url.rstrip("/")
        self.ack_mode = destination.options.get("ack", "mac")
        self._legacy_warned = False
        self._config_error: DestinationConfigError | None = self.client.config_error
        if self._config_error is None and (problem := ack_problem(destination)):
            self._config_error = DestinationConfigError(problem)
        if warning := ack_warning(destination):
            log.warning("%s", warning)
        try:  # bearer token from token_env / token_file, read once; a missing one is reported per attempt
            if token := secret(destination.options, "token"):
                self.client.headers["Authorization"] = f"Bearer {token}"
        except DestinationConfigError as exc:
            self._config_error = self._config_error or exc

    def send(self, submission_id: str, body: bytes, content_type: str, ack_key: bytes | None = None,
             attachments: tuple = ()) -> Outcome:
        """Deliver one envelope; ack_key (stored at sealing) checks the backend's ack_mac. With attachments the
        request is multipart/form-data: the part "envelope" (the same JSON), then one part per file named by its
        file name (docs/sync-api.yaml); same Idempotency-Key, same acknowledgement rules."""
        if self._config_error is not None:
            return classify_exception(self._config_error, self.destination)
        headers = {"Content-Type": content_type, "Idempotency-Key": submission_id, "Accept": "application/json"}
        args: dict = {"data": body}
        if attachments:
            del headers["Content-Type"]  # requests writes multipart/form-data with its boundary
            args = {"files": [("envelope", ("envelope.json", body, content_type))] +
                    [(a.name, (a.name, a.data, a.content_type)) for a in attachments],
                    "upload_bytes": sum(len(a.data) for a in attachments)}
        try:
            answer = self.client.request("POST", f"{self.base}/submissions", headers=headers, **args)
        except Exception as exc:  # noqa: BLE001 - every transport failure is classified, none escapes
            return classify_exception(exc, self.destination)
        return self.judge(answer, submission_id, ack_key)

    def judge(self, answer: Answer, submission_id: str, ack_key: bytes | None) -> Outcome:
        """What the backend's answer about one submission means for the queue (docs/queue.md, the table)."""
        status = answer.status
        if 200 <= status < 300:
            problem = self._unacknowledged(answer, submission_id, ack_key)
            if problem is None:
                return Outcome(DELIVERED, remote_ref=_case(answer))
            return Outcome(RETRY, f"HTTP {status} {problem}", error_kind=problem.kind)
        if status == 409:
            # A 409 with the backend's proof and duplicate=true is the contract's optional duplicate answer.
            # Any other 409 is not final: the Idempotency-Key draft uses it for "a request with this key is
            # still being processed". Retried with backoff, never delivered, never dead.
            ack = answer.json()
            if isinstance(ack, dict) and ack.get("duplicate") is True and \
                    self._unacknowledged(answer, submission_id, ack_key) is None:
                return Outcome(DELIVERED, remote_ref=_case(answer))
            words = answer.words()
            return Outcome(RETRY, "HTTP 409: the backend is still processing this submission or reports a conflict;"
                                  " resent later with the same key" + (f": {words}" if words else ""))
        return classify_status(answer, self.destination)

    def send_batch(self, items: list[tuple[str, bytes, str, bytes | None]]) -> list[Outcome]:
        """Deliver several envelopes in one POST {url}/submissions/batch (the destination's `batch` option).
        items: (submission id, envelope, content type, ack key). One outcome per item, in order, judged by the
        same rules as a single answer; a batch refused as a whole is sent again item by item."""
        if self._config_error is not None:
            return [classify_exception(self._config_error, self.destination)] * len(items)
        body = b'{"items":[' + b",".join(envelope for _, envelope, _, _ in items) + b"]}"
        try:
            answer = self.client.request("POST", f"{self.base}/submissions/batch", data=body,
                                         headers={"Content-Type": "application/json", "Accept": "application/json"})
        except Exception as exc:  # noqa: BLE001 - every transport failure is classified, none escapes
            return [classify_exception(exc, self.destination)] * len(items)
        data = answer.json()
        results = data.get("results") if answer.status == 200 and isinstance(data, dict) else None
        if isinstance(results, list):
            by_key = {r.get("idempotency_key"): r for r in results if isinstance(r, dict)}
            outcomes = []
            for sid, _, _, ack_key in items:
                result = by_key.get(sid)
                status = result.get("http_status") if result is not None else None
                if not isinstance(status, int) or isinstance(status, bool):
                    outcomes.append(Outcome(RETRY, "the batch answer has no result for this submission; resent later"))
                    continue
                item = Answer(status, "", {"Content-Type": "application/json"}, json.dumps(result).encode())
                outcomes.append(self.judge(item, sid, ack_key))
            return outcomes
        if answer.status in (404, 405, 501):
            return [Outcome(RETRY, f"HTTP {answer.status}: the backend has no batch endpoint; set batch = 1 for "
                                   f"destination '{self.destination.name}'", error_kind="config")] * len(items)
        if 200 <= answer.status < 300:
            return [Outcome(RETRY, f"HTTP {answer.status} batch answer without per-item results (captive portal or "
                                   "proxy?)", error_kind="network")] * len(items)
        outcome = classify_status(answer, self.destination)
        if outcome.kind == DEAD:  # one bad item, or a batch too large: never a reason to set all of them aside
            log.warning("destination %s refused a batch as a whole (HTTP %s); sending its items one by one",
                        self.destination.name, answer.status)
            return [self.send(sid, envelope, content_type, ack_key) for sid, envelope, content_type, ack_key in items]
        return [outcome] * len(items)

    def _unacknowledged(self, answer: Answer, submission_id: str, ack_key: bytes | None) -> "_Problem | None":
        """None if the answer is the backend's acknowledgement of this submission, else why not."""
        ack = answer.json()
        if not isinstance(ack, dict) or ack.get("idempotency_key") != submission_id:
            return _Problem("without an acknowledgement of this submission (captive portal or proxy?)", "network")
        if self.ack_mode == "echo":
            return None
        if ack_key is None:
            # Queued before acknowledgement keys existed (or brought in by a bundle): the kiosk has nothing to
            # check a MAC with, so the echo is all it can have. Said once per destination.
            if not self._legacy_warned:
                log.warning("destination %s: submissions queued without an acknowledgement key are accepted on "
                            "the echo of their key", self.destination.name)
                self._legacy_warned = True
            return None
        case = ack.get("case_reference")
        if ack_mac_valid(ack_key, submission_id, None if case is None else str(case), ack.get("ack_mac")):
            return None
        return _Problem("without a valid ack_mac: not from the backend that holds the key (a proxy reflecting the "
                        "request?), or a backend that does not sign acknowledgements yet (ack = \"echo\")",
                        "unverified")

    def probe(self) -> bool:
        if self._config_error is not None:
            return False
        try:
            answer = self.client.request("GET", f"{self.base}/health", headers={"Accept": "application/json"})
        except Exception:  # noqa: BLE001
            return False
        return answer.status == 200 and isinstance(answer.json(), dict)


class _Problem(str):
    """Why an answer is not an acknowledgement, and which kind of failure that is."""

    kind: str

    def __new__(cls, text: str, kind: str) -> "_Problem":
        value = super().__new__(cls, text)
        value.kind = kind
        return value


def _case(answer: Answer) -> str | None:
    """The backend's case reference as kept on the receipt: one line, capped (the backend's own number)."""
    ack = answer.json()
    value = ack.get("case_reference") if isinstance(ack, dict) else None
    return None if value is None else clean_reason(str(value), 100)
