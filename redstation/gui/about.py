"""The About dialog (name, version, what the program is, the licences of what it ships) and the
"what is new" notice shown on the first start after an upgrade."""

from __future__ import annotations

import html
import platform
from importlib import metadata

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QDialogButtonBox, QHBoxLayout, QHeaderView, QLabel,
                               QPlainTextEdit, QTableWidget, QTableWidgetItem, QTabWidget, QTextBrowser, QVBoxLayout,
                               QWidget)

from redstation import NAME, __version__
from redstation.gui.icon import logo
from redstation.gui.style import STYLE_SHEET
from redstation.i18n import N_, _, translate
from redstation.paths import data_dir, resource_dir
from redstation.store import db

FONT_LICENCE = "LICENSE-wqy-microhei.txt"
LGPL = "LGPL-3.0.txt"     # resources/licenses, with GPL-3.0.txt that it builds on


def _python_version() -> str:
    return platform.python_version()


# (component, distribution whose version is shown or a function giving it, licence, what it does here)
COMPONENTS = [
    ("Python", _python_version, "PSF-2.0", N_("the language the program is written in")),
    ("Qt, PySide6", "PySide6-Essentials", "LGPL-3.0", N_("the window, printing and charts")),
    ("SQLite", db.sqlite_library_version, N_("public domain"), N_("the database")),
    ("WenQuanYi Micro Hei", lambda: "0.2.0-beta", N_("Apache-2.0, or GPL-3.0+ with the font exception"),
     N_("the Chinese font of the window and the PDFs")),
    ("reportlab", "reportlab", "BSD", N_("PDF documents")),
    ("openpyxl", "openpyxl", "MIT", N_("Excel workbooks with styles and merged cells")),
    ("XlsxWriter", "xlsxwriter", "BSD-2-Clause", N_("writing large Excel workbooks")),
    ("python-calamine", "python-calamine", "MIT", N_("reading large Excel workbooks")),
    ("pypinyin", "pypinyin", "MIT", N_("pinyin for searching names")),
    ("cryptography", "cryptography", "Apache-2.0 / BSD-3-Clause", N_("signatures of exchanged data")),
    ("argon2-cffi", "argon2-cffi", "MIT", N_("password hashes")),
    ("platformdirs", "platformdirs", "MIT", N_("the per-user data folder")),
    ("defusedxml", "defusedxml", "PSF-2.0", N_("safe reading of workbooks from outside")),
    ("sqlite-utils", "sqlite-utils", "Apache-2.0", N_("database helpers")),
    ("Pillow", "pillow", "MIT-CMU", N_("images in PDF documents (used by reportlab)")),
]


def component_rows() -> list[tuple[str, str, str, str]]:
    """(component, version, licence, use) as shown, translated; a version that cannot be found is "—"."""
    rows = []
    for name, source, licence, use in COMPONENTS:
        try:
            version = source() if callable(source) else metadata.version(source)
        except Exception:  # noqa: BLE001  (a frozen build without the package's metadata)
            version = "—"
        rows.append((name, version, translate(licence), translate(use)))
    return rows


