"""Kiosk configuration: one TOML file, every setting declared once below with its type, default and meaning.

Looked up in $PONTE_CONFIG, then /etc/ponte/kiosk.toml, then the platform's
per-user config folder ($XDG_CONFIG_HOME/ponte/kiosk.toml, ~/.config/ponte/kiosk.toml); without a file the demo defaults apply. Secrets
(tokens, passwords) are never stored in the file itself: a destination names an
environment variable or a file to read.

The sections (`[kiosk]`, `[session]`, …) are the frozen dataclasses below; each
field is one setting, declared with `setting(default, doc, kind)`. A file with
an unknown section or key, or a value of the wrong type, is refused when it is
loaded, with the file, the key, what is expected and the closest known name.
Code reads typed sections (`config.queue.base_delay`); `Config.raw` (the TOML
as read) stays for code that has not moved yet.
"""
from __future__ import annotations

import dataclasses
import difflib
import os
import re
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from kiosk import LANGUAGES

SAMPLE_SERVICES = Path(__file__).parent / "services"


class ConfigError(Exception):
    """A configuration file that cannot be used; the message says where and how to fix it.

    `problems` holds every problem found (the message is the first one), so
    `kiosk config check` can list them all at once.
    """

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems or [message]


# --- kinds of value ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """A kind of setting value: how it is described to people and how a TOML value is checked."""

    name: str
    expected: str  # completes "expected ...", e.g. "a number of seconds, like 2 or 2.5"
    convert: Callable[[Any], Any]  # raises ValueError when the value is not of this kind


def _describe(value: Any) -> str:
    """The value as a person wrote it, shortened: what they need to find it in the file."""
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f'the text "{shown}"'
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"[:60]


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError
    return value


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError
    return value


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError
    if value != value or value in (float("inf"), float("-inf")) or value < 0:
        raise ValueError
    return float(value)


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError
    return value


def _path(value: Any) -> Path:
    if not isinstance(value, str) or not value.strip():
        raise ValueError
    return Path(value).expanduser()


