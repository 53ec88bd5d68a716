"""A self-check of the program as built: open the main window, wait for the dashboard's counts, quit.

``make dist`` runs the frozen program this way, offscreen, on a database filled by ``init``
and ``demo``:

    REDSTATION_SMOKE_TEST=1 QT_QPA_PLATFORM=offscreen redstation --db FILE

(REDSTATION_SMOKE_PDF=FILE.pdf also loads that PDF with QtPdf, renders its first page and
prints it through Qt's print path into a PDF file.) It prints one JSON object on stdout with
what it found and exits 0, or 1 with the failures listed; it never opens a dialog that
waits for someone. An environment variable rather than a flag, so the command line stays
as PRODUCT.md has it.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QEventLoop, QSize
from PySide6.QtGui import QGuiApplication, QImageReader
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QApplication

from redstation import __version__
from redstation.i18n import language

ENV = "REDSTATION_SMOKE_TEST"
PDF_ENV = "REDSTATION_SMOKE_PDF"
TIMEOUT_S = 60


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


def run(app: QApplication, path: Path) -> int:
    """The smoke test on the database at ``path``; returns the exit status."""
    from redstation.gui.about import AboutDialog, component_rows
    from redstation.gui.app import show_main_window
    from redstation.gui.main_window import build_main_window
    from redstation.gui.pages.dashboard import count_text
    from redstation.services import station as station_service
    from redstation.services import users
    from redstation.services.session import Actor, Session

    failures: list[str] = []
    report: dict = {"version": __version__, "frozen": bool(getattr(sys, "frozen", False)),
                    "platform": QGuiApplication.platformName(), "language": language()}
    if report["frozen"]:
        bundle = str(getattr(sys, "_MEIPASS", ""))
        report["sys_path_outside_bundle"] = [p for p in sys.path if p and not p.startswith(bundle)]
        if report["sys_path_outside_bundle"]:
            failures.append("modules can be imported from outside the program folder")
    try:
        session = Session.open(path, Actor(None, "window", "viewer"), create=False)
    except Exception as exc:  # noqa: BLE001
        print("smoke test: cannot open {path}: {error}".format(path=path, error=exc), file=sys.stderr)
        return 1
    try:
        if any(station_service.needs_setup(session)):
            print("smoke test: {path} has no station or administrator (run init and demo first)".format(path=path),
                  file=sys.stderr)
            return 1
        session.actor = users.first_admin(session)
        started = time.monotonic()
        window = build_main_window(session)
        show_main_window(window)
        dashboard = window.dashboard
        if not _wait(app, lambda: dashboard.counts is not None or not dashboard.error.isHidden(), TIMEOUT_S):
            failures.append("the dashboard showed no counts within {s} s".format(s=TIMEOUT_S))
        report["seconds_to_counts"] = round(time.monotonic() - started, 2)
        report["counts"] = dashboard.counts
        if not dashboard.error.isHidden():
            failures.append("dashboard error: {e}".format(e=dashboard.error.text()))
        if dashboard.counts is not None:
            shown = {key: card.number.text() for key, card in dashboard.cards.items()}
            expected = {key: count_text(dashboard.counts.get(key, 0)) for key in dashboard.cards}
            if shown != expected:
                failures.append("the dashboard shows {shown}, not {expected}".format(shown=shown, expected=expected))
            if not dashboard.counts.get("households"):
                failures.append("the dashboard counts no households")
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
        about = AboutDialog(window)
        report["components_without_version"] = [row[0] for row in component_rows() if row[1] == "—"]
        if report["components_without_version"]:
            failures.append("no version (package metadata) for {c}".format(c=report["components_without_version"]))
        if "WenQuanYi" not in about.font_licence.toPlainText():
            failures.append("the font licence is missing")
        if "LESSER GENERAL PUBLIC LICENSE" not in about.lgpl.toPlainText():
            failures.append("the LGPL text is missing")
        about.deleteLater()

        pdf = os.environ.get(PDF_ENV)
        if pdf:
            try:
                _check_pdf(Path(pdf), report, failures)
            except Exception as exc:  # noqa: BLE001
                failures.append("the PDF could not be shown or printed: {e!r}".format(e=exc))

        window.taskman.shutdown()
        window.close()
    finally:
        session.close()
    report["failures"] = failures
    print(json.dumps(report, ensure_ascii=False))
    for failure in failures:
        print("smoke test: {failure}".format(failure=failure), file=sys.stderr)
    return 1 if failures else 0
