"""The dashboard (工作台): the station's live counts, loaded on a worker thread."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from redstation.gui.pages import Page
from redstation.gui.tasks import Outcome, Task, TaskManager
from redstation.i18n import _
from redstation.services.session import Session
from redstation.services import tickets, visits
from redstation.store import queries

LOADING = "…"

COLUMNS = 4


def cards() -> list[tuple[str, str]]:
    """(key of ``live_counts``, translated card title), in the order the cards are laid out."""
    return [
        ("households", _("Households")),
        ("residents", _("Residents")),
        ("key_households", _("Key households")),
        ("visits", _("Visits")),
        ("tickets", _("Tickets")),
        ("volunteers", _("Volunteers")),
        ("activities", _("Activities")),
        ("meetings", _("Meetings")),
        ("visits_overdue", _("Visits overdue")),
        ("visits_due", _("Visits due now")),
        ("tickets_open", _("Open tickets")),
        ("tickets_late", _("Tickets overdue")),
    ]


ALERTS = ("visits_overdue", "tickets_late")   # shown in red when not zero


def live_counts(conn, now: datetime) -> dict[str, int]:
    """The records in the database, and where the round and the desk stand now."""
    counts = queries.stats(conn)
    round_ = visits.counts(conn, now)
    desk = tickets.counts(conn, now)
    counts.update(visits_overdue=round_["overdue"], visits_due=round_["due"], tickets_open=desk["open"],
                  tickets_late=desk["late"])
    return counts


def count_text(value: int) -> str:
    """A count as people read it: 12,345."""
    return "{value:,}".format(value=value)


class StatCard(QFrame):
    def __init__(self, key: str, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.key = key
        self.setObjectName("statCard")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 14, 20, 16)
        layout.setSpacing(4)
        self.title = QLabel(title)
        self.title.setObjectName("statTitle")
        self.number = QLabel(LOADING)
        self.number.setObjectName("statNumber")
        self.number.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self.title)
        layout.addWidget(self.number)


class DashboardPage(Page):
    def __init__(self, session: Session, taskman: TaskManager, parent: QWidget | None = None):
        super().__init__(_("Dashboard"), parent)
        self._taskman = taskman
        self._task: Task | None = None
        self._generation = 0
        self.counts: dict[str, int] | None = None

        self.updated = QLabel("")
        self.updated.setObjectName("muted")
        self.refresh_button = QPushButton(_("Refresh"))
        self.refresh_button.setToolTip(_("Count again (F5)"))
        self.refresh_button.setShortcut(QKeySequence(Qt.Key.Key_F5))
        self.refresh_button.clicked.connect(self.refresh)
        self.header_row.addWidget(self.updated)
        self.header_row.addWidget(self.refresh_button)

        station = session.station()
        if station is not None:
            where = " · ".join(part for part in (station["community"], station["street"]) if part)
            intro = QLabel(_("{station}, {where}: live records in this database").format(station=station["name"], where=where)
                           if where else _("{station}: live records in this database").format(station=station["name"]))
            intro.setObjectName("muted")
            intro.setWordWrap(True)
            self.body.addWidget(intro)

        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(16)
        self.cards: dict[str, StatCard] = {}
        for index, (key, title) in enumerate(cards()):
            card = StatCard(key, title)
            self.cards[key] = card
            grid.addWidget(card, index // COLUMNS, index % COLUMNS)
        for column in range(COLUMNS):
            grid.setColumnStretch(column, 1)
        self.body.addLayout(grid)

        self.error = QLabel("")
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        self.error.hide()
        self.body.addWidget(self.error)
        self.body.addStretch(1)

    @property
    def loading(self) -> bool:
        return self._task is not None

    def refresh(self) -> None:
        """Count again on a worker; a newer refresh supersedes one still running."""
        if self._task is not None:
            self._task.cancel()
        for card in self.cards.values():
            card.number.setText(LOADING)
        self.updated.setText(_("Counting…"))
        self.error.hide()
        self._generation += 1
        generation = self._generation
        self._task = self._taskman.db(lambda session: live_counts(session.conn, datetime.now()),
                                      lambda outcome: self._loaded(generation, outcome), owner=self)

    def _loaded(self, generation: int, outcome: Outcome) -> None:
        if generation != self._generation:
            return  # an older refresh, superseded
        self._task = None
        if outcome.cancelled:
            return
        if outcome.error is not None:
            for card in self.cards.values():
                card.number.setText("—")
            self.updated.setText("")
            self.error.setText(_("The counts could not be read: {error}").format(error=outcome.error))
            self.error.show()
            return
        self.counts = dict(outcome.value)
        for key, card in self.cards.items():
            value = self.counts.get(key, 0)
            card.number.setText(count_text(value))
            card.number.setProperty("alert", key in ALERTS and value > 0)
            card.number.style().unpolish(card.number)
            card.number.style().polish(card.number)
        self.updated.setText(_("Updated {time}").format(time=datetime.now().strftime("%H:%M:%S")))
