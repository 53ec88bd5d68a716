"""The search box above every page: find a resident as you type.

Name or part of it, pinyin initials or full pinyin, the last digits of a phone or id number,
building-room such as 3-304. The query runs on the database thread a moment after the last
key; a newer query supersedes an older one. Down/Up move through the results, Enter opens
the chosen resident's household on the register page, Esc closes the list.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QFrame, QLineEdit, QListWidget, QListWidgetItem, QWidget

from redstation.domain import phone
from redstation.domain.vocab import GENDERS, RESIDENT_STATUSES, label
from redstation.gui.pages.register import age
from redstation.gui.tasks import Outcome, TaskManager
from redstation.i18n import _
from redstation.services import search as search_service

DELAY_MS = 120
LIMIT = 12


def result_text(item: dict) -> str:
    """张长锁  男 75岁  阳光花园 3-2-301  138****5678"""
    parts = [item["name"]]
    facts = " ".join(part for part in (label(GENDERS, item.get("gender")),
                                       _("{age} years").format(age=age(item["birth_date"])) if item.get("birth_date") else "")
                     if part)
    if facts:
        parts.append(facts)
    parts.append(item["address"])
    if item.get("phone"):
        parts.append(phone.mask(item["phone"]))
    if item.get("status") and item["status"] != "active":
        parts.append(_("({status})").format(status=label(RESIDENT_STATUSES, item["status"])))
    return "   ".join(parts)


class SearchBox(QLineEdit):
    chosen = Signal(str, str)  # household id, resident id

    def __init__(self, taskman: TaskManager, overlay: QWidget, parent: QWidget | None = None):
        """``overlay``: the widget the result list floats over (the window's central widget)."""
        super().__init__(parent)
        self.taskman = taskman
        self.overlay = overlay
        self.setObjectName("searchBox")
        self.setPlaceholderText(_("Find a resident: name, pinyin initials, phone or id tail, building-room (Ctrl+F)"))
        self.setClearButtonEnabled(True)
        self.results = QListWidget(overlay)
        self.results.setObjectName("searchResults")
        self.results.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.results.setFrameShape(QFrame.Shape.StyledPanel)
        self.results.hide()
        self.results.itemClicked.connect(self._choose)
        self.items: list[dict] = []
        self.searching = False
        self._generation = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DELAY_MS)
        self._timer.timeout.connect(self.run)
        self._choose_pending = False
        self._hide_timer = QTimer(self)
        self._hide_timer.setSingleShot(True)
        self._hide_timer.setInterval(150)
        self._hide_timer.timeout.connect(self._hide_unless_focused)
        self.textChanged.connect(lambda _text: self._timer.start())

    def run(self) -> None:
        """Search for what is typed now (called a moment after the last key)."""
        self._timer.stop()
        query = self.text().strip()
        self._generation += 1
        generation = self._generation
        if not query:
            self.searching = self._choose_pending = False
            self._show([])
            return
        self.searching = True
        self.taskman.db(lambda session: search_service.search(session, query, limit=LIMIT),
                        lambda outcome: self._found(generation, outcome), owner=self)

    def _found(self, generation: int, outcome: Outcome) -> None:
        if generation != self._generation:
            return
        self.searching = False
        if outcome.error is not None:
            self._show([], _("The search failed: {error}").format(error=outcome.error))
        elif outcome.ok:
            self._show(outcome.value)
            if self._choose_pending:
                self._choose()
        self._choose_pending = False

    def _show(self, items: list[dict], message: str | None = None) -> None:
        self.items = items
        self.results.clear()
        if not self.text().strip():
            self.results.hide()
            return
        if not items:
            message = message or _("Nobody found for {query}").format(query=self.text().strip())
            none = QListWidgetItem(message)
            none.setFlags(Qt.ItemFlag.NoItemFlags)
            self.results.addItem(none)
        for item in items:
            self.results.addItem(QListWidgetItem(result_text(item)))
        if items:
            self.results.setCurrentRow(0)
        where = self.mapTo(self.overlay, QPoint(0, self.height() + 2))
        rows = max(1, len(items))
        room = max(self.results.sizeHintForRow(0) * 3, self.overlay.height() - where.y() - 4)  # inside a small dialog too
        self.results.setGeometry(where.x(), where.y(), min(max(self.width(), 560), self.overlay.width() - where.x() - 4),
                                 min(min(rows, LIMIT) * self.results.sizeHintForRow(0) + 8, room))
        self.results.show()
        self.results.raise_()

    def _choose(self, item: QListWidgetItem | None = None) -> None:
        row = self.results.row(item) if item is not None else self.results.currentRow()
        if not 0 <= row < len(self.items):
            return
        chosen = self.items[row]
        self.results.hide()
        self.chosen.emit(chosen["household_id"], chosen["id"])

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Down, Qt.Key.Key_Up) and self.items:
            step = 1 if key == Qt.Key.Key_Down else -1
            self.results.setCurrentRow(max(0, min(len(self.items) - 1, self.results.currentRow() + step)))
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if self._timer.isActive() or self.searching:
                self._choose_pending = True  # Enter right after typing: open the first of this query's results
                if self._timer.isActive():
                    self.run()
            else:
                self._choose()
            return
        if key == Qt.Key.Key_Escape and self.results.isVisible():
            self.results.hide()
            return
        super().keyPressEvent(event)

    def focusOutEvent(self, event) -> None:
        super().focusOutEvent(event)
        self._hide_timer.start()  # a moment later: a click on a result must land first

    def _hide_unless_focused(self) -> None:
        if not self.hasFocus():
            self.results.hide()
