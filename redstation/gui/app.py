"""Start the desktop window: application, icon, shipped font, Qt's Chinese buttons, database, first run, main
window, and once after an upgrade the news of the new version.

The language was chosen when ``redstation.i18n`` was imported (the saved preference of the
settings page, REDSTATION_LANG overriding it), before any widget exists.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from PySide6.QtCore import QLibraryInfo, QLocale, Qt, QTimer, QTranslator
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QWidget

from redstation import NAME, __version__, upgrade
from redstation.gui import smoke, startup
from redstation.gui.about import WhatsNewDialog
from redstation.gui.first_run import FirstRunDialog
from redstation.gui.icon import application_icon
from redstation.gui.login import Doorman
from redstation.gui.main_window import DEFAULT_SIZE, MainWindow, build_main_window
from redstation.i18n import _, language
from redstation.paths import default_db_path, font_path
from redstation.services import station as station_service
from redstation.services.session import Actor, Session
from redstation.store.db import DatabaseError

log = logging.getLogger(__name__)
FONT_POINT_SIZE = 10
DESKTOP_FILE = "redstation"            # installer/redstation.desktop: the task bar finds the icon through it
WINDOWS_APP_ID = "RedStation.RedStation"


def _windows_app_id() -> None:
    """On Windows, group the windows under our own icon in the task bar (not python's)."""
    if sys.platform != "win32":
        return
    try:
        import ctypes
        ctypes.windll.shell32.SetCurrentProcessExplicitAppUserModelID(WINDOWS_APP_ID)
    except (AttributeError, OSError):
        log.warning("could not set the Windows application id")


def configure_application(app: QApplication) -> None:
    """Name, shipped CJK font and Qt's own Chinese translation; safe to call more than once."""
    if app.property("redstation_configured"):
        return
    app.setApplicationName(NAME)
    app.setApplicationVersion(__version__)
    app.setOrganizationName(NAME)
    app.setWindowIcon(application_icon())
    app.setDesktopFileName(DESKTOP_FILE)

    font_id = QFontDatabase.addApplicationFont(str(font_path()))
    families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    if families:
        font = QFont(families[0], FONT_POINT_SIZE)
        font.setStyleStrategy(QFont.StyleStrategy.PreferAntialias)
        app.setFont(font)
    else:
        log.warning("could not load the shipped font %s; using the system font", font_path())

    if language().startswith("zh"):
        QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
        translator = QTranslator(app)
        if translator.load("qtbase_zh_CN", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
            app.installTranslator(translator)
            app._redstation_translator = translator  # keep it alive as long as the application
        else:
            log.warning("Qt's Chinese translation qtbase_zh_CN was not found")
    app.setProperty("redstation_configured", True)


def create_application(argv: list[str] | None = None) -> QApplication:
    _windows_app_id()
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv)
    configure_application(app)
    return app


def show_error(title: str, text: str, parent: QWidget | None = None) -> None:
    QMessageBox.critical(parent, title, text)


def open_database(path: Path, parent: QWidget | None = None) -> Session | None:
    """Open (or create) the database; a file that is not ours, or is newer, is shown as an error and left alone."""
    try:
        return Session.open(path, Actor(None, "window", ""))   # nobody, until someone logs in
    except DatabaseError as exc:
        show_error(_("Cannot open the database"),
                   _("{error}\n\nThe file was not changed.").format(error=exc), parent)
        return None


def ensure_setup(session: Session, parent: QWidget | None = None) -> bool | None:
    """Ask for the station and first administrator if the database lacks them.

    None if the user cancelled; True if the dialog ran (the session then acts as the new
    manager: creating the account was their login); False if nothing was missing.
    """
    no_station, no_admin = station_service.needs_setup(session)
    if not (no_station or no_admin):
        return False
    dialog = FirstRunDialog(session, ask_station=no_station, parent=parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return True


def show_main_window(window: MainWindow) -> None:
    """1280×800 where the screen has room, otherwise maximised (1366×768 office screens)."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    available = screen.availableGeometry() if screen is not None else None
    if available is not None and (available.width() < DEFAULT_SIZE.width() + 40
                                  or available.height() < DEFAULT_SIZE.height() + 60):
        window.setGeometry(available)  # also right where no window manager maximises (kiosk, Xvfb)
        window.showMaximized()
        return
    if available is not None:
        frame = window.frameGeometry()
        frame.moveCenter(available.center())
        window.move(frame.topLeft())
    window.show()


def show_whats_new(parent: QWidget | None, *, upgraded: bool) -> WhatsNewDialog | None:
    """The news of the versions since the one this user last saw, once (None when there is nothing new, as on
    the first start of a fresh install). ``upgraded``: the database was written by an older version."""
    news = upgrade.pending_news(upgraded=upgraded)
    try:
        upgrade.mark_seen()
    except OSError as exc:  # a read-only data folder: show the news, and again next time
        log.warning("could not remember the version seen: %s", exc)
    if not news:
        return None
    dialog = WhatsNewDialog(news, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


def run(db_path: Path | None = None) -> int:
    """The desktop program; returns the exit status."""
    app = create_application()
    path = Path(db_path) if db_path is not None else default_db_path()
    check = smoke.SmokeTest(app) if smoke.requested() else None   # a build's self-check drives this same start
    errors = startup.install_error_handler()      # an unexpected error: a dialog and the log, and the program goes on
    guard = startup.StartupGuard.acquire(path)    # not on a network share, not open in another RedStation
    if guard is None:
        return 1
    upgraded = upgrade.older_database(path)       # read before opening: an older version's database is an upgrade
    session = open_database(path)
    if session is None:
        guard.release()
        return 1
    try:
        created = ensure_setup(session)
        if created is None:
            return 0
        doorman = Doorman(session, build_main_window, show_main_window)
        if check is not None:
            check.watch(doorman, guard, errors)       # answers the login dialog, checks the window, then quits
        if created:
            doorman.open_window()
        elif not doorman.log_in():
            return 0
        QTimer.singleShot(0, lambda: show_whats_new(doorman.window, upgraded=upgraded))
        guard.watch(doorman.window)                   # the integrity check, then the daily backup, on workers
        doorman.window_changed.connect(guard.watch)
        status = app.exec()
        doorman.window.taskman.shutdown()
        guard.close(session)                          # the daily backup at close, if the check passed
        return status
    finally:
        guard.release()
        session.close()
