"""HTTP for the connectors: one requests.Session per destination, decided by kiosk.toml alone.

- TLS verification is always on; only a CA bundle can be named (`ca_bundle`).
- The environment never changes routing or trust: `trust_env = False`, so HTTPS_PROXY, REQUESTS_CA_BUNDLE
  and ~/.netrc are ignored; a destination's `proxy` is the only proxy.
- Plain `http://` only for a loopback host whose destination says `allow_http = true`.
- Every request has a total deadline (`deadline`, answer included): a server that trickles one byte every
  two seconds cannot hold a pass. Answers are read up to MAX_ANSWER_BYTES: an endless body cannot grow memory.
- What the backend says is capped and cleaned (`clean_text`) before it is stored or logged: it may echo
  personal data.
"""
from __future__ import annotations

import html
import ipaddress
import json
import os
import re
import socket
import ssl
import threading
import time
import unicodedata
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Mapping
from urllib.parse import urlsplit

import requests
import requests.auth
import urllib3
from requests.adapters import HTTPAdapter

from offline_queue.connectors import DEAD, RETRY, Outcome

DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 30.0
DEFAULT_DEADLINE = 45.0          # a whole request, answer included
# A request carrying files (documents, signatures) gets this long on top of the deadline per byte sent: about
# 128 kbit/s, a poor mobile link, so a 5 MB scan is not cut (and resent, and cut again) at the deadline.
UPLOAD_BYTES_PER_SECOND = 16 * 1024
MAX_ANSWER_BYTES = 1024 * 1024   # acknowledgements are small; more is not one
MAX_RETRY_AFTER = 86400.0        # the sync worker caps further, at its max_delay
REASON_LIMIT = 200               # characters of a server's words kept in a reason
DEFAULT_CONCURRENCY = 4          # requests in flight per destination (its `concurrency` option)
MAX_CONCURRENCY = 16
# Retried: the request may succeed later unchanged.
RETRY_STATUSES = frozenset({408, 425, 429})
# A gateway in front of a stopped backend: the whole destination is out, not this submission.
OUTAGE_STATUSES = frozenset({502, 503, 504})
AUTH_STATUSES = frozenset({401, 403})


def _user_agent() -> str:
    try:
        from importlib.metadata import PackageNotFoundError, version
        return f"Ponte/{version('ponte-kiosk')}"
    except (ImportError, PackageNotFoundError):
        return "Ponte"


USER_AGENT = _user_agent()


class DestinationConfigError(Exception):
    """A destination whose settings, secrets or files are wrong; the message says what to set."""


class DeadlineExceeded(Exception):
    """The request, answer included, took longer than the destination's deadline."""

    def __init__(self, seconds: float):
        super().__init__(f"no complete answer within {seconds:g} s")
        self.seconds = seconds


# --- what servers say: capped and cleaned ------------------------------------------------------------

_EMAIL = re.compile(r"[\w.+-]{1,64}@[\w-]{1,63}(\.[\w-]{1,63})+")  # bounded: no quadratic backtracking
_LONG_DIGITS = re.compile(r"\d{6,}")   # national ids, phone numbers, tax numbers: never kept
_TAGS = re.compile(r"<[^>]{0,200}>")
WORDS_BYTES = 8192  # of an answer's body looked at for the server's words


def clean_text(text: str, limit: int = REASON_LIMIT) -> str:
    """A server's words made safe to store, show and log: entities decoded once, control, format and
    bidi characters dropped, whitespace collapsed, e-mail addresses and runs of 6+ digits masked, capped."""
    text = html.unescape(str(text))
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp") else ch
                   for ch in text[: limit * 20])
    text = " ".join(text.split())
    text = _EMAIL.sub("[e-mail]", text)
    text = _LONG_DIGITS.sub("[number]", text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def clean_reason(text: str, limit: int = 400) -> str:
    """Defence in depth for a whole reason (the kiosk's words around the server's): no control characters,
    one line, capped. Digits are kept: the kiosk's own words hold status codes and form versions."""
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp") else ch
                   for ch in str(text)[: limit * 4])
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- an answer, read with a cap -----------------------------------------------------------------------

