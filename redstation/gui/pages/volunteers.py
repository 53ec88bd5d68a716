"""The volunteers page (志愿者): volunteers, activities with attendance, teams, service hours, the hours certificate.

Three tabs share one period (all time by default, so the list shows each volunteer's total):
the hours in the lists, the activities shown and the certificate all count the activities
that start in it.

- 志愿者: the volunteers with skills, teams and hours served, filtered by name (or pinyin,
  or phone tail), skill, team, party membership and status; the chosen one's detail on the
  right (skills, teams, activities with hours, total) with 编辑 and 打印时长证明.
- 志愿活动: the activities; the chosen one's attendance list on the right, where Space
  ticks 报名 or 到场 and typing a number gives other hours (the default is the activity's
  length in half hours). Every tick is saved at once, as one transaction.
- 服务队: the teams, their leader, members and the hours of their activities.

Keyboard first: Ctrl+N makes a new volunteer, activity or team (by the tab shown); the
forms go top to bottom with Tab, Enter saves, Esc cancels.
"""

from __future__ import annotations

import html
from datetime import date, timedelta
from typing import Callable

from PySide6.QtCore import QDate, Qt, QTime, QTimer, Signal
from PySide6.QtGui import QIcon, QKeySequence, QShortcut
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDateEdit, QDialog, QDialogButtonBox,
                               QDoubleSpinBox, QGridLayout, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QListWidget,
                               QListWidgetItem, QMessageBox, QPushButton, QSpinBox, QSplitter, QStackedWidget,
                               QStyledItemDelegate, QTableView, QTableWidget, QTableWidgetItem, QTabBar, QTimeEdit,
                               QVBoxLayout, QWidget)

from redstation import RedStationError
from redstation.domain import idnumber, phone
from redstation.domain import register as rules
from redstation.domain.vocab import ACTIVITY_KINDS, GENDERS, SKILLS, label
from redstation.gui.forms import RecordDialog
from redstation.gui.models import Column, ListTableModel
from redstation.gui.pages import Page, needs
from redstation.gui.printing import print_document
from redstation.gui.search import SearchBox
from redstation.gui.style import STYLE_SHEET
from redstation.gui.tasks import Outcome, TaskManager
from redstation.i18n import _, join_groups, join_list
from redstation.printing import certificate as certificate_printing
from redstation.services import volunteers as service
from redstation.services.session import Session

RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
GREY = "#777777"
PERIODS = ("all", "this_year", "this_month", "last_month", "last_year", "custom")


# --- small texts -----------------------------------------------------------------------------------------------

def hours_text(hours: float) -> str:
    return service.hours_text(hours)


def skills_text(skills: list[dict]) -> str:
    return join_list(service.skill_text(s) for s in skills)


def teams_text(teams: list[dict]) -> str:
    return join_list(_("{team} (leader)").format(team=t["name"]) if t["leader"] else t["name"] for t in teams)


def party_text(item: dict) -> str:
    if item["serving_party_member"]:
        return _("Serving party member")
    return _("Party member") if item["party_member"] else ""


def time_span_text(item: dict) -> str:
    """2026-11-24 09:00–11:30, or with the next day's date when it runs past midnight."""
    starts, ends = item["starts_at"], item["ends_at"]
    end = ends[11:16] if ends[:10] == starts[:10] else "{day} {time}".format(day=ends[5:10], time=ends[11:16])
    return "{day} {start}–{end}".format(day=starts[:10], start=starts[11:16], end=end)


def place_text(item: dict) -> str:
    """The place, after its estate unless the place names it already."""
    if item["estate"] and not item["place"].startswith(item["estate"]):
        return " ".join(p for p in (item["estate"], item["place"]) if p)
    return item["place"] or item["estate"]


def period_dates(code: str, today: date, custom: tuple[date, date] | None = None) -> tuple[date | None, date | None]:
    """The first and last day of a period choice (None: open)."""
    if code == "all":
        return None, None
    if code == "this_month":
        first = today.replace(day=1)
        return first, (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    if code == "last_month":
        last = today.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    if code == "this_year":
        return date(today.year, 1, 1), date(today.year, 12, 31)
    if code == "last_year":
        return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    return custom if custom else (today, today)


def volunteer_columns() -> list[Column]:
    return [
        Column(_("Name"), lambda v: v["name"], color=lambda v: None if v["active"] else GREY),
        Column(_("Sex"), lambda v: label(GENDERS, v["gender"])),
        Column(_("Phone"), lambda v: phone.mask(v["phone"])),
        Column(_("Hours served"), lambda v: hours_text(v["hours"]), RIGHT),
        Column(_("Skills"), lambda v: join_list(service.skill_label(s["skill"]) for s in v["skills"])),
        Column(_("Teams"), lambda v: teams_text(v["teams"])),
        Column(_("Party"), party_text),
        Column(_("Status"), lambda v: _("Active") if v["active"] else _("No longer serving"),
               color=lambda v: None if v["active"] else GREY),
    ]


def activity_columns() -> list[Column]:
    return [
        Column(_("Time"), time_span_text),
        Column(_("Activity"), lambda a: a["title"]),
        Column(_("Kind"), lambda a: label(ACTIVITY_KINDS, a["kind"])),
        Column(_("Place"), place_text),
        Column(_("Signed up"), lambda a: str(a["signed_up"]), RIGHT),
        Column(_("Attended"), lambda a: str(a["attended"]), RIGHT),
        Column(_("Hours served"), lambda a: hours_text(a["total_hours"]), RIGHT),
    ]


def team_columns() -> list[Column]:
    return [
        Column(_("Team"), lambda t: t["name"]),
        Column(_("Leader"), lambda t: t["leader_name"]),
        Column(_("Members"), lambda t: str(t["members"]), RIGHT),
        Column(_("Activities"), lambda t: str(t["activities"]), RIGHT),
        Column(_("Hours served"), lambda t: hours_text(t["hours"]), RIGHT),
        Column(_("Description"), lambda t: t["description"]),
    ]


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


def _grid(headers: list[str], stretch: int = 1) -> QTableWidget:
    """A small read-only table of a detail panel; the column ``stretch`` takes the room the others leave."""
    grid = QTableWidget(0, len(headers))
    grid.setHorizontalHeaderLabels(headers)
    grid.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    grid.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    grid.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    grid.verticalHeader().hide()
    grid.verticalHeader().setDefaultSectionSize(24)
    grid.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    grid.horizontalHeader().setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    grid.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    return grid


def _cell(text: str, key: str | None = None, align=None) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    if key is not None:
        item.setData(Qt.ItemDataRole.UserRole, key)
    if align is not None:
        item.setTextAlignment(align)
    return item


def _fill(grid: QTableWidget, rows: list[list[str]], keys: list[str] | None = None, aligned: tuple[int, ...] = ()) -> None:
    grid.setRowCount(0)
    for number, cells in enumerate(rows):
        grid.insertRow(number)
        for column, text in enumerate(cells):
            grid.setItem(number, column, _cell(text, keys[number] if keys else None, RIGHT if column in aligned else None))


def _selected_key(grid: QTableWidget) -> str | None:
    rows = grid.selectionModel().selectedRows()
    if not rows:
        return None
    item = grid.item(rows[0].row(), 0)
    return item.data(Qt.ItemDataRole.UserRole) if item else None


def _message(widget: QLabel, text: str) -> None:
    widget.setText(text)
    widget.setVisible(bool(text))


def _buttons(*pairs: tuple[str, Callable[[], None]]) -> tuple[QHBoxLayout, list[QPushButton]]:
    row, made = QHBoxLayout(), []
    for caption, slot in pairs:
        button = QPushButton(caption)
        button.setAutoDefault(False)
        button.clicked.connect(lambda _checked=False, s=slot: s())
        row.addWidget(button)
        made.append(button)
    row.addStretch(1)
    return row, made


# --- the period --------------------------------------------------------------------------------------------------

class PeriodBox(QWidget):
    """All time, this year, this month, last month, last year, or two days chosen; ``changed`` when it moves."""

    changed = Signal()

    def __init__(self, today: Callable[[], date], parent: QWidget | None = None):
        super().__init__(parent)
        self.today = today
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel(_("Period")))
        self.choice = QComboBox()
        for code, caption in zip(PERIODS, (_("All time"), _("This year"), _("This month"), _("Last month"), _("Last year"),
                                           _("From … to …"))):
            self.choice.addItem(caption, code)
        row.addWidget(self.choice)
        first, last = period_dates("this_year", today())
        self.start, self.end = QDateEdit(QDate(first)), QDateEdit(QDate(last))
        for edit in (self.start, self.end):
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setCalendarPopup(True)
            edit.dateChanged.connect(self._dates_changed)
        self.to = QLabel(_("to"))
        row.addWidget(self.start)
        row.addWidget(self.to)
        row.addWidget(self.end)
        self.choice.currentIndexChanged.connect(self._chosen)
        self._chosen()

    def _chosen(self, *_args) -> None:
        custom = self.choice.currentData() == "custom"
        for widget in (self.start, self.to, self.end):
            widget.setVisible(custom)
        if not custom:
            self.changed.emit()

    def _dates_changed(self, *_args) -> None:
        if self.choice.currentData() == "custom":
            self.changed.emit()

    def dates(self) -> tuple[date | None, date | None]:
        if self.choice.currentData() == "custom":
            first, last = self.start.date().toPython(), self.end.date().toPython()
            return (first, last) if first <= last else (last, first)
        return period_dates(self.choice.currentData(), self.today())

    def set_dates(self, first: date, last: date) -> None:
        self.start.blockSignals(True)
        self.end.blockSignals(True)
        self.start.setDate(QDate(first))
        self.end.setDate(QDate(last))
        self.start.blockSignals(False)
        self.end.blockSignals(False)
        self.choice.setCurrentIndex(PERIODS.index("custom"))
        self.changed.emit()

    def text(self) -> str:
        first, last = self.dates()
        if first is None:
            return _("all time")
        return _("{start} to {end}").format(start=first.isoformat(), end=last.isoformat())


