"""The citizen session's inactivity policy, as pure time arithmetic.

The screen calls `touch()` on every interaction and `state()` on a timer; the
rule itself (when to warn, when to wipe) lives here so it is tested without Qt.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

ACTIVE, WARNING, EXPIRED = "active", "warning", "expired"


@dataclass(frozen=True)
class IdleState:
    phase: str
    seconds_left: int  # during WARNING: whole seconds before the wipe


class InactivityTimer:
    def __init__(self, idle_seconds: float = 60.0, warning_seconds: float = 30.0,
                 clock: Callable[[], float] = time.monotonic):
        if idle_seconds <= 0 or warning_seconds <= 0:
            raise ValueError("inactivity delays must be positive")
        self.idle_seconds = idle_seconds
        self.warning_seconds = warning_seconds
        self._clock = clock
        self._last = clock()

    def touch(self) -> None:
        """The citizen did something (or asked for more time): start counting again."""
        self._last = self._clock()

    def state(self) -> IdleState:
        idle = self._clock() - self._last
        if idle < self.idle_seconds:
            return IdleState(ACTIVE, 0)
        left = self.idle_seconds + self.warning_seconds - idle
        if left > 0:
            return IdleState(WARNING, int(left + 0.999))
        return IdleState(EXPIRED, 0)
