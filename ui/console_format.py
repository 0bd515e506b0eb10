"""The mediator console's figures in the mediator's words, as the plain dicts QML shows.

Counts, ages, reasons and settings only: never a citizen's answer or
reference. No Qt here; `ui.mediator_console` calls `console_snapshot()`.

The queue is told as what happened and what to do ("Waiting to send: no connection to the office's server. It
tries again by itself"), never with the outbox's state names ("dead") or a connector's reason ("HTTP 503 from
..."): those stay available beside it, small, as "For support: ...", and in `kiosk queue`.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from kiosk.outbox import NEEDS_A_PERSON  # queue states shown in red, with Retry: one list (kiosk.outbox.QueueState)
from operations.health import human_bytes
from translations import format_date
from translations import text as tr

# What a connector's reason (offline_queue/connectors) means for the mediator: the first pattern that matches
# the lower-cased reason names the text m.console.problem.<kind>. The reason itself stays the support detail.
_DAMAGED = re.compile(r"checksum|device key|damaged|could not be opened|set aside")
_FORM_CLOSED = re.compile(r"form version|form is closed|form closed|not accepting")
_FAILED_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("password", re.compile(r"credentials|password|token|http 40[13]\b")),
    ("secure", re.compile(r"\btls\b|certificate|ssl")),
    ("settings", re.compile(r"no destination named|^destination '|no batch endpoint")),
    ("fault", re.compile(r"internal error")),
    ("busy", re.compile(r"is out\b|too many requests|http 429|http 5\d\d|still processing")),
    ("offline", re.compile(r"cannot reach|no answer|no complete answer|connection|captive portal|proxy|redirect"
                           r"|not an acknowledgement|error talking to|network")),
)
# "HTTP 422: field postcode rejected", "HTTP 410 from host: form closed": the server's own words after the code.
_SERVER_SAID = re.compile(r"^HTTP \d{3}(?: from [^:]+)?(?: but the server reports an error)?: (.+)$", re.S)
_SAID_MAX = 120


def console_snapshot(config, lang: str, queue, device, today, probes: dict, audit: dict, export_dir) -> dict:
    """Everything the console screen shows, from the health snapshots of operations code."""
    destinations = probes.get("destinations", {})
    if probes.get("tts"):
        device.tts_voices = probes["tts"]
    offsets = [p[1] for p in destinations.values() if p[1] is not None]
    offset = offsets[0] if offsets else None
    q = queue
    last_sent = _local_when(lang, q.last_success)
    queue_view: dict[str, Any] = {
        "available": q.available,
        # Unavailable: what to do, in words; the exception text only as the support detail.
        "reason": tr(lang, "m.console.queue_unreadable") if not q.available else q.reason,
        "reasonDetail": tr(lang, "m.console.for_support", detail=q.reason) if not q.available and q.reason else "",
        "counts": [{"state": k, "count": v, "needsPerson": k in NEEDS_A_PERSON,
                    "label": tr(lang, f"m.console.count.{k}", n=int(v))} for k, v in q.counts.items()],
        "oldest": tr(lang, "m.console.oldest", age=age_words(lang, q.oldest_waiting_seconds)),
        "lastSync": tr(lang, "m.console.last_sync", when=last_sent or tr(lang, "m.console.never")),
        "failed": [_problem_row(lang, f) for f in q.failed],
        "destinations": []}
    for dest in q.destinations:
        name = dest.get("name", "?")
        online = dest.get("online")
        if online is None and name in destinations:
            online = destinations[name][0]
        if online is None:
            state = tr(lang, "m.console.dest.unknown")
        elif online:
            state = tr(lang, "m.console.dest.online")
        else:
            state = tr(lang, "m.console.dest.offline_since", when=last_sent) if last_sent \
                else tr(lang, "m.console.dest.offline")
        queue_view["destinations"].append({"name": name, "state": state, "online": bool(online),
                                           "known": online is not None})
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
        "average": tr(lang, "m.console.average", time=age_words(lang, avg) if avg is not None else "-"),
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


def problem(lang: str, state: str, reason: str) -> tuple[str, str]:
    """(what happened and what to do, in the mediator's words; "For support: <reason>") for a submission that
    needs a person: `state` failed (it will be tried again) or dead (refused for good, or damaged)."""
    reason = (reason or "").strip()
    low = reason.lower()
    if _DAMAGED.search(low):
        words = tr(lang, "m.console.problem.damaged")
    elif state == "dead":
        said = _SERVER_SAID.match(reason)
        if _FORM_CLOSED.search(low):
            words = tr(lang, "m.console.problem.form_closed")
        elif said:
            text = " ".join(said.group(1).split())
            words = tr(lang, "m.console.problem.refused_said",
                       said=text if len(text) <= _SAID_MAX else text[:_SAID_MAX - 1] + "…")
        else:
            words = tr(lang, "m.console.problem.refused")
    else:
        kind = next((k for k, pattern in _FAILED_KINDS if pattern.search(low)), "later")
        words = tr(lang, f"m.console.problem.{kind}")
    return words, tr(lang, "m.console.for_support", detail=reason) if reason else ""


def _problem_row(lang: str, f: dict) -> dict:
    title, detail = problem(lang, str(f.get("state", "")), str(f.get("reason") or ""))
    attempts = int(f.get("attempts") or 0)
    service = f.get("service", "") or ""
    return {"id": f["id"], "state": f["state"], "reason": f.get("reason") or "", "attempts": attempts,
            "service": service, "title": title, "detail": f"{detail} · {f['id'][:8]}" if detail else f["id"][:8],
            "line": tr(lang, "m.console.problem.tries", n=attempts, service=service)}


def age_words(lang: str, seconds: float | None) -> str:
    """A wait in the mediator's words: "less than a minute", "12 minutes", "5 hours", "3 days"."""
    if seconds is None:
        return "-"
    seconds = int(seconds)
    if seconds < 60:
        return tr(lang, "m.console.age.now")
    if seconds < 7200:
        return tr(lang, "m.console.age.minutes", n=seconds // 60)
    if seconds < 172800:
        return tr(lang, "m.console.age.hours", n=seconds // 3600)
    return tr(lang, "m.console.age.days", n=seconds // 86400)


def _local_when(lang: str, iso: str | None) -> str:
    """An ISO moment as this kiosk's local date and time, written as people of `lang` write it."""
    if not iso:
        return ""
    try:
        moment = dt.datetime.fromisoformat(iso)
    except ValueError:
        return ""
    return format_date(lang, moment.astimezone() if moment.tzinfo else moment)