# --- the forms ---------------------------------------------------------------------------------------------------

def _combo(vocab: dict[str, str], current: str | None, numbered: bool = False) -> QComboBox:
    combo = QComboBox()
    for n, code in enumerate(vocab, start=1):
        combo.addItem("{n} {text}".format(n=n, text=label(vocab, code)) if numbered else label(vocab, code), code)
    combo.setCurrentIndex(max(combo.findData(current), 0))
    return combo


class VolunteerDialog(RecordDialog):
    """Register a volunteer (``current`` None) or edit one; a resident is picked in the search box, or the person typed."""

    def __init__(self, taskman: TaskManager, teams: list[dict], current: dict | None = None,
                 parent: QWidget | None = None, today: Callable[[], date] = date.today):
        super().__init__(_("Edit volunteer") if current else _("Register a volunteer"), taskman, parent)
        self.current = current or {}
        self.today = today
        self.resident: dict | None = None
        c = self.current
        self.setMinimumWidth(680)

        self.search = SearchBox(taskman, self)
        self.search.setPlaceholderText(_("A resident: name, pinyin initials, phone tail or building-room; Enter picks"))
        self.search.chosen.connect(self._chosen)
        self.chosen = QLabel(_("Not a resident of the register: type the person below"))
        self.chosen.setObjectName("muted")
        self.unlink = QPushButton(_("Not a resident"))
        self.unlink.setAutoDefault(False)
        self.unlink.clicked.connect(lambda: self._take(None))
        self.unlink.hide()   # shown while a resident is chosen
        chosen_row = QHBoxLayout()
        chosen_row.addWidget(self.chosen, 1)
        chosen_row.addWidget(self.unlink)
        resident = QWidget()
        box = QVBoxLayout(resident)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        box.addWidget(self.search)
        box.addLayout(chosen_row)

        self.name = QLineEdit(c.get("name", ""))
        self.id_number = QLineEdit(c.get("id_number") or "")
        self.id_number.setPlaceholderText(_("optional; 18 digits, sex is read from it"))
        self.id_hint = QLabel("")
        self.id_hint.setObjectName("muted")
        self.gender = QComboBox()
        self.gender.addItem(_("(not given)"), None)
        for code in GENDERS:
            self.gender.addItem(label(GENDERS, code), code)
        self.gender.setCurrentIndex(max(self.gender.findData(c.get("gender")), 0))
        self.phone = QLineEdit(c.get("phone", ""))
        self.phone.setPlaceholderText(_("mobile or landline with area code"))

        mine = {s["skill"]: s["level"] for s in c.get("skills", [])}
        self.skill_boxes: dict[str, tuple[QCheckBox, QSpinBox]] = {}
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(2)
        skill_order: list[QWidget] = []
        for n, code in enumerate(SKILLS):
            box_ = QCheckBox(label(SKILLS, code))
            level = QSpinBox()
            level.setRange(1, 3)
            level.setValue(mine.get(code, 1))
            level.setToolTip(_("Level: 1 basic, 2 skilled, 3 expert"))
            level.setFixedWidth(52)
            box_.setChecked(code in mine)
            level.setEnabled(code in mine)
            box_.toggled.connect(level.setEnabled)
            self.skill_boxes[code] = (box_, level)
            cell = QHBoxLayout()
            cell.setSpacing(4)
            cell.addWidget(box_)
            cell.addWidget(level)
            cell.addStretch(1)
            grid.addLayout(cell, n // 4, n % 4)
            skill_order += [box_, level]
        skills = QWidget()
        skills.setLayout(grid)
        self.other_skills = QLineEdit(join_list(
            "{skill}{level}".format(skill=s, level=level if level > 1 else "") for s, level in mine.items() if s not in SKILLS))
        self.other_skills.setPlaceholderText(_("other skills, a level after each: 摄影2、剪纸"))

        self.team_boxes: dict[str, QCheckBox] = {}
        team_grid = QGridLayout()
        team_grid.setContentsMargins(0, 0, 0, 0)
        team_grid.setVerticalSpacing(2)
        member_of = {t["id"] for t in c.get("teams", [])}
        for n, item in enumerate(teams):
            box_ = QCheckBox(item["name"])
            box_.setChecked(item["id"] in member_of)
            self.team_boxes[item["id"]] = box_
            team_grid.addWidget(box_, n // 3, n % 3)
        team_widget = QWidget()
        team_widget.setLayout(team_grid)

        self.party = QCheckBox(_("Party member"))
        self.party.setChecked(bool(c.get("party_member")))
        self.serving = QCheckBox(_("Serving party member (在职党员)"))
        self.serving.setChecked(bool(c.get("serving_party_member")))
        self.serving.toggled.connect(lambda on: on and self.party.setChecked(True))
        self.active = QCheckBox(_("Still serving"))
        self.active.setChecked(bool(c.get("active", 1)))
        flags = QWidget()
        flag_row = QHBoxLayout(flags)
        flag_row.setContentsMargins(0, 0, 0, 0)
        for widget in (self.party, self.serving, self.active):
            flag_row.addWidget(widget)
        flag_row.addStretch(1)
        self.employer = QLineEdit(c.get("employer", ""))
        self.employer.setPlaceholderText(_("work unit, for a serving party member"))
        self.availability = QLineEdit(c.get("availability", ""))
        self.availability.setPlaceholderText(_("e.g. weekend mornings; weekday evenings"))
        self.joined = QLineEdit(c.get("joined_on") or ("" if current else today().isoformat()))
        self.notes = QLineEdit(c.get("notes", ""))

        self.add_field("resident_id", _("Resident"), resident)
        self._order[-1:] = [self.search, self.unlink]
        self.add_field("name", _("Name"), self.name, required=True)
        self.add_field("id_number", _("Id number"), self.id_number, below=self.id_hint)
        self.add_field("gender", _("Sex"), self.gender)
        self.add_field("phone", _("Phone"), self.phone)
        self.add_field("skill_grid", _("Skills and level"), skills)
        self._order[-1:] = skill_order
        self.add_field("skills", _("Other skills"), self.other_skills)
        if teams:
            self.add_field("teams", _("Teams"), team_widget)
            self._order[-1:] = list(self.team_boxes.values())
        self.add_field("party_member", _("Party and status"), flags)
        self._order[-1:] = [self.party, self.serving, self.active]
        self.add_field("employer", _("Employer"), self.employer)
        self.add_field("availability", _("Availability"), self.availability)
        self.add_field("joined_on", _("Joined on"), self.joined)
        self.add_field("notes", _("Notes"), self.notes)
        self.id_number.textEdited.connect(self._read_id_number)
        self.finish_layout()
        if c.get("resident_id"):
            self._take({"id": c["resident_id"], "name": c["name"], "gender": c["gender"], "id_number": c["id_number"],
                        "phone": c["phone"], "address": c.get("address", "")}, keep_phone=True)
        self._read_id_number()
        (self.phone if c.get("resident_id") else self.search if not current else self.name).setFocus()

    # --- the resident -------------------------------------------------------------------------------------------
    def _chosen(self, _household_id: str, resident_id: str) -> None:
        item = next((i for i in self.search.items if i["id"] == resident_id), None)
        if item is not None:
            self._take(item)
            self.search.clear()
            self.phone.setFocus()
            self.phone.selectAll()

    def _take(self, item: dict | None, keep_phone: bool = False) -> None:
        """Link the volunteer to a resident (their name, sex and id number come from the register), or unlink."""
        self.resident = item
        linked = item is not None
        for widget in (self.name, self.id_number, self.gender):
            widget.setEnabled(not linked)
        self.unlink.setVisible(linked)
        if linked:
            self.chosen.setText(_("{name}, {address}").format(name=item["name"], address=item.get("address") or "—"))
            self.chosen.setObjectName("sectionTitle")
            self.name.setText(item["name"])
            self.id_number.setText(idnumber.mask(item.get("id_number")))   # the register's, never retyped here
            self.gender.setCurrentIndex(max(self.gender.findData(item.get("gender")), 0))
            if not keep_phone:   # empty keeps the register's phone, which the form shows only masked
                self.phone.clear()
                self.phone.setPlaceholderText(_("empty: the resident's phone {phone}").format(
                    phone=phone.mask(item.get("phone"))) if item.get("phone") else _("mobile or landline with area code"))
        else:
            if "*" in self.id_number.text():   # the masked number of the resident unlinked: type the person's own
                self.id_number.clear()
            self.chosen.setText(_("Not a resident of the register: type the person below"))
            self.chosen.setObjectName("muted")
        self.chosen.setStyleSheet("")   # the object name changed: polish again
        self._read_id_number()
        self.check()

    def _read_id_number(self, *_args) -> None:
        typed = idnumber.normalize(self.id_number.text())
        if len(typed) < 18 and len(typed) != 15:
            self.id_hint.setText(_("{count} of 18 characters").format(count=len(typed)) if typed else "")
            return
        try:
            parsed = idnumber.parse(typed, self.today())
        except idnumber.IdNumberError:
            self.id_hint.setText("")
            return
        self.id_hint.setText(_("Born {birth}, {sex}").format(birth=parsed.birth_date.isoformat(),
                                                             sex=label(GENDERS, parsed.gender)))
        if self.gender.currentData() is None:
            self.gender.setCurrentIndex(self.gender.findData(parsed.gender))
        self.check()

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.search.hasFocus():
            return  # the search box picks the resident with Enter
        super().keyPressEvent(event)

    # --- checking and saving -------------------------------------------------------------------------------------
    def skills(self) -> list[dict]:
        chosen = [{"skill": code, "level": level.value()} for code, (box, level) in self.skill_boxes.items() if box.isChecked()]
        return chosen + service.parse_skills(self.other_skills.text())

    def values(self) -> dict:
        return {"resident_id": self.resident["id"] if self.resident else None, "name": self.name.text(),
                "id_number": self.id_number.text(), "gender": self.gender.currentData(), "phone": self.phone.text(),
                "party_member": self.party.isChecked(), "serving_party_member": self.serving.isChecked(),
                "active": self.active.isChecked(), "employer": self.employer.text(),
                "availability": self.availability.text(), "joined_on": self.joined.text(), "notes": self.notes.text(),
                "skills": self.skills(),
                "team_ids": [key for key, box in self.team_boxes.items() if box.isChecked()]   # and teams not offered here
                + [t["id"] for t in self.current.get("teams", []) if t["id"] not in self.team_boxes]}

    def clean(self, values: dict, saving: bool) -> None:
        if values["resident_id"]:
            rules.clean_phone(values["phone"])
            service.clean_common(values, self.today())
        else:
            typed = idnumber.normalize(values["id_number"])
            if not saving and typed and len(typed) < 18 and len(typed) != 15:
                values = dict(values, id_number="")   # still typing it: the hint counts the characters
            service.clean_volunteer(values, self.today())
        service.clean_skills(values["skills"])

    def accept(self) -> None:
        if self.search.hasFocus() and self.search.results.isVisible():
            return
        super().accept()

    def save(self, session: Session, values: dict) -> str:
        values = dict(values)
        skills, team_ids = values.pop("skills"), values.pop("team_ids")
        if self.current:
            service.edit_volunteer(session, self.current["id"], values, skills=skills, team_ids=team_ids,
                                   expected_version=self.current["version"])
            return self.current["id"]
        return service.register_volunteer(session, values, skills=skills, team_ids=team_ids)


class ActivityDialog(RecordDialog):
    """A new activity (``current`` None) or one to edit: title, kind, day and times, place, organiser, team."""

    def __init__(self, taskman: TaskManager, choices: dict, current: dict | None = None, parent: QWidget | None = None,
                 today: Callable[[], date] = date.today, organiser: str = ""):
        super().__init__(_("Edit activity") if current else _("New activity"), taskman, parent)
        self.current = current or {}
        c = self.current
        self.title_edit = QLineEdit(c.get("title", ""))
        self.title_edit.setPlaceholderText(_("e.g. clean-up of the green belt"))
        self.kind = _combo(ACTIVITY_KINDS, c.get("kind", "cleanup"), numbered=True)
        starts = c.get("starts_at") or "{day}T09:00:00".format(day=today().isoformat())
        ends = c.get("ends_at") or "{day}T11:00:00".format(day=today().isoformat())
        self.day = QDateEdit(QDate.fromString(starts[:10], "yyyy-MM-dd"))
        self.day.setDisplayFormat("yyyy-MM-dd")
        self.day.setCalendarPopup(True)
        self.start = QTimeEdit(QTime.fromString(starts[11:16], "HH:mm"))
        self.end = QTimeEdit(QTime.fromString(ends[11:16], "HH:mm"))
        for edit in (self.start, self.end):
            edit.setDisplayFormat("HH:mm")
        self.length = QLabel("")
        self.length.setObjectName("muted")
        times = QWidget()
        row = QHBoxLayout(times)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.start)
        row.addWidget(QLabel("–"))
        row.addWidget(self.end)
        row.addWidget(self.length, 1)
        self.estate = QComboBox()
        self.estate.setEditable(True)
        self.estate.addItems([""] + choices.get("estates", []))
        self.estate.setCurrentText(c.get("estate", ""))
        self.place = QLineEdit(c.get("place", ""))
        self.place.setPlaceholderText(_("e.g. the square of the estate, the station's activity room"))
        self.organiser = QComboBox()
        self.organiser.setEditable(True)
        names = list(dict.fromkeys(([organiser] if organiser else []) + choices.get("organisers", [])))
        self.organiser.addItems(names)
        self.organiser.setCurrentText(c.get("organiser", organiser))
        self.team = QComboBox()
        self.team.addItem(_("(no team)"), None)
        for item in choices.get("teams", []):
            self.team.addItem(item["name"], item["id"])
        self.team.setCurrentIndex(max(self.team.findData(c.get("team_id")), 0))
        self.description = QLineEdit(c.get("description", ""))

        self.add_field("title", _("Title of the activity"), self.title_edit, required=True)
        self.add_field("kind", _("Kind"), self.kind)
        self.add_field("day", _("Day"), self.day)
        self.add_field("ends_at", _("From – to"), times)
        self._order[-1:] = [self.start, self.end]
        self.add_field("estate", _("Estate"), self.estate)
        self.add_field("place", _("Place"), self.place)
        self.add_field("organiser", _("Organiser"), self.organiser)
        self.add_field("team_id", _("Team"), self.team)
        self.add_field("description", _("Description"), self.description)
        for edit in (self.day, self.start, self.end):
            edit.dateTimeChanged.connect(self.recheck)
        self.estate.lineEdit().textEdited.connect(self.recheck)
        self.finish_layout()
        self.check()

    def span(self):
        return service.activity_span(self.day.date().toPython(), self.start.time().toPython(), self.end.time().toPython())

    def values(self) -> dict:
        return {"title": self.title_edit.text(), "kind": self.kind.currentData(), "estate": self.estate.currentText(),
                "place": self.place.text(), "organiser": self.organiser.currentText(), "team_id": self.team.currentData(),
                "description": self.description.text(), "span": (self.day.date().toPython(), self.start.time().toPython(),
                                                                 self.end.time().toPython())}

    def _cleaned(self, values: dict) -> dict:
        starts, ends = service.activity_span(*values["span"])
        return service.clean_activity(dict(values, starts_at=starts, ends_at=ends))

    def clean(self, values: dict, saving: bool) -> None:
        self.length.setText("")
        if not saving and not values["title"].strip():
            values = dict(values, title="…")   # say the hours while the title is still to come
        cleaned = self._cleaned(values)
        night = cleaned["ends_at"][:10] != cleaned["starts_at"][:10]
        self.length.setText((_("ends the next day, ") if night else "") + _("{hours} hours each (in half hours)").format(
            hours=hours_text(cleaned["hours"])))

    def save(self, session: Session, values: dict) -> str:
        cleaned = self._cleaned(values)
        if self.current:
            service.edit_activity(session, self.current["id"], cleaned, expected_version=self.current["version"])
            return self.current["id"]
        return service.create_activity(session, cleaned)


class TeamDialog(RecordDialog):
    """A new team, or a team to rename, describe and give a leader (one of its members)."""

    def __init__(self, taskman: TaskManager, current: dict | None = None, parent: QWidget | None = None):
        super().__init__(_("Edit team") if current else _("New team"), taskman, parent)
        self.current = current or {}
        c = self.current
        self.name = QLineEdit(c.get("name", ""))
        self.name.setPlaceholderText(_("e.g. party members' vanguard team"))
        self.description = QLineEdit(c.get("description", ""))
        self.leader = QComboBox()
        self.leader.addItem(_("(no leader)"), None)
        for member in c.get("members", []):
            self.leader.addItem(member["name"], member["id"])
        self.leader.setCurrentIndex(max(self.leader.findData(c.get("leader_id")), 0))
        self.add_field("name", _("Team"), self.name, required=True)
        self.add_field("description", _("Description"), self.description)
        if c.get("members"):
            self.add_field("leader_id", _("Leader"), self.leader)
        self.finish_layout()

    def values(self) -> dict:
        return {"name": self.name.text(), "description": self.description.text(), "leader_id": self.leader.currentData()}

    def clean(self, values: dict, saving: bool) -> None:
        if not values["name"].strip():
            raise rules.FieldError("name", _("A team needs a name"))

    def save(self, session: Session, values: dict) -> str:
        if self.current:
            leader = values["leader_id"] if self.current.get("members") else self.current.get("leader_id")
            service.edit_team(session, self.current["id"], name=values["name"], description=values["description"],
                              leader_id=leader)
            return self.current["id"]
        return service.create_team(session, values["name"], description=values["description"])


class VolunteerPicker(QDialog):
    """Choose volunteers from a list filtered as you type (name, pinyin, phone tail); Space ticks, Enter takes them."""

    def __init__(self, title: str, volunteers: list[dict], *, leave_out: set[str] = frozenset(),
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setStyleSheet(STYLE_SHEET)
        self.setMinimumSize(640, 460)
        self.volunteers = [v for v in volunteers if v["id"] not in leave_out]
        self.chosen: list[str] = []
        self._ticked: set[str] = set()
        layout = QVBoxLayout(self)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText(_("name, pinyin initials or phone tail; Down to the list, Space ticks"))
        self.filter.textChanged.connect(self._show)
        layout.addWidget(self.filter)
        self.list = QListWidget()
        self.list.itemChanged.connect(self._ticked_changed)
        layout.addWidget(self.list, 1)
        self.count = QLabel("")
        self.count.setObjectName("muted")
        layout.addWidget(self.count)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("Add"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Cancel"))
        for button in buttons.buttons():
            button.setIcon(QIcon())
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._show()
        self.filter.setFocus()

    def _show(self, *_args) -> None:
        query = self.filter.text()
        self.list.blockSignals(True)
        self.list.clear()
        for item in self.volunteers:
            if not service.matches(item, query):
                continue
            facts = join_groups(part for part in (skills_text(item["skills"]), teams_text(item["teams"])) if part)
            entry = QListWidgetItem("{name}    {facts}".format(name=item["name"], facts=facts))
            entry.setData(Qt.ItemDataRole.UserRole, item["id"])
            entry.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsUserCheckable)
            entry.setCheckState(Qt.CheckState.Checked if item["id"] in self._ticked else Qt.CheckState.Unchecked)
            self.list.addItem(entry)
        self.list.blockSignals(False)
        if self.list.count():
            self.list.setCurrentRow(0)
        self._count()

    def _ticked_changed(self, entry: QListWidgetItem) -> None:
        key = entry.data(Qt.ItemDataRole.UserRole)
        if entry.checkState() == Qt.CheckState.Checked:
            self._ticked.add(key)
        else:
            self._ticked.discard(key)
        self._count()

    def _count(self) -> None:
        self.count.setText(_("{shown} shown, {ticked} ticked").format(shown=self.list.count(), ticked=len(self._ticked)))

    def keyPressEvent(self, event) -> None:
        if self.filter.hasFocus() and event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up):
            self.list.setFocus()
            self.list.keyPressEvent(event)
            return
        super().keyPressEvent(event)

    def accept(self) -> None:
        """The ticked volunteers, or the one chosen in the list when none is ticked."""
        chosen = [v["id"] for v in self.volunteers if v["id"] in self._ticked]
        if not chosen and self.list.currentItem() is not None:
            chosen = [self.list.currentItem().data(Qt.ItemDataRole.UserRole)]
        if not chosen:
            return
        self.chosen = chosen
        super().accept()


# --- the volunteer's detail ---------------------------------------------------------------------------------------

class VolunteerPanel(QWidget):
    """One volunteer: who, skills, teams, the activities of the period with hours, the total."""

    edit_requested = Signal()
    certificate_requested = Signal()
    remove_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.item: dict | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 0, 0, 0)
        self.title = QLabel(_("Choose a volunteer on the left"))
        self.title.setObjectName("sectionTitle")
        self.facts = QLabel("")
        self.facts.setWordWrap(True)
        self.facts.setTextFormat(Qt.TextFormat.RichText)
        self.facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.title)
        layout.addWidget(self.facts)
        row, (self.edit_button, self.certificate_button, self.remove_button) = _buttons(
            (_("Edit…"), self.edit_requested.emit), (_("Print hours certificate"), self.certificate_requested.emit),
            (_("Delete"), self.remove_requested.emit))
        layout.addLayout(row)
        self.total = QLabel("")
        self.total.setObjectName("sectionTitle")
        self.total.setWordWrap(True)
        layout.addWidget(self.total)
        self.activities = _grid([_("Date"), _("Activity"), _("Signed up"), _("Attended"), _("Hours")])
        layout.addWidget(self.activities, 1)
        self.show_volunteer(None)

    def show_volunteer(self, item: dict | None, period: str = "") -> None:
        self.item = item
        for button in (self.edit_button, self.certificate_button, self.remove_button):
            button.setEnabled(item is not None)
        if item is None:
            self.title.setText(_("Choose a volunteer on the left"))
            self.facts.setText("")
            self.total.setText("")
            self.activities.setRowCount(0)
            return
        status = "" if item["active"] else _(" (no longer serving)")
        self.title.setText("{name}{status}".format(name=item["name"], status=status))
        lines = []
        who = [label(GENDERS, item["gender"]), phone.mask(item["phone"]), idnumber.mask(item["id_number"])]
        lines.append(" · ".join(p for p in who if p) or "—")
        lines.append(_("Resident of {address}").format(address=item["address"]) if item["resident_id"]
                     else _("Not a resident of the register"))
        if party_text(item):
            party = party_text(item)
            lines.append(_("{label}: {value}").format(label=party, value=item["employer"]) if item["employer"] else party)
        elif item["employer"]:
            lines.append(_("Employer: {employer}").format(employer=item["employer"]))
        lines.append(_("Skills: {skills}").format(skills=skills_text(item["skills"]) or "—"))
        lines.append(_("Teams: {teams}").format(teams=teams_text(item["teams"]) or "—"))
        if item["availability"]:
            lines.append(_("Availability: {text}").format(text=item["availability"]))
        if item["joined_on"]:
            lines.append(_("Joined on {day}").format(day=item["joined_on"]))
        if item["notes"]:
            lines.append(item["notes"])
        self.facts.setText("<br>".join(html.escape(line) for line in lines))
        attended = sum(1 for a in item["activities"] if a["attended"])
        if item["hours"] == item["hours_all_time"]:   # the period holds all they served
            self.total.setText(_("{period}: {hours} hours in {count} activities").format(
                period=period, hours=hours_text(item["hours"]), count=attended))
        else:
            self.total.setText(_("{period}: {hours} hours in {count} activities (all time: {all} hours)").format(
                period=period, hours=hours_text(item["hours"]), count=attended, all=hours_text(item["hours_all_time"])))
        rows = [[a["starts_at"][:10], a["title"], _("yes") if a["signed_up"] else "", _("yes") if a["attended"] else "",
                 hours_text(a["credited"]) if a["attended"] else ""] for a in item["activities"]]
        _fill(self.activities, rows, [a["activity_id"] for a in item["activities"]], aligned=(4,))


