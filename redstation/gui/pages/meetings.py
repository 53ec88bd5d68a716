"""The meetings page (会议): round-table and joint meetings, their attendees, topics, resolutions and actions.

On the left the meetings, newest first, filtered by estate, kind and period; on the right
the chosen meeting as an editor: its header, then three tabs (attendees by party, topics in
order, follow-up actions with their progress). Keyboard first: Ctrl+N records a meeting,
F2 edits its header, Ctrl+P prints the minutes with a print preview; on each tab Insert
adds, Enter edits, Delete removes the chosen row. Each small form saves with Enter (in the
discussion and resolution boxes Shift+Enter starts a new line). An action becomes a ticket
with one click, of the kind and severity chosen beside the button; from then on the action
shows the ticket's status and whether its 5341 clock ran late.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from PySide6.QtCore import QDateTime, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDateTimeEdit, QHBoxLayout, QLabel, QLineEdit,
                               QListWidget, QListWidgetItem, QMessageBox, QPlainTextEdit, QPushButton, QSplitter,
                               QHeaderView, QTableView, QTabWidget, QVBoxLayout, QWidget)

from redstation.domain.vocab import (MEETING_KINDS, MEETING_PARTIES, TICKET_KINDS, TICKET_SEVERITIES, TICKET_STATUSES,
                                     label)
from redstation.gui.forms import RecordDialog
from redstation.gui.models import Column, ListTableModel
from redstation.gui.pages import Page, needs
from redstation.gui.printing import print_document
from redstation.gui.search import SearchBox
from redstation.gui.tasks import Outcome, TaskManager
from redstation.i18n import N_, _, join_list
from redstation.printing import minutes as minutes_printing
from redstation.services import meetings as meeting_service
from redstation.services.session import Session
from redstation.store import meetings as meeting_store

RED, ORANGE, GREEN, GREY = "#c0141c", "#a35a00", "#1d6b2a", "#777777"
CENTRE = Qt.AlignmentFlag.AlignCenter

# titles people usually hold at a meeting, by the party they represent (the form offers them; any may be typed)
JOB_TITLES = {
    "party_secretary": N_("Community Party secretary"),
    "branch_secretary": N_("Party branch secretary"),
    "committee_director": N_("Director of the residents' committee"),
    "committee_member": N_("Committee member"),
    "grid_worker": N_("Grid worker"),
    "owners_chair": N_("Chair of the owners' committee"),
    "owners_member": N_("Owners' committee member"),
    "station_manager": N_("Station manager"),
    "project_manager": N_("Property project manager"),
    "service_supervisor": N_("Customer service supervisor"),
    "police_officer": N_("Community police officer"),
    "residents_rep": N_("Residents' representative"),
    "building_leader": N_("Building leader"),
}
PARTY_TITLES = {
    "party": ["party_secretary", "branch_secretary"],
    "community": ["committee_director", "committee_member", "grid_worker"],
    "owners_committee": ["owners_chair", "owners_member"],
    "property": ["station_manager", "project_manager", "service_supervisor"],
    "police": ["police_officer"],
    "residents_rep": ["residents_rep", "building_leader"],
    "other": [],
}
PERSON_KINDS = {"resident": N_("Registered resident"), "user": N_("Staff"), "volunteer": N_("Volunteer")}
PERIODS = {0: N_("Any time"), 30: N_("Last 30 days"), 91: N_("Last 3 months"), 365: N_("Last 12 months")}


def actions_text(item: dict) -> str:
    """4 项：1 项未完成 / 4 项：1 项逾期 / 4 项，全部完成."""
    if not item["actions"]:
        return "—"
    if item["late_actions"]:
        return _("{count}: {late} overdue").format(count=item["actions"], late=item["late_actions"])
    if item["open_actions"]:
        return _("{count}: {open} open").format(count=item["actions"], open=item["open_actions"])
    return _("{count}: all done").format(count=item["actions"])


def meeting_columns() -> list[Column]:
    return [
        Column(_("Held"), lambda m: m["held_at"][:10]),
        Column(_("Kind"), lambda m: label(MEETING_KINDS, m["kind"])),
        Column(_("Meeting"), lambda m: m["title"]),
        Column(_("Follow-up actions"), actions_text,
               color=lambda m: RED if m["late_actions"] else (ORANGE if m["open_actions"] else None)),
    ]


def attendee_columns() -> list[Column]:
    return [
        Column(_("Party represented"), lambda a: label(MEETING_PARTIES, a["party"])),
        Column(_("Name"), lambda a: a["name"]),
        Column(_("Job title"), lambda a: a["title"]),
        Column(_("Entered from"), lambda a: label(PERSON_KINDS, a["person_kind"]) if a["person_kind"] else _("Typed in"),
               color=lambda a: None if a["person_kind"] else GREY),
    ]


def topic_columns() -> list[Column]:
    return [
        Column(_("No."), lambda t: str(t["number"]), CENTRE),
        Column(_("Topic"), lambda t: t["title"]),
        Column(_("Raised by"), lambda t: t["raised_by"]),
        Column(_("Resolution"), lambda t: t["resolution"].replace("\n", " ")),
        Column(_("Tickets discussed"), lambda t: join_list(x["number"] for x in t["tickets"])),
    ]


def progress_color(action: dict) -> str | None:
    state = action["progress"]
    if state in (meeting_service.LATE, meeting_service.TICKET_LATE):
        return RED
    if state in (meeting_service.DONE, meeting_service.TICKET_DONE):
        return GREEN
    return None


def ticket_text(action: dict) -> str:
    """The ticket's number (its status is in the progress column)."""
    return action["ticket"]["number"] if action["ticket"] else ""


def action_columns(today) -> list[Column]:
    return [
        Column(_("No."), lambda a: str(a["number"]), CENTRE),
        Column(_("Follow-up action"), lambda a: a["description"]),
        Column(_("Owner"), lambda a: a["owner"]),
        Column(_("Due by"), lambda a: a["due_date"] or "—"),
        Column(_("Progress"), lambda a: meeting_service.progress_text(a, today()), color=progress_color),
        Column(_("Ticket"), ticket_text, color=lambda a: RED if a["ticket"] and a["ticket"]["overdue"] else None),
    ]


