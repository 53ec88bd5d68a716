"""Print preview and printing of the PDFs that ``redstation.printing`` makes.

The PDF is the document: the preview shows its pages and the printer gets them, rendered
by QtPdf at the printer's resolution (at most ``MAX_DPI``), so the paper shows exactly
what the file holds, in the embedded font, on any PC. A page calls ``print_document``:

    print_document(self.taskman, lambda session, out: visits.round_sheet(session, out),
                   parent=self, file_name="巡查走访单.pdf")

which makes the PDF on a worker with a database connection of its own, then opens the
preview (whose toolbar can also save the PDF), or with ``save=True`` first asks where to
save it and writes it there.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QAction, QImage, QPageLayout, QPageSize, QPaintEngine, QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import QFileDialog, QMessageBox, QToolBar, QWidget

from redstation import RedStationError
from redstation.gui.tasks import Outcome, Task, TaskManager
from redstation.i18n import _
from redstation.services.session import Session

MAX_DPI = 300      # sharp on paper; an A4 page at 1200 dpi would be a 550 MB image
PREVIEW_DPI = 150  # the preview renders every page at once on the GUI thread: 4 times faster than 300 dpi

MakeFn = Callable[[Session, Path], dict]


def _opaque(image: QImage) -> QImage:
    """The page on white paper: QtPdf leaves the background transparent, which some printer drivers mishandle."""
    page = QImage(image.size(), QImage.Format.Format_RGB32)
    page.fill(Qt.GlobalColor.white)
    painter = QPainter(page)
    painter.drawImage(0, 0, image)
    painter.end()
    return page


def render_pdf(document: QPdfDocument, printer: QPrinter) -> int:
    """Paint every page of ``document`` onto the printer's pages, each scaled to fit its paper; returns the pages."""
    painter = QPainter()
    if not painter.begin(printer):
        raise RedStationError(_("The printer cannot be used"))
    try:
        preview = painter.paintEngine().type() == QPaintEngine.Type.Picture  # the preview records the pages
        dpi = PREVIEW_DPI if preview else min(printer.resolution(), MAX_DPI)
        # the whole sheet in the painter's coordinates, which start at the printable area unless the printer is full-page
        printable = QRectF(printer.pageRect(QPrinter.Unit.DevicePixel))
        paper = QRectF(printer.paperRect(QPrinter.Unit.DevicePixel)).translated(-printable.topLeft())
        for index in range(document.pageCount()):
            if index:
                printer.newPage()
            points = document.pagePointSize(index)
            image = _opaque(document.render(index, QSize(round(points.width() * dpi / 72), round(points.height() * dpi / 72))))
            width, height = points.width(), points.height()
            turned = (width > height) != (paper.width() > paper.height())  # a landscape page on portrait paper
            room_w, room_h = (paper.height(), paper.width()) if turned else (paper.width(), paper.height())
            painter.save()
            painter.translate(paper.center())
            if turned:
                painter.rotate(90)
            scale = min(room_w / width, room_h / height)
            size_w, size_h = width * scale, height * scale
            painter.drawImage(QRectF(QPointF(-size_w / 2, -size_h / 2), QPointF(size_w / 2, size_h / 2)), image)
            painter.restore()
        return document.pageCount()
    finally:
        painter.end()


def _printer_for(document: QPdfDocument, name: str) -> QPrinter:
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    first = document.pagePointSize(0)
    landscape = first.width() > first.height()
    printer.setPageOrientation(QPageLayout.Orientation.Landscape if landscape else QPageLayout.Orientation.Portrait)
    printer.setFullPage(True)  # the PDF has its own margins
    printer.setDocName(name)
    return printer


def load_pdf(path: str | Path, parent: QObject | None = None) -> QPdfDocument:
    document = QPdfDocument(parent)
    if document.load(str(path)) != QPdfDocument.Error.None_ or document.pageCount() == 0:
        raise RedStationError(_("Cannot open {path} for printing").format(path=path))
    return document


