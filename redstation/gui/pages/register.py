"""The register page (住户): households and residents over the whole register, filters, the household view, forms.

The tables are paged models (``gui.models``): the street office's 750,000 residents load as
keys in about a second and scroll without freezing. Choosing a row shows its household on
the right: members, care notes, emergency contacts, latest visits and tickets, with buttons
to edit. Id numbers and phones are masked in the tables and the household view.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDialog, QFileDialog, QHBoxLayout, QHeaderView, QLabel, QMessageBox,
                               QPushButton, QScrollArea, QSplitter, QTableView, QTableWidget, QTableWidgetItem, QTabBar,
                               QVBoxLayout, QWidget)

from redstation.domain import idnumber, phone
from redstation.domain.vocab import (CARE_CATEGORIES, GENDERS, RELATIONS, RESIDENCE_TYPES, RESIDENT_STATUSES, TICKET_KINDS,
                                     TICKET_STATUSES, VISIT_HANDLINGS, VISIT_OUTCOMES, label)
from redstation.gui.forms import HouseholdDialog, ResidentDialog
from redstation.gui.ledger import ExportLedgerDialog, ImportLedgerDialog
from redstation.gui.models import Column, PagedTableModel
from redstation.gui.pages import Page, needs
from redstation.gui.tasks import Outcome, TaskManager
from redstation.i18n import _, join_list
from redstation.services import register
from redstation.services.session import Session
from redstation.store import queries

RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
ANY_CATEGORY = queries.ANY_CATEGORY


def categories_text(codes: list[str]) -> str:
    return join_list(label(CARE_CATEGORIES, code) for code in codes)


def age(birth: str | None, today: date | None = None) -> str:
    if not birth:
        return ""
    born, today = date.fromisoformat(birth), today or date.today()
    return str(today.year - born.year - ((today.month, today.day) < (born.month, born.day)))


def household_columns() -> list[Column]:
    return [
        Column(_("Address"), lambda r: r["address"]),
        Column(_("Head of household"), lambda r: r["head"] or ""),
        Column(_("Members"), lambda r: str(r["members"]), RIGHT),
        Column(_("Residence type"), lambda r: label(RESIDENCE_TYPES, r["residence_type"])),
        Column(_("Care categories"), lambda r: categories_text(r["care_categories"])),
        Column(_("Household phone"), lambda r: phone.mask(r["phone"])),
    ]


def resident_columns() -> list[Column]:
    return [
        Column(_("Name"), lambda r: r["name"]),
        Column(_("Sex"), lambda r: label(GENDERS, r["gender"])),
        Column(_("Age"), lambda r: age(r["birth_date"]), RIGHT),
        Column(_("Relation to head"), lambda r: label(RELATIONS, r["relation"])),
        Column(_("Address"), lambda r: r["address"]),
        Column(_("Phone"), lambda r: phone.mask(r["phone"])),
        Column(_("Id number"), lambda r: idnumber.mask(r["id_number"])),
        Column(_("Care categories"), lambda r: categories_text(r["care_categories"])),
        Column(_("Status"), lambda r: label(RESIDENT_STATUSES, r["status"])),
    ]


class HouseholdPanel(QWidget):
    """One household: who lives there, what to look out for, whom to call, what happened lately."""

    changed = Signal(bool)   # something was saved; True when records were added or removed
    visits_requested = Signal(dict)  # show this household's visit history: {id, address}
    ticket_requested = Signal(dict)  # accept a ticket for this resident: {id, name, address, phone}

    def __init__(self, taskman: TaskManager, parent: QWidget | None = None):
        super().__init__(parent)
        self.taskman = taskman
        self.view: dict | None = None
        self.estates: list[str] = []
        self._generation = 0
        outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 0, 0, 0)
        outer.setSpacing(8)

        self.title = QLabel(_("Choose a household or a resident on the left"))
        self.title.setObjectName("sectionTitle")
        self.title.setWordWrap(True)
        self.info = QLabel("")
        self.info.setObjectName("muted")
        self.info.setWordWrap(True)
        outer.addWidget(self.title)
        outer.addWidget(self.info)

        buttons = QHBoxLayout()
        self.edit_household_button = QPushButton(_("Edit household"))
        needs("household.update", self.edit_household_button)
        self.add_member_button = QPushButton(_("Add member"))
        needs("resident.create", self.add_member_button)
        self.edit_member_button = QPushButton(_("Edit member"))
        needs("resident.update", self.edit_member_button)
        self.remove_member_button = QPushButton(_("Remove member"))
        needs("resident.delete", self.remove_member_button)
        self.visits_button = QPushButton(_("Visit history"))
        self.visits_button.clicked.connect(
            lambda: self.view and self.visits_requested.emit({"id": self.view["id"], "address": self.view["address"]}))
        self.ticket_button = QPushButton(_("New ticket"))
        needs("ticket.accept", self.ticket_button)
        self.ticket_button.setToolTip(_("Accept a ticket for the chosen member"))
        self.ticket_button.clicked.connect(self._ticket_for_member)
        member_buttons = QHBoxLayout()
        for row, group in ((buttons, (self.edit_household_button, self.add_member_button, self.visits_button)),
                           (member_buttons, (self.edit_member_button, self.remove_member_button, self.ticket_button))):
            for button in group:
                row.addWidget(button)
            row.addStretch(1)
            outer.addLayout(row)
        self.edit_household_button.clicked.connect(self.edit_household)
        self.add_member_button.clicked.connect(self.add_member)
        self.edit_member_button.clicked.connect(self.edit_member)
        self.remove_member_button.clicked.connect(self.remove_member)

        self.members = QTableWidget(0, 7)
        self.members.setHorizontalHeaderLabels([_("Name"), _("Relation to head"), _("Sex"), _("Age"), _("Care categories"),
                                                _("Phone"), _("Status")])
        self.members.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.members.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.members.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.members.verticalHeader().hide()
        self.members.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.members.horizontalHeader().setStretchLastSection(True)
        self.members.itemDoubleClicked.connect(lambda _item: self.edit_member())
        self.members.itemSelectionChanged.connect(self._enable)
        outer.addWidget(self.members, 2)

        self.details = QLabel("")
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setObjectName("householdDetails")
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.details)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        outer.addWidget(scroll, 3)
        self._enable()

    # --- showing ---------------------------------------------------------------------------------------------
    def show_household(self, household_id: str | None, resident_id: str | None = None) -> None:
        self._generation += 1
        generation = self._generation
        if household_id is None:
            self._show(None, None)
            return
        self.taskman.db(lambda session: register.household_view(session.conn, household_id),
                        lambda outcome: generation == self._generation and self._loaded(outcome, resident_id), owner=self)

    def reload(self) -> None:
        if self.view is not None:
            selected = self.selected_member()
            self.show_household(self.view["id"], selected["id"] if selected else None)

    def _loaded(self, outcome: Outcome, resident_id: str | None) -> None:
        if outcome.error is not None:
            self.title.setText(_("The household could not be read: {error}").format(error=outcome.error))
            return
        if outcome.ok:
            self._show(outcome.value, resident_id)

    def _show(self, view: dict | None, resident_id: str | None) -> None:
        self.view = view
        self.members.setRowCount(0)
        if view is None:
            self.title.setText(_("Choose a household or a resident on the left"))
            self.info.setText("")
            self.details.setText("")
            self._enable()
            return
        self.title.setText(view["address"])
        facts = [label(RESIDENCE_TYPES, view["residence_type"])]
        if view["phone"]:
            facts.append(_("Phone {phone}").format(phone=phone.mask(view["phone"])))
        if view["visit_interval_hours"]:
            facts.append(_("Visited every {hours} hours").format(hours=view["visit_interval_hours"]))
        if view["notes"]:
            facts.append(view["notes"])
        self.info.setText(" · ".join(facts))
        for member in view["members"]:
            row = self.members.rowCount()
            self.members.insertRow(row)
            cells = [member["name"], label(RELATIONS, member["relation"]), label(GENDERS, member["gender"]),
                     age(member["birth_date"]), categories_text(member["care_categories"]), phone.mask(member["phone"]),
                     label(RESIDENT_STATUSES, member["status"])]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, member["id"])
                self.members.setItem(row, column, item)
            if member["id"] == resident_id:
                self.members.selectRow(row)
        self.details.setText(self._details_html(view))
        self._enable()

    @staticmethod
    def _details_html(view: dict) -> str:
        parts = []
        care = []
        for member in view["members"]:
            lines = []
            if member["care_notes"]:
                lines.append(_("Care notes: {notes}").format(notes=member["care_notes"]))
            for contact in member["emergency_contacts"]:
                lines.append(_("Emergency contact: {name} ({relation}) {phone}").format(
                    name=contact["name"], relation=contact["relation"] or "—", phone=phone.mask(contact["phone"])))
            if lines:
                care.append("<b>{name}</b><br>{lines}".format(name=member["name"], lines="<br>".join(lines)))
        if care:
            parts.append("<h4>{title}</h4>{items}".format(title=_("Care notes and emergency contacts"), items="<br><br>".join(care)))
        visits = ["{at} {who} {outcome}{more}".format(
            at=v["visited_at"][:16].replace("T", " "), who=v["visitor_name"], outcome=label(VISIT_OUTCOMES, v["outcome"]),
            more=_(": {finding} ({handling})").format(
                finding=v["finding"], handling=label(VISIT_HANDLINGS, v["handling"])) if v["outcome"] == "anomaly" else "")
            for v in view["visits"]]
        parts.append("<h4>{title}</h4>{items}".format(title=_("Latest visits"), items="<br>".join(visits) or _("None yet")))
        tickets = ["{number} {kind} {status} {summary}".format(
            number=t["number"], kind=label(TICKET_KINDS, t["kind"]), status=label(TICKET_STATUSES, t["status"]),
            summary=t["summary"]) for t in view["tickets"]]
        parts.append("<h4>{title}</h4>{items}".format(title=_("Latest tickets"), items="<br>".join(tickets) or _("None yet")))
        return "".join(parts)

    def selected_member(self) -> dict | None:
        if self.view is None:
            return None
        rows = self.members.selectionModel().selectedRows()
        if not rows:
            return None
        return self.view["members"][rows[0].row()]

    def _enable(self) -> None:
        has_household = self.view is not None
        has_member = self.selected_member() is not None
        self.edit_household_button.setEnabled(has_household)
        self.add_member_button.setEnabled(has_household)
        self.visits_button.setEnabled(has_household)
        self.edit_member_button.setEnabled(has_member)
        self.ticket_button.setEnabled(has_member)
        self.remove_member_button.setEnabled(has_member)

    def _ticket_for_member(self) -> None:
        member = self.selected_member()
        if member is not None:
            self.ticket_requested.emit({"id": member["id"], "name": member["name"], "address": self.view["address"],
                                        "phone": member["phone"], "household_id": self.view["id"]})

    # --- editing ---------------------------------------------------------------------------------------------
    def edit_household(self) -> None:
        if self.view is None:
            return
        dialog = HouseholdDialog(self.taskman, self.view, estates=self.estates, parent=self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.reload()
            self.changed.emit(False)

    def add_member(self) -> None:
        if self.view is None:
            return
        dialog = ResidentDialog(self.taskman, self.view["id"], self.view["address"], parent=self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.show_household(self.view["id"], dialog.result_id)
            self.changed.emit(True)

    def edit_member(self) -> None:
        member = self.selected_member()
        if member is None:
            return
        dialog = ResidentDialog(self.taskman, self.view["id"], self.view["address"], member, parent=self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.reload()
            self.changed.emit(False)

    def remove_member(self) -> None:
        member = self.selected_member()
        if member is None:
            return
        answer = QMessageBox.question(
            self, _("Remove member"),
            _("Remove {name} from the register? Use this for a record entered by mistake; for someone who moved "
              "away or died, edit the status instead.").format(name=member["name"]))
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.taskman.db(lambda session: register.remove_resident(session, member["id"]), self._removed, owner=self)

    def _removed(self, outcome: Outcome) -> None:
        if outcome.error is not None:
            QMessageBox.warning(self, _("Remove member"), str(outcome.error))
            return
        self.reload()
        self.changed.emit(True)


class RegisterPage(Page):
    KINDS = ("households", "residents")

    def __init__(self, session: Session, taskman: TaskManager, parent: QWidget | None = None):
        super().__init__(_("Register"), parent)
        self.session = session
        self.taskman = taskman
        self.kind = "households"

        self.new_button = QPushButton(_("New household"))
        needs("household.create", self.new_button)
        self.new_button.setToolTip(_("Register a new household (Ctrl+N)"))
        self.new_button.clicked.connect(self.new_household)
        shortcut = QShortcut(QKeySequence("Ctrl+N"), self, self.new_household)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)  # each page's own Ctrl+N
        self.import_button = QPushButton(_("Import ledger…"))
        needs("ledger.import", self.import_button)
        self.import_button.setToolTip(_("Load the residents of an Excel ledger"))
        self.import_button.clicked.connect(self.import_ledger)
        self.export_button = QPushButton(_("Export ledger…"))
        needs("ledger.export", self.export_button)
        self.export_button.setToolTip(_("Write households and residents to an Excel workbook for the street office"))
        self.export_button.clicked.connect(self.export_ledger)
        for button in (self.import_button, self.export_button, self.new_button):
            self.header_row.addWidget(button)

        filters = QHBoxLayout()
        filters.setSpacing(8)
        self.tabs = QTabBar()
        self.tabs.addTab(_("Households"))
        self.tabs.addTab(_("Residents"))
        self.tabs.currentChanged.connect(self._kind_changed)
        self.estate = QComboBox()
        self.building = QComboBox()
        self.category = QComboBox()
        self.estate.addItem(_("All estates"), None)
        self.building.addItem(_("All buildings"), None)
        self.category.addItem(_("All residents"), None)
        self.category.addItem(_("Any care category"), ANY_CATEGORY)
        for code in CARE_CATEGORIES:
            self.category.addItem(label(CARE_CATEGORIES, code), code)
        for combo in (self.estate, self.building, self.category):
            combo.setMinimumWidth(120)
        self.origin = QComboBox()   # a street office: the station the records come from
        self.origin.addItem(_("All stations"), None)
        self.origin.currentIndexChanged.connect(self.reload)
        self.estate.currentIndexChanged.connect(self._estate_changed)
        self.building.currentIndexChanged.connect(self.reload)
        self.category.currentIndexChanged.connect(self.reload)
        self.count = QLabel("")
        self.count.setObjectName("muted")
        filters.addWidget(self.tabs)
        filters.addSpacing(16)
        self.origin_label = QLabel(_("Station"))
        filters.addWidget(self.origin_label)
        filters.addWidget(self.origin)
        for widget in (self.origin_label, self.origin):
            widget.hide()
        for caption, combo in ((_("Estate"), self.estate), (_("Building"), self.building), (_("Care category"), self.category)):
            filters.addWidget(QLabel(caption))
            filters.addWidget(combo)
        filters.addStretch(1)
        filters.addWidget(self.count)
        self.body.addLayout(filters)

        self.models = {"households": PagedTableModel(taskman, household_columns(), self),
                       "residents": PagedTableModel(taskman, resident_columns(), self)}
        self._shown_row: dict | None = None
        for model in self.models.values():
            model.loaded.connect(self._loaded)
            model.dataChanged.connect(self._rows_arrived)
            model.failed.connect(lambda error: self.count.setText(_("The register could not be read: {error}").format(error=error)))
        self.table = QTableView()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setDefaultSectionSize(26)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.table.activated.connect(self._activated)
        self.panel = HouseholdPanel(taskman)
        self.panel.changed.connect(self._panel_changed)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(self.panel)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([640, 460])
        self.body.addWidget(splitter, 1)
        self._set_model()
        self._started = False

    def activated(self) -> None:
        if not self._started:
            self._started = True
            self.refresh_estates()
            self.reload()

    # --- filters and loading ---------------------------------------------------------------------------------
    def filters(self) -> dict:
        return {"estate": self.estate.currentData(), "building": self.building.currentData(),
                "category": self.category.currentData(), "origin": self.origin.currentData()}

    def model(self) -> PagedTableModel:
        return self.models[self.kind]

    def _set_model(self) -> None:
        self.table.setModel(self.model())
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)
        widths = [220, 90, 60, 90, 200] if self.kind == "households" else [90, 50, 50, 90, 180, 110, 170, 160]
        for column, width in enumerate(widths):
            self.table.setColumnWidth(column, width)

    def _kind_changed(self, index: int) -> None:
        self.kind = self.KINDS[index]
        self._set_model()
        self.reload()

    def refresh_estates(self) -> None:
        self.taskman.db(lambda session: (queries.estates(session.conn), queries.stations(session.conn)),
                        self._estates_loaded, owner=self)

    def _estates_loaded(self, outcome: Outcome) -> None:
        if not outcome.ok:
            return
        estates, stations = outcome.value
        chosen = self.origin.currentData()
        self.origin.blockSignals(True)
        self.origin.clear()
        self.origin.addItem(_("All stations"), None)
        for station_id, name in stations:
            self.origin.addItem(name, station_id)
        self.origin.setCurrentIndex(max(self.origin.findData(chosen), 0) if chosen else 0)
        self.origin.blockSignals(False)
        for widget in (self.origin_label, self.origin):
            widget.setVisible(len(stations) > 1)
        self.panel.estates = list(estates)
        current = self.estate.currentData()
        self.estate.blockSignals(True)
        self.estate.clear()
        self.estate.addItem(_("All estates"), None)
        for estate in estates:
            self.estate.addItem(estate, estate)
        self.estate.setCurrentIndex(max(self.estate.findData(current), 0))
        self.estate.blockSignals(False)

    def _estate_changed(self) -> None:
        estate = self.estate.currentData()
        self.building.blockSignals(True)
        self.building.clear()
        self.building.addItem(_("All buildings"), None)
        self.building.blockSignals(False)
        if estate:
            self.taskman.db(lambda session: queries.buildings(session.conn, estate), self._buildings_loaded, owner=self)
        self.reload()

    def _buildings_loaded(self, outcome: Outcome) -> None:
        if outcome.ok:
            self.building.blockSignals(True)
            for name in outcome.value:
                self.building.addItem(_("Building {name}").format(name=name), name)
            self.building.blockSignals(False)

    def reload(self) -> None:
        kind, chosen = self.kind, self.filters()
        self.count.setText(_("Loading…"))
        self.model().load(lambda session: queries.register_keys(session.conn, kind, **chosen),
                          lambda session, keys: queries.register_rows(session.conn, kind, keys))

    def _loaded(self, count: int) -> None:
        if self.sender() is not self.model():
            return
        text = _("{count} households") if self.kind == "households" else _("{count} residents")
        self.count.setText(text.format(count="{n:,}".format(n=count)))

    # --- choosing and editing --------------------------------------------------------------------------------
    def _row_changed(self, current, _previous=None) -> None:
        row = self.model().row(current.row()) if current.isValid() else None
        self._shown_row = row
        if row is None:
            return  # its block is on its way: _rows_arrived shows it
        if self.kind == "households":
            self.panel.show_household(row["id"])
        else:
            self.panel.show_household(row["household_id"], row["id"])

    def _rows_arrived(self, first, last) -> None:
        current = self.table.currentIndex()
        if self._shown_row is None and current.isValid() and first.row() <= current.row() <= last.row():
            self._row_changed(current)

    def _activated(self, index) -> None:
        """Enter or double-click: edit the household, or the resident."""
        row = self.model().row(index.row())
        if row is None or self.panel.view is None:
            return
        if self.kind == "households":
            self.panel.edit_household()
        else:
            self.panel.edit_member()

    def show_list(self, kind: str, *, category: str | None = None) -> None:
        """Households or residents, all or of a care category (from the dashboard)."""
        self.activated()
        self.category.blockSignals(True)
        self.category.setCurrentIndex(next(i for i in range(self.category.count()) if self.category.itemData(i) == category))
        self.category.blockSignals(False)
        if self.tabs.currentIndex() != self.KINDS.index(kind):
            self.tabs.setCurrentIndex(self.KINDS.index(kind))
        else:
            self.reload()

    def show_household(self, household_id: str, resident_id: str | None = None) -> None:
        """Open a household in the panel (from the search box), the resident selected."""
        self.activated()
        self.panel.show_household(household_id, resident_id)

    def new_household(self) -> None:
        if not self.isVisible():
            return
        dialog = HouseholdDialog(self.taskman, estates=self.panel.estates, parent=self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.panel.show_household(dialog.result_id)
            self._panel_changed(True)
            self.refresh_estates()

    def import_ledger(self, path: str | None = None) -> ImportLedgerDialog | None:
        if path is None:
            path, _filter = QFileDialog.getOpenFileName(self, _("Import a ledger"), "", _("Excel workbook (*.xlsx *.xls *.ods)"))
            if not path:
                return None
        dialog = ImportLedgerDialog(self.taskman, self.session, path, parent=self)
        dialog.imported.connect(lambda: (self.reload(), self.refresh_estates(), self.panel.reload()))
        dialog.open()
        return dialog

    def export_ledger(self) -> ExportLedgerDialog:
        dialog = ExportLedgerDialog(self.taskman, self.session, parent=self)
        dialog.open()
        return dialog

    def _panel_changed(self, added_or_removed: bool) -> None:
        if added_or_removed:
            self.reload()
        else:
            self.model().refresh()
