"""Anonymous statistics from the journeys the screen shows: started, completed, abandoned.

Fed with every citizen screen; records to kiosk.stats (the day, the service,
the step where a journey stopped, its duration, whether a mediator helped),
never an answer. No Qt here: the mediator controller calls `follow()`.
"""
from __future__ import annotations

from typing import Any

from kiosk.screen import ATTRACT, DONE
from kiosk.stats import ABANDONED, COMPLETED, STARTED, Stats


class JourneyStats:
    """Follows one journey at a time and closes it as completed or abandoned."""

    def __init__(self, stats: Stats):
        self.stats = stats
        self._tracked: Any = None  # the kiosk.journey.Journey being followed
        self._assisted = False
        self._step: str | None = None

    def follow(self, kind: str, journey: Any, assisted: bool) -> None:
        """A new citizen screen of `kind`, with the bridge's journey (or None)."""
        if journey is not None and journey is not self._tracked:
            self._close(ABANDONED)
            self._tracked = journey
            self._assisted = assisted
            self.stats.record(STARTED, journey.service.id, journey.language)
        if kind == ATTRACT:
            self._close(ABANDONED)
            return
        if self._tracked is None:
            return
        if kind == DONE:
            self._close(COMPLETED)
        elif journey is None:
            self._close(ABANDONED)
        else:
            page = journey.page
            self._step = page.id if page is not None else self._step
            self._assisted = self._assisted or assisted

    def assisted_now(self) -> None:
        """A mediator stepped in: the journey being followed counts as assisted."""
        if self._tracked is not None:
            self._assisted = True

    def _close(self, kind: str) -> None:
        journey = self._tracked
        if journey is None:
            return
        self._tracked = None
        seconds = (journey.now() - journey.started_at).total_seconds()
        self.stats.record(kind, journey.service.id, journey.language, step=self._step,
                          assisted=self._assisted, seconds=seconds)
        self._step = None
        self._assisted = False
