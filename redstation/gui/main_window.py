"""The main window: a navigation list on the left, the pages on the right, who and what in the status bar."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QMainWindow, QStackedWidget,
                               QVBoxLayout, QWidget)

from redstation import NAME, __version__
from redstation.domain import roles
from redstation.domain.vocab import ROLES, label
from redstation.gui.icon import application_icon
from redstation.gui.pages import Page, hide_what_is_not_allowed
from redstation.gui.pages.dashboard import DashboardPage
from redstation.gui.pages.exchange import ExchangePage
from redstation.gui.pages.meetings import MeetingsPage
from redstation.gui.pages.register import ANY_CATEGORY, RegisterPage
from redstation.gui.pages.settings import SettingsPage
from redstation.gui.pages.tickets import TicketsPage
from redstation.gui.pages.visits import VisitsPage
from redstation.gui.pages.volunteers import VolunteersPage
from redstation.gui.search import SearchBox
from redstation.gui.style import STYLE_SHEET
from redstation.gui.tasks import TaskManager
from redstation.i18n import _
from redstation.services.session import Session

NAV_WIDTH = 204
MINIMUM_SIZE = QSize(1024, 640)
DEFAULT_SIZE = QSize(1280, 800)


def app_title() -> str:
    return _("Red-property service station ledger")


def window_title(station_name: str | None) -> str:
    if not station_name:
        return app_title()
    return _("{station} — Red-property service station ledger").format(station=station_name)


class MainWindow(QMainWindow):
    """The pages the user's role may see (``roles.PAGES``); locking and switching users are the Doorman's."""

    lock_requested = Signal()
    switch_requested = Signal()

    def __init__(self, session: Session, taskman: TaskManager | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.taskman = taskman or TaskManager(self, session=session)
        station = session.station()
        self.setWindowTitle(window_title(station["name"] if station else None))
        self.setWindowIcon(application_icon())
        self.setMinimumSize(MINIMUM_SIZE)
        self.resize(DEFAULT_SIZE)
        self.setStyleSheet(STYLE_SHEET)

        may = roles.PAGES.get(session.actor.role, ("settings",))  # the services refuse the rest anyway
        self.dashboard = DashboardPage(session, self.taskman) if "dashboard" in may else None
        self.register = RegisterPage(session, self.taskman) if "register" in may else None
        self.visits = VisitsPage(self.taskman) if "visits" in may else None
        self.tickets = TicketsPage(self.taskman) if "tickets" in may else None
        self.volunteers = VolunteersPage(self.taskman) if "volunteers" in may else None
        self.meetings = MeetingsPage(self.taskman) if "meetings" in may else None
        self.exchange = ExchangePage(session, self.taskman) if "exchange" in may else None
        self.settings = SettingsPage(session, self.taskman)
        self.pages: list[Page] = [page for page in (self.dashboard, self.register, self.visits, self.tickets,
                                                    self.volunteers, self.meetings, self.exchange, self.settings)
                                  if page is not None]
        refresh = self.refresh_dashboard
        if self.dashboard is not None:
            self.dashboard.open_list.connect(self.drill_down)
        if self.tickets is not None:
            self.tickets.ticket_changed.connect(refresh)
        if self.register is not None:
            self.register.panel.ticket_requested.connect(self.new_ticket_for)
            self.register.panel.visits_requested.connect(self.show_visits_of)
        for page, signal in ((self.visits, "visit_logged"), (self.volunteers, "data_changed"),
                             (self.meetings, "meeting_changed"), (self.exchange, "data_changed")):
            if page is not None:
                getattr(page, signal).connect(refresh)

        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setFixedWidth(NAV_WIDTH)
        self.nav.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.stack = QStackedWidget()
        for number, page in enumerate(self.pages, start=1):
            item = QListWidgetItem(page.title)
            item.setToolTip(_("{page} (Ctrl+{number})").format(page=page.title, number=number))
            self.nav.addItem(item)
            self.stack.addWidget(page)
            if number <= 9:
                shortcut = QShortcut(QKeySequence("Ctrl+{number}".format(number=number)), self)
                shortcut.activated.connect(lambda index=number - 1: self.show_page(index))
        self.nav.currentRowChanged.connect(self._row_changed)

        brand = QLabel(_("Red-property service station ledger"))
        brand.setObjectName("brand")
        brand.setWordWrap(True)
        brand.setFixedWidth(NAV_WIDTH)
        left = QVBoxLayout()
        left.setContentsMargins(0, 0, 0, 0)
        left.setSpacing(0)
        left.addWidget(brand)
        left.addWidget(self.nav, 1)

        central = QWidget()
        self.search = SearchBox(self.taskman, central)
        self.search.chosen.connect(self.show_resident)
        self.search.setVisible(self.register is not None)   # a guard finds households on the visits page
        QShortcut(QKeySequence("Ctrl+F"), self, self.focus_search)
        QShortcut(QKeySequence("Ctrl+L"), self, self.lock_requested.emit)
        top = QHBoxLayout()
        top.setContentsMargins(28, 12, 28, 0)
        top.addWidget(self.search, 3)
        top.addStretch(2)
        right = QVBoxLayout()
        right.setContentsMargins(0, 0, 0, 0)
        right.setSpacing(0)
        right.addLayout(top)
        right.addWidget(self.stack, 1)
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addLayout(left)
        row.addLayout(right, 1)
        self.setCentralWidget(central)

        actor = session.actor
        self.user_label = QLabel(_("User: {name} ({role})").format(name=actor.name, role=label(ROLES, actor.role)))
        self.switch_label = QLabel('<a href="switch">{switch}</a> · <a href="lock">{lock}</a>'.format(
            switch=_("Switch user"), lock=_("Lock (Ctrl+L)")))
        self.switch_label.setToolTip(_("Leave the window to another user, or lock it while you are away"))
        self.switch_label.linkActivated.connect(
            lambda link: (self.switch_requested if link == "switch" else self.lock_requested).emit())
        self.db_label = QLabel(_("Database: {path}").format(path=session.path))
        self.db_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.statusBar().addWidget(self.user_label)
        self.statusBar().addWidget(self.switch_label)
        self.statusBar().addPermanentWidget(self.db_label)
        self.version_label = QLabel('<a href="about" style="color: #444444; text-decoration: none;">{name} {version}</a>'
                                    .format(name=NAME, version=__version__))
        self.version_label.setToolTip(_("About this program"))
        self.version_label.linkActivated.connect(lambda _link: self.settings.show_about())
        self.statusBar().addPermanentWidget(self.version_label)
        self.statusBar().setSizeGripEnabled(True)

        hide_what_is_not_allowed(self, actor.role)
        self.nav.setCurrentRow(0)
        self.refresh_dashboard()

    def refresh_dashboard(self) -> None:
        if self.dashboard is not None:
            self.dashboard.refresh()

    def open_page(self, page: Page | None) -> bool:
        """Show ``page``; False when this user has no such page."""
        if page is None:
            return False
        self.show_page(self.pages.index(page))
        return True

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def show_resident(self, household_id: str, resident_id: str) -> None:
        """Open a resident's household on the register page (from the search box)."""
        if self.open_page(self.register):
            self.register.show_household(household_id, resident_id)

    def drill_down(self, key: str, detail=None) -> None:
        """Open the list behind a figure of the dashboard."""
        if key in ("visits_overdue", "visits_due"):
            if self.open_page(self.visits):
                self.visits.show_round()
        elif key in ("visits", "coverage"):
            if self.open_page(self.visits):
                self.visits.show_period("week" if key == "visits" else "month")
        elif key in ("tickets_open", "tickets_late", "tickets", "resolve", "tickets_kind"):
            if self.open_page(self.tickets):
                self.tickets.show_filtered(status="open" if key in ("tickets_open", "tickets_late") else None,
                                           kind=detail if key == "tickets_kind" else None,
                                           days=None if key in ("tickets_open", "tickets_late", "tickets") else 30)
        elif key in ("households", "residents", "key_households"):
            if self.open_page(self.register):
                self.register.show_list("residents" if key == "residents" else "households",
                                        category=ANY_CATEGORY if key == "key_households" else None)
        elif key in ("volunteers", "activities", "hours"):
            if self.open_page(self.volunteers):
                self.volunteers.show_tab("activities" if key == "activities" else "volunteers")
        elif key == "meetings":
            self.open_page(self.meetings)
        elif key == "satisfaction":
            self.dashboard.open_surveys()

    def new_ticket_for(self, resident: dict) -> None:
        """Accept a ticket for a resident (from the register's household view)."""
        if self.open_page(self.tickets):
            self.tickets.new_ticket(resident)

    def show_visits_of(self, household: dict) -> None:
        """The visit history of one household (from the register's household view)."""
        if self.open_page(self.visits):
            self.visits.show_history(household)

    def show_page(self, index: int) -> None:
        if 0 <= index < len(self.pages):
            self.nav.setCurrentRow(index)

    def current_page(self) -> Page:
        return self.stack.currentWidget()

    def _row_changed(self, row: int) -> None:
        if 0 <= row < len(self.pages):
            self.stack.setCurrentIndex(row)
            self.pages[row].activated()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.taskman.shutdown()
        super().closeEvent(event)


def build_main_window(session: Session, taskman: TaskManager | None = None) -> MainWindow:
    """The main window for ``session`` (acting as ``session.actor``); the dashboard starts counting at once."""
    return MainWindow(session, taskman)