def numbered_combo(vocab: dict[str, str], current: str | None) -> QComboBox:
    """A choice of a vocabulary with 1, 2, 3 … in front, so that a key chooses."""
    combo = QComboBox()
    for n, code in enumerate(vocab, start=1):
        combo.addItem("{n} {text}".format(n=n, text=label(vocab, code)), code)
    combo.setCurrentIndex(max(combo.findData(current), 0))
    return combo


def editable_combo(choices: list[str], current: str = "") -> QComboBox:
    combo = QComboBox()
    combo.setEditable(True)
    combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    combo.addItems([c for c in dict.fromkeys(choices) if c])
    combo.setCurrentText(current)
    return combo


class KeyTable(QTableView):
    """A table whose keys act on its rows: Insert, Delete, Ctrl+Up and Ctrl+Down, for the ``actions`` it is given
    (Enter is ``activated``)."""

    key_action = Signal(str)
    KEYS = {(Qt.Key.Key_Insert, False): "add", (Qt.Key.Key_Delete, False): "remove",
            (Qt.Key.Key_Up, True): "up", (Qt.Key.Key_Down, True): "down"}

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.actions_: set[str] = set()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        control = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        action = self.KEYS.get((event.key(), control))
        if action in self.actions_:
            self.key_action.emit(action)
            return
        super().keyPressEvent(event)


def table_view(model, widths: list[int]) -> QTableView:
    """A read-only table of rows; ``widths`` in pixels, 0 for the column that takes the room left (no side scrolling)."""
    table = KeyTable()
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.setTabKeyNavigation(False)  # Tab leaves the table for the buttons
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(26)
    header = table.horizontalHeader()
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    header.setStretchLastSection(0 not in widths)
    for column, width in enumerate(widths):
        if width:
            table.setColumnWidth(column, width)
        else:
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
    return table


class TextBox(QPlainTextEdit):
    """A few lines of text in a form: Tab moves on, Enter saves the form, Shift+Enter (or Ctrl+Enter) a new line."""

    textEdited = Signal()

    def __init__(self, text: str = "", parent: QWidget | None = None, lines: int = 3):
        super().__init__(parent)
        self.setPlainText(text)
        self.setTabChangesFocus(True)
        self.setFixedHeight(self.fontMetrics().lineSpacing() * lines + 14)
        self.textChanged.connect(self.textEdited.emit)

    def text(self) -> str:
        return self.toPlainText()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if event.modifiers() & (Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.ControlModifier):
                self.insertPlainText("\n")
            else:
                event.ignore()  # the form's default button: save
            return
        super().keyPressEvent(event)


class MeetingForm(RecordDialog):
    """A RecordDialog whose values are checked by one of the meeting service's ``clean_*`` functions (``FieldError``)."""

    def add_text(self, key: str, caption: str, widget: QWidget, **kwargs) -> None:
        """A field that ``add_field`` does not watch by itself (a text box, an editable combo)."""
        self.add_field(key, caption, widget, **kwargs)
        if isinstance(widget, TextBox):
            widget.textEdited.connect(self.recheck)
        elif isinstance(widget, QComboBox) and widget.isEditable():
            widget.lineEdit().textEdited.connect(self.recheck)

    def set_hint(self, text: str) -> None:
        """Say more than "Enter saves" under the form (call after ``finish_layout``)."""
        standard = _("Fields marked * are required. Enter saves, Esc cancels.")
        for caption in self.findChildren(QLabel):
            if caption.text() == standard:
                caption.setText(text)


# --- the meeting's header ---------------------------------------------------------------------------------------

class MeetingDialog(MeetingForm):
    """Record a meeting (``current`` None) or change its header: kind, title, estate, time, place, host, recorder."""

    def __init__(self, taskman: TaskManager, current: dict | None = None, *, estates: list[str] = (),
                 places: list[str] = (), people: list[str] = (), community: str = "", estate: str = "",
                 now: datetime | None = None, parent: QWidget | None = None):
        super().__init__(_("Edit the meeting") if current else _("Record a meeting"), taskman, parent)
        self.current = current or {}
        self.community = community
        c = self.current
        self.kind = numbered_combo(MEETING_KINDS, c.get("kind", "roundtable"))
        self.estate = editable_combo(list(estates), c.get("estate", estate))
        self.estate.lineEdit().setPlaceholderText(_("empty: the whole community"))
        self.title = QLineEdit(c.get("title", ""))
        self.title.setPlaceholderText(_("from the estate and kind unless typed"))
        self._title_typed = bool(current) and c.get("title") != self._default_title(c.get("kind"), c.get("estate", ""))
        held = datetime.fromisoformat(c["held_at"]) if c.get("held_at") else (now or datetime.now()).replace(
            minute=0, second=0, microsecond=0)
        self.held_at = QDateTimeEdit(QDateTime(held))
        self.held_at.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.held_at.setCalendarPopup(True)
        self.place = editable_combo(list(places), c.get("place", places[0] if places and not current else ""))
        self.host = editable_combo(list(people), c.get("host", ""))
        actor = taskman.actor.name if taskman.actor is not None else ""
        self.recorder = editable_combo(list(people), c.get("recorder", actor))
        self.summary = TextBox(c.get("summary", ""), lines=3)
        self.summary.setPlaceholderText(_("optional: what the meeting settled, in a few sentences"))
        self.add_field("kind", _("Kind of meeting"), self.kind, required=True)
        self.add_text("estate", _("Estate"), self.estate)
        self.add_text("title", _("Meeting title"), self.title, required=True)
        self.add_field("held_at", _("Date and time"), self.held_at, required=True)
        self.add_text("place", _("Place"), self.place)
        self.add_text("host", _("Host"), self.host)
        self.add_text("recorder", _("Recorder"), self.recorder)
        self.add_text("summary", _("Meeting summary"), self.summary)
        self.kind.currentIndexChanged.connect(self._retitle)
        self.estate.lineEdit().textEdited.connect(self._retitle)
        self.estate.currentIndexChanged.connect(self._retitle)
        self.title.textEdited.connect(self._title_edited)
        self.finish_layout()
        self.set_hint(_("Fields marked * are required. Enter saves (Shift+Enter: a new line in the summary), Esc cancels."))
        self._retitle()

    def _default_title(self, kind: str | None, estate: str) -> str:
        return meeting_service.default_title(kind or "roundtable", estate.strip() or self.community)

    def _title_edited(self, text: str) -> None:
        self._title_typed = bool(text.strip())

    def _retitle(self, *_changed) -> None:
        """The title follows the estate and kind until the user types one."""
        if not self._title_typed:
            self.title.setText(self._default_title(self.kind.currentData(), self.estate.currentText()))

    def values(self) -> dict:
        return {"kind": self.kind.currentData(), "estate": self.estate.currentText(), "title": self.title.text(),
                "held_at": self.held_at.dateTime().toPython(), "place": self.place.currentText(),
                "host": self.host.currentText(), "recorder": self.recorder.currentText(), "summary": self.summary.text()}

    def clean(self, values: dict, saving: bool) -> None:
        meeting_service.clean_meeting(values, self.community)

    def save(self, session: Session, values: dict) -> str:
        if self.current:
            meeting_service.edit_meeting(session, self.current["id"], values, expected_version=self.current["version"])
            return self.current["id"]
        return meeting_service.create_meeting(session, values)


