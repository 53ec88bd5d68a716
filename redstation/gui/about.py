"""The About dialog (name, version, what the program is, the licences of what it ships) and the
"what is new" notice shown on the first start after an upgrade.

What it lists is what a built program carries: COMPONENTS (the Python packages the program
imports, whose metadata build.spec copies, and the font), then the native libraries of the
build, read from resources/licenses/native/libraries.json (build.spec writes it) and named by
NATIVE_LIBRARIES. Every component's licence text is on the Licence texts tab.
"""

from __future__ import annotations

import html
import json
import platform
import sys
from fnmatch import fnmatch
from importlib import metadata
from pathlib import Path
from typing import Callable, NamedTuple

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QDialogButtonBox, QHBoxLayout, QHeaderView, QLabel,
                               QListWidget, QPlainTextEdit, QSplitter, QTableWidget, QTableWidgetItem, QTabWidget,
                               QTextBrowser, QVBoxLayout, QWidget)

from redstation import NAME, __version__
from redstation.gui.icon import logo
from redstation.gui.style import STYLE_SHEET
from redstation.i18n import N_, _, translate
from redstation.paths import data_dir, resource_dir
from redstation.store import db

FONT_LICENCE = "LICENSE-wqy-microhei.txt"
LGPL = "LGPL-3.0.txt"     # resources/licenses, with GPL-3.0.txt that it builds on
GPL = "GPL-3.0.txt"
NATIVE_MANIFEST = "licenses/native/libraries.json"   # in resources/, written by build.spec


def _python_version() -> str:
    return platform.python_version()


def _font_version() -> str:
    return "0.2.0-beta"


class Component(NamedTuple):
    name: str
    version: str | Callable[[], str]     # a distribution whose version is shown, or a function giving it
    licence: str                         # SPDX-like name (translated where it is words)
    use: str                             # marked with N_
    texts: tuple[str, ...] = ()          # licence texts in resources/ besides the distribution's own


# What the program imports at run time, and so what the built program carries (build.spec's DISTRIBUTIONS
# are the Python packages of this list; tests/test_packaging.py compares the two).
COMPONENTS = [
    Component("Python", _python_version, "PSF-2.0", N_("the language the program is written in")),
    Component("Qt, PySide6", "PySide6-Essentials", "LGPL-3.0", N_("the window and printing"),
              ("licenses/" + LGPL, "licenses/" + GPL)),
    Component("SQLite", db.sqlite_library_version, N_("public domain"), N_("the database")),
    Component("WenQuanYi Micro Hei", _font_version, N_("Apache-2.0, or GPL-3.0+ with the font exception"),
              N_("the Chinese font of the window and the PDFs"), ("fonts/" + FONT_LICENCE,)),
    Component("reportlab", "reportlab", "BSD-3-Clause", N_("PDF documents")),
    Component("Pillow", "pillow", "MIT-CMU", N_("images in PDF documents (used by reportlab)")),
    Component("charset-normalizer", "charset-normalizer", "MIT",
              N_("guessing the encoding of text (used by reportlab)")),
    Component("XlsxWriter", "xlsxwriter", "BSD-2-Clause", N_("writing large Excel workbooks")),
    Component("python-calamine", "python-calamine", "MIT", N_("reading large Excel workbooks")),
    Component("msoffcrypto-tool", "msoffcrypto-tool", "MIT", N_("password-protected data bundles")),
    Component("olefile", "olefile", "BSD-2-Clause", N_("the container of encrypted workbooks (used by msoffcrypto-tool)")),
    Component("pypinyin", "pypinyin", "MIT", N_("pinyin for searching names")),
    Component("cryptography", "cryptography", "Apache-2.0 / BSD-3-Clause", N_("signatures of exchanged data")),
    Component("argon2-cffi", "argon2-cffi", "MIT", N_("password hashes")),
    Component("argon2-cffi-bindings", "argon2-cffi-bindings", "MIT", N_("the Argon2 code (used by argon2-cffi)")),
    Component("cffi", "cffi", "MIT-0", N_("calls into C code (used by argon2-cffi)")),
    Component("platformdirs", "platformdirs", "MIT", N_("the per-user data folder")),
    Component("defusedxml", "defusedxml", "PSF-2.0", N_("safe reading of workbooks from outside")),
]


class NativeLibrary(NamedTuple):
    name: str
    files: tuple[str, ...]               # file name patterns (Linux and Windows)
    licence: str
    use: str