def _texts(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError
    return tuple(value)


def _paths(value: Any) -> tuple[Path, ...]:
    return tuple(_path(v) for v in _texts(value))


def _language(value: Any) -> str:
    if value not in LANGUAGES:
        raise ValueError
    return value


def _languages(value: Any) -> tuple[str, ...]:
    values = _texts(value)
    if not values or any(v not in LANGUAGES for v in values):
        raise ValueError
    return values


def _choice(*options: str) -> Kind:
    def convert(value: Any) -> str:
        if value not in options:
            raise ValueError
        return value
    return Kind("choice", "one of " + ", ".join(f'"{o}"' for o in options), convert)


def _headphones(value: Any) -> str:
    if value in ("auto", "none", "pulse"):
        return value
    if isinstance(value, str) and value.startswith("evdev:/") and len(value) > len("evdev:/"):
        return value
    raise ValueError


HEADPHONES = Kind("headphones", '"auto", "none", "pulse" or "evdev:" and a device, like "evdev:/dev/input/event5"',
                  _headphones)


def _between(low: int, high: int) -> Kind:
    def convert(value: Any) -> int:
        number = _integer(value)
        if not low <= number <= high:
            raise ValueError
        return number
    return Kind("integer", f"a whole number from {low} to {high}", convert)


TEXT = Kind("text", 'a text in quotes, like "abc"', _text)
INTEGER = Kind("integer", "a whole number, like 4194304", _integer)
SECONDS = Kind("seconds", "a number of seconds, like 2 or 2.5 (no unit)", _number)
NUMBER = Kind("number", "a number, like 30 or 2.5", _number)
BOOLEAN = Kind("boolean", "true or false (no quotes)", _boolean)
PATH = Kind("path", 'a file or folder path in quotes, like "/etc/ponte/x.pem"', _path)
TEXTS = Kind("texts", 'a list of texts in quotes, like ["a", "b"]', _texts)
PATHS = Kind("paths", 'a list of paths, like ["/etc/ponte/services"]', _paths)
LANGUAGE = Kind("language", "one of " + ", ".join(f'"{code}"' for code in LANGUAGES), _language)
LANGUAGE_LIST = Kind("languages", "a list of " + ", ".join(f'"{code}"' for code in LANGUAGES), _languages)
TEXTS = Kind("texts", 'a list of texts, like ["change-of-address"]', _texts)


def setting(default: Any, doc: str, kind: Kind, *, secret: bool = False) -> Any:
    """Declare one setting: its default, one line for people, and its kind (`secret`: redacted when shown)."""
    return field(default=default, metadata={"doc": doc, "kind": kind, "secret": secret})


# --- the sections -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class KioskSettings:
    """[kiosk]: this kiosk."""

    id: str = setting("ponte-dev", "sent with every submission and in fleet metrics; never a person's name "
                      "(default: $PONTE_KIOSK_ID, else ponte-dev)", TEXT)
    data_dir: Path | None = setting(None, "queue, keys, voice models, statistics, audit log "
                                    "(default: $PONTE_DATA_DIR, else the platform's data folder: "
                                    "$XDG_DATA_HOME/ponte, ~/.local/share/ponte)", PATH)
    cache_dir: Path | None = setting(None, "what can be made again: speech clips, the checked catalogue "
                                     "(default: $PONTE_CACHE_DIR, else data_dir when that is set, else the "
                                     "platform's cache folder: $XDG_CACHE_HOME/ponte, ~/.cache/ponte)", PATH)
    languages: tuple[str, ...] = setting(LANGUAGES, "languages offered on the start screen, in this order",
                                         LANGUAGE_LIST)
    default_language: str | None = setting(None, "the language the start screen opens in "
                                           "(default: the first of languages)", LANGUAGE)


@dataclass(frozen=True)
class SessionSettings:
    """[session]: the citizen at the screen."""

    idle_seconds: float = setting(60.0, 'seconds without a touch before "Are you still there?"', SECONDS)
    warning_seconds: float = setting(30.0, "seconds of that warning before every answer is wiped", SECONDS)
    check_idle_seconds: float = setting(45.0, 'seconds without a touch on "Check your answers" before the warning',
                                        SECONDS)
    done_idle_seconds: float = setting(30.0, "seconds without a touch on the confirmation screen before the warning",
                                       SECONDS)


@dataclass(frozen=True)
class ServicesSettings:
    """[services]: where service definitions come from."""

    dirs: tuple[Path, ...] = setting((), "folders of service definition files; relative to the config file", PATHS)
    include_samples: bool | None = setting(None, "also offer the sample services (default: only when no dirs "
                                           "are given)", BOOLEAN)


@dataclass(frozen=True)
class QueueSettings:
    """[queue]: the outbox and its delivery."""

    public_key: Path | None = setting(None, "the backend's public key (PEM) every submission is sealed to "
                                      "(default: the local demo key)", PATH)
    device_key_dir: Path | None = setting(None, "folder of the kiosk's own key pair, for OpenRosa bodies; "
                                          "relative to data_dir (default: device-key)", PATH)
    reserve_bytes: int = setting(4 * 1024 * 1024, "disk space set aside so queued submissions can still be sent "
                                 "on a full disk", INTEGER)
    base_delay: float = setting(2.0, "first retry delay, doubled at each failure", SECONDS)
    max_delay: float = setting(900.0, "cap of the retry delay", SECONDS)
    tls_delay: float = setting(3600.0, "retry delay after a certificate (TLS) error", SECONDS)
    timer: float = setting(60.0, "the sync worker wakes up at least this often", SECONDS)
    probe_interval: float = setting(30.0, "how often an unreachable destination is probed", SECONDS)
    receipt_days: float = setting(30.0, "days delivered receipts are kept", NUMBER)


@dataclass(frozen=True)
class VoiceSettings:
    """[voice]: speech out and in."""

    on_by_default: bool = setting(False, "speech on from the start screen (false: the citizen turns it on)",
                                  BOOLEAN)
    rate: int = setting(100, "speaking rate in percent of the normal rate", _between(50, 200))
    volume: int = setting(80, "speech volume in percent, where each citizen starts (they can change it; reset "
                          "at the wipe)", _between(10, 100))
    microphone: str = setting("", 'the microphone by the name Qt gives it ("" = the system default)', TEXT)
    cache_max_mb: float = setting(200.0, "size cap of the shared speech cache, in MB (least recently used "
                                  "clips are deleted first)", NUMBER)
    headphones: str = setting("auto", 'where headphones are detected (speech turns on when they are plugged in; '
                              'private texts are said only through them): "auto" (the jack switch of the '
                              'sound card, else PulseAudio), "none", "pulse" or "evdev:/dev/input/eventN"',
                              HEADPHONES)


@dataclass(frozen=True)
class MediatorSettings:
    """[mediator]: the mediator's console."""

    language: str | None = setting(None, "the mediator side's language for accounts without their own (kiosk mediators set-language; default: the kiosk's default language)",
                                   LANGUAGE)
    export_dir: Path | None = setting(None, "where exports are written, e.g. a USB stick's mount point "
                                      "(default: data_dir/exports)", PATH)
    idle_signout_seconds: float = setting(120.0, "seconds without a touch before a signed-in mediator is "
                                          "signed out", SECONDS)
    reauth_minutes: float = setting(15.0, "minutes after which a signed-in mediator is asked for the PIN "
                                    "again", NUMBER)


@dataclass(frozen=True)
class AuditSettings:
    """[audit]: the mediator audit log."""

    hmac: bool = setting(True, "chain the log with an HMAC keyed by data_dir/audit.key (false: plain SHA-256)",
                         BOOLEAN)
    destination: str = setting("audit", 'the destination (rest) that receives the log (else the "*" one)', TEXT)


@dataclass(frozen=True)
class DraftsSettings:
    """[drafts]: paused journeys kept on this kiosk under a resume code (docs/resume.md); never synced."""

    keep_hours: float = setting(24.0, "hours a paused journey is kept before it is erased", NUMBER)
    max_wrong_codes: int = setting(5, "wrong resume codes within 10 minutes before this kiosk pauses code "
                                   "checks (the pause doubles each time)", _between(1, 20))


@dataclass(frozen=True)
class FeedbackSettings:
    """[feedback]: the anonymous "How was it?" answers after each journey."""

    destination: str = setting("feedback", 'the destination (rest) that receives them (else the "*" one)', TEXT)


@dataclass(frozen=True)
class DocumentsSettings:
    """[documents]: where the pages of `document` questions come from (docs/documents.md)."""

    scanner: str = setting("", 'SANE device for "Scan" ("" = the first `scanimage -L` finds; "none" = no '
                           'scanner; "test" = SANE\'s test backend)', TEXT)
    camera: str = setting("", 'camera for "Take a photo" ("" = the system\'s default camera; "none" = no camera; '
                          '"files:FOLDER" = a fake fed from the images in FOLDER, for tests and demos only)', TEXT)
    usb_dirs: tuple[Path, ...] = setting((Path("/media"), Path("/run/media")), "folders USB sticks are mounted "
                                         "under (a stick is a folder one or two levels down)", PATHS)


@dataclass(frozen=True)
class MetricsSettings:
    """[metrics]: fleet health in Prometheus format; never any personal data."""

    textfile: str = setting("", 'node_exporter textfile-collector file, rewritten atomically ("" = off)', TEXT)
    pushgateway_url: str = setting("", 'a Prometheus Pushgateway to push to when online ("" = do not push)', TEXT)
    job: str = setting("ponte_kiosk", "the Pushgateway job name; the kiosk id is the instance label", TEXT)


@dataclass(frozen=True)
class DestinationSettings:
    """[destinations.NAME]: where the submissions of services naming NAME go ("*" catches any name)."""

    kind: str = setting("rest", "rest (docs/sync-api.yaml) or openrosa (ODK Central, KoboToolbox, Ona)",
                        _choice("rest", "openrosa"))
    url: str = setting("", "the backend's base URL; https in production", TEXT)
    auth: str = setting("none", "openrosa only: none, basic, digest or token_url",
                        _choice("none", "basic", "digest", "token_url"))
    token_env: str = setting("", "environment variable holding the bearer token (rest) or app-user token", TEXT)
    token_file: str = setting("", "file holding that token (mode 0600)", TEXT)
    username: str = setting("", "user name for basic and digest", TEXT)
    username_env: str = setting("", "environment variable holding the user name", TEXT)
    username_file: str = setting("", "file holding the user name", TEXT)
    password_env: str = setting("", "environment variable holding the password", TEXT)
    password_file: str = setting("", "file holding the password (mode 0600)", TEXT)
    ca_bundle: str = setting("", "PEM file of CAs to trust instead of the system's (TLS is never switched off)",
                             TEXT)
    client_cert: str = setting("", "client certificate for mutual TLS", TEXT)
    client_key: str = setting("", "the client certificate's key", TEXT)
    connect_timeout: float = setting(5.0, "seconds to wait for a connection", SECONDS)
    read_timeout: float = setting(30.0, "seconds to wait for an answer", SECONDS)
    form_public_key: str = setting("", "openrosa only: the form's RSA public key (PEM or base64), to encrypt "
                                   "submissions as ODK does", TEXT)
    form_public_key_file: str = setting("", "openrosa only: a file holding that key", TEXT)
    public_key: str = setting("", "this destination's own sealing key, instead of [queue] public_key", TEXT)
    payload: str = setting("sealed", 'rest only: "sealed", or "clear" (in clear over TLS; still sealed at rest)',
                           _choice("sealed", "clear"))
    ack: str = setting("mac", 'rest only: "mac" (the backend proves delivery, docs/sync-api.yaml) or "echo" '
                       "(legacy backends; weaker, warned about)", _choice("mac", "echo"))
    allow_http: bool = setting(False, "allow http:// (no TLS); only for a loopback test backend", BOOLEAN)
    proxy: str = setting("", 'HTTP(S) proxy for this destination ("" = none; the environment is ignored)', TEXT)
    deadline: float = setting(45.0, "seconds a whole request may take, answer included", SECONDS)
    concurrency: int = setting(4, "requests in flight at once to this destination", _between(1, 16))
    batch: int = setting(1, "rest only: submissions per request to the backend's batch endpoint (1 = off)",
                         _between(1, 100))
    prefill: tuple[str, ...] = setting((), "rest only: ids of the services this backend can prefill from what it "
                                       "already knows (POST /prefill/{service}, docs/sync-api.yaml)", TEXTS)
    prefill_deadline: float = setting(10.0, "seconds a prefill request may take, answer included (a citizen waits)",
                                      SECONDS)


@dataclass(frozen=True)
class HelpSettings:
    """[help]: "Call a helper" tells the staff on their own device."""

    notify_url: str = setting("", "URL the kiosk POSTs to when a citizen calls a helper (kiosk id, service, "
                              "step, seconds waiting; never personal data); https unless loopback. "
                              '"" = chime and flag only', TEXT)
    remind_seconds: float = setting(60.0, "while nobody has come, remind the staff this often", SECONDS)
    timeout: float = setting(5.0, "seconds one notification may take", SECONDS)


@dataclass(frozen=True)
class PrinterSettings:
    """[printer]: where "Print my receipt" prints (docs/receipts.md)."""

    kind: str = setting("cups", '"cups" (A4 or A6 through CUPS), "escpos" (80 mm thermal receipt printer) or '
                        '"none" (no Print button; the QR code stays on screen)', _choice("cups", "escpos", "none"))
    name: str = setting("", 'cups: the print queue, as lpstat -p lists it ("" = the default printer)', TEXT)
    paper: str = setting("A4", 'cups: "A4" or "A6"', _choice("A4", "A6"))
    device: str = setting("", 'escpos: the device file, like "/dev/usb/lp0", or "tcp://HOST:9100"', TEXT)
    dots: int = setting(576, "escpos: printable width in dots (576 for 80 mm paper, 384 for 58 mm)",
                        _between(200, 1024))
    profile: str = setting("TM-T20II", "escpos: the python-escpos printer profile", TEXT)
    timeout: float = setting(5.0, "escpos: seconds to wait for a network printer", SECONDS)


@dataclass(frozen=True)
class CatalogueSettings:
    """[catalogue]: signed service-catalogue updates with The Update Framework (docs/catalogue.md)."""

    url: str = setting("", 'the catalogue repository, https://... ("" = updates only from a folder, e.g. a USB '
                       "stick: kiosk catalogue update --from FOLDER)", TEXT)
    root: Path | None = setting(None, "the trusted root.json provisioned with the kiosk (needed until the first "
                                "update has stored one under data_dir/catalogue)", PATH)
    ca_bundle: Path | None = setting(None, "PEM file of CAs to trust for url instead of the system's", PATH)
    timestamp_days: float = setting(30.0, "build and sign: days the timestamp stays valid; an update made from "
                                    "older metadata is refused, so cover a van's whole tour", NUMBER)
    snapshot_days: float = setting(90.0, "build and sign: days the snapshot stays valid", NUMBER)
    targets_days: float = setting(90.0, "build and sign: days the list of definitions stays valid", NUMBER)
    root_days: float = setting(365.0, "build: days the root (the trusted keys) stays valid", NUMBER)
    refresh_minutes: float = setting(60.0, "with url set: minutes between the running kiosk's update checks "
                                     "(0 = never by itself); a new catalogue is offered from the next citizen on",
                                     NUMBER)
    usb_roots: tuple[str, ...] = setting(("/media/*", "/media/*/*", "/run/media/*/*"), "glob patterns of the "
                                         "mount points where the running kiosk looks for a catalogue stick", TEXTS)
    usb_folder: str = setting("ponte-catalogue", "the folder on a stick that holds the catalogue repository "
                              '("" = do not look for sticks)', TEXT)
    usb_poll_seconds: float = setting(5.0, "how often the running kiosk looks for a stick (0 = never)", SECONDS)


# Secrets are never written in the file: these keys are refused with the way to do it.
_SECRET_KEYS = {"token": "token_env or token_file", "password": "password_env or password_file"}

SECTIONS: dict[str, type] = {
    "kiosk": KioskSettings,
    "session": SessionSettings,
    "services": ServicesSettings,
    "queue": QueueSettings,
    "voice": VoiceSettings,
    "mediator": MediatorSettings,
    "audit": AuditSettings,
    "drafts": DraftsSettings,
    "feedback": FeedbackSettings,
    "metrics": MetricsSettings,
    "help": HelpSettings,
    "printer": PrinterSettings,
    "catalogue": CatalogueSettings,
    "documents": DocumentsSettings,
}
DESTINATIONS = "destinations"  # a table of tables: [destinations.NAME], each a DestinationSettings


@dataclass(frozen=True)
class Settings:
    """Every section, typed: what the file says, the defaults for the rest."""

    kiosk: KioskSettings = field(default_factory=KioskSettings)
    session: SessionSettings = field(default_factory=SessionSettings)
    services: ServicesSettings = field(default_factory=ServicesSettings)
    queue: QueueSettings = field(default_factory=QueueSettings)
    voice: VoiceSettings = field(default_factory=VoiceSettings)
    mediator: MediatorSettings = field(default_factory=MediatorSettings)
    audit: AuditSettings = field(default_factory=AuditSettings)
    drafts: DraftsSettings = field(default_factory=DraftsSettings)
    feedback: FeedbackSettings = field(default_factory=FeedbackSettings)
    metrics: MetricsSettings = field(default_factory=MetricsSettings)
    help: HelpSettings = field(default_factory=HelpSettings)
    printer: PrinterSettings = field(default_factory=PrinterSettings)
    catalogue: CatalogueSettings = field(default_factory=CatalogueSettings)
    documents: DocumentsSettings = field(default_factory=DocumentsSettings)
    destinations: dict[str, DestinationSettings] = field(default_factory=dict)


def declared(section: type) -> Iterator[tuple[str, Any, str, Kind, bool]]:
    """(key, default, doc, kind, secret) for each setting of a section class."""
    for f in dataclasses.fields(section):
        yield f.name, f.default, f.metadata["doc"], f.metadata["kind"], f.metadata["secret"]


def _closest(name: str, known: list[str]) -> str | None:
    match = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return match[0] if match else None


def _parse_section(label: str, section: type, table: Any, problems: list[str]) -> Any:
    """One section from its TOML table; appends a line per problem and uses the default there."""
    if not isinstance(table, dict):
        problems.append(f"{label}: expected a table of settings ({label} then key = value lines), "
                        f"got {_describe(table)}")
        return section()
    known = [f.name for f in dataclasses.fields(section)]
    values = {}
    for key, value in table.items():
        if key in _SECRET_KEYS and section is DestinationSettings:
            problems.append(f"{label} {key}: a secret is never written in this file; use {_SECRET_KEYS[key]}")
            continue
        if key not in known:
            hint = _closest(key, known)
            problems.append(f"{label} {key}: no such setting; " +
                            (f"did you mean {hint}?" if hint else f"known: {', '.join(known)}"))
            continue
        kind: Kind = {f.name: f for f in dataclasses.fields(section)}[key].metadata["kind"]
        try:
            values[key] = kind.convert(value)
        except (ValueError, TypeError):
            problems.append(f"{label} {key}: expected {kind.expected}; got {_describe(value)}")
    return section(**values)


def parse_settings(raw: dict) -> Settings:
    """Check a TOML dict against the declared settings; ConfigError lists every problem found."""
    problems: list[str] = []
    sections: dict[str, Any] = {}
    known = [*SECTIONS, DESTINATIONS]
    for name, table in raw.items():
        if name == DESTINATIONS:
            continue
        if name not in SECTIONS:
            if not isinstance(table, dict):
                problems.append(f"{name}: settings go in a section such as [kiosk] {name}; "
                                f"sections: {', '.join(f'[{s}]' for s in known)}")
                continue
            hint = _closest(name, known)
            problems.append(f"[{name}]: no such section; " + (f"did you mean [{hint}]?" if hint else
                                                              f"sections: {', '.join(f'[{s}]' for s in known)}"))
            continue
        sections[name] = _parse_section(f"[{name}]", SECTIONS[name], table, problems)
    destinations: dict[str, DestinationSettings] = {}
    tables = raw.get(DESTINATIONS, {})
    if not isinstance(tables, dict):
        problems.append(f"[{DESTINATIONS}]: expected one table per destination, like [destinations.civil-registry]")
        tables = {}
    for name, table in tables.items():
        label = f'[destinations.{name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else repr(name)}]'
        if isinstance(table, dict) and "url" not in table:
            problems.append(f"{label} url: add the backend's url")
        destinations[name] = _parse_section(label, DestinationSettings, table, problems)
    kiosk = sections.get("kiosk")
    if kiosk is not None and kiosk.default_language and kiosk.default_language not in kiosk.languages:
        problems.append(f"[kiosk] default_language: \"{kiosk.default_language}\" is not one of languages "
                        f"({', '.join(kiosk.languages)})")
    if problems:
        raise ConfigError(problems[0], problems)
    return Settings(**sections, destinations=destinations)


# --- the configuration the kiosk runs with ----------------------------------------------------------


@dataclass(frozen=True)
class Destination:
    """Where submissions of a service go, resolved by name from the config."""

    name: str
    kind: str  # "rest" or "openrosa"
    url: str
    options: dict = field(default_factory=dict)  # the other keys of its table, as written


@dataclass(frozen=True)
class Config:
    """The effective configuration: resolved values the whole kiosk uses, and the typed sections."""

    data_dir: Path
    kiosk_id: str = "ponte-dev"
    services_dirs: tuple[Path, ...] = (SAMPLE_SERVICES,)
    languages: tuple[str, ...] = LANGUAGES
    default_language: str = "en"
    idle_seconds: float = 60.0
    warning_seconds: float = 30.0
    destinations: dict[str, Destination] = field(default_factory=dict)
    raw: dict = field(default_factory=dict)  # the TOML as read; prefer the typed sections below
    source: Path | None = None  # the file it came from (None: defaults only)
    cache_root: Path | None = None  # [kiosk] cache_dir resolved; None: caches live under data_dir

    @property
    def cache_dir(self) -> Path:
        """Where rebuildable caches go (speech clips, the checked catalogue)."""
        return self.cache_root if self.cache_root is not None else self.data_dir

    @property
    def queue_path(self) -> Path:
        return self.data_dir / "queue.db"

    def destination(self, name: str) -> Destination | None:
        """The destination a service names; "*" in the config catches any name."""
        return self.destinations.get(name) or self.destinations.get("*")

    # Typed sections, derived from `raw` so that a copy with another `raw` (dataclasses.replace) stays whole.
    @cached_property
    def settings(self) -> Settings:
        return parse_settings(self.raw)

    @property
    def session(self) -> SessionSettings:
        return self.settings.session

    @property
    def queue(self) -> QueueSettings:
        return self.settings.queue

    @property
    def voice(self) -> VoiceSettings:
        return self.settings.voice

    @property
    def mediator(self) -> MediatorSettings:
        return self.settings.mediator

    @property
    def help(self) -> HelpSettings:
        return self.settings.help

    @property
    def audit(self) -> AuditSettings:
        return self.settings.audit

    @property
    def drafts(self) -> DraftsSettings:
        return self.settings.drafts

    @property
    def feedback(self) -> FeedbackSettings:
        return self.settings.feedback

    @property
    def metrics(self) -> MetricsSettings:
        return self.settings.metrics

    @property
    def printer(self) -> PrinterSettings:
        return self.settings.printer

    @property
    def catalogue(self) -> CatalogueSettings:
        return self.settings.catalogue

    @property
    def documents(self) -> DocumentsSettings:
        return self.settings.documents


def _default_data_dir() -> Path:
    """$PONTE_DATA_DIR, else the platform's per-user data folder (XDG on Linux)."""
    if env := os.environ.get("PONTE_DATA_DIR"):
        return Path(env)
    import platformdirs
    return Path(platformdirs.user_data_dir("ponte", appauthor=False))


def _default_cache_dir(data_dir_given: bool) -> Path | None:
    """$PONTE_CACHE_DIR; else None (caches under data_dir) when a data folder was chosen, as on the
    packaged kiosk (/var/lib/ponte); else the platform's per-user cache folder (XDG on Linux)."""
    if env := os.environ.get("PONTE_CACHE_DIR"):
        return Path(env)
    if data_dir_given:
        return None
    import platformdirs
    return Path(platformdirs.user_cache_dir("ponte", appauthor=False))


def config_path() -> Path | None:
    """The configuration file in use: $PONTE_CONFIG, /etc/ponte/kiosk.toml, ~/.config/ponte/kiosk.toml."""
    import platformdirs
    candidates = [os.environ.get("PONTE_CONFIG"), "/etc/ponte/kiosk.toml",
                  Path(platformdirs.user_config_dir("ponte", appauthor=False)) / "kiosk.toml"]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def load_config(path: Path | str | None = None) -> Config:
    """Read and check the configuration; without a file, the demo defaults apply.

    Raises ConfigError whose message starts with the file's path.
    """
    path = Path(path) if path else config_path()
    raw: dict = {}
    if path is not None:
        try:
            raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read the configuration: {exc}") from exc
    try:
        config = config_from_dict(raw, base=path.parent if path else Path.cwd())
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}", [f"{path}: {p}" for p in exc.problems]) from None
    return dataclasses.replace(config, source=path)


