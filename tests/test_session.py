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


def test_check_and_done_screens_have_their_own_shorter_wait():
    clock = Clock()
    timer = InactivityTimer(60, 30, clock=clock, screen_idle={"check": 45, "done": 20})
    clock.now = 45
    assert timer.state("question").phase == ACTIVE
    assert timer.state("check") == timer.state().__class__(WARNING, 30)
    clock.now = 20
    assert timer.state("done") == timer.state().__class__(WARNING, 30)
    clock.now = 50
    assert timer.state("done").phase == EXPIRED
    assert timer.state("check").phase == WARNING
    timer.touch()
    assert timer.state("done").phase == ACTIVE


def test_screen_waits_come_from_the_session_settings(tmp_path):
    from kiosk.config import load_config
    from kiosk.screen import CHECK, DONE, QUESTION

    path = tmp_path / "kiosk.toml"
    path.write_text(f'[kiosk]\ndata_dir = "{tmp_path}"\n[session]\nidle_seconds = 90\n'
                    "check_idle_seconds = 40\ndone_idle_seconds = 10\n")
    clock = Clock()
    timer = InactivityTimer.from_config(load_config(path), clock=clock)
    clock.now = 10
    assert timer.state(DONE).phase == WARNING
    assert timer.state(CHECK).phase == ACTIVE
    clock.now = 40
    assert timer.state(CHECK).phase == WARNING
    assert timer.state(QUESTION).phase == ACTIVE
    clock.now = 90
    assert timer.state(QUESTION).phase == WARNING


def test_defaults_are_shorter_on_check_and_done(tmp_path):
    from kiosk.config import load_config

    path = tmp_path / "kiosk.toml"
    path.write_text(f'[kiosk]\ndata_dir = "{tmp_path}"\n')
    timer = InactivityTimer.from_config(load_config(path), clock=Clock())
    assert timer.screen_idle == {"check": 45.0, "done": 30.0}
    assert timer.idle_seconds == 60.0


def test_a_screen_wait_must_be_positive():
    with pytest.raises(ValueError):
        InactivityTimer(60, 30, screen_idle={"check": 0})


def test_a_screen_wait_is_never_longer_than_the_general_one(tmp_path):
    from kiosk.config import load_config

    path = tmp_path / "kiosk.toml"
    path.write_text(f'[kiosk]\ndata_dir = "{tmp_path}"\n[session]\nidle_seconds = 20\n')
    timer = InactivityTimer.from_config(load_config(path), clock=Clock())
    assert timer.screen_idle == {"check": 20.0, "done": 20.0}
