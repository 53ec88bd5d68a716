"""The audit log (审计日志) for the station manager: every change, login, failed login, unmasking,
export, print and import, newest first, filtered by user, kind of action, period and free text.

The table holds the entries' numbers and fetches them 256 at a time as they scroll into view
(``PagedTableModel``), so a log of a million entries opens in a second or two and never
freezes the window. Below it a line says whether the log's hash chain is intact: the check
reads the whole log on a worker and is stopped when the dialog closes.

Only the station manager may read the log: for anyone else the dialog shows why not and
reads nothing (the service refuses them too).
"""

from __future__ import annotations

import threading
from datetime import date

from PySide6.QtCore import QDate, Qt, QTimer
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDateEdit, QDialog, QDialogButtonBox, QHBoxLayout, QLabel,
                               QLineEdit, QTableView, QVBoxLayout, QWidget)

from redstation.domain import roles
from redstation.gui.models import Column, PagedTableModel
from redstation.gui.style import STYLE_SHEET
from redstation.gui.tasks import Outcome, TaskManager
from redstation.i18n import _
from redstation.services import audit_log

TEXT_DELAY_MS = 300          # typing in the search field reloads after this pause
NO_DATE = QDate(2000, 1, 1)  # the date fields' "any" value
ALERT_ACTIONS = ("session.login_failed", "unmask")   # shown in red: what a manager looks for first


def columns() -> list[Column]:
    return [
        Column(_("Time"), lambda r: r["time"]),
        Column(_("User"), lambda r: r["user_name"]),
        Column(_("Operation"), lambda r: r["action_label"],
               color=lambda r: "#c0141c" if r["action"] in ALERT_ACTIONS else None),
        Column(_("Record kind"), lambda r: r["kind_label"]),
        Column(_("Details"), lambda r: r["summary"]),
    ]


def _date_edit() -> QDateEdit:
    edit = QDateEdit()
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    edit.setMinimumDate(NO_DATE)
    edit.setSpecialValueText(_("Any"))   # shown while the date is NO_DATE
    edit.setDate(NO_DATE)
    edit.setMinimumWidth(110)
    return edit


def _chosen_date(edit: QDateEdit) -> date | None:
    value = edit.date()
    return None if value == NO_DATE else date(value.year(), value.month(), value.day())


