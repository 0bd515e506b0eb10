"""The inactivity policy as time arithmetic, with a clock we move by hand."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.session import ACTIVE, EXPIRED, WARNING, InactivityTimer


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_warns_after_idle_then_counts_down_then_expires():
    clock = Clock()
    timer = InactivityTimer(60, 30, clock=clock)
    clock.now = 59.9
    assert timer.state().phase == ACTIVE
    clock.now = 60
    assert timer.state() == timer.state().__class__(WARNING, 30)
    clock.now = 75.5
    assert timer.state().seconds_left == 15
    clock.now = 89.99
    assert timer.state() == timer.state().__class__(WARNING, 1)
    clock.now = 90
    assert timer.state().phase == EXPIRED


def test_touch_restarts_the_count():
    clock = Clock()
    timer = InactivityTimer(60, 30, clock=clock)
    clock.now = 80
    assert timer.state().phase == WARNING
    timer.touch()  # "I need more time"
    clock.now = 139
    assert timer.state().phase == ACTIVE


@pytest.mark.parametrize("idle,warning", [(0, 30), (60, 0), (-1, 5)])
def test_refuses_nonsense_delays(idle, warning):
    with pytest.raises(ValueError):
        InactivityTimer(idle, warning)


@given(st.floats(1, 600), st.floats(1, 120), st.floats(0, 2000))
def test_phase_is_a_function_of_idle_time(idle, warning, elapsed):
    clock = Clock()
    timer = InactivityTimer(idle, warning, clock=clock)
    clock.now = elapsed
    state = timer.state()
    if elapsed < idle:
        assert state.phase == ACTIVE
    elif elapsed < idle + warning:
        assert state.phase == WARNING and 1 <= state.seconds_left <= int(warning) + 1
    else:
        assert state.phase == EXPIRED
