"""What the mediator's console shows about the kiosk: queue and device health.

Everything here is counts, sizes, ages and codes: never a payload, an answer
or a reference number. Each probe degrades on its own: a part that is missing
(the offline queue or voice not installed, no network) gives an "unavailable"
entry with a reason instead of an exception, so the console always opens.

The queue side calls the public functions of `offline_queue` (see
docs/queue.md): `open_outbox(config)`; on the outbox `counts()`,
`items(states)`, `retry(id)`, `lift_network_failures(destination)`;
`offline_queue.bundle.export_bundle()` and `offline_queue.sync.Syncer` /
the app's `SyncWorker` (last success, blocked destinations, wake). A missing
part degrades to "unavailable" with a reason, never an exception.
"""
from __future__ import annotations

import datetime as dt
import email.utils
import importlib
import shutil
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable


# --- queue --------------------------------------------------------------------

@dataclass
class QueueHealth:
    available: bool
    counts: dict[str, int] = field(default_factory=dict)
    oldest_waiting_seconds: float | None = None
    failed: list[dict] = field(default_factory=list)  # {"id", "state", "reason", "attempts"}: no payload
    last_success: str | None = None
    destinations: list[dict] = field(default_factory=list)  # {"name", "online", "detail"}
    reason: str = ""
    missing: list[str] = field(default_factory=list)


_FAILED_KEYS = ("id", "state", "reason", "attempts", "destination", "service", "kind", "last_error", "updated_at")


def _call(obj: Any, name: str, missing: list[str], *args, default=None):
    fn = getattr(obj, name, None)
    if not callable(fn):
        missing.append(name)
        return default
    return fn(*args)


def _as_dict(item: Any) -> dict:
    if isinstance(item, dict):
        return item
    if hasattr(item, "_asdict"):
        return item._asdict()
    if hasattr(item, "__dataclass_fields__"):
        return {k: getattr(item, k) for k in item.__dataclass_fields__}
    return {k: getattr(item, k) for k in _FAILED_KEYS if hasattr(item, k)}


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (int, float)):
        value = dt.datetime.fromtimestamp(value, dt.timezone.utc)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).isoformat(timespec="seconds")
    return str(value)


def open_queue(config) -> tuple[Any | None, str]:
    """(outbox, "") or (None, why it is not available)."""
    try:
        module = importlib.import_module("offline_queue")
    except ImportError as exc:
        return None, f"offline_queue cannot be imported: {exc}"
    opener = getattr(module, "open_outbox", None)
    if opener is None:
        return None, "offline_queue has no open_outbox() yet"
    try:
        return opener(config), ""
    except Exception as exc:  # noqa: BLE001 - the console must open whatever the queue does
        return None, f"the outbox cannot be opened: {type(exc).__name__}: {exc}"


def queue_health(outbox: Any | None, reason: str = "", *, config=None, sync_worker=None,
                 now: Callable[[], float] | None = None) -> QueueHealth:
    """Counts, ages and reasons from the outbox's public reading functions; never a payload.

    Uses `counts()` and `items(states)` (offline_queue.Outbox); optional
    `last_success()` and `destinations_status()` when the queue offers them.
    Without `destinations_status()`, destinations come from the configuration
    (connectivity then comes from the console's probe).
    """
    import time as _time
    now = now or _time.time
    if outbox is None:
        return QueueHealth(False, reason=reason or "no outbox")
    missing: list[str] = []
    health = QueueHealth(True, missing=missing)
    try:
        health.counts = {str(k): int(v) for k, v in dict(_call(outbox, "counts", missing, default={}) or {}).items()}
        items = getattr(outbox, "items", None)
        if callable(items):
            waiting = items(["queued", "sending", "failed"], 1)
            if waiting:
                health.oldest_waiting_seconds = max(0.0, now() - float(waiting[0].created_at))
            health.failed = [{"id": str(i.id)[:8], "state": i.state, "reason": i.last_error or "",
                              "attempts": i.attempts, "destination": i.destination, "service": i.service_id}
                             for i in items(["failed", "dead"])]
            if sync_worker is not None and getattr(sync_worker, "last_success", None):
                health.last_success = _iso(sync_worker.last_success)
            elif callable(getattr(outbox, "last_success", None)):
                health.last_success = _iso(outbox.last_success())
            else:
                delivered = [i.delivered_at for i in items(["delivered"]) if i.delivered_at]
                health.last_success = _iso(max(delivered)) if delivered else None
        else:
            missing.append("items")
        dests = getattr(outbox, "destinations_status", None)
        if callable(dests):
            result = dests()
            if isinstance(result, dict):
                result = [{"name": k, **(v if isinstance(v, dict) else {"online": bool(v)})} for k, v in result.items()]
            health.destinations = [_as_dict(d) for d in result]
        elif config is not None:
            syncer = getattr(sync_worker, "syncer", None)
            blocked = getattr(syncer, "blocked_until", {}) or {}
            reasons = getattr(syncer, "block_reason", {}) or {}
            health.destinations = []
            for d in config.destinations.values():
                entry = {"name": d.name, "url": d.url, "online": None}
                if syncer is not None:
                    paused = blocked.get(d.name, 0) > now()
                    entry["online"] = not paused
                    entry["detail"] = reasons.get(d.name, "") if paused else ""
                health.destinations.append(entry)
    except Exception as exc:  # noqa: BLE001
        health.reason = f"{type(exc).__name__}: {exc}"
    return health


