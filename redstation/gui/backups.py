"""The backups section of the settings page, and restoring a backup from the window.

The section lists the program's backups (newest first: when, what for, size), makes one now
(立即备份, on a worker with a progress bar), restores one (从备份恢复…: the chosen row, or a
file picked from disk) and opens the backup folder. Making a backup by hand and restoring are
for the station manager (the services refuse anyone else; the buttons are disabled for them).

A restore replaces the whole database under every connection the window holds, and the
restored data may have other users and other records than the pages show. So after a
restore the program closes and is started again (the user is told so first); nothing of
the window's old state can then be mixed with the restored data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (QAbstractItemView, QFileDialog, QGroupBox, QHBoxLayout, QHeaderView, QLabel, QMessageBox,
                               QProgressBar, QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from redstation.domain import roles
from redstation.gui.pages import needs
from redstation.gui.tasks import Outcome, Task, TaskManager
from redstation.i18n import _
from redstation.paths import backup_dir
from redstation.services import maintenance
from redstation.services.maintenance import Backup

WHEN_FORMAT = "%Y-%m-%d %H:%M:%S"


def size_text(size: int) -> str:
    """A file size as people read it: 830 KB, 62.5 MB, 3.01 GB."""
    if size < 1000 * 1000:
        return _("{size} KB").format(size=max(1, round(size / 1000)))
    if size < 1000 * 1000 * 1000:
        return _("{size} MB").format(size="{v:.1f}".format(v=size / 1e6))
    return _("{size} GB").format(size="{v:.2f}".format(v=size / 1e9))


class _Relay(QObject):
    """Carries progress from a worker to the GUI thread (a signal emitted on a worker is queued)."""

    progressed = Signal(int, int)


def run_restore(taskman: TaskManager, source: str | Path, on_done: Callable[[Outcome], None],
                on_progress: Callable[[int, int], None] | None = None, owner: QObject | None = None) -> Task:
    """Restore ``source`` on a worker with its own connection (``maintenance.restore`` checks the file first)."""
    relay = _Relay()
    if on_progress is not None:
        relay.progressed.connect(on_progress)

    def work(session):
        return maintenance.restore(session, source, progress=relay.progressed.emit)

    def done(outcome: Outcome) -> None:
        relay.deleteLater()
        on_done(outcome)
    return taskman.read(work, done, owner=owner)


def close_program(widget: QWidget) -> None:
    """Close the window ``widget`` is in, after the event that asked for it (the program then ends)."""
    top = widget.window()
    QTimer.singleShot(0, top.close)


def restored_message(parent: QWidget, safety: str | Path) -> QMessageBox:
    """Say that the backup was restored and that the program now closes; returns the (non-blocking) box."""
    box = QMessageBox(QMessageBox.Icon.Information, _("Backup restored"),
                      _("The backup was restored. What was there before was saved as the backup {safety}.\n\n"
                        "RedStation closes now; start it again to work with the restored data.").format(
                          safety=Path(safety).name), QMessageBox.StandardButton.Ok, parent)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.finished.connect(lambda _result: close_program(parent))
    box.open()
    return box


class BackupsSection(QGroupBox):
    """备份 on the settings page: the list of backups and the buttons to make, restore and find them."""

    backup_made = Signal(str)    # the new file
    restored = Signal(str)       # the safety backup of what was there before

    COLUMNS = 3

    def __init__(self, taskman: TaskManager, parent: QWidget | None = None):
        super().__init__(_("Backups of the database"), parent)
        self.taskman = taskman
        self.task: Task | None = None
        self.backups: list[Backup] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 18, 16, 14)
        layout.setSpacing(8)

        self.note = QLabel(_("RedStation makes a backup by itself once a day when something changed, and before "
                             "every import. It keeps one a day for a week, one a week for a month and one a month for "
                             "a year; backups made by hand are kept until you delete them."))
        self.note.setWordWrap(True)
        self.note.setObjectName("muted")
        layout.addWidget(self.note)

        self.table = QTableWidget(0, self.COLUMNS)
        self.table.setHorizontalHeaderLabels([_("Backed up at"), _("Kind"), _("Size")])
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setMinimumHeight(180)
        layout.addWidget(self.table)
        self.empty = QLabel(_("There is no backup yet."))
        self.empty.setObjectName("muted")
        layout.addWidget(self.empty)

        buttons = QHBoxLayout()
        self.backup_button = QPushButton(_("Back up now"))
        self.restore_button = QPushButton(_("Restore from a backup…"))
        self.folder_button = QPushButton(_("Open the backup folder"))
        needs("backup", self.backup_button)
        needs("restore", self.restore_button)
        for button in (self.backup_button, self.restore_button, self.folder_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)

        self.progress_row = QWidget()
        row = QHBoxLayout(self.progress_row)
        row.setContentsMargins(0, 0, 0, 0)
        self.progress_label = QLabel("")
        self.bar = QProgressBar()
        row.addWidget(self.progress_label)
        row.addWidget(self.bar, 1)
        self.progress_row.hide()
        layout.addWidget(self.progress_row)
        self.outcome = QLabel("")
        self.outcome.setWordWrap(True)
        self.outcome.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.outcome)

        self.backup_button.clicked.connect(self.back_up)
        self.restore_button.clicked.connect(lambda: self.restore())
        self.folder_button.clicked.connect(self.open_folder)
        self.refresh()

    # --- the list -----------------------------------------------------------------------------------------------

    def refresh(self) -> None:
        """List the backups again (a folder of a few dozen files: read here, it takes no time)."""
        self.backups = maintenance.list_backups(self.taskman.database)
        self.table.setRowCount(len(self.backups))
        for row, item in enumerate(self.backups):
            cells = [item.when.strftime(WHEN_FORMAT), item.label, size_text(item.size)]
            for column, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                cell.setToolTip(str(item.path))
                if column == 2:
                    cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, cell)
        self.empty.setVisible(not self.backups)
        self._enable()

    def selected(self) -> Backup | None:
        rows = self.table.selectionModel().selectedRows()
        return self.backups[rows[0].row()] if rows else None

    def _role(self) -> str:
        actor = self.taskman.actor
        return actor.role if actor is not None else ""

    def _enable(self) -> None:
        idle = self.task is None
        role = self._role()
        self.backup_button.setEnabled(idle and roles.allowed(role, "backup"))
        self.restore_button.setEnabled(idle and roles.allowed(role, "restore"))
        for button, action in ((self.backup_button, "backup"), (self.restore_button, "restore")):
            button.setToolTip("" if roles.allowed(role, action) else _("Only the station manager may do this"))

    def _busy(self, text: str) -> None:
        self.outcome.setText("")
        self.progress_label.setText(text)
        self.bar.setRange(0, 0)
        self.progress_row.show()

    def _progress(self, done: int, total: int) -> None:
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(done)

    def _finish(self) -> None:
        self.task = None
        self.progress_row.hide()
        self._enable()

    def _say(self, text: str, ok: bool) -> None:
        self.outcome.setObjectName("success" if ok else "error")
        self.outcome.setText(text)
        self.outcome.style().unpolish(self.outcome)
        self.outcome.style().polish(self.outcome)

    # --- backing up ---------------------------------------------------------------------------------------------

    def back_up(self) -> None:
        """立即备份: a new backup on a worker (its own connection), with progress."""
        if self.task is not None:
            return
        relay = _Relay(self)
        relay.progressed.connect(self._progress)

        def work(session):
            return maintenance.backup(session, progress=relay.progressed.emit)

        def done(outcome: Outcome) -> None:
            relay.deleteLater()
            self._finish()
            if outcome.error is not None:
                self._say(_("No backup was made: {error}").format(error=outcome.error), ok=False)
                return
            if outcome.cancelled:
                return
            self.refresh()
            self._say(_("Backup made: {path}").format(path=outcome.value), ok=True)
            self.backup_made.emit(str(outcome.value))

        self._busy(_("Backing up…"))
        self.task = self.taskman.read(work, done, owner=self)
        self._enable()

    # --- restoring ----------------------------------------------------------------------------------------------

    def choose_file(self) -> str:
        folder = str(backup_dir(self.taskman.database))
        path, _filter = QFileDialog.getOpenFileName(self, _("Restore from a backup"), folder,
                                                    _("RedStation databases (*.db);;All files (*)"))
        return path

    def restore(self, path: str | Path | None = None) -> None:
        """从备份恢复…: the backup chosen in the list (or a file picked), after a confirmation; then the program closes."""
        if self.task is not None:
            return
        if path is None:
            chosen = self.selected()
            path = chosen.path if chosen is not None else self.choose_file()
        if not path:
            return
        path = Path(path)
        answer = QMessageBox.question(
            self, _("Restore from a backup"),
            _("Replace all data of this station with the backup {file}?\n\nEverything entered since that backup was "
              "made is then no longer in the program (what is there now is saved as a backup first, so this can be "
              "undone). The file is checked before anything is changed. RedStation closes afterwards.").format(
                file=path.name),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        if answer != QMessageBox.StandardButton.Yes:
            return

        def done(outcome: Outcome) -> None:
            self._finish()
            if outcome.error is not None:
                self._say(_("Nothing was changed: {error}").format(error=outcome.error), ok=False)
                return
            if outcome.cancelled:
                return
            self.refresh()
            self._say(_("Restored from {file}.").format(file=path.name), ok=True)
            self.restored.emit(str(outcome.value))
            restored_message(self, outcome.value)

        self._busy(_("Checking and restoring {file}…").format(file=path.name))
        self.task = run_restore(self.taskman, path, done, self._progress, owner=self)
        self._enable()

    # --- the folder ---------------------------------------------------------------------------------------------

    def open_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(backup_dir(self.taskman.database))))
