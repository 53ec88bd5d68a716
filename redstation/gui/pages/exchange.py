"""The data exchange page (数据交换): bundles to and from other stations and the street office.

Five tabs:

- 导出数据包: everything, or the changes since the last bundle made for a trusted station;
  an optional password (typed twice); the file (the station's name and the time by
  default). It is written on a worker with a progress bar and a cancel button; the page
  then says where it went, how many records, and the station's key fingerprint, which the
  sender reads out to the receiver on the phone.
- 导入数据包: choose the file (and give its password when it has one). Who made it is shown
  before anything happens (station, community, time, what it covers, rows per kind, key
  fingerprint); a station not trusted yet shows a warning with its fingerprint and a box to
  tick once the fingerprint was checked with that station: without it nothing is imported.
  检查 runs the whole import as a dry run (new, updated, deleted, in conflict, per kind of
  record; nothing is written), 导入 does it for real after a backup, with progress and cancel
  (a cancel before the end leaves nothing). A refused file (altered, another key, wrong
  password, not a bundle) is named in red, and nothing changed.
- 信任的服务站: the stations whose keys are pinned, with the times of the last exchange;
  取消信任 forgets a key (after the other station was reinstalled).
- 冲突: records changed at two stations at once. The later change was kept; the other
  version is shown beside it field by field, the fields that differ highlighted, and the
  station manager can keep the current one or take the other instead.
- 各站数据: for a street office, each station's live records in this database.

Keyboard: Ctrl+PgDown / Ctrl+PgUp change the tab, Ctrl+E goes to the export, Ctrl+O opens a
bundle to import; Enter on a focused button presses it, Enter in a password field goes on.
"""

from __future__ import annotations

import html
import json
import re
import threading
from datetime import datetime
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QStandardPaths, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (QAbstractItemView, QButtonGroup, QCheckBox, QComboBox, QFileDialog, QFormLayout, QFrame,
                               QGroupBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QMessageBox, QPushButton,
                               QRadioButton, QSplitter, QStackedWidget, QTableView, QTableWidget, QTableWidgetItem,
                               QTabBar, QVBoxLayout, QWidget)

from redstation import RedStationError
from redstation.domain import idnumber, phone
from redstation.domain.vocab import (ACTION_STATUSES, ACTIVITY_KINDS, CARE_CATEGORIES, GENDERS, MEETING_KINDS,
                                     MEETING_PARTIES, RATINGS, RELATIONS, RESIDENCE_TYPES, RESIDENT_STATUSES, SKILLS,
                                     TICKET_KINDS, TICKET_SEVERITIES, TICKET_SOURCES, TICKET_STATUSES, VISIT_HANDLINGS,
                                     VISIT_OUTCOMES, label)
from redstation.gui.ledger import WorkPanel
from redstation.gui.models import Column, ListTableModel
from redstation.gui.pages import Page
from redstation.gui.tasks import Outcome, TaskManager
from redstation.i18n import N_, _, join_groups, join_list, translate
from redstation.services import exchange
from redstation.services.session import Session
from redstation.sync.bundle import BundleError
from redstation.sync.labels import column_label

RED, GREEN, GREY = "#c0141c", "#1d6b2a", "#777777"
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
DIFFERS = "#fff0c2"   # the background of a field that differs between the two versions

# The kinds of record, in the order of the bundle.
KINDS = {
    "stations": N_("Stations"), "households": N_("Households"), "residents": N_("Residents"), "visits": N_("Visits"),
    "tickets": N_("Tickets"), "ticket_events": N_("Ticket history"), "surveys": N_("Satisfaction surveys"),
    "satisfaction": N_("Satisfaction answers"), "volunteers": N_("Volunteers"), "volunteer_skills": N_("Volunteer skills"),
    "teams": N_("Teams"), "team_members": N_("Team members"), "activities": N_("Activities"),
    "attendance": N_("Attendance"), "meetings": N_("Meetings"), "meeting_attendees": N_("Meeting attendees"),
    "meeting_topics": N_("Meeting topics"), "meeting_actions": N_("Follow-up actions"),
}
# What the import does to the records of a kind, the columns of the table after a check.
OUTCOMES = (("inserted", N_("New")), ("updated", N_("Updated")), ("deleted", N_("Deletions")),
            ("conflicts", N_("Conflicts")), ("unchanged", N_("Unchanged")), ("tombstones", N_("Deleted there")))
HIDDEN_FIELDS = {"id", "version", "vclock", "created_at", "origin"}   # not compared in the conflict view
YES_NO_FIELDS = {"deleted", "late_entry", "voided", "paused", "party_member", "serving_party_member", "active",
                 "signed_up", "attended"}
VOCABULARIES = {
    "gender": GENDERS, "relation": RELATIONS, "residence_type": RESIDENCE_TYPES, "source": TICKET_SOURCES,
    "severity": TICKET_SEVERITIES, "outcome": VISIT_OUTCOMES, "handling": VISIT_HANDLINGS, "rating": RATINGS,
    "skill": SKILLS, "party": MEETING_PARTIES,
}
TABLE_VOCABULARIES = {
    ("residents", "status"): RESIDENT_STATUSES, ("tickets", "status"): TICKET_STATUSES,
    ("meeting_actions", "status"): ACTION_STATUSES, ("tickets", "kind"): TICKET_KINDS,
    ("activities", "kind"): ACTIVITY_KINDS, ("meetings", "kind"): MEETING_KINDS,
}
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


# --- small texts -----------------------------------------------------------------------------------------------

def kind_label(table: str) -> str:
    return label(KINDS, table)


def time_text(iso: str | None) -> str:
    """2026-11-24 09:30 from an ISO time; empty for none."""
    return iso[:16].replace("T", " ") if iso else ""


def version_time(version: str) -> str:
    """When a version was made (the hybrid-logical-clock milliseconds), in local time."""
    try:
        millis = int(version.split("-", 1)[0])
    except (ValueError, AttributeError):
        return ""
    return datetime.fromtimestamp(millis / 1000).strftime("%Y-%m-%d %H:%M")


def counts_text(counts: dict[str, int]) -> str:
    """住户 300，居民 817，走访记录 2489 … (the kinds with records, in bundle order)."""
    return _(", ").join(_("{kind} {count}").format(kind=kind_label(t), count=counts[t])
                        for t in [*KINDS, *sorted(set(counts) - set(KINDS))] if counts.get(t))