# --- an attendee -------------------------------------------------------------------------------------------------

class AttendeeDialog(MeetingForm):
    """An attendee: the party, then a resident found as you type, a staff member or volunteer, or a name typed in."""

    def __init__(self, taskman: TaskManager, meeting_id: str, current: dict | None = None, *, party: str = "community",
                 people: list[dict] = (), parent: QWidget | None = None):
        super().__init__(_("Edit attendee") if current else _("Add an attendee"), taskman, parent)
        self.setMinimumSize(600, 420)   # room for the resident search's results
        self.meeting_id = meeting_id
        self.current = current or {}
        c = self.current
        self.person: dict | None = ({"kind": c["person_kind"], "id": c["person_id"], "name": c["name"]}
                                    if c.get("person_kind") else None)
        self.people = list(people)
        self.party = numbered_combo(MEETING_PARTIES, c.get("party", party))
        self.search = SearchBox(taskman, self)
        self.search.setPlaceholderText(_("A resident: name, pinyin initials, phone tail or building-room; Enter picks"))
        self.search.chosen.connect(self._resident_chosen)
        self.staff = QComboBox()
        self.staff.addItem(_("(none: a resident, or typed in below)"), None)
        for person in self.people:
            self.staff.addItem(_("{name} (staff)").format(name=person["name"]) if person["kind"] == "user"
                               else _("{name} (volunteer)").format(name=person["name"]), person)
        if self.person and self.person["kind"] != "resident":
            self.staff.setCurrentIndex(max(0, next((n for n in range(1, self.staff.count())
                                                    if self.staff.itemData(n)["id"] == self.person["id"]), 0)))
        self.staff.activated.connect(self._staff_chosen)
        self.name = QLineEdit(c.get("name", ""))
        self.name.setPlaceholderText(_("or type the name of someone not in the register"))
        self.picked = QLabel("")
        self.picked.setObjectName("muted")
        self.title = editable_combo([], c.get("title", ""))
        self.title.lineEdit().setPlaceholderText(_("e.g. Chair of the owners' committee"))
        self.add_field("party", _("Represents"), self.party, required=True)
        self.add_field("resident", _("Resident"), self.search)
        self.add_field("staff", _("Staff or volunteer"), self.staff)
        self.add_field("name", _("Name"), self.name, required=True, below=self.picked)
        self.add_text("title", _("Job title"), self.title)
        self.name.textEdited.connect(self._name_typed)
        self.party.currentIndexChanged.connect(self._offer_titles)
        self.finish_layout()
        self.layout_.insertStretch(1, 1)   # the room below the form is for the search results
        self._offer_titles()
        self._show_picked()
        if current:
            self.name.setFocus()

    def _offer_titles(self, *_changed) -> None:
        typed = self.title.currentText()
        self.title.blockSignals(True)
        self.title.clear()
        self.title.addItems([label(JOB_TITLES, code) for code in PARTY_TITLES.get(self.party.currentData(), [])])
        self.title.setCurrentText(typed)
        self.title.blockSignals(False)

    def _show_picked(self) -> None:
        person = self.person
        if person is None:
            self.picked.setText(_("Typed in") if self.name.text().strip() else "")
        elif person["kind"] == "resident":
            self.picked.setText(_("From the register: {name}, {address}").format(
                name=person["name"], address=person["address"]) if person.get("address")
                else _("From the register: {name}").format(name=person["name"]))
        else:
            self.picked.setText(_("{kind}: {name}").format(kind=label(PERSON_KINDS, person["kind"]), name=person["name"]))

    def _resident_chosen(self, _household_id: str, resident_id: str) -> None:
        item = next((i for i in self.search.items if i["id"] == resident_id), None)
        if item is None:
            return
        self.person = {"kind": "resident", "id": item["id"], "name": item["name"], "address": item["address"]}
        self.name.setText(item["name"])
        self.staff.setCurrentIndex(0)
        if not self.title.currentText().strip() and self.party.currentData() == "residents_rep":
            self.title.setCurrentText(label(JOB_TITLES, "residents_rep"))
        self._show_picked()
        self.check()
        self.title.setFocus()

    def _staff_chosen(self, index: int) -> None:
        person = self.staff.itemData(index)
        if person is None:
            if self.person is not None and self.person["kind"] != "resident":
                self.person = None
            self._show_picked()
            return
        self.person = dict(person)
        self.name.setText(person["name"])
        self._show_picked()
        self.check()

    def _name_typed(self, text: str) -> None:
        if self.person is not None and text.strip() != self.person["name"]:
            self.person = None  # another name: someone typed in
            self.staff.setCurrentIndex(0)
        self._show_picked()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.search.hasFocus():
            return  # the search box picks the resident with Enter
        super().keyPressEvent(event)

    def accept(self) -> None:
        if self.search.hasFocus() and self.search.results.isVisible():
            return
        super().accept()

    def values(self) -> dict:
        person = self.person
        return {"party": self.party.currentData(), "name": self.name.text(), "title": self.title.currentText(),
                "person_kind": person["kind"] if person else None, "person_id": person["id"] if person else None}

    def clean(self, values: dict, saving: bool) -> None:
        if not saving and not values["name"].strip():
            return  # not typed yet
        meeting_service.clean_attendee(values)

    def save(self, session: Session, values: dict) -> str:
        if self.current:
            meeting_service.edit_attendee(session, self.current["id"], values, expected_version=self.current["version"])
            return self.current["id"]
        return meeting_service.add_attendee(session, self.meeting_id, values)


