"""Importing and exporting Excel ledgers from the window.

The import dialog reads the workbook on a worker, shows the header row it found, how each
column is understood (the user can correct it), the first rows, and then checks the whole
file (a dry run) before anything is written: so many new residents, so many updated, these
rows with problems. Importing runs on a worker with its own database connection, with a
progress bar and a cancel button; a cancelled import leaves nothing behind. The rows with
problems can be saved as a workbook to fix and import again.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDialog, QFileDialog, QHBoxLayout, QHeaderView,
                               QLabel, QLineEdit, QMessageBox, QProgressBar, QPushButton, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from redstation.domain.vocab import label
from redstation.excel import ledger_export, ledger_import
from redstation.excel.reading import column_letter
from redstation.gui.style import STYLE_SHEET
from redstation.gui.tasks import Outcome, Task, TaskManager
from redstation.i18n import _
from redstation.services.session import Session

PREVIEW_ROWS = 20


def _cell(text) -> QTableWidgetItem:
    item = QTableWidgetItem("" if text is None else str(text))
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    return item


class WorkPanel(QWidget):
    """A progress bar with a cancel button, for one worker task at a time."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel("")
        self.bar = QProgressBar()
        self.bar.setTextVisible(True)
        self.cancel_button = QPushButton(_("Cancel"))
        row.addWidget(self.label)
        row.addWidget(self.bar, 1)
        row.addWidget(self.cancel_button)
        self.task: Task | None = None
        self.cancel_button.clicked.connect(self.cancel)
        self.hide()

    def start(self, text: str, task_factory) -> None:
        self.label.setText(text)
        self.bar.setRange(0, 0)
        self.show()
        self.task = task_factory(self.progress)

    def progress(self, done: int, total: int) -> None:
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(done)

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.label.setText(_("Cancelling…"))

    def finish(self) -> None:
        self.task = None
        self.hide()