def value_text(table: str, column: str, value, *, masked: bool = False) -> str:
    """A field's value as a clerk reads it: labels for codes, 是/否, lists, times without the T."""
    if value is None or value == "":
        return ""
    if column in YES_NO_FIELDS:
        return _("Yes") if value else _("No")
    vocab = TABLE_VOCABULARIES.get((table, column)) or VOCABULARIES.get(column)
    if vocab is not None:
        return label(vocab, str(value))
    if column == "care_categories":
        try:
            return join_list(label(CARE_CATEGORIES, code) for code in json.loads(value))
        except (ValueError, TypeError):
            return str(value)
    if column == "emergency_contacts":
        try:
            contacts = json.loads(value)
            return join_groups(_("{name} ({relation}) {phone}").format(
                name=c.get("name", ""), relation=c.get("relation") or "—",
                phone=phone.mask(c.get("phone")) if masked else c.get("phone", "")) for c in contacts)
        except (ValueError, TypeError, AttributeError):
            return str(value)
    if masked and column == "id_number":
        return idnumber.mask(str(value))
    if masked and column in ("phone", "caller_phone"):
        return phone.mask(str(value))
    if isinstance(value, str) and _TIME.match(value):
        return time_text(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def scope_text(manifest, standing: dict | None) -> str:
    if manifest.scope == "full":
        return _("Everything (a full bundle)")
    if standing and standing.get("made_for_here"):
        return _("Changes since the last bundle made for this station")
    made_for = (standing or {}).get("made_for") or manifest.scope.split(":", 1)[-1]
    return _("Changes since the last bundle made for {station}").format(station=made_for)


def default_folder() -> Path:
    found = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(found) if found and Path(found).is_dir() else Path.home()


class _Stop:
    """The cancel flag of one piece of work: the page's own, so a cancel pressed after the work
    committed does not hide that it did (the task's own flag would turn its result into "cancelled")."""

    def __init__(self):
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    def __call__(self) -> bool:
        return self._event.is_set()


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


def _cell(text: str, align=None) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    if align is not None:
        item.setTextAlignment(align)
    return item


def _grid(headers: list[str]) -> QTableWidget:
    grid = QTableWidget(0, len(headers))
    grid.setHorizontalHeaderLabels(headers)
    grid.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    grid.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    grid.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    grid.verticalHeader().hide()
    grid.verticalHeader().setDefaultSectionSize(24)
    grid.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    return grid


def _button(text: str) -> QPushButton:
    button = QPushButton(text)
    button.setAutoDefault(True)   # Enter on a focused button presses it, as Space does
    return button


def _say(widget: QLabel, text: str, kind: str = "") -> None:
    """Show a message in a label: kind "error" (red), "success" (green) or "" (plain)."""
    widget.setObjectName(kind or "message")
    widget.setStyleSheet({"error": "color: {c}; font-weight: bold;".format(c=RED),
                          "success": "color: {c}; font-weight: bold;".format(c=GREEN)}.get(kind, ""))
    widget.setText(text)
    widget.setVisible(bool(text))


def _say_html(widget: QLabel, first: str, *rest: str, kind: str = "") -> None:
    """A message of several lines in a rich-text label: the first in bold (red or green by ``kind``), the rest plain."""
    colour = {"error": RED, "success": GREEN}.get(kind, "#222222")
    widget.setText('<b style="color: {c};">{first}</b>{rest}'.format(
        c=colour, first=html.escape(first), rest="".join("<br>" + html.escape(line) for line in rest)))
    widget.setVisible(bool(first))


def _fingerprint_label() -> QLabel:
    shown = QLabel("")
    font = QFont("monospace")
    font.setStyleHint(QFont.StyleHint.Monospace)
    font.setPointSize(15)
    font.setBold(True)
    shown.setFont(font)
    shown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return shown


def _error_text(error: BaseException) -> str:
    return str(error) if isinstance(error, RedStationError) else _("Unexpected error: {error}").format(error=error)


# --- export ----------------------------------------------------------------------------------------------------

class ExportPanel(QWidget):
    """Make a bundle: full or since the last one for a station, optional password, the file; then the fingerprint."""

    exported = Signal(dict)

    def __init__(self, page: "ExchangePage"):
        super().__init__()
        self.page = page
        self.station: dict | None = None
        self.peers: list[dict] = []
        self.result: dict | None = None
        self._path_typed = False   # the user chose or typed a file: keep it
        self._stop: _Stop | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)

        box = QGroupBox(_("Make a data bundle"))
        form = QFormLayout(box)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        form.setHorizontalSpacing(14)
        form.setVerticalSpacing(10)
        self.full = QRadioButton(_("Everything (a full bundle)"))
        self.since = QRadioButton(_("Changes since the last bundle for"))
        self.scope = QButtonGroup(self)
        self.scope.addButton(self.full)
        self.scope.addButton(self.since)
        self.full.setChecked(True)
        self.peer = QComboBox()
        self.peer.setMinimumWidth(260)
        since_row = QHBoxLayout()
        since_row.addWidget(self.since)
        since_row.addWidget(self.peer)
        since_row.addStretch(1)
        scope = QVBoxLayout()
        scope.addWidget(self.full)
        scope.addLayout(since_row)
        self.peer_note = QLabel("")
        self.peer_note.setObjectName("muted")
        self.peer_note.setWordWrap(True)
        scope.addWidget(self.peer_note)
        form.addRow(_("What it holds"), scope)

        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(_("optional"))
        self.repeat = QLineEdit()
        self.repeat.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat.setPlaceholderText(_("the same again"))
        passwords = QHBoxLayout()
        passwords.setSpacing(8)
        for field in (self.password, self.repeat):
            field.setFixedWidth(240)
            passwords.addWidget(field)
        passwords.addStretch(1)
        password_box = QVBoxLayout()
        password_box.addLayout(passwords)
        self.password_problem = QLabel("")
        self.password_problem.hide()
        password_box.addWidget(self.password_problem)
        hint = QLabel(_("The bundle holds residents' id numbers, phones and care notes. Give it a password when it "
                        "leaves the office on a USB stick or by e-mail, and tell the receiver the password by phone, "
                        "never in the same e-mail."))
        hint.setObjectName("muted")
        hint.setWordWrap(True)
        password_box.addWidget(hint)
        form.addRow(_("Password"), password_box)

        self.path = QLineEdit()
        self.path.textEdited.connect(self._typed)
        self.choose_button = QPushButton(_("Choose…"))
        self.choose_button.clicked.connect(self.choose)
        file_row = QHBoxLayout()
        file_row.addWidget(self.path, 1)
        file_row.addWidget(self.choose_button)
        form.addRow(_("Save to"), file_row)
        layout.addWidget(box)

        buttons = QHBoxLayout()
        self.export_button = _button(_("Export"))
        self.export_button.clicked.connect(self.export)
        buttons.addWidget(self.export_button)
        self.work = WorkPanel()
        buttons.addWidget(self.work, 1)
        buttons.addStretch(0)
        layout.addLayout(buttons)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()
        layout.addWidget(self.message)
        self.details = QLabel("")
        self.details.setWordWrap(True)
        self.details.hide()
        layout.addWidget(self.details)

        self.done_box = QFrame()
        self.done_box.setObjectName("notice")
        done = QVBoxLayout(self.done_box)
        done.setContentsMargins(20, 14, 20, 14)
        title = QLabel(_("Read this key fingerprint out to the receiver on the phone:"))
        title.setObjectName("noticeTitle")
        done.addWidget(title)
        self.fingerprint = _fingerprint_label()
        done.addWidget(self.fingerprint)
        after = QLabel(_("The receiver sees the same fingerprint when opening the bundle and trusts this station only "
                         "if every group matches. Send the password (if any) separately."))
        after.setObjectName("noticeText")
        after.setWordWrap(True)
        done.addWidget(after)
        self.done_box.hide()
        layout.addWidget(self.done_box)
        layout.addStretch(1)

        for widget in (self.full, self.since, self.peer, self.password, self.repeat, self.path, self.choose_button,
                       self.export_button):
            widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        order = [self.full, self.since, self.peer, self.password, self.repeat, self.path, self.choose_button,
                 self.export_button]
        for first, second in zip(order, order[1:]):
            QWidget.setTabOrder(first, second)
        for field in (self.password, self.repeat, self.path):
            field.returnPressed.connect(self.export)
        self.since.toggled.connect(self._scope_changed)
        self.peer.currentIndexChanged.connect(self._scope_changed)
        self.password.textChanged.connect(self._enable)
        self.repeat.textChanged.connect(self._enable)
        self.path.textChanged.connect(self._enable)
        self._enable()

    # --- what the page knows ------------------------------------------------------------------------------------
    def set_info(self, station: dict | None, peers: list[dict]) -> None:
        self.station = station
        chosen = self.peer.currentData()
        self.peers = peers
        self.peer.blockSignals(True)
        self.peer.clear()
        for peer in peers:
            self.peer.addItem(peer["name"], peer["station_id"])
        self.peer.setCurrentIndex(max(self.peer.findData(chosen), 0))
        self.peer.blockSignals(False)
        if not self._path_typed:
            self.path.setText(str(default_folder() / self.default_name()))
        self._scope_changed()

    def default_name(self) -> str:
        name = (self.station or {}).get("name") or _("Station")
        return _("{station}-bundle-{time}.xlsx").format(station=re.sub(r'[\\/:*?"<>|]', "_", name),
                                                         time=self.page.clock().strftime("%Y%m%d-%H%M"))

    def _typed(self, _text: str) -> None:
        self._path_typed = True

    def _scope_changed(self, *_args) -> None:
        if not self.peers:
            self.since.setEnabled(False)
            self.peer.setEnabled(False)
            self.full.setChecked(True)
            self.peer_note.setText(_("No station is trusted yet: a bundle of changes only can be made for a station "
                                     "whose bundle was imported here."))
        else:
            self.since.setEnabled(True)
            self.peer.setEnabled(self.since.isChecked())
            peer = next((p for p in self.peers if p["station_id"] == self.peer.currentData()), None)
            if not self.since.isChecked() or peer is None:
                self.peer_note.setText(_("Every record of this database: for a station or street office receiving "
                                         "from here for the first time, or to start again."))
            elif peer.get("exported_at"):
                self.peer_note.setText(_("The last bundle for {station} was made {time}: this one holds what changed "
                                         "here since (and the records those refer to).").format(
                    station=peer["name"], time=time_text(peer["exported_at"])))
            else:
                self.peer_note.setText(_("No bundle was made for {station} yet: this one holds everything.").format(
                    station=peer["name"]))
        self._enable()

    def _enable(self, *_args) -> None:
        idle = self.work.task is None
        problem = self.problem()
        self.export_button.setEnabled(idle and self.station is not None and problem is None)
        for widget in (self.full, self.password, self.repeat, self.path, self.choose_button):
            widget.setEnabled(idle)
        if self.peers:
            self.since.setEnabled(idle)
            self.peer.setEnabled(idle and self.since.isChecked())
        differ = bool(self.repeat.text()) and self.password.text() != self.repeat.text()
        _say(self.password_problem, _("The two passwords differ") if differ else "", "error")

    def problem(self) -> str | None:
        """Why the bundle cannot be made as the form stands (None: it can)."""
        if self.password.text() != self.repeat.text():
            return _("The two passwords differ")
        if not self.path.text().strip():
            return _("Choose where to save the bundle")
        return None

    def choose(self) -> None:
        current = Path(self.path.text().strip() or str(default_folder() / self.default_name()))
        out, _filter = QFileDialog.getSaveFileName(self, _("Save the data bundle"), str(current),
                                                   _("Excel workbook (*.xlsx)"))
        if out:
            self.set_file(out)

    def set_file(self, out: str | Path) -> None:
        out = Path(out)
        if out.suffix.lower() != ".xlsx":
            out = out.with_name(out.name + ".xlsx")
        self._path_typed = True
        self.path.setText(str(out))

    # --- the work ---------------------------------------------------------------------------------------------
    def export(self) -> None:
        if not self.export_button.isEnabled():
            return
        out = Path(self.path.text().strip()).expanduser()
        if out.suffix.lower() != ".xlsx":
            out = out.with_name(out.name + ".xlsx")
        if not out.parent.is_dir():
            _say(self.message, _("There is no folder {folder}").format(folder=out.parent), "error")
            return
        since = self.peer.currentData() if self.since.isChecked() and self.peers else None
        password = self.password.text() or None
        db_path, actor = self.page.session.path, self.page.taskman.actor
        stop = self._stop = _Stop()

        def work(progress, cancelled):
            with Session.open(db_path, actor, create=False) as session:
                return exchange.export_bundle(session, out, since_peer=since, password=password, progress=progress,
                                              cancelled=lambda: stop() or cancelled())

        self.result = None
        _say(self.message, "")
        _say(self.details, "")
        self.done_box.hide()
        self.work.start(_("Writing the bundle…"), lambda progress: (self.page.taskman.run_in_background(
            work, lambda outcome: self._done(out, stop, outcome), on_progress=progress, owner=self), stop)[1])
        self._enable()

    def _done(self, out: Path, stop: _Stop, outcome: Outcome) -> None:
        self.work.finish()
        if outcome.cancelled or (outcome.error is not None and stop()):
            _say(self.message, _("Cancelled: no file was written."))
        elif outcome.error is not None:
            _say(self.message, _("The bundle was not written: {error}").format(error=_error_text(outcome.error)), "error")
        else:
            self.result = made = outcome.value
            scope = _("everything") if made["scope"] == "full" else _("the changes since the last one for {station}").format(
                station=self.peer.currentText())
            _say(self.message, _("The bundle was written to {path}: {rows} records ({scope}).").format(
                path=out, rows=made["rows"], scope=scope), "success")
            _say(self.details, counts_text(made["counts"]))
            self.fingerprint.setText(made["fingerprint"])
            self.done_box.show()
            self._path_typed = False     # the next bundle gets a new name
            self.password.clear()
            self.repeat.clear()
            self.exported.emit(made)
        self._enable()


