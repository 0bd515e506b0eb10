"""Queue and device health as the mediator console and `kiosk console` show them.

Everything here is counts, sizes, ages and codes: never a payload, an answer
or a reference number. Each probe degrades on its own: a queue that cannot be
opened, a missing voice package or an unreachable backend gives an
"unavailable" entry with a reason instead of an exception, so the console
always opens.
"""
from __future__ import annotations

import datetime as dt
import email.utils
import logging
import shutil
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.config import Config, redact_url
from offline_queue import Outbox, open_outbox

log = logging.getLogger(__name__)

# Below this, the console warns that the disk is nearly full.
LOW_DISK_BYTES = 500 * 1024 * 1024
# A backend clock further off than this makes the console warn.
CLOCK_TOLERANCE_SECONDS = 60


# --- queue --------------------------------------------------------------------

@dataclass
class QueueHealth:
    """The outbox as the console shows it: counts by state, the oldest wait, what needs a person."""

    available: bool
    counts: dict[str, int] = field(default_factory=dict)
    oldest_waiting_seconds: float | None = None
    failed: list[dict] = field(default_factory=list)  # {"id", "state", "reason", "attempts", ...}: no payload
    last_success: str | None = None
    destinations: list[dict] = field(default_factory=list)  # {"name", "url", "online", "detail"}
    reason: str = ""


def _iso(value: float | None) -> str | None:
    if value is None:
        return None
    return dt.datetime.fromtimestamp(value, dt.UTC).isoformat(timespec="seconds")


def open_queue(config: Config) -> tuple[Outbox | None, str]:
    """(outbox, "") or (None, why it cannot be opened): the console opens either way."""
    try:
        return open_outbox(config), ""
    except Exception as exc:  # noqa: BLE001 - the console must open whatever the queue does
        log.warning("the outbox cannot be opened: %s", type(exc).__name__)
        return None, f"the outbox cannot be opened: {type(exc).__name__}: {exc}"


def queue_health(outbox: Outbox | None, reason: str = "", *, config: Config | None = None,
                 sync_worker: Any = None, now: Callable[[], float] | None = None) -> QueueHealth:
    """Counts, ages and reasons from the outbox's reading functions; never a payload.

    `sync_worker` (the running app's SyncWorker, optional) tells which
    destinations are paused and when the last delivery was; without it the
    destinations come from the configuration with an unknown connectivity.
    """
    now = now or time.time
    if outbox is None:
        return QueueHealth(False, reason=reason or "no outbox")
    health = QueueHealth(True)
    try:
        health.counts = {str(k): int(v) for k, v in outbox.counts().items()}
        # Damage set aside, missing submissions, bodies that failed their checksum, a full disk: in words.
        health.reason = " ".join(p.message for p in outbox.health().problems)
        waiting = outbox.items(["queued", "sending", "failed"], 1)
        if waiting:
            health.oldest_waiting_seconds = max(0.0, now() - float(waiting[0].created_at))
        health.failed = [{"id": str(i.id)[:8], "state": i.state, "reason": i.last_error or "",
                          "attempts": i.attempts, "destination": i.destination, "service": i.service_id}
                         for i in outbox.items(["failed", "dead"])]
        if sync_worker is not None and getattr(sync_worker, "last_success", None):
            health.last_success = _iso(sync_worker.last_success)
        else:
            health.last_success = _iso(outbox.last_success())
        if config is not None:
            health.destinations = _destinations(config, sync_worker, now)
    except Exception as exc:  # noqa: BLE001 - shown on the console, never raised into it
        health.reason = f"{type(exc).__name__}: {exc}"
    return health


def _destinations(config: Config, sync_worker: Any, now: Callable[[], float]) -> list[dict]:
    syncer = getattr(sync_worker, "syncer", None)
    blocked = getattr(syncer, "blocked_until", {}) or {}
    reasons = getattr(syncer, "block_reason", {}) or {}
    out = []
    for d in config.destinations.values():
        entry: dict[str, Any] = {"name": d.name, "url": redact_url(d.url), "online": None}  # a URL may hold a token
        if syncer is not None:
            paused = blocked.get(d.name, 0) > now()
            entry["online"] = not paused
            entry["detail"] = reasons.get(d.name, "") if paused else ""
        out.append(entry)
    return out


def probe_destination(url: str, *, timeout: float = 3.0, fetch: Callable | None = None) -> tuple[bool, float | None, str]:
    """(reachable, clock offset in seconds, detail) for one backend URL."""
    offset, detail = backend_clock_offset(url, timeout=timeout, fetch=fetch)
    reachable = not detail.startswith("backend unreachable")
    return reachable, offset, detail


# --- device -------------------------------------------------------------------

