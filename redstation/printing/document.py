"""A small builder for official-looking Chinese forms on reportlab platypus.

Every document: A4 (portrait or landscape), margins of 15 mm, a running header on every
page (station left, document title in the middle, period or date right, a rule below), a
footer "第 N 页 共 M 页" with the right total (the pages are kept until the end, then
numbered), a title block, tables with thin black grid lines whose header row repeats on
every page and whose cells wrap Chinese text, and signature lines. The font is embedded
(``fonts.register_fonts``), so the file prints the same on any PC.

    doc = Document(_("Round sheet"), station="阳光服务站", period="2026年11月24日", landscape=True)
    doc.title_block(_("Round sheet"), "社区：阳光社区")
    doc.table([_("No."), _("Address")], [["1", "阳光花园 3-1-501"]], widths=[1, 6])
    doc.signatures(_("Inspector"))
    pages = doc.write("round.pdf")

``write`` builds into a temporary file beside the target and renames it at the end, so a
failed print never leaves half a PDF. A document is written once.
"""

from __future__ import annotations

import os
import tempfile
from datetime import date, datetime
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A4, A5, landscape as landscape_of
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from redstation import NAME, RedStationError
from redstation.domain.vocab import label
from redstation.i18n import N_, _
from redstation.paths import publish
from redstation.printing.fonts import FONT, register_fonts

PAPERS = {"A4": A4, "A5": A5}
MARGIN = 15 * mm
TOP_MARGIN = 20 * mm        # the running header sits in it
BOTTOM_MARGIN = 16 * mm     # and the page numbers in this one
GRID = colors.black
HEADER_FILL = colors.HexColor("#ececec")
MUTED = "#666666"           # struck-out entries, hints
ALERT = "#b0101a"           # overdue and the like: red, also readable in grey on a black-and-white printer

WEEKDAYS = dict(enumerate([N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"), N_("Saturday"),
                           N_("Sunday")]))


def _style(name: str, size: float, leading: float, alignment: int = TA_LEFT) -> ParagraphStyle:
    return ParagraphStyle(name, fontName=FONT, fontSize=size, leading=leading, alignment=alignment, wordWrap="CJK")


STYLES = {
    "body": _style("body", 10.5, 16),
    "subtitle": _style("subtitle", 10.5, 16, TA_CENTER),
    "cell": _style("cell", 9, 12),
    "cell_center": _style("cell_center", 9, 12, TA_CENTER),
    "head": _style("head", 9.5, 12, TA_CENTER),
    "small": _style("small", 8, 10.5),
}


# --- text ------------------------------------------------------------------------------------------------------

class Markup(str):
    """Paragraph markup put into a cell as it is; any other text is escaped first."""


def text_markup(value) -> str:
    """Plain text as paragraph markup: escaped, line breaks kept."""
    return escape("" if value is None else str(value)).replace("\n", "<br/>")


def coloured(value, color: str = ALERT) -> Markup:
    return Markup('<font color="{color}">{text}</font>'.format(color=color, text=text_markup(value)))


def struck(value) -> Markup:
    """Text that no longer counts (a corrected or voided entry): struck through and grey."""
    return Markup('<strike><font color="{color}">{text}</font></strike>'.format(color=MUTED, text=text_markup(value)))


def spaced(*parts: str) -> Markup:
    """Parts of one line set well apart (a title block's "社区：…    日期：…")."""
    return Markup(("&nbsp;" * 6).join(text_markup(p) for p in parts))


def long_date(day: date) -> str:
    return _("{year}-{month:02}-{day:02}").format(year=day.year, month=day.month, day=day.day)


def weekday(day: date) -> str:
    return label(WEEKDAYS, day.weekday())


def period_text(start: date, end: date) -> str:
    if start == end:
        return long_date(start)
    return _("{start} to {end}").format(start=long_date(start), end=long_date(end))


# --- flowables ---------------------------------------------------------------------------------------------------