# --- import ----------------------------------------------------------------------------------------------------

class ImportPanel(QWidget):
    """Open a bundle, show who made it, trust its station if need be, check, import."""

    imported = Signal()
    show_conflicts = Signal()

    def __init__(self, page: "ExchangePage"):
        super().__init__()
        self.page = page
        self.path: Path | None = None
        self.manifest = None
        self.standing: dict | None = None
        self.checked = False        # a dry run of this file went through
        self.refused = False        # the check or the import found the file altered: it goes no further
        self.result = None          # of the last check or import
        self.conflicts: list[dict] = []
        self.reading = False
        self.password_given: str | None = None
        self._stop: _Stop | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)

        file_row = QHBoxLayout()
        file_row.addWidget(QLabel(_("Bundle file")))
        self.file = QLineEdit()
        self.file.setPlaceholderText(_("the .xlsx bundle another station or the street office sent (Ctrl+O)"))
        self.file.returnPressed.connect(lambda: self.open_file(self.file.text().strip()))
        self.choose_button = QPushButton(_("Choose…"))
        self.choose_button.clicked.connect(self.choose)
        file_row.addWidget(self.file, 1)
        file_row.addWidget(self.choose_button)
        layout.addLayout(file_row)

        self.status = QLabel(_("Choose a bundle: nothing is imported before you have seen who made it and checked it."))
        self.status.setObjectName("muted")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.status)

        self.password_row = QWidget()
        password = QHBoxLayout(self.password_row)
        password.setContentsMargins(0, 0, 0, 0)
        password.addWidget(QLabel(_("Password of the bundle")))
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setMaximumWidth(260)
        self.password.returnPressed.connect(self.read_with_password)
        self.open_button = _button(_("Open the bundle"))
        self.open_button.clicked.connect(self.read_with_password)
        password.addWidget(self.password)
        password.addWidget(self.open_button)
        password.addStretch(1)
        self.password_row.hide()
        layout.addWidget(self.password_row)


        self.split = QSplitter(Qt.Orientation.Horizontal)
        # left: who made it, trust, and what came of the check or the import
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 8, 0)
        self.who = QGroupBox(_("Who made it"))
        facts = QFormLayout(self.who)
        facts.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        facts.setVerticalSpacing(6)
        self.facts: dict[str, QLabel] = {}
        for key, caption in (("station", _("Station")), ("community", _("Community")), ("made", _("Made at")),
                             ("scope", _("What it holds")), ("rows", _("Number of records")),
                             ("fingerprint", _("Key fingerprint"))):
            shown = _fingerprint_label() if key == "fingerprint" else QLabel("")
            if key == "fingerprint":
                font = shown.font()
                font.setPointSize(12)
                shown.setFont(font)
            shown.setWordWrap(key != "fingerprint")
            shown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.facts[key] = shown
            facts.addRow(QLabel(_("{label}:").format(label=caption)), shown)
        column.addWidget(self.who)

        self.trust_box = QFrame()
        self.trust_box.setObjectName("trustBox")
        trust = QVBoxLayout(self.trust_box)
        trust.setContentsMargins(16, 12, 16, 12)
        self.trust_title = QLabel("")
        self.trust_title.setWordWrap(True)
        self.trust_text = QLabel("")
        self.trust_text.setWordWrap(True)
        self.trust_text.setObjectName("noticeText")
        self.trust_fingerprint = _fingerprint_label()
        self.trust = QCheckBox("")
        self.trust.toggled.connect(self._enable)
        trust.addWidget(self.trust_title)
        trust.addWidget(self.trust_text)
        trust.addWidget(self.trust_fingerprint)
        trust.addWidget(self.trust)
        self.trust_box.hide()
        column.addWidget(self.trust_box)

        self.outcome = QLabel("")
        self.outcome.setWordWrap(True)
        self.outcome.setTextFormat(Qt.TextFormat.RichText)
        self.outcome.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.outcome.hide()
        column.addWidget(self.outcome)
        self.conflicts_title = QLabel("")
        self.conflicts_title.setWordWrap(True)
        self.conflicts_title.hide()
        column.addWidget(self.conflicts_title)
        self.conflict_table = _grid([_("Kind of record"), _("Record")])
        self.conflict_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.conflict_table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.conflict_table.hide()
        column.addWidget(self.conflict_table)
        after = QHBoxLayout()
        self.conflicts_button = _button(_("Show the conflicts"))
        self.conflicts_button.clicked.connect(self.show_conflicts.emit)
        self.conflicts_button.hide()
        self.delete_button = _button(_("Delete the bundle file…"))
        self.delete_button.setToolTip(_("It holds residents' personal data: once imported it is not needed any more"))
        self.delete_button.clicked.connect(self.delete_file)
        self.delete_button.hide()
        after.addWidget(self.conflicts_button)
        after.addWidget(self.delete_button)
        after.addStretch(1)
        column.addLayout(after)
        column.addStretch(1)
        self.split.addWidget(left)

        # right: rows per kind, the counts of the check or the import beside them, the buttons
        right = QWidget()
        column = QVBoxLayout(right)
        column.setContentsMargins(8, 0, 0, 0)
        heading = QLabel(_("Records in the bundle, and what importing them does here"))
        heading.setObjectName("sectionTitle")
        column.addWidget(heading)
        self.table = _grid([_("Kind of record"), _("In the bundle")] + [translate(caption) for _key, caption in OUTCOMES])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setDefaultSectionSize(22)
        column.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        self.check_button = _button(_("Check"))
        self.check_button.setToolTip(_("Run the whole import and count what it would do; nothing is written"))
        self.check_button.clicked.connect(self.check)
        self.import_button = _button(_("Import"))
        self.import_button.setToolTip(_("Import for real, after a backup of this database"))
        self.import_button.clicked.connect(self.run_import)
        buttons.addWidget(self.check_button)
        buttons.addWidget(self.import_button)
        self.work = WorkPanel()
        buttons.addWidget(self.work, 1)
        buttons.addStretch(0)
        column.addLayout(buttons)
        self.split.addWidget(right)
        self.split.setStretchFactor(0, 1)
        self.split.setStretchFactor(1, 1)
        self.split.setSizes([540, 540])
        layout.addWidget(self.split, 1)
        self.split.hide()
        self.filler = QWidget()   # holds the room while no bundle is shown, so the lines above stay at the top
        layout.addWidget(self.filler, 1)
        order = [self.file, self.choose_button, self.password, self.open_button, self.trust, self.check_button,
                 self.import_button, self.conflicts_button, self.delete_button]
        for first, second in zip(order, order[1:]):
            QWidget.setTabOrder(first, second)
        self._enable()

    # --- choosing and reading the file ----------------------------------------------------------------------------
    def choose(self) -> None:
        start = str(self.path.parent if self.path else default_folder())
        path, _filter = QFileDialog.getOpenFileName(self, _("Open a data bundle"), start,
                                                    _("Data bundle (*.xlsx);;All files (*)"))
        if path:
            self.open_file(path)

    def open_file(self, path: str | Path) -> None:
        """Read the bundle's manifest on a worker (no password yet) and show who made it."""
        if not str(path).strip() or self.work.task is not None or self.reading:
            return
        self.path = Path(path).expanduser()
        self.file.setText(str(self.path))
        self.password.clear()
        self.password_row.hide()
        self._read(None)

    def read_with_password(self) -> None:
        if self.path is None or self.reading:
            return
        if not self.password.text():
            _say(self.status, _("Type the password of the bundle"), "error")
            return
        self._read(self.password.text())

    def _clear(self) -> None:
        self.manifest = self.standing = self.result = None
        self.refused = False
        self.checked = False
        self.conflicts = []
        self.split.hide()
        self.filler.show()
        self.trust_box.hide()
        self.table.setRowCount(0)
        self.trust.setChecked(False)
        for widget in (self.outcome, self.conflicts_title, self.conflict_table, self.conflicts_button, self.delete_button):
            widget.hide()

    def _read(self, password: str | None) -> None:
        self._clear()
        path = self.path
        self.reading = True
        _say(self.status, _("Reading {file}…").format(file=path.name))

        def read(session: Session) -> dict:
            manifest = exchange.read_manifest(path, password)
            return {"manifest": manifest, "standing": exchange.standing(session, manifest)}

        def read_done(outcome: Outcome) -> None:
            self.reading = False
            if outcome.ok:
                self._show(outcome.value, password)
            elif outcome.error is not None:
                if password is None and exchange.is_protected(path):
                    self.password_row.show()
                    self.password.setFocus()
                    _say(self.status, _("{file} is protected with a password: type it and press Enter.").format(
                        file=path.name))
                else:
                    if password is not None:
                        self.password.selectAll()
                        self.password.setFocus()
                    _say(self.status, _("{error}. Nothing was changed.").format(
                        error=_error_text(outcome.error).rstrip("。.")), "error")
            self._enable()

        self.page.taskman.read(read, read_done, owner=self)
        self._enable()

    def _show(self, found: dict, password: str | None) -> None:
        manifest, standing = found["manifest"], found["standing"]
        self.manifest, self.standing, self.password_given = manifest, standing, password
        self.facts["station"].setText(manifest.station_name)
        self.facts["community"].setText(manifest.community)
        self.facts["made"].setText(time_text(manifest.created_at))
        self.facts["scope"].setText(scope_text(manifest, standing))
        self.facts["rows"].setText(_("{count} in all").format(count=sum(manifest.counts.values())))
        self.facts["fingerprint"].setText(manifest.fingerprint())
        self._fill_table(manifest.counts, None)
        self.filler.hide()
        self.split.show()
        status, peer = standing["status"], standing["peer"]
        self.trust.hide()
        self.trust_fingerprint.hide()
        if status == "own":
            self._trust_box("muted", _("Made by this station"), _("A bundle of this station's own records (made on "
                                                                   "another PC of this station, or earlier): importing "
                                                                   "it merges them back."))
        elif status == "trusted":
            self._trust_box("success", _("A trusted station"), _("{station} was trusted {time} by {user}; the bundle is "
                                                                 "signed with the same key.").format(
                station=manifest.station_name, time=time_text(peer["trusted_at"]), user=peer["trusted_by"]))
        elif status == "untrusted":
            self._trust_box("warning", _("A station not trusted yet"), _(
                "No bundle of {station} ({community}) was imported here before. Before importing, phone that station "
                "and ask them to read out the key fingerprint shown on their Data exchange page; compare it group by group "
                "with this one:").format(station=manifest.station_name, community=manifest.community))
            self.trust_fingerprint.setText(manifest.fingerprint())
            self.trust_fingerprint.show()
            self.trust.setText(_("The fingerprints match: trust {station} (from now on only bundles signed with this "
                                 "key are accepted from it)").format(station=manifest.station_name))
            self.trust.show()
        else:
            old = peer["fingerprint"] if peer else ""
            self._trust_box("error", _("Signed with another key"), _(
                "{station} is trusted here with another key (fingerprint {old}): this bundle cannot be imported. If the "
                "station was reinstalled, remove it on the tab Trusted stations first, check the new fingerprint with them, "
                "then open the bundle again.").format(station=manifest.station_name, old=old or "—"))
        if status == "key_changed":
            _say(self.status, _("Refused: {file} is signed with another key than the one trusted for {station}. "
                                "Nothing was changed.").format(file=self.path.name, station=manifest.station_name), "error")
        else:
            _say(self.status, _("{file}: check who made it, then Check shows what importing it would do.").format(
                file=self.path.name))
        self._enable()
        (self.trust if status == "untrusted" else self.check_button).setFocus()

    def _trust_box(self, kind: str, title: str, text: str) -> None:
        colours = {"muted": ("#f4f4f2", "#cfcfca", "#555555"), "success": ("#f0f8f1", "#8cc09a", GREEN),
                   "warning": ("#fff4f0", "#c0141c", RED), "error": ("#fff3f3", "#c0141c", RED)}[kind]
        self.trust_box.setStyleSheet(
            "QFrame#trustBox {{ background: {bg}; border: 1px solid {edge}; border-left: 4px solid {edge}; "
            "border-radius: 3px; }}".format(bg=colours[0], edge=colours[1]))
        self.trust_title.setStyleSheet("font-size: 12pt; font-weight: bold; color: {c};".format(c=colours[2]))
        self.trust_title.setText(title)
        self.trust_text.setText(text)
        self.trust_box.show()

    def _fill_table(self, counts: dict[str, int], tally) -> None:
        kinds = [t for t in [*KINDS, *sorted(set(counts) - set(KINDS))] if counts.get(t)]
        by_table = tally.by_table if tally is not None else {}
        shown = [key for key, _caption in OUTCOMES if tally is None or key != "tombstones" or tally.tombstones]
        self.table.setRowCount(len(kinds) + 1)
        for row, table in enumerate(kinds):
            self.table.setItem(row, 0, _cell(kind_label(table)))
            self.table.setItem(row, 1, _cell(str(counts[table]), RIGHT))
            for n, (key, _caption) in enumerate(OUTCOMES, start=2):
                value = by_table.get(table, {}).get(key, 0) if tally is not None else None
                item = _cell("—" if value is None else str(value), RIGHT)
                if value and key in ("conflicts",):
                    item.setForeground(QBrush(QColor(RED)))
                self.table.setItem(row, n, item)
        total = len(kinds)
        bold = QFont()
        bold.setBold(True)
        self.table.setItem(total, 0, _cell(_("Total")))
        self.table.setItem(total, 1, _cell(str(sum(counts.values())), RIGHT))
        for n, (key, _caption) in enumerate(OUTCOMES, start=2):
            value = getattr(tally, key) if tally is not None else None
            self.table.setItem(total, n, _cell("—" if value is None else str(value), RIGHT))
        for n in range(self.table.columnCount()):
            self.table.item(total, n).setFont(bold)
        for n, (key, _caption) in enumerate(OUTCOMES, start=2):
            self.table.setColumnHidden(n, key not in shown or (tally is None and key == "tombstones"))

    def can_go_on(self) -> bool:
        """A bundle is open, signed with a key this station accepts, and (if new) its station is trusted."""
        if self.manifest is None or self.standing is None or self.refused:
            return False
        status = self.standing["status"]
        return status in ("own", "trusted") or (status == "untrusted" and self.trust.isChecked())

    def _enable(self, *_args) -> None:
        idle = self.work.task is None and not self.reading
        ready = idle and self.can_go_on()
        self.check_button.setEnabled(ready)
        self.import_button.setEnabled(ready and self.checked)
        self.choose_button.setEnabled(idle)
        self.file.setEnabled(idle)
        self.trust.setEnabled(idle)
        self.open_button.setEnabled(idle)
        self.password.setEnabled(idle)

    # --- checking and importing ---------------------------------------------------------------------------------
    def check(self) -> None:
        self._run(dry_run=True)

    def run_import(self) -> None:
        self._run(dry_run=False)

    def _run(self, dry_run: bool) -> None:
        if not self.can_go_on() or self.work.task is not None or (not dry_run and not self.checked):
            return
        path, password = self.path, self.password_given
        trust = self.standing["status"] == "untrusted" and self.trust.isChecked()
        db_path, actor = self.page.session.path, self.page.taskman.actor
        stop = self._stop = _Stop()

        def work(progress, cancelled):
            with Session.open(db_path, actor, create=False) as session:
                result = exchange.import_bundle(session, path, dry_run=dry_run, trust=trust, password=password,
                                                progress=progress, cancelled=lambda: stop() or cancelled())
                labels = [(c["table"], exchange.label_of(session.conn, c["table"], c["id"]))
                          for c in result.tally.conflict_list[:200]]
                return result, labels

        for widget in (self.outcome, self.conflicts_title, self.conflict_table, self.conflicts_button, self.delete_button):
            widget.hide()
        self.work.start(_("Checking…") if dry_run else _("Importing…"), lambda progress: (
            self.page.taskman.run_in_background(work, lambda outcome: self._done(dry_run, stop, outcome),
                                                on_progress=progress, owner=self), stop)[1])
        self._enable()

    def _done(self, dry_run: bool, stop: _Stop, outcome: Outcome) -> None:
        self.work.finish()
        if outcome.cancelled or (outcome.error is not None and stop()):
            _say_html(self.outcome, _("Cancelled: nothing was imported."))
        elif isinstance(outcome.error, BundleError):   # the file is refused: it cannot be checked nor imported
            self.refused = True
            self.trust_box.hide()
            _say(self.status, _("{error}. Nothing was changed.").format(error=str(outcome.error).rstrip("。.")), "error")
        elif outcome.error is not None:
            _say_html(self.outcome, _("{error}. Nothing was changed.").format(
                error=_error_text(outcome.error).rstrip("。.")), kind="error")
        else:
            result, labels = outcome.value
            self.result = result
            tally = result.tally
            counts = dict(tally.as_json(), tombstones=tally.tombstones)
            if dry_run:
                self.checked = True
                _say_html(self.outcome, _("Checked: {inserted} new, {updated} updated, {deleted} deleted, {conflicts} in "
                                          "conflict, {unchanged} unchanged.").format(**counts),
                          _("Nothing is written until you import."))
                _say(self.status, _("{file}: checked; Import writes it into this database (after a backup).").format(
                    file=self.path.name))
                self.import_button.setFocus()
            else:
                self.checked = False
                lines = [_("Imported from {station}: {inserted} new, {updated} updated, {deleted} deleted, {conflicts} "
                           "in conflict, {unchanged} unchanged.").format(station=result.manifest.station_name, **counts)]
                if result.newly_trusted:
                    lines.append(_("{station} is trusted from now on (key fingerprint {fingerprint}).").format(
                        station=result.manifest.station_name, fingerprint=result.manifest.fingerprint()))
                if result.backup:
                    lines.append(_("Backup made before the import: {path}").format(path=result.backup))
                lines.append(_("The bundle is not needed any more: delete it, it holds residents' personal data."))
                _say_html(self.outcome, *lines, kind="success")
                _say(self.status, _("{file} was imported.").format(file=self.path.name))
                self.delete_button.show()
                self.delete_button.setFocus()
                self.imported.emit()
            self._fill_table(result.manifest.counts, tally)
            self.conflicts = [{"table": table, "label": text} for table, text in labels]
            if tally.conflicts:
                self.conflicts_title.setText(
                    _("{count} records were changed at both stations since they last exchanged: the later change "
                      "wins, the other version is kept in the conflict list for the station manager:").format(
                        count=tally.conflicts) if not dry_run else
                    _("{count} records were changed at both stations since they last exchanged: importing keeps "
                      "the later change and puts the other version in the conflict list:").format(count=tally.conflicts))
                self.conflict_table.setRowCount(len(labels))
                for row, (table, text) in enumerate(labels):
                    self.conflict_table.setItem(row, 0, _cell(kind_label(table)))
                    self.conflict_table.setItem(row, 1, _cell(text))
                self.conflict_table.setFixedHeight(self.conflict_table.horizontalHeader().sizeHint().height() + 4
                                                   + 24 * min(max(len(labels), 1), 8))
                for widget in (self.conflicts_title, self.conflict_table):
                    widget.show()
                self.conflicts_button.setVisible(not dry_run)
        self._enable()

    def delete_file(self) -> None:
        if self.path is None or not self.path.exists():
            return
        answer = QMessageBox.question(self, _("Delete the bundle file"), _(
            "Delete {path}? It was imported; the data is in this database now.").format(path=self.path))
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            self.path.unlink()
        except OSError as exc:
            _say(self.status, _("It could not be deleted: {error}").format(error=exc.strerror or exc), "error")
            return
        self.delete_button.hide()
        _say(self.status, _("{file} was deleted.").format(file=self.path.name), "success")


