"""The prefill client: `POST {url}/prefill/{service}` of docs/sync-api.yaml, over the connectors' HTTP.

Same transport rules as the submission connectors (offline_queue/connectors/http.py): TLS always
verified (only `ca_bundle` can name other CAs), the environment ignored, plain http only to a
loopback test backend with `allow_http = true`, redirects never followed, answers read with a cap,
and a whole-request deadline, here the destination's `prefill_deadline` (a citizen is waiting).
The bearer token is the destination's `token_env` / `token_file`.

Every failure is a `PrefillResult` with Outcome.FAILED and a reason for the mediator (cleaned: a
backend's words may echo personal data); nothing here raises, nothing here logs an answer. The rules
for when to ask and what to keep are in kiosk/prefill.py.
"""
from __future__ import annotations

import logging
from urllib.parse import quote

from kiosk.config import Destination
from kiosk.prefill import NOT_DECLARED, Outcome, PrefillRequest, PrefillResult, MAX_SOURCE_LENGTH
import requests

from offline_queue.connectors.http import (DeadlineExceeded, DestinationConfigError, HttpClient, classify_exception,
                                           clean_text, host_of, secret)

log = logging.getLogger(__name__)

DEFAULT_PREFILL_DEADLINE = 10.0  # seconds; the destination's prefill_deadline
MAX_PREFILL_BYTES = 64 * 1024    # answers to one service's questions are far smaller
MAX_ANSWERS = 200
MAX_VALUE_LENGTH = 2000


class PrefillClient:
    """Asks one destination what it already knows; `reachable()` is the "online" check before offering."""

    def __init__(self, destination: Destination, client: HttpClient | None = None):
        self.destination = destination
        self.client = client or HttpClient(destination)
        options = destination.options
        try:
            deadline = float(options.get("prefill_deadline", DEFAULT_PREFILL_DEADLINE))
        except (TypeError, ValueError):
            deadline = DEFAULT_PREFILL_DEADLINE
        # Never longer than the destination's own limits; a citizen waits at the screen.
        self.client.deadline = min(deadline, self.client.deadline)
        self.client.timeout = tuple(min(t, deadline) for t in self.client.timeout)  # type: ignore[assignment]
        self.client.max_bytes = MAX_PREFILL_BYTES
        self.base = destination.url.rstrip("/")

    def _headers(self) -> dict[str, str]:
        token = secret(self.destination.options, "token")
        return {"Authorization": f"Bearer {token}"} if token else {}

    def reachable(self) -> bool:
        """True when the destination answers GET /health with 200 now (the kiosk is online for it)."""
        try:
            return self.client.request("GET", f"{self.base}/health").status == 200
        except Exception as exc:  # noqa: BLE001 - unreachable, whatever the cause
            log.info("prefill: %s not reachable (%s)", host_of(self.destination), type(exc).__name__)
            return False

    def fetch(self, request: PrefillRequest) -> PrefillResult:
        """Ask for what the administration knows; never raises."""
        listed = self.destination.options.get("prefill") or ()
        if request.service_id not in listed:
            return PrefillResult(Outcome.FAILED, reason=NOT_DECLARED)
        url = f"{self.base}/prefill/{quote(request.service_id, safe='')}"
        try:
            answer = self.client.request("POST", url, json=request.to_json(),
                                         headers={**self._headers(), "Accept": "application/json"})
        except DestinationConfigError as exc:
            return PrefillResult(Outcome.FAILED, reason=f"destination '{self.destination.name}': {exc}")
        except Exception as exc:  # noqa: BLE001 - a failed prefill only means the citizen types the answers
            return PrefillResult(Outcome.FAILED, reason=self._why(exc))
        host = host_of(self.destination)
        if answer.status == 404:
            return PrefillResult(Outcome.NOTHING_KNOWN)
        if answer.status != 200:
            words = answer.words()
            return PrefillResult(Outcome.FAILED, reason=f"HTTP {answer.status} from {host}" +
                                 (f": {words}" if words else ""))
        data = answer.json()
        answers = data.get("answers") if isinstance(data, dict) else None
        if not isinstance(answers, dict) or len(answers) > MAX_ANSWERS:
            return PrefillResult(Outcome.FAILED, reason=f"{host} did not answer with prefill answers "
                                                        "(docs/sync-api.yaml PrefillAnswer)")
        wanted = set(request.pages)
        kept = {str(k): v for k, v in answers.items() if str(k) in wanted and _plain(v)}
        return PrefillResult(Outcome.FOUND, kept, _source(data.get("source")))

    def _why(self, exc: BaseException) -> str:
        """A failure in a line for the mediator (TLS, unreachable, too slow), without the submission wording."""
        if isinstance(exc, (DeadlineExceeded, requests.exceptions.Timeout)):
            return f"{host_of(self.destination)} gave no answer within {self.client.deadline:g} s"
        return classify_exception(exc, self.destination).reason


def _plain(value) -> bool:
    """An answer as a screen could give it: text, a number or a list of texts, not too long."""
    if isinstance(value, bool):
        return False
    if isinstance(value, str):
        return len(value) <= MAX_VALUE_LENGTH
    if isinstance(value, (int, float)):
        return True
    return isinstance(value, list) and len(value) <= 50 and all(isinstance(v, str) and len(v) <= 200 for v in value)


def _source(value) -> dict[str, str]:
    """The administration's name(s) for "from <name>": {language: name} or a plain name as {"": name}."""
    if isinstance(value, str):
        return {"": clean_text(value, MAX_SOURCE_LENGTH)} if value.strip() else {}
    if isinstance(value, dict):
        return {str(k)[:8]: clean_text(v, MAX_SOURCE_LENGTH) for k, v in list(value.items())[:10]
                if isinstance(v, str) and v.strip()}
    return {}
