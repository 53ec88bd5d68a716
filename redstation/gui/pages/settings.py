"""The 设置 page: a vertical stack of sections (group boxes) in a scroll area.

This station's details, the user's own account, the station's accounts (manager only),
the window's language, and this program (version, data folder, About).
"""

from __future__ import annotations

import os

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QFormLayout, QFrame, QGroupBox, QHBoxLayout, QLabel, QPushButton,
                               QScrollArea, QVBoxLayout, QWidget)

from redstation import NAME, __version__
from redstation.gui.about import AboutDialog
from redstation.gui.audit_log import AuditLogDialog
from redstation.gui.backups import BackupsSection
from redstation.gui.pages import Page
from redstation.gui.tasks import TaskManager
from redstation.gui.users import AccountSection, UsersSection
from redstation.i18n import LANGUAGES, _, language, save_language, saved_language
from redstation.paths import backup_dir, data_dir
from redstation.services.session import Session

LANGUAGE_ENV = "REDSTATION_LANG"    # redstation.i18n: overrides the saved language for one run


def _form(box: QGroupBox) -> QFormLayout:
    form = QFormLayout(box)
    form.setContentsMargins(16, 18, 16, 14)
    form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
    form.setHorizontalSpacing(16)
    form.setVerticalSpacing(8)
    return form


def _value(text: str) -> QLabel:
    field = QLabel(text or "—")
    field.setWordWrap(True)
    field.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return field


SECTION_WIDTH = 820


class SettingsPage(Page):
    language_saved = Signal(str)   # the language chosen for the next start

    def __init__(self, session: Session, taskman: TaskManager | None = None, parent: QWidget | None = None):
        super().__init__(_("Settings"), parent)
        self.taskman = taskman
        container = QWidget()
        container.setObjectName("settingsSections")
        # The sections' width is set here, on the whole column, not on each section: a section narrower than the
        # column is laid out for the column's width, and its wrapped texts then need more lines than it was given.
        container.setMaximumWidth(SECTION_WIDTH + 12)
        self.sections = QVBoxLayout(container)
        self.sections.setContentsMargins(0, 0, 12, 0)
        self.sections.setSpacing(16)
        self.sections.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(container)
        scroll.setStyleSheet("QScrollArea, QWidget#settingsSections { background: transparent; }")
        self.body.addWidget(scroll, 1)

        self.station_box = self._station_section(session)
        self.language_box = self._language_section()
        self.program_box = self._program_section(session)
        self.account_box = AccountSection(taskman) if taskman is not None else None
        manager = taskman is not None and taskman.actor.role == "admin"
        self.users_box = UsersSection(taskman) if manager else None
        self.audit_box = self._audit_section() if manager else None
        self.backups_box = BackupsSection(taskman) if taskman is not None else None
        for box in (self.station_box, self.account_box, self.users_box, self.audit_box, self.backups_box,
                    self.language_box, self.program_box):
            if box is not None:
                self.add_section(box)

    def add_section(self, box: QGroupBox) -> None:
        """Append a section below the others (above the stretch that keeps them at the top)."""
        self.sections.insertWidget(self.sections.count() - 1, box)

    # --- this station -------------------------------------------------------------------------------------------

    def _station_section(self, session: Session) -> QGroupBox:
        box = QGroupBox(_("This station"))
        form = _form(box)
        station = session.station()
        details = []
        if station is not None:
            details += [(_("Station name"), station["name"]), (_("Community"), station["community"]),
                        (_("Street office"), station["street"]), (_("Station code"), station["code"])]
        details.append((_("Database file"), str(session.path)))
        self.details: dict[str, QLabel] = {}
        for label, value in details:
            field = _value(value)
            self.details[label] = field
            form.addRow(QLabel(_("{label}:").format(label=label)), field)
        return box

    # --- the audit log (the manager's) ----------------------------------------------------------------------------

    def _audit_section(self) -> QGroupBox:
        box = QGroupBox(_("Audit log"))
        layout = QVBoxLayout(box)
        layout.setContentsMargins(16, 18, 16, 14)
        text = QLabel(_("Every change, login, failed login, look at whole numbers, export, print and import, "
                        "with who and when. Entries cannot be changed; a removed or altered one is reported."))
        text.setWordWrap(True)
        text.setObjectName("muted")
        layout.addWidget(text)
        self.audit_button = QPushButton(_("Open the audit log…"))
        self.audit_button.clicked.connect(self.show_audit_log)
        row = QHBoxLayout()
        row.addWidget(self.audit_button)
        row.addStretch(1)
        layout.addLayout(row)
        return box

    def show_audit_log(self) -> AuditLogDialog:
        dialog = AuditLogDialog(self.taskman, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    # --- language -----------------------------------------------------------------------------------------------

    def _language_section(self) -> QGroupBox:
        box = QGroupBox(_("Language"))
        form = _form(box)
        self.language = QComboBox()
        for code, name in LANGUAGES.items():   # each language named in itself
            self.language.addItem(name, code)
        self.language.setCurrentIndex(self.language.findData(saved_language()))
        self.language.setMinimumWidth(180)
        row = QHBoxLayout()
        row.addWidget(self.language)
        row.addStretch(1)
        form.addRow(QLabel(_("Language of the window:")), row)
        self.language_note = QLabel()
        self.language_note.setWordWrap(True)
        form.addRow(self.language_note)
        self._show_language_note()
        self.language.currentIndexChanged.connect(self._language_chosen)
        return box

    def _language_chosen(self, _index: int) -> None:
        code = self.language.currentData()
        save_language(code)
        self._show_language_note()
        self.language_saved.emit(code)

    def _show_language_note(self) -> None:
        chosen = self.language.currentData()
        if os.environ.get(LANGUAGE_ENV):     # this run's language was set from outside, not by the saved choice
            self.language_note.setObjectName("muted")
            self.language_note.setText(_("The environment variable {variable} sets the language of this run "
                                         "({running}). Started without it, RedStation uses the language chosen "
                                         "here: {language}.").format(
                variable=LANGUAGE_ENV, running=LANGUAGES.get(language(), language()), language=LANGUAGES[chosen]))
        elif chosen == language():
            self.language_note.setObjectName("muted")
            self.language_note.setText(_("A change takes effect when RedStation is started again."))
        else:
            self.language_note.setObjectName("success")
            self.language_note.setText(_("Saved. Close RedStation and start it again to see the window in {language}.")
                                       .format(language=LANGUAGES[chosen]))
        self.language_note.style().unpolish(self.language_note)
        self.language_note.style().polish(self.language_note)

    # --- this program -------------------------------------------------------------------------------------------

    def _program_section(self, session: Session) -> QGroupBox:
        box = QGroupBox(_("This program"))
        form = _form(box)
        self.version = _value("{name} {version}".format(name=NAME, version=__version__))
        form.addRow(QLabel(_("{label}:").format(label=_("Version"))), self.version)
        self.data_folder = _value(str(data_dir()))
        form.addRow(QLabel(_("{label}:").format(label=_("Data folder"))), self.data_folder)
        self.backup_folder = _value(str(backup_dir(session.path)))
        form.addRow(QLabel(_("{label}:").format(label=_("Backups"))), self.backup_folder)
        self.about_button = QPushButton(_("About…"))
        self.about_button.clicked.connect(self.show_about)
        row = QHBoxLayout()
        row.addWidget(self.about_button)
        row.addStretch(1)
        form.addRow(row)
        return box

    def show_about(self) -> AboutDialog:
        dialog = AboutDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog
