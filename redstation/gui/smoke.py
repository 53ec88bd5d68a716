"""A self-check of the program as built, through the real start: log in, the window, the checks, quit.

``make dist`` runs the frozen program this way, offscreen and on a virtual X screen, on a
database filled by ``init`` and ``demo``:

    REDSTATION_SMOKE_TEST=1 QT_QPA_PLATFORM=offscreen redstation --db FILE

``gui/app.py`` ``run()`` starts as always (the error handler, the database's lock, opening
the database, the login dialog, the main window, "what is new", the integrity check on a
worker, the daily backup at close) and hands this check the Doorman and the StartupGuard.
The check answers the real login dialog with a demo account (REDSTATION_SMOKE_USER and
REDSTATION_SMOKE_PASSWORD, by default ``demo``'s manager ``admin``/``demo1234``), first with a
wrong password, which must be refused; then it waits for the dashboard's counts and for
the integrity check to pass, looks at the title, icon, font, Qt's translation, image
plugins and the About dialog's components and licence texts, and (REDSTATION_SMOKE_PDF=FILE.pdf)
loads that PDF with QtPdf, renders it and prints it through Qt's print path. It prints one
JSON object on stdout with what it found and quits the event loop with 0, or 1 with the
failures listed; ``run()`` then closes as always.

Any other dialog that waits for someone (the first-run dialog, a database that cannot be
opened, another RedStation holding the database, an unexpected error) fails the check at
once, as does taking longer than TIMEOUT_S: the report is printed and the process ends with
status 1 there and then. An environment variable rather than a flag, so the command line
stays as PRODUCT.md has it.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QEventLoop, QObject, QSize, QTimer
from PySide6.QtGui import QGuiApplication, QImageReader
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QApplication

from redstation import __version__
from redstation.i18n import language

ENV = "REDSTATION_SMOKE_TEST"
PDF_ENV = "REDSTATION_SMOKE_PDF"
USER_ENV = "REDSTATION_SMOKE_USER"
PASSWORD_ENV = "REDSTATION_SMOKE_PASSWORD"
TIMEOUT_S = 90
WRONG_PASSWORD = "not-the-password"


def requested() -> bool:
    return os.environ.get(ENV, "") not in ("", "0")


def _wait(app: QApplication, done, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > deadline:
            return False
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
    return True


def _check_pdf(path: Path, report: dict, failures: list[str]) -> None:
    from PySide6.QtGui import QColor

    from redstation.gui.printing import load_pdf, preview_pdf, render_pdf
    document = load_pdf(path)
    report["pdf_pages"] = document.pageCount()
    size = document.pagePointSize(0)
    image = document.render(0, QSize(round(size.width()), round(size.height())))
    inked = sum(1 for x in range(0, image.width(), 3) for y in range(0, image.height(), 3)
                if QColor(image.pixel(x, y)).alpha() > 0 and QColor(image.pixel(x, y)).lightness() < 128)
    report["pdf_first_page_dark_samples"] = inked
    if inked < 50:
        failures.append("the PDF's first page rendered blank")
    dialog = preview_pdf(path)
    dialog.deleteLater()
    with tempfile.TemporaryDirectory(prefix="redstation-smoke-") as folder:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(Path(folder) / "printed.pdf"))
        printer.setResolution(72)
        report["printed_pages"] = render_pdf(document, printer)
        if report["printed_pages"] != document.pageCount():
            failures.append("printing through Qt gave {n} pages".format(n=report["printed_pages"]))


def check_about(report: dict, failures: list[str], parent=None) -> None:
    """The About dialog: every component with a version and a licence text, every bundled library named."""
    from redstation.gui.about import AboutDialog, bundled_libraries, component_rows, unnamed_libraries
    about = AboutDialog(parent)
    rows = component_rows()
    report["components"] = [row[0] for row in rows]
    report["components_without_version"] = [row[0] for row in rows if row[1] == "—"]
    if report["components_without_version"]:
        failures.append("no version (package metadata) for {c}".format(c=report["components_without_version"]))
    libraries = bundled_libraries()
    report["bundled_libraries"] = len(libraries)
    if getattr(sys, "frozen", False) and not libraries:
        failures.append("the list of bundled libraries (resources/licenses/native/libraries.json) is missing")
    report["libraries_not_in_about"] = unnamed_libraries(libraries)
    if report["libraries_not_in_about"]:
        failures.append("the About dialog does not name the bundled {f}".format(f=report["libraries_not_in_about"]))
    report["libraries_without_licence"] = sorted(entry["file"] for entry in libraries if not entry.get("licence"))
    if report["libraries_without_licence"]:
        failures.append("no licence text for the bundled {f}".format(f=report["libraries_without_licence"]))
    without_text = []
    for title, files in about.documents:
        if title == "SQLite" and not files:
            continue                      # public domain: nothing to reproduce (a build carries Debian's notice)
        if not files or any(not path.is_file() or not path.stat().st_size for path in files):
            without_text.append(title)
    report["licence_texts_missing"] = without_text
    if without_text:
        failures.append("licence texts missing for {c}".format(c=without_text))
    shown = [title for title, _files in about.documents]
    not_shown = [name for name in report["components"] if name not in shown]
    if not_shown:
        failures.append("the About dialog has no licence text entry for {c}".format(c=not_shown))
    if "WenQuanYi" not in about.licence_of("WenQuanYi Micro Hei"):
        failures.append("the font licence is missing")
    if "LESSER GENERAL PUBLIC LICENSE" not in about.licence_of("Qt, PySide6"):
        failures.append("the LGPL text is missing")
    about.deleteLater()


class SmokeTest(QObject):
    """Drives ``app.run()``'s real start from inside (see the module's docstring)."""

    def __init__(self, app: QApplication):
        super().__init__(app)
        self.app = app
        self.failures: list[str] = []
        self.report: dict = {"version": __version__, "frozen": bool(getattr(sys, "frozen", False)),
                             "platform": QGuiApplication.platformName(), "language": language()}
        self.started = time.monotonic()
        self.doorman = self.guard = self.errors = None
        self.login_attempts = 0
        self.checking = False
        self.timer = QTimer(self)
        self.timer.setInterval(100)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def watch(self, doorman, guard, errors) -> None:
        """From ``run()``: the Doorman (login dialog, window), the StartupGuard (integrity check), the error handler."""
        self.doorman, self.guard, self.errors = doorman, guard, errors

    # --- the start, one look every 100 ms ------------------------------------------------------------------------

    def _tick(self) -> None:
        from redstation.gui.login import LoginDialog
        if self.checking:
            return
        if time.monotonic() - self.started > TIMEOUT_S:
            self._give_up("the window did not open within {s} s".format(s=TIMEOUT_S))
            return
        modal = QApplication.activeModalWidget()
        if isinstance(modal, LoginDialog):
            self._log_in(modal)
            return
        if modal is not None:
            self._give_up("a dialog waits for someone: {title}: {text}".format(
                title=modal.windowTitle(), text=getattr(modal, "text", lambda: "")()))
            return
        window = self.doorman.window if self.doorman is not None else None
        if window is not None and window.isVisible():
            self.checking = True
            self.timer.stop()
            status = self._check_window(window)
            self.app.exit(status)

    def _log_in(self, dialog) -> None:
        """The real login dialog: a wrong password first (it must be refused), then the demo account's."""
        from redstation.services.demo import DEMO_ADMIN, DEMO_PASSWORD
        self.login_attempts += 1
        if self.login_attempts > 2:
            self._give_up("the login dialog refused {user}: {message}".format(
                user=dialog.username.currentText(), message=dialog.message.text()))
            return
        user = os.environ.get(USER_ENV) or DEMO_ADMIN[0]
        dialog.username.setCurrentText(user)
        if self.login_attempts == 1:
            dialog.password.setText(WRONG_PASSWORD)
            dialog.ok_button.click()
            refused = dialog.isVisible() and not dialog.message.isHidden()
            self.report["wrong_password_refused"] = refused
            if not refused:
                self.failures.append("the login dialog let a wrong password in")
                return
            self.login_attempts += 1
        dialog.password.setText(os.environ.get(PASSWORD_ENV) or DEMO_PASSWORD)
        dialog.ok_button.click()
        self.report["login"] = user

    def _give_up(self, why: str) -> None:
        """A start that cannot go on without someone: the report, then exit status 1 at once."""
        self.failures.append(why)
        self._print()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(1)

    def _print(self) -> None:
        self.report["failures"] = self.failures
        print(json.dumps(self.report, ensure_ascii=False))
        for failure in self.failures:
            print("smoke test: {failure}".format(failure=failure), file=sys.stderr)

    # --- the window ------------------------------------------------------------------------------------------------

    def _check_window(self, window) -> int:
        from redstation import upgrade
        from redstation.gui.about import WhatsNewDialog
        from redstation.gui.pages.dashboard import count_text
        app, report, failures = self.app, self.report, self.failures
        if report["frozen"]:
            bundle = str(getattr(sys, "_MEIPASS", ""))
            report["sys_path_outside_bundle"] = [p for p in sys.path if p and not p.startswith(bundle)]
            if report["sys_path_outside_bundle"]:
                failures.append("modules can be imported from outside the program folder")
        actor = window.session.actor
        report["user"] = {"name": actor.name, "role": actor.role}
        if actor.id is None:
            failures.append("the window opened without anyone logged in")
        report["seconds_to_window"] = round(time.monotonic() - self.started, 2)

        dashboard = window.dashboard
        if dashboard is None:
            failures.append("the window has no dashboard")
        else:
            if not _wait(app, lambda: dashboard.counts is not None or not dashboard.error.isHidden(), TIMEOUT_S):
                failures.append("the dashboard showed no counts within {s} s".format(s=TIMEOUT_S))
            report["seconds_to_counts"] = round(time.monotonic() - self.started, 2)
            report["counts"] = dashboard.counts
            if not dashboard.error.isHidden():
                failures.append("dashboard error: {e}".format(e=dashboard.error.text()))
            if dashboard.counts is not None:
                shown = {key: card.number.text() for key, card in dashboard.cards.items()}
                expected = {key: count_text(dashboard.counts.get(key, 0)) for key in dashboard.cards}
                if shown != expected:
                    failures.append("the dashboard shows {shown}, not {expected}".format(shown=shown,
                                                                                        expected=expected))
                if not dashboard.counts.get("households"):
                    failures.append("the dashboard counts no households")

        # the integrity check on its worker, then the daily backup
        guard = self.guard
        if guard is None:
            failures.append("the start did not hand over its guard")
        else:
            if not _wait(app, lambda: guard.problems is not None, TIMEOUT_S):
                failures.append("the integrity check did not end within {s} s".format(s=TIMEOUT_S))
            report["integrity_check"] = "passed" if guard.passed else guard.problems
            if not guard.passed:
                failures.append("the integrity check did not pass: {p}".format(p=guard.problems))
            _wait(app, lambda: guard.backup_task is None, TIMEOUT_S)

        # "what is new": decided (and remembered) right after the login; none on a new install's first start
        _wait(app, lambda: upgrade.last_seen() is not None, 10)
        news = [w for w in QApplication.topLevelWidgets() if isinstance(w, WhatsNewDialog) and w.isVisible()]
        report["whats_new"] = news[0].windowTitle() if news else None
        for dialog in news:
            dialog.accept()
        report["last_seen_version"] = upgrade.last_seen()

        report["window_visible"] = window.isVisible()
        report["title"] = window.windowTitle()
        report["pages"] = [page.title for page in window.pages]
        report["status_version"] = __version__ in window.version_label.text()
        report["font"] = app.font().family()
        report["icon_sizes"] = [size.width() for size in app.windowIcon().availableSizes()]
        report["image_formats"] = sorted(bytes(f).decode() for f in QImageReader.supportedImageFormats())
        report["qt_translation"] = hasattr(app, "_redstation_translator")
        if not window.isVisible():
            failures.append("the main window is not visible")
        if not report["status_version"]:
            failures.append("the status bar does not show the version")
        if "WenQuanYi" not in report["font"]:
            failures.append("the shipped font was not loaded")
        if 256 not in report["icon_sizes"] or 16 not in report["icon_sizes"]:
            failures.append("the window icon lacks sizes: {s}".format(s=report["icon_sizes"]))
        if language().startswith("zh") and not report["qt_translation"]:
            failures.append("Qt's Chinese translation was not found")
        for needed in ("png", "ico", "svg", "jpeg"):
            if needed not in report["image_formats"]:
                failures.append("no {f} image format plugin".format(f=needed))

        window.show_page(window.pages.index(window.settings))
        check_about(report, failures, window)

        pdf = os.environ.get(PDF_ENV)
        if pdf:
            try:
                _check_pdf(Path(pdf), report, failures)
            except Exception as exc:  # noqa: BLE001
                failures.append("the PDF could not be shown or printed: {e!r}".format(e=exc))

        errors = self.errors
        report["unexpected_errors"] = errors.shown if errors is not None else None
        if errors is not None and errors.shown:
            failures.append("{n} unexpected errors (see {log})".format(n=errors.shown, log=errors.log_path))
        self._print()
        return 1 if failures else 0