class ImportLedgerDialog(QDialog):
    """Import one workbook: analyse, choose the sheet, correct the mapping, check, import, save the rejected rows."""

    imported = Signal()  # something was written

    def __init__(self, taskman: TaskManager, session: Session, path: str | Path, parent: QWidget | None = None):
        super().__init__(parent)
        self.taskman = taskman
        self.db_path, self.actor = session.path, session.actor
        self.path = Path(path)
        self.analysis = None      # what analyse() returned: the best sheet, with every ledger sheet in .sheets
        self.chosen = None        # the Analysis of the sheet chosen, or None for all sheets
        self.result = None
        self.checked: tuple | None = None  # (sheet, mapping, estate) of the last check, which the import repeats
        self.setWindowTitle(_("Import a ledger"))
        self.setStyleSheet(STYLE_SHEET)
        self.resize(1000, 760)

        layout = QVBoxLayout(self)
        self.summary = QLabel(_("Reading {file}…").format(file=self.path.name))
        self.summary.setWordWrap(True)
        self.summary.setObjectName("sectionTitle")
        layout.addWidget(self.summary)

        sheet_row = QHBoxLayout()
        sheet_row.addWidget(QLabel(_("Sheet:")))
        self.sheet_choice = QComboBox()
        self.sheet_choice.setMinimumWidth(240)
        sheet_row.addWidget(self.sheet_choice)
        sheet_row.addSpacing(24)
        sheet_row.addWidget(QLabel(_("Estate when the sheet has none:")))
        self.estate = QLineEdit()
        self.estate.setPlaceholderText(_("optional, e.g. 阳光花园 or 阳光花园1号楼"))
        self.estate.setToolTip(_("For the rows that name no estate (or building) when the sheet's name or title does not "
                                 "either. Left empty, they go to the only estate the workbook or the register names, "
                                 "and the check lists them."))
        self.estate.setMinimumWidth(220)
        sheet_row.addWidget(self.estate)
        sheet_row.addStretch(1)
        layout.addLayout(sheet_row)

        self.warnings = QLabel("")
        self.warnings.setWordWrap(True)
        self.warnings.setStyleSheet("color: #9a5b00;")
        self.warnings.hide()
        layout.addWidget(self.warnings)

        self.mapping_title = QLabel(_("How the columns are understood (change a column's field if it is wrong):"))
        layout.addWidget(self.mapping_title)
        self.all_sheets_note = QLabel(_("All sheets are imported, each with the columns as they were recognised. "
                                        "To change what a column holds, choose one sheet above."))
        self.all_sheets_note.setWordWrap(True)
        self.all_sheets_note.hide()
        layout.addWidget(self.all_sheets_note)
        self.mapping = QTableWidget(0, 3)
        self.mapping.setHorizontalHeaderLabels([_("Column"), _("Header in the file"), _("Imported as")])
        self.mapping.verticalHeader().hide()
        self.mapping.verticalHeader().setDefaultSectionSize(28)
        self.mapping.setMaximumHeight(230)
        layout.addWidget(self.mapping)

        self.preview_title = QLabel(_("The first rows of the file:"))
        layout.addWidget(self.preview_title)
        self.preview = QTableWidget(0, 0)
        self.preview.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.preview.verticalHeader().hide()
        layout.addWidget(self.preview, 2)

        self.outcome = QLabel("")
        self.outcome.setWordWrap(True)
        layout.addWidget(self.outcome)
        self.changes_title = QLabel(_("Updated residents (before → after):"))
        self.changes_title.hide()
        layout.addWidget(self.changes_title)
        self.changes = QTableWidget(0, 4)
        self.changes.setHorizontalHeaderLabels([_("Row"), _("Name"), _("What changed"), _("Sheet")])
        self.changes.verticalHeader().hide()
        self.changes.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.changes.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.changes.hide()
        layout.addWidget(self.changes, 1)
        self.rejects_title = QLabel(_("Rejected rows:"))
        self.rejects_title.hide()
        layout.addWidget(self.rejects_title)
        self.rejects = QTableWidget(0, 4)
        self.rejects.setHorizontalHeaderLabels([_("Row"), _("Column"), _("Problem"), _("Sheet")])
        self.rejects.verticalHeader().hide()
        self.rejects.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.rejects.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.rejects.hide()
        layout.addWidget(self.rejects, 1)

        self.work = WorkPanel()
        layout.addWidget(self.work)
        buttons = QHBoxLayout()
        self.check_button = QPushButton(_("Check the whole file"))
        self.import_button = QPushButton(_("Import"))
        self.rejects_button = QPushButton(_("Save rows with problems…"))
        self.close_button = QPushButton(_("Close"))
        for button in (self.check_button, self.import_button, self.rejects_button, self.close_button):
            button.setIcon(QIcon())
            button.setAutoDefault(False)
        buttons.addWidget(self.check_button)
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.rejects_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout.addLayout(buttons)
        self.check_button.clicked.connect(self.check)
        self.import_button.clicked.connect(self.run_import)
        self.rejects_button.clicked.connect(self.save_rejects)
        self.close_button.clicked.connect(self.reject)
        self.sheet_choice.currentIndexChanged.connect(self._sheet_changed)
        self.estate.textChanged.connect(self._estate_changed)
        self._enable()
        self.taskman.run_in_background(lambda progress, cancelled: ledger_import.analyse(self.path), self._analysed, owner=self)

    # --- reading the file ----------------------------------------------------------------------------------
    def _analysed(self, outcome: Outcome) -> None:
        if outcome.error is not None:
            self.summary.setText(_("{file} cannot be imported: {error}").format(file=self.path.name, error=outcome.error))
            self.summary.setObjectName("error")
            self.summary.setStyleSheet("color: #c0141c;")
            return
        if not outcome.ok:
            return
        a = outcome.value
        if len(a.sheets) > 1:
            text = _("{file}: {count} sheets hold a ledger: {sheets}").format(
                file=self.path.name, count=len(a.sheets), sheets=_(", ").join(
                    _("{sheet} (header in row {row}, {count} rows of data)").format(
                        sheet=s.sheet, row=s.header_row, count=s.data_rows) for s in a.sheets))
        else:
            text = _("{file}, sheet {sheet}: header in row {row}, {count} rows of data").format(
                file=self.path.name, sheet=a.sheet, row=a.header_row, count=a.data_rows)
        if a.skipped_sheets:
            text += "\n" + _("Left out: {sheets}").format(sheets=_(", ").join(
                _("{sheet} ({reason})").format(sheet=name, reason=reason) for name, reason in a.skipped_sheets))
        self.summary.setText(text)
        self.sheet_choice.blockSignals(True)
        if len(a.sheets) > 1:
            self.sheet_choice.addItem(_("All sheets ({count})").format(count=len(a.sheets)), None)
        for sheet in a.sheets or [a]:
            self.sheet_choice.addItem(sheet.sheet, sheet.sheet)
        self.sheet_choice.setCurrentIndex(0)
        self.sheet_choice.setEnabled(len(a.sheets) > 1)
        self.sheet_choice.blockSignals(False)
        self.analysis = a
        self._show_sheet()

    def _sheet_analysis(self, name: str | None):
        return next((s for s in self.analysis.sheets or [self.analysis] if s.sheet == name), None)

    def _show_sheet(self) -> None:
        """Mapping, warnings and preview of the sheet chosen (or of all sheets)."""
        a = self.analysis
        name = self.sheet_choice.currentData()
        self.chosen = self._sheet_analysis(name) if name is not None else None
        several = len(a.sheets) > 1
        if self.chosen is None:
            warnings = [_("Sheet {sheet}: {warning}").format(sheet=s.sheet, warning=w) for s in a.sheets for w in s.warnings]
        else:
            warnings = list(self.chosen.warnings)
        self.warnings.setText("\n".join(_("Note: {warning}").format(warning=w) for w in warnings))
        self.warnings.setVisible(bool(warnings))
        self.mapping.setVisible(self.chosen is not None)
        self.mapping_title.setVisible(self.chosen is not None)
        self.all_sheets_note.setVisible(self.chosen is None)
        shown = self.chosen or a
        if self.chosen is not None:
            self.mapping.setRowCount(0)
            self.mapping.setRowCount(len(shown.columns))
            for row, (index, header, field) in enumerate(shown.columns):
                self.mapping.setItem(row, 0, _cell(column_letter(index)))
                self.mapping.setItem(row, 1, _cell(header))
                choice = QComboBox()
                choice.addItem(_("(not imported)"), None)
                for code in ledger_import.FIELDS:
                    choice.addItem(label(ledger_import.FIELDS, code), code)
                choice.setCurrentIndex(max(choice.findData(field), 0))
                choice.currentIndexChanged.connect(self._mapping_changed)
                self.mapping.setCellWidget(row, 2, choice)
            self.mapping.resizeColumnsToContents()
            self.mapping.setColumnWidth(2, 220)
        self.preview_title.setText(_("The first rows of the sheet {sheet}:").format(sheet=shown.sheet) if several
                                   else _("The first rows of the file:"))
        headers = [column.header for column in shown.columns]
        self.preview.clear()
        self.preview.setColumnCount(len(headers))
        self.preview.setHorizontalHeaderLabels(headers)
        self.preview.setRowCount(len(shown.preview[:PREVIEW_ROWS]))
        for row, values in enumerate(shown.preview[:PREVIEW_ROWS]):
            for column, value in enumerate(values[:len(headers)]):
                self.preview.setItem(row, column, _cell(value))
        self.preview.resizeColumnsToContents()
        self._enable()

    def _sheet_changed(self) -> None:
        if self.analysis is None:
            return
        self._show_sheet()
        self._mapping_changed()

    def current_sheet(self) -> str | None:
        """The sheet to import, or None for every sheet that holds a ledger."""
        return self.sheet_choice.currentData() if self.analysis is not None else None

    def current_mapping(self) -> dict[int, str | None] | None:
        """Column index → field, as the combo boxes say now; None when all sheets are imported as recognised."""
        if self.chosen is None:
            return None
        mapping = {}
        for row, (index, _header, _field) in enumerate(self.chosen.columns):
            mapping[index] = self.mapping.cellWidget(row, 2).currentData()
        return mapping

    def current_estate(self) -> str | None:
        return self.estate.text().strip() or None

    def _estate_changed(self) -> None:
        if self.checked is not None or self.result is not None:
            self._forget_check(_("The estate changed: check the file again."))

    def _mapping_changed(self) -> None:
        self._forget_check(_("The mapping changed: check the file again."))

    def _forget_check(self, why: str) -> None:
        self.checked = None
        self.result = None
        self.outcome.setText(why)
        for widget in (self.rejects, self.rejects_title, self.changes, self.changes_title):
            widget.hide()
        self._enable()

    def _enable(self) -> None:
        idle = self.work.task is None
        ready = self.analysis is not None
        self.check_button.setEnabled(idle and ready)
        self.import_button.setEnabled(idle and ready and self.checked is not None)
        self.rejects_button.setEnabled(idle and self.result is not None and bool(self.result.rejected))
        self.close_button.setEnabled(idle)
        self.estate.setEnabled(idle)
        self.sheet_choice.setEnabled(idle and ready and len(self.analysis.sheets) > 1)
        if self.chosen is not None:
            for row in range(self.mapping.rowCount()):
                self.mapping.cellWidget(row, 2).setEnabled(idle)

    # --- checking and importing ---------------------------------------------------------------------------------
    def _run(self, dry_run: bool) -> None:
        sheet, mapping, estate = self.current_sheet(), self.current_mapping(), self.current_estate()
        path, db_path, actor = self.path, self.db_path, self.actor

        def work(progress, cancelled):
            with Session.open(db_path, actor, create=False) as session:
                return ledger_import.import_ledger(session, path, mapping=mapping, sheet=sheet, dry_run=dry_run,
                                                   progress=progress, cancelled=cancelled, estate=estate)

        for widget in (self.rejects, self.rejects_title, self.changes, self.changes_title):
            widget.hide()
        self.outcome.setText("")
        self.work.start(_("Checking…") if dry_run else _("Importing…"),
                        lambda progress: self.taskman.run_in_background(
                            work, lambda outcome: self._done(dry_run, (sheet, mapping, estate), outcome), on_progress=progress,
                            owner=self))
        self._enable()

    def check(self) -> None:
        self._run(dry_run=True)

    def run_import(self) -> None:
        self._run(dry_run=False)

    def _done(self, dry_run: bool, checked: tuple, outcome: Outcome) -> None:
        self.work.finish()
        if outcome.cancelled:
            self.outcome.setText(_("Cancelled: nothing was imported."))
        elif outcome.error is not None:
            self.outcome.setText(_("The import failed and nothing was written: {error}").format(error=outcome.error))
        else:
            self.result = result = outcome.value
            if dry_run:
                self.checked = checked
                text = _("Checked: {imported} new residents, {updated} updated, {unchanged} unchanged, "
                         "{rejected} rows with problems. Nothing is written until you import.")
            else:
                self.checked = None
                text = _("Imported: {imported} new residents, {updated} updated, {unchanged} unchanged, "
                         "{rejected} rows with problems were left out.")
                self.imported.emit()
            text = text.format(imported=result.imported, updated=result.updated, unchanged=result.unchanged,
                               rejected=len(result.rejected))
            if result.households_alone:
                text += "\n" + _("Rows of a household with nobody named (a vacant flat): {count}").format(
                    count=result.households_alone)
            if result.notices:
                text += "\n" + "\n".join(_("Note: {warning}").format(warning=w) for w in result.notices)
            self.outcome.setText(text)
            self._show_changes(result)
            self._show_rejects(result)
        self._enable()

    def _show_changes(self, result) -> None:
        self.changes.setRowCount(len(result.changes))
        for row, change in enumerate(result.changes):
            self.changes.setItem(row, 0, _cell(change.row))
            self.changes.setItem(row, 1, _cell(change.name))
            fields = _cell(change.text())
            fields.setToolTip(change.text())
            self.changes.setItem(row, 2, fields)
            self.changes.setItem(row, 3, _cell(change.sheet))
        self.changes.setColumnHidden(3, not result.several_sheets)
        self.changes.resizeColumnToContents(1)
        self.changes.setVisible(bool(result.changes))
        self.changes_title.setVisible(bool(result.changes))

    def _show_rejects(self, result) -> None:
        rejected = result.rejected
        self.rejects.setRowCount(len(rejected))
        for row, reject in enumerate(rejected):
            self.rejects.setItem(row, 0, _cell(reject.row))
            self.rejects.setItem(row, 1, _cell(reject.column))
            reason = _cell(reject.reason)
            reason.setToolTip(reject.reason)
            self.rejects.setItem(row, 2, reason)
            self.rejects.setItem(row, 3, _cell(reject.sheet))
        self.rejects.setColumnHidden(3, not result.several_sheets)
        self.rejects.setVisible(bool(rejected))
        self.rejects_title.setVisible(bool(rejected))

    def save_rejects(self) -> None:
        suggested = str(self.path.with_name(_("{name}-rows with problems.xlsx").format(name=self.path.stem)))
        out, _filter = QFileDialog.getSaveFileName(self, _("Save rows with problems"), suggested, _("Excel workbook (*.xlsx)"))
        if out:
            self.write_rejects(out)

    def write_rejects(self, out: str | Path) -> None:
        result, path = self.result, self.path
        self.taskman.run_in_background(lambda progress, cancelled: ledger_import.write_rejects(result, path, out),
                                       lambda outcome: self._rejects_written(out, outcome), owner=self)

    def _rejects_written(self, out, outcome: Outcome) -> None:
        if outcome.error is not None:
            QMessageBox.warning(self, _("Save rows with problems"), str(outcome.error))
        elif outcome.ok:
            self.outcome.setText(self.outcome.text() + "\n" + _("The rows with problems were saved to {file}: fix them "
                                                                 "there and import that file.").format(file=out))

    def reject(self) -> None:
        if self.work.task is not None:
            return  # finish or cancel the running work first
        super().reject()