def probe_destination(url: str, *, timeout: float = 3.0, fetch=None) -> tuple[bool, float | None, str]:
    """(reachable, clock offset in seconds, detail) for one backend URL."""
    offset, detail = backend_clock_offset(url, timeout=timeout, fetch=fetch)
    reachable = not detail.startswith("backend unreachable")
    return reachable, offset, detail


# --- device -------------------------------------------------------------------

@dataclass
class DeviceHealth:
    disk_free_bytes: int | None
    disk_total_bytes: int | None
    databases: dict[str, int]  # file name -> bytes
    voice_models: dict[str, Any]  # language -> installed? (or "unavailable")
    tts_voices: dict[str, Any]
    clock_offset_seconds: float | None
    clock_detail: str = ""
    voice_detail: str = ""

    @property
    def disk_low(self) -> bool:
        return self.disk_free_bytes is not None and self.disk_free_bytes < 500 * 1024 * 1024

    @property
    def clock_wrong(self) -> bool:
        return self.clock_offset_seconds is not None and abs(self.clock_offset_seconds) > 60


def disk(data_dir: Path) -> tuple[int | None, int | None]:
    path = Path(data_dir)
    while not path.exists() and path != path.parent:
        path = path.parent
    try:
        usage = shutil.disk_usage(path)
    except OSError:
        return None, None
    return usage.free, usage.total


def databases(data_dir: Path) -> dict[str, int]:
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


def voice_status(config, languages, synthesizer=None) -> tuple[dict, dict, str]:
    """(recognition model per language, TTS voice per language, detail) from the voice package.

    Models: `voice.models.model_path(data_dir, language)`. Voices: only when a
    `voice.tts.Synthesizer` is given (asking it may start its worker process,
    so the console does that in the background).
    """
    try:
        from voice import models as voice_models
    except ImportError as exc:
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
    now = now or (lambda: dt.datetime.now(dt.timezone.utc))

    def default_fetch(u: str, t: float) -> str | None:
        request = urllib.request.Request(u, method="HEAD")
        try:
            with urllib.request.urlopen(request, timeout=t) as response:  # noqa: S310 - configured backend URL
                return response.headers.get("Date")
        except urllib.error.HTTPError as exc:  # any answer carries the server's Date
            return exc.headers.get("Date")

    try:
        before = now()
        header = (fetch or default_fetch)(url, timeout)
        after = now()
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


def device_health(config, *, clock_probe: bool = True, fetch=None, synthesizer=None) -> DeviceHealth:
    free, total = disk(config.data_dir)
    models, voices, voice_detail = voice_status(config, config.languages, synthesizer)
    offset, clock_detail = None, "not checked"
    if clock_probe:
        dest = config.destination("*") or next(iter(config.destinations.values()), None)
        if dest is not None:
            offset, clock_detail = backend_clock_offset(dest.url, fetch=fetch)
        else:
            clock_detail = "no destination configured"
    return DeviceHealth(free, total, databases(config.data_dir), models, voices, offset, clock_detail, voice_detail)


def human_bytes(n: int | None) -> str:
    if n is None:
        return "?"
    size = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def human_age(seconds: float | None) -> str:
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


# --- the console: what it shows and the actions behind its buttons --------------