# --- trusted stations ------------------------------------------------------------------------------------------

def peer_columns() -> list[Column]:
    def imported(p: dict) -> str:
        if not p.get("imported_at"):
            return _("not yet")
        return _("{time} (made {made})").format(time=time_text(p["imported_at"]), made=time_text(p["imported_created"]))
    return [
        Column(_("Station"), lambda p: p["name"]),
        Column(_("Key fingerprint"), lambda p: p["fingerprint"]),
        Column(_("Trusted at"), lambda p: time_text(p["trusted_at"])),
        Column(_("Trusted by"), lambda p: p["trusted_by"]),
        Column(_("Last bundle imported"), imported),
        Column(_("Last bundle made for it"), lambda p: time_text(p.get("exported_at")) or _("not yet")),
    ]


class PeersPanel(QWidget):
    changed = Signal()

    def __init__(self, page: "ExchangePage"):
        super().__init__()
        self.page = page
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        note = QLabel(_("Bundles are accepted only from these stations, and only when signed with the key trusted "
                        "here. A station is trusted when its first bundle is imported, after its fingerprint was "
                        "checked on the phone."))
        note.setObjectName("muted")
        note.setWordWrap(True)
        layout.addWidget(note)
        self.model = ListTableModel(peer_columns(), self)
        self.table = _table(self.model, [200, 330, 130, 110, 270])
        layout.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        self.untrust_button = _button(_("Remove trust…"))
        self.untrust_button.setToolTip(_("Forget the station's key (after it was reinstalled); its records stay (Delete)"))
        self.untrust_button.clicked.connect(lambda: self.untrust())
        buttons.addWidget(self.untrust_button)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        buttons.addWidget(self.message, 1)
        layout.addLayout(buttons)
        shortcut = QShortcut(QKeySequence(Qt.Key.Key_Delete), self.table, lambda: self.untrust())
        shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
        self.table.selectionModel().currentRowChanged.connect(lambda *_a: self._enable())
        self._enable()

    def set_peers(self, peers: list[dict]) -> None:
        chosen = self.current()
        self.model.set_rows(peers)
        rows = [n for n, p in enumerate(peers) if chosen and p["station_id"] == chosen["station_id"]]
        if peers:
            self.table.selectRow(rows[0] if rows else 0)
        self._enable()

    def current(self) -> dict | None:
        index = self.table.currentIndex()
        return self.model.row(index.row()) if index.isValid() else None

    def _enable(self) -> None:
        self.untrust_button.setEnabled(self.current() is not None)

    def untrust(self, confirmed: bool = False) -> None:
        peer = self.current()
        if peer is None:
            return
        if not confirmed:
            answer = QMessageBox.question(self, _("Remove trust"), _(
                "Stop trusting {station} (key fingerprint {fingerprint})?\n\nIts records stay here. Its next bundle "
                "is accepted only after its fingerprint was checked again and the station trusted anew.").format(
                station=peer["name"], fingerprint=peer["fingerprint"]))
            if answer != QMessageBox.StandardButton.Yes:
                return
        station_id, name = peer["station_id"], peer["name"]
        self.page.taskman.db(lambda session: exchange.untrust(session, station_id),
                             lambda outcome: self._untrusted(name, outcome), owner=self)

    def _untrusted(self, name: str, outcome: Outcome) -> None:
        if outcome.error is not None:
            _say(self.message, _error_text(outcome.error), "error")
        elif outcome.ok:
            _say(self.message, _("{station} is no longer trusted.").format(station=name), "success")
            self.changed.emit()


