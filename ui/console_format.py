"""The mediator console's figures in the mediator's words, as the plain dicts QML shows.

Counts, ages, reasons and settings only: never a citizen's answer or
reference. No Qt here; `ui.mediator_console` calls `console_snapshot()`.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from kiosk.outbox import NEEDS_A_PERSON  # queue states shown in red, with Retry: one list (kiosk.outbox.QueueState)
from operations.health import human_age, human_bytes
from translations import text as tr


def console_snapshot(config, lang: str, queue, device, today, probes: dict, audit: dict, export_dir) -> dict:
    """Everything the console screen shows, from the health snapshots of operations code."""
    destinations = probes.get("destinations", {})
    if probes.get("tts"):
        device.tts_voices = probes["tts"]
    offsets = [p[1] for p in destinations.values() if p[1] is not None]
    offset = offsets[0] if offsets else None
    q = queue
    queue_view: dict[str, Any] = {
        "available": q.available,
        "reason": tr(lang, "m.console.unavailable", reason=q.reason) if not q.available else q.reason,
        "counts": [{"state": k, "count": v, "needsPerson": k in NEEDS_A_PERSON} for k, v in q.counts.items()],
        "oldest": tr(lang, "m.console.oldest", age=human_age(q.oldest_waiting_seconds)),
        "lastSync": tr(lang, "m.console.last_sync", when=_local_time(q.last_success) or tr(lang, "m.console.never")),
        "failed": [{"id": f["id"], "state": f["state"], "reason": f["reason"] or "?",
                    "attempts": f.get("attempts", 0), "service": f.get("service", "")} for f in q.failed],
        "destinations": []}
    for dest in q.destinations:
        name = dest.get("name", "?")
        online = dest.get("online")
        if online is None and name in destinations:
            online = destinations[name][0]
        state = (tr(lang, "m.console.online") if online else tr(lang, "m.console.offline")) \
            if online is not None else tr(lang, "m.console.unknown")
        queue_view["destinations"].append({"name": name, "state": state, "online": bool(online)})
    d = device
    device_view = {
        "disk": tr(lang, "m.console.disk", free=human_bytes(d.disk_free_bytes), total=human_bytes(d.disk_total_bytes)),
        "diskLow": d.disk_low,
        "databases": tr(lang, "m.console.databases",
                        list=", ".join(f"{k} {human_bytes(v)}" for k, v in d.databases.items()) or "-"),
        "voiceModels": tr(lang, "m.console.voice_models", list=_status_list(d.voice_models, config.languages)),
        "tts": tr(lang, "m.console.tts", list=_status_list(d.tts_voices, config.languages)),
        "clock": tr(lang, "m.console.clock",
                    offset=f"{offset:+.0f} s" if offset is not None else tr(lang, "m.console.unknown")),
        "clockWrong": offset is not None and abs(offset) > 60,
        "catalogue": tr(lang, "m.console.catalogue", version=d.catalogue_version)
        if getattr(d, "catalogue_version", None) is not None else tr(lang, "m.console.catalogue_none"),
    }
    return {"queue": queue_view, "device": device_view, "stats": _today(lang, today), "audit": audit,
            "settings": _settings(config, export_dir)}


def audit_status(lang: str, verification) -> dict:
    """The audit chain's check, in words (None: still being checked)."""
    if verification is None:
        return {"ok": True, "text": tr(lang, "m.console.audit_checking")}
    return {"ok": verification.ok,
            "text": tr(lang, "m.console.audit_ok", n=verification.count) if verification.ok
            else tr(lang, "m.console.audit_bad", problem=verification.problem)}


def _today(lang: str, today) -> dict:
    if today is None:
        return {}
    avg = today.average_seconds
    return {
        "started": tr(lang, "m.console.started", n=today.started),
        "completed": tr(lang, "m.console.completed", n=today.completed),
        "abandoned": tr(lang, "m.console.abandoned", n=today.abandoned),
        "assisted": tr(lang, "m.console.assisted_share", pct=round(today.assisted_share * 100)),
        "average": tr(lang, "m.console.average", time=human_age(avg) if avg is not None else "-"),
        "languages": tr(lang, "m.console.languages",
                        list=", ".join(f"{k} {v}" for k, v in today.languages.items()) or "-"),
        "abandonedAt": tr(lang, "m.console.abandoned_at",
                          list=", ".join(f"{k} ({v})" for k, v in list(today.abandoned_by_step.items())[:4]) or "-"),
        "feedback": tr(lang, "m.console.feedback",
                       list=", ".join(f"{k}: {v}" for k, v in sorted(today.feedback.items(), reverse=True) if v)
                       or "-"),
        "byService": [{"service": s, **c} for s, c in today.by_service.items()],
    }


def _settings(config, export_dir) -> list[dict]:
    return [
        {"key": "kiosk id", "value": config.kiosk_id},
        {"key": "data", "value": str(config.data_dir)},
        {"key": "languages", "value": ", ".join(config.languages)},
        {"key": "default language", "value": config.default_language},
        {"key": "idle / warning", "value": f"{config.idle_seconds:.0f} s / {config.warning_seconds:.0f} s"},
        {"key": "exports", "value": str(export_dir)},
    ] + [{"key": f"destination {d.name}", "value": f"{d.kind} {d.url}"} for d in config.destinations.values()]


def _status_list(status: dict, languages) -> str:
    if not status:
        return "-"
    parts = []
    for lang in languages:
        value = status.get(lang)
        if isinstance(value, dict):
            value = value.get("installed", value.get("ok", bool(value)))
        mark = "✓" if value and value not in ("missing", "none", "unavailable") else "✗"
        parts.append(f"{lang} {mark}")
    return "  ".join(parts)


def _local_time(iso: str | None) -> str:
    if not iso:
        return ""
    try:
        return dt.datetime.fromisoformat(iso).astimezone().strftime("%d/%m %H:%M")
    except ValueError:
        return iso
