"""Reading workbooks with python-calamine: sheets, rows with merged cells filled in, display text.

calamine reads a sheet into compact Rust memory (100,000 rows in a few seconds, a fraction
of what openpyxl needs) and hands out one row at a time. It does not fill merged cells, so
``Grid.rows`` does: every cell of a merged range gets the range's top-left value, as the
person who merged them meant. Wide ranges (over several columns) are filled only in the
header area; below it a wide merge is a footer or a note (填表人 … 制表日期 …), not data.

Before calamine reads anything, ``open_workbook`` refuses what could hurt the program: a file
larger than ``MAX_FILE``, and (``ooxml.check``) a zip bomb, an XML document type declaration,
a sheet whose cells span more than calamine can hold. Macros of an .xlsm file are never run:
calamine reads the values the cells hold, and nothing else of the workbook is executed.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Iterator

import python_calamine

from redstation.excel import LedgerFileError, ooxml
from redstation.i18n import _
from redstation.paths import log_dir

SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
MAX_FILE = 512 * 1024 ** 2   # bytes of a workbook: a ledger of a million rows is far smaller
MAX_CELL = 32_767            # characters (UTF-16 units) a spreadsheet cell holds


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


def text_length(value: str) -> int:
    """The length of a text as a spreadsheet counts it (UTF-16 units: a character outside the BMP counts two)."""
    return len(value) if value.isascii() else len(value.encode("utf-16-le")) // 2


def _size(size: int) -> str:
    """512 MB, 64 KB."""
    if size >= 1024 ** 2:
        return "{n:,} MB".format(n=round(size / 1024 ** 2))
    return "{n:,} KB".format(n=max(1, round(size / 1024)))


@dataclass
class Workbook:
    """An open workbook: calamine's reader, and what ``ooxml.check`` found in it (None for an .xls file)."""

    book: python_calamine.CalamineWorkbook
    path: Path
    checked: ooxml.Checked | None = None

    @property
    def macros(self) -> bool:
        return bool(self.checked and self.checked.macros)

    def close(self) -> None:
        self.book.close()


def _refused(path: Path, unsafe: ooxml.Unsafe) -> LedgerFileError:
    """What to say about a workbook ``ooxml.check`` refused."""
    detail = unsafe.detail
    if unsafe.kind == "large":
        return LedgerFileError(_("{path} unpacks to more than {size}: it is too large for a ledger; split it into "
                                 "several workbooks").format(path=path, size=_size(detail["limit"])))
    if unsafe.kind == "bomb":
        return LedgerFileError(_("{path} unpacks to far more than it holds ({part}): it is refused as a zip "
                                 "bomb").format(path=path, part=unsafe.part))
    if unsafe.kind == "dtd":
        return LedgerFileError(_("{path} holds an XML document type declaration ({part}), which Excel never writes "
                                 "(a way to attack the programs that read it): it is refused").format(
            path=path, part=unsafe.part))
    if unsafe.kind == "extent":
        return LedgerFileError(_("{path}: the sheet {sheet} has cells as far as {cell} ({rows} rows by {columns} "
                                 "columns), more than a ledger holds; delete what lies below or to the right of the "
                                 "ledger").format(path=path, sheet=detail.get("sheet", unsafe.part),
                                                  cell=column_letter(detail["columns"] - 1) + str(detail["rows"]),
                                                  rows=detail["rows"], columns=detail["columns"]))
    log = _log_technical(path, unsafe)
    return LedgerFileError(_("{path} is damaged or is not an Excel workbook (details in {log})").format(path=path, log=log))


def open_workbook(path: str | Path) -> Workbook:
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
    size = path.stat().st_size
    if size == 0:
        raise LedgerFileError(_("{path} is empty (0 bytes): it is not a workbook").format(path=path))
    if size > MAX_FILE:
        raise LedgerFileError(_("{path} is {size}, more than the {limit} a ledger may be: split it into several "
                                "workbooks").format(path=path, size=_size(size), limit=_size(MAX_FILE)))
    checked = None
    if path.suffix.lower() != ".xls":
        try:
            checked = ooxml.check(path)
        except ooxml.Unsafe as exc:
            raise _refused(path, exc) from None
        except zipfile.BadZipFile:
            pass  # not a zip archive: an encrypted workbook, or no workbook at all; calamine says which
        except OSError as exc:
            raise LedgerFileError(_("{path} cannot be read ({error})").format(path=path, error=exc.strerror or exc)) from None
    try:
        return Workbook(python_calamine.CalamineWorkbook.from_path(str(path)), path, checked)
    except python_calamine.PasswordError:
        raise LedgerFileError(_("{path} is protected by a password; save it without one first").format(path=path)) from None
    except OSError as exc:
        raise LedgerFileError(_("{path} cannot be read ({error})").format(path=path, error=exc.strerror or exc)) from None
    except Exception as exc:  # calamine's errors: a damaged file, or another kind of file named .xlsx
        log = _log_technical(path, exc)
        raise LedgerFileError(_("{path} is damaged or is not an Excel workbook (details in {log})").format(
            path=path, log=log)) from None


def worksheets(book: Workbook, path: Path) -> list[tuple[str, bool]]:
    """(name, visible) of the worksheets of ``book``, in their order (chart sheets left out)."""
    return [(meta.name, meta.visible == python_calamine.SheetVisibleEnum.Visible) for meta in book.book.sheets_metadata
            if meta.typ == python_calamine.SheetTypeEnum.WorkSheet]


def grid(book: Workbook, path: Path, name: str) -> "Grid":
    """The sheet ``name`` of ``book``; LedgerFileError when it cannot be read."""
    cells = book.checked.sheet(name) if book.checked is not None else None
    try:
        return Grid(name, book.book.get_sheet_by_name(name), cells.uncalculated if cells is not None else None)
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
    """One sheet's cells, row by row, with merged ranges filled in; ``uncalculated`` holds the formulas without a
    calculated value, (row, column) 0-based → the formula's text, whose cells calamine reads as empty."""

    def __init__(self, name: str, sheet: python_calamine.CalamineSheet,
                 uncalculated: dict[tuple[int, int], str] | None = None):
        self.name = name
        self._sheet = sheet
        self.uncalculated = uncalculated or {}
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
