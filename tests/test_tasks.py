"""ui/tasks.py: work runs on the pool, its outcome comes back on the GUI thread."""
from __future__ import annotations

import logging
import threading

import pytest

from ui.tasks import TaskManager

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def tasks(qapp):
    manager = TaskManager()
    yield manager
    manager.wait(10_000)


def test_task_runs_off_the_gui_thread_and_on_done_comes_back_on_it(qtbot, tasks):
    ran_on, done_on, results = [], [], []
    release = threading.Event()

    def task() -> int:
        ran_on.append(threading.current_thread())
        release.wait(10)
        return 42

    def on_done(future) -> None:
        done_on.append(threading.current_thread())
        results.append(future.result())

    tasks.run_in_background(task, on_done)
    assert tasks.busy and results == []  # the caller goes on while the task waits
    release.set()
    qtbot.waitUntil(lambda: results == [42], timeout=10_000)
    assert ran_on[0] is not threading.main_thread()
    assert done_on == [threading.main_thread()]
    assert not tasks.busy


def test_a_failing_task_hands_its_exception_to_on_done(qtbot, tasks):
    seen = []

    def fail() -> None:
        raise OSError(28, "No space left on device")

    tasks.run_in_background(fail, lambda future: seen.append(future.exception()))
    qtbot.waitUntil(lambda: bool(seen), timeout=10_000)
    assert isinstance(seen[0], OSError) and seen[0].errno == 28


def test_an_unwatched_failure_is_logged_by_type_only(qtbot, tasks, caplog):
    caplog.set_level(logging.ERROR, logger="ui.tasks")

    def fail() -> None:
        raise ValueError("Quenildo Canarinho, Rua Canario 77")  # an exception may carry personal data

    tasks.run_in_background(fail)
    qtbot.waitUntil(lambda: not tasks.busy, timeout=10_000)
    assert "ValueError" in caplog.text and "Canari" not in caplog.text


def test_results_arrive_in_completion_order_each_once(qtbot, tasks):
    order: list[int] = []
    gates = [threading.Event() for _ in range(3)]

    def task(i: int):
        def run() -> int:
            gates[i].wait(10)
            return i
        return run

    for i in range(3):
        tasks.run_in_background(task(i), lambda future: order.append(future.result()))
    for i in (2, 0, 1):  # finish out of order, one at a time
        gates[i].set()
        qtbot.waitUntil(lambda n=len(order): len(order) == n + 1, timeout=10_000)
    assert order == [2, 0, 1] and not tasks.busy