class Title(Flowable):
    """A document title: large, centred, letter-spaced, drawn with a stroked outline as the font has no bold."""

    def __init__(self, text: str, size: float = 20):
        super().__init__()
        self.text, self.size = text, size

    def wrap(self, available_width, available_height):
        self.width = available_width
        return available_width, self.size * 1.5

    def draw(self) -> None:
        canvas = self.canv
        canvas.saveState()
        canvas.setFont(FONT, self.size)
        canvas.setLineWidth(self.size / 28)
        canvas.setFillColor(colors.black)
        canvas.setStrokeColor(colors.black)
        spacing = self.size * 0.25
        width = canvas.stringWidth(self.text, FONT, self.size) + spacing * (len(self.text) - 1)
        text = canvas.beginText((self.width - width) / 2, self.size * 0.35)
        text.setFont(FONT, self.size)
        text.setCharSpace(spacing)
        text.setTextRenderMode(2)  # fill and stroke: a faux bold
        text.textOut(self.text)
        canvas.drawText(text)
        canvas.restoreState()


class CheckBox(Flowable):
    """An empty square to tick by hand, centred in its cell (drawn: the font has no ☐)."""

    def __init__(self, size: float = 4.5 * mm):
        super().__init__()
        self.size = size

    def wrap(self, available_width, available_height):
        self.width = available_width
        return available_width, self.size

    def draw(self) -> None:
        self.canv.setLineWidth(0.8)
        self.canv.rect((self.width - self.size) / 2, 0, self.size, self.size)


def blank(height_mm: float) -> Spacer:
    """An empty cell at least this tall, to write in by hand."""
    return Spacer(1, height_mm * mm)


class _FormTable(Table):
    """A table whose rows stay whole on one page; only a row taller than a whole page is split inside it."""

    def __init__(self, *args, page_height: float = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.page_height = page_height  # the height a fresh page offers (reportlab makes the pieces without it)

    def split(self, available_width, available_height):
        self.splitInRow = 0
        parts = super().split(available_width, available_height)
        if not parts and available_height > 0.9 * self.page_height:  # even a fresh page cannot hold the next row
            self.splitInRow = 1  # the least height (in points) of a piece of a row
            # reportlab 5 splits a vertically centred row under a repeated header into endless empty pieces
            first = self.repeatRows
            self.setStyle(TableStyle([("VALIGN", (0, first), (-1, first), "TOP")]))
            parts = super().split(available_width, available_height)
        for part in parts:
            part.page_height = self.page_height
        return parts


def _flowable(value, style: ParagraphStyle):
    """A cell's content as flowables: text is escaped, ``Markup`` is kept, flowables and lists go in as they are."""
    if isinstance(value, (list, tuple)):
        return [_flowable(v, style) for v in value]
    if isinstance(value, Flowable):
        return value
    if isinstance(value, Markup):
        return Paragraph(str(value), style)
    return Paragraph(text_markup(value), style)


# --- the page frame --------------------------------------------------------------------------------------------

class _NumberedCanvas(Canvas):
    """Keeps every page until the end, then draws header and footer knowing the number of pages."""

    def __init__(self, *args, document: "Document", **kwargs):
        super().__init__(*args, **kwargs)
        self._document = document
        self._kept: list[dict] = []

    def showPage(self):  # noqa: N802 - reportlab's name
        self._kept.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._kept)
        for state in self._kept:
            self.__dict__.update(state)
            self._document._decorate(self, self._pageNumber, total)
            super().showPage()
        self._document.pages = total
        super().save()