class ExportLedgerDialog(QDialog):
    """Export the ledger to a workbook, masked unless the user may see id numbers and phones and asks for them."""

    def __init__(self, taskman: TaskManager, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        self.taskman = taskman
        self.db_path, self.actor = session.path, session.actor
        self.out: Path | None = None
        self.counts: dict | None = None
        self.setWindowTitle(_("Export the ledger"))
        self.setStyleSheet(STYLE_SHEET)
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(_("Households, residents and key households, one sheet each, for the street office.")))
        row = QHBoxLayout()
        self.file = QLabel(_("No file chosen"))
        self.choose_button = QPushButton(_("Choose file…"))
        row.addWidget(self.file, 1)
        row.addWidget(self.choose_button)
        layout.addLayout(row)
        self.unmasked = QCheckBox(_("Full id numbers and phones (only the station manager)"))
        self.unmasked.setEnabled(self.actor.role == "admin")
        layout.addWidget(self.unmasked)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.work = WorkPanel()
        layout.addWidget(self.work)
        buttons = QHBoxLayout()
        self.export_button = QPushButton(_("Export"))
        self.close_button = QPushButton(_("Close"))
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.close_button)
        layout.addLayout(buttons)
        self.choose_button.clicked.connect(self.choose)
        self.export_button.clicked.connect(self.export)
        self.close_button.clicked.connect(self.reject)
        self.export_button.setEnabled(False)

    def choose(self) -> None:
        out, _filter = QFileDialog.getSaveFileName(self, _("Export the ledger"), _("Residents ledger.xlsx"),
                                                   _("Excel workbook (*.xlsx)"))
        if out:
            self.set_file(out)

    def set_file(self, out: str | Path) -> None:
        self.out = Path(out)
        self.file.setText(str(self.out))
        self.export_button.setEnabled(True)

    def export(self) -> None:
        out, unmasked, db_path, actor = self.out, self.unmasked.isChecked(), self.db_path, self.actor

        def work(progress, cancelled):
            with Session.open(db_path, actor, create=False) as session:
                return ledger_export.export_ledger(session, out, unmasked=unmasked, progress=progress, cancelled=cancelled)

        self.export_button.setEnabled(False)
        self.message.setText("")
        self.work.start(_("Exporting…"), lambda progress: self.taskman.run_in_background(
            work, self._done, on_progress=progress, owner=self))

    def _done(self, outcome: Outcome) -> None:
        self.work.finish()
        self.export_button.setEnabled(True)
        if outcome.cancelled:
            self.message.setText(_("Cancelled: no file was written."))
        elif outcome.error is not None:
            self.message.setText(_("The export failed: {error}").format(error=outcome.error))
        else:
            self.counts = outcome.value
            self.message.setText(_("Written to {file}.").format(file=self.out))

    def reject(self) -> None:
        if self.work.task is None:
            super().reject()