# --- the activity's attendance -----------------------------------------------------------------------------------

class HoursDelegate(QStyledItemDelegate):
    """Hours typed or stepped in half hours (Up/Down), 0 to 24."""

    def createEditor(self, parent, option, index):  # noqa: N802 - Qt's name
        editor = QDoubleSpinBox(parent)
        editor.setRange(0, service.MAX_HOURS)
        editor.setSingleStep(0.5)
        editor.setDecimals(1)
        editor.setFrame(False)
        return editor

    def setEditorData(self, editor, index):  # noqa: N802
        try:
            editor.setValue(float(index.data() or 0))
        except ValueError:
            editor.setValue(0)
        editor.selectAll()

    def setModelData(self, editor, model, index):  # noqa: N802
        editor.interpretText()
        model.setData(index, hours_text(editor.value()))


SIGNED, ATTENDED, HOURS = 1, 2, 3


class ActivityPanel(QWidget):
    """One activity: what, when, where, and the attendance list to tick; every tick is saved at once."""

    changed = Signal()
    edit_requested = Signal()
    remove_requested = Signal()
    add_requested = Signal()

    def __init__(self, taskman: TaskManager, parent: QWidget | None = None):
        super().__init__(parent)
        self.taskman = taskman
        self.item: dict | None = None
        self._pending = 0
        self._generation = 0
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 0, 0, 0)
        self.title = QLabel(_("Choose an activity on the left"))
        self.title.setObjectName("sectionTitle")
        self.title.setWordWrap(True)
        self.facts = QLabel("")
        self.facts.setWordWrap(True)
        self.facts.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.title)
        layout.addWidget(self.facts)
        row, (self.add_button, self.team_button, self.remove_attendee_button) = _buttons(
            (_("Sign up…"), self.add_requested.emit), (_("Sign up the team"), self.sign_up_team),
            (_("Take off"), self.remove_selected))
        layout.addLayout(row)
        row, (self.edit_button, self.remove_button) = _buttons(
            (_("Edit…"), self.edit_requested.emit), (_("Delete activity"), self.remove_requested.emit))
        layout.addLayout(row)
        self.total = QLabel("")
        self.total.setObjectName("sectionTitle")
        self.total.setWordWrap(True)
        layout.addWidget(self.total)
        hint = QLabel(_("Space ticks signed up or attended; type a number in Hours for other hours (Up/Down by half hours)."))
        hint.setObjectName("muted")
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels([_("Name"), _("Signed up"), _("Attended"), _("Hours"), _("Note")])
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(26)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.AnyKeyPressed | QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.table.setItemDelegateForColumn(HOURS, HoursDelegate(self.table))
        header = self.table.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        for column, width in enumerate([90, 48, 48, 64]):
            self.table.setColumnWidth(column, width)
        header.setStretchLastSection(True)
        self.table.itemChanged.connect(self._item_changed)
        layout.addWidget(self.table, 1)
        self.message = QLabel("")
        self.message.setObjectName("error")
        self.message.setWordWrap(True)
        self.message.hide()
        layout.addWidget(self.message)
        self._show(None)

    def show_activity(self, activity_id: str | None) -> None:
        self._generation += 1
        generation = self._generation
        if activity_id is None:
            self._show(None)
            return
        self.taskman.db(lambda session: service.activity_view(session.conn, activity_id),
                        lambda outcome: generation == self._generation and outcome.ok and self._show(outcome.value),
                        owner=self)

    def reload(self) -> None:
        self.show_activity(self.item["id"] if self.item else None)

    def _show(self, item: dict | None) -> None:
        same = item is not None and self.item is not None and item["id"] == self.item["id"]
        self.item = item
        for button in (self.edit_button, self.add_button, self.remove_attendee_button, self.remove_button):
            button.setEnabled(item is not None)
        self.team_button.setEnabled(bool(item and item["team_id"]))
        if not same:
            _message(self.message, "")
        if item is None:
            self.title.setText(_("Choose an activity on the left"))
            self.facts.setText("")
            self.total.setText("")
            self.table.setRowCount(0)
            return
        self.title.setText(item["title"])
        facts = [label(ACTIVITY_KINDS, item["kind"]), time_span_text(item),
                 _("{hours} hours by default").format(hours=hours_text(item["hours"]))]
        place = place_text(item)
        if place:
            facts.append(place)
        if item["organiser"]:
            facts.append(_("organised by {name}").format(name=item["organiser"]))
        if item["team_name"]:
            facts.append(item["team_name"])
        self.facts.setText(" · ".join(facts) + ("\n" + item["description"] if item["description"] else ""))
        self._show_totals()
        self._fill(item["attendance"])

    def _show_totals(self) -> None:
        rows = self.item["attendance"]
        self.total.setText(_("{signed} signed up, {attended} attended, {hours} hours in all").format(
            signed=sum(1 for r in rows if r["signed_up"]), attended=sum(1 for r in rows if r["attended"]),
            hours=hours_text(self.item["total_hours"])))

    def _fill(self, rows: list[dict]) -> None:
        """Put the rows in the table; the same volunteers in the same order are updated in place (the cursor stays)."""
        self.table.blockSignals(True)
        keys = [self.table.item(n, 0).data(Qt.ItemDataRole.UserRole) for n in range(self.table.rowCount())]
        if keys != [r["volunteer_id"] for r in rows]:
            self.table.setRowCount(0)
            self.table.setRowCount(len(rows))
            for number, row in enumerate(rows):
                self.table.setItem(number, 0, _cell(row["name"], row["volunteer_id"]))
                for column in (SIGNED, ATTENDED):
                    tick = QTableWidgetItem("")
                    tick.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsUserCheckable)
                    self.table.setItem(number, column, tick)
                hours = QTableWidgetItem("")
                hours.setTextAlignment(RIGHT)
                hours.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEditable)
                self.table.setItem(number, HOURS, hours)
                self.table.setItem(number, 4, _cell(""))
        editing = self.table.currentIndex() if self.table.state() == QAbstractItemView.State.EditingState else None
        for number, row in enumerate(rows):
            for column, on in ((SIGNED, row["signed_up"]), (ATTENDED, row["attended"])):
                self.table.item(number, column).setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
            if editing is None or (editing.row(), editing.column()) != (number, HOURS):   # hours being typed stay
                self.table.item(number, HOURS).setText(hours_text(row["hours"]) if row["attended"] else "")
            note = _("adjusted (default {hours})").format(hours=hours_text(self.item["hours"])) if row["adjusted"] else \
                ("" if row["active"] else _("no longer serving"))
            self.table.item(number, 4).setText(note)
        self.table.blockSignals(False)

    def row_of(self, volunteer_id: str) -> int | None:
        return next((n for n in range(self.table.rowCount())
                     if self.table.item(n, 0).data(Qt.ItemDataRole.UserRole) == volunteer_id), None)

    def _item_changed(self, cell: QTableWidgetItem) -> None:
        if self.item is None:
            return
        volunteer_id = self.table.item(cell.row(), 0).data(Qt.ItemDataRole.UserRole)
        if cell.column() == SIGNED:
            self.record(volunteer_id, signed_up=cell.checkState() == Qt.CheckState.Checked)
        elif cell.column() == ATTENDED:
            self.record(volunteer_id, attended=cell.checkState() == Qt.CheckState.Checked)
        elif cell.column() == HOURS:
            typed = cell.text().strip()
            if typed:
                self.record(volunteer_id, hours=typed)
            else:
                self.record(volunteer_id, attended=False)

    def record(self, volunteer_id: str, **change) -> None:
        """Save one change of a volunteer's row (signed_up, attended or hours) on the database thread."""
        activity_id = self.item["id"]
        self._pending += 1
        self.taskman.db(lambda session: service.set_attendance(session, activity_id, volunteer_id, **change),
                        self._recorded, owner=self)

    def _recorded(self, outcome: Outcome) -> None:
        self._pending -= 1
        if outcome.error is not None:
            if not isinstance(outcome.error, RedStationError):
                raise outcome.error
            _message(self.message, str(outcome.error))
            self.reload()
            return
        if outcome.ok and self._pending == 0:   # the last of a quick run of ticks shows them all
            _message(self.message, "")
            self._show(outcome.value)
            self.changed.emit()

    @property
    def busy(self) -> bool:
        return self._pending > 0

    def sign_up(self, volunteer_ids: list[str]) -> None:
        activity_id = self.item["id"]
        self._pending += 1
        self.taskman.db(lambda session: service.sign_up(session, activity_id, volunteer_ids), self._recorded, owner=self)

    def sign_up_team(self) -> None:
        if not self.item or not self.item["team_id"]:
            return
        activity_id = self.item["id"]
        self._pending += 1
        self.taskman.db(lambda session: service.sign_up_team(session, activity_id), self._recorded, owner=self)

    def remove_selected(self) -> None:
        if self.item is None or self.table.currentRow() < 0:
            return
        row = self.table.currentRow()
        volunteer_id = self.table.item(row, 0).data(Qt.ItemDataRole.UserRole)
        activity_id = self.item["id"]
        self._pending += 1
        self.taskman.db(lambda session: service.remove_attendee(session, activity_id, volunteer_id), self._recorded,
                        owner=self)


