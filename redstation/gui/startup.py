"""Safety at start and at close: errors, a database on a network share, a second copy, the integrity check,
the daily backup.

``run()`` in ``gui/app.py`` uses it so:

    errors = startup.install_error_handler()          # once, right after the QApplication exists
    guard = startup.StartupGuard.acquire(path)         # before the database is opened: None = stop (was said)
    ...                                                # open the database, first run, log in, the window
    guard.watch(window)                                # the integrity check, then the daily backup, on workers
    status = app.exec()
    guard.close(session)                               # the daily backup at close, then the lock is released

**Measured** (this machine, 2 cores): on a station's database (5,000 households, 62 MB)
SQLite's ``quick_check`` takes 0.1 s with the file in the disk cache and 1.0 s right after
a cold boot, a backup 0.13–0.23 s; on a street office's (250,000 households, 3 GB) 7.3 s
warm and 70 s cold, a backup 12 s. The audit chain takes about 6 µs an entry (1.9 s for
300,000 entries, some years of a busy station). None of that fits in the 1.5 s the window
may take to start, so the full check (``maintenance.check_file``: quick_check, the
foreign-key check, the audit chain) runs on a worker after the window is up, and a
damaged database is reported in a dialog as soon as the check ends, with the way back:
restore the newest backup that passes the same check, or quit. What opening the database
checks at once (a SQLite file of RedStation, not newer than the program) happens before
the window as before.

The automatic backup (``maintenance.auto_backup``: at most one a day, only when something
changed) runs after the check passes, and again when the program closes, but only when the
check passed: a damaged database is never copied over the good backups.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
import threading
import traceback
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QMainWindow, QMessageBox, QWidget

from redstation import RedStationError
from redstation.gui.backups import restored_message, run_restore
from redstation.gui.tasks import Outcome, Task
from redstation.i18n import _
from redstation.paths import is_network_path, log_dir
from redstation.services import maintenance
from redstation.services.session import Session
from redstation.store.lock import DatabaseInUse, DatabaseLock

log = logging.getLogger(__name__)

LOG_FILE = "redstation.log"
LOG_BYTES, LOG_FILES = 1_000_000, 5   # a rotating log: 1 MB, then .1 … .5


# --- unexpected errors -------------------------------------------------------------------------------------------

class ErrorHandler(QObject):
    """Shows an unexpected exception in a short dialog, writes it to the rotating log, and lets the program go on.

    Installed as ``sys.excepthook`` (PySide6 hands an exception raised in a slot or an event
    handler to it) and ``threading.excepthook`` (Python threads; the TaskManager's workers
    deliver their errors to the page that started them). A dialog is shown on the GUI thread
    only, one at a time; the log gets every error.
    """

    _from_thread = Signal(str)

    def __init__(self, log_path: Path, parent: QObject | None = None):
        super().__init__(parent)
        self.log_path = log_path
        self.logger = logging.getLogger("redstation")
        self.handler = logging.handlers.RotatingFileHandler(log_path, maxBytes=LOG_BYTES, backupCount=LOG_FILES,
                                                            encoding="utf-8", delay=True)
        self.handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        self.handler.setLevel(logging.INFO)
        self.dialog: QMessageBox | None = None
        self.shown = 0
        self._previous = (sys.excepthook, threading.excepthook, self.logger.level)
        self._from_thread.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def install(self) -> "ErrorHandler":
        self.logger.addHandler(self.handler)
        if self.logger.level == logging.NOTSET or self.logger.level > logging.INFO:
            self.logger.setLevel(logging.INFO)
        sys.excepthook = self.excepthook
        threading.excepthook = self.thread_excepthook
        return self

    def uninstall(self) -> None:
        previous_hook, previous_thread_hook, level = self._previous
        if sys.excepthook == self.excepthook:
            sys.excepthook = previous_hook
        if threading.excepthook == self.thread_excepthook:
            threading.excepthook = previous_thread_hook
        self.logger.removeHandler(self.handler)
        self.logger.setLevel(level)
        self.handler.close()

    def excepthook(self, kind, error, trace) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, trace)
            return
        try:
            self.logger.error("unexpected error", exc_info=(kind, error, trace))
            self.handler.flush()
            summary = self.summary(kind, error)
            if threading.current_thread() is threading.main_thread():
                self._show(summary)
            else:
                self._from_thread.emit(summary)
        except Exception:  # the handler itself failed: at least the console gets both
            sys.__excepthook__(kind, error, trace)
            traceback.print_exc()

    def thread_excepthook(self, args) -> None:
        if args.exc_type is SystemExit:
            return
        self.excepthook(args.exc_type, args.exc_value, args.exc_traceback)

    @staticmethod
    def summary(kind, error) -> str:
        text = str(error).strip().splitlines()[0] if str(error).strip() else ""
        return "{kind}: {text}".format(kind=kind.__name__, text=text[:200]) if text else kind.__name__

    def _show(self, summary: str) -> None:
        self.shown += 1
        if self.dialog is not None:  # one dialog at a time; the log has them all
            return
        parent = QApplication.activeWindow()
        box = QMessageBox(QMessageBox.Icon.Warning, _("Unexpected error"),
                          _("Something went wrong that the program did not expect ({error}).\n\n"
                            "RedStation keeps running. The details were written to {log}; please pass that file on "
                            "to whoever looks after the program.").format(error=summary, log=self.log_path),
                          QMessageBox.StandardButton.Ok, parent)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(self._closed)
        self.dialog = box
        box.open()

    def _closed(self, _result: int) -> None:
        self.dialog = None


def install_error_handler(folder: Path | None = None) -> ErrorHandler:
    """Unexpected errors to a dialog and to ``<log folder>/redstation.log`` (rotating, 1 MB × 5)."""
    folder = Path(folder) if folder is not None else log_dir()
    handler = ErrorHandler(folder / LOG_FILE, QApplication.instance())
    return handler.install()


# --- a database on another computer -----------------------------------------------------------------------------

def network_message(path: str | Path) -> str:
    return _("The database {path} is on another computer (a network folder or a network drive). RedStation keeps its "
             "data on this computer's own disk only: over a network two PCs can damage the file, and a dropped "
             "connection in the middle of a save can too. Copy the file to this computer (for example into the data "
             "folder) and open it there.").format(path=path)


def refuse_network_path(path: str | Path, parent: QWidget | None = None) -> bool:
    """True (after telling the user) when the database lies on a network share; the program must not open it."""
    if not is_network_path(path):
        return False
    QMessageBox.critical(parent, _("The database is on a network folder"), network_message(path))
    return True


BACKUP_LOOK_MS = 60 * 60 * 1000  # how often an open window looks whether today's automatic backup is due


# --- the guard of one run ----------------------------------------------------------------------------------------

class StartupGuard(QObject):
    """Holds the database's lock for one run, checks the database after the window opens, backs up at the end."""

    checked = Signal(list)   # the problems found (empty: the database is in order)

    def __init__(self, path: str | Path, lock: DatabaseLock | None, parent: QObject | None = None):
        super().__init__(parent)
        self.path = Path(path)
        self.lock = lock
        self.passed = False           # the integrity check ran to its end and found nothing
        self.problems: list[str] | None = None
        self.dialog: QMessageBox | None = None
        self.task: Task | None = None
        self.backup_task: Task | None = None
        self.backup_timer: QTimer | None = None
        self.window: QWidget | None = None

    @classmethod
    def acquire(cls, path: str | Path, parent: QWidget | None = None) -> "StartupGuard | None":
        """Before the database is opened: refuse a network path, and a database another RedStation has open
        (each with a message). None means: stop the program."""
        if refuse_network_path(path, parent):
            return None
        try:
            lock = DatabaseLock.take(path)
        except DatabaseInUse as exc:
            QMessageBox.warning(parent, _("RedStation is already open"), str(exc))
            return None
        return cls(path, lock)

    def release(self) -> None:
        if self.lock is not None:
            self.lock.release()
            self.lock = None

    # --- after the window is up ---------------------------------------------------------------------------------

    def watch(self, window: QMainWindow) -> Task | None:
        """Check the database on a worker (``maintenance.check_file``); a problem opens the way-back dialog,
        a clean result starts the daily backup. Call it again with the window of a user who logged in since:
        a check that was cancelled (the window was locked) starts again, one that ended is not repeated."""
        self.window = window
        if self.problems is not None:   # checked already (the window of another user opened since)
            return self.task
        if self.task is not None and not self.task.done and not self.task.cancelled():
            return self.task
        taskman = window.taskman
        path = self.path

        def work(progress, cancelled):
            try:
                found = maintenance.check_file(path, cancelled=cancelled)
            except RedStationError as exc:
                if cancelled():
                    raise
                found = [str(exc)]
            # the way back is looked for here too: checking backups takes as long as checking the database
            good = maintenance.newest_good_backup(path, skip=[path]) if found else None
            return found, good

        self.task = taskman.run_in_background(work, self._checked, owner=window)
        return self.task

    def _checked(self, outcome: Outcome) -> None:
        self.task = None
        if outcome.cancelled:
            return
        if outcome.error is not None:
            found, good = [str(outcome.error)], None
        else:
            found, good = outcome.value
        self.problems = found
        self.passed = not found
        self.checked.emit(found)
        if found:
            log.error("the database %s failed its check: %s", self.path, "; ".join(found))
            self.show_problem(found, good)
        else:
            self._daily_backup()

    def _daily_backup(self) -> None:
        """The automatic backup now, and then every hour for as long as the window stays open (a PC left on for
        days still gets its daily copy; ``auto_backup`` makes at most one a day)."""
        if self.backup_timer is None:
            self.backup_timer = QTimer(self)
            self.backup_timer.setInterval(BACKUP_LOOK_MS)
            self.backup_timer.timeout.connect(self._daily_backup)
            self.backup_timer.start()
        if self.backup_task is not None or self.window is None:
            return

        def done(outcome: Outcome) -> None:
            self.backup_task = None
            if outcome.error is not None:
                log.warning("the automatic backup failed: %s", outcome.error)
                self._status(_("The automatic backup failed: {error}").format(error=outcome.error))
            elif outcome.value:
                log.info("automatic backup %s", outcome.value)

        self.backup_task = self.window.taskman.read(lambda session: maintenance.auto_backup(session), done,
                                                    owner=self.window)

    def _status(self, text: str) -> None:
        bar = getattr(self.window, "statusBar", None)
        if callable(bar):
            bar().showMessage(text, 15000)

    # --- a damaged database ---------------------------------------------------------------------------------------

    def show_problem(self, found: list[str], good: maintenance.Backup | None) -> QMessageBox:
        """The dialog of a failed check: what is wrong, and the way back (restore ``good``, the newest backup
        that passes the check) or quit."""
        text = _("The check of the database found a problem:\n{problem}\n\n").format(problem="\n".join(found[:3]))
        box = QMessageBox(QMessageBox.Icon.Critical, _("The database is damaged"), "", QMessageBox.StandardButton.NoButton,
                          self.window)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setWindowModality(Qt.WindowModality.ApplicationModal)
        self.restore_button = None
        if good is not None:
            text += _("The newest backup that is in order was made on {when} ({kind}). Restore it? What is there now "
                      "is kept as a backup too. Whatever was entered after {when} has to be entered again.").format(
                when=good.when.strftime("%Y-%m-%d %H:%M"), kind=good.label)
            self.restore_button = box.addButton(_("Restore that backup"), QMessageBox.ButtonRole.AcceptRole)
        else:
            text += _("No backup that is in order was found. Close the program and ask whoever looks after it for "
                      "help; do not go on working with this database.")
        self.quit_button = box.addButton(_("Quit RedStation"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(self.restore_button or self.quit_button)
        box.setText(text)
        box.buttonClicked.connect(lambda button: self._answered(button, good))
        self.dialog = box
        box.open()
        return box

    def _answered(self, button, good) -> None:
        self.dialog = None
        if good is not None and button is self.restore_button:
            self.restore(good.path)
        else:
            self.window.close()

    def restore(self, source: str | Path) -> Task:
        window = self.window

        def done(outcome: Outcome) -> None:
            self.restore_task = None
            if outcome.error is not None:
                QMessageBox.critical(window, _("The backup was not restored"),
                                     _("Nothing was changed: {error}").format(error=outcome.error))
                window.close()
                return
            if outcome.value:
                restored_message(window, outcome.value)

        self._status(_("Restoring {file}…").format(file=Path(source).name))
        self.restore_task = run_restore(window.taskman, source, done, owner=window)
        return self.restore_task

    # --- at the end ---------------------------------------------------------------------------------------------

    def close(self, session: Session | None) -> None:
        """When the window has closed: the daily backup (only after a passed check), then the lock goes."""
        if self.backup_timer is not None:
            self.backup_timer.stop()
        try:
            if session is not None and self.passed:
                try:
                    made = maintenance.auto_backup(session)
                    if made:
                        log.info("automatic backup at close %s", made)
                except Exception as exc:  # noqa: BLE001 - closing must not fail over a backup; the log says why
                    log.warning("the automatic backup at close failed: %s", exc)
        finally:
            self.release()