@dataclass(frozen=True)
class Answer:
    """A server's answer: status, headers and at most MAX_ANSWER_BYTES of body."""

    status: int
    reason: str
    headers: Mapping[str, str]
    body: bytes
    complete: bool = True  # False: the body was longer than the cap and was cut

    @property
    def content_type(self) -> str:
        return str(self.headers.get("Content-Type", "")).lower()

    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self):
        """The body as JSON when it says it is JSON and is complete; None otherwise."""
        if not self.complete or "json" not in self.content_type:
            return None
        try:
            return json.loads(self.body)
        except (ValueError, RecursionError):
            return None

    def words(self) -> str:
        """What the server says about the refusal, cleaned: JSON reason, an HTML page's title or text."""
        data = self.json()
        if isinstance(data, dict):
            for key in ("reason", "detail", "message", "error", "title"):
                if isinstance(data.get(key), str) and data[key].strip():
                    return clean_text(data[key])
            return ""
        # Only the beginning: a hostile page must not make the regular expressions below work for long.
        text = self.body[:WORDS_BYTES].decode("utf-8", "replace")
        if "<" in text:
            lower = text.lower()
            start = lower.find("<title")
            opened = lower.find(">", start) + 1 if start >= 0 else 0
            end = lower.find("</title", opened) if opened else -1
            text = text[opened:end] if end >= 0 else _TAGS.sub(" ", text)
        return clean_text(text)


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Retry-After in seconds (delta-seconds or an HTTP date), between 0 and MAX_RETRY_AFTER; None if absent or
    unreadable (nan, garbage). inf, 999999999 and far dates become MAX_RETRY_AFTER; past dates 0."""
    value = headers.get("Retry-After") if headers is not None else None
    if not value:
        return None
    value = str(value).strip()[:100]
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    if seconds != seconds:  # nan
        return None
    return min(max(0.0, seconds), MAX_RETRY_AFTER)


# --- secrets and transport checks ----------------------------------------------------------------------

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


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def transport_problem(destination) -> str | None:
    """Why this destination's URL may not be used, or None. https always; http:// only for a loopback host
    with `allow_http = true` (a token and the answers would otherwise travel in clear)."""
    try:
        parts = urlsplit(str(destination.url))
        host = parts.hostname or ""
    except ValueError:
        return "the url cannot be read; write it as https://host/path"
    if parts.scheme == "https" and host:
        return None
    if parts.scheme == "http" and host:
        if not _is_loopback(host):
            return "http:// would send the token and the answers in clear; use https://"
        if destination.options.get("allow_http") is not True:
            return ("http:// to a loopback test backend needs allow_http = true in this destination; "
                    "use https:// otherwise")
        return None
    return "the url must start with https:// (and name a host)"


def host_of(destination) -> str:
    """The host[:port] of a destination, for messages (never the path: it may hold a token)."""
    try:
        return urlsplit(str(destination.url)).netloc.rpartition("@")[2] or "the backend"
    except ValueError:
        return "the backend"


# --- the deadline: a watchdog that cuts the connection --------------------------------------------------

class _Scope:
    """The connections one request uses; cut when its deadline passes."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.connections: list = []
        self.expired = False

    def add(self, connection) -> None:
        with self.lock:
            self.connections.append(connection)
            if self.expired:
                _cut(connection)

    def fire(self) -> None:
        with self.lock:
            self.expired = True
            for connection in self.connections:
                _cut(connection)


def _cut(connection) -> None:
    sock = getattr(connection, "sock", None)
    if sock is not None:
        try:  # the plain socket's shutdown: the blocked read in the sending thread returns at once
            socket.socket.shutdown(sock, socket.SHUT_RDWR)
        except (OSError, TypeError, ValueError):
            pass


_active = threading.local()


def _track(connection) -> None:
    scope = getattr(_active, "scope", None)
    if scope is not None:
        scope.add(connection)


class _HTTPConnection(urllib3.connection.HTTPConnection):
    def connect(self) -> None:
        _track(self)
        super().connect()

    def request(self, *args, **kwargs):
        _track(self)
        return super().request(*args, **kwargs)


class _HTTPSConnection(urllib3.connection.HTTPSConnection):
    def connect(self) -> None:
        _track(self)
        super().connect()

    def request(self, *args, **kwargs):
        _track(self)
        return super().request(*args, **kwargs)


class _HTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


_POOLS = {"http": _HTTPPool, "https": _HTTPSPool}


class _DeadlineAdapter(HTTPAdapter):
    """requests' adapter with connections the deadline watchdog can cut."""

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy, **kwargs):
        manager = super().proxy_manager_for(proxy, **kwargs)
        manager.pool_classes_by_scheme = _POOLS
        return manager


