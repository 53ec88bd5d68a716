"""Small charts of our own, painted with QPainter (QtGui and QtWidgets only).

The dashboard needs three plain charts: vertical bars (tickets by kind), lines over a few
weeks (the 5341 on-time rates) and horizontal bars with a reference line (satisfaction by
estate, the 60 % line). Qt Charts would draw them, but open-source Qt Charts is GPL-3 only
and RedStation is distributed as a proprietary program, so these few widgets take its place.

Each chart holds its data as plain lists (``categories``, ``values`` …, which the tests
read), works its geometry out from its current size on every paint, mouse move and click
(so nothing goes stale when the window is resized), measures text with the widget's font
(the shipped Chinese font of the application) and draws in logical coordinates, so it is
sharp at any device pixel ratio. Long category names are elided and shown in full in the
tooltip; with no data a chart says so in its middle.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from redstation.gui.style import ACCENT as ACCENT_NAME
from redstation.i18n import _

ACCENT = QColor(ACCENT_NAME)            # the bars, the first line
ALERT = QColor("#c0141c")               # the reference line (the red of alerts in style.py)
FLAGGED = QColor("#890e14")             # a bar under the reference line (the alert red, darker)
HOVER = QColor("#c9413a")               # the bar under the mouse (the selection red of the tables)
MUTED_LINE = QColor("#777777")          # the second line
BACKGROUND = QColor("#ffffff")
BORDER = QColor("#dcdcd8")
GRID = QColor("#e6e6e2")
AXIS = QColor("#9a9a96")
TEXT = QColor("#333333")
LABEL = QColor("#555555")
MUTED = QColor("#888888")

MIN_HEIGHT = 310                        # what the Qt Charts views had
PADDING = 10.0
SMALL = 0.85                            # axis labels, value labels, legend: this share of the font's size


def nice_step(span: float, ticks: int = 5) -> float:
    """A round step (1, 2 or 5 times a power of ten) that divides ``span`` into about ``ticks`` parts."""
    if span <= 0:
        return 1.0
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def number_text(value: float) -> str:
    """A value as a label: 1,234 for whole numbers, else one decimal."""
    return "{v:,.0f}".format(v=value) if float(value).is_integer() else "{v:,.1f}".format(v=value)


@dataclass
class Line:
    """One line of a ``LineChart``: its name (in the legend), colour and a value per category (None: no value)."""

    name: str
    color: QColor
    values: list[float | None] = field(default_factory=list)


class Chart(QWidget):
    """The frame every chart shares: white card, title, the empty message, tooltips per category."""

    def __init__(self, title: str, empty_text: str | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = title
        self.empty_text = empty_text or _("No data yet")
        self.categories: list[str] = []
        self.tooltips: list[str] = []
        self.loaded = False             # nothing is said about the data before it has arrived
        self._hover: int | None = None
        self.setMouseTracking(True)
        self.setAccessibleName(title)
        self.setMinimumSize(200, MIN_HEIGHT)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    # -- data ---------------------------------------------------------------------------------------------------

    @property
    def empty(self) -> bool:
        return not self.categories

    def _set_common(self, categories: list[str], tooltips: list[str] | None) -> None:
        self.categories = list(categories)
        self.tooltips = list(tooltips) if tooltips is not None else []
        self.loaded = True
        self._hover = None
        self.setAccessibleDescription(self.empty_text if self.empty else "; ".join(self.tooltips or self.categories))
        self.updateGeometry()
        self.update()

    # -- geometry -------------------------------------------------------------------------------------------------

    def small_font(self) -> QFont:
        font = QFont(self.font())
        if font.pointSizeF() > 0:
            font.setPointSizeF(max(7.0, font.pointSizeF() * SMALL))
        else:   # a font sized in pixels
            font.setPixelSize(max(9, round(font.pixelSize() * SMALL)))
        return font

    def title_font(self) -> QFont:
        font = QFont(self.font())
        font.setBold(True)
        return font

    def _frame(self) -> QRectF:
        return QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)

    def _body(self) -> QRectF:
        """The card below its title."""
        title = QFontMetricsF(self.title_font(), self)
        inner = self._frame().adjusted(PADDING, PADDING, -PADDING, -PADDING)
        return inner.adjusted(0, title.height() + 6, 0, 0)

    def sizeHint(self):
        hint = super().sizeHint()
        hint.setHeight(self.minimumHeight())
        hint.setWidth(max(hint.width(), 320))
        return hint

    def index_at(self, pos: QPointF) -> int | None:
        """The category under a point of the widget (None outside them)."""
        return None

    # -- painting -------------------------------------------------------------------------------------------------

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        frame = self._frame()
        painter.setPen(QPen(BORDER, 1))
        painter.setBrush(BACKGROUND)
        painter.drawRoundedRect(frame, 3, 3)
        painter.setFont(self.title_font())
        painter.setPen(TEXT)
        title_metrics = QFontMetricsF(self.title_font(), self)
        title_rect = QRectF(frame.left() + PADDING, frame.top() + PADDING, frame.width() - 2 * PADDING,
                            title_metrics.height())
        painter.drawText(title_rect, Qt.AlignmentFlag.AlignCenter,
                         title_metrics.elidedText(self.title, Qt.TextElideMode.ElideRight, title_rect.width()))
        if not self.loaded:
            return
        if self.empty:
            painter.setFont(self.font())
            painter.setPen(MUTED)
            painter.drawText(self._body(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.empty_text)
            return
        painter.setFont(self.small_font())
        self.paint_chart(painter)

    def paint_chart(self, painter: QPainter) -> None:
        raise NotImplementedError

    def _grid_label(self, painter: QPainter, rect: QRectF, text: str, align, color: QColor = LABEL) -> None:
        painter.setPen(color)
        painter.drawText(rect, align, text)

    # -- mouse and tooltips ---------------------------------------------------------------------------------------

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            index = self.index_at(QPointF(event.pos())) if self.loaded and not self.empty else None
            if index is not None and index < len(self.tooltips) and self.tooltips[index]:
                QToolTip.showText(event.globalPos(), self.tooltips[index], self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)

    def mouseMoveEvent(self, event) -> None:
        index = self.index_at(event.position()) if self.loaded and not self.empty else None
        if index != self._hover:
            self._hover = index
            self.hover_changed()
            self.update()
        super().mouseMoveEvent(event)

    def leaveEvent(self, event) -> None:
        if self._hover is not None:
            self._hover = None
            self.hover_changed()
            self.update()
        super().leaveEvent(event)

    def hover_changed(self) -> None:
        pass


class BarChart(Chart):
    """Vertical bars with their values above or inside them, a value axis with gridlines, names below.

    With ``clickable`` a bar (its whole column, so a short bar is easy to hit) is a button: a click,
    or Tab to the chart, Left/Right to the bar and Enter, emits ``bar_clicked(index)``.
    """

    bar_clicked = Signal(int)

    def __init__(self, title: str, empty_text: str | None = None, clickable: bool = False,
                 parent: QWidget | None = None):
        super().__init__(title, empty_text, parent)
        self.values: list[float] = []
        self.clickable = clickable
        self.current = 0                # the bar Enter opens, when the chart has the keyboard focus
        if clickable:   # reached with Tab (a mouse click opens the list and needs no focus ring)
            self.setFocusPolicy(Qt.FocusPolicy.TabFocus)

    def set_data(self, categories: list[str], values: list[float], tooltips: list[str] | None = None) -> None:
        if len(categories) != len(values):
            raise ValueError("a value per category")
        self.values = [float(v) for v in values]
        self.current = min(self.current, max(len(values) - 1, 0))
        self._set_common(categories, tooltips)

    @property
    def empty(self) -> bool:
        return not self.values or not any(self.values)

    def scale(self) -> tuple[float, float]:
        """(top of the axis, step between gridlines)."""
        step = nice_step(max(self.values, default=0) or 1)
        step = max(step, 1.0) if all(float(v).is_integer() for v in self.values) else step
        top = step * math.ceil(max(max(self.values, default=0), step) / step)
        return top, step

    def plot_rect(self) -> QRectF:
        metrics = QFontMetricsF(self.small_font(), self)
        top, step = self.scale()
        ticks = [number_text(step * i) for i in range(round(top / step) + 1)]
        left = max(metrics.horizontalAdvance(t) for t in ticks) + 6
        body = self._body()
        return body.adjusted(left, metrics.height() + 2, -4, -(metrics.height() + 6))

    def _slot(self, index: int) -> QRectF:
        plot = self.plot_rect()
        width = plot.width() / len(self.values)
        return QRectF(plot.left() + index * width, plot.top(), width, plot.height())

    def bar_rect(self, index: int) -> QRectF:
        """Where bar ``index`` is drawn (empty height for a zero)."""
        plot, slot = self.plot_rect(), self._slot(index)
        top, _step = self.scale()
        width = min(slot.width() * 0.58, 56.0)
        height = plot.height() * self.values[index] / top
        return QRectF(slot.center().x() - width / 2, plot.bottom() - height, width, height)

    def index_at(self, pos: QPointF) -> int | None:
        if not self.values:
            return None
        plot = self.plot_rect()
        below = QFontMetricsF(self.small_font(), self).height() + 6
        if not (plot.left() <= pos.x() < plot.right() and plot.top() <= pos.y() <= plot.bottom() + below):
            return None
        return min(int((pos.x() - plot.left()) / (plot.width() / len(self.values))), len(self.values) - 1)

    def hover_changed(self) -> None:
        if self.clickable:
            self.setCursor(Qt.CursorShape.PointingHandCursor if self._hover is not None else Qt.CursorShape.ArrowCursor)

    def mouseReleaseEvent(self, event) -> None:
        if self.clickable and event.button() == Qt.MouseButton.LeftButton and self.loaded and not self.empty:
            index = self.index_at(event.position())
            if index is not None:
                self.current = index
                self.bar_clicked.emit(index)
                return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event) -> None:
        if self.clickable and self.loaded and not self.empty:
            if event.key() in (Qt.Key.Key_Left, Qt.Key.Key_Right):
                step = -1 if event.key() == Qt.Key.Key_Left else 1
                self.current = (self.current + step) % len(self.values)
                self.update()
                return
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
                self.bar_clicked.emit(self.current)
                return
        super().keyPressEvent(event)

    def focusInEvent(self, event) -> None:
        self.update()
        super().focusInEvent(event)

    def focusOutEvent(self, event) -> None:
        self.update()
        super().focusOutEvent(event)

    def paint_chart(self, painter: QPainter) -> None:
        metrics = QFontMetricsF(painter.font(), self)
        plot = self.plot_rect()
        top, step = self.scale()
        for i in range(round(top / step) + 1):
            y = plot.bottom() - plot.height() * (step * i) / top
            painter.setPen(QPen(AXIS if i == 0 else GRID, 1))
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            self._grid_label(painter, QRectF(self._body().left(), y - metrics.height() / 2, plot.left() -
                                             self._body().left() - 6, metrics.height()),
                             number_text(step * i), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        every = self._label_every(metrics, plot.width() / len(self.values))
        for index, value in enumerate(self.values):
            slot, bar = self._slot(index), self.bar_rect(index)
            if self.clickable and self.hasFocus() and index == self.current:
                painter.setPen(QPen(AXIS, 1, Qt.PenStyle.DotLine))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRect(slot.adjusted(2, -metrics.height(), -2, metrics.height() + 4))
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(HOVER if index == self._hover and self.clickable else ACCENT)
            painter.drawRect(bar)
            text = number_text(value)
            if bar.height() >= metrics.height() + 4 and bar.width() >= metrics.horizontalAdvance(text) + 4:
                painter.setPen(BACKGROUND)
                painter.drawText(bar.adjusted(0, 2, 0, 0), Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, text)
            else:
                painter.setPen(TEXT)
                painter.drawText(QRectF(slot.left(), bar.top() - metrics.height() - 1, slot.width(), metrics.height()),
                                 Qt.AlignmentFlag.AlignCenter, text)
            if index % every == 0:
                painter.setPen(LABEL)
                name = metrics.elidedText(self.categories[index], Qt.TextElideMode.ElideRight, slot.width() * every - 4)
                painter.drawText(QRectF(slot.center().x() - slot.width() * every / 2, plot.bottom() + 4,
                                        slot.width() * every, metrics.height()), Qt.AlignmentFlag.AlignCenter, name)

    @staticmethod
    def _label_every(metrics: QFontMetricsF, slot_width: float) -> int:
        """Label every n-th category so that the names never overlap (1 unless the slots are very narrow)."""
        least = metrics.horizontalAdvance("8888")
        return max(1, math.ceil(least / max(slot_width, 1)))


class LineChart(Chart):
    """Lines over categories (weeks) on a 0–``top`` axis with a suffix (%), points marked, a legend below."""

    def __init__(self, title: str, empty_text: str | None = None, top: float = 100, step: float = 25,
                 suffix: str = "%", parent: QWidget | None = None):
        super().__init__(title, empty_text, parent)
        self.lines: list[Line] = []
        self.top, self.step, self.suffix = top, step, suffix

    def set_data(self, categories: list[str], lines: list[Line], tooltips: list[str] | None = None) -> None:
        if any(len(line.values) != len(categories) for line in lines):
            raise ValueError("a value (or None) per category in every line")
        self.lines = list(lines)
        self._set_common(categories, tooltips)

    @property
    def empty(self) -> bool:
        return not self.categories or all(v is None for line in self.lines for v in line.values)

    def _tick_text(self, value: float) -> str:
        return number_text(value) + self.suffix

    def legend_height(self) -> float:
        return QFontMetricsF(self.small_font(), self).height() + 6

    def plot_rect(self) -> QRectF:
        metrics = QFontMetricsF(self.small_font(), self)
        ticks = [self._tick_text(self.step * i) for i in range(round(self.top / self.step) + 1)]
        left = max(metrics.horizontalAdvance(t) for t in ticks) + 6
        point = 4.0   # room for a marker at the top
        return self._body().adjusted(left, point + metrics.height() / 2, -point,
                                     -(metrics.height() + 6 + self.legend_height()))

    def point(self, line: int, index: int) -> QPointF | None:
        """Where the value of ``line`` at category ``index`` is drawn (None: no value there)."""
        value = self.lines[line].values[index]
        if value is None:
            return None
        plot = self.plot_rect()
        slot = plot.width() / len(self.categories)
        y = plot.bottom() - plot.height() * min(max(value, 0), self.top) / self.top
        return QPointF(plot.left() + slot * (index + 0.5), y)

    def index_at(self, pos: QPointF) -> int | None:
        if not self.categories:
            return None
        plot = self.plot_rect()
        if not (plot.left() <= pos.x() < plot.right() and plot.top() - 6 <= pos.y() <= plot.bottom() + 6):
            return None
        return min(int((pos.x() - plot.left()) / (plot.width() / len(self.categories))), len(self.categories) - 1)

    def paint_chart(self, painter: QPainter) -> None:
        metrics = QFontMetricsF(painter.font(), self)
        plot, body = self.plot_rect(), self._body()
        slot = plot.width() / len(self.categories)
        for i in range(round(self.top / self.step) + 1):
            y = plot.bottom() - plot.height() * (self.step * i) / self.top
            painter.setPen(QPen(AXIS if i == 0 else GRID, 1))
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            self._grid_label(painter, QRectF(body.left(), y - metrics.height() / 2, plot.left() - body.left() - 6,
                                             metrics.height()),
                             self._tick_text(self.step * i), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if self._hover is not None:
            x = plot.left() + slot * (self._hover + 0.5)
            painter.setPen(QPen(AXIS, 1, Qt.PenStyle.DotLine))
            painter.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
        every = BarChart._label_every(metrics, slot)
        for index, name in enumerate(self.categories):
            x = plot.left() + slot * index
            painter.setPen(QPen(GRID, 1))
            if index:
                painter.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
            if index % every == 0:
                painter.setPen(LABEL)
                painter.drawText(QRectF(x + slot / 2 - slot * every / 2, plot.bottom() + 4, slot * every, metrics.height()),
                                 Qt.AlignmentFlag.AlignCenter,
                                 metrics.elidedText(name, Qt.TextElideMode.ElideRight, slot * every - 4))
        for number, line in enumerate(self.lines):
            points = [self.point(number, i) for i in range(len(self.categories))]
            path, open_ = QPainterPath(), False
            for point in points:   # a week without a value breaks the line rather than inventing one
                if point is None:
                    open_ = False
                elif open_:
                    path.lineTo(point)
                else:
                    path.moveTo(point)
                    open_ = True
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(line.color, 2, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))
            painter.drawPath(path)
            painter.setPen(QPen(BACKGROUND, 1))
            painter.setBrush(line.color)
            for index, point in enumerate(points):
                if point is not None:
                    painter.drawEllipse(point, 4.5 if index == self._hover else 3.5, 4.5 if index == self._hover else 3.5)
        self._paint_legend(painter, metrics, QRectF(body.left(), body.bottom() - self.legend_height() + 6, body.width(),
                                                    self.legend_height() - 6))

    def _paint_legend(self, painter: QPainter, metrics: QFontMetricsF, rect: QRectF) -> None:
        sample, gap, between = 18.0, 5.0, 16.0
        room = rect.width() - len(self.lines) * (sample + gap) - between * (len(self.lines) - 1)
        names = [metrics.elidedText(line.name, Qt.TextElideMode.ElideRight, max(room / max(len(self.lines), 1), 12))
                 for line in self.lines]
        total = sum(sample + gap + metrics.horizontalAdvance(n) for n in names) + between * (len(names) - 1)
        x, y = rect.center().x() - total / 2, rect.center().y()
        for line, name in zip(self.lines, names):
            painter.setPen(QPen(line.color, 2))
            painter.drawLine(QPointF(x, y), QPointF(x + sample, y))
            painter.setPen(QPen(BACKGROUND, 1))
            painter.setBrush(line.color)
            painter.drawEllipse(QPointF(x + sample / 2, y), 3.5, 3.5)
            x += sample + gap
            painter.setPen(TEXT)
            width = metrics.horizontalAdvance(name)
            painter.drawText(QRectF(x, rect.top(), width + 1, rect.height()), Qt.AlignmentFlag.AlignVCenter, name)
            x += width + between


class HorizontalBarChart(Chart):
    """Horizontal bars on a 0–100 % axis, one row per category from the top, names on the left (elided),
    values at the bar ends, a dashed reference line; ``highlighted`` rows (under the line) darker.

    Every row keeps at least a line of text: with many categories the chart asks for more height
    (the dashboard scrolls) instead of letting the names overlap.
    """

    def __init__(self, title: str, empty_text: str | None = None, reference: float | None = None,
                 top: float = 100, step: float = 20, suffix: str = "%", parent: QWidget | None = None):
        super().__init__(title, empty_text, parent)
        self.values: list[float] = []
        self.highlighted: set[int] = set()
        self.reference, self.top, self.step, self.suffix = reference, top, step, suffix

    def set_data(self, categories: list[str], values: list[float], highlighted: set[int] | None = None,
                 tooltips: list[str] | None = None) -> None:
        if len(categories) != len(values):
            raise ValueError("a value per category")
        self.values = [float(v) for v in values]
        self.highlighted = set(highlighted or ())
        self.setMinimumHeight(self.height_for(len(values)))
        self._set_common(categories, tooltips)

    def row_height(self) -> float:
        return QFontMetricsF(self.small_font(), self).height() + 3

    def height_for(self, rows: int) -> int:
        """The height at which ``rows`` rows each keep a line of text (at least the charts' usual height)."""
        title = QFontMetricsF(self.title_font(), self).height()
        axis = QFontMetricsF(self.small_font(), self).height() + 6
        return max(MIN_HEIGHT, math.ceil(2 * PADDING + title + 6 + 4 + axis + rows * self.row_height() + 2))

    def _tick_text(self, value: float) -> str:
        return number_text(value) + self.suffix

    def value_text(self, index: int) -> str:
        return "{v:.1f}{suffix}".format(v=self.values[index], suffix=self.suffix)

    def label_width(self) -> float:
        metrics = QFontMetricsF(self.small_font(), self)
        widest = max((metrics.horizontalAdvance(name) for name in self.categories), default=0)
        return min(widest, self._body().width() * 0.34) + 6

    def plot_rect(self) -> QRectF:
        metrics = QFontMetricsF(self.small_font(), self)
        right = metrics.horizontalAdvance(self._tick_text(self.top)) / 2 + 2
        return self._body().adjusted(self.label_width(), 4, -right, -(metrics.height() + 6))

    def _row(self, index: int) -> QRectF:
        plot = self.plot_rect()
        height = plot.height() / len(self.values)
        return QRectF(plot.left(), plot.top() + index * height, plot.width(), height)

    def x_of(self, value: float) -> float:
        plot = self.plot_rect()
        return plot.left() + plot.width() * min(max(value, 0), self.top) / self.top

    def bar_rect(self, index: int) -> QRectF:
        row = self._row(index)
        thickness = min(row.height() * 0.7, 22.0)
        width = max(self.x_of(self.values[index]) - row.left(), 2.0)   # a zero still shows as a sliver
        return QRectF(row.left(), row.center().y() - thickness / 2, width, thickness)

    def index_at(self, pos: QPointF) -> int | None:
        if not self.values:
            return None
        plot = self.plot_rect()
        if not (self._body().left() <= pos.x() <= plot.right() and plot.top() <= pos.y() < plot.bottom()):
            return None
        return min(int((pos.y() - plot.top()) / (plot.height() / len(self.values))), len(self.values) - 1)

    def paint_chart(self, painter: QPainter) -> None:
        metrics = QFontMetricsF(painter.font(), self)
        plot, body = self.plot_rect(), self._body()
        for i in range(round(self.top / self.step) + 1):
            value = self.step * i
            x = self.x_of(value)
            painter.setPen(QPen(AXIS if i == 0 else GRID, 1))
            painter.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
            marks_reference = self.reference is not None and abs(value - self.reference) < 1e-9
            text = self._tick_text(value)
            width = metrics.horizontalAdvance(text) + 2
            self._grid_label(painter, QRectF(x - width / 2, plot.bottom() + 4, width, metrics.height()), text,
                             Qt.AlignmentFlag.AlignCenter, ALERT if marks_reference else LABEL)
        for index, value in enumerate(self.values):
            row, bar = self._row(index), self.bar_rect(index)
            if index == self._hover:
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(QColor("#f3e7e6"))
                painter.drawRect(QRectF(body.left(), row.top(), plot.right() - body.left(), row.height()))
            painter.setPen(LABEL if index not in self.highlighted else FLAGGED)
            name = metrics.elidedText(self.categories[index], Qt.TextElideMode.ElideRight, self.label_width() - 6)
            painter.drawText(QRectF(body.left(), row.top(), self.label_width() - 6, row.height()),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, name)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(FLAGGED if index in self.highlighted else ACCENT)
            painter.drawRect(bar)
        if self.reference is not None:
            x = self.x_of(self.reference)
            painter.setPen(QPen(ALERT, 1.5, Qt.PenStyle.DashLine))
            painter.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
        for index in range(len(self.values)):   # the values last, on a white ground, so the line never crosses them
            row, bar = self._row(index), self.bar_rect(index)
            text = self.value_text(index)
            width = metrics.horizontalAdvance(text) + 4
            if bar.right() + width + 3 <= plot.right() + metrics.horizontalAdvance("0") or bar.width() < width + 2:
                box = QRectF(bar.right() + 1, row.center().y() - metrics.height() / 2, width, metrics.height())
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(QColor("#f3e7e6") if index == self._hover else BACKGROUND)
                painter.drawRect(box)
                painter.setPen(TEXT)
                painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
            else:
                painter.setPen(BACKGROUND)
                painter.drawText(QRectF(bar.right() - width - 1, row.top(), width, row.height()),
                                 Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, text)
