"""Satisfaction surveys (满意度调查): survey rounds per estate and month, and entering the answers.

The answers sheet lists the estate's households; for each, type 1 满意, 2 基本满意, 3 不满意
or 4 未联系上 in the rating column (Delete clears it) and a comment if there is one. Saving
writes every changed answer in one transaction; the dashboard and the monthly report count
them at once.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDialog, QDialogButtonBox, QHBoxLayout, QHeaderView, QLabel,
                               QLineEdit, QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from redstation.domain.vocab import RATINGS, label
from redstation.gui.style import STYLE_SHEET
from redstation.gui.tasks import Outcome, TaskManager
from redstation.i18n import _
from redstation.services import evaluation
from redstation.store import queries

NOT_REACHED = "not_reached"


def rating_choices() -> list[tuple[str | None, str]]:
    """(code, text) of the rating column: blank, 1 满意, 2 基本满意, 3 不满意, 4 未联系上."""
    return ([(None, "")] + [(code, "{n} {text}".format(n=n, text=label(RATINGS, code))) for n, code in enumerate(RATINGS, 1)]
            + [(NOT_REACHED, "4 " + _("Not reached"))])


def _item(text: str, editable: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
    item.setFlags(flags | Qt.ItemFlag.ItemIsEditable if editable else flags)
    return item


class AnswersDialog(QDialog):
    """The answers of one survey round, one row per household of its estate."""

    def __init__(self, taskman: TaskManager, survey: dict, parent: QWidget | None = None):
        super().__init__(parent)
        self.taskman = taskman
        self.survey = survey
        self.households: list[dict] = []
        self.saved: int | None = None
        self.setWindowTitle(survey["title"])
        self.setStyleSheet(STYLE_SHEET)
        self.resize(820, 620)
        layout = QVBoxLayout(self)
        hint = QLabel(_("Type 1 satisfied, 2 basically satisfied, 3 dissatisfied, 4 not reached; leave empty whom you "
                        "did not ask. Enter saves."))
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels([_("Address"), _("Head of household"), _("Answer"), _("Comment")])
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        layout.addWidget(self.table, 1)
        self.status = QLabel(_("Loading…"))
        self.status.setObjectName("muted")
        layout.addWidget(self.status)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText(_("Save"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        estate, survey_id = survey["estate"], survey["id"]
        self.taskman.db(lambda session: (
            queries.register_rows(session.conn, "households", queries.register_keys(session.conn, "households", estate=estate)),
            evaluation.survey_answers(session.conn, survey_id)), self._loaded, owner=self)

    def _loaded(self, outcome: Outcome) -> None:
        if not outcome.ok:
            self.status.setText(str(outcome.error or ""))
            return
        households, answers = outcome.value
        self.households = [h for h in households if h is not None and h["members"]]
        self.before = answers
        self.table.setRowCount(len(self.households))
        choices = rating_choices()
        for row, household in enumerate(self.households):
            self.table.setItem(row, 0, _item(household["address"]))
            self.table.setItem(row, 1, _item(household["head"] or ""))
            combo = QComboBox()
            for code, text in choices:
                combo.addItem(text, code)
            rating, comment = answers.get(household["id"], ("", ""))
            combo.setCurrentIndex(combo.findData(NOT_REACHED if rating is None else rating) if household["id"] in answers else 0)
            self.table.setCellWidget(row, 2, combo)
            self.table.setItem(row, 3, _item(comment, editable=True))
        self.table.resizeColumnsToContents()
        self.status.setText(_("{count} households; {answered} answered so far").format(
            count=len(self.households), answered=len(answers)))
        if self.households:
            self.table.setCurrentCell(0, 2)
            self.table.cellWidget(0, 2).setFocus()

    def answers(self) -> dict[str, tuple[str | None, str]]:
        """The answers on the sheet that differ from the stored ones."""
        changed = {}
        for row, household in enumerate(self.households):
            code = self.table.cellWidget(row, 2).currentData()
            comment = self.table.item(row, 3).text().strip()
            if code is None and household["id"] not in self.before:
                continue
            value = (None if code in (None, NOT_REACHED) else code, comment)
            if code is None:
                continue  # clearing a stored answer is not offered: answers are facts
            if self.before.get(household["id"]) != value:
                changed[household["id"]] = value
        return changed

    def accept(self) -> None:
        answers, survey_id = self.answers(), self.survey["id"]
        if not answers:
            super().accept()
            return
        self.save_button.setEnabled(False)
        self.taskman.db(lambda session: evaluation.record_answers(session, survey_id, answers), self._saved, owner=self)

    def _saved(self, outcome: Outcome) -> None:
        self.save_button.setEnabled(True)
        if outcome.error is not None:
            self.status.setText(str(outcome.error))
            return
        if outcome.ok:
            self.saved = outcome.value
            super().accept()


class SurveysDialog(QDialog):
    """The survey rounds, newest first; a new round; the answers of the chosen one."""

    def __init__(self, taskman: TaskManager, parent: QWidget | None = None):
        super().__init__(parent)
        self.taskman = taskman
        self.rounds: list[dict] = []
        self.answers_dialog: AnswersDialog | None = None
        self.changed = False
        self.setWindowTitle(_("Satisfaction surveys"))
        self.setStyleSheet(STYLE_SHEET)
        self.resize(760, 520)
        layout = QVBoxLayout(self)
        new = QHBoxLayout()
        new.addWidget(QLabel(_("New round:")))
        self.estate = QComboBox()
        self.month = QLineEdit(date.today().strftime("%Y-%m"))
        self.month.setMaximumWidth(90)
        self.create_button = QPushButton(_("Create"))
        self.create_button.clicked.connect(self.create)
        for widget in (self.estate, self.month, self.create_button):
            new.addWidget(widget)
        new.addStretch(1)
        layout.addLayout(new)
        self.message = QLabel("")
        self.message.setObjectName("error")
        layout.addWidget(self.message)
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels([_("Month"), _("Estate"), _("Asked"), _("Answered"), _("Satisfaction")])
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.doubleClicked.connect(lambda _index: self.open_answers())
        layout.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        self.answers_button = QPushButton(_("Enter answers…"))
        self.answers_button.clicked.connect(lambda: self.open_answers())
        close = QPushButton(_("Close"))
        close.clicked.connect(self.accept)
        buttons.addWidget(self.answers_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout.addLayout(buttons)
        self.refresh()
        self.taskman.db(lambda session: queries.estates(session.conn),
                        lambda outcome: outcome.ok and self.estate.addItems(outcome.value), owner=self)

    def refresh(self, select: str | None = None) -> None:
        def shown(outcome: Outcome) -> None:
            if not outcome.ok:
                return
            self.rounds = outcome.value
            self.table.setRowCount(len(self.rounds))
            for row, item in enumerate(self.rounds):
                for column, text in enumerate((item["period"], item["estate"], str(item["asked"] or 0),
                                               str(item["answered"] or 0),
                                               "—" if item["rate"] is None else "{r:.1f}%".format(r=item["rate"] * 100))):
                    self.table.setItem(row, column, _item(text))
                if item["id"] == select:
                    self.table.selectRow(row)
            if select is None and self.rounds:
                self.table.selectRow(0)
        self.taskman.db(lambda session: evaluation.surveys(session.conn), shown, owner=self)

    def create(self) -> None:
        estate, month = self.estate.currentText(), self.month.text().strip()

        def made(outcome: Outcome) -> None:
            if outcome.error is not None:
                self.message.setText(str(outcome.error))
            elif outcome.ok:
                self.message.setText("")
                self.changed = True
                self.refresh(select=outcome.value)
        self.taskman.db(lambda session: evaluation.create_survey(session, estate, month), made, owner=self)

    def selected(self) -> dict | None:
        rows = self.table.selectionModel().selectedRows()
        return self.rounds[rows[0].row()] if rows else None

    def open_answers(self) -> AnswersDialog | None:
        survey = self.selected()
        if survey is None:
            return None
        dialog = AnswersDialog(self.taskman, survey, parent=self)
        dialog.accepted.connect(lambda: (setattr(self, "changed", True), self.refresh(select=survey["id"])))
        dialog.open()
        self.answers_dialog = dialog
        return dialog