# --- conflicts -------------------------------------------------------------------------------------------------

def conflict_columns() -> list[Column]:
    def state(c: dict) -> str:
        if c.get("resolution") == "kept":
            return _("Current kept")
        if c.get("resolution") == "taken":
            return _("Other taken")
        return _("Not resolved yet")
    return [
        Column(_("Found at"), lambda c: time_text(c["detected_at"])),
        Column(_("Kind of record"), lambda c: kind_label(c["tbl"])),
        Column(_("Record"), lambda c: c["label"]),
        Column(_("Fields"), lambda c: join_list(column_label(f) for f in c["differs"] if f not in HIDDEN_FIELDS)),
        Column(_("Bundle of"), lambda c: c["bundle_station_name"]),
        Column(_("State"), state, color=lambda c: RED if not c.get("resolution") else GREY),
    ]


def compared_fields(item: dict) -> list[str]:
    """The fields shown side by side: every field of either version, but ids and versions, and links and the deleted
    flag where the two agree."""
    fields = [c for c in dict.fromkeys([*item["current"], *item["loser"]]) if c not in HIDDEN_FIELDS]
    return [c for c in fields if not (c.endswith("_id") or c == "deleted") or c in item["differs"]]


class ConflictsPanel(QWidget):
    """The open conflicts, newest first; the chosen one's two versions side by side; keep or take the other."""

    resolved = Signal()

    def __init__(self, page: "ExchangePage"):
        super().__init__()
        self.page = page
        self.items: list[dict] = []
        self.item: dict | None = None
        self._notice = ""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        self.show_resolved = QCheckBox(_("Show resolved ones too"))
        self.show_resolved.toggled.connect(lambda _on: self.refresh())
        top.addWidget(self.show_resolved)
        top.addStretch(1)
        self.summary = QLabel("")
        self.summary.setObjectName("muted")
        top.addWidget(self.summary)
        layout.addLayout(top)

        split = QSplitter(Qt.Orientation.Horizontal)
        self.model = ListTableModel(conflict_columns(), self)
        self.table = _table(self.model, [110, 70, 190, 120, 120])
        self.table.selectionModel().currentRowChanged.connect(lambda current, _previous: self._chosen(current.row()))
        split.addWidget(self.table)

        panel = QWidget()
        right = QVBoxLayout(panel)
        right.setContentsMargins(12, 0, 0, 0)
        self.title = QLabel(_("Choose a conflict on the left"))
        self.title.setObjectName("sectionTitle")
        self.title.setWordWrap(True)
        self.facts = QLabel("")
        self.facts.setWordWrap(True)
        right.addWidget(self.title)
        right.addWidget(self.facts)
        self.compare = _grid([_("Field"), _("Current"), _("Other version")])
        self.compare.setWordWrap(True)
        self.compare.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.compare.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.compare.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.compare.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        right.addWidget(self.compare, 1)
        self.legend = QLabel(_("Highlighted: the fields that differ."))
        self.legend.setObjectName("muted")
        right.addWidget(self.legend)
        buttons = QHBoxLayout()
        self.keep_button = _button(_("Keep the current one"))
        self.keep_button.setToolTip(_("The later change stays; the other version is marked as looked at"))
        self.keep_button.clicked.connect(lambda: self.resolve(take_loser=False))
        self.take_button = _button(_("Take the other one"))
        self.take_button.setToolTip(_("The other version replaces the current one here, and every station gets it "
                                      "with the next bundles"))
        self.take_button.clicked.connect(lambda: self.resolve(take_loser=True))
        buttons.addWidget(self.keep_button)
        buttons.addWidget(self.take_button)
        buttons.addStretch(1)
        right.addLayout(buttons)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.hide()
        right.addWidget(self.message)
        split.addWidget(panel)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setSizes([470, 620])
        layout.addWidget(split, 1)
        self.compare.hide()
        self.legend.hide()
        self._enable()

    def is_admin(self) -> bool:
        actor = self.page.taskman.actor
        return actor is not None and actor.role == "admin"

    def refresh(self, focus_id: int | None = None) -> None:
        open_only = not self.show_resolved.isChecked()
        chosen = focus_id if focus_id is not None else (self.item or {}).get("id")
        self.page.taskman.db(lambda session: exchange.conflict_list(session.conn, open_only=open_only),
                             lambda outcome: outcome.ok and self._loaded(outcome.value, chosen), owner=self)

    def _loaded(self, items: list[dict], chosen: int | None) -> None:
        self.items = items
        self.model.set_rows(items)
        waiting = sum(1 for c in items if not c.get("resolved_at"))
        self.summary.setText(_("{count} open conflicts").format(count=waiting) if waiting else _("No open conflicts"))
        rows = [n for n, c in enumerate(items) if c["id"] == chosen]
        if items:
            self.table.selectRow(rows[0] if rows else 0)
            self._chosen(rows[0] if rows else 0)
        else:
            self._chosen(-1)
        if self._notice:   # what the last resolution did, shown once the list is back
            _say(self.message, self._notice, "success")
            self._notice = ""

    def _chosen(self, row: int) -> None:
        self.item = item = self.model.row(row)
        if item is None:
            self.title.setText(_("No conflicts: no record was changed at two stations at once.")
                               if not self.items else _("Choose a conflict on the left"))
            self.facts.setText("")
            self.compare.hide()
            self.legend.hide()
            self._enable()
            return
        table = item["tbl"]
        self.title.setText(_("{kind}: {record}").format(kind=kind_label(table), record=item["label"]))
        facts = [_("Found {time} while importing the bundle of {station}: the record was changed at two stations "
                   "since they last exchanged. The later change was kept everywhere; the other version is shown "
                   "beside it.").format(time=time_text(item["detected_at"]), station=item["bundle_station_name"])]
        if item.get("resolved_at"):
            facts.append(_("Resolved {time} by {user}: {what}.").format(
                time=time_text(item["resolved_at"]), user=item["resolved_by"],
                what=_("the current one was kept") if item["resolution"] == "kept" else _("the other one was taken")))
        elif not self.is_admin():
            facts.append(_("Only the station manager can resolve a conflict."))
        self.facts.setText("\n".join(facts))
        masked = not self.is_admin()
        fields = compared_fields(item)
        self.compare.setHorizontalHeaderLabels([
            _("Field"),
            _("Current\n({station}, {time})").format(station=item["winner_origin_name"],
                                                   time=version_time(item["current"].get("version", item["winner_version"]))),
            _("Other version\n({station}, {time})").format(station=item["loser_origin_name"],
                                                         time=version_time(item["loser_version"]))])
        self.compare.setRowCount(len(fields))
        bold = QFont()
        bold.setBold(True)
        for row, column in enumerate(fields):
            cells = [_cell(column_label(column)),
                     _cell(value_text(table, column, item["current"].get(column), masked=masked)),
                     _cell(value_text(table, column, item["loser"].get(column), masked=masked))]
            differs = column in item["differs"]
            for n, cell in enumerate(cells):
                if differs:
                    cell.setBackground(QBrush(QColor(DIFFERS)))
                    cell.setFont(bold)
                self.compare.setItem(row, n, cell)
        self.compare.resizeRowsToContents()
        self.compare.show()
        self.legend.show()
        _say(self.message, "")
        self._enable()

    def _enable(self) -> None:
        allowed = self.is_admin() and self.item is not None and not self.item.get("resolved_at")
        self.keep_button.setEnabled(allowed)
        self.take_button.setEnabled(allowed)
        self.keep_button.setVisible(self.is_admin())
        self.take_button.setVisible(self.is_admin())

    def resolve(self, *, take_loser: bool, confirmed: bool = False) -> None:
        item = self.item
        if item is None or not self.is_admin() or item.get("resolved_at"):
            return
        if take_loser and not confirmed:
            answer = QMessageBox.question(self, _("Take the other one"), _(
                "Replace the current version of {record} with the other one? Every station gets it with the next "
                "bundles.").format(record=item["label"]))
            if answer != QMessageBox.StandardButton.Yes:
                return
        conflict_id = item["id"]
        self.keep_button.setEnabled(False)
        self.take_button.setEnabled(False)
        self.page.taskman.db(lambda session: exchange.resolve_conflict(session, conflict_id, take_loser=take_loser),
                             lambda outcome: self._resolved(conflict_id, take_loser, outcome), owner=self)

    def _resolved(self, conflict_id: int, take_loser: bool, outcome: Outcome) -> None:
        if outcome.error is not None:
            _say(self.message, _error_text(outcome.error), "error")
            self._enable()
            return
        if outcome.ok:
            self._notice = _("The other version was taken.") if take_loser else _("The current version was kept.")
            self.resolved.emit()
            self.refresh()


