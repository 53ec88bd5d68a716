"""The dashboard (工作台): where the round and the desk stand now, the month so far, charts, the records.

Everything is worked out on a worker with its own connection (``TaskManager.read``), so a
street office's dashboard never holds up the window or the search box. Each figure is a
card that opens the list behind it (click, or Tab to it and Enter); a bar of the tickets
chart opens that kind's tickets. The page refreshes with F5 and after every change the
other pages report. The charts are our own QPainter widgets (``redstation.gui.charts``), not
Qt Charts, which is GPL-3 only.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from redstation.domain.vocab import TICKET_KINDS, label
from redstation.gui import charts
from redstation.gui.pages import Page, needs
from redstation.gui.printing import print_document
from redstation.gui.surveys import SurveysDialog
from redstation.gui.tasks import Outcome, Task, TaskManager
from redstation.i18n import _, join_list
from redstation.printing import report
from redstation.services import evaluation, tickets, visits
from redstation.services.session import Session
from redstation.store import queries

LOADING = "…"
COLUMNS = 4


def cards() -> list[tuple[str, str]]:
    """(key of ``live_counts``, translated card title) of the record counts, in the order they are laid out."""
    return [
        ("visits_overdue", _("Visits overdue")),
        ("visits_due", _("Visits due now")),
        ("tickets_open", _("Open tickets")),
        ("tickets_late", _("Tickets overdue")),
        ("households", _("Households")),
        ("residents", _("Residents")),
        ("key_households", _("Key households")),
        ("visits", _("Visits")),
        ("tickets", _("Tickets")),
        ("volunteers", _("Volunteers")),
        ("activities", _("Activities")),
        ("meetings", _("Meetings")),
    ]


def month_cards() -> list[tuple[str, str]]:
    """(key, title) of the month's figures."""
    return [
        ("satisfaction", _("Satisfaction")),
        ("resolve", _("Solved in time (5341)")),
        ("coverage", _("Key households visited on time")),
        ("hours", _("Volunteer hours")),
    ]


ALERTS = ("visits_overdue", "tickets_late")   # shown in red when not zero


def count_text(value: int) -> str:
    """A count as people read it: 12,345."""
    return "{value:,}".format(value=value)


def percent(value: float | None) -> str:
    return "—" if value is None else "{v:.1f}%".format(v=value * 100)


def live_counts(conn, now: datetime) -> dict[str, int]:
    """The records in the database, and where the round and the desk stand now."""
    counts = queries.stats(conn)
    round_ = visits.counts(conn, now)
    desk = tickets.counts(conn, now)
    counts.update(visits_overdue=round_["overdue"], visits_due=round_["due"], tickets_open=desk["open"],
                  tickets_late=desk["late"])
    return counts


def load(conn, now: datetime) -> dict:
    """Everything the dashboard shows (the worker's function)."""
    return {"counts": live_counts(conn, now), "month": evaluation.monthly(conn, now.strftime("%Y-%m"), now=now),
            "weekly": evaluation.weekly_on_time(conn, now, weeks=6)}


class StatCard(QFrame):
    """A figure: title, number, a line of detail; clicking it (or Enter on it) opens the list behind it."""

    clicked = Signal(str)

    def __init__(self, key: str, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.key = key
        self.setObjectName("statCard")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 10, 18, 12)
        layout.setSpacing(2)
        self.title = QLabel(title)
        self.title.setObjectName("statTitle")
        self.number = QLabel(LOADING)
        self.number.setObjectName("statNumber")
        self.detail = QLabel("")
        self.detail.setObjectName("muted")
        layout.addWidget(self.title)
        layout.addWidget(self.number)
        layout.addWidget(self.detail)

    def mouseReleaseEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(self.key)
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.clicked.emit(self.key)
            return
        super().keyPressEvent(event)

    def set_figure(self, number: str, detail: str = "", alert: bool = False) -> None:
        self.number.setText(number)
        self.detail.setText(detail)
        self.number.setProperty("alert", alert)
        self.number.style().unpolish(self.number)
        self.number.style().polish(self.number)


