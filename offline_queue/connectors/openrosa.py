"""OpenRosa 1.0 form submission (ODK Central, KoboToolbox, Ona): multipart POST of xml_submission_file.

Delivered only on 201/202 whose body is an OpenRosaResponse (the root element) with a message that is not
nature="error". ODK Central answers an identical resubmission with 201, so no other answer means "already
there": every 409 is a refusal (closed form, deleted submission, different XML, out-of-date edit) and is set
aside for a person with the server's words; a 409 page from a proxy is retried. A 404 for an unknown form
version tells the mediator what to do.
"""
from __future__ import annotations

import re
from email.utils import formatdate
from typing import Any
from xml.etree import ElementTree

from requests.auth import HTTPBasicAuth, HTTPDigestAuth

from offline_queue.connectors import DEAD, DELIVERED, RETRY, Outcome
from offline_queue.connectors.http import (Answer, DestinationConfigError, HttpClient, classify_exception,
                                           classify_status, clean_reason, clean_text, secret)

_NS = "{http://openrosa.org/http/response}"
_VERSION = re.compile(rb"<[^?!][^>]*?\sversion=[\"']([^\"']{1,64})[\"']")

# What a mediator can do about Central's refusals (matched on the server's words, which stay in the reason).
_HINTS = (
    ("not currently accepting submissions",
     "the form is closed on the server: ask its manager to open it again, then `kiosk queue retry`"),
    ("has been deleted", "the server deleted this submission and refuses it again: ask the form's manager"),
    ("different xml", "the server holds another submission with this ID: a person must compare them"),
    ("out of date", "the server holds a newer edit of this submission: ask the form's manager"),
)


