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
                               QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget)

from redstation import RedStationError
from redstation.domain import idnumber, phone, roles
from redstation.domain import register as rules
from redstation.domain.vocab import CARE_CATEGORIES, GENDERS, RELATIONS, RESIDENCE_TYPES, RESIDENT_STATUSES, label
from redstation.gui.style import STYLE_SHEET
from redstation.gui.tasks import Outcome, TaskManager
from redstation.i18n import N_, _, translate
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


UNMASK_REASONS = (N_("Checking identity for a service"), N_("Calling the resident or family"),
                  N_("A form for the street office"))


class ReasonDialog(QDialog):
    """Why the whole numbers are needed: a common reason or one typed; kept in the audit log."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(_("Show whole numbers"))
        self.setModal(True)
        self.setStyleSheet(STYLE_SHEET)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 14)
        text = QLabel(_("Why do you need the whole id number and phone? The reason is kept in the audit log, "
                        "where the station manager can read it."))
        text.setWordWrap(True)
        layout.addWidget(text)
        self.choice = QComboBox()
        self.choice.setEditable(True)
        self.choice.addItems([translate(reason) for reason in UNMASK_REASONS])
        self.choice.setCurrentText("")
        self.choice.lineEdit().setPlaceholderText(_("choose or type the reason"))
        layout.addWidget(self.choice)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(_("Show"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Cancel"))
        for button in buttons.buttons():
            button.setIcon(QIcon())
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.choice.setFocus()

    def reason(self) -> str:
        return self.choice.currentText().strip()


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
        self.masked: dict[str, QLineEdit] = {}   # numbers shown masked: not sent, so they stay as stored
        self.unmask_button: QPushButton | None = None

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

    # --- whole numbers on record -----------------------------------------------------------------------------
    def hide_numbers(self, kind: str, record_id: str, fields: dict[str, QLineEdit]) -> None:
        """For a user who must say why (the desk): show ``fields`` masked and read-only, with a button to unmask.

        Unmasking asks for the reason; ``register.unmask`` records it and gives the whole numbers,
        which the fields then show, editable.
        """
        if self.taskman.actor is None or self.taskman.actor.role not in roles.UNMASK_NEEDS_REASON:
            return
        for key, widget in fields.items():
            if widget.text():
                widget.setText((idnumber.mask if key == "id_number" else phone.mask)(widget.text()))
                widget.setReadOnly(True)
                widget.setToolTip(_("Partly hidden; 'Show whole numbers' shows it, and the reason is recorded"))
                self.masked[key] = widget
        if not self.masked:
            return
        self.unmask_button = QPushButton(_("Show whole numbers…"))
        self.unmask_button.setAutoDefault(False)
        self.unmask_button.clicked.connect(lambda: self.ask_reason(kind, record_id))
        note = QLabel(_("Id number and phone are partly hidden."))
        note.setObjectName("muted")
        row = QHBoxLayout()
        row.addWidget(note, 1)
        row.addWidget(self.unmask_button)
        self.form.addRow("", row)

    def ask_reason(self, kind: str, record_id: str) -> "ReasonDialog":
        dialog = ReasonDialog(self)
        dialog.accepted.connect(lambda: self._unmask(kind, record_id, dialog.reason()))
        dialog.open()
        return dialog

    def _unmask(self, kind: str, record_id: str, reason: str) -> None:
        self.taskman.db(lambda session: register.unmask(session, kind, record_id, reason), self._unmasked, owner=self)

    def _unmasked(self, outcome: Outcome) -> None:
        if outcome.error is not None:
            if not isinstance(outcome.error, RedStationError):
                raise outcome.error
            self.show_problem(str(outcome.error))
            return
        shown, self.masked = self.masked, {}
        for key, widget in shown.items():
            widget.setText(outcome.value.get(key) or "")
            widget.setReadOnly(False)
            widget.setToolTip("")
            widget.textEdited.emit(widget.text())   # as if typed: the form reads and checks it
        self.unmask_button.setEnabled(False)
        self.unmask_button.setText(_("Whole numbers shown (recorded)"))
        self.show_problem("")

    # --- checking and saving ---------------------------------------------------------------------------------
    def values(self) -> dict:
        raise NotImplementedError

    def entered(self) -> dict:
        """``values()`` without the numbers shown masked: those stay as stored."""
        return {key: value for key, value in self.values().items() if key not in self.masked}

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
            self.clean(self.entered(), saving)
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
        values = self.entered()
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
        if self.current:
            self.hide_numbers("households", c["id"], {"phone": self.phone})
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
        if self.current:
            self.hide_numbers("residents", c["id"], {"id_number": self.id_number, "phone": self.phone})
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
        typed = idnumber.normalize(values.get("id_number", ""))
        if not saving and typed and len(typed) < 18 and len(typed) != 15:
            values = dict(values, id_number="")  # still typing it: the hint counts the characters
        rules.clean_resident(values, self.today())

    def save(self, session: Session, values: dict) -> str:
        if self.current:
            register.edit_resident(session, self.current["id"], values, expected_version=self.current["version"])
            return self.current["id"]
        return register.create_resident(session, self.household_id, values)
