"""Forms to add and edit households and residents.

Keyboard first: fields top to bottom in tab order, Enter saves, Esc cancels. Every field is
checked as the user types with the register's own rules (``redstation.domain.register``),
so the form and an imported ledger never disagree: a problem shows in red under the form
and the field is marked. Saving runs on the database thread; a refusal from the service
(an address or id number registered already, a record changed meanwhile) keeps the form
open with the message, and nothing is saved.
"""

from __future__ import annotations

from datetime import date
from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QGridLayout, QHBoxLayout,
                               QLabel, QLineEdit, QVBoxLayout, QWidget)

from redstation import RedStationError
from redstation.domain import idnumber
from redstation.domain import register as rules
from redstation.domain.vocab import CARE_CATEGORIES, GENDERS, RELATIONS, RESIDENCE_TYPES, RESIDENT_STATUSES, label
from redstation.gui.style import STYLE_SHEET
from redstation.gui.tasks import Outcome, TaskManager
from redstation.i18n import _
from redstation.services import register
from redstation.services.session import Session

CONTACT_ROWS = 2


def _combo(vocab: dict[str, str], current: str | None, blank: str | None = None) -> QComboBox:
    combo = QComboBox()
    if blank is not None:
        combo.addItem(blank, None)
    for code in vocab:
        combo.addItem(label(vocab, code), code)
    index = combo.findData(current)
    combo.setCurrentIndex(max(index, 0))
    return combo