# --- each station's records ------------------------------------------------------------------------------------

ORIGIN_KINDS = ("households", "residents", "visits", "tickets", "volunteers", "meetings")


def origin_columns() -> list[Column]:
    def name(o: dict) -> str:
        if o.get("total"):
            return _("Total")
        return _("{station} (this station)").format(station=o["name"]) if o.get("own") else o["name"]
    columns = [Column(_("Station"), name)]
    columns += [Column(kind_label(kind), lambda o, k=kind: str(o.get(k, 0)), RIGHT) for kind in ORIGIN_KINDS]
    columns.append(Column(_("Last bundle imported"), lambda o: time_text(o.get("imported_at"))))
    return columns


class OriginsPanel(QWidget):
    def __init__(self, page: "ExchangePage"):
        super().__init__()
        self.page = page
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        note = QLabel(_("The live records in this database by the station they come from: a street office that "
                        "imports every station's bundles checks here that each station's data came in."))
        note.setObjectName("muted")
        note.setWordWrap(True)
        layout.addWidget(note)
        self.model = ListTableModel(origin_columns(), self)
        self.table = _table(self.model, [260, 80, 80, 90, 80, 80, 80])
        layout.addWidget(self.table, 1)

    def refresh(self) -> None:
        def load(session: Session) -> list[dict]:
            own = session.station_id
            imported = {p["station_id"]: p["imported_at"] for p in exchange.peers(session.conn)}
            rows = exchange.by_origin(session.conn)
            for row in rows:
                row["own"] = row["station_id"] == own
                row["imported_at"] = imported.get(row["station_id"])
            rows.sort(key=lambda r: (not r["own"], r["name"]))
            return rows
        self.page.taskman.db(load, lambda outcome: outcome.ok and self._loaded(outcome.value), owner=self)

    def _loaded(self, rows: list[dict]) -> None:
        total = {"total": True, **{k: sum(r.get(k, 0) for r in rows) for k in ORIGIN_KINDS}}
        self.model.set_rows(rows + ([total] if len(rows) > 1 else []))


