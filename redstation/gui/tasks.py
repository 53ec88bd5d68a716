"""Background work for the window: run a function on a worker thread, get its result back on the GUI thread.

After Anki's ``aqt/taskman.py``: ``TaskManager.run_in_background(fn, on_done)`` runs
``fn(progress, cancelled)`` on a ``QThreadPool`` worker. ``fn`` may call
``progress(done, total)`` as often as it likes (updates are coalesced) and should look
at ``cancelled()`` between steps and stop early, returning anything or raising
``TaskCancelled``. ``on_done`` then receives an ``Outcome`` on the GUI thread: the plain
value, or the exception, or the fact that the task was cancelled.

Closures posted from a worker are queued in a list and a signal of a ``QObject`` that
lives in the GUI thread tells that thread to run them, so no Qt widget is ever touched
from a worker.

A worker must not use the GUI thread's SQLite connection. ``TaskManager.db(fn, on_done)``
runs ``fn(session)`` on the one database thread, which keeps its own ``Session`` on the
window's database file for as long as the window lives: the pages' queries, the forms'
saves and the search box all go there, one at a time and in order (one writer at a time).
Long work (an import, an export) runs with ``run_in_background`` and opens its own session.
"""

from __future__ import annotations

import sys
import threading
import traceback
from dataclasses import dataclass
from typing import Any, Callable

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot
from shiboken6 import isValid

from redstation.services.session import Session

ProgressFn = Callable[[int, int], None]
CancelledFn = Callable[[], bool]
WorkFn = Callable[[ProgressFn, CancelledFn], Any]


class TaskCancelled(Exception):
    """Raised by a worker function that stops because it was asked to."""


@dataclass(frozen=True)
class Outcome:
    """What came of a task: exactly one of a value, an error, or a cancellation."""

    value: Any = None
    error: BaseException | None = None
    cancelled: bool = False
    trace: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None and not self.cancelled

    def result(self) -> Any:
        """The value; raises the task's exception, or ``TaskCancelled``."""
        if self.cancelled:
            raise TaskCancelled()
        if self.error is not None:
            raise self.error
        return self.value


class Task:
    """A handle on one background task: cancel it, ask whether it is still running."""

    def __init__(self, manager: "TaskManager", fn: WorkFn, on_done: Callable[[Outcome], None] | None,
                 on_progress: Callable[[int, int], None] | None, owner: QObject | None):
        self._manager = manager
        self._fn = fn
        self._on_done = on_done
        self._on_progress = on_progress
        self._owner = owner
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._latest: tuple[int, int] | None = None
        self._progress_posted = False
        self.done = False          # set on the GUI thread when on_done has run
        self.outcome: Outcome | None = None

    # --- called from any thread -------------------------------------------------------------
    def cancel(self) -> None:
        self._cancel.set()

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    # --- called on the worker -----------------------------------------------------------------
    def _progress(self, done: int, total: int) -> None:
        with self._lock:
            self._latest = (int(done), int(total))
            if self._progress_posted:
                return  # the GUI thread has not shown the last update yet; it will show this one
            self._progress_posted = True
        self._manager._post(self._deliver_progress)

    def _run(self) -> None:
        if self.cancelled():
            outcome = Outcome(cancelled=True)
        else:
            try:
                value = self._fn(self._progress, self.cancelled)
            except TaskCancelled:
                outcome = Outcome(cancelled=True)
            except BaseException as exc:  # noqa: BLE001 - delivered to the GUI thread, never lost
                if self.cancelled():  # the work stopped as asked, in its own words (e.g. a rolled-back import)
                    outcome = Outcome(cancelled=True)
                else:
                    outcome = Outcome(error=exc, trace=traceback.format_exc(), cancelled=False)
            else:
                outcome = Outcome(cancelled=True) if self.cancelled() else Outcome(value=value)
        self._manager._post(lambda: self._deliver_done(outcome))

    # --- run on the GUI thread ----------------------------------------------------------------
    def _owner_alive(self) -> bool:
        return self._owner is None or isValid(self._owner)

    def _deliver_progress(self) -> None:
        with self._lock:
            latest, self._progress_posted = self._latest, False
        if latest is not None and self._on_progress is not None and not self.done and self._owner_alive():
            self._on_progress(*latest)

    def _deliver_done(self, outcome: Outcome) -> None:
        self.outcome = outcome
        self.done = True
        self._manager._finished(self)
        if self._on_done is not None and self._owner_alive():
            self._on_done(outcome)


class _Runnable(QRunnable):
    def __init__(self, task: Task):
        super().__init__()
        self._task = task
        self.setAutoDelete(True)

    def run(self) -> None:
        self._task._run()