class OpenRosaConnector:
    """Sends the XForm instance bytes rendered at enqueue, unchanged on every attempt."""

    def __init__(self, destination, client: HttpClient | None = None):
        self.destination = destination
        self.client = client or HttpClient(destination)
        self._url: str | None = None
        self._config_error: DestinationConfigError | None = self.client.config_error
        try:
            self._setup_auth()
        except DestinationConfigError as exc:  # reported on each attempt, not at start-up
            self._config_error = self._config_error or exc

    def _setup_auth(self) -> None:
        options = self.destination.options
        auth = str(options.get("auth", "none")).lower()
        url = self.destination.url
        if auth in ("basic", "digest"):
            user = str(options.get("username") or secret(options, "username", required=True))
            password = str(secret(options, "password", required=True))
            self.client.auth = HTTPBasicAuth(user, password) if auth == "basic" else HTTPDigestAuth(user, password)
        elif auth == "token_url":
            # ODK Central app users: the token is part of the URL (…/v1/key/{token}/projects/N/submission),
            # so the URL in kiosk.toml holds a {token} placeholder and the token comes from a secret.
            if "{token}" not in url:
                raise DestinationConfigError("auth = 'token_url' needs a url containing {token}")
            url = url.replace("{token}", str(secret(options, "token", required=True)))
        elif auth != "none":
            raise DestinationConfigError(f"auth '{auth}' is not 'none', 'basic', 'digest' or 'token_url'")
        self._url = url

    def send(self, submission_id: str, body: bytes, content_type: str = "text/xml",
             ack_key: bytes | None = None, attachments: tuple = ()) -> Outcome:
        """Deliver one instance; ack_key is unused (OpenRosa has no signed acknowledgement). Attachments go in
        the same multipart POST, each file its own part named by its file name (the element's value in the
        instance), as ODK Central expects; the answer is judged by the same rules."""
        if self._config_error is not None:
            return classify_exception(self._config_error, self.destination)
        headers = {"X-OpenRosa-Version": "1.0", "Date": formatdate(usegmt=True)}
        body_args: dict[str, Any]
        if content_type.startswith("multipart/"):  # built at enqueue (ODK-encrypted: odk_crypto.py): send as is
            body_args = {"data": body, "headers": {**headers, "Content-Type": content_type}}
        else:
            body_args = {"files": [("xml_submission_file", ("submission.xml", body, "text/xml"))] +
                         [(a.name, (a.name, a.data, a.content_type)) for a in attachments], "headers": headers}
            if attachments:
                body_args["upload_bytes"] = sum(len(a.data) for a in attachments)
        try:
            answer = self.client.request("POST", self._url or self.destination.url, **body_args)
        except Exception as exc:  # noqa: BLE001 - every transport failure is classified
            return classify_exception(exc, self.destination)
        return self.judge(answer, body)

    def judge(self, answer: Answer, body: bytes = b"") -> Outcome:
        """What the server's answer means for the queue (the table in docs/queue.md)."""
        status = answer.status
        response = openrosa_response(answer)
        if status in (201, 202):
            if response is None:
                return Outcome(RETRY, f"HTTP {status} without an OpenRosaResponse (captive portal or proxy?)",
                               error_kind="network")
            nature, message = response
            if nature == "error":
                return Outcome(DEAD, f"HTTP {status} but the server reports an error: {message or 'no message'}")
            return Outcome(DELIVERED)
        if 200 <= status < 300:
            return Outcome(RETRY, f"HTTP {status} is not an OpenRosa acknowledgement (captive portal?)",
                           error_kind="network")
        if status == 409:
            if response is None:  # a proxy's page, not the OpenRosa server's refusal
                return Outcome(RETRY, f"HTTP 409 from something that is not the OpenRosa server (a proxy?): "
                                      f"{answer.words() or 'no message'}")
            message = response[1]
            hint = next((h for needle, h in _HINTS if needle in message.lower()), "a person must look")
            return Outcome(DEAD, f"HTTP 409: {message or 'conflict'} ({hint})")
        if status == 404 and response is not None and "does not exist" in response[1].lower() \
                and "version" in response[1].lower():
            version = _form_version(body)
            return Outcome(DEAD, f"the server does not have this form version{f' ({version})' if version else ''}: "
                                 "publish this form version on the server, then `kiosk queue retry` "
                                 f"(HTTP 404: {response[1]})")
        outcome = classify_status(answer, self.destination)
        if outcome.kind == DEAD and response is not None and response[1]:
            hint = " (check the destination's url: it ends in /submission)" if status == 404 else ""
            return Outcome(DEAD, f"HTTP {status}: {response[1]}{hint}")
        return outcome

    def probe(self) -> bool:
        """OpenRosa's HEAD on the submission URL (204 expected); any answer below 500 means reachable."""
        if self._config_error is not None:
            return False
        try:
            answer = self.client.request("HEAD", self._url or self.destination.url,
                                         headers={"X-OpenRosa-Version": "1.0"})
        except Exception:  # noqa: BLE001
            return False
        return answer.status < 500 and not 300 <= answer.status < 400


def openrosa_response(answer: Answer) -> tuple[str, str] | None:
    """(message nature, message text cleaned) when the body is an OpenRosaResponse document, else None.
    The root element must be OpenRosaResponse: a page that merely contains the word is not one."""
    if not answer.complete or not answer.body.strip():
        return None
    try:
        root = ElementTree.fromstring(answer.body)
    except (ElementTree.ParseError, ValueError, RecursionError):
        return None
    if root.tag not in (f"{_NS}OpenRosaResponse", "OpenRosaResponse"):
        return None
    message = root.find(f"{_NS}message")
    if message is None:
        message = root.find("message")
    if message is None:
        return "", ""
    # ElementTree has already decoded the entities (&#39; is '); clean_text decodes once more on purpose:
    # servers that escape twice still show plain words.
    return str(message.get("nature", "")).lower(), clean_text("".join(message.itertext()))


def _form_version(body: bytes) -> str | None:
    """The form version the instance names (its root's version attribute), for the mediator's message."""
    match = _VERSION.search(body[:4096])
    return clean_reason(match.group(1).decode("utf-8", "replace"), 64) if match else None