# --- a topic -------------------------------------------------------------------------------------------------------

class TicketPicker(QWidget):
    """Tickets a topic discusses: type a number or words of the matter, Space ticks a ticket; the ticked ones stay on top."""

    def __init__(self, taskman: TaskManager, chosen: list[dict], since: datetime | None, estate: str = "",
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.taskman = taskman
        self.since = since
        self.estate = estate
        self.chosen: dict[str, dict] = {t["id"]: t for t in chosen}
        self.found: list[dict] = []
        self._generation = 0
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.find = QLineEdit()
        self.find.setPlaceholderText(_("Find an open or recent ticket: number or words of the matter; Down, then Space ticks"))
        self.list = QListWidget()
        self.list.setMinimumHeight(120)
        layout.addWidget(self.find)
        layout.addWidget(self.list)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(150)
        self._timer.timeout.connect(self.run)
        self.find.textChanged.connect(lambda _text: self._timer.start())
        self.find.installEventFilter(self)
        self.list.itemChanged.connect(self._ticked)
        self.searching = False
        self.run()

    def eventFilter(self, watched, event) -> bool:
        if watched is self.find and event.type() == event.Type.KeyPress and event.key() == Qt.Key.Key_Down:
            self.list.setFocus()
            if self.list.currentRow() < 0 and self.list.count():
                self.list.setCurrentRow(0)
            return True
        return super().eventFilter(watched, event)

    def run(self) -> None:
        self._timer.stop()
        self._generation += 1
        generation, query, since, estate = self._generation, self.find.text(), self.since, self.estate
        self.searching = True
        self.taskman.db(lambda session: meeting_service.ticket_choices(session.conn, query, since=since, estate=estate),
                        lambda outcome: self._found(generation, outcome), owner=self)

    def _found(self, generation: int, outcome: Outcome) -> None:
        if generation != self._generation:
            return
        self.searching = False
        if outcome.ok:
            self.found = outcome.value
            self._show()

    def _show(self) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        shown = list(self.chosen.values()) + [t for t in self.found if t["id"] not in self.chosen]
        for ticket in shown:
            item = QListWidgetItem("{number}  {status}  {summary}{estate}".format(
                number=ticket["number"], status=label(TICKET_STATUSES, ticket["status"]), summary=ticket["summary"],
                estate=_(" ({estate})").format(estate=ticket["estate"]) if ticket.get("estate") else ""))
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if ticket["id"] in self.chosen else Qt.CheckState.Unchecked)
            item.setData(Qt.ItemDataRole.UserRole, ticket)
            self.list.addItem(item)
        if not shown:
            none = QListWidgetItem(_("No open or recent ticket matches"))
            none.setFlags(Qt.ItemFlag.NoItemFlags)
            self.list.addItem(none)
        self.list.blockSignals(False)

    def _ticked(self, item: QListWidgetItem) -> None:
        ticket = item.data(Qt.ItemDataRole.UserRole)
        if ticket is None:
            return
        if item.checkState() == Qt.CheckState.Checked:
            self.chosen[ticket["id"]] = ticket
        else:
            self.chosen.pop(ticket["id"], None)

    def tick(self, ticket_id: str, on: bool = True) -> None:
        for row in range(self.list.count()):
            item = self.list.item(row)
            ticket = item.data(Qt.ItemDataRole.UserRole)
            if ticket is not None and ticket["id"] == ticket_id:
                item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def ticket_ids(self) -> list[str]:
        return list(self.chosen)


class TopicDialog(MeetingForm):
    """A topic: what it is, who raised it, the discussion, the resolution, the tickets it discusses."""

    def __init__(self, taskman: TaskManager, meeting: dict, current: dict | None = None, parent: QWidget | None = None):
        super().__init__(_("Edit topic") if current else _("Add a topic"), taskman, parent)
        self.setMinimumWidth(640)
        self.meeting_id = meeting["id"]
        self.current = current or {}
        c = self.current
        self.title = QLineEdit(c.get("title", ""))
        self.title.setPlaceholderText(_("in a few words, e.g. parking at night"))
        self.raised_by = editable_combo([meeting_service.attendee_text(a) for a in meeting["attendees"]],
                                        c.get("raised_by", ""))
        self.raised_by.lineEdit().setPlaceholderText(_("who brought it to the meeting"))
        self.discussion = TextBox(c.get("discussion", ""), lines=4)
        self.resolution = TextBox(c.get("resolution", ""), lines=3)
        self.resolution.setPlaceholderText(_("what the meeting decided"))
        held = datetime.fromisoformat(meeting["held_at"])
        self.tickets = TicketPicker(taskman, c.get("tickets", []), since=held - timedelta(days=90),
                                    estate=meeting["estate"])
        self.add_field("title", _("Topic"), self.title, required=True)
        self.add_text("raised_by", _("Raised by"), self.raised_by)
        self.add_text("discussion", _("Discussion"), self.discussion)
        self.add_text("resolution", _("Resolution"), self.resolution)
        self.add_field("ticket_ids", _("Tickets discussed"), self.tickets)
        self._order[-1:] = [self.tickets.find, self.tickets.list]
        self.finish_layout()
        self.set_hint(_("Fields marked * are required. Enter saves (Shift+Enter: a new line), Esc cancels."))

    def values(self) -> dict:
        return {"title": self.title.text(), "raised_by": self.raised_by.currentText(),
                "discussion": self.discussion.text(), "resolution": self.resolution.text(),
                "ticket_ids": self.tickets.ticket_ids()}

    def clean(self, values: dict, saving: bool) -> None:
        if not saving and not values["title"].strip():
            return
        meeting_service.clean_topic(values)

    def save(self, session: Session, values: dict) -> str:
        if self.current:
            meeting_service.edit_topic(session, self.current["id"], values, expected_version=self.current["version"])
            return self.current["id"]
        return meeting_service.add_topic(session, self.meeting_id, values)


# --- an action ------------------------------------------------------------------------------------------------------

