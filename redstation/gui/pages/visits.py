"""The visits page (走访): the round of key households due now, logging visits, their history and coverage.

The round lists the key households that are overdue or due now (overdue first, in red),
each part in address order, with the people, care notes and emergency contacts a guard
needs at the door. Keyboard first: arrows choose a household, Enter opens the visit form
with 正常 chosen, Enter again saves. For an anomaly press 2, say what was found, choose
处置 (1 on the spot, 2 escalate into a ticket) and Enter. A visit whose time is set back
(from a paper round sheet) is saved as late-entered.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from PySide6.QtCore import QDateTime, Qt, Signal
from PySide6.QtGui import QIcon, QKeyEvent
from PySide6.QtWidgets import (QAbstractItemView, QButtonGroup, QCheckBox, QComboBox, QDateTimeEdit, QDialog,
                               QDialogButtonBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QRadioButton,
                               QSpinBox, QStackedWidget, QTableView, QTabBar, QTextEdit, QVBoxLayout, QWidget)

from redstation import RedStationError
from redstation.domain.schedule import OVERDUE
from redstation.domain.vocab import (CARE_CATEGORIES, TICKET_KINDS, TICKET_SEVERITIES, VISIT_HANDLINGS, VISIT_OUTCOMES,
                                     label)
from redstation.gui.models import Column, ListTableModel, PagedTableModel
from redstation.gui.pages import Page, needs
from redstation.gui.pages.register import age, categories_text
from redstation.gui.printing import print_document
from redstation.gui.style import STYLE_SHEET
from redstation.gui.tasks import Outcome, TaskManager
from redstation.i18n import _, join_clauses, join_groups, join_list
from redstation.printing import visits as visit_printing
from redstation.services import visits as visit_service
from redstation.store import visits as visit_store

RED = "#c0141c"
ORANGE = "#a35a00"


def duration_text(hours: float) -> str:
    """6 小时, 3 天: how long overdue, as a guard says it."""
    if hours < 1:
        return _("{minutes} minutes").format(minutes=max(1, int(hours * 60)))
    if hours < 48:
        return _("{hours} hours").format(hours=int(hours))
    return _("{days} days").format(days=int(hours // 24))


def state_text(item: dict) -> str:
    if item["state"] == OVERDUE:
        return _("Overdue {time}").format(time=duration_text(item["overdue_hours"]))
    return _("Due by {time}").format(time=item["due_at"][5:16].replace("T", " "))


def members_text(item: dict) -> str:
    """张桂兰 (81 years, elderly living alone); 李强: each member with the facts known, brackets only around some."""
    def member(m: dict) -> str:
        facts = join_clauses(part for part in (_("{age} years").format(age=age(m["birth_date"])) if m["birth_date"]
                                               else "", categories_text(m["care_categories"])) if part)
        return _("{name} ({facts})").format(name=m["name"], facts=facts) if facts else m["name"]
    return join_groups(member(m) for m in item["members"])


def care_text(item: dict) -> str:
    return join_groups(m["care_notes"] for m in item["members"] if m["care_notes"])


def contacts_text(item: dict) -> str:
    return join_groups(_("{name} ({relation}) {phone}").format(name=c["name"], relation=c["relation"] or "—",
                                                                 phone=c["phone"])
                       for m in item["members"] for c in m["emergency_contacts"])


def round_columns() -> list[Column]:
    return [
        Column(_("State"), state_text, color=lambda r: RED if r["state"] == OVERDUE else ORANGE),
        Column(_("Address"), lambda r: r["address"]),
        Column(_("People"), members_text),
        Column(_("Care notes"), care_text),
        Column(_("Emergency contacts"), contacts_text),
        Column(_("Last visit"), lambda r: (r["last_visit"] or _("never"))[:16].replace("T", " ")),
    ]


def visit_state_text(row: dict) -> str:
    marks = []
    if row["voided"]:
        marks.append(_("voids an entry"))
    elif row["corrects_id"]:
        marks.append(_("correction"))
    if row["annulled"]:
        marks.append(_("void"))
    elif row["superseded"]:
        marks.append(_("corrected"))
    if row["late_entry"] and not row["corrects_id"]:
        marks.append(_("late-entered"))
    return join_list(marks)


def visit_columns() -> list[Column]:
    return [
        Column(_("Time"), lambda r: r["visited_at"][:16].replace("T", " ")),
        Column(_("Address"), lambda r: r["address"]),
        Column(_("People"), lambda r: join_list(r["residents"])),
        Column(_("Visitor"), lambda r: r["visitor_name"]),
        Column(_("Outcome"), lambda r: label(VISIT_OUTCOMES, r["outcome"]),
               color=lambda r: RED if r["outcome"] == "anomaly" else None),
        Column(_("Found / handled"), lambda r: _("{finding} ({handling})").format(
            finding=r["finding"], handling=label(VISIT_HANDLINGS, r["handling"])) if r["handling"] else r["finding"]),
        Column(_("Ticket"), lambda r: r["ticket_number"] or ""),
        Column(_("Entry"), visit_state_text, color=lambda r: "#777777" if r["superseded"] or r["voided"] else None),
        Column(_("Notes"), lambda r: r["notes"]),
    ]


# --- the visit form ------------------------------------------------------------------------------------------------

class VisitDialog(QDialog):
    """Log a visit at a household (``household`` a round item), or correct one (``correcting`` a visit row)."""

    def __init__(self, taskman: TaskManager, household: dict, *, visitors: list[str] | None = None,
                 correcting: dict | None = None, now: datetime | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.taskman = taskman
        self.household = household
        self.correcting = correcting
        self.now = now
        self.result: dict | None = None
        self.setWindowTitle(_("Correct a visit") if correcting else _("Log a visit"))
        self.setStyleSheet(STYLE_SHEET)
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        heading = QLabel(household["address"])
        heading.setObjectName("sectionTitle")
        layout.addWidget(heading)
        if household.get("members"):
            facts = QLabel("\n".join(part for part in (members_text(household), care_text(household)) if part))
            facts.setObjectName("muted")
            facts.setWordWrap(True)
            layout.addWidget(facts)

        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.normal = QRadioButton(_("1 Normal"))
        self.anomaly = QRadioButton(_("2 Anomaly found"))
        self.outcome = QButtonGroup(self)
        self.outcome.addButton(self.normal)
        self.outcome.addButton(self.anomaly)
        row = QHBoxLayout()
        row.addWidget(self.normal)
        row.addWidget(self.anomaly)
        row.addStretch(1)
        form.addRow(_("Outcome"), row)

        self.finding = QLineEdit()
        self.finding.setPlaceholderText(_("what was found, e.g. gas left on, an old man fallen"))
        form.addRow(_("Found"), self.finding)
        self.on_site = QRadioButton(_("1 Handled on the spot"))
        self.escalated = QRadioButton(_("2 Escalate: open a ticket"))
        self.handling = QButtonGroup(self)
        self.handling.addButton(self.on_site)
        self.handling.addButton(self.escalated)
        row = QHBoxLayout()
        row.addWidget(self.on_site)
        row.addWidget(self.escalated)
        row.addStretch(1)
        form.addRow(_("Handling"), row)
        self.kind = QComboBox()
        for code in TICKET_KINDS:
            self.kind.addItem(label(TICKET_KINDS, code), code)
        self.kind.setCurrentIndex(self.kind.findData("repair"))
        self.severity = QComboBox()
        for code in TICKET_SEVERITIES:
            self.severity.addItem(label(TICKET_SEVERITIES, code), code)
        self.severity.setCurrentIndex(self.severity.findData("major"))
        ticket = QHBoxLayout()
        ticket.addWidget(self.kind)
        ticket.addWidget(self.severity)
        ticket.addStretch(1)
        self.ticket_row = QWidget()
        self.ticket_row.setLayout(ticket)
        form.addRow(_("Ticket"), self.ticket_row)

        self.when = QDateTimeEdit(QDateTime.currentDateTime() if now is None else QDateTime(now))
        self.when.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.when.setCalendarPopup(True)
        self.when_hint = QLabel("")
        self.when_hint.setObjectName("muted")
        when = QHBoxLayout()
        when.addWidget(self.when)
        when.addWidget(self.when_hint, 1)
        form.addRow(_("Visited at"), when)
        self.visitor = QComboBox()
        self.visitor.setEditable(True)
        self.visitor.addItems(visitors or [])
        self.visitor.setCurrentText(taskman_actor_name(taskman))
        form.addRow(_("Visitor"), self.visitor)
        self.notes = QLineEdit()
        form.addRow(_("Notes"), self.notes)
        self.void = QCheckBox(_("This visit did not happen (void the entry)"))
        if correcting:
            form.addRow("", self.void)
        layout.addLayout(form)

        self.message = QLabel("")
        self.message.setObjectName("error")
        self.message.setWordWrap(True)
        self.message.hide()
        layout.addWidget(self.message)
        hint = QLabel(_("Keys: 1 / 2 choose, Enter saves, Esc cancels."))
        hint.setObjectName("muted")
        layout.addWidget(hint)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText(_("Save"))
        self.save_button.setDefault(True)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Cancel"))
        for button in self.buttons.buttons():
            button.setIcon(QIcon())
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

        if correcting:
            (self.anomaly if correcting["outcome"] == "anomaly" else self.normal).setChecked(True)
            self.finding.setText(correcting["finding"])
            (self.escalated if correcting["handling"] == "escalated" else self.on_site).setChecked(True)
            self.when.setDateTime(QDateTime(datetime.fromisoformat(correcting["visited_at"])))
            self.visitor.setCurrentText(correcting["visitor_name"])
            self.notes.setText(correcting["notes"])
        else:
            self.normal.setChecked(True)
            self.on_site.setChecked(True)
        self.outcome.buttonToggled.connect(self._update)
        self.handling.buttonToggled.connect(self._update)
        self.when.dateTimeChanged.connect(self._update)
        self._update()
        self.normal.setFocus() if not self.anomaly.isChecked() else self.finding.setFocus()

    def _update(self, *_changed) -> None:
        anomaly = self.anomaly.isChecked()
        self.finding.setEnabled(anomaly)
        self.on_site.setEnabled(anomaly)
        self.escalated.setEnabled(anomaly)
        self.ticket_row.setEnabled(anomaly and self.escalated.isChecked() and not (self.correcting or {}).get("ticket_id"))
        entered = self.now or datetime.now()
        late = entered - self.visited_at() > timedelta(minutes=30)
        self.when_hint.setText(_("entered after the visit: marked late-entered") if late else "")

    def visited_at(self) -> datetime:
        return self.when.dateTime().toPython().replace(second=0, microsecond=0)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """1 and 2 choose the outcome (or, for an anomaly with something written, the handling)."""
        focus = self.focusWidget()
        typing = isinstance(focus, (QLineEdit, QTextEdit, QDateTimeEdit, QComboBox))
        if not typing and event.key() in (Qt.Key.Key_1, Qt.Key.Key_2):
            first = event.key() == Qt.Key.Key_1
            if self.anomaly.isChecked() and focus in (self.on_site, self.escalated):
                (self.on_site if first else self.escalated).setChecked(True)
                return
            (self.normal if first else self.anomaly).setChecked(True)
            if not first:
                self.finding.setFocus()
            return
        super().keyPressEvent(event)

    def values(self) -> dict:
        anomaly = self.anomaly.isChecked()
        escalated = anomaly and self.escalated.isChecked()
        return {
            "outcome": "anomaly" if anomaly else "normal",
            "finding": self.finding.text() if anomaly else "",
            "handling": ("escalated" if escalated else "on_site") if anomaly else None,
            "notes": self.notes.text(), "visited_at": self.visited_at(), "visitor_name": self.visitor.currentText(),
            "escalation": {"kind": self.kind.currentData(), "severity": self.severity.currentData()} if escalated else None,
        }

    def accept(self) -> None:
        if not self.save_button.isEnabled():
            return
        values = self.values()
        if values["outcome"] == "anomaly" and not values["finding"].strip():
            self._problem(_("Say what was found at the visit"))
            self.finding.setFocus()
            return
        household_id, correcting, void, now = self.household["id"], self.correcting, self.void.isChecked(), self.now

        def save(session):
            if correcting:
                return visit_service.correct_visit(session, correcting["id"], void=void, now=now, **values)
            return visit_service.log_visit(session, household_id, now=now, **values)
        self.save_button.setEnabled(False)
        self.taskman.db(save, self._saved, owner=self)

    def _problem(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()

    def _saved(self, outcome: Outcome) -> None:
        self.save_button.setEnabled(True)
        if outcome.error is not None:
            if not isinstance(outcome.error, RedStationError):
                raise outcome.error
            self._problem(str(outcome.error))
            return
        if outcome.ok:
            self.result = outcome.value
            super().accept()


def taskman_actor_name(taskman: TaskManager) -> str:
    return taskman.actor.name if taskman.actor is not None else ""


# --- the intervals ------------------------------------------------------------------------------------------------

class IntervalsDialog(QDialog):
    """How often each care category is visited, in hours or days."""

    def __init__(self, taskman: TaskManager, current: dict[str, int], parent: QWidget | None = None):
        super().__init__(parent)
        self.taskman = taskman
        self.setWindowTitle(_("Visit intervals"))
        self.setStyleSheet(STYLE_SHEET)
        layout = QVBoxLayout(self)
        intro = QLabel(_("How often a household is visited: the shortest interval among its residents' categories, "
                         "unless the household has its own (edit the household on the register page)."))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.rows: dict[str, tuple[QSpinBox, QComboBox]] = {}
        for code in CARE_CATEGORIES:
            hours = current[code]
            amount, unit = QSpinBox(), QComboBox()
            unit.addItem(_("hours"), 1)
            unit.addItem(_("days"), 24)
            in_days = hours % 24 == 0
            amount.setRange(1, 8784)
            amount.setValue(hours // 24 if in_days else hours)
            unit.setCurrentIndex(1 if in_days else 0)
            row = QHBoxLayout()
            row.addWidget(amount)
            row.addWidget(unit)
            row.addStretch(1)
            form.addRow(label(CARE_CATEGORIES, code), row)
            self.rows[code] = (amount, unit)
        layout.addLayout(form)
        self.message = QLabel("")
        self.message.setObjectName("error")
        self.message.hide()
        layout.addWidget(self.message)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Save).setText(_("Save"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Cancel"))
        for button in buttons.buttons():
            button.setIcon(QIcon())
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def hours(self) -> dict[str, int]:
        return {code: amount.value() * unit.currentData() for code, (amount, unit) in self.rows.items()}

    def accept(self) -> None:
        hours = self.hours()
        self.taskman.db(lambda session: visit_service.set_intervals(session, hours), self._saved, owner=self)

    def _saved(self, outcome: Outcome) -> None:
        if outcome.error is not None:
            self.message.setText(str(outcome.error))
            self.message.show()
        elif outcome.ok:
            super().accept()


# --- the page ----------------------------------------------------------------------------------------------------

PERIODS = ("today", "day_shift", "night_shift", "week", "month")


def period_bounds(period: str, now: datetime) -> tuple[datetime, datetime]:
    today = now.date()
    if period == "day_shift":
        return visit_service.shift(today)
    if period == "night_shift":
        return visit_service.shift(today if now.hour >= 20 else today - timedelta(days=1), night=True)
    if period == "week":
        return datetime.combine(today - timedelta(days=6), datetime.min.time()), now
    if period == "month":
        return datetime.combine(today.replace(day=1), datetime.min.time()), now
    return datetime.combine(today, datetime.min.time()), now


class VisitsPage(Page):
    visit_logged = Signal()

    @staticmethod
    def dialog_type() -> type:
        return VisitDialog

    def __init__(self, taskman: TaskManager, parent: QWidget | None = None, clock=datetime.now):
        super().__init__(_("Home visits"), parent)
        self.taskman = taskman
        self.clock = clock
        self.visitors: list[str] = []
        self.household_filter: dict | None = None
        self._started = False

        self.log_button = QPushButton(_("Log visit"))
        needs("visit.log", self.log_button)
        self.log_button.setToolTip(_("Log a visit at the chosen household (Enter)"))
        self.log_button.clicked.connect(self.log_selected)
        self.intervals_button = QPushButton(_("Visit intervals…"))
        needs("visits.intervals", self.intervals_button)
        self.intervals_button.clicked.connect(self.edit_intervals)
        self.sheet_button = QPushButton(_("Print round sheet…"))
        needs("print.round_sheet", self.sheet_button)
        self.sheet_button.setToolTip(_("The households due now, for a round on paper"))
        self.sheet_button.clicked.connect(self.print_round_sheet)
        self.log_print_button = QPushButton(_("Print visit log…"))
        needs("print.visit_log", self.log_print_button)
        self.log_print_button.setToolTip(_("The visits of the period (and household) shown on the history tab"))
        self.log_print_button.clicked.connect(self.print_visit_log)
        for button in (self.intervals_button, self.sheet_button, self.log_print_button, self.log_button):
            self.header_row.addWidget(button)
        self.print_job = None

        top = QHBoxLayout()
        self.tabs = QTabBar()
        self.tabs.addTab(_("This round"))
        self.tabs.addTab(_("Visit history"))
        top.addWidget(self.tabs)
        top.addStretch(1)
        self.summary = QLabel("")
        self.summary.setObjectName("muted")
        top.addWidget(self.summary)
        self.body.addLayout(top)

        self.stack = QStackedWidget()
        self.body.addWidget(self.stack, 1)
        self.tabs.currentChanged.connect(self._tab_changed)

        # the round
        round_box = QWidget()
        layout = QVBoxLayout(round_box)
        layout.setContentsMargins(0, 0, 0, 0)
        filters = QHBoxLayout()
        filters.addWidget(QLabel(_("Estate")))
        self.estate = QComboBox()
        self.estate.addItem(_("All estates"), None)
        self.estate.currentIndexChanged.connect(self.refresh_round)
        filters.addWidget(self.estate)
        self.refresh_button = QPushButton(_("Refresh"))
        self.refresh_button.clicked.connect(self.refresh_round)
        filters.addWidget(self.refresh_button)
        filters.addStretch(1)
        self.notice = QLabel("")
        self.notice.setObjectName("sectionTitle")
        filters.addWidget(self.notice)
        layout.addLayout(filters)
        self.saved = QLabel("")   # what the last save did: the visit, and the ticket it opened
        self.saved.setObjectName("success")
        layout.addWidget(self.saved)
        self.round_model = ListTableModel(round_columns(), self)
        self.round_table = self._table(self.round_model, [130, 170, 260, 220, 220, 130])
        self.round_table.activated.connect(lambda _index: self.log_selected())
        layout.addWidget(self.round_table, 1)
        self.stack.addWidget(round_box)

        # the history
        history = QWidget()
        layout = QVBoxLayout(history)
        layout.setContentsMargins(0, 0, 0, 0)
        filters = QHBoxLayout()
        filters.addWidget(QLabel(_("Period")))
        self.period = QComboBox()
        for code, caption in zip(PERIODS, (_("Today"), _("Day shift 08-20"), _("Night shift 20-08"), _("Last 7 days"),
                                           _("This month"))):
            self.period.addItem(caption, code)
        self.period.setCurrentIndex(PERIODS.index("week"))
        filters.addWidget(self.period)
        filters.addWidget(QLabel(_("Visitor")))
        self.visitor = QComboBox()
        self.visitor.addItem(_("Everyone"), None)
        filters.addWidget(self.visitor)
        self.household_label = QLabel("")
        self.clear_household = QPushButton(_("All households"))
        self.clear_household.hide()
        self.clear_household.clicked.connect(lambda: self.show_history(None))
        filters.addWidget(self.household_label)
        filters.addWidget(self.clear_household)
        self.correct_button = QPushButton(_("Correct…"))
        needs("visit.correct", self.correct_button)
        self.correct_button.setToolTip(_("Enter a correction of the chosen visit; the visit itself stays on record"))
        self.correct_button.clicked.connect(self.correct_selected)
        filters.addStretch(1)
        filters.addWidget(self.correct_button)
        layout.addLayout(filters)
        self.coverage = QLabel("")
        self.coverage.setObjectName("sectionTitle")
        layout.addWidget(self.coverage)
        self.visit_model = PagedTableModel(taskman, visit_columns(), self)
        self.visit_model.loaded.connect(lambda n: self.summary.setText(_("{count} visits").format(count="{n:,}".format(n=n))))
        self.visit_table = self._table(self.visit_model, [130, 150, 160, 80, 60, 200, 150, 90])
        layout.addWidget(self.visit_table, 1)
        self.stack.addWidget(history)
        self.period.currentIndexChanged.connect(self.refresh_history)
        self.visitor.currentIndexChanged.connect(self.refresh_history)

    @staticmethod
    def _table(model, widths: list[int]) -> QTableView:
        table = QTableView()
        table.setModel(model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setAlternatingRowColors(True)
        table.setWordWrap(False)
        table.verticalHeader().hide()
        table.verticalHeader().setDefaultSectionSize(26)
        table.horizontalHeader().setStretchLastSection(True)
        table.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        for column, width in enumerate(widths):
            table.setColumnWidth(column, width)
        return table

    def activated(self) -> None:
        if not self._started:
            self._started = True
            self.taskman.db(lambda session: (visit_store.visitors(session.conn),
                                             sorted({h["estate"] for h in visit_store.key_households(session.conn)})),
                            self._lists_loaded, owner=self)
        self.refresh_round() if self.tabs.currentIndex() == 0 else self.refresh_history()
        self.round_table.setFocus()

    def _lists_loaded(self, outcome: Outcome) -> None:
        if not outcome.ok:
            return
        self.visitors, estates = outcome.value
        for combo, names in ((self.visitor, self.visitors), (self.estate, estates)):
            combo.blockSignals(True)
            for name in names:
                combo.addItem(name, name)
            combo.blockSignals(False)

    def _tab_changed(self, index: int) -> None:
        self.stack.setCurrentIndex(index)
        self.log_button.setEnabled(index == 0)
        self.refresh_round() if index == 0 else self.refresh_history()

    def show_round(self) -> None:
        if self.tabs.currentIndex() != 0:
            self.tabs.setCurrentIndex(0)
        else:
            self.refresh_round()

    def show_period(self, period: str) -> None:
        """The history of a period (PERIODS) for every household."""
        self.household_filter = None
        self.household_label.setText("")
        self.clear_household.hide()
        self.period.blockSignals(True)
        self.period.setCurrentIndex(PERIODS.index(period))
        self.period.blockSignals(False)
        if self.tabs.currentIndex() != 1:
            self.tabs.setCurrentIndex(1)
        else:
            self.refresh_history()

    # --- the round ---------------------------------------------------------------------------------------------
    def refresh_round(self) -> None:
        estate, now = self.estate.currentData(), self.clock()
        self.notice.setText(_("Loading…"))
        self.taskman.db(lambda session: (visit_service.round_list(session.conn, now, estate=estate),
                                         visit_service.counts(session.conn, now)), self._round_loaded, owner=self)

    def _round_loaded(self, outcome: Outcome) -> None:
        if outcome.error is not None:
            self.notice.setText(_("The round could not be read: {error}").format(error=outcome.error))
            return
        if not outcome.ok:
            return
        chosen = self.selected_household()
        rows, counts = outcome.value
        self.round_model.set_rows(rows)
        overdue = sum(1 for r in rows if r["state"] == OVERDUE)
        self.notice.setText(_("{overdue} overdue, {due} due now").format(overdue=overdue, due=len(rows) - overdue)
                            if rows else _("Nobody is due: every key household has been visited in time"))
        self.summary.setText(_("{count} key households").format(count="{n:,}".format(n=counts["key_households"])))
        if rows:
            number = next((i for i, r in enumerate(rows) if chosen and r["id"] == chosen["id"]), 0)
            self.round_table.selectRow(min(number, len(rows) - 1))

    def selected_household(self) -> dict | None:
        rows = self.round_table.selectionModel().selectedRows()
        return self.round_model.row(rows[0].row()) if rows else None

    def log_selected(self) -> VisitDialog | None:
        household = self.selected_household()
        if household is None:
            return None
        row = self.round_table.currentIndex().row()
        dialog = VisitDialog(self.taskman, household, visitors=self.visitors, parent=self)
        dialog.accepted.connect(lambda: self._logged(dialog, row))
        dialog.open()
        return dialog

    def _logged(self, dialog: VisitDialog, row: int) -> None:
        result = dialog.result or {}
        text = _("Visit at {address} saved.").format(address=dialog.household["address"])
        if result.get("ticket_number"):
            text += " " + _("Ticket {number} opened.").format(number=result["ticket_number"])
        self.saved.setText(text)
        self.visit_logged.emit()
        self.refresh_round()

    def edit_intervals(self) -> None:
        def opened(outcome: Outcome) -> None:
            if outcome.ok:
                dialog = IntervalsDialog(self.taskman, outcome.value, parent=self)
                dialog.accepted.connect(self.refresh_round)
                dialog.open()
                self.intervals_dialog = dialog
        self.taskman.db(lambda session: visit_service.intervals(session.conn), opened, owner=self)

    # --- printing ------------------------------------------------------------------------------------------------
    def print_round_sheet(self) -> None:
        estate, now = self.estate.currentData(), self.clock()
        self.print_job = print_document(
            self.taskman, lambda session, out: visit_printing.round_sheet(session, out, now=now, estate=estate),
            parent=self, file_name=_("round-sheet-{day}.pdf").format(day=now.strftime("%Y%m%d")))

    def print_visit_log(self) -> None:
        start, end = period_bounds(self.period.currentData(), self.clock())
        household = self.household_filter
        last = end.date() if end.time() != datetime.min.time() else end.date() - timedelta(days=1)
        first = last - timedelta(days=365) if household else start.date()  # a household's year, or the period shown
        self.print_job = print_document(
            self.taskman, lambda session, out: visit_printing.visit_log(
                session, out, start=first, end=last, household_id=household["id"] if household else None),
            parent=self, file_name=_("visit-log-{day}.pdf").format(day=last.strftime("%Y%m%d")))

    # --- the history -------------------------------------------------------------------------------------------
    def show_history(self, household: dict | None) -> None:
        """The visits of one household (``household``: id and address), or of all when None."""
        self.household_filter = household
        self.household_label.setText(household["address"] if household else "")
        self.clear_household.setVisible(household is not None)
        if self.tabs.currentIndex() != 1:
            self.tabs.setCurrentIndex(1)
        else:
            self.refresh_history()

    def refresh_history(self) -> None:
        start, end = period_bounds(self.period.currentData(), self.clock())
        if self.household_filter is not None:
            start = None  # a household's whole history
        visitor = self.visitor.currentData()
        household_id = self.household_filter["id"] if self.household_filter else None
        self.visit_model.load(
            lambda session: visit_store.visit_keys(session.conn, start=start, end=end, household_id=household_id,
                                                   visitor=visitor),
            lambda session, keys: visit_store.visit_rows(session.conn, keys))
        if start is None or household_id or visitor:
            self.coverage.setText("")
            return
        self.taskman.db(lambda session: visit_service.coverage(session.conn, start, end), self._coverage_loaded, owner=self)

    def _coverage_loaded(self, outcome: Outcome) -> None:
        if not outcome.ok:
            return
        result = outcome.value
        if result["rate"] is None:
            self.coverage.setText(_("No key households in this period"))
            return
        self.coverage.setText(_("Visited on time: {rate:.1f}% ({on_time} of {total} key households)").format(
            rate=result["rate"] * 100, on_time=result["on_time"], total=result["key_households"]))

    def selected_visit(self) -> dict | None:
        rows = self.visit_table.selectionModel().selectedRows()
        return self.visit_model.row(rows[0].row()) if rows else None

    def correct_selected(self) -> VisitDialog | None:
        visit = self.selected_visit()
        if visit is None or visit["superseded"] or visit["voided"]:
            return None
        household = {"id": visit["household_id"], "address": visit["address"]}
        dialog = VisitDialog(self.taskman, household, visitors=self.visitors, correcting=visit, parent=self)
        dialog.accepted.connect(self.refresh_history)
        dialog.accepted.connect(self.visit_logged.emit)
        dialog.open()
        return dialog