# --- the page --------------------------------------------------------------------------------------------------

class ExchangePage(Page):
    """数据交换: export, import, trusted stations, conflicts, each station's data."""

    data_changed = Signal()   # records were imported or a conflict resolved
    TABS = ("export", "import", "peers", "conflicts", "origins")

    def __init__(self, session: Session, taskman: TaskManager, parent: QWidget | None = None,
                 clock: Callable[[], datetime] = datetime.now):
        super().__init__(_("Data exchange"), parent)
        self.session = session
        self.taskman = taskman
        self.clock = clock
        self.station: dict | None = None
        self.own_fingerprint = ""
        self.open_conflicts = 0
        self.peers: list[dict] = []

        self.own_key = QLabel("")
        self.own_key.setObjectName("muted")
        self.own_key.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.own_key.setToolTip(_("Read it out to a station or street office that receives this station's bundles"))
        self.header_row.addWidget(self.own_key)

        self.tabs = QTabBar()
        for caption in (_("Export a bundle"), _("Import a bundle"), _("Trusted stations"), _("Conflicts"),
                        _("Data by station")):
            self.tabs.addTab(caption)
        top = QHBoxLayout()
        top.addWidget(self.tabs)
        top.addStretch(1)
        self.body.addLayout(top)
        self.stack = QStackedWidget()
        self.export = ExportPanel(self)
        self.import_ = ImportPanel(self)
        self.peers_panel = PeersPanel(self)
        self.conflicts = ConflictsPanel(self)
        self.origins = OriginsPanel(self)
        for panel in (self.export, self.import_, self.peers_panel, self.conflicts, self.origins):
            self.stack.addWidget(panel)
        self.body.addWidget(self.stack, 1)
        self.tabs.currentChanged.connect(self._tab_changed)

        self.export.exported.connect(lambda _made: self.refresh_info())
        self.import_.imported.connect(self._data_came)
        self.import_.show_conflicts.connect(lambda: self.show_tab("conflicts"))
        self.peers_panel.changed.connect(self.refresh_info)
        self.conflicts.resolved.connect(self._resolved)
        for keys, slot in (("Ctrl+PgDown", lambda: self.tabs.setCurrentIndex((self.tabs.currentIndex() + 1) % len(self.TABS))),
                           ("Ctrl+PgUp", lambda: self.tabs.setCurrentIndex((self.tabs.currentIndex() - 1) % len(self.TABS))),
                           ("Ctrl+E", lambda: self.show_tab("export")),
                           ("Ctrl+O", self._open_shortcut)):
            shortcut = QShortcut(QKeySequence(keys), self, slot)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)

    # --- tabs -----------------------------------------------------------------------------------------------------
    def tab(self) -> str:
        return self.TABS[self.tabs.currentIndex()]

    def show_tab(self, name: str) -> None:
        self.tabs.setCurrentIndex(self.TABS.index(name))

    def _tab_changed(self, index: int) -> None:
        self.stack.setCurrentIndex(index)
        self.refresh_tab()
        self._focus_tab()

    def _focus_tab(self) -> None:
        focus = {"export": self.export.full if self.export.full.isChecked() else self.export.since,
                 "import": self.import_.file, "peers": self.peers_panel.table, "conflicts": self.conflicts.table,
                 "origins": self.origins.table}[self.tab()]
        focus.setFocus()

    def _open_shortcut(self) -> None:
        self.show_tab("import")
        self.import_.choose()

    def activated(self) -> None:
        self.refresh_info()
        self.refresh_tab()
        self._focus_tab()

    def refresh_tab(self) -> None:
        tab = self.tab()
        if tab == "conflicts":
            self.conflicts.refresh()
        elif tab == "origins":
            self.origins.refresh()

    # --- what the page shows everywhere ---------------------------------------------------------------------------
    def refresh_info(self) -> None:
        def load(session: Session) -> dict:
            station = session.station()
            return {"station": dict(station) if station else None,
                    "fingerprint": exchange.own_fingerprint(session) if station else "",
                    "peers": exchange.peers(session.conn),
                    "conflicts": len(exchange.conflicts(session.conn))}
        self.taskman.db(load, lambda outcome: outcome.ok and self._info_loaded(outcome.value), owner=self)

    def _info_loaded(self, info: dict) -> None:
        self.station, self.own_fingerprint, self.peers = info["station"], info["fingerprint"], info["peers"]
        self.open_conflicts = info["conflicts"]
        self.own_key.setText(_("This station's key fingerprint: {fingerprint}").format(fingerprint=self.own_fingerprint)
                             if self.own_fingerprint else "")
        self.tabs.setTabText(self.TABS.index("conflicts"), _("Conflicts ({count})").format(count=self.open_conflicts)
                             if self.open_conflicts else _("Conflicts"))
        if self.open_conflicts:
            self.tabs.setTabTextColor(self.TABS.index("conflicts"), QColor(RED))
        else:
            self.tabs.setTabTextColor(self.TABS.index("conflicts"), QColor("#333333"))
        self.export.set_info(self.station, self.peers)
        self.peers_panel.set_peers(self.peers)

    def _data_came(self) -> None:
        self.refresh_info()
        self.data_changed.emit()

    def _resolved(self) -> None:
        self.refresh_info()
        self.data_changed.emit()
