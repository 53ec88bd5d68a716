"""Print preview and printing from the window, offscreen: the pages reach the printer, the PDF is made on a worker."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import re  # noqa: E402
import subprocess  # noqa: E402
import threading  # noqa: E402
from datetime import datetime  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtGui import QPageLayout  # noqa: E402
from PySide6.QtPrintSupport import QPrinter  # noqa: E402
from PySide6.QtWidgets import QFileDialog, QMessageBox, QToolBar, QWidget  # noqa: E402

from redstation import RedStationError  # noqa: E402
from redstation.gui import printing  # noqa: E402
from redstation.gui.tasks import TaskManager  # noqa: E402
from redstation.printing.document import Document  # noqa: E402
from redstation.printing.visits import round_sheet  # noqa: E402
from redstation.services import register, station, visits  # noqa: E402
from redstation.services.session import Actor, Session  # noqa: E402

WAIT_MS = 20_000
NOW = datetime(2026, 11, 24, 10, 0, 0)


def pdf_pages(path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def grey_page(path, page: int = 1, dpi: int = 20) -> tuple[int, int, bytes]:
    """Page ``page`` of a PDF as grey pixels (pdftoppm's PGM): width, height, bytes."""
    data = subprocess.run(["pdftoppm", "-gray", "-r", str(dpi), "-f", str(page), "-l", str(page), str(path)],
                          capture_output=True, check=True).stdout
    header = re.match(rb"P5\s+(\d+)\s+(\d+)\s+255\s", data)
    width, height = int(header.group(1)), int(header.group(2))
    return width, height, data[header.end():header.end() + width * height]


def ink(pixels: bytes) -> float:
    return sum(255 - p for p in pixels) / len(pixels) / 255


def correlation(a: list[float], b: list[float]) -> float:
    mean_a, mean_b = sum(a) / len(a), sum(b) / len(b)
    cov = sum((x - mean_a) * (y - mean_b) for x, y in zip(a, b))
    spread = (sum((x - mean_a) ** 2 for x in a) * sum((y - mean_b) ** 2 for y in b)) ** 0.5
    return cov / spread if spread else 0.0


def ink_profiles(width: int, height: int, pixels: bytes) -> tuple[list[int], list[int]]:
    """The ink in each pixel row and each pixel column: where the grid lines and the text lines are."""
    rows = [sum(255 - p for p in pixels[y * width:(y + 1) * width]) for y in range(height)]
    columns = [sum(255 - pixels[y * width + x] for y in range(height)) for x in range(width)]
    return rows, columns


@pytest.fixture
def table_pdf(tmp_path):
    """A landscape form of several pages with Chinese text."""
    doc = Document("巡查走访单", station="阳光服务站", period="2026年11月24日", landscape=True)
    doc.title_block(None, "社区：阳光社区")
    doc.table(["序号", "地址", "住户"], [[str(n), "阳光花园 3-1-{n}01".format(n=n), "张长锁 88岁 独居老人"] for n in range(1, 80)],
              [1, 5, 8])
    doc.signatures("巡查人")
    path = tmp_path / "巡查走访单.pdf"
    pages = doc.write(path)
    assert pages >= 3
    return path


def test_preview_paints_every_page_of_the_pdf_onto_the_printer(qtbot, table_pdf, tmp_path):
    dialog = printing.preview_pdf(table_pdf)
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "打印预览 - 巡查走访单.pdf"
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    printer.setPageOrientation(QPageLayout.Orientation.Landscape)
    dialog.paintRequested.emit(printer)
    assert pdf_pages(tmp_path / "printed.pdf") == pdf_pages(table_pdf)
    info = subprocess.run(["pdfinfo", str(tmp_path / "printed.pdf")], capture_output=True, text=True).stdout
    assert "842 x 595 pts (A4)" in info
    # the pages are pictures of the PDF's pages (QtPdf renders pixels): the same lines in the same places
    for page in (1, pdf_pages(table_pdf)):
        original = grey_page(table_pdf, page, dpi=50)
        printed = grey_page(tmp_path / "printed.pdf", page, dpi=50)
        assert printed[:2] == original[:2] and ink(printed[2]) > 0.02
        for expected, got in zip(ink_profiles(*original), ink_profiles(*printed)):
            assert correlation(expected, got) > 0.7, page


def test_a_landscape_pdf_on_portrait_paper_is_turned_to_fit(qtbot, table_pdf, tmp_path):
    dialog = printing.preview_pdf(table_pdf)
    qtbot.addWidget(dialog)
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "portrait.pdf"))
    printer.setPageOrientation(QPageLayout.Orientation.Portrait)
    dialog.paintRequested.emit(printer)
    width, height, pixels = grey_page(tmp_path / "portrait.pdf")
    assert height > width and ink(pixels) > 0.02