def config_from_dict(raw: dict, base: Path | None = None) -> Config:
    """A Config from a TOML dict (relative service folders resolved from base); ConfigError if it is wrong."""
    base = base or Path.cwd()
    settings = parse_settings(raw)
    kiosk = settings.kiosk
    data_dir = kiosk.data_dir if kiosk.data_dir is not None else _default_data_dir()
    cache_root = kiosk.cache_dir if kiosk.cache_dir is not None else _default_cache_dir(
        kiosk.data_dir is not None or bool(os.environ.get("PONTE_DATA_DIR")))
    dirs = tuple((base / d).resolve() for d in settings.services.dirs)
    include_samples = settings.services.include_samples
    if include_samples if include_samples is not None else not dirs:
        dirs = (SAMPLE_SERVICES,) + dirs
    destinations = {}
    tables = raw.get(DESTINATIONS, {"*": _DEMO_DESTINATION})
    for name, spec in tables.items():
        options = {k: v for k, v in spec.items() if k not in ("kind", "url")}
        destinations[name] = Destination(name, settings.destinations[name].kind if name in settings.destinations
                                         else spec.get("kind", "rest"), spec["url"], options)
    config = Config(
        data_dir=data_dir,
        kiosk_id=kiosk.id if "id" in raw.get("kiosk", {}) else os.environ.get("PONTE_KIOSK_ID", kiosk.id),
        services_dirs=dirs,
        languages=kiosk.languages,
        default_language=kiosk.default_language or kiosk.languages[0],
        idle_seconds=settings.session.idle_seconds,
        warning_seconds=settings.session.warning_seconds,
        destinations=destinations,
        raw=raw,
        cache_root=cache_root,
    )
    config.__dict__["settings"] = settings  # already checked: the cached_property need not parse again
    return config