@dataclass
class DeviceHealth:
    """Disk, databases, voice and clock: what a supervisor checks when a kiosk misbehaves."""

    disk_free_bytes: int | None
    disk_total_bytes: int | None
    databases: dict[str, int]  # file name -> bytes
    voice_models: dict[str, Any]  # language -> "installed" / "missing" / "unavailable"
    tts_voices: dict[str, Any]
    clock_offset_seconds: float | None
    clock_detail: str = ""
    voice_detail: str = ""
    catalogue_version: int | None = None  # the signed catalogue on disk (None: services from plain folders)

    @property
    def disk_low(self) -> bool:
        return self.disk_free_bytes is not None and self.disk_free_bytes < LOW_DISK_BYTES

    @property
    def clock_wrong(self) -> bool:
        return self.clock_offset_seconds is not None and abs(self.clock_offset_seconds) > CLOCK_TOLERANCE_SECONDS


def disk(data_dir: Path) -> tuple[int | None, int | None]:
    """(free, total) bytes of the disk holding data_dir (or its nearest existing parent)."""
    path = Path(data_dir)
    while not path.exists() and path != path.parent:
        path = path.parent
    try:
        usage = shutil.disk_usage(path)
    except OSError:
        return None, None
    return usage.free, usage.total


def databases(data_dir: Path) -> dict[str, int]:
    """Size of each SQLite file in data_dir, its -wal and -shm included."""
    out: dict[str, int] = {}
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        return out
    for p in sorted(data_dir.glob("*.db")):
        size = p.stat().st_size
        for extra in (p.with_name(p.name + "-wal"), p.with_name(p.name + "-shm")):
            if extra.exists():
                size += extra.stat().st_size
        out[p.name] = size
    return out


def voice_status(config: Config, languages: Iterable[str], synthesizer: Any = None) -> tuple[dict, dict, str]:
    """(recognition model per language, TTS voice per language, detail).

    Voices only when a `voice.tts.Synthesizer` is given: asking it may start
    its worker process, so the console does that in the background.
    """
    try:
        from voice import models as voice_models
    except ImportError as exc:  # a kiosk built without voice
        return {}, {}, f"voice not installed: {exc}"
    models: dict[str, Any] = {}
    voices: dict[str, Any] = {}
    detail = []
    for lang in languages:
        try:
            models[lang] = "installed" if voice_models.model_path(config.data_dir, lang) else "missing"
        except Exception as exc:  # noqa: BLE001
            models[lang] = "unavailable"
            detail.append(f"model {lang}: {type(exc).__name__}")
    if synthesizer is not None:
        try:
            from voice.tts import choose_voice
            available = synthesizer.voices()
            for lang in languages:
                choice = choose_voice(available, lang)
                voices[lang] = "missing" if choice.voice is None else ("fallback" if choice.fallback else choice.voice.name)
        except Exception as exc:  # noqa: BLE001
            detail.append(f"voices: {type(exc).__name__}: {exc}")
    return models, voices, "; ".join(detail)


def backend_clock_offset(url: str, *, timeout: float = 3.0,
                         now: Callable[[], dt.datetime] | None = None,
                         fetch: Callable[[str, float], str | None] | None = None) -> tuple[float | None, str]:
    """Seconds the kiosk's clock is ahead (+) or behind (-) the backend's HTTP Date header."""
    clock = now or (lambda: dt.datetime.now(dt.UTC))

    def default_fetch(u: str, t: float) -> str | None:
        request = urllib.request.Request(u, method="HEAD")
        try:
            with urllib.request.urlopen(request, timeout=t) as response:  # noqa: S310 - configured backend URL
                return response.headers.get("Date")
        except urllib.error.HTTPError as exc:  # any answer carries the server's Date
            return exc.headers.get("Date")

    try:
        before = clock()
        header = (fetch or default_fetch)(url, timeout)
        after = clock()
    except Exception as exc:  # noqa: BLE001
        return None, f"backend unreachable ({type(exc).__name__})"
    if not header:
        return None, "the backend sent no Date header"
    try:
        server = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None, "the backend's Date header cannot be read"
    local = before + (after - before) / 2
    return round((local - server).total_seconds(), 1), ""


def device_health(config: Config, *, clock_probe: bool = True, fetch: Callable | None = None,
                  synthesizer: Any = None) -> DeviceHealth:
    """Disk, databases, voice models (and voices with a synthesizer) and the backend's clock."""
    free, total = disk(config.data_dir)
    models, voices, voice_detail = voice_status(config, config.languages, synthesizer)
    offset, clock_detail = None, "not checked"
    if clock_probe:
        dest = config.destination("*") or next(iter(config.destinations.values()), None)
        if dest is not None:
            offset, clock_detail = backend_clock_offset(dest.url, fetch=fetch)
        else:
            clock_detail = "no destination configured"
    from operations.catalogue_update import KioskCatalogue  # here: tuf is not needed for the rest
    catalogue = KioskCatalogue.under(config.data_dir).version()
    return DeviceHealth(free, total, databases(config.data_dir), models, voices, offset, clock_detail, voice_detail,
                        catalogue)


def human_bytes(n: int | None) -> str:
    """1536 -> "1.5 KB"; None -> "?"."""
    if n is None:
        return "?"
    size = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def human_age(seconds: float | None) -> str:
    """A wait as people say it: "45 s", "12 min", "5 h", "3 days"; None -> "-"."""
    if seconds is None:
        return "-"
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"