# --- the team's detail -------------------------------------------------------------------------------------------

class TeamPanel(QWidget):
    """One team: its leader and members with the hours each served in the period, and the team's activities."""

    edit_requested = Signal()
    add_requested = Signal()
    leader_requested = Signal()
    remove_member_requested = Signal()
    remove_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.item: dict | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 0, 0, 0)
        self.title = QLabel(_("Choose a team on the left"))
        self.title.setObjectName("sectionTitle")
        self.facts = QLabel("")
        self.facts.setWordWrap(True)
        self.facts.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.title)
        layout.addWidget(self.facts)
        row, members = _buttons((_("Add members…"), self.add_requested.emit), (_("Make leader"), self.leader_requested.emit),
                                (_("Take out of the team"), self.remove_member_requested.emit))
        layout.addLayout(row)
        row, team = _buttons((_("Edit…"), self.edit_requested.emit), (_("Disband"), self.remove_requested.emit))
        layout.addLayout(row)
        self.buttons = members + team
        self.members = _grid([_("Name"), _("Role"), _("Skills"), _("Hours served")], stretch=2)
        layout.addWidget(self.members, 2)
        layout.addWidget(QLabel(_("The team's activities in the period")))
        self.activities = _grid([_("Time"), _("Activity"), _("Attended"), _("Hours served")])
        layout.addWidget(self.activities, 1)
        self.show_team(None)

    def show_team(self, item: dict | None, period: str = "") -> None:
        self.item = item
        for button in self.buttons:
            button.setEnabled(item is not None)
        if item is None:
            self.title.setText(_("Choose a team on the left"))
            self.facts.setText("")
            self.members.setRowCount(0)
            self.activities.setRowCount(0)
            return
        self.title.setText(item["name"])
        self.facts.setText("\n".join(part for part in (
            item["description"], _("Leader: {name}").format(name=item["leader_name"] or "—"),
            _("{period}: {count} activities, {hours} hours served at them").format(
                period=period, count=item["activities"], hours=hours_text(item["hours"]))) if part))
        _fill(self.members, [[m["name"], _("Leader") if m["leader"] else _("Member"), skills_text(m["skills"]),
                              hours_text(m["hours"])] for m in item["members"]],
              [m["id"] for m in item["members"]], aligned=(3,))
        _fill(self.activities, [[a["starts_at"][:10], a["title"], str(a["attended"]), hours_text(a["total_hours"])]
                                for a in item["activity_list"]], [a["id"] for a in item["activity_list"]], aligned=(2, 3))

    def selected_member(self) -> str | None:
        return _selected_key(self.members)