# Without a configuration file, every service goes to the local dev-backend.
_DEMO_DESTINATION = {"kind": "rest", "url": "http://127.0.0.1:8765", "allow_http": True,
                     "prefill": ["change-of-address"]}  # the dev-backend knows a few demo people

_URL_SECRET = re.compile(r"(/key/)[^/]+|(//)[^/@]+@")


def redact_url(url: str) -> str:
    """A URL without what may be a secret: user:password@ and ODK Central's /key/TOKEN/."""
    return _URL_SECRET.sub(lambda m: f"{m.group(1)}***" if m.group(1) else "//***@", url)


def effective(config: Config) -> dict[str, dict[str, Any]]:
    """Every setting's effective value by section, secrets redacted (what `kiosk config show` prints)."""
    settings = config.settings
    out: dict[str, dict[str, Any]] = {}
    for name, section in SECTIONS.items():
        values = getattr(settings, name)
        out[name] = {key: ("***" if secret else getattr(values, key)) for key, _, _, _, secret in declared(section)}
    out["kiosk"].update(id=config.kiosk_id, data_dir=config.data_dir, cache_dir=config.cache_dir,
                        languages=config.languages,
                        default_language=config.default_language)
    out["services"]["dirs"] = config.services_dirs
    for name, dest in config.destinations.items():
        given = settings.destinations.get(name, DestinationSettings(url=dest.url))
        values = {key: getattr(given, key) for key, *_ in declared(DestinationSettings)}
        values["url"] = redact_url(dest.url)
        out[f"{DESTINATIONS}.{name}"] = values
    return out
