"""Writing ledgers with xlsxwriter: formula-safe text, text cells for numbers, frozen headers, widths.

A workbook from us is opened by people who did not write it: no cell may be something a
spreadsheet would run. xlsxwriter's ``write_string`` never makes a formula, and
``safe_text`` also puts an apostrophe before text starting with =, +, -, @, tab, CR or LF,
so the cell stays text when someone edits it or copies it to a CSV file. Id numbers and
phones go in as text in text-formatted columns, so no digit is lost.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import tempfile
import unicodedata
from datetime import date, datetime
from pathlib import Path
from typing import NamedTuple

import xlsxwriter

from redstation.paths import publish  # noqa: F401 - the excel writers publish their files with it

from redstation.excel.reading import as_shown
from redstation.i18n import _

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
MAX_ROWS = 1_048_576            # rows of an .xlsx sheet
MIN_WIDTH, MAX_WIDTH = 6, 60    # column widths, in characters of a Latin digit


class Formatted(NamedTuple):
    """A number cell written as the ledger had it, with its number format (``0`` shows 370102196606060000,
    ``General`` 3.70102E+17): an id number Excel already damaged, which must show what the clerk saw."""
    number: float
    code: str = "General"


def safe_text(value: str) -> str:
    """``value`` with an apostrophe in front when a spreadsheet could run it (or when it starts with one).

    ``reading.unquote`` takes the apostrophe off again, so any text survives the round trip.
    """
    if value[:1] in FORMULA_STARTS or value[:1] == "'":
        return "'" + value
    return value


def text_width(value: str) -> int:
    """Width of the longest line in Latin-digit units: a Chinese (wide) character counts two."""
    if "\n" in value:
        return max(text_width(line) for line in value.split("\n"))
    if value.isascii():
        return len(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in value)


def temporary_beside(out: Path, kind: str) -> str:
    """A new empty file in ``out``'s folder to write a workbook into, named so that anyone sees it is unfinished
    (``.~redstation-export-….xlsx.partial``); ``publish`` gives it its name when complete. OSError if the folder
    cannot take it."""
    handle, temporary = tempfile.mkstemp(prefix=".~redstation-{kind}-".format(kind=kind), suffix=".xlsx.partial",
                                         dir=Path(out).parent)
    os.close(handle)
    return temporary


def os_reason(exc: Exception) -> str:
    """Why a file could not be written, in the user's words for the usual causes."""
    known = {errno.EACCES: _("no permission to write there"), errno.EPERM: _("no permission to write there"),
             errno.ENOENT: _("the folder cannot be found, or no file can be made in it"),
             errno.ENOSPC: _("the disk is full"), errno.EROFS: _("the disk is read-only")}
    cause = exc
    for _depth in range(8):  # xlsxwriter wraps it: FileCreateError(OSError)
        if cause is None or isinstance(cause, OSError):
            break
        cause = next((a for a in getattr(cause, "args", ()) if isinstance(a, OSError)), None) \
            or cause.__cause__ or cause.__context__
    exc = cause if isinstance(cause, OSError) else exc
    number = getattr(exc, "errno", None)
    return known.get(number) or getattr(exc, "strerror", None) or str(exc)


def disk_full(exc: BaseException | None) -> bool:
    """Whether ``exc``, or an error it arose from, says that the disk is full: ENOSPC (or a full quota) from the
    system, SQLITE_FULL from SQLite (which may report it as the reason its rollback failed)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if isinstance(exc, sqlite3.Error) and (getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
                                               or "database or disk is full" in str(exc)):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def new_workbook(path) -> xlsxwriter.Workbook:
    """A workbook that streams its rows to disk (constant memory) and never turns text into formulas or numbers."""
    return xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False,
                                           "strings_to_numbers": False, "strings_to_urls": False})


class SheetWriter:
    """Rows into one table: an optional title row, a frozen header row, then the data; widths set at the end.

    A table longer than a sheet can hold continues on a second sheet ("居民 (2)") with the same header.
    """

    def __init__(self, book: xlsxwriter.Workbook, name: str, headers: list[str], *, title: str = "",
                 text_columns: tuple[int, ...] = ()):
        self.book, self.name, self.headers, self.title = book, name, headers, title
        self.text_columns = set(text_columns)
        self.widths = [text_width(h) for h in headers]
        self.sheets: list = []
        self.rows = 0  # data rows written
        self._header = book.add_format({"bold": True, "text_wrap": True, "valign": "vcenter", "align": "center",
                                        "border": 1, "bg_color": "#F2DCDB"})
        self._title = book.add_format({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"})
        self._text = book.add_format({"num_format": "@"})
        self._date = book.add_format({"num_format": "yyyy-mm-dd"})
        self._datetime = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        self._numbers: dict[str, object] = {}  # number format code → format, for Formatted cells
        self._new_sheet()

    def _new_sheet(self) -> None:
        name = self.name if not self.sheets else "{name} ({n})".format(name=self.name, n=len(self.sheets) + 1)
        sheet = self.book.add_worksheet(name)
        self.sheets.append(sheet)
        self._row = 0
        if self.title:
            if len(self.headers) > 1:
                sheet.merge_range(0, 0, 0, len(self.headers) - 1, safe_text(self.title), self._title)
            else:
                sheet.write_string(0, 0, safe_text(self.title), self._title)
            sheet.set_row(0, 24)
            self._row = 1
        for column, header in enumerate(self.headers):
            sheet.write_string(self._row, column, safe_text(header), self._header)
        self._row += 1
        sheet.freeze_panes(self._row, 0)

    def write(self, values: list) -> None:
        if self._row >= MAX_ROWS:
            self._new_sheet()
        sheet, row = self.sheets[-1], self._row
        for column, value in enumerate(values):
            if value is None or value == "":
                continue
            if isinstance(value, str) or (column in self.text_columns and not isinstance(value, (date, bool, Formatted))):
                shown = safe_text(value if isinstance(value, str) else as_shown(value))
                sheet.write_string(row, column, shown, self._text if column in self.text_columns else None)
            elif isinstance(value, Formatted):
                if value.code not in self._numbers:
                    self._numbers[value.code] = self.book.add_format({"num_format": value.code})
                sheet.write_number(row, column, value.number, self._numbers[value.code])
                shown = as_shown(value.number)
            elif isinstance(value, bool):
                sheet.write_boolean(row, column, value)
                shown = "FALSE"
            elif isinstance(value, (int, float)):
                sheet.write_number(row, column, value)
                shown = str(value)
            elif isinstance(value, datetime):
                plain = value.time() == datetime.min.time()
                sheet.write_datetime(row, column, value, self._date if plain else self._datetime)
                shown = "0000-00-00" if plain else "0000-00-00 00:00"
            elif isinstance(value, date):
                sheet.write_datetime(row, column, datetime(value.year, value.month, value.day), self._date)
                shown = "0000-00-00"
            else:  # times and durations, as text
                shown = safe_text(str(value))
                sheet.write_string(row, column, shown)
            if column < len(self.widths) and 2 * len(shown) > self.widths[column]:  # else it cannot be wider
                self.widths[column] = max(self.widths[column], text_width(shown))
        self._row += 1
        self.rows += 1

    def finish(self) -> None:
        """Set the column widths (xlsxwriter writes them when the workbook closes)."""
        for sheet in self.sheets:
            for column, width in enumerate(self.widths):
                fmt = self._text if column in self.text_columns else None
                sheet.set_column(column, column, max(MIN_WIDTH, min(MAX_WIDTH, width + 2)), fmt)
