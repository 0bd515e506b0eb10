"""OpenRosa 1.0 form submission (ODK Central, KoboToolbox, Ona): multipart POST of xml_submission_file."""
from __future__ import annotations

import re
from email.utils import formatdate

from requests.auth import HTTPBasicAuth, HTTPDigestAuth

from offline_queue.connectors import DEAD, DELIVERED, RETRY, Outcome
from offline_queue.connectors.http import (DestinationConfigError, HttpClient, classify_exception,
                                           classify_status, retry_after, secret)

_MESSAGE = re.compile(r"<message[^>]*>(.*?)</message>", re.S)


class OpenRosaConnector:
    """Sends the XForm instance bytes rendered at enqueue, unchanged on every attempt."""

    def __init__(self, destination, client: HttpClient | None = None):
        self.destination = destination
        self.client = client or HttpClient(destination)
        self._url: str | None = None
        self._config_error: DestinationConfigError | None = None
        try:
            self._setup_auth()
        except DestinationConfigError as exc:  # reported on each attempt, not at start-up
            self._config_error = exc

    def _setup_auth(self) -> None:
        options = self.destination.options
        auth = str(options.get("auth", "none")).lower()
        url = self.destination.url
        if auth in ("basic", "digest"):
            user = options.get("username") or secret(options, "username", required=True)
            password = secret(options, "password", required=True)
            self.client.auth = HTTPBasicAuth(user, password) if auth == "basic" else HTTPDigestAuth(user, password)
        elif auth == "token_url":
            # ODK Central app users: the token is part of the URL (…/v1/key/{token}/projects/N/submission),
            # so the URL in kiosk.toml holds a {token} placeholder and the token comes from a secret.
            if "{token}" not in url:
                raise DestinationConfigError("auth = 'token_url' needs a url containing {token}")
            url = url.replace("{token}", secret(options, "token", required=True))
        elif auth != "none":
            raise DestinationConfigError(f"auth '{auth}' is not 'none', 'basic', 'digest' or 'token_url'")
        self._url = url

    def send(self, submission_id: str, body: bytes, content_type: str = "text/xml") -> Outcome:
        if self._config_error is not None:
            return classify_exception(self._config_error, self.destination)
        headers = {"X-OpenRosa-Version": "1.0", "Date": formatdate(usegmt=True)}
        if content_type.startswith("multipart/"):  # built at enqueue (ODK-encrypted: odk_crypto.py): send as is
            body_args = {"data": body, "headers": {**headers, "Content-Type": content_type}}
        else:
            body_args = {"files": {"xml_submission_file": ("submission.xml", body, "text/xml")}, "headers": headers}
        try:
            response = self.client.request("POST", self._url, **body_args)
        except Exception as exc:  # noqa: BLE001 - every transport failure is classified
            return classify_exception(exc, self.destination)
        status, text = response.status_code, _text(response)
        if status in (201, 202):
            # Only an OpenRosaResponse is an acknowledgement; a portal or proxy page is not.
            if "OpenRosaResponse" in text:
                return Outcome(DELIVERED)
            return Outcome(RETRY, f"HTTP {status} without an OpenRosaResponse (captive portal or proxy?)",
                           error_kind="network")
        if 200 <= status < 300:
            return Outcome(RETRY, f"HTTP {status} is not an OpenRosa acknowledgement (captive portal?)",
                           error_kind="network")
        if status == 409:
            message = _message(text)
            # ODK Central: same instanceID with different bytes. We never change the bytes, so a person must look.
            if "different" in message.lower():
                return Outcome(DEAD, f"HTTP 409: {message}")
            # Same instanceID already stored: the server has this submission.
            return Outcome(DELIVERED)
        outcome = classify_status(status, retry_after(response))
        if outcome.kind == DEAD:
            return Outcome(DEAD, f"HTTP {status}: {_message(text) or response.reason}")
        return outcome

    def probe(self) -> bool:
        """OpenRosa's HEAD on the submission URL (204 expected); any answer below 500 means reachable."""
        if self._config_error is not None:
            return False
        try:
            response = self.client.request("HEAD", self._url, headers={"X-OpenRosa-Version": "1.0"})
        except Exception:  # noqa: BLE001
            return False
        return response.status_code < 500 and not 300 <= response.status_code < 400


def _text(response) -> str:
    try:
        return response.content[:20000].decode("utf-8", "replace")
    except Exception:  # noqa: BLE001
        return ""


def _message(text: str) -> str:
    match = _MESSAGE.search(text)
    return (match.group(1).strip() if match else text.strip())[:300]