# The native libraries a build carries (resources/licenses/native/libraries.json, written by build.spec,
# names each file; the smoke test of `make dist` fails on a file that no entry here names). On Linux the
# desktop's own libraries (X11, xcb, xkbcommon, fontconfig, FreeType, D-Bus, CUPS, OpenGL) are the system's.
NATIVE_LIBRARIES = [
    NativeLibrary("Python", ("libpython3*", "python3*.dll"), "PSF-2.0", ""),
    NativeLibrary("Qt, PySide6", ("libQt6*", "Qt6*.dll", "libpyside6*", "pyside6*.dll", "libshiboken6*",
                                  "shiboken6*.dll"), "LGPL-3.0", ""),
    NativeLibrary("SQLite", ("libsqlite3*", "sqlite3.dll"), N_("public domain"), ""),
    NativeLibrary("ICU", ("libicu*",), "ICU (Unicode)", N_("Unicode text handling in Qt")),
    NativeLibrary("OpenSSL", ("libssl.so*", "libcrypto.so*", "libssl-*.dll", "libcrypto-*.dll"), "Apache-2.0",
                  N_("hashes and secure connections in Python")),
    NativeLibrary("GLib", ("libglib-2.0*", "libgthread-2.0*"), "LGPL-2.1+", N_("Qt's event loop on Linux")),
    NativeLibrary("PCRE2", ("libpcre2-*",), "BSD-3-Clause", N_("regular expressions (used by GLib)")),
    NativeLibrary("zlib", ("libz.so*", "zlib*.dll"), "Zlib", N_("compression")),
    NativeLibrary("Zstandard", ("libzstd*",), "BSD-3-Clause", N_("compression")),
    NativeLibrary("bzip2", ("libbz2*",), "bzip2-1.0.6", N_("compression")),
    NativeLibrary("XZ Utils (liblzma)", ("liblzma*",), "0BSD", N_("compression")),
    NativeLibrary("Expat", ("libexpat*",), "MIT", N_("XML parsing")),
    NativeLibrary("libffi", ("libffi*",), "MIT", N_("calls into C code (Python's ctypes, cffi)")),
    NativeLibrary("libuuid (util-linux)", ("libuuid*",), "BSD-3-Clause", N_("unique ids")),
    NativeLibrary("libmpdec", ("libmpdec*",), "BSD-2-Clause", N_("decimal numbers")),
    NativeLibrary("MIT Kerberos", ("libgssapi_krb5*", "libkrb5*", "libk5crypto*", "libcom_err*"), "MIT",
                  N_("network sign-on (linked by Qt's network library)")),
    NativeLibrary("keyutils", ("libkeyutils*",), "LGPL-2.1+", N_("key storage (used by Kerberos)")),
    NativeLibrary("Brotli", ("libbrotli*",), "MIT", N_("compression")),
    NativeLibrary("GCC runtime (libstdc++, libgcc)", ("libstdc++*", "libgcc_s*"),
                  N_("GPL-3.0+ with the GCC Runtime Library Exception"), N_("the C++ runtime of Qt")),
    NativeLibrary("Microsoft Visual C++ runtime", ("vcruntime140*.dll", "msvcp140*.dll", "concrt140.dll"),
                  N_("Microsoft Visual C++ Redistributable"), N_("the C++ runtime of Python and Qt")),
    # Pillow's own copies (hashed names, in pillow.libs); their licences are in Pillow's licence file
    NativeLibrary("libjpeg-turbo", ("libjpeg-*",), "IJG / BSD-3-Clause", N_("images (Pillow)")),
    NativeLibrary("libpng", ("libpng*",), "libpng-2.0", N_("images")),
    NativeLibrary("LibTIFF", ("libtiff-*",), "libtiff", N_("images (Pillow)")),
    NativeLibrary("libwebp", ("libwebp*", "libsharpyuv-*"), "BSD-3-Clause", N_("images (Pillow)")),
    NativeLibrary("OpenJPEG", ("libopenjp2-*",), "BSD-2-Clause", N_("images (Pillow)")),
    NativeLibrary("Little CMS", ("liblcms2-*",), "MIT", N_("colour management (Pillow)")),
    NativeLibrary("libxcb, libXau (Pillow's)", ("libxcb-" + "[0-9a-f]" * 8 + ".so*", "libXau-" + "[0-9a-f]" * 8 + ".so*"),
                  "MIT", N_("screen capture (Pillow)")),
]


