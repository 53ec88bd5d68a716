"""Reading workbooks with python-calamine: sheets, rows with merged cells filled in, display text.

calamine reads a sheet into compact Rust memory (100,000 rows in a few seconds, a fraction
of what openpyxl needs) and hands out one row at a time. It does not fill merged cells, so
``Grid.rows`` does: every cell of a merged range gets the range's top-left value, as the
person who merged them meant. Wide ranges (over several columns) are filled only in the
header area; below it a wide merge is a footer or a note (填表人 … 制表日期 …), not data.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Iterator

import python_calamine

from redstation.excel import LedgerFileError
from redstation.i18n import _
from redstation.paths import log_dir

SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def unquote(value):
    """A text cell without the apostrophe a formula-safe writer put before it (see writing.safe_text)."""
    if isinstance(value, str) and value.startswith("'"):
        return value[1:]
    return value


def display(value) -> str:
    """A cell as a person reads it: 370102198001011234, 1949-10-01, 3.70102E+17 for a number that lost digits."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if abs(value) >= 1e15:
            return "{v:.5E}".format(v=value)  # as Excel shows a long number in a General cell: 3.70102E+17
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def as_shown(value) -> str:
    """A long number as Excel shows it in a "0" format (15 significant digits): 370102198001011000."""
    if isinstance(value, float) and abs(value) >= 1e15:
        return format(Decimal("{v:.15g}".format(v=value)), "f")
    if isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer():
        return str(int(value))
    return display(value)


def _log_technical(path: Path, error: Exception) -> Path:
    """Keep the reader's own (English, technical) words about a refused file in the log; return the log's path."""
    log = log_dir() / "ledger-files.log"
    try:
        with open(log, "a", encoding="utf-8") as file:
            file.write("{at} {path}: {kind}: {error}\n".format(at=datetime.now().isoformat(timespec="seconds"), path=path,
                                                               kind=type(error).__name__, error=error))
    except OSError:
        pass
    return log


def open_workbook(path: str | Path) -> python_calamine.CalamineWorkbook:
    """The workbook at ``path``, or LedgerFileError naming the file and what is wrong."""
    path = Path(path)
    if not path.exists():
        raise LedgerFileError(_("There is no file {path}").format(path=path))
    if path.is_dir():
        raise LedgerFileError(_("{path} is a folder, not a workbook").format(path=path))
    if not os.access(path, os.R_OK):
        raise LedgerFileError(_("{path} cannot be read (no permission)").format(path=path))
    if path.suffix.lower() not in SUFFIXES:
        raise LedgerFileError(_("{path} is not an Excel workbook (.xlsx, .xls or .ods)").format(path=path))
    try:
        return python_calamine.CalamineWorkbook.from_path(str(path))
    except python_calamine.PasswordError:
        raise LedgerFileError(_("{path} is protected by a password; save it without one first").format(path=path)) from None
    except OSError as exc:
        raise LedgerFileError(_("{path} cannot be read ({error})").format(path=path, error=exc.strerror or exc)) from None
    except Exception as exc:  # calamine's errors: a damaged file, or another kind of file named .xlsx
        log = _log_technical(path, exc)
        raise LedgerFileError(_("{path} is damaged or is not an Excel workbook (details in {log})").format(
            path=path, log=log)) from None


def worksheets(book: python_calamine.CalamineWorkbook, path: Path) -> list[tuple[str, bool]]:
    """(name, visible) of the worksheets of ``book``, in their order (chart sheets left out)."""
    return [(meta.name, meta.visible == python_calamine.SheetVisibleEnum.Visible) for meta in book.sheets_metadata
            if meta.typ == python_calamine.SheetTypeEnum.WorkSheet]


def grid(book: python_calamine.CalamineWorkbook, path: Path, name: str) -> "Grid":
    """The sheet ``name`` of ``book``; LedgerFileError when it cannot be read."""
    try:
        return Grid(name, book.get_sheet_by_name(name))
    except Exception as exc:  # noqa: BLE001 - calamine's errors
        log = _log_technical(path, exc)
        raise LedgerFileError(_("The sheet {sheet} of {path} is damaged and cannot be read (details in {log})").format(
            sheet=name, path=path, log=log)) from None


@dataclass
class Row:
    index: int            # 0-based; the spreadsheet's row number is index + 1
    cells: list           # by 0-based column index; "" for an empty cell
    merged_only: bool     # the row holds nothing but wide merged cells (a footer, a note across the sheet)


class Grid:
    """One sheet's cells, row by row, with merged ranges filled in."""

    def __init__(self, name: str, sheet: python_calamine.CalamineSheet):
        self.name = name
        self._sheet = sheet
        start, end = sheet.start, sheet.end
        self.empty = start is None or end is None
        self.first_column = 0 if self.empty else start[1]
        self.width = 0 if self.empty else end[1] + 1             # columns A … the last one used
        self.height = 0 if self.empty else end[0] + 1            # rows 1 … the last one used
        self.merged = sorted(sheet.merged_cell_ranges or [])     # ((row, col), (row, col)), 0-based, top-left first
        for (_r0, _c0), (_r1, c1) in self.merged:
            self.width = max(self.width, c1 + 1)

    def rows(self, wide_until: int) -> Iterator[Row]:
        """Every row from the first; wide merged ranges starting at a row index below ``wide_until`` are filled."""
        if self.empty:
            return
        pad = [""] * self.first_column
        ranges = self.merged
        next_range = 0
        active: dict[int, tuple[int, object, int, int]] = {}   # column → (last row, value, top row, left column)
        for index, values in enumerate(self._sheet.iter_rows()):
            cells = pad + [v[1:] if v.__class__ is str and v[:1] == "'" else v for v in values]  # unquote, inline for speed
            if len(cells) < self.width:
                cells.extend([""] * (self.width - len(cells)))
            wide_starts = set()
            while next_range < len(ranges) and ranges[next_range][0][0] <= index:
                (r0, c0), (r1, c1) = ranges[next_range]
                next_range += 1
                if r0 < index:
                    continue
                if c1 > c0 and index >= wide_until:
                    wide_starts.add(c0)
                    continue
                for column in range(c0, c1 + 1):
                    active[column] = (r1, cells[c0], r0, c0)
            for column, (last, value, top, left) in list(active.items()):
                if index > last:
                    del active[column]
                elif (index, column) != (top, left):
                    cells[column] = value
            merged_only = bool(wide_starts) and all(v == "" or c in wide_starts for c, v in enumerate(cells))
            yield Row(index, cells, merged_only)
