"""Anonymous statistics: counts by service, step and language; no answers."""
from __future__ import annotations

import datetime as dt

import pytest

from kiosk.stats import ABANDONED, COMPLETED, STARTED, Stats


def test_day_summary(tmp_path):
    day = dt.date(2026, 11, 23)
    s = Stats(tmp_path / "stats.db", today=lambda: day)
    for lang in ("pt", "pt", "ar"):
        s.record(STARTED, "change-of-address", lang)
    s.record(STARTED, "birth-certificate", "en")
    s.record(COMPLETED, "change-of-address", "pt", seconds=100, assisted=True)
    s.record(COMPLETED, "change-of-address", "pt", seconds=200)
    s.record(ABANDONED, "change-of-address", "ar", step="postcode", seconds=50)
    s.record(ABANDONED, "birth-certificate", "en", step="date_of_birth", assisted=True)
    d = s.today()
    assert (d.started, d.completed, d.abandoned) == (4, 2, 2)
    assert d.assisted_share == 0.5
    assert d.languages == {"pt": 2, "ar": 1, "en": 1}
    assert d.average_seconds == 150
    assert d.abandoned_by_step == {"change-of-address/postcode": 1, "birth-certificate/date_of_birth": 1}
    assert d.by_service["change-of-address"] == {"started": 3, "completed": 2, "abandoned": 1}
    assert s.day(dt.date(2026, 11, 22)).started == 0
    assert d.to_dict()["assisted_share"] == 0.5


def test_unknown_kind(tmp_path):
    with pytest.raises(ValueError):
        Stats(tmp_path / "s.db").record("clicked", "x", "en")


def test_schema_has_no_room_for_answers(tmp_path):
    import sqlite3
    s = Stats(tmp_path / "s.db")
    cols = [r[1] for r in sqlite3.connect(s.path).execute("PRAGMA table_info(events)")]
    assert cols == ["day", "kind", "service", "step", "language", "assisted", "seconds"]


def test_full_disk_never_raises(tmp_path, caplog):
    s = Stats(tmp_path / "s.db")
    s._db.close()
    import sqlite3
    s._db = sqlite3.connect(":memory:")  # no events table: every insert fails like a full disk would
    s.record(STARTED, "x", "en")
    assert "not recorded" in caplog.text