class ActionDialog(MeetingForm):
    """A follow-up action: what, under which topic, who owns it, by when."""

    def __init__(self, taskman: TaskManager, meeting: dict, current: dict | None = None, *, topic_id: str | None = None,
                 parent: QWidget | None = None):
        super().__init__(_("Edit follow-up action") if current else _("Add a follow-up action"), taskman, parent)
        self.meeting_id = meeting["id"]
        self.current = current or {}
        c = self.current
        self.description = QLineEdit(c.get("description", ""))
        self.description.setPlaceholderText(_("what is to be done, e.g. paint parking bays at the north gate"))
        self.topic = QComboBox()
        self.topic.addItem(_("(not under a topic)"), None)
        for number, topic in enumerate(meeting["topics"], start=1):
            self.topic.addItem("{n} {title}".format(n=number, title=topic["title"]), topic["id"])
        self.topic.setCurrentIndex(max(0, self.topic.findData(c.get("topic_id", topic_id))))
        self.owner = editable_combo([a["name"] for a in meeting["attendees"]], c.get("owner", ""))
        self.owner.lineEdit().setPlaceholderText(_("who sees to it"))
        held = datetime.fromisoformat(meeting["held_at"]).date()
        self.due = QLineEdit(c.get("due_date") or ("" if current else (held + timedelta(days=14)).isoformat()))
        self.due.setPlaceholderText(_("e.g. 2026-12-10; empty: no date"))
        self.add_field("description", _("Action"), self.description, required=True)
        self.add_field("topic_id", _("Under topic"), self.topic)
        self.add_text("owner", _("Owner"), self.owner)
        self.add_field("due_date", _("Due by"), self.due)
        self.finish_layout()

    def values(self) -> dict:
        return {"description": self.description.text(), "topic_id": self.topic.currentData(),
                "owner": self.owner.currentText(), "due_date": self.due.text()}

    def clean(self, values: dict, saving: bool) -> None:
        if not saving and not values["description"].strip():
            values = dict(values, description="-")  # not typed yet: check the rest
        meeting_service.clean_action(values)

    def save(self, session: Session, values: dict) -> str:
        if self.current:
            meeting_service.edit_action(session, self.current["id"], values, expected_version=self.current["version"])
            return self.current["id"]
        return meeting_service.add_action(session, self.meeting_id, values)


# --- the meeting editor ----------------------------------------------------------------------------------------------