def ask_pdf_path(parent: QWidget | None, suggested: str) -> Path | None:
    """Ask where to save a PDF; None if the user cancelled."""
    chosen, _filter = QFileDialog.getSaveFileName(parent, _("Save PDF"), suggested, _("PDF document (*.pdf)"))
    if not chosen:
        return None
    path = Path(chosen)
    return path if path.suffix.lower() == ".pdf" else path.with_name(path.name + ".pdf")


def preview_pdf(path: str | Path, parent: QWidget | None = None) -> QPrintPreviewDialog:
    """A print preview of the PDF at ``path`` (A4, its orientation); call ``open()`` or ``exec()`` on it.

    Its toolbar has a button that saves a copy of the PDF.
    """
    path = Path(path)
    document = load_pdf(path)
    printer = _printer_for(document, path.stem)
    dialog = QPrintPreviewDialog(printer, parent)
    document.setParent(dialog)
    dialog.printer_ = printer  # the dialog does not own its printer: keep it alive as long as the dialog
    dialog.setWindowTitle(_("Print preview - {name}").format(name=path.name))
    dialog.paintRequested.connect(lambda target: render_pdf(document, target))
    toolbar = dialog.findChild(QToolBar)
    if toolbar is not None:
        save = QAction(_("Save PDF…"), dialog)
        save.triggered.connect(lambda: _save_copy(dialog, path))
        toolbar.addSeparator()
        toolbar.addAction(save)
    return dialog


def _save_copy(parent: QWidget, path: Path) -> None:
    target = ask_pdf_path(parent, path.name)
    if target is None:
        return
    try:
        shutil.copyfile(path, target)
    except OSError as exc:
        QMessageBox.warning(parent, _("Save PDF"), _("Cannot write {path}: {error}").format(path=target, error=exc.strerror or exc))


class PrintJob:
    """One document being made: ``task`` on the worker, then ``path`` and the ``outcome``; ``dialog`` once previewed."""

    def __init__(self, path: Path, folder: Path | None):
        self.path = path
        self.task: Task | None = None
        self.outcome: Outcome | None = None
        self.dialog: QPrintPreviewDialog | None = None
        self._folder = folder  # the temporary folder of a preview, removed when the preview closes

    def cleanup(self) -> None:
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None


def print_document(taskman: TaskManager, make: MakeFn, *, parent: QWidget, file_name: str, save: bool = False,
                   save_to: str | Path | None = None,
                   on_done: Callable[[PrintJob], None] | None = None) -> PrintJob | None:
    """Make a PDF with ``make(session, out_path)`` on a worker, then preview it, or save it.

    Without ``save`` the PDF goes to a temporary folder and the print preview opens (not
    modal); the folder goes when the preview closes. With ``save`` the user chooses where
    (``save_to`` skips the question); None if they cancel. A failure is shown in a message
    box unless ``on_done(job)`` is given, which is called in every case on the GUI thread.
    """
    folder = None
    if save or save_to is not None:
        target = Path(save_to) if save_to is not None else ask_pdf_path(parent, file_name)
        if target is None:
            return None
    else:
        folder = Path(tempfile.mkdtemp(prefix="redstation-print-"))
        target = folder / file_name
    job = PrintJob(target, folder)

    def done(outcome: Outcome) -> None:
        job.outcome = outcome
        if outcome.ok and folder is not None:
            try:
                job.dialog = preview_pdf(target, parent)
            except RedStationError as exc:
                job.outcome = Outcome(error=exc)
            else:
                job.dialog.finished.connect(lambda _result: job.cleanup())
                job.dialog.open()
        if job.dialog is None:
            job.cleanup()
        if on_done is not None:
            on_done(job)
        elif job.outcome.error is not None:
            QMessageBox.warning(parent, _("Printing failed"), str(job.outcome.error))

    job.task = taskman.read(lambda session: make(session, target), done, owner=parent)
    return job
