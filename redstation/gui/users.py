"""Accounts on the settings page: one's own password (everyone) and the station's accounts (the manager).

Accounts are never deleted (the audit log names them); "may log in" unticked retires one.
Every change runs on the database thread through ``redstation.services.users``, which
checks the role again and refuses to leave the station without a manager.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QGroupBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                               QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from redstation import RedStationError
from redstation.domain import register as rules
from redstation.domain.vocab import ROLES, label
from redstation.gui.forms import RecordDialog, _combo
from redstation.gui.tasks import Outcome, TaskManager
from redstation.i18n import _
from redstation.services import users
from redstation.services.session import Session


def _password_field() -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setPlaceholderText(_("at least {count} characters").format(count=users.MIN_PASSWORD_LENGTH))
    return field


def _check_passwords(password: str, confirm: str, field: str = "password") -> None:
    if len(password) < users.MIN_PASSWORD_LENGTH:
        raise rules.FieldError(field, _("A password needs at least {count} characters").format(
            count=users.MIN_PASSWORD_LENGTH))
    if password != confirm:
        raise rules.FieldError("confirm", _("The two passwords differ"))


class AccountSection(QGroupBox):
    """The logged-in user changes their own password, giving the old one first."""

    def __init__(self, taskman: TaskManager, parent: QWidget | None = None):
        super().__init__(_("My account"), parent)
        self.taskman = taskman
        actor = taskman.actor
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 18, 16, 14)
        who = QLabel(_("Logged in as {name} ({role}).").format(name=actor.name, role=label(ROLES, actor.role)))
        layout.addWidget(who)
        self.old, self.new, self.confirm = QLineEdit(), _password_field(), _password_field()
        self.old.setEchoMode(QLineEdit.EchoMode.Password)
        self.old.setPlaceholderText(_("current password"))
        self.confirm.setPlaceholderText(_("the new password again"))
        self.change_button = QPushButton(_("Change password"))
        self.change_button.clicked.connect(self.change)
        row = QHBoxLayout()
        for widget in (self.old, self.new, self.confirm, self.change_button):
            row.addWidget(widget)
        layout.addLayout(row)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.hide()
        layout.addWidget(self.message)
        self.confirm.returnPressed.connect(self.change)
        self.setEnabled(actor.id is not None)

    def _say(self, text: str, ok: bool) -> None:
        self.message.setObjectName("success" if ok else "error")
        self.message.setText(text)
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)
        self.message.show()

    def change(self) -> None:
        old, new = self.old.text(), self.new.text()
        try:
            _check_passwords(new, self.confirm.text())
        except rules.FieldError as exc:
            self._say(str(exc), False)
            return
        self.change_button.setEnabled(False)
        self.taskman.db(lambda session: users.change_own_password(session, old, new), self._changed, owner=self)

    def _changed(self, outcome: Outcome) -> None:
        self.change_button.setEnabled(True)
        if isinstance(outcome.error, RedStationError):
            self._say(str(outcome.error), False)
            return
        outcome.result()
        for field in (self.old, self.new, self.confirm):
            field.clear()
        self._say(_("Your password was changed."), True)


class UserDialog(RecordDialog):
    """Add an account (``current`` None) or change one: name, role, phone, may log in, new password."""

    def __init__(self, taskman: TaskManager, current: dict | None = None, parent: QWidget | None = None):
        super().__init__(_("Edit user") if current else _("New user"), taskman, parent)
        self.current = current or {}
        c = self.current
        self.username = QLineEdit(c.get("username", ""))
        self.username.setReadOnly(bool(current))     # the name in the audit log stays the same
        self.username.setPlaceholderText(_("for logging in, e.g. lixiuying"))
        self.display_name = QLineEdit(c.get("display_name", ""))
        self.display_name.setPlaceholderText(_("shown in records, e.g. 李秀英"))
        self.role = _combo(ROLES, c.get("role", "desk"))
        self.phone = QLineEdit(c.get("phone", ""))
        self.active = QCheckBox(_("May log in"))
        self.active.setChecked(bool(c.get("active", 1)))
        self.password, self.confirm = _password_field(), _password_field()
        if current:
            self.password.setPlaceholderText(_("empty: keep the password"))
        self.add_field("username", _("User name"), self.username, required=not current)
        self.add_field("display_name", _("Name"), self.display_name, required=True)
        self.add_field("role", _("Role"), self.role, required=True)
        self.add_field("phone", _("Phone"), self.phone)
        self.add_field("active", _("Account"), self.active)
        self.add_field("password", _("New password") if current else _("Password"), self.password, required=not current)
        self.add_field("confirm", _("Confirm password"), self.confirm, required=not current)
        self.active.toggled.connect(self.recheck)
        self.finish_layout()
        (self.display_name if current else self.username).setFocus()

    def values(self) -> dict:
        return {"username": self.username.text().strip(), "display_name": self.display_name.text().strip(),
                "role": self.role.currentData(), "phone": self.phone.text().strip(), "active": self.active.isChecked(),
                "password": self.password.text(), "confirm": self.confirm.text()}

    def clean(self, values: dict, saving: bool) -> None:
        if not values["username"]:
            raise rules.FieldError("username", _("{field} must not be empty").format(field=_("User name")))
        if not values["display_name"]:
            raise rules.FieldError("display_name", _("{field} must not be empty").format(field=_("Name")))
        if values["password"] or values["confirm"] or not self.current:
            if saving or len(values["password"]) >= users.MIN_PASSWORD_LENGTH:
                _check_passwords(values["password"], values["confirm"])

    def save(self, session: Session, values: dict) -> str:
        if not self.current:
            return users.create_user(session, values["username"], values["display_name"], values["role"],
                                     values["password"])
        users.edit_user(session, self.current["id"], display_name=values["display_name"], role=values["role"],
                        phone=values["phone"], active=values["active"])
        if values["password"]:
            users.reset_password(session, self.current["id"], values["password"])
        return self.current["id"]


class UsersSection(QGroupBox):
    """The station's accounts, for the manager: a table, New user, Edit (double-click or Enter)."""

    N_COLUMNS = 5

    def __init__(self, taskman: TaskManager, parent: QWidget | None = None):
        super().__init__(_("Users"), parent)
        self.taskman = taskman
        self.rows: list[dict] = []
        self.dialog: UserDialog | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 18, 16, 14)
        intro = QLabel(_("Each person logs in with their own account; what they may do follows their role. "
                         "Accounts are not deleted: untick 'May log in' when someone leaves."))
        intro.setWordWrap(True)
        intro.setObjectName("muted")
        layout.addWidget(intro)
        self.table = QTableWidget(0, self.N_COLUMNS)
        self.table.setHorizontalHeaderLabels([_("User name"), _("Name"), _("Role"), _("Phone"), _("Account")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumHeight(180)
        self.table.doubleClicked.connect(lambda _index: self.edit())
        layout.addWidget(self.table)
        self.new_button = QPushButton(_("New user…"))
        self.edit_button = QPushButton(_("Edit…"))
        self.new_button.clicked.connect(self.new)
        self.edit_button.clicked.connect(self.edit)
        row = QHBoxLayout()
        row.addWidget(self.new_button)
        row.addWidget(self.edit_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.refresh()

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.table.hasFocus():
            self.edit()
            return
        super().keyPressEvent(event)

    def refresh(self) -> None:
        self.taskman.db(lambda session: users.list_users(session.conn), self._listed, owner=self)

    def _listed(self, outcome: Outcome) -> None:
        self.rows = outcome.result()
        self.table.setRowCount(len(self.rows))
        for n, user in enumerate(self.rows):
            cells = (user["username"], user["display_name"], label(ROLES, user["role"]), user["phone"],
                     _("May log in") if user["active"] else _("Retired"))
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if not user["active"]:
                    item.setForeground(Qt.GlobalColor.gray)
                self.table.setItem(n, column, item)

    def new(self) -> UserDialog:
        return self._open(UserDialog(self.taskman, parent=self))

    def edit(self) -> UserDialog | None:
        row = self.table.currentRow()
        if not 0 <= row < len(self.rows):
            return None
        return self._open(UserDialog(self.taskman, self.rows[row], parent=self))

    def _open(self, dialog: UserDialog) -> UserDialog:
        self.dialog = dialog
        dialog.accepted.connect(self.refresh)
        dialog.open()
        return dialog