def make_session(pool_size: int = 4) -> requests.Session:
    """A Session that ignores the environment and whose connections obey the request deadline."""
    session = requests.Session()
    session.trust_env = False  # HTTPS_PROXY, REQUESTS_CA_BUNDLE, .netrc: only kiosk.toml decides
    adapter = _DeadlineAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


class HttpClient:
    """requests with the destination's TLS, proxy, timeout and deadline settings applied to every call."""

    def __init__(self, destination, session: requests.Session | None = None):
        options = destination.options
        self.destination = destination
        try:  # one pooled connection per request in flight: reused, never reopened per submission
            pool = max(1, min(int(options.get("concurrency", DEFAULT_CONCURRENCY)), MAX_CONCURRENCY))
        except (TypeError, ValueError):
            pool = DEFAULT_CONCURRENCY
        self.session = session or make_session(pool)
        self.session.trust_env = False
        self.config_error: DestinationConfigError | None = None
        if problem := transport_problem(destination):
            self.config_error = DestinationConfigError(problem)
        if proxy := options.get("proxy"):
            self.session.proxies = {"http": str(proxy), "https": str(proxy)}
        # TLS verification is never switched off: only a different CA bundle can be named.
        self.verify: str | bool = str(Path(options["ca_bundle"]).expanduser()) if options.get("ca_bundle") else True
        self.cert = None
        if options.get("client_cert"):
            cert = str(Path(options["client_cert"]).expanduser())
            self.cert = (cert, str(Path(options["client_key"]).expanduser())) if options.get("client_key") else cert
        try:
            self.timeout = (float(options.get("connect_timeout", DEFAULT_CONNECT_TIMEOUT)),
                            float(options.get("read_timeout", DEFAULT_READ_TIMEOUT)))
            self.deadline = float(options.get("deadline", DEFAULT_DEADLINE))
        except (TypeError, ValueError):
            self.timeout, self.deadline = (DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT), DEFAULT_DEADLINE
            self.config_error = DestinationConfigError("connect_timeout, read_timeout and deadline are seconds")
        self.max_bytes = MAX_ANSWER_BYTES
        self.auth: requests.auth.AuthBase | None = None
        # The cap counts the bytes as sent; a backend's logs see a Ponte kiosk, not python-requests.
        self.headers: dict[str, str] = {"Accept-Encoding": "identity", "User-Agent": USER_AGENT}

    def request(self, method: str, url: str, *, headers: dict | None = None, upload_bytes: int = 0,
                **kwargs) -> Answer:
        """One request within the deadline (longer by upload_bytes / UPLOAD_BYTES_PER_SECOND for a request that
        carries files); the answer read up to the cap. Raises what requests raises, DeadlineExceeded when the
        deadline cut it, DestinationConfigError for a refused destination."""
        if self.config_error is not None:
            raise self.config_error
        scope = _Scope()
        deadline = self.deadline + max(0, upload_bytes) / UPLOAD_BYTES_PER_SECOND
        watchdog = threading.Timer(deadline, scope.fire)
        watchdog.daemon = True
        _active.scope = scope
        response = None
        watchdog.start()
        try:
            # verify/cert per request, redirects never followed: a POST must not land on a portal.
            response = self.session.request(method, url, headers={**self.headers, **(headers or {})},
                                            timeout=self.timeout, auth=self.auth, verify=self.verify,
                                            cert=self.cert, allow_redirects=False, stream=True, **kwargs)
            body, complete = _read_capped(response, self.max_bytes)
            return Answer(response.status_code, str(response.reason or ""), response.headers, body, complete)
        except Exception as exc:
            if scope.expired:
                raise DeadlineExceeded(deadline) from exc
            raise
        finally:
            watchdog.cancel()
            _active.scope = None
            if response is not None:
                response.close()  # consumed: back to the pool; cut short: the connection is dropped

    def close(self) -> None:
        self.session.close()


def _read_capped(response: requests.Response, cap: int) -> tuple[bytes, bool]:
    chunks, size = [], 0
    for chunk in response.iter_content(64 * 1024):
        chunks.append(chunk)
        size += len(chunk)
        if size > cap:
            return b"".join(chunks)[:cap], False
    return b"".join(chunks), True


# --- what an answer or a failure means ------------------------------------------------------------------