class Section(QWidget):
    """One tab of the editor: a line above, the table, the buttons below; Insert adds, Enter edits, Delete removes."""

    def __init__(self, model: ListTableModel, widths: list[int], buttons: list[tuple[str, str, str]], act,
                 parent: QWidget | None = None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        self.note = QLabel("")
        self.note.setObjectName("muted")
        self.note.setWordWrap(True)
        layout.addWidget(self.note)
        self.model = model
        self.table = table_view(model, widths)
        self.table.activated.connect(lambda _index: act("edit"))
        layout.addWidget(self.table, 1)
        self.row = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        for key, caption, keys in buttons:
            button = QPushButton(caption)
            button.setAutoDefault(False)
            if keys:
                button.setToolTip(_("Key: {key}").format(key=keys))
            button.clicked.connect(lambda _checked=False, k=key: act(k))
            self.row.addWidget(button)
            self.buttons[key] = button
        self.row.addStretch(1)
        layout.addLayout(self.row)
        self.table.actions_ = set(self.buttons)
        self.table.key_action.connect(act)

    def selected(self) -> dict | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row(rows[0].row()) if rows else None

    def select(self, record_id: str | None) -> None:
        number = next((n for n, r in enumerate(self.model.rows) if r["id"] == record_id), None)
        if number is None and self.model.rows:
            number = 0
        if number is not None:
            self.table.selectRow(number)


class MeetingPanel(QWidget):
    """The chosen meeting: its header, and tabs for the attendees, the topics and the actions, each editable."""

    changed = Signal()           # something of the meeting was saved (the list shows counts)
    deleted = Signal()
    ticket_opened = Signal()     # an action became a ticket (the dashboard counts tickets)

    def __init__(self, taskman: TaskManager, parent: QWidget | None = None, clock=datetime.now):
        super().__init__(parent)
        self.taskman = taskman
        self.clock = clock
        self.item: dict | None = None
        self.people: list[dict] = []
        self.community = ""
        self.last_party = "community"
        self.dialog = None
        self.print_job = None
        self.estates: list[str] = []
        self.places: list[str] = []
        self._generation = 0
        self._note = ""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 0, 0, 0)
        self.title = QLabel(_("Choose a meeting on the left, or record one (Ctrl+N)"))
        self.title.setObjectName("sectionTitle")
        self.title.setWordWrap(True)
        self.facts = QLabel("")
        self.facts.setWordWrap(True)
        self.facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.title)
        layout.addWidget(self.facts)
        row = QHBoxLayout()
        self.edit_button = QPushButton(_("Edit meeting…"))
        needs("meeting.update", self.edit_button)
        self.edit_button.setToolTip(_("Kind, title, time, place, host and recorder (F2)"))
        self.edit_button.clicked.connect(self.edit_meeting)
        self.print_button = QPushButton(_("Print minutes…"))
        needs("print.minutes", self.print_button)
        self.print_button.setToolTip(_("The minutes with signature lines, in a print preview (Ctrl+P)"))
        self.print_button.clicked.connect(lambda: self.print_minutes())
        self.delete_button = QPushButton(_("Delete meeting…"))
        needs("meeting.delete", self.delete_button)
        self.delete_button.setToolTip(_("For a meeting recorded by mistake; tickets it opened stay"))
        self.delete_button.clicked.connect(lambda: self.delete_meeting())
        for button in (self.edit_button, self.print_button, self.delete_button):
            button.setAutoDefault(False)
            row.addWidget(button)
        row.addStretch(1)
        layout.addLayout(row)

        self.tabs = QTabWidget()
        self.attendees = Section(ListTableModel(attendee_columns(), self), [110, 90, 0, 90],
                                 [("add", _("Add attendee…"), "Insert"), ("edit", _("Edit…"), "Enter"),
                                  ("remove", _("Remove"), "Delete")], self.act_attendee)
        self.topics = Section(ListTableModel(topic_columns(), self), [40, 140, 90, 0, 140],
                              [("add", _("Add topic…"), "Insert"), ("edit", _("Edit…"), "Enter"),
                               ("remove", _("Remove"), "Delete"), ("up", _("Move up"), "Ctrl+Up"),
                               ("down", _("Move down"), "Ctrl+Down")], self.act_topic)
        self.actions = Section(ListTableModel(action_columns(lambda: self.clock().date()), self), [36, 0, 60, 80, 100, 128],
                               [("add", _("Add action…"), "Insert"), ("edit", _("Edit…"), "Enter"),
                                ("remove", _("Remove"), "Delete"), ("done", _("Mark done"), ""),
                                ("reopen", _("Reopen action"), "")], self.act_action)
        ticket_row = QHBoxLayout()
        ticket_row.addWidget(QLabel(_("As a ticket:")))
        self.ticket_kind = numbered_combo(TICKET_KINDS, "repair")
        self.ticket_severity = numbered_combo(TICKET_SEVERITIES, "major")
        self.ticket_button = QPushButton(_("Turn into a ticket"))
        needs("meeting.action_ticket", self.ticket_button)
        self.ticket_button.setAutoDefault(False)
        self.ticket_button.setToolTip(_("Open a ticket for the chosen action: source round-table meeting, the action as "
                                        "its matter, linked to this meeting"))
        self.ticket_button.clicked.connect(lambda: self.act_action("ticket"))
        for widget in (self.ticket_kind, self.ticket_severity, self.ticket_button):
            ticket_row.addWidget(widget)
        ticket_row.addStretch(1)
        self.actions.layout().addLayout(ticket_row)
        self.tabs.addTab(self.attendees, _("Attendees ({count})").format(count=0))
        self.tabs.addTab(self.topics, _("Topics ({count})").format(count=0))
        self.tabs.addTab(self.actions, _("Follow-up actions ({count})").format(count=0))
        for section in (self.attendees, self.topics, self.actions):
            section.table.selectionModel().currentRowChanged.connect(lambda *_a: self._enable())
        layout.addWidget(self.tabs, 1)
        self.message = QLabel("")
        self.message.setObjectName("error")
        self.message.setWordWrap(True)
        self.message.hide()
        self.saved = QLabel("")
        self.saved.setObjectName("success")
        self.saved.setWordWrap(True)
        layout.addWidget(self.message)
        layout.addWidget(self.saved)
        self._enable()

    # --- showing ----------------------------------------------------------------------------------------------
    def show_meeting(self, meeting_id: str | None, note: str = "") -> None:
        """Show a meeting (read on the database thread); ``note`` is said under it once it shows."""
        self._note = note
        self._generation += 1
        generation = self._generation
        if meeting_id is None:
            self._show(None)
            return
        now = self.clock()
        self.taskman.db(lambda session: meeting_service.meeting(session.conn, meeting_id, now),
                        lambda outcome: generation == self._generation and outcome.ok and self._show(outcome.value),
                        owner=self)

    def reload(self) -> None:
        self.show_meeting(self.item["id"] if self.item else None)

    def _show(self, item: dict | None) -> None:
        keep = {name: (section.selected() or {}).get("id") for name, section in
                (("attendees", self.attendees), ("topics", self.topics), ("actions", self.actions))}
        same = item is not None and self.item is not None and item["id"] == self.item["id"]
        self.item = item
        if item is None:
            self.title.setText(_("Choose a meeting on the left, or record one (Ctrl+N)"))
            self.facts.setText("")
            for section in (self.attendees, self.topics, self.actions):
                section.model.set_rows([])
                section.note.setText("")
            self._enable()
            return
        self.title.setText(item["title"])
        held = datetime.fromisoformat(item["held_at"])
        lines = [_("{kind}, {time}, {place}").format(kind=label(MEETING_KINDS, item["kind"]),
                                                   time=held.strftime("%Y-%m-%d %H:%M"), place=item["place"] or "—"),
                 _("Host: {host}   Recorder: {recorder}").format(host=item["host"] or "—", recorder=item["recorder"] or "—")]
        if item["summary"]:
            lines.append(_("Summary: {text}").format(text=item["summary"]))
        self.facts.setText("\n".join(lines))
        self.attendees.model.set_rows(item["attendees"])
        groups = meeting_service.party_groups(item["attendees"])
        self.attendees.note.setText(
            "  ·  ".join(_("{party} {count}").format(party=label(MEETING_PARTIES, party), count=len(people))
                         for party, people in groups) or _("No attendees yet: Insert adds one"))
        for number, topic in enumerate(item["topics"], start=1):
            topic["number"] = number
        self.topics.model.set_rows(item["topics"])
        self.topics.note.setText(_("{count} topics, in the order of the minutes").format(count=len(item["topics"]))
                                 if item["topics"] else _("No topics yet: Insert adds one"))
        for number, action in enumerate(item["actions"], start=1):
            action["number"] = number
        self.actions.model.set_rows(item["actions"])
        done = sum(1 for a in item["actions"] if a["status"] == "done")
        tickets = sum(1 for a in item["actions"] if a["ticket"])
        late = sum(1 for a in item["actions"] if a["progress"] in (meeting_service.LATE, meeting_service.TICKET_LATE))
        self.actions.note.setText(_("{count} actions: {done} done, {tickets} became tickets, {late} late").format(
            count=len(item["actions"]), done=done, tickets=tickets, late=late)
            if item["actions"] else _("No follow-up actions yet: Insert adds one"))
        self.tabs.setTabText(0, _("Attendees ({count})").format(count=len(item["attendees"])))
        self.tabs.setTabText(1, _("Topics ({count})").format(count=len(item["topics"])))
        self.tabs.setTabText(2, _("Follow-up actions ({count})").format(count=len(item["actions"])))
        for name, section in (("attendees", self.attendees), ("topics", self.topics), ("actions", self.actions)):
            section.select(keep[name] if same else None)
        if not same:
            self.message.hide()
            self.saved.setText(self._note)
        self._note = ""
        self._enable()

    def _enable(self) -> None:
        item = self.item
        for button in (self.edit_button, self.print_button, self.delete_button):
            button.setEnabled(item is not None)
        for section in (self.attendees, self.topics, self.actions):
            chosen = section.selected() if item is not None else None
            for key, button in section.buttons.items():
                button.setEnabled(item is not None and (key == "add" or chosen is not None))
        action = self.actions.selected() if item is not None else None
        self.actions.buttons["done"].setEnabled(action is not None and action["status"] == "open")
        self.actions.buttons["reopen"].setEnabled(action is not None and action["status"] == "done")
        self.actions.buttons["remove"].setEnabled(action is not None and not action["ticket_id"])
        can_ticket = action is not None and action["status"] == "open" and not action["ticket_id"]
        for widget in (self.ticket_button, self.ticket_kind, self.ticket_severity):
            widget.setEnabled(can_ticket)

    # --- doing ----------------------------------------------------------------------------------------------------
    def run(self, step, then=None) -> None:
        """Run ``step(session)`` on the database thread, then ``then(result)`` and show the meeting again (or the refusal)."""
        def finished(outcome: Outcome) -> None:
            if outcome.error is not None:
                self.message.setText(str(outcome.error))
                self.message.show()
                return
            if outcome.ok:
                self.message.hide()
                self.saved.setText("")
                if then is not None:
                    then(outcome.value)
                self.reload()
                self.changed.emit()
        self.taskman.db(step, finished, owner=self)

    def _open(self, dialog, section: Section | None = None) -> None:
        def accepted() -> None:
            self.message.hide()
            self.reload()
            self.changed.emit()
            if section is not None:
                QTimer.singleShot(0, section.table.setFocus)
        dialog.accepted.connect(accepted)
        self.dialog = dialog
        dialog.open()

    def edit_meeting(self) -> MeetingDialog | None:
        if self.item is None:
            return None
        names = [p["name"] for p in self.people] + [a["name"] for a in self.item["attendees"]]
        dialog = MeetingDialog(self.taskman, self.item, estates=self.estates, places=self.places, people=names,
                               community=self.community, parent=self)
        self._open(dialog)
        return dialog

    def act_attendee(self, key: str, confirmed: bool = False):
        item, chosen = self.item, self.attendees.selected()
        if item is None:
            return None
        if key == "add":
            dialog = AttendeeDialog(self.taskman, item["id"], party=self.last_party, people=self.people, parent=self)
            dialog.accepted.connect(lambda: setattr(self, "last_party", dialog.party.currentData()))
            self._open(dialog, self.attendees)
            return dialog
        if chosen is None:
            return None
        if key == "edit":
            dialog = AttendeeDialog(self.taskman, item["id"], chosen, people=self.people, parent=self)
            self._open(dialog, self.attendees)
            return dialog
        if key == "remove" and (confirmed or self._confirm(_("Remove {name} from the attendees?").format(name=chosen["name"]))):
            self.run(lambda s: meeting_service.remove_attendee(s, chosen["id"]))
        return None

    def act_topic(self, key: str, confirmed: bool = False):
        item, chosen = self.item, self.topics.selected()
        if item is None:
            return None
        if key == "add":
            dialog = TopicDialog(self.taskman, item, parent=self)
            self._open(dialog, self.topics)
            return dialog
        if chosen is None:
            return None
        if key == "edit":
            dialog = TopicDialog(self.taskman, item, chosen, parent=self)
            self._open(dialog, self.topics)
            return dialog
        if key in ("up", "down"):
            self.run(lambda s: meeting_service.move_topic(s, chosen["id"], -1 if key == "up" else 1))
        elif key == "remove" and (confirmed or self._confirm(_("Remove the topic {title}? Its actions stay on the "
                                                                 "meeting.").format(title=chosen["title"]))):
            self.run(lambda s: meeting_service.remove_topic(s, chosen["id"]))
        return None

    def act_action(self, key: str, confirmed: bool = False):
        item, chosen = self.item, self.actions.selected()
        if item is None:
            return None
        if key == "add":
            topic = self.topics.selected()
            dialog = ActionDialog(self.taskman, item, topic_id=topic["id"] if topic else None, parent=self)
            self._open(dialog, self.actions)
            return dialog
        if chosen is None:
            return None
        if key == "edit":
            dialog = ActionDialog(self.taskman, item, chosen, parent=self)
            self._open(dialog, self.actions)
            return dialog
        if key == "ticket":
            kind, severity = self.ticket_kind.currentData(), self.ticket_severity.currentData()
            self.run(lambda s: meeting_service.action_to_ticket(s, chosen["id"], kind=kind, severity=severity),
                     self._ticket_opened)
        elif key == "done":
            self.run(lambda s: meeting_service.mark_action_done(s, chosen["id"]))
        elif key == "reopen":
            self.run(lambda s: meeting_service.reopen_action(s, chosen["id"]))
        elif key == "remove" and (confirmed or self._confirm(_("Remove the action {text}?").format(
                text=chosen["description"]))):
            self.run(lambda s: meeting_service.remove_action(s, chosen["id"]))
        return None

    def _ticket_opened(self, result: dict) -> None:
        self.saved.setText(_("Ticket {number} opened for the action; its progress shows here.").format(
            number=result["number"]))
        self.ticket_opened.emit()

    def _confirm(self, question: str) -> bool:
        return QMessageBox.question(self, _("Remove"), question) == QMessageBox.StandardButton.Yes

    def delete_meeting(self, confirmed: bool = False) -> None:
        item = self.item
        if item is None:
            return
        if not confirmed and QMessageBox.question(
                self, _("Delete meeting"), _("Delete the meeting {title} with its attendees, topics and actions? Use "
                                             "this for a meeting recorded by mistake; tickets it opened stay.").format(
                    title=item["title"])) != QMessageBox.StandardButton.Yes:
            return

        def finished(outcome: Outcome) -> None:
            if outcome.error is not None:
                self.message.setText(str(outcome.error))
                self.message.show()
            elif outcome.ok:
                self._show(None)
                self.deleted.emit()
        self.taskman.db(lambda s: meeting_service.delete_meeting(s, item["id"]), finished, owner=self)

    def print_minutes(self, save_to=None):
        item = self.item
        if item is None:
            return None
        meeting_id = item["id"]
        self.print_job = print_document(
            self.taskman, lambda session, out: minutes_printing.minutes(session, meeting_id, out), parent=self,
            file_name=_("minutes-{title}-{day}.pdf").format(title=re.sub(r'[\\/:*?"<>|]', "", item["title"]),
                                                             day=item["held_at"][:10].replace("-", "")),
            save_to=save_to)
        return self.print_job