class Document:
    """One printed form: header and footer on every page, and the story of what is on them."""

    def __init__(self, title: str, *, station: str, period: str = "", landscape: bool = False,
                 printed_at: datetime | None = None, paper: str = "A4"):
        register_fonts()
        self.title, self.station, self.period = title, station, period
        size = PAPERS[paper]
        self.pagesize = landscape_of(size) if landscape else size
        self.printed_at = (printed_at or datetime.now()).replace(microsecond=0)
        self.story: list = []
        self.pages = 0

    @property
    def width(self) -> float:
        """The width between the margins, in points."""
        return self.pagesize[0] - 2 * MARGIN

    def add(self, *flowables) -> None:
        self.story.extend(flowables)

    def space(self, height_mm: float) -> None:
        self.story.append(Spacer(1, height_mm * mm))

    def title_block(self, title: str | None = None, *lines: str) -> None:
        """The big title, then centred lines below it (community, period, household …)."""
        self.story.append(Title(title or self.title))
        for line in lines:
            self.story.append(_flowable(line, STYLES["subtitle"]))
        self.space(3)

    def paragraph(self, value, style: str = "body") -> None:
        self.story.append(_flowable(value, STYLES[style]))

    def table(self, header: list[str], rows: list[list], widths: list[float], *,
              centred: tuple[int, ...] = ()) -> Table:
        """A form table: ``widths`` are relative; the columns in ``centred`` are centred.

        A cell is text (escaped, line breaks kept), ``Markup``, a flowable or a list of those.
        The header row repeats on every page; a row taller than a page is split inside.
        """
        scale = self.width / sum(widths)
        styles = [STYLES["cell_center"] if n in centred else STYLES["cell"] for n in range(len(header))]
        data = [[Paragraph(text_markup(h), STYLES["head"]) for h in header]]
        data += [[_flowable(value, styles[n]) for n, value in enumerate(row)] for row in rows]
        table = _FormTable(data, colWidths=[w * scale for w in widths], repeatRows=1, hAlign="CENTER",
                           page_height=self.pagesize[1] - TOP_MARGIN - BOTTOM_MARGIN)
        table.setStyle(TableStyle([
            ("FONT", (0, 0), (-1, -1), FONT, 9),
            ("GRID", (0, 0), (-1, -1), 0.5, GRID),
            ("BOX", (0, 0), (-1, -1), 1.0, GRID),
            ("LINEBELOW", (0, 0), (-1, 0), 1.0, GRID),
            ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ]))
        self.story.append(table)
        return table

    def signatures(self, *roles: str, dated: bool = True) -> None:
        """A line to sign: "巡查人（签名）：________  日期：____年__月__日", one part per role."""
        parts = [_("{role} (signature): ________________").format(role=role) for role in roles]
        if dated:
            parts.append(_("Date: ______ year ____ month ____ day"))
        line = Table([[Paragraph(text_markup(p), STYLES["body"]) for p in parts]], colWidths=[self.width / len(parts)] * len(parts))
        line.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), FONT, 9), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                ("VALIGN", (0, 0), (-1, -1), "BOTTOM")]))
        self.space(8)
        self.story.append(line)

    # --- writing ----------------------------------------------------------------------------------------------
    def _decorate(self, canvas: Canvas, number: int, total: int) -> None:
        width, height = self.pagesize
        canvas.saveState()
        canvas.setFillColor(colors.black)
        canvas.setFont(FONT, 9)
        top = height - 12 * mm
        canvas.drawString(MARGIN, top, self.station)
        canvas.drawCentredString(width / 2, top, self.title)
        canvas.drawRightString(width - MARGIN, top, self.period)
        canvas.setLineWidth(0.6)
        canvas.line(MARGIN, top - 2.2 * mm, width - MARGIN, top - 2.2 * mm)
        canvas.drawCentredString(width / 2, 8 * mm, _("Page {page} of {pages}").format(page=number, pages=total), wordSpace=2)
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(colors.HexColor(MUTED))
        canvas.drawString(MARGIN, 8 * mm, _("Printed {time}").format(time=self.printed_at.isoformat(sep=" ", timespec="minutes")))
        canvas.restoreState()

    def _canvas(self, *args, **kwargs) -> _NumberedCanvas:
        return _NumberedCanvas(*args, document=self, **kwargs)

    def write(self, out_path: str | Path) -> int:
        """Build the PDF at ``out_path`` (all or nothing); returns the number of pages."""
        out = Path(out_path)
        try:
            handle, temporary = tempfile.mkstemp(suffix=".pdf", prefix=".print-", dir=out.parent)
            os.close(handle)
        except OSError as exc:
            raise RedStationError(_("Cannot write {path}: {error}").format(path=out, error=exc.strerror or exc)) from None
        try:
            template = SimpleDocTemplate(temporary, pagesize=self.pagesize, leftMargin=MARGIN, rightMargin=MARGIN,
                                         topMargin=TOP_MARGIN, bottomMargin=BOTTOM_MARGIN, title=self.title,
                                         author=self.station, creator=NAME, subject=self.period,
                                         initialFontName=FONT)  # else every page refers to a non-embedded Helvetica
            template.build(self.story, canvasmaker=self._canvas)
            publish(temporary, out)
        except OSError as exc:
            raise RedStationError(_("Cannot write {path}: {error}").format(path=out, error=exc.strerror or exc)) from None
        finally:
            if os.path.exists(temporary):
                os.remove(temporary)
        return self.pages
