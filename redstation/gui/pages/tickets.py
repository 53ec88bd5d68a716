"""The tickets page (工单): the desk view by urgency, intake, the flow of one ticket, its 5341 clock.

Keyboard first. Ctrl+N opens the intake: type a name, pinyin initials or a phone tail in
the resident box and Enter on the match (or type a walk-in caller's name and phone), then
the kind (type 1-5), source and severity keep their defaults (窗口, 一般问题) unless changed,
type what was accepted, Enter: the ticket is numbered, its deadlines set, and the receipt
can be printed at once.

The desk view lists open tickets most urgent first: late ones in red, due soon ones in
orange, waiting ones in grey. Choosing one shows its stages (on site, solved, plan), each
with the time left or overdue, its history, and the next steps as buttons.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QIcon, QKeySequence, QShortcut
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout,
                               QHBoxLayout, QInputDialog, QLabel, QLineEdit, QListWidget, QPushButton, QSplitter,
                               QTableView, QVBoxLayout, QWidget)

from redstation import RedStationError
from redstation.domain import phone, response5341
from redstation.domain.vocab import (RATINGS, TICKET_ACTIONS, TICKET_KINDS, TICKET_SEVERITIES, TICKET_SOURCES,
                                     TICKET_STATUSES, label)
from redstation.gui.models import Column, ListTableModel
from redstation.gui.pages import Page, needs
from redstation.gui.printing import print_document
from redstation.gui.search import SearchBox
from redstation.gui.style import STYLE_SHEET
from redstation.gui.tasks import Outcome, TaskManager
from redstation.i18n import _, join_clauses, join_list
from redstation.printing import receipt as receipt_printing
from redstation.services import tickets as ticket_service
from redstation.store import queries
from redstation.store import tickets as ticket_store

RED, ORANGE, GREY = "#c0141c", "#a35a00", "#777777"


def stage_name(stage: str) -> str:
    return {"onsite": _("On site"), "resolve": _("Solved"), "plan": _("Written plan")}[stage]


def span_text(delta: timedelta) -> str:
    """1 小时 5 分, 12 分钟, 2 天 3 小时."""
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("{days} d {hours} h").format(days=days, hours=hours)
    if hours:
        return _("{hours} h {minutes} min").format(hours=hours, minutes=minutes)
    return _("{minutes} min").format(minutes=minutes)


def clock_text(clock: response5341.StageClock) -> str:
    """One stage as the desk reads it: 到场 剩 3 分钟 / 办结 超时 1 小时 5 分 / 办结 等待中 / 到场 按时."""
    name = stage_name(clock.stage)
    if clock.state == response5341.RUNNING:
        return _("{stage}: {time} left (by {due})").format(stage=name, time=span_text(clock.left),
                                                          due=clock.due_at.strftime("%m-%d %H:%M"))
    if clock.state == response5341.OVERDUE:
        return _("{stage}: overdue {time}").format(stage=name, time=span_text(clock.left))
    if clock.state == response5341.PAUSED:
        return _("{stage}: clock stopped, {time} left").format(stage=name, time=span_text(clock.left))
    when = clock.done_at.strftime("%m-%d %H:%M")
    if clock.state == response5341.DONE:
        return _("{stage}: done {time}, on time").format(stage=name, time=when)
    return _("{stage}: done {time}, late").format(stage=name, time=when)


def urgency_text(item: dict) -> str:
    """The most pressing stage of a ticket, in a few characters."""
    running = [c for c in item["clocks"] if c.state in (response5341.OVERDUE, response5341.RUNNING, response5341.PAUSED)]
    if not running:
        return _("late") if item["late"] else "—"
    clock = min(running, key=lambda c: (c.state != response5341.OVERDUE, c.state == response5341.PAUSED, c.left))
    if clock.state == response5341.OVERDUE:
        return _("Late by {time}").format(time=span_text(clock.left))
    if clock.state == response5341.PAUSED:
        return _("Waiting")
    return _("{time} left").format(time=span_text(clock.left))


def urgency_color(item: dict) -> str | None:
    if any(c.state == response5341.OVERDUE for c in item["clocks"]):
        return RED
    if item["due_soon"]:
        return ORANGE
    if item["paused"]:
        return GREY
    return None


def ticket_columns() -> list[Column]:
    return [
        Column(_("Urgency"), urgency_text, color=urgency_color),
        Column(_("Number"), lambda t: t["number"]),
        Column(_("Kind"), lambda t: label(TICKET_KINDS, t["kind"])),
        Column(_("Matter"), lambda t: t["summary"]),
        Column(_("Resident / caller"), lambda t: t["resident_name"]),
        Column(_("Address"), lambda t: t["address"]),
        Column(_("Status"), lambda t: label(TICKET_STATUSES, t["status"]) + (_(" (waiting)") if t["paused"] else "")),
        Column(_("Assigned to"), lambda t: t["assignee_name"]),
        Column(_("Accepted"), lambda t: t["accepted_at"][5:16].replace("T", " ")),
    ]


def _combo(vocab: dict[str, str], current: str | None, numbered: bool = False) -> QComboBox:
    """A choice of a vocabulary; ``numbered`` puts 1, 2, 3 … in front so a key chooses."""
    combo = QComboBox()
    for n, code in enumerate(vocab, start=1):
        combo.addItem("{n} {text}".format(n=n, text=label(vocab, code)) if numbered else label(vocab, code), code)
    combo.setCurrentIndex(max(combo.findData(current), 0))
    return combo


# --- intake ---------------------------------------------------------------------------------------------------

class IntakeDialog(QDialog):
    """Accept a ticket: the resident (found as you type) or a caller, kind, source, severity, what was asked."""

    def __init__(self, taskman: TaskManager, parent: QWidget | None = None, *, resident: dict | None = None):
        super().__init__(parent)
        self.taskman = taskman
        self.resident: dict | None = None
        self.result: dict | None = None
        self.setWindowTitle(_("Accept a ticket"))
        self.setStyleSheet(STYLE_SHEET)
        self.setMinimumWidth(620)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.search = SearchBox(taskman, self)
        self.search.setPlaceholderText(_("Resident: name, pinyin initials, phone tail or building-room; Enter picks"))
        self.search.chosen.connect(self._chosen)
        self.chosen = QLabel(_("No resident chosen: a walk-in or anonymous caller"))
        self.chosen.setObjectName("muted")
        resident_box = QVBoxLayout()
        resident_box.addWidget(self.search)
        resident_box.addWidget(self.chosen)
        form.addRow(_("Resident"), resident_box)
        self.caller_name = QLineEdit()
        self.caller_phone = QLineEdit()
        self.caller_phone.setPlaceholderText(_("phone, for a caller not in the register"))
        caller = QHBoxLayout()
        caller.addWidget(self.caller_name, 1)
        caller.addWidget(self.caller_phone, 1)
        form.addRow(_("Caller"), caller)
        self.kind = _combo(TICKET_KINDS, "repair", numbered=True)
        self.source = _combo(TICKET_SOURCES, "window", numbered=True)
        self.severity = _combo(TICKET_SEVERITIES, "ordinary", numbered=True)
        choices = QHBoxLayout()
        for widget in (self.kind, self.source, self.severity):
            choices.addWidget(widget)
        form.addRow(_("Kind, source, severity"), choices)
        self.summary = QLineEdit()
        self.summary.setPlaceholderText(_("what was accepted, in a line: e.g. stairwell light broken"))
        form.addRow(_("Matter *"), self.summary)
        self.detail = QLineEdit()
        form.addRow(_("Details"), self.detail)
        self.attachment = QLineEdit()
        self.attachment.setPlaceholderText(_("optional: a photo or file"))
        browse = QPushButton(_("Choose…"))
        browse.setAutoDefault(False)
        browse.clicked.connect(self._browse)
        attachment = QHBoxLayout()
        attachment.addWidget(self.attachment, 1)
        attachment.addWidget(browse)
        form.addRow(_("Attachment"), attachment)
        layout.addLayout(form)
        self.deadlines = QLabel("")
        self.deadlines.setObjectName("muted")
        layout.addWidget(self.deadlines)
        self.message = QLabel("")
        self.message.setObjectName("error")
        self.message.setWordWrap(True)
        self.message.hide()
        layout.addWidget(self.message)
        hint = QLabel(_("Enter accepts the ticket, Esc cancels."))
        hint.setObjectName("muted")
        layout.addWidget(hint)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(_("Accept"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Cancel"))
        for button in self.buttons.buttons():
            button.setIcon(QIcon())
        self.ok_button.setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        order = [self.search, self.caller_name, self.caller_phone, self.kind, self.source, self.severity, self.summary,
                 self.detail, self.attachment]
        for first, second in zip(order, order[1:]):
            QWidget.setTabOrder(first, second)
        self.severity.currentIndexChanged.connect(self._show_deadlines)
        self._show_deadlines()
        if resident is not None:
            self._take(resident)
            self.summary.setFocus()
        else:
            self.search.setFocus()

    def _show_deadlines(self, *_changed) -> None:
        allowed = response5341.allowances(self.severity.currentData())
        self.deadlines.setText(_("Promised: {stages}").format(stages=join_clauses(
            "{stage} {time}".format(stage=stage_name(stage), time=span_text(allowed[stage])) for stage in allowed)))

    def _browse(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, _("Attachment"))
        if path:
            self.attachment.setText(path)

    def _chosen(self, household_id: str, resident_id: str) -> None:
        item = next((i for i in self.search.items if i["id"] == resident_id), None)
        if item is not None:
            self._take(item)
            self.kind.setFocus()

    def _take(self, item: dict) -> None:
        self.resident = item
        self.chosen.setText(_("{name}, {address}, {phone}").format(
            name=item["name"], address=item["address"], phone=phone.mask(item.get("phone")) or "—"))
        self.chosen.setObjectName("sectionTitle")
        self.chosen.setStyleSheet("")

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.search.hasFocus():
            return  # the search box picks the resident with Enter
        super().keyPressEvent(event)

    def values(self) -> dict:
        return {"kind": self.kind.currentData(), "source": self.source.currentData(),
                "severity": self.severity.currentData(), "summary": self.summary.text(), "detail": self.detail.text(),
                "attachment": self.attachment.text(), "resident_id": self.resident["id"] if self.resident else None,
                "caller_name": self.caller_name.text(), "caller_phone": self.caller_phone.text()}

    def accept(self) -> None:
        if self.search.focusWidget() is self.search and self.search.results.isVisible():
            return
        if not self.ok_button.isEnabled():
            return
        values = self.values()
        if not values["summary"].strip():
            self._problem(_("A ticket needs a short description of the matter"))
            self.summary.setFocus()
            return
        self.ok_button.setEnabled(False)
        self.taskman.db(lambda session: ticket_service.accept(session, **values), self._accepted, owner=self)

    def _problem(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()

    def _accepted(self, outcome: Outcome) -> None:
        self.ok_button.setEnabled(True)
        if outcome.error is not None:
            if not isinstance(outcome.error, RedStationError):
                raise outcome.error
            self._problem(str(outcome.error))
            return
        if outcome.ok:
            self.result = outcome.value
            super().accept()


# --- one ticket ---------------------------------------------------------------------------------------------------

class TicketPanel(QWidget):
    """One ticket: who, what, its stages with time left or overdue, its history, the next steps."""

    changed = Signal()

    def __init__(self, taskman: TaskManager, parent: QWidget | None = None, clock=datetime.now):
        super().__init__(parent)
        self.taskman = taskman
        self.clock = clock
        self.item: dict | None = None
        self._generation = 0
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 0, 0, 0)
        self.title = QLabel(_("Choose a ticket on the left"))
        self.title.setObjectName("sectionTitle")
        self.title.setWordWrap(True)
        self.facts = QLabel("")
        self.facts.setWordWrap(True)
        self.facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.stages = QLabel("")
        self.stages.setObjectName("stages")
        self.stages.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.title)
        layout.addWidget(self.facts)
        layout.addWidget(self.stages)
        rows = [QHBoxLayout(), QHBoxLayout()]
        self.buttons: dict[str, QPushButton] = {}
        for number, (action, caption) in enumerate([
                ("assign", _("Assign…")), ("on_site", _("On site")), ("plan", _("Plan…")), ("pause", _("Wait…")),
                ("resume", _("Go on")), ("resolve", _("Solved…")), ("callback", _("Call back…")),
                ("reopen", _("Reopen…")), ("note", _("Note…")), ("receipt", _("Print receipt"))]):
            button = QPushButton(caption)
            button.setAutoDefault(False)
            button.clicked.connect(lambda _checked=False, a=action: self.act(a))
            rows[number // 5].addWidget(button)
            self.buttons[action] = button
        for row in rows:
            row.addStretch(1)
            layout.addLayout(row)
        self.message = QLabel("")
        self.message.setObjectName("error")
        self.message.setWordWrap(True)
        self.message.hide()
        layout.addWidget(self.message)
        layout.addWidget(QLabel(_("History")))
        self.history = QListWidget()
        layout.addWidget(self.history, 1)
        self._enable()

    def show_ticket(self, ticket_id: str | None) -> None:
        self._generation += 1
        generation = self._generation
        if ticket_id is None:
            self._show(None)
            return
        now = self.clock()
        self.taskman.db(lambda session: ticket_service.with_clocks(session.conn, ticket_id, now),
                        lambda outcome: generation == self._generation and outcome.ok and self._show(outcome.value),
                        owner=self)

    def _show(self, item: dict | None) -> None:
        self.item = item
        self.message.hide()
        self.history.clear()
        if item is None:
            self.title.setText(_("Choose a ticket on the left"))
            self.facts.setText("")
            self.stages.setText("")
            self._enable()
            return
        self.title.setText("{number}  {kind} · {severity} · {status}".format(
            number=item["number"], kind=label(TICKET_KINDS, item["kind"]), severity=label(TICKET_SEVERITIES, item["severity"]),
            status=label(TICKET_STATUSES, item["status"]) + (_(" (waiting)") if item["paused"] else "")))
        lines = [item["summary"]]
        if item["detail"]:
            lines.append(item["detail"])
        lines.append(_("From {name} {phone}, by {source}, accepted {time} by {who}").format(
            name=item["caller_name"] or _("anonymous"), phone=phone.mask(item["caller_phone"]),
            source=label(TICKET_SOURCES, item["source"]), time=item["accepted_at"].replace("T", " ")[:16],
            who=item["accepted_by"]))
        if item["assignee_name"]:
            lines.append(_("Assigned to {name}").format(name=item["assignee_name"]))
        if item["resolution"]:
            lines.append(_("Solved: {text}").format(text=item["resolution"]))
        if item["attachment"]:
            lines.append(_("Attachment: {path}").format(path=item["attachment"]))
        self.facts.setText("\n".join(lines))
        colors = {response5341.OVERDUE: RED, response5341.DONE_LATE: RED, response5341.RUNNING: "#1f1f1f",
                  response5341.PAUSED: GREY, response5341.DONE: "#1d6b2a"}
        self.stages.setText("<br>".join('<span style="color:{c}">{t}</span>'.format(c=colors[c.state], t=clock_text(c))
                                        for c in item["clocks"]))
        for event in reversed(item["events"]):
            action = label(TICKET_ACTIONS, event["action"])
            self.history.addItem("{at}  {who}  {action}".format(
                at=event["at"].replace("T", " ")[:16], who=event["actor_name"],
                action=_("{label}: {value}").format(label=action, value=event["note"]) if event["note"] else action))
        self._enable()

    def _enable(self) -> None:
        item = self.item
        for action, button in self.buttons.items():
            if item is None:
                button.setEnabled(False)
            elif action == "receipt":
                button.setEnabled(True)
            elif action == "plan":
                button.setEnabled(item["severity"] == "complex" and item["status"] in ticket_service.OPEN_STATUSES)
            elif action == "pause":
                button.setEnabled(not item["paused"] and item["status"] in ticket_service.OPEN_STATUSES)
            elif action == "resume":
                button.setEnabled(bool(item["paused"]))
            else:
                button.setEnabled(item["status"] in ticket_service.FLOW[action][0])

    # --- the steps ---------------------------------------------------------------------------------------------
    def act(self, action: str, answer: str | None = None, **extra) -> None:
        """Do a step; ``answer`` and ``extra`` stand in for the question a step asks (tests, shortcuts)."""
        item = self.item
        if item is None:
            return
        if action == "receipt":
            self.print_receipt()
            return
        if action == "assign" and not extra:
            self._ask_assignee()
            return
        questions = {"plan": _("The written plan:"), "pause": _("Waiting for:"), "resolve": _("How it was solved:"),
                     "reopen": _("Why it is reopened:"), "note": _("Note:")}
        if action == "callback" and answer is None:
            self._ask_callback()
            return
        if action in questions and answer is None:
            answer, ok = QInputDialog.getText(self, label(TICKET_ACTIONS, action), questions[action])
            if not ok:
                return
        ticket_id = item["id"]
        step = {
            "assign": lambda s: ticket_service.assign(s, ticket_id, **extra),
            "on_site": lambda s: ticket_service.arrive(s, ticket_id),
            "plan": lambda s: ticket_service.submit_plan(s, ticket_id, note=answer),
            "pause": lambda s: ticket_service.pause(s, ticket_id, reason=answer),
            "resume": lambda s: ticket_service.resume(s, ticket_id),
            "resolve": lambda s: ticket_service.resolve(s, ticket_id, resolution=answer),
            "callback": lambda s: ticket_service.callback(s, ticket_id, rating=extra.get("rating"), comment=answer or ""),
            "reopen": lambda s: ticket_service.reopen(s, ticket_id, reason=answer),
            "note": lambda s: ticket_service.add_note(s, ticket_id, answer),
        }[action]
        self.taskman.db(step, self._done, owner=self)

    def _done(self, outcome: Outcome) -> None:
        if outcome.error is not None:
            self.message.setText(str(outcome.error))
            self.message.show()
            return
        if outcome.ok:
            self._show(outcome.value)
            self.changed.emit()

    def _ask_assignee(self) -> None:
        kind = self.item["kind"]

        def asked(outcome: Outcome) -> None:
            if not outcome.ok:
                return
            people = outcome.value
            shown = [_("{name} (volunteer: {skills}; {open} open)").format(
                name=p["name"], skills=join_list(p["skills"]), open=p["open_tickets"]) if p["kind"] == "volunteer"
                else _("{name} (staff; {open} open)").format(name=p["name"], open=p["open_tickets"]) for p in people]
            choice, ok = QInputDialog.getItem(self, _("Assign"), _("Suggested first: volunteers whose skills fit"),
                                              shown, 0, False)
            if ok and choice in shown:
                person = people[shown.index(choice)]
                self.act("assign", assignee_kind=person["kind"], assignee_id=person["id"], assignee_name=person["name"])
        self.taskman.db(lambda session: ticket_service.suggested_assignees(session.conn, kind), asked, owner=self)

    def _ask_callback(self) -> None:
        ratings = [label(RATINGS, code) for code in RATINGS] + [_("Not reached")]
        choice, ok = QInputDialog.getItem(self, _("Call back"), _("The resident is:"), ratings, 0, False)
        if not ok:
            return
        comment, ok = QInputDialog.getText(self, _("Call back"), _("What the resident said:"))
        if not ok:
            return
        codes = list(RATINGS) + [None]
        self.act("callback", comment, rating=codes[ratings.index(choice)])

    def print_receipt(self, save_to=None):
        item = self.item
        if item is None:
            return None
        self.print_job = print_document(
            self.taskman, lambda session, out: receipt_printing.receipt(session, item["id"], out),
            parent=self, file_name=_("receipt-{number}.pdf").format(number=item["number"]), save_to=save_to)
        return self.print_job


# --- the page -----------------------------------------------------------------------------------------------------

STATUS_FILTERS = ("open", None, "accepted", "assigned", "on_site", "resolved", "called_back")


class TicketsPage(Page):
    ticket_changed = Signal()

    def __init__(self, taskman: TaskManager, parent: QWidget | None = None, clock=datetime.now):
        super().__init__(_("Tickets"), parent)
        self.taskman = taskman
        self.clock = clock
        self._started = False
        self._focus_id: str | None = None
        self.intake_dialog: IntakeDialog | None = None

        self.new_button = QPushButton(_("Accept a ticket"))
        needs("ticket.accept", self.new_button)
        self.new_button.setToolTip(_("Accept a new ticket at the window (Ctrl+N)"))
        self.new_button.clicked.connect(lambda: self.new_ticket())
        shortcut = QShortcut(QKeySequence("Ctrl+N"), self, lambda: self.new_ticket())
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.header_row.addWidget(self.new_button)

        filters = QHBoxLayout()
        self.status = QComboBox()
        for code in STATUS_FILTERS:
            self.status.addItem(_("Open") if code == "open" else _("All") if code is None else label(TICKET_STATUSES, code),
                                code)
        self.kind = QComboBox()
        self.kind.addItem(_("All kinds"), None)
        for code in TICKET_KINDS:
            self.kind.addItem(label(TICKET_KINDS, code), code)
        self.estate = QComboBox()
        self.estate.addItem(_("All estates"), None)
        self.assignee = QComboBox()
        self.assignee.addItem(_("Everyone"), None)
        self.origin = QComboBox()   # a street office: the station the tickets come from
        self.origin.addItem(_("All stations"), None)
        self.period = QComboBox()
        for days, caption in ((None, _("Any time")), (1, _("Today")), (7, _("Last 7 days")), (30, _("Last 30 days"))):
            self.period.addItem(caption, days)
        self.origin_label = QLabel(_("Station"))
        for caption, combo in ((_("Status"), self.status), (_("Kind"), self.kind), (self.origin_label, self.origin),
                               (_("Estate"), self.estate), (_("Assigned to"), self.assignee), (_("Accepted"), self.period)):
            filters.addWidget(caption if isinstance(caption, QLabel) else QLabel(caption))
            filters.addWidget(combo)
            combo.currentIndexChanged.connect(self.refresh)
        for widget in (self.origin_label, self.origin):
            widget.hide()
        filters.addStretch(1)
        self.summary = QLabel("")
        self.summary.setObjectName("sectionTitle")
        filters.addWidget(self.summary)
        self.body.addLayout(filters)
        self.saved = QLabel("")
        self.saved.setObjectName("success")
        self.body.addWidget(self.saved)

        self.model = ListTableModel(ticket_columns(), self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(26)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        for column, width in enumerate([120, 150, 50, 180, 80, 140, 80, 80]):
            self.table.setColumnWidth(column, width)
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)
        self.panel = TicketPanel(taskman, clock=clock)
        self.panel.changed.connect(self._panel_changed)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(self.panel)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([660, 440])
        self.body.addWidget(splitter, 1)
        self.ticker = QTimer(self)   # the clocks move: refresh every minute while the page is shown
        self.ticker.setInterval(60_000)
        self.ticker.timeout.connect(lambda: self.isVisible() and self.refresh())

    def activated(self) -> None:
        if not self._started:
            self._started = True
            self.taskman.db(lambda session: (ticket_store.assignees(session.conn), queries.estates(session.conn),
                                             queries.stations(session.conn)), self._lists_loaded, owner=self)
        self.ticker.start()
        self.refresh()
        self.table.setFocus()

    def _lists_loaded(self, outcome: Outcome) -> None:
        if not outcome.ok:
            return
        assignees, estates, stations = outcome.value
        for combo, names in ((self.assignee, assignees), (self.estate, estates)):
            combo.blockSignals(True)
            for name in names:
                combo.addItem(name, name)
            combo.blockSignals(False)
        self.origin.blockSignals(True)
        for station_id, name in stations:
            self.origin.addItem(name, station_id)
        self.origin.blockSignals(False)
        for widget in (self.origin_label, self.origin):
            widget.setVisible(len(stations) > 1)

    def show_filtered(self, *, status: str | None = "open", kind: str | None = None, days: int | None = None) -> None:
        """Set the filters (from the dashboard) and show the list."""
        for combo, value in ((self.status, status), (self.kind, kind), (self.period, days)):
            combo.blockSignals(True)
            combo.setCurrentIndex(next(i for i in range(combo.count()) if combo.itemData(i) == value))
            combo.blockSignals(False)
        self.refresh()

    def filters(self) -> dict:
        days = self.period.currentData()
        now = self.clock()
        return {"status": self.status.currentData(), "kind": self.kind.currentData(), "estate": self.estate.currentData(),
                "assignee": self.assignee.currentData(), "origin": self.origin.currentData(),
                "start": now - timedelta(days=days) if days else None}

    def refresh(self) -> None:
        chosen, now = self.filters(), self.clock()
        self.taskman.db(lambda session: ticket_service.desk_view(session.conn, now, **chosen), self._loaded, owner=self)

    def _loaded(self, outcome: Outcome) -> None:
        if outcome.error is not None:
            self.summary.setText(_("The tickets could not be read: {error}").format(error=outcome.error))
            return
        if not outcome.ok:
            return
        current = self._focus_id or (self.panel.item["id"] if self.panel.item else None)
        self._focus_id = None
        rows = outcome.value
        self.model.set_rows(rows)
        late = sum(1 for t in rows if any(c.state == response5341.OVERDUE for c in t["clocks"]))
        soon = sum(1 for t in rows if t["due_soon"])
        self.summary.setText(_("{count} tickets: {late} overdue, {soon} due soon").format(
            count=len(rows), late=late, soon=soon))
        number = next((i for i, t in enumerate(rows) if t["id"] == current), None)
        if number is not None:
            self.table.selectRow(number)
        elif current is None and rows:
            self.table.selectRow(0)
        # a ticket that left the list (solved, say) stays in the panel for the next step (the callback)

    def _row_changed(self, current, _previous=None) -> None:
        row = self.model.row(current.row()) if current.isValid() else None
        self.panel.show_ticket(row["id"] if row else None)

    def _panel_changed(self) -> None:
        self.ticket_changed.emit()
        self.refresh()

    def new_ticket(self, resident: dict | None = None) -> IntakeDialog:
        dialog = IntakeDialog(self.taskman, self, resident=resident)
        dialog.accepted.connect(lambda: self._accepted(dialog))
        dialog.open()
        self.intake_dialog = dialog
        return dialog

    def _accepted(self, dialog: IntakeDialog) -> None:
        item = dialog.result
        self.saved.setText(_("Ticket {number} accepted: {summary}.").format(number=item["number"], summary=item["summary"]))
        self.ticket_changed.emit()
        self._focus_id = item["id"]   # show the new ticket once the list has it
        self.status.setCurrentIndex(0)
        self.refresh()