# --- the page ------------------------------------------------------------------------------------------------------

class VolunteersPage(Page):
    """Volunteers, activities and teams, with one period for the hours."""

    data_changed = Signal()
    TABS = ("volunteers", "activities", "teams")

    def __init__(self, taskman: TaskManager, parent: QWidget | None = None, today: Callable[[], date] = date.today):
        super().__init__(_("Volunteers"), parent)
        self.taskman = taskman
        self.today = today
        self.choices: dict = {"teams": [], "estates": [], "organisers": [], "skills": list(SKILLS), "volunteers": []}
        self._started = False
        self.dialog: QDialog | None = None
        self.print_job = None
        self._typed = QTimer(self)   # a filter typed: look a moment after the last key
        self._typed.setSingleShot(True)
        self._typed.setInterval(150)
        self._typed.timeout.connect(self.refresh)

        self.new_volunteer_button = QPushButton(_("Register a volunteer"))
        needs("volunteer.create", self.new_volunteer_button)
        self.new_volunteer_button.clicked.connect(lambda: self.new_volunteer())
        self.new_activity_button = QPushButton(_("New activity"))
        needs("activity.create", self.new_activity_button)
        self.new_activity_button.clicked.connect(lambda: self.new_activity())
        self.new_team_button = QPushButton(_("New team"))
        needs("team.create", self.new_team_button)
        self.new_team_button.clicked.connect(lambda: self.new_team())
        for button in (self.new_team_button, self.new_activity_button, self.new_volunteer_button):
            button.setToolTip(_("Ctrl+N on its tab"))
            self.header_row.addWidget(button)
        shortcut = QShortcut(QKeySequence("Ctrl+N"), self, self._new_on_tab)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)

        top = QHBoxLayout()
        self.tabs = QTabBar()
        for caption in (_("Volunteers"), _("Activities"), _("Teams")):
            self.tabs.addTab(caption)
        top.addWidget(self.tabs)
        top.addSpacing(16)
        self.period = PeriodBox(today)
        self.period.changed.connect(self.refresh)
        top.addWidget(self.period)
        top.addStretch(1)
        self.summary = QLabel("")
        self.summary.setObjectName("muted")
        top.addWidget(self.summary)
        self.body.addLayout(top)
        self.saved = QLabel("")
        self.saved.setObjectName("success")
        self.saved.hide()
        self.body.addWidget(self.saved)
        self.stack = QStackedWidget()
        self.body.addWidget(self.stack, 1)
        self.tabs.currentChanged.connect(self._tab_changed)

        # volunteers
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        filters = QHBoxLayout()
        self.query = QLineEdit()
        self.query.setPlaceholderText(_("name, pinyin or phone tail"))
        self.query.setClearButtonEnabled(True)
        self.query.setFixedWidth(190)
        self.query.textChanged.connect(lambda _text: self._typed.start())
        self.skill = QComboBox()
        self.team = QComboBox()
        self.party = QComboBox()
        for caption, code in ((_("Everyone"), None), (_("Party members"), "member"), (_("Serving party members"), "serving")):
            self.party.addItem(caption, code)
        self.status = QComboBox()
        for caption, code in ((_("Active"), True), (_("No longer serving"), False), (_("All"), None)):
            self.status.addItem(caption, code)
        filters.addWidget(self.query)
        for caption, combo in ((_("Skill"), self.skill), (_("Team"), self.team), (_("Party"), self.party),
                               (_("Status"), self.status)):
            filters.addWidget(QLabel(caption))
            filters.addWidget(combo)
            combo.currentIndexChanged.connect(self.refresh_volunteers)
        filters.addStretch(1)
        layout.addLayout(filters)
        self.volunteer_model = ListTableModel(volunteer_columns(), self)
        self.volunteer_table = _table(self.volunteer_model, [64, 40, 96, 70, 150, 130, 64])
        self.volunteer_table.selectionModel().currentRowChanged.connect(self._volunteer_chosen)
        self.volunteer_table.activated.connect(lambda _index: self.edit_volunteer())
        self.volunteer_panel = VolunteerPanel()
        self.volunteer_panel.edit_requested.connect(self.edit_volunteer)
        self.volunteer_panel.certificate_requested.connect(lambda: self.print_certificate())
        self.volunteer_panel.remove_requested.connect(self.remove_volunteer)
        layout.addWidget(self._split(self.volunteer_table, self.volunteer_panel), 1)
        self.stack.addWidget(box)

        # activities
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        filters = QHBoxLayout()
        self.activity_query = QLineEdit()
        self.activity_query.setPlaceholderText(_("title, place or organiser"))
        self.activity_query.setClearButtonEnabled(True)
        self.activity_query.setFixedWidth(190)
        self.activity_query.textChanged.connect(lambda _text: self._typed.start())
        self.kind = QComboBox()
        self.kind.addItem(_("All kinds"), None)
        for code in ACTIVITY_KINDS:
            self.kind.addItem(label(ACTIVITY_KINDS, code), code)
        self.activity_team = QComboBox()
        filters.addWidget(self.activity_query)
        for caption, combo in ((_("Kind"), self.kind), (_("Team"), self.activity_team)):
            filters.addWidget(QLabel(caption))
            filters.addWidget(combo)
            combo.currentIndexChanged.connect(self.refresh_activities)
        filters.addStretch(1)
        layout.addLayout(filters)
        self.activity_model = ListTableModel(activity_columns(), self)
        self.activity_table = _table(self.activity_model, [150, 180, 70, 120, 40, 40, 50])
        self.activity_table.selectionModel().currentRowChanged.connect(self._activity_chosen)
        self.activity_table.activated.connect(lambda _index: self.activity_panel.table.setFocus())
        self.activity_panel = ActivityPanel(taskman)
        self.activity_panel.changed.connect(self._attendance_changed)
        self.activity_panel.edit_requested.connect(self.edit_activity)
        self.activity_panel.remove_requested.connect(self.remove_activity)
        self.activity_panel.add_requested.connect(self.sign_up)
        layout.addWidget(self._split(self.activity_table, self.activity_panel), 1)
        self.stack.addWidget(box)

        # teams
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        self.team_model = ListTableModel(team_columns(), self)
        self.team_table = _table(self.team_model, [130, 70, 50, 70, 90])
        self.team_table.selectionModel().currentRowChanged.connect(self._team_chosen)
        self.team_table.activated.connect(lambda _index: self.edit_team())
        self.team_panel = TeamPanel()
        self.team_panel.edit_requested.connect(self.edit_team)
        self.team_panel.add_requested.connect(self.add_team_members)
        self.team_panel.leader_requested.connect(self.make_leader)
        self.team_panel.remove_member_requested.connect(self.remove_team_member)
        self.team_panel.remove_requested.connect(self.remove_team)
        layout.addWidget(self._split(self.team_table, self.team_panel), 1)
        self.stack.addWidget(box)
        self._refill_filters()

    @staticmethod
    def _split(table: QWidget, panel: QWidget) -> QSplitter:
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(table)
        splitter.addWidget(panel)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([680, 420])
        return splitter

    # --- loading ----------------------------------------------------------------------------------------------------
    def activated(self) -> None:
        if not self._started:
            self._started = True
            self.load_choices()
        self.refresh()
        [self.volunteer_table, self.activity_table, self.team_table][self.tabs.currentIndex()].setFocus()

    def load_choices(self) -> None:
        self.taskman.db(lambda session: service.choices(session.conn), self._choices_loaded, owner=self)

    def _choices_loaded(self, outcome: Outcome) -> None:
        if outcome.ok:
            self.choices = outcome.value
            self._refill_filters()

    def _refill_filters(self) -> None:
        for combo, items, everything in (
                (self.skill, [(service.skill_label(s), s) for s in self.choices["skills"]], _("All skills")),
                (self.team, [(t["name"], t["id"]) for t in self.choices["teams"]], _("All teams")),
                (self.activity_team, [(t["name"], t["id"]) for t in self.choices["teams"]], _("All teams"))):
            current = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(everything, None)
            for caption, key in items:
                combo.addItem(caption, key)
            combo.setCurrentIndex(max(combo.findData(current), 0))
            combo.blockSignals(False)

    def _tab_changed(self, index: int) -> None:
        self.stack.setCurrentIndex(index)
        self.refresh()

    def tab(self) -> str:
        return self.TABS[self.tabs.currentIndex()]

    def show_tab(self, name: str) -> None:
        self.tabs.setCurrentIndex(self.TABS.index(name))

    def refresh(self) -> None:
        {"volunteers": self.refresh_volunteers, "activities": self.refresh_activities,
         "teams": self.refresh_teams}[self.tab()]()

    def refresh_volunteers(self, *_args) -> None:
        filters = {"query": self.query.text(), "active": self.status.currentData(), "skill": self.skill.currentData(),
                   "team_id": self.team.currentData(), "party": self.party.currentData()}
        start, end = self.period.dates()
        self.taskman.db(lambda session: service.volunteer_list(session.conn, start=start, end=end, **filters),
                        self._volunteers_loaded, owner=self)

    def _volunteers_loaded(self, outcome: Outcome) -> None:
        if outcome.error is not None:
            self.summary.setText(_("The volunteers could not be read: {error}").format(error=outcome.error))
            return
        if not outcome.ok or self.tab() != "volunteers":
            return
        rows = outcome.value
        self._reselect(self.volunteer_table, self.volunteer_model, rows,
                       self.volunteer_panel.item["id"] if self.volunteer_panel.item else None)
        self.summary.setText(_("{count} volunteers, {hours} hours served in {period}").format(
            count=len(rows), hours=hours_text(sum(r["hours"] for r in rows)), period=self.period.text()))
        if not rows:
            self.volunteer_panel.show_volunteer(None)

    def refresh_activities(self, *_args) -> None:
        filters = {"query": self.activity_query.text(), "kind": self.kind.currentData(),
                   "team_id": self.activity_team.currentData()}
        start, end = self.period.dates()
        self.taskman.db(lambda session: service.activity_list(session.conn, start=start, end=end, **filters),
                        self._activities_loaded, owner=self)

    def _activities_loaded(self, outcome: Outcome) -> None:
        if outcome.error is not None:
            self.summary.setText(_("The activities could not be read: {error}").format(error=outcome.error))
            return
        if not outcome.ok or self.tab() != "activities":
            return
        rows = outcome.value
        self._reselect(self.activity_table, self.activity_model, rows,
                       self.activity_panel.item["id"] if self.activity_panel.item else None)
        self.summary.setText(_("{count} activities, {attended} attendances, {hours} hours served in {period}").format(
            count=len(rows), attended=sum(r["attended"] for r in rows), hours=hours_text(sum(r["total_hours"] for r in rows)),
            period=self.period.text()))
        if not rows:
            self.activity_panel.show_activity(None)

    def refresh_teams(self, *_args) -> None:
        start, end = self.period.dates()
        self.taskman.db(lambda session: service.team_list(session.conn, start, end), self._teams_loaded, owner=self)

    def _teams_loaded(self, outcome: Outcome) -> None:
        if not outcome.ok or self.tab() != "teams":
            return
        rows = outcome.value
        self._reselect(self.team_table, self.team_model, rows, self.team_panel.item["id"] if self.team_panel.item else None)
        self.summary.setText(_("{count} teams").format(count=len(rows)))
        if not rows:
            self.team_panel.show_team(None)

    def _reselect(self, table: QTableView, model: ListTableModel, rows: list[dict], current: str | None) -> None:
        model.set_rows(rows)
        number = next((i for i, r in enumerate(rows) if r["id"] == current), 0 if rows else None)
        if number is not None:
            table.selectRow(number)

    # --- choosing -----------------------------------------------------------------------------------------------------
    def _volunteer_chosen(self, current, _previous=None) -> None:
        row = self.volunteer_model.row(current.row()) if current.isValid() else None
        self.show_volunteer(row["id"] if row else None)

    def show_volunteer(self, volunteer_id: str | None) -> None:
        if volunteer_id is None:
            self.volunteer_panel.show_volunteer(None)
            return
        start, end = self.period.dates()
        period = self.period.text()
        self.taskman.db(lambda session: service.volunteer_view(session.conn, volunteer_id, start, end),
                        lambda outcome: outcome.ok and self.volunteer_panel.show_volunteer(outcome.value, period),
                        owner=self)

    def _activity_chosen(self, current, _previous=None) -> None:
        row = self.activity_model.row(current.row()) if current.isValid() else None
        self.activity_panel.show_activity(row["id"] if row else None)

    def _team_chosen(self, current, _previous=None) -> None:
        row = self.team_model.row(current.row()) if current.isValid() else None
        self.show_team(row["id"] if row else None)

    def show_team(self, team_id: str | None) -> None:
        if team_id is None:
            self.team_panel.show_team(None)
            return
        start, end = self.period.dates()
        period = self.period.text()
        self.taskman.db(lambda session: service.team_view(session.conn, team_id, start, end),
                        lambda outcome: outcome.ok and self.team_panel.show_team(outcome.value, period), owner=self)

    def _changed(self, text: str = "") -> None:
        """Something was saved: say so, load the lists and choices again, tell the dashboard."""
        _message(self.saved, text)
        self.load_choices()
        self.refresh()
        self.data_changed.emit()

    def _attendance_changed(self) -> None:
        """An attendance was saved: the activity's row in the list shows the new counts (the cursor stays)."""
        item = self.activity_panel.item
        for number, row in enumerate(self.activity_model.rows):
            if item is not None and row["id"] == item["id"]:
                row.update(signed_up=sum(1 for r in item["attendance"] if r["signed_up"]),
                           attended=sum(1 for r in item["attendance"] if r["attended"]), total_hours=item["total_hours"])
                model = self.activity_model
                model.dataChanged.emit(model.index(number, 0), model.index(number, model.columnCount() - 1))
        self.data_changed.emit()

    def _refused(self, title: str, outcome: Outcome) -> bool:
        if outcome.error is not None:
            if not isinstance(outcome.error, RedStationError):
                raise outcome.error
            QMessageBox.warning(self, title, str(outcome.error))
            return True
        return not outcome.ok

    # --- volunteers ---------------------------------------------------------------------------------------------------
    def _new_on_tab(self) -> None:
        {"volunteers": self.new_volunteer, "activities": self.new_activity, "teams": self.new_team}[self.tab()]()

    def _open(self, dialog: QDialog, done: Callable[[QDialog], None]) -> QDialog:
        dialog.accepted.connect(lambda: done(dialog))
        dialog.open()
        self.dialog = dialog
        return dialog

    def new_volunteer(self) -> VolunteerDialog:
        self.show_tab("volunteers")
        dialog = VolunteerDialog(self.taskman, self.choices["teams"], parent=self, today=self.today)
        return self._open(dialog, lambda d: self._volunteer_saved(d, _("Volunteer {name} registered.")))

    def _volunteer_saved(self, dialog: VolunteerDialog, text: str) -> None:
        self.volunteer_panel.item = {"id": dialog.result_id}   # select it once the list has it
        self.status.setCurrentIndex(self.status.findData(True if dialog.active.isChecked() else False))
        self._changed(text.format(name=dialog.name.text()))
        self.show_volunteer(dialog.result_id)

    def edit_volunteer(self) -> None:
        item = self.volunteer_panel.item
        if item is None or "version" not in item:
            return
        dialog = VolunteerDialog(self.taskman, self.choices["teams"], item, parent=self, today=self.today)
        self._open(dialog, lambda d: self._volunteer_saved(d, _("Volunteer {name} saved.")))

    def remove_volunteer(self) -> None:
        item = self.volunteer_panel.item
        if item is None:
            return
        answer = QMessageBox.question(self, _("Delete volunteer"), _(
            "Delete {name}? Use this for a record entered by mistake; for someone who stopped, untick 'still serving' "
            "instead.").format(name=item["name"]))
        if answer != QMessageBox.StandardButton.Yes:
            return
        volunteer_id = item["id"]
        self.taskman.db(lambda session: service.remove_volunteer(session, volunteer_id),
                        lambda outcome: self._refused(_("Delete volunteer"), outcome) or self._changed(
                            _("Volunteer {name} deleted.").format(name=item["name"])), owner=self)

    def print_certificate(self, save_to=None):
        item = self.volunteer_panel.item
        if item is None or "name" not in item:
            return None
        start, end = self.period.dates()
        volunteer_id = item["id"]
        self.print_job = print_document(
            self.taskman, lambda session, out: certificate_printing.certificate(session, volunteer_id, out, start=start,
                                                                                end=end),
            parent=self, file_name=_("hours-certificate-{name}.pdf").format(name=item["name"]), save_to=save_to)
        return self.print_job

    # --- activities ---------------------------------------------------------------------------------------------------
    def new_activity(self) -> ActivityDialog:
        self.show_tab("activities")
        actor = self.taskman.actor
        dialog = ActivityDialog(self.taskman, self.choices, parent=self, today=self.today,
                                organiser=actor.name if actor is not None else "")
        return self._open(dialog, self._activity_saved)

    def _activity_saved(self, dialog: ActivityDialog) -> None:
        self.activity_panel.item = {"id": dialog.result_id}
        day = dialog.day.date().toPython()
        first, last = self.period.dates()
        if first is not None and not first <= day <= last:   # show the period the activity is in
            self.period.set_dates(date(day.year, 1, 1), date(day.year, 12, 31))
        self._changed(_("Activity {title} saved.").format(title=dialog.title_edit.text()))
        self.activity_panel.show_activity(dialog.result_id)

    def edit_activity(self) -> None:
        item = self.activity_panel.item
        if item is None or "version" not in item:
            return
        self._open(ActivityDialog(self.taskman, self.choices, item, parent=self, today=self.today), self._activity_saved)

    def remove_activity(self) -> None:
        item = self.activity_panel.item
        if item is None or "title" not in item:
            return
        answer = QMessageBox.question(self, _("Delete activity"), _(
            "Delete the activity {title}? Its {hours} hours of service will no longer count for anyone.").format(
            title=item["title"], hours=hours_text(item["total_hours"])))
        if answer != QMessageBox.StandardButton.Yes:
            return
        activity_id = item["id"]
        self.activity_panel.item = None
        self.taskman.db(lambda session: service.remove_activity(session, activity_id),
                        lambda outcome: self._refused(_("Delete activity"), outcome) or self._changed(
                            _("Activity {title} deleted.").format(title=item["title"])), owner=self)

    def sign_up(self) -> VolunteerPicker | None:
        item = self.activity_panel.item
        if item is None or "attendance" not in item:
            return None
        dialog = VolunteerPicker(_("Sign up for {title}").format(title=item["title"]), self.choices["volunteers"],
                                 leave_out={r["volunteer_id"] for r in item["attendance"]}, parent=self)
        return self._open(dialog, lambda d: self.activity_panel.sign_up(d.chosen))

    # --- teams --------------------------------------------------------------------------------------------------------
    def new_team(self) -> TeamDialog:
        self.show_tab("teams")
        return self._open(TeamDialog(self.taskman, parent=self), self._team_saved)

    def _team_saved(self, dialog: TeamDialog) -> None:
        self.team_panel.item = {"id": dialog.result_id}
        self._changed(_("Team {name} saved.").format(name=dialog.name.text()))
        self.show_team(dialog.result_id)

    def edit_team(self) -> None:
        item = self.team_panel.item
        if item is None or "members" not in item:
            return
        self._open(TeamDialog(self.taskman, item, parent=self), self._team_saved)

    def _team_step(self, title: str, work: Callable[[Session], object], text: str) -> None:
        team_id = self.team_panel.item["id"]

        def done(outcome: Outcome) -> None:
            if not self._refused(title, outcome):
                self._changed(text)
                self.show_team(team_id)
        self.taskman.db(work, done, owner=self)

    def add_team_members(self) -> VolunteerPicker | None:
        item = self.team_panel.item
        if item is None or "members" not in item:
            return None
        dialog = VolunteerPicker(_("Members for {team}").format(team=item["name"]), self.choices["volunteers"],
                                 leave_out={m["id"] for m in item["members"]}, parent=self)
        team_id = item["id"]
        return self._open(dialog, lambda d: self._team_step(
            _("Add members…"), lambda session: service.add_members(session, team_id, d.chosen),
            _("{count} joined {team}.").format(count=len(d.chosen), team=item["name"])))

    def make_leader(self) -> None:
        item, member = self.team_panel.item, self.team_panel.selected_member()
        if item is None or member is None:
            return
        team_id = item["id"]
        name = next(m["name"] for m in item["members"] if m["id"] == member)
        self._team_step(_("Make leader"), lambda session: service.edit_team(session, team_id, leader_id=member),
                        _("{name} leads {team} now.").format(name=name, team=item["name"]))

    def remove_team_member(self) -> None:
        item, member = self.team_panel.item, self.team_panel.selected_member()
        if item is None or member is None:
            return
        team_id = item["id"]
        name = next(m["name"] for m in item["members"] if m["id"] == member)
        self._team_step(_("Take out of the team"), lambda session: service.remove_member(session, team_id, member),
                        _("{name} left {team}.").format(name=name, team=item["name"]))

    def remove_team(self) -> None:
        item = self.team_panel.item
        if item is None or "name" not in item:
            return
        answer = QMessageBox.question(self, _("Disband"), _(
            "Disband {team}? Its members stay volunteers and its activities keep their hours.").format(team=item["name"]))
        if answer != QMessageBox.StandardButton.Yes:
            return
        team_id = item["id"]
        self.team_panel.item = None
        self.taskman.db(lambda session: service.remove_team(session, team_id),
                        lambda outcome: self._refused(_("Disband"), outcome) or self._changed(
                            _("{team} disbanded.").format(team=item["name"])), owner=self)
