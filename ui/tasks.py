"""One way to work off the GUI thread: `TaskManager.run_in_background(task, on_done)`.

Slow work (PIN hashing, audit-chain verification, exports, probes, a sync
pass) runs on a QThreadPool; `on_done(future)` is then called on the GUI
thread, where it may touch Qt objects. The shape follows Anki's
qt/aqt/taskman.py. Nothing else in ui/ starts a bare thread.

    tasks = TaskManager()
    tasks.run_in_background(lambda: audit.verify(), lambda fut: show(fut.result()))

`on_done` reads the outcome with `future.result()`, which re-raises the
task's exception; an `on_done` of None just drops the result (a failure is
logged with its type only: exceptions may carry personal data).
"""
from __future__ import annotations

import logging
from concurrent.futures import Future
from typing import Any, Callable, TypeVar

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)
T = TypeVar("T")
THREADS = 4


class _Runnable(QRunnable):
    def __init__(self, task: Callable[[], Any], future: Future, finished: Callable[[Future], None]):
        super().__init__()
        self._task, self._future, self._finished = task, future, finished

    def run(self) -> None:  # on a pool thread
        if not self._future.set_running_or_notify_cancel():
            return
        try:
            self._future.set_result(self._task())
        except BaseException as exc:  # noqa: BLE001 - handed to on_done on the GUI thread
            self._future.set_exception(exc)
        self._finished(self._future)


class TaskManager(QObject):
    """Runs callables on a thread pool and hands their futures back on the GUI thread."""

    _done = Signal(object)  # (future, on_done); queued to the thread this object lives in

    def __init__(self, parent: QObject | None = None, *, pool: QThreadPool | None = None):
        super().__init__(parent)
        if pool is None:
            pool = QThreadPool(self)
            # More threads than cores: most tasks wait on a disk or the network, and a slow
            # probe or sync pass must not hold up a PIN check queued behind it.
            pool.setMaxThreadCount(max(THREADS, pool.maxThreadCount()))
        self._pool = pool
        self._pending: set[Future] = set()
        self._callbacks: dict[int, Callable[[Future], None] | None] = {}
        self._done.connect(self._on_done)

    def run_in_background(self, task: Callable[[], T],
                          on_done: Callable[[Future], None] | None = None) -> Future:
        """Run `task()` on a pool thread; then `on_done(future)` on this object's (GUI) thread."""
        future: Future = Future()
        self._pending.add(future)
        self._callbacks[id(future)] = on_done
        self._pool.start(_Runnable(task, future, self._done.emit))
        return future

    @property
    def busy(self) -> bool:
        """True while a task is running or its on_done has not been called yet."""
        return bool(self._pending)

    @Slot(object)
    def _on_done(self, future: Future) -> None:
        self._pending.discard(future)
        on_done = self._callbacks.pop(id(future), None)
        if on_done is not None:
            on_done(future)
        elif future.exception() is not None:
            log.error("background task failed: %s", type(future.exception()).__name__)

    def wait(self, msecs: int = -1) -> bool:
        """Block until every running task has finished (shutdown and tests); on_done calls follow
        with the next event processing."""
        return self._pool.waitForDone(msecs)