def classify_status(answer: Answer, destination) -> Outcome:
    """The meaning of a status that is neither an acknowledgement nor handled by the connector itself."""
    status, host = answer.status, host_of(destination)
    words = answer.words()
    said = f": {words}" if words else ""
    after = retry_after(answer.headers)
    wait = f" (retry after {after:.0f} s)" if after is not None else ""
    if status in AUTH_STATUSES:
        return Outcome(RETRY, f"HTTP {status} from {host}: the backend refused the kiosk's credentials; check this "
                              f"destination's token or password{said}", error_kind="auth")
    if status in OUTAGE_STATUSES:
        return Outcome(RETRY, f"HTTP {status} from {host}: the backend is out (paused for this pass){wait}{said}",
                       retry_after=after, error_kind="network")
    if status == 429:  # a rate limit concerns the kiosk, not this submission: the destination waits
        return Outcome(RETRY, f"HTTP 429 from {host}: too many requests{wait}{said}", retry_after=after,
                       error_kind="network")
    if status in RETRY_STATUSES or status >= 500:
        return Outcome(RETRY, f"HTTP {status}{wait}{said}", retry_after=after)
    if 300 <= status < 400:
        # Redirects are not followed: a POST must not silently land elsewhere (captive portals redirect).
        return Outcome(RETRY, f"HTTP {status} redirect (captive portal or wrong URL?)", error_kind="network")
    if 200 <= status < 300:
        return Outcome(RETRY, f"HTTP {status} is not an acknowledgement (captive portal or proxy?)",
                       error_kind="network")
    return Outcome(DEAD, f"HTTP {status}{said or ': ' + clean_text(answer.reason or 'refused')}")


def _chain(exc: BaseException | None) -> list[BaseException]:
    """The exception and everything it wraps (requests wraps urllib3, which wraps the socket error)."""
    seen: list[BaseException] = []
    todo = [exc]
    while todo and len(seen) < 20:
        current = todo.pop()
        if current is None or any(current is s for s in seen):
            continue
        seen.append(current)
        todo += [e for e in (current.__cause__, current.__context__, getattr(current, "reason", None),
                             *getattr(current, "args", ())) if isinstance(e, BaseException)]
    return seen


_NOT_CONNECTED = (urllib3.exceptions.NewConnectionError, urllib3.exceptions.NameResolutionError,
                  urllib3.exceptions.ConnectTimeoutError, urllib3.exceptions.ProxyError, ConnectionRefusedError,
                  socket.gaierror, requests.exceptions.ConnectTimeout, requests.exceptions.ProxyError)


def classify_exception(exc: BaseException, destination) -> Outcome:
    """Transport failures are retried. Those that say "the backend cannot be reached" pause the destination
    (error_kind network/tls/config); a connection cut after the request went out is an unknown outcome:
    the backend may have stored it, so it is resent with the same idempotency key, without a pause."""
    host = host_of(destination)
    if isinstance(exc, DestinationConfigError):
        return Outcome(RETRY, f"destination '{destination.name}': {exc}", error_kind="config")
    chain = _chain(exc)
    if isinstance(exc, DeadlineExceeded):
        return Outcome(RETRY, f"{host} gave no complete answer within {exc.seconds:g} s (deadline): outcome "
                              "unknown, resent with the same idempotency key", error_kind="network")
    if any(isinstance(e, (requests.exceptions.SSLError, ssl.SSLError)) for e in chain):
        text = " ".join(str(e) for e in chain)
        why = "certificate expired" if "expired" in text else \
            "certificate not trusted (wrong CA? set ca_bundle)" if "verify failed" in text or "CERTIFICATE" in text \
            else "TLS handshake failed"
        return Outcome(RETRY, f"TLS error talking to {host}: {why}", error_kind="tls")
    if any(isinstance(e, _NOT_CONNECTED) for e in chain):
        return Outcome(RETRY, f"cannot reach {host} (connection refused, no route or no network)",
                       error_kind="network")
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return Outcome(RETRY, f"no answer from {host} within the read timeout: outcome unknown, resent with the "
                              "same idempotency key", error_kind="network")
    if isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError,
                        ConnectionError, urllib3.exceptions.ProtocolError)):
        return Outcome(RETRY, f"the connection to {host} was cut after the request was sent: outcome unknown "
                              "(the backend may have it), resent with the same idempotency key",
                       error_kind="unknown")
    return Outcome(RETRY, f"error talking to {host}: {type(exc).__name__}", error_kind="network")