def _version(source) -> str:
    try:
        return source() if callable(source) else metadata.version(source)
    except Exception:  # noqa: BLE001  (a frozen build without the package's metadata)
        return "—"


def bundle_dir() -> Path | None:
    """The folder of a built program's files (``_internal``); None when running from the source."""
    return resource_dir().parent if getattr(sys, "frozen", False) else None


def bundled_libraries() -> list[dict]:
    """The native libraries of a built program (build.spec's libraries.json): [{file, source, version, licence}];
    [] when running from the source (the system's libraries are used then) or the list is missing."""
    try:
        data = json.loads((resource_dir() / NATIVE_MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [entry for entry in data.get("libraries", []) if isinstance(entry, dict) and entry.get("file")]


def native_library(file: str) -> NativeLibrary | None:
    """The NATIVE_LIBRARIES entry naming the library file ``file`` (a path in the bundle), or None."""
    name = Path(file).name
    return next((library for library in NATIVE_LIBRARIES
                 if any(fnmatch(name, pattern) for pattern in library.files)), None)


def _upstream(version: str) -> str:
    """3.0.19 for Debian's "3.0.19-1~deb12u2" (and "1:1.2.13.dfsg-1" gives 1.2.13.dfsg)."""
    version = version.split(":", 1)[-1]
    return version.rsplit("-", 1)[0] if "-" in version else version


def native_rows(libraries: list[dict] | None = None) -> list[tuple[str, str, str, str]]:
    """The bundled native libraries as rows (component, version, licence, use), one per component, except those
    COMPONENTS names already (Python, Qt, SQLite); a file that no entry names is shown by its file name."""
    libraries = bundled_libraries() if libraries is None else libraries
    listed = {component.name for component in COMPONENTS}
    versions: dict[str, list[str]] = {}
    rows: dict[str, tuple[str, str, str]] = {}
    for entry in libraries:
        library = native_library(entry["file"])
        if library is None:
            name = Path(entry["file"]).name
            rows[name] = (name, _("see its licence text"), "")
        elif library.name in listed:
            continue
        else:
            name = library.name
            rows[name] = (name, translate(library.licence), translate(library.use))
        version = _upstream(entry.get("version") or "")
        if version and version not in versions.setdefault(name, []):
            versions[name].append(version)
    return sorted(((name, ", ".join(versions.get(name, [])) or "—", licence, use)
                   for name, licence, use in rows.values()), key=lambda row: row[0].lower())


def component_rows() -> list[tuple[str, str, str, str]]:
    """(component, version, licence, use) as shown, translated: the Python packages and the font, then the native
    libraries of a built program; a version that cannot be found is "—"."""
    rows = [(c.name, _version(c.version), translate(c.licence), translate(c.use)) for c in COMPONENTS]
    return rows + native_rows()


def unnamed_libraries(libraries: list[dict] | None = None) -> list[str]:
    """Bundled library files that NATIVE_LIBRARIES does not name (the smoke test fails on them)."""
    libraries = bundled_libraries() if libraries is None else libraries
    return sorted(entry["file"] for entry in libraries if native_library(entry["file"]) is None)


def _distribution_licences(distribution: str) -> list[Path]:
    """The licence files of an installed distribution (LICENSE, COPYING, NOTICE … in its metadata folder)."""
    try:
        found = metadata.distribution(distribution)
    except metadata.PackageNotFoundError:
        return []
    paths = []
    for file in found.files or []:
        parts = Path(str(file)).parts
        if parts and parts[0].endswith(".dist-info") and any(
                word in parts[-1].upper() for word in ("LICEN", "COPYING", "NOTICE")):
            paths.append(Path(str(found.locate_file(file))))
    return paths


def _python_licence() -> list[Path]:
    for entry in bundled_libraries():
        if entry.get("source") == "python" and entry.get("licence") and bundle_dir() is not None:
            return [bundle_dir() / entry["licence"]]
    folder = Path(sys.base_prefix)
    return [path for path in (folder / "LICENSE.txt", folder / "lib" / "python{v}.{w}".format(
        v=sys.version_info[0], w=sys.version_info[1]) / "LICENSE.txt") if path.is_file()][:1]


def licence_documents() -> list[tuple[str, list[Path]]]:
    """(title, licence files) for each component shown: the Python packages' own files, RedStation's copies of
    the font's and Qt's licences, and the native libraries' texts of a built program."""
    documents: list[tuple[str, list[Path]]] = []
    for component in COMPONENTS:
        files = [resource_dir() / text for text in component.texts]
        if component.name == "Python":
            files += _python_licence()
        elif not callable(component.version) and not component.texts:
            files += _distribution_licences(component.version)
        documents.append((component.name, files))
    by_component: dict[str, list[Path]] = {}
    base = bundle_dir()
    for entry in bundled_libraries():
        library = native_library(entry["file"])
        title = library.name if library is not None else Path(entry["file"]).name
        if title == "Python" or base is None or not entry.get("licence"):
            continue
        path = base / entry["licence"]
        if path not in by_component.setdefault(title, []):
            by_component[title].append(path)
    for title in sorted(by_component, key=str.lower):
        existing = next((files for name, files in documents if name == title), None)
        if existing is not None:
            existing.extend(path for path in by_component[title] if path not in existing)
        else:
            documents.append((title, by_component[title]))
    return documents


def _licence_text(path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return _("The licence file {path} is missing.").format(path=path)


def licence_text(files: list[Path]) -> str:
    """The texts of ``files``, each under its file name; a note when there is none."""
    if not files:
        return _("No licence text was found for this component.")
    if len(files) == 1:
        return _licence_text(files[0])
    return "\n\n".join("==== {name} ====\n\n{text}".format(name=Path(path).name, text=_licence_text(path))
                        for path in files)


def lgpl_note(rows: list[tuple[str, str, str, str]]) -> str:
    """What the LGPL asks to be said, for the LGPL components among ``rows``."""
    names = [row[0] for row in rows if "LGPL" in row[2]]
    return _("{names} are used under the GNU Lesser General Public License (LGPL): they are separate libraries in "
             "the program folder and can be replaced by other builds of the same libraries. Their source code is "
             "available from https://download.qt.io (Qt), https://code.qt.io/pyside (PySide6) and "
             "https://sources.debian.org (the libraries built by Debian, at the versions shown). Every "
             "component's licence text is under Licence texts; the program folder holds them too.").format(
        names=", ".join(names))


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
        self.components.setToolTip(_("Double-click a component for its licence text"))
        for row, values in enumerate(rows):
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setToolTip(value)
                self.components.setItem(row, column, item)
        header = self.components.horizontalHeader()
        for column in range(3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.components.cellDoubleClicked.connect(lambda row, _column: self.show_licence(
            self.components.item(row, 0).text()))

        components_page = QWidget()
        components_layout = QVBoxLayout(components_page)
        components_layout.setContentsMargins(8, 8, 8, 8)
        components_layout.addWidget(self.components, 1)
        self.lgpl_note = QLabel(lgpl_note(rows))
        self.lgpl_note.setWordWrap(True)
        self.lgpl_note.setObjectName("muted")
        self.lgpl_note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        components_layout.addWidget(self.lgpl_note)
        self.tabs.addTab(components_page, _("Components and licences"))

        # every component's licence text: the list on the left, the text on the right
        self.documents = licence_documents()
        self.licence_list = QListWidget()
        self.licence_list.addItems([title for title, _files in self.documents])
        self.licence_view = QPlainTextEdit()
        self.licence_view.setObjectName("licenceText")
        self.licence_view.setReadOnly(True)
        self.licence_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.licence_list.currentRowChanged.connect(self._licence_chosen)
        texts = QSplitter()
        texts.addWidget(self.licence_list)
        texts.addWidget(self.licence_view)
        texts.setStretchFactor(1, 1)
        texts.setSizes([220, 600])
        self.tabs.addTab(texts, _("Licence texts"))
        self.licence_list.setCurrentRow(0)
        layout.addWidget(self.tabs, 1)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)

    def _licence_chosen(self, row: int) -> None:
        if 0 <= row < len(self.documents):
            self.licence_view.setPlainText(licence_text(self.documents[row][1]))

    def show_licence(self, component: str) -> bool:
        """Open the Licence texts tab at ``component``; False when it has no entry there."""
        for row, (title, _files) in enumerate(self.documents):
            if title == component:
                self.licence_list.setCurrentRow(row)
                self.tabs.setCurrentIndex(1)
                return True
        return False

    def licence_of(self, component: str) -> str:
        """The licence text shown for ``component`` ("" when it has no entry)."""
        return next((licence_text(files) for title, files in self.documents if title == component), "")


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