def test_the_preview_is_a4_in_the_pdfs_orientation_and_can_save_a_copy(qtbot, table_pdf, tmp_path, monkeypatch):
    dialog = printing.preview_pdf(table_pdf)
    qtbot.addWidget(dialog)
    layout = dialog.printer_.pageLayout()
    assert layout.orientation() == QPageLayout.Orientation.Landscape and layout.pageSize().id() == layout.pageSize().PageSizeId.A4
    save = [a for a in dialog.findChild(QToolBar).actions() if a.text() == "保存 PDF…"]
    assert len(save) == 1
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(tmp_path / "copy"), ""))
    save[0].trigger()
    assert (tmp_path / "copy.pdf").read_bytes() == table_pdf.read_bytes()


def test_a_file_that_is_not_a_pdf_is_refused(qtbot, tmp_path):
    bad = tmp_path / "bad.pdf"
    bad.write_text("not a pdf")
    with pytest.raises(RedStationError, match="无法打开"):
        printing.preview_pdf(bad)


# --- making the PDF on a worker -------------------------------------------------------------------------------------

@pytest.fixture
def station_session(db_path):
    with Session.open(db_path, Actor.command_line()) as session:
        station.init_station(session, "阳光服务站", "阳光社区")
        household_id = register.create_household(session, {"estate": "阳光花园", "building": "3", "unit": "1", "room": "501"})
        register.create_resident(session, household_id, {"name": "张长锁", "care_categories": ["elderly_alone"]})
        visits.log_visit(session, household_id, outcome="normal", visited_at=datetime(2026, 11, 23, 4), now=NOW)
        yield session


@pytest.fixture
def page(qtbot, station_session):
    widget = QWidget()
    qtbot.addWidget(widget)
    taskman = TaskManager(widget, session=station_session)
    yield widget, taskman
    taskman.shutdown()


def test_print_document_makes_the_pdf_on_a_worker_then_opens_the_preview(qtbot, page):
    widget, taskman = page
    threads = []

    def make(session, out):
        threads.append(threading.current_thread())
        return round_sheet(session, out, now=NOW)

    job = printing.print_document(taskman, make, parent=widget, file_name="巡查走访单.pdf")
    qtbot.waitUntil(lambda: job.outcome is not None, timeout=WAIT_MS)
    assert job.outcome.ok and job.outcome.value["households"] == 1
    assert threads and threads[0] is not threading.main_thread()
    assert job.dialog is not None and job.dialog.isVisible() and job.path.name == "巡查走访单.pdf" and job.path.exists()
    assert "巡查走访单" in subprocess.run(["pdftotext", str(job.path), "-"], capture_output=True, text=True).stdout
    job.dialog.reject()
    assert not job.path.parent.exists()   # the temporary folder goes with the preview


def test_print_document_can_save_where_the_user_chooses(qtbot, page, tmp_path, monkeypatch):
    widget, taskman = page
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(tmp_path / "走访单"), ""))
    finished = []
    job = printing.print_document(taskman, lambda session, out: round_sheet(session, out, now=NOW), parent=widget,
                                  file_name="巡查走访单.pdf", save=True, on_done=finished.append)
    qtbot.waitUntil(lambda: bool(finished), timeout=WAIT_MS)
    assert finished == [job] and job.outcome.ok and job.dialog is None
    assert job.path == tmp_path / "走访单.pdf" and pdf_pages(job.path) == 1
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: ("", ""))
    assert printing.print_document(taskman, lambda session, out: {}, parent=widget, file_name="x.pdf", save=True) is None


def test_a_failed_print_is_shown_and_leaves_nothing(qtbot, page, monkeypatch):
    widget, taskman = page
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: shown.append((title, text)))

    def make(session, out):
        out.write_bytes(b"half")
        raise RedStationError("无法写入")

    job = printing.print_document(taskman, make, parent=widget, file_name="巡查走访单.pdf")
    qtbot.waitUntil(lambda: bool(shown), timeout=WAIT_MS)
    assert shown == [("打印失败", "无法写入")] and job.dialog is None and not job.path.parent.exists()