class DashboardPage(Page):
    open_list = Signal(str, object)   # what was clicked (a card key, or "tickets_kind"), and a detail (the kind)

    def __init__(self, session: Session, taskman: TaskManager, parent: QWidget | None = None, clock=datetime.now):
        super().__init__(_("Dashboard"), parent)
        self._taskman = taskman
        self._clock = clock
        self._task: Task | None = None
        self._generation = 0
        self.counts: dict[str, int] | None = None
        self.month: dict | None = None
        self.weekly: list[dict] = []

        self.updated = QLabel("")
        self.updated.setObjectName("muted")
        self.refresh_button = QPushButton(_("Refresh"))
        self.refresh_button.setToolTip(_("Count again (F5)"))
        self.refresh_button.setShortcut(QKeySequence(Qt.Key.Key_F5))
        self.refresh_button.clicked.connect(self.refresh)
        self.report_button = QPushButton(_("Monthly report…"))
        needs("print.monthly_report", self.report_button)
        self.report_button.setToolTip(_("Print this month's evaluation report for the street office"))
        self.report_button.clicked.connect(self.print_report)
        self.surveys_button = QPushButton(_("Satisfaction surveys…"))
        needs("survey.answer", self.surveys_button)
        self.surveys_button.clicked.connect(self.open_surveys)
        self.print_job = None
        self.surveys_dialog: SurveysDialog | None = None
        self.header_row.addWidget(self.updated)
        for button in (self.surveys_button, self.report_button, self.refresh_button):
            self.header_row.addWidget(button)

        content = QWidget()
        column = QVBoxLayout(content)
        column.setContentsMargins(0, 0, 8, 0)
        column.setSpacing(10)
        station = session.station()
        if station is not None:
            where = " · ".join(part for part in (station["community"], station["street"]) if part)
            intro = QLabel(_("{station}, {where}: live records in this database").format(station=station["name"], where=where)
                           if where else _("{station}: live records in this database").format(station=station["name"]))
            intro.setObjectName("muted")
            intro.setWordWrap(True)
            column.addWidget(intro)

        self.cards: dict[str, StatCard] = {}
        self.month_cards: dict[str, StatCard] = {}
        keys = cards()
        column.addWidget(self._heading(_("Now")))
        column.addLayout(self._grid(keys[:4], self.cards))
        self.month_heading = self._heading(_("This month so far"))
        column.addWidget(self.month_heading)
        column.addLayout(self._grid(month_cards(), self.month_cards))
        self.flagged = QLabel("")
        self.flagged.setObjectName("error")
        self.flagged.setWordWrap(True)
        column.addWidget(self.flagged)

        row = QHBoxLayout()
        row.setSpacing(14)
        self.kind_chart = charts.BarChart(_("Tickets by kind this month"), _("No tickets this month yet"), clickable=True)
        self.kind_chart.bar_clicked.connect(lambda index: self.open_list.emit("tickets_kind", self._kinds[index]))
        self.week_chart = charts.LineChart(_("Solved in time, week by week"), _("No ticket finished in these weeks yet"))
        self.estate_chart = charts.HorizontalBarChart(_("Satisfaction by estate this month"),
                                                      _("No estate has satisfaction answers this month yet"),
                                                      reference=evaluation.FLAG_BELOW * 100)
        self._kinds = list(TICKET_KINDS)
        for chart, stretch in ((self.kind_chart, 4), (self.week_chart, 4), (self.estate_chart, 5)):
            row.addWidget(chart, stretch, Qt.AlignmentFlag.AlignTop)   # many estates make theirs taller, not the others
        column.addLayout(row)

        column.addWidget(self._heading(_("Records")))
        column.addLayout(self._grid(keys[4:], self.cards))
        self.error = QLabel("")
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        self.error.hide()
        column.addWidget(self.error)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)
        self.body.addWidget(scroll, 1)

    def print_report(self) -> None:
        """This month's report so far, in the print preview."""
        month = self._clock().strftime("%Y-%m")
        self.print_job = print_document(
            self._taskman, lambda session, out: report.monthly_report(session, month, out), parent=self,
            file_name=_("monthly-report-{month}.pdf").format(month=month))

    def open_surveys(self) -> SurveysDialog:
        dialog = SurveysDialog(self._taskman, parent=self)
        dialog.finished.connect(lambda _result: dialog.changed and self.refresh())
        dialog.open()
        self.surveys_dialog = dialog
        return dialog

    @staticmethod
    def _heading(text: str) -> QLabel:
        heading = QLabel(text)
        heading.setObjectName("sectionTitle")
        return heading

    def _grid(self, keys: list[tuple[str, str]], into: dict[str, StatCard]) -> QGridLayout:
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(12)
        for index, (key, title) in enumerate(keys):
            card = StatCard(key, title)
            card.clicked.connect(lambda key: self.open_list.emit(key, None))
            into[key] = card
            grid.addWidget(card, index // COLUMNS, index % COLUMNS)
        for number in range(COLUMNS):
            grid.setColumnStretch(number, 1)
        return grid

    @property
    def loading(self) -> bool:
        return self._task is not None

    def refresh(self) -> None:
        """Work everything out again on a worker; a newer refresh supersedes one still running."""
        if self._task is not None:
            self._task.cancel()
        for card in [*self.cards.values(), *self.month_cards.values()]:
            card.number.setText(LOADING)
        self.updated.setText(_("Counting…"))
        self.error.hide()
        self._generation += 1
        generation, now = self._generation, self._clock()
        self._task = self._taskman.read(lambda session: load(session.conn, now),
                                        lambda outcome: self._loaded(generation, outcome), owner=self)

    def _loaded(self, generation: int, outcome: Outcome) -> None:
        if generation != self._generation:
            return  # an older refresh, superseded
        self._task = None
        if outcome.cancelled:
            return
        if outcome.error is not None:
            for card in [*self.cards.values(), *self.month_cards.values()]:
                card.number.setText("—")
            self.updated.setText("")
            self.error.setText(_("The counts could not be read: {error}").format(error=outcome.error))
            self.error.show()
            return
        self.counts = dict(outcome.value["counts"])
        self.month = outcome.value["month"]
        self.weekly = outcome.value["weekly"]
        for key, card in self.cards.items():
            value = self.counts.get(key, 0)
            card.set_figure(count_text(value), alert=key in ALERTS and value > 0)
        self._show_month()
        self._draw_charts()
        self.updated.setText(_("Updated {time}").format(time=self._clock().strftime("%H:%M:%S")))

    def _show_month(self) -> None:
        month, station, before = self.month, self.month["station"], self.month["previous"]["station"]
        start = datetime.fromisoformat(month["start"])
        self.month_heading.setText(_("This month so far ({year}-{month:02d})").format(year=start.year, month=start.month))

        def versus(now_, then) -> str:
            delta = evaluation.change(now_, then)
            return "" if delta is None else _("{sign}{value:.1f} points on last month").format(
                sign="+" if delta >= 0 else "-", value=abs(delta) * 100)
        answers = station["satisfaction"]
        self.month_cards["satisfaction"].set_figure(
            percent(answers["rate"]), _("{count} answers; {change}").format(
                count=answers["answered"], change=versus(answers["rate"], before["satisfaction"]["rate"]) or "—"),
            alert=station["flagged"])
        resolve, onsite = station["on_time"]["resolve"], station["on_time"]["onsite"]
        self.month_cards["resolve"].set_figure(percent(resolve["rate"]), _("on site in time {rate}").format(
            rate=percent(onsite["rate"])))
        cover = station["coverage"]
        self.month_cards["coverage"].set_figure(percent(cover["rate"]), _("{on_time} of {total} key households").format(
            on_time=cover["on_time"], total=cover["key_households"]), alert=cover["rate"] is not None and cover["rate"] < 0.9)
        self.month_cards["hours"].set_figure("{h:g}".format(h=station["volunteers"]["hours"]), _(
            "{activities} activities, {meetings} meetings").format(activities=station["volunteers"]["activities"],
                                                                  meetings=station["meetings"]["held"]))
        estates = month["estates"]
        self.flagged.setText(_("Under 60% satisfaction, to be called in: {estates}").format(estates=join_list(
            _("{name} ({rate})").format(name=name, rate=percent(estates[name]["satisfaction"]["rate"]))
            for name in month["flagged"])) if month["flagged"] else "")

    def _draw_charts(self) -> None:
        station, estates = self.month["station"], self.month["estates"]
        by_kind = station["tickets"]["by_kind"]
        names = [label(TICKET_KINDS, k) for k in self._kinds]
        self.kind_chart.set_data(names, [by_kind[k] for k in self._kinds], [
            _("{kind}: {count} tickets this month; click to list them").format(kind=name, count=by_kind[k])
            for name, k in zip(names, self._kinds)])

        weeks = ["{m}/{d}".format(m=w["week"].month, d=w["week"].day) for w in self.weekly]
        self.week_chart.set_data(weeks, [
            charts.Line(_("Solved in time"), charts.ACCENT, [self._percent_value(w["resolve"]) for w in self.weekly]),
            charts.Line(_("On site in time"), charts.MUTED_LINE, [self._percent_value(w["onsite"]) for w in self.weekly]),
        ], [_("Week of {week}: solved in time {resolve}, on site in time {onsite}; {tickets} tickets accepted").format(
            week=name, resolve=percent(w["resolve"]), onsite=percent(w["onsite"]), tickets=w["tickets"])
            for name, w in zip(weeks, self.weekly)])

        rated = sorted((n for n in estates if estates[n]["satisfaction"]["rate"] is not None),
                       key=lambda n: (estates[n]["satisfaction"]["rate"], n))   # the lowest (to be called in) on top
        self.estate_chart.set_data(
            rated, [round(estates[n]["satisfaction"]["rate"] * 100, 1) for n in rated],
            {i for i, n in enumerate(rated) if estates[n]["flagged"]},
            [(_("{estate}: {rate} of {answered} answers; under 60%, to be called in") if estates[n]["flagged"] else
              _("{estate}: {rate} of {answered} answers")).format(
                estate=n, rate=percent(estates[n]["satisfaction"]["rate"]), answered=estates[n]["satisfaction"]["answered"])
             for n in rated])

    @staticmethod
    def _percent_value(rate: float | None) -> float | None:
        return None if rate is None else round(rate * 100, 1)