class Console:
    """The mediator console's model: snapshot for the screen, audited actions.

    `outbox` is the offline queue's outbox (or None: actions then report
    "unavailable"); `audit` the AuditLog; `mediator` the signed-in account id.
    """

    def __init__(self, config, audit, mediator: str, *, outbox: Any | None = None, outbox_reason: str = "",
                 stats=None, fetch=None, clock_probe: bool = True, sync_worker=None):
        self.config = config
        self.audit = audit
        self.mediator = mediator
        self.outbox = outbox
        self.outbox_reason = outbox_reason
        self.stats = stats
        self.fetch = fetch
        self.clock_probe = clock_probe
        self.sync_worker = sync_worker

    def queue(self) -> QueueHealth:
        return queue_health(self.outbox, self.outbox_reason, config=self.config, sync_worker=self.sync_worker)

    def device(self) -> DeviceHealth:
        return device_health(self.config, clock_probe=self.clock_probe, fetch=self.fetch)

    def today(self):
        return self.stats.today() if self.stats is not None else None

    def _guard(self, fn: Callable[[], Any]) -> tuple[bool, str]:
        if self.outbox is None:
            return False, self.outbox_reason or "the offline queue is not available"
        try:
            result = fn()
        except Exception as exc:  # noqa: BLE001 - shown to the mediator, never raised into the UI
            return False, f"{type(exc).__name__}: {exc}"
        return True, "" if result is None else str(result)

    def sync_now(self) -> tuple[bool, str]:
        """Send now. With the app's SyncWorker: lift network back-offs and wake it (instant).
        Without one: one blocking pass of offline_queue.sync.Syncer (run it off the GUI thread).
        """
        def run():
            worker = self.sync_worker
            if worker is not None:
                worker.connectivity_changed(True)
                for dest in self.config.destinations.values():
                    self.outbox.lift_network_failures(dest.name)
                return "sync started"
            try:
                from offline_queue.sync import Syncer
            except ImportError:
                n = sum(self.outbox.lift_network_failures(d.name) or 0 for d in self.config.destinations.values())
                return f"{n} due now"
            for dest in self.config.destinations.values():
                self.outbox.lift_network_failures(dest.name)
            result = Syncer(self.outbox, self.config).run_once()
            return f"delivered {result.delivered}, waiting {result.remaining}" + (
                f" ({'; '.join(result.errors)})" if result.errors else "")
        ok, detail = self._guard(run)
        self.audit.append("sync_now", self.mediator, outcome="ok" if ok else "failed")
        return ok, detail

    def retry(self, item_id: str | None = None) -> tuple[bool, str]:
        """Make one failed or dead submission (or all of them) due again."""
        def run():
            ids = [item_id] if item_id else [i.id for i in self.outbox.items(["failed", "dead"])]
            return sum(self.outbox.retry(i) or 0 for i in ids)
        ok, detail = self._guard(run)
        self.audit.append("retry", self.mediator, item=(item_id or "all")[:36], outcome="ok" if ok else "failed")
        return ok, detail

    def export_bundle(self, directory: Path | str) -> tuple[bool, str]:
        """Write the undelivered submissions, still sealed for the backend, for manual upload.

        Uses the queue's own export_bundle(path) when it has one. Otherwise a
        JSON-lines file: one line per submission with its metadata and the
        sealed payload (base64; only the backend's private key opens it).
        """
        directory = Path(directory)
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        target = directory / f"ponte-{self.config.kiosk_id}-{stamp}.bundle.jsonl"

        def run():
            nonlocal target
            directory.mkdir(parents=True, exist_ok=True)
            try:
                from offline_queue.bundle import export_bundle
            except ImportError:
                export_bundle = None
            if export_bundle is not None:
                target, count = export_bundle(self.outbox, directory, self.config)
                return f"{count} → {target}"
            import base64
            import json
            count = 0
            tmp = target.with_name(target.name + ".tmp")
            with tmp.open("w", encoding="utf-8") as f:
                for item, body, body_seal, content_type, payload_sealed in self.outbox.exportable():
                    if payload_sealed is not None:
                        data, form = payload_sealed, "payload_sealed"
                    elif body_seal != "device":
                        data, form = body, "body"
                    else:
                        continue  # sealed with this device's own key: only the queue can re-send it
                    f.write(json.dumps({"id": item.id, "service": item.service_id,
                                        "service_version": item.service_version, "destination": item.destination,
                                        "kind": item.kind, "content_type": content_type, "form": form,
                                        "data": base64.b64encode(data).decode()}) + "\n")
                    count += 1
            tmp.replace(target)
            return target
        ok, detail = self._guard(run)
        self.audit.append("export_bundle", self.mediator, outcome="ok" if ok else "failed",
                          path_name=Path(target).name[:64])
        return ok, detail

    def export_audit(self, directory: Path | str) -> Path:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        target = directory / f"ponte-audit-{self.config.kiosk_id}-{stamp}.jsonl"
        self.audit.append("audit_export", self.mediator, path_name=target.name[:64])
        self.audit.export(target)
        return target
