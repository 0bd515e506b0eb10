"""Anonymous usage statistics: a tiny table of events, never an answer.

An event is (day, kind, service, step, language, assisted, seconds) where
kind is started, completed or abandoned, step is the page id where an
abandoned journey stopped, and seconds is the journey's duration (completed
and abandoned only). Nothing in it identifies a citizen: no answers, no
reference numbers, no times finer than the day (the event order is kept only
by rowid). `today()` aggregates one day for the console.
"""
from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

log = logging.getLogger("ponte.stats")

STARTED, COMPLETED, ABANDONED = "started", "completed", "abandoned"
KINDS = (STARTED, COMPLETED, ABANDONED)


@dataclass
class DayStats:
    day: str
    started: int = 0
    completed: int = 0
    abandoned: int = 0
    assisted: int = 0  # finished journeys (completed or abandoned) with a mediator
    by_service: dict[str, dict[str, int]] = field(default_factory=dict)
    abandoned_by_step: dict[str, int] = field(default_factory=dict)  # "service/step" -> count
    languages: dict[str, int] = field(default_factory=dict)
    average_seconds: float | None = None
    feedback: dict[str, int] = field(default_factory=dict)  # face "1".."5" -> count (kiosk.feedback)
    feedback_reasons: dict[str, int] = field(default_factory=dict)  # reason id -> count

    @property
    def assisted_share(self) -> float:
        finished = self.completed + self.abandoned
        return self.assisted / finished if finished else 0.0

    def to_dict(self) -> dict:
        return {"day": self.day, "started": self.started, "completed": self.completed,
                "abandoned": self.abandoned, "assisted": self.assisted,
                "assisted_share": round(self.assisted_share, 3), "by_service": self.by_service,
                "abandoned_by_step": self.abandoned_by_step, "languages": self.languages,
                "average_seconds": self.average_seconds, "feedback": self.feedback,
                "feedback_reasons": self.feedback_reasons}


class Stats:
    def __init__(self, path: Path | str, *, today: Callable[[], dt.date] | None = None):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._today = today or (lambda: dt.datetime.now(dt.timezone.utc).date())
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS events (day TEXT NOT NULL, kind TEXT NOT NULL,"
                         " service TEXT NOT NULL, step TEXT, language TEXT NOT NULL,"
                         " assisted INTEGER NOT NULL DEFAULT 0, seconds REAL)")
        # "How was it?" answers: a face and a fixed reason id per row, the day only (kiosk.feedback).
        self._db.execute("CREATE TABLE IF NOT EXISTS feedback (day TEXT NOT NULL, service TEXT NOT NULL,"
                         " language TEXT NOT NULL, face INTEGER NOT NULL, reason TEXT)")

    @classmethod
    def for_config(cls, config, **kwargs) -> "Stats":
        return cls(Path(config.data_dir) / "stats.db", **kwargs)

    def close(self) -> None:
        self._db.close()

    def record(self, kind: str, service: str, language: str, *, step: str | None = None,
               assisted: bool = False, seconds: float | None = None) -> None:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}")
        if kind == STARTED:
            step, seconds = None, None
        try:
            self._db.execute("INSERT INTO events VALUES (?,?,?,?,?,?,?)",
                             (self._today().isoformat(), kind, service, step if kind == ABANDONED else None,
                              language, int(bool(assisted)), round(seconds) if seconds is not None else None))
        except (sqlite3.Error, OSError) as exc:
            # Statistics are a nice-to-have: a full disk must never stop a citizen's journey.
            log.warning("statistics event not recorded: %s", type(exc).__name__)

    def record_feedback(self, service: str, language: str, face: int, reason: str | None = None) -> None:
        """Count one "How was it?" answer for today."""
        try:
            self._db.execute("INSERT INTO feedback VALUES (?,?,?,?,?)",
                             (self._today().isoformat(), service, language, int(face), reason))
        except (sqlite3.Error, OSError) as exc:
            log.warning("feedback not counted: %s", type(exc).__name__)

    def day(self, day: dt.date | str | None = None) -> DayStats:
        day = str(day or self._today().isoformat())
        result = DayStats(day)
        by_service: dict[str, Counter] = {}
        languages: Counter = Counter()
        steps: Counter = Counter()
        durations: list[float] = []
        for kind, service, step, language, assisted, seconds in self._db.execute(
                "SELECT kind, service, step, language, assisted, seconds FROM events WHERE day=?", (day,)):
            setattr(result, kind, getattr(result, kind) + 1)
            by_service.setdefault(service, Counter())[kind] += 1
            if kind == STARTED:
                languages[language] += 1
                continue
            if assisted:
                result.assisted += 1
            if kind == ABANDONED and step:
                steps[f"{service}/{step}"] += 1
            if kind == COMPLETED and seconds is not None:
                durations.append(seconds)
        result.by_service = {s: {k: c.get(k, 0) for k in KINDS} for s, c in sorted(by_service.items())}
        result.abandoned_by_step = dict(steps.most_common())
        result.languages = dict(languages.most_common())
        result.average_seconds = round(sum(durations) / len(durations), 1) if durations else None
        faces: Counter = Counter()
        reasons: Counter = Counter()
        for face, reason in self._db.execute("SELECT face, reason FROM feedback WHERE day=?", (day,)):
            faces[str(face)] += 1
            if reason:
                reasons[reason] += 1
        result.feedback = {str(f): faces.get(str(f), 0) for f in range(1, 6)} if faces else {}
        result.feedback_reasons = dict(reasons.most_common())
        return result

    def today(self) -> DayStats:
        return self.day()
