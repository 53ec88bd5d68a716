"""The first-run dialog (欢迎使用): create the station and its first administrator.

When the station already exists (made with ``redstation init``) only the administrator
part is asked for. Keyboard first: fields top to bottom in tab order, Enter = OK,
Esc = cancel. A missing field, a short or mismatched password, or an error from the
service is shown inline in red; the dialog stays open and nothing is saved.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFormLayout, QGroupBox, QLabel, QLineEdit, QVBoxLayout,
                               QWidget)

from redstation import RedStationError
from redstation.gui.style import STYLE_SHEET
from redstation.i18n import _
from redstation.services import station as station_service
from redstation.services.session import Session
from redstation.services.users import MIN_PASSWORD_LENGTH


class FirstRunDialog(QDialog):
    def __init__(self, session: Session, *, ask_station: bool, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.ask_station = ask_station
        self.user_id: str | None = None
        self._labels: dict[QLineEdit, QLabel] = {}
        self.setWindowTitle(_("Welcome"))
        self.setModal(True)
        self.setStyleSheet(STYLE_SHEET)
        self.setMinimumWidth(520)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(14)

        heading = QLabel(_("Welcome to the red-property service station ledger"))
        heading.setObjectName("dialogHeading")
        layout.addWidget(heading)
        if ask_station:
            intro = _("This database is new. Enter your service station and create the first administrator account; "
                      "the administrator can add the other staff later.")
        else:
            station = session.station()
            intro = _("The station {name} has no administrator yet. Create the first administrator account; "
                      "the administrator can add the other staff later.").format(name=station["name"] if station else "")
        self.intro = QLabel(intro)
        self.intro.setWordWrap(True)
        layout.addWidget(self.intro)

        self.station_name = QLineEdit()
        self.community = QLineEdit()
        self.street = QLineEdit()
        self.station_box = QGroupBox(_("Service station"))
        station_form = self._form(self.station_box)
        self._row(station_form, _("Station name"), self.station_name, required=True)
        self._row(station_form, _("Community"), self.community, required=True)
        self._row(station_form, _("Street office"), self.street, required=False)
        self.station_name.setPlaceholderText(_("e.g. Sunshine Garden red-property service station"))
        self.community.setPlaceholderText(_("e.g. Sunshine community"))
        self.street.setPlaceholderText(_("optional"))
        layout.addWidget(self.station_box)
        self.station_box.setVisible(ask_station)

        self.username = QLineEdit()
        self.display_name = QLineEdit()
        self.password = QLineEdit()
        self.confirm = QLineEdit()
        for field in (self.password, self.confirm):
            field.setEchoMode(QLineEdit.EchoMode.Password)
        self.admin_box = QGroupBox(_("Administrator (station manager)"))
        admin_form = self._form(self.admin_box)
        self._row(admin_form, _("User name"), self.username, required=True)
        self._row(admin_form, _("Display name"), self.display_name, required=False)
        self._row(admin_form, _("Password"), self.password, required=True)
        self._row(admin_form, _("Confirm password"), self.confirm, required=True)
        self.username.setPlaceholderText(_("for logging in, e.g. admin"))
        self.display_name.setPlaceholderText(_("shown in records, e.g. the manager's name"))
        self.password.setPlaceholderText(_("at least {count} characters").format(count=MIN_PASSWORD_LENGTH))
        layout.addWidget(self.admin_box)

        hint = QLabel(_("Fields marked * are required."))
        hint.setObjectName("muted")
        layout.addWidget(hint)

        self.message = QLabel("")
        self.message.setObjectName("error")
        self.message.setWordWrap(True)
        self.message.hide()
        layout.addWidget(self.message)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(_("Create"))
        for button in self.buttons.buttons():
            button.setIcon(QIcon())  # plain text buttons, as on Windows
        self.ok_button.setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

        labels = [self._labels[f] for f in self.fields()]
        width = max(label.sizeHint().width() for label in labels)
        for label in labels:  # both forms line up on one column
            label.setMinimumWidth(width)
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

        fields = self.fields()
        for first, second in zip(fields, fields[1:]):
            QWidget.setTabOrder(first, second)
        QWidget.setTabOrder(fields[-1], self.ok_button)
        for field in fields:
            field.textEdited.connect(self._clear_message)
        fields[0].setFocus()

    @staticmethod
    def _form(box: QGroupBox) -> QFormLayout:
        form = QFormLayout(box)
        form.setContentsMargins(16, 12, 16, 12)
        form.setHorizontalSpacing(14)
        form.setVerticalSpacing(10)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        return form

    def _label(self, text: str, *, required: bool) -> QLabel:
        return QLabel(_("{field} *").format(field=text) if required else text)

    def _row(self, form: QFormLayout, text: str, field: QLineEdit, *, required: bool) -> None:
        label = self._label(text, required=required)
        label.setBuddy(field)
        self._labels[field] = label
        form.addRow(label, field)

    def fields(self) -> list[QLineEdit]:
        """The line edits the user fills in, top to bottom."""
        admin = [self.username, self.display_name, self.password, self.confirm]
        return ([self.station_name, self.community, self.street] if self.ask_station else []) + admin

    # --- checking and saving -------------------------------------------------------------------
    def problem(self) -> tuple[str, QLineEdit] | None:
        """The first thing wrong with what is typed, and the field to fix; None when it can be saved."""
        required = [(self.username, _("User name"))]
        if self.ask_station:
            required = [(self.station_name, _("Station name")), (self.community, _("Community"))] + required
        for field, name in required:
            if not field.text().strip():
                return _("{field} must not be empty").format(field=name), field
        if len(self.password.text()) < MIN_PASSWORD_LENGTH:
            return _("A password needs at least {count} characters").format(count=MIN_PASSWORD_LENGTH), self.password
        if self.password.text() != self.confirm.text():
            return _("The two passwords differ; type the same password twice"), self.confirm
        return None

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()

    def _clear_message(self) -> None:
        self.message.hide()

    def accept(self) -> None:
        found = self.problem()
        if found is not None:
            text, field = found
            self.show_message(text)
            field.setFocus()
            field.selectAll()
            return
        try:
            self.user_id = station_service.first_run(
                self.session,
                station_name=self.station_name.text() if self.ask_station else None,
                community=self.community.text() if self.ask_station else None,
                street=self.street.text() if self.ask_station else None,
                username=self.username.text(), display_name=self.display_name.text(),
                password=self.password.text())
        except RedStationError as exc:
            self.show_message(str(exc))
            return
        super().accept()
