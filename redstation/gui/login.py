"""Who sits at the window: the login dialog, the lock after 5 idle minutes, and switching users.

``Doorman`` owns the main window. It asks for a login at start (unless the first-run dialog
just created the manager's account, which is a login of its own), locks the window after
``IDLE_MINUTES`` without a key or mouse press, and on Ctrl+L or "switch user". Locking hides
the window (the data are not left on the screen) and shows the login dialog: the same user
comes back to the window as they left it; another user gets a new window with their pages.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (QApplication, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit,
                               QVBoxLayout, QWidget)

from redstation.gui.icon import application_icon
from redstation.gui.style import STYLE_SHEET
from redstation.i18n import _
from redstation.services import users
from redstation.services.session import Session

IDLE_MINUTES = 5
TRIES_BEFORE_PAUSE = 5      # wrong passwords in a row before the dialog makes the user wait
PAUSE_SECONDS = 30


class LoginDialog(QDialog):
    """User name and password; Enter logs in, Esc leaves (quits at start, stays locked otherwise)."""

    def __init__(self, session: Session, *, locked_user: str | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.failures = 0
        self.setWindowTitle(_("Log in") if locked_user is None else _("Locked"))
        self.setWindowIcon(application_icon())
        self.setModal(True)
        self.setStyleSheet(STYLE_SHEET)
        self.setMinimumWidth(420)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(12)
        station = session.station()
        heading = QLabel(station["name"] if station else _("Red-property service station ledger"))
        heading.setObjectName("dialogHeading")
        layout.addWidget(heading)
        if locked_user is not None:
            intro = QLabel(_("The window was locked. {name}, enter your password to go on, or log in as another user.")
                           .format(name=locked_user))
            intro.setWordWrap(True)
            layout.addWidget(intro)

        self.username = QComboBox()
        self.username.setEditable(True)
        self.username.addItems(users.usernames(session.conn))
        self.username.setCurrentText(locked_user or "")
        self.username.lineEdit().setPlaceholderText(_("user name"))
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(_("password"))
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        form.setHorizontalSpacing(14)
        form.addRow(_("User name"), self.username)
        form.addRow(_("Password"), self.password)
        layout.addLayout(form)

        self.message = QLabel("")
        self.message.setObjectName("error")
        self.message.setWordWrap(True)
        self.message.hide()
        layout.addWidget(self.message)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(_("Log in"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Quit the program"))
        for button in self.buttons.buttons():
            button.setIcon(QIcon())
        self.ok_button.setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.password.textEdited.connect(lambda _text: self.message.hide())
        self._pause = QTimer(self)
        self._pause.setInterval(1000)
        self._pause.timeout.connect(self._tick)
        self._left = 0
        (self.password if self.username.currentText() else self.username).setFocus()

    def accept(self) -> None:
        if not self.ok_button.isEnabled():
            return
        try:
            users.log_in(self.session, self.username.currentText(), self.password.text())
        except users.LoginFailed as exc:
            self.failures += 1
            self.password.clear()
            self.password.setFocus()
            self._say(str(exc))
            if self.failures % TRIES_BEFORE_PAUSE == 0:
                self._left = PAUSE_SECONDS
                self.ok_button.setEnabled(False)
                self._pause.start()
                self._tick(counting=False)
            return
        super().accept()

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()

    def _tick(self, counting: bool = True) -> None:
        if counting:
            self._left -= 1
        if self._left <= 0:
            self._pause.stop()
            self.ok_button.setEnabled(True)
            self.message.hide()
            return
        self._say(_("{count} wrong passwords in a row; try again in {seconds} seconds").format(
            count=self.failures, seconds=self._left))


class IdleWatcher(QObject):
    """Emits ``idle`` after ``minutes`` without a key press or mouse press anywhere in the program."""

    idle = Signal()
    _ACTIVITY = (QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.Wheel)

    def __init__(self, minutes: float = IDLE_MINUTES, parent: QObject | None = None):
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(int(minutes * 60 * 1000))
        self.timer.timeout.connect(self.idle)
        QApplication.instance().installEventFilter(self)

    def start(self) -> None:
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in self._ACTIVITY and self.timer.isActive():
            self.timer.start()
        return False


class Doorman(QObject):
    """Keeps the main window for the user logged in; see the module's docstring."""

    window_changed = Signal(object)   # the new main window, after another user logged in

    def __init__(self, session: Session, build: Callable, show: Callable, *, idle_minutes: float = IDLE_MINUTES,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.session = session
        self.build, self.show = build, show
        self.window = None
        self.dialog: LoginDialog | None = None
        self.hidden: list[QWidget] = []
        self.watcher = IdleWatcher(idle_minutes, self)
        self.watcher.idle.connect(lambda: self.lock("idle"))

    def log_in(self) -> bool:
        """The login dialog at start; False if the user quit."""
        self.dialog = LoginDialog(self.session)
        accepted = self.dialog.exec() == QDialog.DialogCode.Accepted
        self._forget_dialog()
        if accepted:
            self.open_window()
        return accepted

    def _forget_dialog(self) -> None:
        if self.dialog is not None:
            self.dialog.hide()
            self.dialog.deleteLater()   # gone, so that the window becomes the active one again
            self.dialog = None

    def open_window(self) -> None:
        self.window = self.build(self.session)
        self.window.lock_requested.connect(lambda: self.lock("lock"))
        self.window.switch_requested.connect(lambda: self.lock("switch", switching=True))
        self.show(self.window)
        QTimer.singleShot(0, self.window.activateWindow)   # the keyboard goes to the window, once the dialog is gone
        self.watcher.start()
        self.window_changed.emit(self.window)

    def lock(self, why: str, switching: bool = False) -> None:
        """Hide the window and ask for a password; the same user goes on, another gets their own window."""
        if self.window is None or self.dialog is not None and self.dialog.isVisible():
            return
        self.watcher.stop()
        before = self.session.actor
        self.window.taskman.cancel_all()
        users.log_out(self.session, why)
        self.hidden = [widget for widget in QApplication.topLevelWidgets()   # open forms go dark with the window
                       if widget is not self.window and widget.isVisible() and widget.isWindow()]
        for widget in self.hidden:
            widget.hide()
        self.window.hide()
        self.dialog = LoginDialog(self.session, locked_user=None if switching else before.name)
        if not switching:
            self.dialog.username.setCurrentText(self._username(before.id))
        self.dialog.finished.connect(lambda result: self._unlocked(result, before))
        self.dialog.open()

    def _username(self, user_id: str | None) -> str:
        for user in users.list_users(self.session.conn):
            if user["id"] == user_id:
                return user["username"]
        return ""

    def _unlocked(self, result: int, before) -> None:
        self._forget_dialog()
        if result != QDialog.DialogCode.Accepted:
            self.window.close()
            QApplication.instance().quit()
            return
        hidden, self.hidden = self.hidden, []
        if self.session.actor.id == before.id and self.session.actor.role == before.role:
            self.window.show()
            self.window.activateWindow()
            for widget in hidden:   # the form the user was typing in, as they left it
                widget.show()
            self.watcher.start()
            return
        for widget in hidden:       # another user: the last one's open forms go, unsaved
            widget.close()
        old = self.window
        old.taskman.shutdown()
        old.deleteLater()
        self.open_window()

