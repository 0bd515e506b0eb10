"""One requests.Session per destination: timeouts always, TLS verification always on, auth from secrets."""
from __future__ import annotations

import os
import ssl
from email.utils import parsedate_to_datetime
from pathlib import Path
import time

import requests

from offline_queue.connectors import DEAD, RETRY, Outcome

DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 30.0
# Retried: the request may succeed later unchanged. Every other 4xx needs a person.
RETRY_STATUSES = frozenset({408, 425, 429})


class DestinationConfigError(Exception):
    """A destination whose secrets or files are missing; the message says what to set."""


def secret(options: dict, name: str, required: bool = False) -> str | None:
    """A secret named by `<name>_env` (environment variable) or `<name>_file` (file); never the file itself."""
    if env := options.get(f"{name}_env"):
        value = os.environ.get(env)
        if value is None and required:
            raise DestinationConfigError(f"environment variable {env} (for {name}) is not set")
        if value is not None:
            return value.strip()
    if path := options.get(f"{name}_file"):
        try:
            return Path(path).expanduser().read_text(encoding="utf-8").strip()
        except OSError:
            raise DestinationConfigError(f"cannot read the {name} file {path}") from None
    if name in options:
        raise DestinationConfigError(f"put {name} in an environment variable ({name}_env) or a file ({name}_file), "
                                     "not in kiosk.toml")
    if required:
        raise DestinationConfigError(f"set {name}_env or {name}_file for this destination")
    return None


class HttpClient:
    """requests with the destination's TLS and timeout settings applied to every call."""

    def __init__(self, destination, session: requests.Session | None = None):
        options = destination.options
        self.destination = destination
        self.session = session or requests.Session()
        # TLS verification is never switched off: only a different CA bundle can be named.
        self.verify: str | bool = str(Path(options["ca_bundle"]).expanduser()) if options.get("ca_bundle") else True
        self.cert = None
        if options.get("client_cert"):
            cert = str(Path(options["client_cert"]).expanduser())
            self.cert = (cert, str(Path(options["client_key"]).expanduser())) if options.get("client_key") else cert
        self.timeout = (float(options.get("connect_timeout", DEFAULT_CONNECT_TIMEOUT)),
                        float(options.get("read_timeout", DEFAULT_READ_TIMEOUT)))
        self.auth = None
        self.headers: dict[str, str] = {}

    def request(self, method: str, url: str, **kwargs) -> requests.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        # verify/cert per request: a Session attribute loses to $REQUESTS_CA_BUNDLE (requests merges the
        # environment first), which would silently ignore the configured ca_bundle.
        return self.session.request(method, url, headers=headers, timeout=self.timeout, auth=self.auth,
                                    verify=self.verify, cert=self.cert, allow_redirects=False, **kwargs)

    def close(self) -> None:
        self.session.close()


def retry_after(response) -> float | None:
    """Retry-After in seconds (delta-seconds or an HTTP date), None if absent or unreadable."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def classify_status(status: int, after: float | None = None) -> Outcome:
    if status in RETRY_STATUSES or status >= 500:
        reason = f"HTTP {status}" + (f" (retry after {after:.0f} s)" if after is not None else "")
        return Outcome(RETRY, reason, retry_after=after)
    if 300 <= status < 400:
        # Redirects are not followed: a POST must not silently land elsewhere (captive portals redirect).
        return Outcome(RETRY, f"HTTP {status} redirect (captive portal or wrong URL?)", error_kind="network")
    return Outcome(DEAD, f"HTTP {status}")


def _is_tls(exc: BaseException) -> bool:
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, (requests.exceptions.SSLError, ssl.SSLError)):
            return True
        exc = exc.__cause__ or exc.__context__ or (exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else None)
        seen += 1
    return False


def classify_exception(exc: BaseException, destination) -> Outcome:
    """Transport failures are retried; TLS failures are flagged so the worker backs off hard (no retry storm)."""
    host = destination.url.split("/")[2] if "//" in destination.url else destination.url
    if isinstance(exc, DestinationConfigError):
        return Outcome(RETRY, f"destination '{destination.name}': {exc}", error_kind="config")
    if _is_tls(exc):
        text = str(exc)
        why = "certificate expired" if "expired" in text else \
            "certificate not trusted (wrong CA? set ca_bundle)" if "verify failed" in text or "CERTIFICATE" in text \
            else "TLS handshake failed"
        return Outcome(RETRY, f"TLS error talking to {host}: {why}", error_kind="tls")
    if isinstance(exc, requests.exceptions.Timeout):
        return Outcome(RETRY, f"timeout talking to {host}", error_kind="network")
    if isinstance(exc, requests.exceptions.ConnectionError):
        return Outcome(RETRY, f"cannot reach {host} (connection refused, reset or no network)", error_kind="network")
    return Outcome(RETRY, f"error talking to {host}: {type(exc).__name__}", error_kind="network")