class AuditLogDialog(QDialog):
    """Browse and filter the audit log; see whether its chain is intact (the station manager only)."""

    def __init__(self, taskman: TaskManager, parent: QWidget | None = None):
        super().__init__(parent)
        self.taskman = taskman
        self.setWindowTitle(_("Audit log"))
        self.setStyleSheet(STYLE_SHEET)
        self.resize(1100, 680)
        self._closing = threading.Event()
        self.refusal = self._refusal()
        self.model: PagedTableModel | None = None
        self.table: QTableView | None = None
        self.chain_result: dict | None = None

        layout = QVBoxLayout(self)
        heading = QLabel(_("Audit log"))
        heading.setObjectName("dialogHeading")
        layout.addWidget(heading)
        if self.refusal is not None:
            self.message = QLabel(self.refusal)
            self.message.setObjectName("error")
            self.message.setWordWrap(True)
            layout.addWidget(self.message)
            layout.addStretch(1)
        else:
            self._build(layout)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText(_("Close"))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        if self.refusal is None:
            self._load_choices()
            self.reload()
            self.check_chain()

    def _refusal(self) -> str | None:
        """Why this user may not read the log, or None for the station manager."""
        actor = self.taskman.actor
        try:
            roles.check(actor.role if actor is not None else "", audit_log.READ)
        except roles.NotAllowed as refused:
            return str(refused)
        return None

    # --- building -----------------------------------------------------------------------------------------------
    def _build(self, layout: QVBoxLayout) -> None:
        hint = QLabel(_("Every change, login, failed login, look at a whole id number, export, print and import is "
                        "written here with who, when and what. Nobody can change or remove an entry without it showing "
                        "below."))
        hint.setObjectName("muted")
        hint.setWordWrap(True)
        layout.addWidget(hint)

        filters = QHBoxLayout()
        self.user = QComboBox()
        self.user.addItem(_("All users"), None)
        self.user.setMinimumWidth(120)
        self.group = QComboBox()
        self.group.addItem(_("All actions"), None)
        self.group.setMinimumWidth(150)
        self.start = _date_edit()
        self.end = _date_edit()
        self.text = QLineEdit()
        self.text.setPlaceholderText(_("Search user, action or details"))
        self.text.setClearButtonEnabled(True)
        self.text.setMinimumWidth(200)
        self.count = QLabel("")
        self.count.setObjectName("muted")
        for caption, widget in ((_("User"), self.user), (_("Operation"), self.group), (_("From"), self.start),
                                (_("To"), self.end)):
            filters.addWidget(QLabel(caption))
            filters.addWidget(widget)
        filters.addWidget(self.text, 1)
        filters.addWidget(self.count)
        layout.addLayout(filters)

        self._text_timer = QTimer(self)
        self._text_timer.setSingleShot(True)
        self._text_timer.setInterval(TEXT_DELAY_MS)
        self._text_timer.timeout.connect(self.reload)
        self.user.currentIndexChanged.connect(self.reload)
        self.group.currentIndexChanged.connect(self.reload)
        self.start.dateChanged.connect(self.reload)
        self.end.dateChanged.connect(self.reload)
        self.text.textChanged.connect(lambda _text: self._text_timer.start())
        self.text.returnPressed.connect(self.reload)

        self.model = PagedTableModel(self.taskman, columns(), self)
        self.model.loaded.connect(self._loaded)
        self.model.failed.connect(lambda error: self.count.setText(
            _("The audit log could not be read: {error}").format(error=error)))
        self.model.dataChanged.connect(lambda *_args: self._show_current())
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setDefaultSectionSize(26)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        for column, width in enumerate((150, 110, 190, 90)):
            self.table.setColumnWidth(column, width)
        self.table.selectionModel().currentRowChanged.connect(lambda *_args: self._show_current())
        layout.addWidget(self.table, 1)

        self.details = QLabel("")
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.details)
        self.chain = QLabel(_("Checking that no entry was changed or removed…"))
        self.chain.setObjectName("muted")
        self.chain.setWordWrap(True)
        layout.addWidget(self.chain)

    # --- filters and loading ------------------------------------------------------------------------------------
    def filters(self) -> dict:
        return {"user": self.user.currentData(), "action_prefix": self.group.currentData(),
                "start": _chosen_date(self.start), "end": _chosen_date(self.end),
                "text": self.text.text().strip() or None}

    def _load_choices(self) -> None:
        self.taskman.read(lambda session: (audit_log.users(session), audit_log.action_groups(session)),
                          self._choices_loaded, owner=self)

    def _choices_loaded(self, outcome: Outcome) -> None:
        if not outcome.ok:
            return
        names, groups = outcome.value
        for combo, items in ((self.user, [(name, name) for name in names]),
                             (self.group, [(group["label"], tuple(group["prefixes"])) for group in groups])):
            chosen = combo.currentData()
            combo.blockSignals(True)
            while combo.count() > 1:
                combo.removeItem(1)
            for text, data in items:
                combo.addItem(text, data)
            combo.setCurrentIndex(max(combo.findData(chosen), 0) if chosen is not None else 0)
            combo.blockSignals(False)

    def reload(self) -> None:
        if self.model is None:
            return
        self._text_timer.stop()
        chosen = self.filters()
        self.count.setText(_("Loading…"))
        self.details.setText("")
        self.model.load(lambda session: audit_log.keys(session, **chosen),
                        lambda session, seqs: audit_log.rows(session, seqs))

    def _loaded(self, count: int) -> None:
        self.count.setText(_("{count} entries").format(count="{n:,}".format(n=count)))

    def _show_current(self) -> None:
        current = self.table.currentIndex() if self.table is not None else None
        row = self.model.row(current.row()) if current is not None and current.isValid() else None
        if row is None:
            self.details.setText("")
            return
        self.details.setText(_("Entry {seq}: {time}, {user}, {action}, {record} {record_id}\n{details}").format(
            seq=row["seq"], time=row["time"], user=row["user_name"], action=row["action_label"],
            record=row["kind_label"], record_id=(row["record_id"] or "")[:8], details=row["summary"]).strip())

    # --- the chain ----------------------------------------------------------------------------------------------
    def check_chain(self) -> None:
        """Read the whole log on a worker and say whether it is as written (stopped when the dialog closes)."""
        self.chain.setText(_("Checking that no entry was changed or removed…"))
        self._set_style(self.chain, "muted")
        closing = self._closing
        self.taskman.read(lambda session: audit_log.chain(session, cancelled=closing.is_set),
                          self._chain_checked, owner=self)

    def _chain_checked(self, outcome: Outcome) -> None:
        if outcome.cancelled:
            return
        if not outcome.ok:
            self.chain_result = {"intact": False, "entries": None, "problem": str(outcome.error)}
            text = _("The audit log could not be checked: {error}").format(error=outcome.error)
        else:
            self.chain_result = outcome.value
            if outcome.value["intact"]:
                text = _("The audit log is intact: all {count} entries are as they were written, none removed.").format(
                    count="{n:,}".format(n=outcome.value["entries"]))
            else:
                text = outcome.value["problem"]
        self.chain.setText(text)
        self._set_style(self.chain, "success" if self.chain_result["intact"] else "error")

    @staticmethod
    def _set_style(widget: QLabel, name: str) -> None:
        widget.setObjectName(name)
        widget.style().unpolish(widget)   # the style sheet's rule for the new name takes effect
        widget.style().polish(widget)

    def done(self, result: int) -> None:
        self._closing.set()   # the chain check stops at its next look
        super().done(result)