class _Closer(QRunnable):
    """Closes the database thread's session on that thread (a SQLite connection stays on its thread)."""

    def __init__(self, manager: "TaskManager"):
        super().__init__()
        self._manager = manager
        self.setAutoDelete(True)

    def run(self) -> None:
        self._manager._close_db_session()


class TaskManager(QObject):
    """Runs functions on worker threads; create it on the GUI thread."""

    _closures_pending = Signal()
    task_finished = Signal()

    def __init__(self, parent: QObject | None = None, max_threads: int = 2, session: Session | None = None):
        """``session`` is the window's: the database thread opens its own on the same file and acts as its actor."""
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._session = session
        self._db_pool = QThreadPool(self)
        self._db_pool.setMaxThreadCount(1)
        self._db_pool.setExpiryTimeout(-1)  # one thread for the window's life, so its connection stays open
        self._db_session: Session | None = None  # used on the database thread only
        self._closures: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        self._running: list[Task] = []
        self._closures_pending.connect(self._run_closures, Qt.ConnectionType.QueuedConnection)

    def run_in_background(self, fn: WorkFn, on_done: Callable[[Outcome], None] | None = None, *,
                          on_progress: Callable[[int, int], None] | None = None,
                          owner: QObject | None = None) -> Task:
        """Run ``fn(progress, cancelled)`` on a worker; ``on_done(outcome)`` runs on the GUI thread.

        If ``owner`` (a widget) is destroyed before the task ends, the callbacks are skipped.
        """
        task = Task(self, fn, on_done, on_progress, owner)
        self._running.append(task)
        self._pool.start(_Runnable(task))
        return task

    @property
    def actor(self):
        """Who uses the window now (None without a session)."""
        return self._session.actor if self._session is not None else None

    @property
    def database(self):
        """The database file the window works on (None without a session)."""
        return self._session.path if self._session is not None else None

    def db(self, fn: Callable[[Session], Any], on_done: Callable[[Outcome], None] | None = None, *,
           owner: QObject | None = None) -> Task:
        """Run ``fn(session)`` on the database thread; ``on_done(outcome)`` runs on the GUI thread.

        Tasks run one at a time in the order given; a task cancelled before its turn is skipped.
        """
        def work(progress, cancelled):
            if self._db_session is None:
                self._db_session = Session.open(self._session.path, self._session.actor, create=False)
            self._db_session.actor = self._session.actor  # whoever uses the window now
            return fn(self._db_session)
        task = Task(self, work, on_done, None, owner)
        self._running.append(task)
        self._db_pool.start(_Runnable(task))
        return task

    def read(self, fn: Callable[[Session], Any], on_done: Callable[[Outcome], None] | None = None, *,
             owner: QObject | None = None) -> Task:
        """Run a long query ``fn(session)`` on a worker with a connection of its own, beside the database thread.

        For reads that take seconds at street scale (the register's row keys): the database
        thread stays free for the search box and the forms meanwhile.
        """
        path, actor = self._session.path, self._session.actor

        def work(progress, cancelled):
            with Session.open(path, actor, create=False) as session:
                return fn(session)
        return self.run_in_background(work, on_done, owner=owner)

    @property
    def busy(self) -> bool:
        return bool(self._running)

    def cancel_all(self) -> None:
        for task in list(self._running):
            task.cancel()

    def wait(self, msecs: int = -1) -> bool:
        """Block until every worker has returned (for shutdown and tests); the results still arrive later.

        Qt's ``waitForDone`` also ends the pool's threads, so the database thread's session is closed on its own
        thread first (its next task opens a new one on the new thread: SQLite keeps a connection to one thread).
        """
        self._db_pool.start(_Closer(self))
        return self._pool.waitForDone(msecs) and self._db_pool.waitForDone(msecs)

    def shutdown(self, msecs: int = 5000) -> None:
        """Cancel everything, close the database thread's session and wait for the workers.

        Call before the window and its session go away.
        """
        self.cancel_all()
        self.wait(msecs)

    def _close_db_session(self) -> None:
        if self._db_session is not None:
            self._db_session.close()
            self._db_session = None

    # --- internals --------------------------------------------------------------------------------
    def _post(self, closure: Callable[[], None]) -> None:
        """From a worker: run ``closure`` on the GUI thread soon."""
        with self._lock:
            self._closures.append(closure)
        if isValid(self):
            self._closures_pending.emit()

    @Slot()
    def _run_closures(self) -> None:
        with self._lock:
            closures, self._closures = self._closures, []
        for closure in closures:
            try:
                closure()
            except Exception:  # a failing callback must not swallow the others; report it as Qt would
                sys.excepthook(*sys.exc_info())

    def _finished(self, task: Task) -> None:
        if task in self._running:
            self._running.remove(task)
        self.task_finished.emit()