def _licence_text(path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return _("The licence file {path} is missing.").format(path=path)


def font_licence_text() -> str:
    return _licence_text(resource_dir() / "fonts" / FONT_LICENCE)


def lgpl_text() -> str:
    return _licence_text(resource_dir() / "licenses" / LGPL)


def version_text() -> str:
    return _("Version {version}").format(version=__version__)


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(_("About {name}").format(name=NAME))
        self.setStyleSheet(STYLE_SHEET)
        self.setMinimumSize(860, 600)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(12)

        top = QHBoxLayout()
        top.setSpacing(16)
        self.logo = QLabel()
        self.logo.setPixmap(logo(72))
        self.logo.setAlignment(Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.logo)
        names = QVBoxLayout()
        names.setSpacing(4)
        self.title = QLabel(_("Red-property service station ledger"))
        self.title.setObjectName("dialogHeading")
        self.name = QLabel("{name} · {version}".format(name=NAME, version=version_text()))
        self.name.setObjectName("sectionTitle")
        self.name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        names.addWidget(self.title)
        names.addWidget(self.name)
        names.addStretch(1)
        top.addLayout(names, 1)
        layout.addLayout(top)

        self.description = QLabel(_(
            "An offline ledger program for a community service station run under the red-property model: the "
            "register of households and residents, home visits to key households, tickets at the one-stop window with "
            "the 5341 response clock, volunteers and activities, round-table meetings, and the monthly evaluation. "
            "Everything stays on this PC, in one database file; data travels as Excel workbooks."))
        self.description.setWordWrap(True)
        layout.addWidget(self.description)
        self.data_folder = QLabel(_(
            "Your data (the database and its backups) is kept in {folder}. Installing a newer version or uninstalling "
            "the program leaves it there.").format(folder=data_dir()))
        self.data_folder.setWordWrap(True)
        self.data_folder.setObjectName("muted")
        self.data_folder.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.data_folder)

        self.tabs = QTabWidget()
        rows = component_rows()
        self.components = QTableWidget(len(rows), 4)
        self.components.setHorizontalHeaderLabels([_("Component"), _("Version"), _("Licence"), _("Used for")])
        self.components.verticalHeader().hide()
        self.components.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.components.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        for row, values in enumerate(rows):
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setToolTip(value)
                self.components.setItem(row, column, item)
        header = self.components.horizontalHeader()
        for column in range(3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)

        components_page = QWidget()
        components_layout = QVBoxLayout(components_page)
        components_layout.setContentsMargins(8, 8, 8, 8)
        components_layout.addWidget(self.components, 1)
        self.lgpl_note = QLabel(_(
            "Qt and PySide6 are used under the GNU Lesser General Public License version 3 (its text is on the next "
            "tab but one): they are separate libraries in the program folder and can be replaced; their source code "
            "is available from https://download.qt.io. The licence texts of the Python packages are in the program "
            "folder beside each package."))
        self.lgpl_note.setWordWrap(True)
        self.lgpl_note.setObjectName("muted")
        components_layout.addWidget(self.lgpl_note)
        self.tabs.addTab(components_page, _("Components and licences"))

        self.font_licence = QPlainTextEdit(font_licence_text())
        self.font_licence.setReadOnly(True)
        self.font_licence.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.tabs.addTab(self.font_licence, _("Font licence"))
        self.lgpl = QPlainTextEdit(lgpl_text())
        self.lgpl.setReadOnly(True)
        self.lgpl.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.tabs.addTab(self.lgpl, "GNU LGPL 3.0")
        layout.addWidget(self.tabs, 1)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)


class WhatsNewDialog(QDialog):
    """The news of the versions since the one the user last saw, newest first."""

    def __init__(self, news: list[tuple[str, str]], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(_("What is new"))
        self.setStyleSheet(STYLE_SHEET)
        self.setMinimumSize(560, 360)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(12)
        heading = QLabel(_("{name} has been updated to version {version}").format(name=NAME, version=__version__))
        heading.setObjectName("dialogHeading")
        heading.setWordWrap(True)
        layout.addWidget(heading)
        self.text = QTextBrowser()
        self.text.setOpenLinks(False)
        self.text.setHtml("".join(
            "<h3>{title}</h3><p>{text}</p>".format(title=html.escape(version_heading(version)), text=html.escape(text))
            for version, text in news))
        layout.addWidget(self.text, 1)
        note = QLabel(_("Your data was kept; a copy of the database from before the update is in the backups folder "
                        "whenever the update changed it."))
        note.setWordWrap(True)
        note.setObjectName("muted")
        layout.addWidget(note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)


def version_heading(version: str) -> str:
    return _("Version {version}").format(version=version)