class RecordDialog(QDialog):
    """A form of labelled fields, a message line and Save/Cancel; subclasses say what the fields are."""

    def __init__(self, title: str, taskman: TaskManager, parent: QWidget | None = None):
        super().__init__(parent)
        self.taskman = taskman
        self.setWindowTitle(title)
        self.setModal(True)
        self.setStyleSheet(STYLE_SHEET)
        self.setMinimumWidth(560)
        self.result_id: str | None = None
        self.fields: dict[str, QWidget] = {}
        self._order: list[QWidget] = []

        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(20, 16, 20, 14)
        self.layout_.setSpacing(10)
        self.form = QFormLayout()
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.form.setHorizontalSpacing(14)
        self.form.setVerticalSpacing(8)
        self.layout_.addLayout(self.form)

        self.message = QLabel("")
        self.message.setObjectName("error")
        self.message.setWordWrap(True)
        self.message.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText(_("Save"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Cancel"))
        for button in self.buttons.buttons():
            button.setIcon(QIcon())
        self.save_button.setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

    def finish_layout(self) -> None:
        """Call after the fields are added: message, buttons, tab order, first field focused."""
        hint = QLabel(_("Fields marked * are required. Enter saves, Esc cancels."))
        hint.setObjectName("muted")
        self.layout_.addWidget(hint)
        self.layout_.addWidget(self.message)
        self.layout_.addWidget(self.buttons)
        for first, second in zip(self._order, self._order[1:]):
            QWidget.setTabOrder(first, second)
        QWidget.setTabOrder(self._order[-1], self.save_button)
        self._order[0].setFocus()

    def add_field(self, key: str, text: str, widget: QWidget, *, required: bool = False, below: QWidget | None = None) -> None:
        caption = QLabel(_("{field} *").format(field=text) if required else text)
        caption.setBuddy(widget)
        if below is None:
            self.form.addRow(caption, widget)
        else:
            box = QVBoxLayout()
            box.setSpacing(2)
            box.addWidget(widget)
            box.addWidget(below)
            self.form.addRow(caption, box)
        self.fields[key] = widget
        self._order.append(widget)
        if isinstance(widget, QLineEdit):
            widget.textEdited.connect(self.recheck)
        elif isinstance(widget, QComboBox):
            widget.currentIndexChanged.connect(self.recheck)

    # --- checking and saving ---------------------------------------------------------------------------------
    def values(self) -> dict:
        raise NotImplementedError

    def clean(self, values: dict, saving: bool) -> None:
        """Raise FieldError for the first problem of ``values``; ``saving`` False while the user is still typing."""
        raise NotImplementedError

    def save(self, session: Session, values: dict) -> str:
        """Write ``values`` (on the database thread); returns the record's id."""
        raise NotImplementedError

    def show_problem(self, text: str, field: str | None = None) -> None:
        for key, widget in self.fields.items():
            widget.setProperty("invalid", key == field)
            widget.style().unpolish(widget)
            widget.style().polish(widget)
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def recheck(self, *_changed) -> None:
        """Slot for every field's change signal (whatever the signal carries)."""
        self.check()

    def check(self, saving: bool = False) -> bool:
        """Check what is typed now; show the first problem. True when it can be saved."""
        try:
            self.clean(self.values(), saving)
        except rules.FieldError as exc:
            self.show_problem(str(exc), exc.field)
            return False
        self.show_problem("")
        return True

    def accept(self) -> None:
        if not self.save_button.isEnabled():
            return  # a save is on its way
        if not self.check(saving=True):
            field = next((w for w in self.fields.values() if w.property("invalid")), None)
            if field is not None:
                field.setFocus()
            return
        values = self.values()
        self.save_button.setEnabled(False)
        self.taskman.db(lambda session: self.save(session, values), self._saved, owner=self)

    def _saved(self, outcome: Outcome) -> None:
        self.save_button.setEnabled(True)
        if outcome.error is not None:
            if not isinstance(outcome.error, RedStationError):
                raise outcome.error
            field = getattr(outcome.error, "field", None)
            self.show_problem(str(outcome.error), field)
            if field in self.fields:
                self.fields[field].setFocus()
            return
        if outcome.ok:
            self.result_id = outcome.value
            super().accept()


class HouseholdDialog(RecordDialog):
    """Add a household (``current`` None) or edit one (``current`` its row)."""

    def __init__(self, taskman: TaskManager, current: dict | None = None, *, estates: list[str] | None = None,
                 parent: QWidget | None = None):
        super().__init__(_("Edit household") if current else _("New household"), taskman, parent)
        self.current = current or {}
        c = self.current
        self.estate = QComboBox()
        self.estate.setEditable(True)
        self.estate.addItems(estates or [])
        self.estate.setCurrentText(c.get("estate", estates[0] if estates else ""))
        self.estate.lineEdit().textEdited.connect(self.recheck)
        self.building, self.unit, self.room = QLineEdit(c.get("building", "")), QLineEdit(c.get("unit", "")), QLineEdit(c.get("room", ""))
        self.building.setPlaceholderText(_("e.g. 3 or 3号楼"))
        self.unit.setPlaceholderText(_("e.g. 2; empty if the building has no units"))
        self.room.setPlaceholderText(_("e.g. 301"))
        self.kind = _combo(RESIDENCE_TYPES, c.get("residence_type", "owner"))
        self.phone = QLineEdit(c.get("phone", ""))
        self.interval = QLineEdit("" if c.get("visit_interval_hours") is None else str(c["visit_interval_hours"]))
        self.interval.setPlaceholderText(_("empty: by the residents' care categories"))
        self.notes = QLineEdit(c.get("notes", ""))
        self.add_field("estate", _("Estate"), self.estate, required=True)
        self.add_field("building", _("Building"), self.building, required=True)
        self.add_field("unit", _("Unit"), self.unit)
        self.add_field("room", _("Room"), self.room, required=True)
        self.add_field("residence_type", _("Residence type"), self.kind)
        self.add_field("phone", _("Household phone"), self.phone)
        self.add_field("visit_interval_hours", _("Own visit interval (hours)"), self.interval)
        self.add_field("notes", _("Notes"), self.notes)
        self.finish_layout()

    def values(self) -> dict:
        return {"estate": self.estate.currentText(), "building": self.building.text(), "unit": self.unit.text(),
                "room": self.room.text(), "residence_type": self.kind.currentData(), "phone": self.phone.text(),
                "visit_interval_hours": self.interval.text(), "notes": self.notes.text()}

    def clean(self, values: dict, saving: bool) -> None:
        rules.clean_household(values)

    def save(self, session: Session, values: dict) -> str:
        if self.current:
            register.edit_household(session, self.current["id"], values, expected_version=self.current["version"])
            return self.current["id"]
        return register.create_household(session, values)


class ResidentDialog(RecordDialog):
    """Add a resident to ``household_id`` (``current`` None) or edit one (``current`` its row)."""

    def __init__(self, taskman: TaskManager, household_id: str, address: str, current: dict | None = None,
                 parent: QWidget | None = None, today: Callable[[], date] = date.today):
        super().__init__(_("Edit resident") if current else _("New resident"), taskman, parent)
        self.household_id = household_id
        self.current = current or {}
        self.today = today
        c = self.current
        place = QLabel(address)
        place.setObjectName("sectionTitle")
        self.layout_.insertWidget(0, place)

        self.name = QLineEdit(c.get("name", ""))
        self.id_number = QLineEdit(c.get("id_number") or "")
        self.id_number.setPlaceholderText(_("18 digits; birth date and sex are read from it"))
        self.id_hint = QLabel("")
        self.id_hint.setObjectName("muted")
        self.gender = _combo(GENDERS, c.get("gender"), blank=_("(from the id number)"))
        self.birth = QLineEdit(c.get("birth_date") or "")
        self.birth.setPlaceholderText(_("e.g. 1949-10-01; empty: from the id number"))
        self.phone = QLineEdit(c.get("phone", ""))
        self.phone.setPlaceholderText(_("mobile or landline with area code"))
        self.relation = _combo(RELATIONS, c.get("relation", "head"))
        self.status = _combo(RESIDENT_STATUSES, c.get("status", "active"))
        self.categories: dict[str, QCheckBox] = {}
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(4)
        for n, code in enumerate(CARE_CATEGORIES):
            box = QCheckBox(label(CARE_CATEGORIES, code))
            box.setChecked(code in c.get("care_categories", []))
            self.categories[code] = box
            grid.addWidget(box, n // 3, n % 3)
        categories = QWidget()
        categories.setLayout(grid)
        self.care_notes = QLineEdit(c.get("care_notes", ""))
        self.care_notes.setPlaceholderText(_("e.g. hard of hearing, uses a gas stove"))
        self.contacts: list[tuple[QLineEdit, QLineEdit, QLineEdit]] = []
        contacts = QWidget()
        rows = QVBoxLayout(contacts)
        rows.setContentsMargins(0, 0, 0, 0)
        known = c.get("emergency_contacts", [])
        for n in range(CONTACT_ROWS):
            given = known[n] if n < len(known) else {}
            line = (QLineEdit(given.get("name", "")), QLineEdit(given.get("relation", "")), QLineEdit(given.get("phone", "")))
            line[0].setPlaceholderText(_("name"))
            line[1].setPlaceholderText(_("relation, e.g. son"))
            line[2].setPlaceholderText(_("phone"))
            row = QHBoxLayout()
            for edit in line:
                row.addWidget(edit)
                edit.textEdited.connect(self.recheck)
            rows.addLayout(row)
            self.contacts.append(line)
        self.notes = QLineEdit(c.get("notes", ""))

        self.add_field("name", _("Name"), self.name, required=True)
        self.add_field("id_number", _("Id number"), self.id_number, below=self.id_hint)
        self.add_field("gender", _("Sex"), self.gender)
        self.add_field("birth_date", _("Date of birth"), self.birth)
        self.add_field("phone", _("Phone"), self.phone)
        self.add_field("relation", _("Relation to head"), self.relation)
        self.add_field("status", _("Status"), self.status)
        self.add_field("care_categories", _("Care categories"), categories)
        self._order[-1:] = list(self.categories.values())
        self.add_field("care_notes", _("Care notes"), self.care_notes)
        self.add_field("emergency_contacts", _("Emergency contacts"), contacts)
        self._order[-1:] = [edit for line in self.contacts for edit in line]
        self.add_field("notes", _("Notes"), self.notes)
        self._derived = (c.get("birth_date") or "", c.get("gender")) if c.get("id_number") else ("", None)
        self.id_number.textEdited.connect(self._read_id_number)
        self.finish_layout()
        self._read_id_number()

    def _read_id_number(self) -> None:
        """Say what the id number gives while it is typed: how many characters so far, or birth date and sex.

        A valid number fills in birth date and sex, unless the user typed other ones (then the form says they differ).
        """
        typed = idnumber.normalize(self.id_number.text())
        if len(typed) < 18 and len(typed) != 15:
            self.id_hint.setText(_("{count} of 18 characters").format(count=len(typed)) if typed else "")
            return
        try:
            parsed = idnumber.parse(typed, self.today())
        except idnumber.IdNumberError:
            self.id_hint.setText("")  # the reason is shown under the form
            return
        birth = parsed.birth_date.isoformat()
        self.id_hint.setText(_("Born {birth}, {sex}").format(birth=birth, sex=label(GENDERS, parsed.gender)))
        if self.birth.text().strip() in ("", self._derived[0]):
            self.birth.setText(birth)
        if self.gender.currentData() in (None, self._derived[1]):
            self.gender.setCurrentIndex(self.gender.findData(parsed.gender))
        self._derived = (birth, parsed.gender)
        self.check()

    def values(self) -> dict:
        return {
            "name": self.name.text(), "id_number": self.id_number.text(), "gender": self.gender.currentData(),
            "birth_date": self.birth.text(), "phone": self.phone.text(), "relation": self.relation.currentData(),
            "status": self.status.currentData(),
            "care_categories": [code for code, box in self.categories.items() if box.isChecked()],
            "care_notes": self.care_notes.text(),
            "emergency_contacts": [{"name": n.text(), "relation": r.text(), "phone": p.text()} for n, r, p in self.contacts],
            "notes": self.notes.text(),
        }

    def clean(self, values: dict, saving: bool) -> None:
        typed = idnumber.normalize(values["id_number"])
        if not saving and typed and len(typed) < 18 and len(typed) != 15:
            values = dict(values, id_number="")  # still typing it: the hint counts the characters
        rules.clean_resident(values, self.today())

    def save(self, session: Session, values: dict) -> str:
        if self.current:
            register.edit_resident(session, self.current["id"], values, expected_version=self.current["version"])
            return self.current["id"]
        return register.create_resident(session, self.household_id, values)