# --- the page ----------------------------------------------------------------------------------------------------------

class MeetingsPage(Page):
    meeting_changed = Signal()

    def __init__(self, taskman: TaskManager, parent: QWidget | None = None, clock=datetime.now):
        super().__init__(_("Meetings"), parent)
        self.taskman = taskman
        self.clock = clock
        self._started = False
        self._focus_id: str | None = None
        self.dialog: MeetingDialog | None = None

        self.new_button = QPushButton(_("Record a meeting"))
        needs("meeting.create", self.new_button)
        self.new_button.setToolTip(_("Record a round-table or joint meeting (Ctrl+N)"))
        self.new_button.clicked.connect(lambda: self.new_meeting())
        self.header_row.addWidget(self.new_button)
        self.panel = MeetingPanel(taskman, clock=clock)
        for keys, slot in (("Ctrl+N", lambda: self.new_meeting()), ("F2", self.panel.edit_meeting),
                           ("Ctrl+P", lambda: self.panel.print_minutes())):
            shortcut = QShortcut(QKeySequence(keys), self, slot)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)

        filters = QHBoxLayout()
        self.estate = QComboBox()
        self.estate.addItem(_("All estates"), None)
        self.kind = QComboBox()
        self.kind.addItem(_("All kinds"), None)
        for code in MEETING_KINDS:
            self.kind.addItem(label(MEETING_KINDS, code), code)
        self.period = QComboBox()
        for days in PERIODS:
            self.period.addItem(label(PERIODS, days), days)
        for caption, combo in ((_("Estate"), self.estate), (_("Kind"), self.kind), (_("Held"), self.period)):
            filters.addWidget(QLabel(caption))
            filters.addWidget(combo)
            combo.currentIndexChanged.connect(self.refresh)
        filters.addStretch(1)
        self.summary = QLabel("")
        self.summary.setObjectName("sectionTitle")
        filters.addWidget(self.summary)
        self.body.addLayout(filters)

        self.model = ListTableModel(meeting_columns(), self)
        self.table = table_view(self.model, [84, 88, 0, 96])
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)
        self.table.activated.connect(lambda _index: self.panel.edit_meeting())   # Enter on a meeting edits it
        self.panel.changed.connect(self._panel_changed)
        self.panel.deleted.connect(self._deleted)
        self.panel.ticket_opened.connect(self.meeting_changed.emit)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(self.panel)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([440, 600])
        self.body.addWidget(splitter, 1)
        QWidget.setTabOrder(self.period, self.table)
        QWidget.setTabOrder(self.table, self.panel.edit_button)

    def activated(self) -> None:
        if not self._started:
            self._started = True
            self.taskman.db(lambda session: (meeting_store.estates(session.conn), meeting_store.places(session.conn),
                                             meeting_store.people(session.conn), session.require_station()["community"]),
                            self._lists_loaded, owner=self)
        self.refresh()
        self.panel.reload()   # a ticket may have moved on since
        self.table.setFocus()

    def _lists_loaded(self, outcome: Outcome) -> None:
        if not outcome.ok:
            return
        estates, places, people, community = outcome.value
        self.panel.estates, self.panel.places, self.panel.people, self.panel.community = estates, places, people, community
        self.estate.blockSignals(True)
        for name in estates:
            self.estate.addItem(name, name)
        self.estate.blockSignals(False)

    def filters(self) -> dict:
        days = self.period.currentData()
        return {"estate": self.estate.currentData(), "kind": self.kind.currentData(),
                "start": self.clock() - timedelta(days=days) if days else None}

    def refresh(self) -> None:
        chosen, now = self.filters(), self.clock()
        self.taskman.db(lambda session: meeting_service.meetings(session.conn, now=now, **chosen), self._loaded, owner=self)

    def _loaded(self, outcome: Outcome) -> None:
        if outcome.error is not None:
            self.summary.setText(_("The meetings could not be read: {error}").format(error=outcome.error))
            return
        if not outcome.ok:
            return
        current = self._focus_id or (self.panel.item["id"] if self.panel.item else None)
        self._focus_id = None
        rows = outcome.value
        self.model.set_rows(rows)
        late = sum(1 for m in rows if m["late_actions"])
        self.summary.setText(_("{count} meetings, {late} with overdue actions").format(count=len(rows), late=late)
                             if late else _("{count} meetings").format(count=len(rows)))
        number = next((i for i, m in enumerate(rows) if m["id"] == current), None)
        if number is None and rows:
            number = 0
        if number is not None:
            self.table.selectRow(number)   # the panel follows the chosen row
        else:
            self.panel.show_meeting(None)

    def _row_changed(self, current, _previous=None) -> None:
        row = self.model.row(current.row()) if current.isValid() else None
        if row is not None and (self.panel.item is None or self.panel.item["id"] != row["id"]):
            self.panel.show_meeting(row["id"])

    def _panel_changed(self) -> None:
        self.meeting_changed.emit()
        self.refresh()

    def _deleted(self) -> None:
        self.meeting_changed.emit()
        self.refresh()

    def new_meeting(self) -> MeetingDialog:
        names = [p["name"] for p in self.panel.people]
        latest = self.model.rows[0]["estate"] if self.model.rows else ""
        dialog = MeetingDialog(self.taskman, estates=self.panel.estates, places=self.panel.places, people=names,
                               community=self.panel.community, estate=self.estate.currentData() or latest,
                               now=self.clock(), parent=self)
        dialog.accepted.connect(lambda: self._recorded(dialog))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _recorded(self, dialog: MeetingDialog) -> None:
        self._focus_id = dialog.result_id
        self.meeting_changed.emit()
        self.panel.show_meeting(dialog.result_id, _("Meeting recorded: now add the attendees, topics and actions."))
        self.estate.setCurrentIndex(0)
        self.kind.setCurrentIndex(0)
        self.period.setCurrentIndex(0)
        self.refresh()
        self.panel.tabs.setCurrentIndex(0)
        QTimer.singleShot(0, self.panel.attendees.table.setFocus)
