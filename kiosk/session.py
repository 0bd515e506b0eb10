"""The citizen session's inactivity policy, as pure time arithmetic.

The screen calls `touch()` on every interaction and `state()` on a timer; the
rule itself (when to warn, when to wipe) lives here so it is tested without Qt.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Mapping

from kiosk.screen import CHECK, DONE

if TYPE_CHECKING:
    from kiosk.config import Config

ACTIVE, WARNING, EXPIRED = "active", "warning", "expired"


@dataclass(frozen=True)
class IdleState:
    phase: str
    seconds_left: int  # during WARNING: whole seconds before the wipe


class InactivityTimer:
    def __init__(self, idle_seconds: float = 60.0, warning_seconds: float = 30.0,
                 clock: Callable[[], float] = time.monotonic, *,
                 screen_idle: Mapping[str, float] | None = None):
        screen_idle = dict(screen_idle or {})
        if idle_seconds <= 0 or warning_seconds <= 0 or any(s <= 0 for s in screen_idle.values()):
            raise ValueError("inactivity delays must be positive")
        self.idle_seconds = idle_seconds
        self.warning_seconds = warning_seconds
        # Screens with their own, usually shorter, wait (check, done): the answers are all
        # on screen there, so a citizen who walked away leaves them exposed.
        self.screen_idle = screen_idle
        self._clock = clock
        self._last = clock()

    @classmethod
    def from_config(cls, config: "Config", clock: Callable[[], float] = time.monotonic) -> "InactivityTimer":
        """The timer for the kiosk's [session] settings, with the check and done screens' own waits."""
        session = config.settings.session
        # Shorter, never longer: a kiosk set to a brief general wait keeps it on these screens too.
        return cls(config.idle_seconds, config.warning_seconds, clock,
                   screen_idle={CHECK: min(session.check_idle_seconds, config.idle_seconds),
                                DONE: min(session.done_idle_seconds, config.idle_seconds)})

    def touch(self) -> None:
        """The citizen did something (or asked for more time): start counting again."""
        self._last = self._clock()

    def state(self, screen: str | None = None) -> IdleState:
        """Where the session stands on `screen` (its own wait if it has one, else idle_seconds)."""
        limit = self.screen_idle.get(screen, self.idle_seconds) if screen else self.idle_seconds
        idle = self._clock() - self._last
        if idle < limit:
            return IdleState(ACTIVE, 0)
        left = limit + self.warning_seconds - idle
        if left > 0:
            return IdleState(WARNING, int(left + 0.999))
        return IdleState(EXPIRED, 0)
