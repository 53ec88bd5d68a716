"""Table models over large tables: the model holds the row keys, the rows come a block at a time.

After Anki's browser table model: the key query runs once on a worker (750,000 residents
are 750,000 integers, two seconds of sorting at street scale, while the database thread
stays free for the search box), ``rowCount`` is known at once, and a block of 256 rows is
fetched on the database thread the first time the view asks for one of its cells; until it
arrives the cells show "…". Nothing here runs SQL on the GUI thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor

from redstation.gui.tasks import Outcome, TaskManager
from redstation.services.session import Session

BLOCK = 256
PENDING = "…"


@dataclass(frozen=True)
class Column:
    title: str
    text: Callable[[dict], str]
    align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
    color: Callable[[dict], str | None] | None = None   # text colour of a cell, e.g. red for overdue


def _cell_data(column: Column, row: dict | None, role: int) -> Any:
    """What a cell of ``row`` shows for ``role``; None where the role has nothing to say."""
    if role == Qt.ItemDataRole.DisplayRole:
        return column.text(row) if row is not None else None
    if role == Qt.ItemDataRole.TextAlignmentRole:
        return int(column.align.value)
    if role == Qt.ItemDataRole.ForegroundRole and row is not None and column.color is not None:
        color = column.color(row)
        return QColor(color) if color else None
    if role == Qt.ItemDataRole.ToolTipRole and row is not None:
        shown = column.text(row)
        return shown if len(shown) > 12 else None
    return None


class ListTableModel(QAbstractTableModel):
    """Rows held in a list (a few thousand at most: the round, a household's visits); read-only."""

    def __init__(self, columns: list[Column], parent=None):
        super().__init__(parent)
        self._columns = columns
        self.rows: list[dict] = []

    def set_rows(self, rows: list[dict]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def row(self, number: int) -> dict | None:
        return self.rows[number] if 0 <= number < len(self.rows) else None

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        return _cell_data(self._columns[index.column()], self.rows[index.row()], role)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal and 0 <= section < len(self._columns):
            return self._columns[section].title
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


class PagedTableModel(QAbstractTableModel):
    """Rows of ``fetch_rows(session, keys)`` for the keys of ``fetch_keys(session)``; read-only."""

    loaded = Signal(int)            # the keys are in: the number of rows
    failed = Signal(str)            # the keys or a block could not be read

    def __init__(self, taskman: TaskManager, columns: list[Column], parent=None):
        super().__init__(parent)
        self._taskman = taskman
        self._columns = columns
        self._fetch_keys: Callable[[Session], list[int]] | None = None
        self._fetch_rows: Callable[[Session, list[int]], list[dict | None]] | None = None
        self._keys: list[int] = []
        self._blocks: dict[int, list[dict | None]] = {}
        self._pending: set[int] = set()
        self._generation = 0          # of the key query: a newer one supersedes
        self._block_generation = 0    # of the blocks: a refresh or a new key list makes older blocks stale
        self.loading = False

    def load(self, fetch_keys: Callable[[Session], list[int]],
             fetch_rows: Callable[[Session, list[int]], list[dict | None]]) -> None:
        """Show the rows of a new query (a filter changed, or data changed): keys first, blocks as needed."""
        self._fetch_keys, self._fetch_rows = fetch_keys, fetch_rows
        self.reload()

    def reload(self) -> None:
        if self._fetch_keys is None:
            return
        self._generation += 1
        generation = self._generation
        self.loading = True
        self._taskman.read(self._fetch_keys, lambda outcome: self._keys_loaded(generation, outcome), owner=self)

    def refresh(self) -> None:
        """Fetch the shown rows again (records edited, none added or removed): cheap, keeps the position."""
        self._block_generation += 1
        self._blocks.clear()
        self._pending.clear()
        if self._keys:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._keys) - 1, len(self._columns) - 1))

    def _keys_loaded(self, generation: int, outcome: Outcome) -> None:
        if generation != self._generation:
            return
        self.loading = False
        if not outcome.ok:
            if outcome.error is not None:
                self.failed.emit(str(outcome.error))
            return
        self.beginResetModel()
        self._block_generation += 1
        self._keys = list(outcome.value)
        self._blocks.clear()
        self._pending.clear()
        self.endResetModel()
        self.loaded.emit(len(self._keys))

    def _request(self, block: int) -> None:
        if block in self._pending:
            return
        self._pending.add(block)
        generation, keys, fetch = self._block_generation, self._keys[block * BLOCK:(block + 1) * BLOCK], self._fetch_rows
        self._taskman.db(lambda session: fetch(session, keys),
                         lambda outcome: self._block_loaded(generation, block, outcome), owner=self)

    def _block_loaded(self, generation: int, block: int, outcome: Outcome) -> None:
        if generation != self._block_generation:
            return
        self._pending.discard(block)
        if not outcome.ok:
            if outcome.error is not None:
                self.failed.emit(str(outcome.error))
            return
        self._blocks[block] = outcome.value
        first = block * BLOCK
        last = min(first + BLOCK, len(self._keys)) - 1
        if last >= first:
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(self._columns) - 1))

    # --- what the views and pages ask ------------------------------------------------------------------------
    def row(self, number: int) -> dict | None:
        """The row shown at ``number`` if its block is loaded, else None (and the block is requested)."""
        if not 0 <= number < len(self._keys):
            return None
        block = self._blocks.get(number // BLOCK)
        if block is None:
            self._request(number // BLOCK)
            return None
        offset = number % BLOCK
        return block[offset] if offset < len(block) else None

    def row_number(self, record_id: str) -> int | None:
        """Where the record ``record_id`` is shown, among the loaded blocks."""
        for block, rows in self._blocks.items():
            for offset, row in enumerate(rows):
                if row is not None and row["id"] == record_id:
                    return block * BLOCK + offset
        return None

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._keys)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._keys)):
            return None
        column = self._columns[index.column()]
        row = self.row(index.row()) if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ForegroundRole,
                                                Qt.ItemDataRole.ToolTipRole) else None
        if role == Qt.ItemDataRole.DisplayRole and row is None:
            return PENDING if (index.row() // BLOCK) not in self._blocks else ""
        return _cell_data(column, row, role)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self._columns[section].title if 0 <= section < len(self._columns) else None
        return str(section + 1)

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
