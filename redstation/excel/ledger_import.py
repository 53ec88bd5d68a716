"""Importing an Excel ledger of households and residents (居民台账), whatever its header wording.

``analyse(path)`` finds the ledger's sheets and their header rows under any title rows and
proposes what each column holds; the window shows that in a dialog where the user may change
it. ``import_ledger(session, path, mapping=…)`` then reads every row below the header of
every sheet that holds a ledger (or of the one sheet named):

- values go through the register's rules (``redstation.domain.register``), so a ledger row
  and a form typed at the window are held to the same checks;
- rows are grouped into households by their normalised address (estate, building, unit,
  room); a household that exists is reused, otherwise created; a row with an address and a
  residence type but no person (a vacant flat) registers the household alone;
- a row that names no estate or building takes it from its sheet's name or title (1号楼,
  幸福小区1号楼居民花名册), else from what the user gave (``estate=``), else the estate is
  guessed (the only one the workbook names, the register's only one, or in an empty register
  the station's community) and the result names those rows;
- a row whose id number belongs to a resident of the same name updates that resident (cells
  left empty keep the stored value; another address moves them) and the change is reported
  field by field; a row without id number updates the resident of the same name in the same
  household, otherwise it is a new resident;
- only fields that differ are written, so importing the same file again changes nothing;
- a bad row is rejected with its sheet, spreadsheet row number, the column and the reason,
  and changes nothing; ``write_rejects`` writes those rows to a workbook the user can fix
  and import directly. So is a row with a cell longer than a spreadsheet cell holds (32,767
  characters), or with a formula Excel never calculated (a file written by a program): its
  cell reads as empty. A formula Excel calculated is read as the value it shows; no formula
  is ever evaluated here, and a text such as ``=1+1`` stays that text.

A file that could hurt the program (a zip bomb, entity tricks, a sheet spanning millions of
empty cells) is refused before it is read (``reading.open_workbook``). The macros of an
.xlsm file are never run: only its cells' values are read, and the import says so.

The whole import is one transaction (``session.write("ledger.import")``) with one audit
entry: a failure, a cancel or ``dry_run`` leaves the database as it was. An import that keeps
its changes leaves a backup of the database as it was before it (``maintenance.BackupBeforeImport``);
a dry run, a failure or a cancel leaves none. The ledger file itself is only ever read.
"""

from __future__ import annotations

import dataclasses
import os
import re
import sqlite3
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable, NamedTuple

import xlsxwriter

from redstation import RedStationError
from redstation.domain import idnumber, phone
from redstation.domain import register as rules
from redstation.domain.register import HOUSEHOLD_FIELDS, RESIDENT_FIELDS, FieldError, text
from redstation.domain.vocab import CARE_CATEGORIES, GENDERS, RELATIONS, RESIDENCE_TYPES, RESIDENT_STATUSES, label
from redstation.excel import Cancelled, LedgerFileError, ooxml, writing
from redstation.excel import columns as cols
from redstation.excel.columns import FIELDS, TEXT_FIELDS
from redstation.excel.reading import (MAX_CELL, Grid, Row, as_shown, column_letter, display, grid as read_grid,
                                      open_workbook, text_length, worksheets)
from redstation.excel.writing import SheetWriter, new_workbook
from redstation.i18n import _
from redstation.services import maintenance
from redstation.services import register as registry
from redstation.services.session import Session, Write
from redstation.store import db

SCAN_ROWS = 30        # the header row is looked for in this many rows from the top
MIN_HEADERS = 2       # a ledger's header row names the name column and at least one other known column
PREVIEW_ROWS = 20
PROGRESS_EVERY = 250  # rows between progress reports (and looks at the cancel button)
CACHE_MB = 64         # SQLite page cache during a large import (within the 500 MB a 100,000-row import may use)
LISTED_ROWS = 20      # row numbers named in one notice

ProgressFn = Callable[[int, int], None]
CancelledFn = Callable[[], bool]


class Column(NamedTuple):
    index: int            # 0-based column of the sheet: A = 0
    header: str           # the header text as written in the file (line breaks left out), or the column letter
    field: str | None     # a key of FIELDS, or None: not imported


@dataclass
class Analysis:
    """What ``analyse`` found in one sheet: enough for the mapping dialog and its preview."""

    path: Path
    sheet: str
    header_row: int                 # the spreadsheet's row number (1-based)
    columns: list[Column]
    data_rows: int                  # rows below the header, blank and footer rows included
    preview: list[list[str]]        # the first non-blank rows below the header, one string per column
    warnings: list[str] = field(default_factory=list)
    # Of the workbook (filled in on the analysis ``analyse`` returns): every sheet that holds a ledger, in the
    # workbook's order, this one included; and the sheets left out, with the reason.
    sheets: list["Analysis"] = field(default_factory=list)
    skipped_sheets: list[tuple[str, str]] = field(default_factory=list)

    @property
    def mapping(self) -> dict[int, str]:
        """The detected mapping, column index → field, as ``import_ledger`` takes it."""
        return {c.index: c.field for c in self.columns if c.field}


@dataclass(frozen=True)
class Reject:
    row: int              # the spreadsheet's row number
    column: str           # header text of the column at fault (or the field's name when no column holds it)
    reason: str
    values: list          # the row's cells, one per column of its sheet (merged cells filled in)
    sheet: str = ""       # the sheet the row is on


@dataclass(frozen=True)
class Change:
    """What an import changed in a resident (or in a household alone), as the user reads it."""

    row: int
    name: str                               # the resident's name; the address for a household alone
    fields: dict[str, tuple[str, str]]      # field label → (before, after); id numbers and phones partly hidden
    sheet: str = ""

    def text(self) -> str:
        return _("; ").join(_("{field}: {old} → {new}").format(field=name, old=old, new=new)
                            for name, (old, new) in self.fields.items())


@dataclass
class ImportedSheet:
    name: str
    header_row: int
    columns: list[Column]
    warnings: list[str] = field(default_factory=list)
    place: tuple[str, str] = ("", "")  # (estate, building) of its rows that name none: from its name, title or the user


def _place_title(place: tuple[str, str]) -> str:
    """A title row that gives a rejects sheet's rows the estate and building they were imported with (幸福小区1号楼),
    as the ledger's sheet name or title did: ``place_in`` reads it back."""
    estate, building = place
    if not (estate or building):
        return ""
    return _("{place} (rejected rows)").format(place=(estate + "小区" if estate else "") + (building + "号楼" if building else ""))


@dataclass
class ImportResult:
    path: Path
    sheet: str                # the first sheet imported (``sheets`` has them all)
    header_row: int
    columns: list[Column]
    dry_run: bool = False
    imported: int = 0         # new residents
    updated: int = 0          # residents (or their household) changed
    unchanged: int = 0        # rows that matched a resident and changed nothing
    skipped: int = 0          # blank rows, repeated header rows, footers
    households_added: int = 0
    households_alone: int = 0  # rows of a household with nobody named (a vacant flat), new or not
    rejected: list[Reject] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    sheets: list[ImportedSheet] = field(default_factory=list)
    skipped_sheets: list[tuple[str, str]] = field(default_factory=list)   # (sheet, why it was not imported)
    notices: list[str] = field(default_factory=list)                      # about rows that were imported
    rejects_path: Path | None = None  # where the rejected rows were written (``rejects=`` of import_ledger)
    backup: str | None = None         # the backup of the database as it was before this import

    @property
    def several_sheets(self) -> bool:
        return len(self.sheets) > 1

    def place(self, sheet: str, row: int) -> str:
        """第 7 行, or 工作表 2号楼 第 7 行 when the import read several sheets."""
        if self.several_sheets and sheet:
            return _("sheet {sheet} row {row}").format(sheet=sheet, row=row)
        return _("row {row}").format(row=row)

    @property
    def warnings(self) -> list[str]:
        """What the user should know about the columns of each sheet and about rows that were imported."""
        found = []
        for sheet in self.sheets:
            for warning in sheet.warnings:
                found.append(_("Sheet {sheet}: {warning}").format(sheet=sheet.name, warning=warning)
                             if self.several_sheets else warning)
        return found + self.notices

    def counts(self) -> dict[str, int]:
        return {"imported": self.imported, "updated": self.updated, "unchanged": self.unchanged,
                "rejected": len(self.rejected), "skipped": self.skipped, "households_added": self.households_added,
                "households_alone": self.households_alone}

    def as_json(self) -> dict:
        """The ``import-ledger --json`` object (the contract's keys, then more)."""
        return {"imported": self.imported, "updated": self.updated, "unchanged": self.unchanged,
                "rejected": [{"row": r.row, "column": r.column, "reason": r.reason, "sheet": r.sheet} for r in self.rejected],
                "changes": [{"row": c.row, "name": c.name, "sheet": c.sheet,
                             "fields": {name: {"old": old, "new": new} for name, (old, new) in c.fields.items()}}
                            for c in self.changes],
                "households_added": self.households_added,
                "households_alone": self.households_alone,
                "sheets": [s.name for s in self.sheets],
                "skipped_sheets": [{"sheet": name, "reason": reason} for name, reason in self.skipped_sheets],
                "warnings": self.warnings}


class _DryRun(Exception):
    """Raised at the end of a dry run so that ``session.write`` rolls everything back."""


# --- finding the sheets and their header rows -----------------------------------------------------------------

def _is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in "WF"


def _header_text(value, index: int) -> str:
    """A header cell as written, on one line: 与户主\n关系 → 与户主关系, Phone\nnumber → Phone number."""
    written = ""
    for line in display(value).splitlines():
        line = " ".join(line.split())
        if line and written and not (_is_wide(written[-1]) or _is_wide(line[0])):
            written += " "
        written += line
    return written or column_letter(index)


def _known(cells: list) -> set[str]:
    return {cols.recognised(v) for v in cells if v != ""} - {None}


def _score(found: set[str]) -> int | None:
    """How many different known headers a row names, or None when it names no name column."""
    if "name" not in found:
        if "head_name" not in found:
            return None
        found = (found - {"head_name"}) | {"name"}
    return len(found)


def _find_header(grid: Grid) -> tuple[int, int, list] | None:
    """(score, row index, cells) of the best header row of ``grid``, or None when no row names a name column.

    The score is the number of different known headers in the row. A row of sub-headers
    (楼栋, 单元, 房号 under a 住址 merged across them) takes the empty cells from the header row
    above it (序号, 姓名 …), so that the sub-headers win over the group header. A tie goes to the
    row right below, because a two-row header with vertically merged cells repeats the upper
    row's names; a header repeated further down (a second table, a printout's page header) loses it.
    """
    best = None
    above = None  # (row index, cells, number of known headers) of the row before
    for row in grid.rows(wide_until=SCAN_ROWS):
        if row.index >= SCAN_ROWS:
            break
        own = _known(row.cells)
        cells = row.cells
        if len(own) >= 2 and above is not None and above[2] >= 2 and above[0] == row.index - 1:
            upper = above[1]
            cells = [upper[n] if value == "" and n < len(upper) else value for n, value in enumerate(cells)]
        score = _score(_known(cells))
        if score is not None and (best is None or score > best[0] or (score == best[0] and row.index == best[1] + 1)):
            best = (score, row.index, cells)
        above = (row.index, row.cells, len(own))
    return best


def _letters(columns: list[Column]) -> str:
    return _(", ").join(_("{letter} ({header})").format(letter=column_letter(c.index), header=c.header) for c in columns)


def _warnings(columns: list[Column]) -> list[str]:
    fields = {c.field for c in columns}
    found = []
    if "id_number" not in fields:
        found.append(_("There is no id number column: residents are matched by name within their household"))
    if not fields & {"building", "room", "address"}:
        found.append(_("There is no address column (楼栋, 房号 or 住址): new residents will be refused"))
    return found


def _columns(grid: Grid, cells: list, hidden: list[tuple[int, int]]) -> tuple[list[Column], list[str]]:
    """The columns of a sheet with their detected fields, and what the user should know about them."""
    columns = []
    unknown = []
    for index in range(grid.first_column, grid.width):
        value = cells[index] if index < len(cells) else ""
        found = cols.recognised(value) if value != "" else None
        columns.append(Column(index, _header_text(value, index), cols.header_field(value) if value != "" else None))
        if value != "" and found is None:
            unknown.append(columns[-1])
    warnings = []
    if not any(c.field == "name" for c in columns):
        head = next((n for n, c in enumerate(columns) if cols.header_key(c.header) in cols.HEAD_NAME_HEADERS), None)
        if head is not None:
            columns[head] = columns[head]._replace(field="name")
            warnings.append(_("There is no 姓名 column: the names are taken from the column {column}, as heads of "
                              "household").format(column=columns[head].header))
    groups: dict[str, list[int]] = {}
    for n, column in enumerate(columns):
        if column.field:
            groups.setdefault(column.field, []).append(n)
    for field_, members in groups.items():
        if len(members) < 2:
            continue
        shown = [n for n in members if not ooxml.is_hidden(hidden, columns[n].index)]
        if shown and len(shown) < len(members):
            hidden_ones = [columns[n] for n in members if n not in shown]
            for n in members:
                if n not in shown:
                    columns[n] = columns[n]._replace(field=None)
            warnings.append(_("The hidden column {hidden} also holds {field}: only the visible column {shown} is "
                              "imported").format(hidden=_letters(hidden_ones), field=label(FIELDS, field_),
                                                 shown=_letters([columns[n] for n in shown])))
            members = shown
        if len(members) < 2:
            continue
        same = [columns[n] for n in members]
        if field_ in ("phone", "other_phone"):
            warnings.append(_("The columns {columns} all hold {field}: the first valid number of a row is its phone, "
                              "the others go to the notes").format(columns=_letters(same), field=label(FIELDS, field_)))
        elif field_ == "address" and len({c.header for c in same}) == 1:
            warnings.append(_("The columns {columns} are one {field} under one header: their cells are read together").format(
                columns=_letters(same), field=label(FIELDS, field_)))
        else:
            warnings.append(_("The columns {columns} all hold {field}: the first one filled in a row is taken").format(
                columns=_letters(same), field=label(FIELDS, field_)))
    if unknown:
        warnings.append(_("Not imported, because their headers are not known: {columns} (in the window you can choose "
                          "what a column holds)").format(columns=_letters(unknown)))
    return columns, warnings + _warnings(columns)


class _Plan(NamedTuple):
    """One sheet to import: its cells, header row, columns and what to say about them."""
    grid: Grid
    header_index: int
    columns: list[Column]
    warnings: list[str]
    score: int
    place: tuple[str, str] = ("", "")   # (estate, building) the sheet's name or title gives its rows that lack them


_YEAR = re.compile(r"^\d{4}年度?")
_PLACE = re.compile(r"(?P<estate>[\w·]*?)(?P<building>[0-9A-Z一二三四五六七八九十]+)(?:号楼|栋|幢|#楼|#)")
_NAMED_ESTATE = re.compile(r"(?P<estate>[\w·]{2,}?小区)")


def place_in(value) -> tuple[str, str] | None:
    """(estate, building) named by a sheet's name or title, or by the user: 幸福小区1号楼居民花名册 → (幸福, 1),
    3栋 → ("", 3), 阳光花园小区居民台账 → (阳光花园, ""); None when it names neither (阳光社区居民花名册)."""
    written = _strip_region(_YEAR.sub("", text(value).replace(" ", "").upper()))
    found = _PLACE.match(written)
    if found:
        return rules.estate(found["estate"].removesuffix("第")), rules.building(found["building"])
    found = _NAMED_ESTATE.match(written)
    if found:
        return rules.estate(found["estate"]), ""
    return None


def _sheet_place(grid: Grid, header_index: int, columns: list[Column]) -> tuple[tuple[str, str], list[str]]:
    """The (estate, building) a sheet's name or, failing that, its title rows give its rows that lack them, and the
    warnings saying so where the sheet has no column of its own for them."""
    found = {"name": place_in(grid.name) or ("", ""), "title": ("", "")}
    title = ""
    if header_index > 0 and not all(found["name"]):
        for row in grid.rows(wide_until=SCAN_ROWS):
            if row.index >= header_index or title:
                break
            for value in dict.fromkeys(v for v in row.cells if isinstance(v, str) and v.strip()):
                if ":" not in value and "：" not in value and cols.recognised(value) is None and place_in(value):
                    found["title"], title = place_in(value), _header_text(value, 0)
                    break
    place = tuple(found["name"][n] or found["title"][n] for n in (0, 1))
    fields = {c.field for c in columns}
    warnings = []
    for n, field_ in enumerate(("estate", "building")):
        if place[n] and field_ not in fields:
            source = (_("the sheet's name {name}").format(name=grid.name) if found["name"][n]
                      else _("the title row {title}").format(title=title))
            warnings.append(_("There is no estate column: rows without an estate are taken to be in {estate} (from "
                              "{source})").format(estate=place[n], source=source) if field_ == "estate" else
                            _("There is no building column: rows without a building are taken to be in building "
                              "{building} (from {source})").format(building=place[n], source=source))
    return place, warnings


def _is_key_sheet(name: str) -> bool:
    """The key households sheet of our own export (重点户, 重点户 (2)): it lists residents of the 居民 sheet again."""
    key = _("Key households")
    return name == key or name.startswith(key + " (")


def _plans(book, path: Path, sheet: str | None) -> tuple[list[_Plan], list[tuple[str, str]]]:
    """The sheets to import (every sheet that holds a ledger, or the one named), and the sheets left out with why."""
    listed = worksheets(book, path)
    if sheet is not None:
        listed = [(name, visible) for name, visible in listed if name == sheet]
        if not listed:
            raise LedgerFileError(_("{path} has no sheet {sheet}").format(path=path, sheet=sheet))
    no_header = _("no header row with a name column (姓名) and another known column in the first {rows} rows").format(
        rows=SCAN_ROWS)
    order = {name: n for n, (name, _visible) in enumerate(listed)}
    hidden = ooxml.hidden_columns(path)
    candidates, skipped = [], []
    for name, visible in listed:
        if not visible and sheet is None:
            skipped.append((name, _("a hidden sheet")))
            continue
        grid = read_grid(book, path, name)
        found = None if grid.empty else _find_header(grid)
        if grid.empty:
            skipped.append((name, _("empty")))
        elif found is None:
            skipped.append((name, no_header))
        else:
            candidates.append((grid, found))
    chosen = [c for c in candidates if c[1][0] >= MIN_HEADERS]
    if not chosen and candidates:  # a lone 姓名 column: take the best such sheet rather than refuse the file
        chosen = [max(candidates, key=lambda c: c[1][0])]
    skipped += [(grid.name, no_header) for grid, found in candidates if all(grid is not g for g, _f in chosen)]
    if sheet is None and any(g.name == _("Residents") for g, _f in chosen):
        for grid, found in list(chosen):
            if _is_key_sheet(grid.name):
                chosen.remove((grid, found))
                skipped.append((grid.name, _("it lists residents of the sheet {sheet} again (a ledger exported by this "
                                             "program)").format(sheet=_("Residents"))))
    if not chosen:
        raise LedgerFileError(_("{path}: no header row with a name column (姓名) in the first {rows} rows").format(
            path=path, rows=SCAN_ROWS))
    plans = []
    for grid, (score, index, cells) in chosen:
        columns, warnings = _columns(grid, cells, hidden.get(grid.name, []))
        place, told = _sheet_place(grid, index, columns)
        plans.append(_Plan(grid, index, columns, told + warnings, score, place))
    skipped.sort(key=lambda item: order.get(item[0], 0))
    return plans, skipped


def _analysis(path: Path, plan: _Plan) -> Analysis:
    grid, index, columns = plan.grid, plan.header_index, plan.columns
    preview = []
    for row in grid.rows(wide_until=index + 1):
        if row.index <= index or row.merged_only:
            continue
        shown = [display(row.cells[c.index]) for c in columns]
        if any(shown):
            preview.append(shown)
        if len(preview) >= PREVIEW_ROWS:
            break
    return Analysis(path, grid.name, index + 1, columns, max(grid.height - index - 1, 0), preview, list(plan.warnings))


def analyse(path: str | Path, *, sheet: str | None = None) -> Analysis:
    """Find the ledger in the workbook at ``path``; LedgerFileError (a RedStationError) says what is wrong.

    Returns the analysis of the sheet that names the most known columns (or of ``sheet``);
    its ``sheets`` lists every sheet that holds a ledger, and ``skipped_sheets`` the others.
    """
    path = Path(path)
    book = open_workbook(path)
    try:
        plans, skipped = _plans(book, path, sheet)
        analyses = [_analysis(path, plan) for plan in plans]
        best = max(range(len(plans)), key=lambda n: (plans[n].score, -n))
        chosen = analyses[best]
        chosen.sheets, chosen.skipped_sheets = analyses, skipped
        if book.macros:
            chosen.warnings.append(_macros_notice())
        return chosen
    finally:
        book.close()


# --- reading the cells of a row ---------------------------------------------------------------------------

_SCIENTIFIC = re.compile(r"\d+(\.\d+)?E\+?\d+")
_YEAR_MONTH = re.compile(r"(\d{4})(?:[-./年](\d{1,2})月?|(\d{2}))")
_FOOTER = re.compile(r"^(?:合计|总计|小计|共计|累计|填表|填报|制表|审核|审批|负责人|签字|签名|盖章|说明|注[:：]|备注[:：]"
                     r"|以下空白|以下无|此页|本页)")
_CONTACT_SEPARATORS = re.compile(r"[、,，;；\n]+")
_PHONE_SEPARATORS = re.compile(r"[、,，;；/\n]+")
_PHONE_IN_TEXT = re.compile(r"\+?\d[\d\- ]{5,}\d")
_NAME_AND_RELATION = re.compile(r"(.*?)\s*\((.*?)\)\s*")


class LostDigits(FieldError):
    """An id number Excel stored as a number: its last digits are gone (``number`` is the cell's number, if it was one)."""

    def __init__(self, shown: str, number: float | None = None):
        super().__init__("id_number", _("Excel stored this id number as a number and has already lost its last digits "
                                        "({shown}); re-enter it as text (format the column as Text, or type an "
                                        "apostrophe ' before the number)").format(shown=shown))
        self.number = number


def id_text(value) -> str:
    """The id number of a cell as text; FieldError when the spreadsheet already destroyed it.

    A number cell of 16 or more digits (or its scientific form 3.70102E+17 as text) kept only
    15 significant digits; a 15-digit number cell is exact (a legacy number, upgraded later).
    """
    if value == "" or value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if abs(value) >= 1e15:
            raise LostDigits(display(float(value)), float(value))
        if float(value).is_integer():
            return str(int(value))
    written = rules.id_text(value)
    if _SCIENTIFIC.fullmatch(written):
        raise LostDigits(written)
    if "*" in written:
        raise FieldError("id_number", _("This id number is masked ({shown}); import a ledger with the full numbers").format(
            shown=written))
    return written


def damaged_as_shown(value, code: str = "General"):
    """A cell of an id number column for the rejects workbook: a long number Excel damaged stays that number, in
    the number format the ledger gave it (``code``), so that it shows what the clerk saw (3.70102E+17, or
    370102196606060000 in a cell of format 0) and the import refuses it again until someone types the number; never
    text of its damaged digits, which would pass the check character about once in eleven."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) >= 1e15:
        return writing.Formatted(float(value), code)
    return value


def _as_formatted(number: float, code: str) -> str:
    """A long number as a cell of format ``code`` shows it: 370102196606060000 for 0, with separators for #,##0."""
    shown = as_shown(number)
    return "{n:,}".format(n=int(shown)) if "," in code else shown


def _year_month(value) -> tuple[int, int | None] | None:
    """(year, month) of a birth cell that gives only those (1949.10, 1949年10月, 194910), else None.

    The month is None for a number cell such as 1949.1, where Excel dropped the zero of
    1949.10: January and October look the same.
    """
    if isinstance(value, float) and not value.is_integer() and 1880 <= value < 2100:
        return int(value), None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    match = _YEAR_MONTH.fullmatch(text(value).replace(" ", ""))
    if not match:
        return None
    year, month = int(match[1]), int(match[2] or match[3])
    return (year, month) if 1 <= month <= 12 else None


def _birth(value, number: str):
    """The birth cell for clean_resident, or None where the id number decides it; FieldError if it cannot."""
    if value == "":
        return None
    month = _year_month(value)
    if month is None and not (number and isinstance(value, date) and value.day == 1):
        return value  # a whole date: clean_resident checks it against the id number
    parsed = None
    if number:
        try:
            parsed = idnumber.parse(number)
        except idnumber.IdNumberError:
            return None  # the id number's own error is the one to report
    if month is not None:
        if parsed is None:
            raise FieldError("birth_date", _("{value} gives only the year and month of birth; write the whole date "
                                             "(1949-10-01)").format(value=display(value)))
        year, month_ = month
        if year != parsed.birth_date.year or month_ not in (None, parsed.birth_date.month):
            raise FieldError("birth_date", _("The date of birth {typed} differs from the id number's {derived}").format(
                typed=display(value), derived=parsed.birth_date.isoformat()))
        return None
    if parsed is not None and isinstance(value, date) and value.day == 1 and value.day != parsed.birth_date.day \
            and (value.year, value.month) == (parsed.birth_date.year, parsed.birth_date.month):
        return None  # a date cell formatted as year-month: Excel stored the 1st of the month
    return value


def _written(value):
    """A free-text cell as the clerk sees it: a number cell (or a formula's number) 2, not 2.0; a date 2026-11-24."""
    return value if isinstance(value, str) else display(value)


def _coded(kind: str, value):
    """The code of a vocabulary cell, or its text (which the register's rules then refuse, naming it)."""
    return cols.lookup(kind, value) or text(value)


_REMARK = re.compile(r"(.*?)\s*\(([^()]*)\)\s*")


def _remark(value) -> tuple[object, str]:
    """A cell without a remark in brackets at its end, and the remark: 309室（车库） → (309室, 车库)."""
    if not isinstance(value, str) or ("(" not in value and "（" not in value):
        return value, ""
    found = _REMARK.fullmatch(text(value))
    return (found[1], found[2].strip()) if found and found[1] else (value, "")


def _contacts(names, phones) -> list[dict]:
    """Emergency contacts from a 紧急联系人 cell (张三（儿子）、李四) and a 紧急联系电话 cell, paired in order."""
    name_items = [t for t in _CONTACT_SEPARATORS.split(unicodedata.normalize("NFKC", display(names))) if t.strip()]
    phone_items = [t for t in _PHONE_SEPARATORS.split(text(phones)) if t.strip()]
    found = []
    for n in range(max(len(name_items), len(phone_items))):
        item = name_items[n].strip() if n < len(name_items) else ""
        number = phone_items[n].strip() if n < len(phone_items) else ""
        written = _PHONE_IN_TEXT.search(item)
        if written and not number:
            number, item = written.group(0), (item[:written.start()] + item[written.end():]).strip()
        named = _NAME_AND_RELATION.fullmatch(item)
        name, relation = (named[1], named[2]) if named else (item, "")
        found.append({"name": name, "relation": relation.strip(), "phone": number})
    return found


# --- phones as clerks write them ------------------------------------------------------------------------------

# Cells that say "no phone" on purpose.
NO_VALUE = ("无", "/", "-", "--", "—", "——", "暂无", "没有", "无电话", "不详", "空")
# Words that only say that a phone number follows (电话：138…, 手机138…): not a note.
PHONE_LABELS = ("电话", "手机", "手机号", "手机号码", "电话号码", "联系电话", "联系方式", "号码", "移动电话", "座机", "固话",
                "固定电话", "TEL", "Tel", "tel", "PHONE", "Phone", "phone", "电")
_NUMBER = re.compile(r"(?<!\d)(?:(?P<mobile>(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d){8})"
                     r"|(?P<landline>\(?0\d{2,3}\)?[\s-]?[2-9]\d{2,3}[\s-]?\d{4})"
                     r"|(?P<local>[2-9]\d{2,3}[\s-]?\d{4}))(?!\d)")
_EDGES = re.compile(r"^[\W_]+|[\W_]+$")


class _Phones(NamedTuple):
    phone: str            # the first valid number of the row's phone columns, or ""
    others: list[str]     # further valid numbers
    local: list[str]      # numbers without their area code (88886666)
    words: list[str]      # what else the cells say (女儿), and numbers that are not phones, when the row has a phone


def _read_phone_cells(cells: list[tuple[str, object]]) -> _Phones:
    """The phone columns of a row, (field, cell) in order: the first valid mobile or landline is the phone.

    ``无``, ``/``, ``-``, ``暂无`` … are empty. A cell of the phone column that holds nothing but
    a wrong number (12345, a ten-digit mobile) is refused, as a form would refuse it; anything
    else a cell holds is kept (``others``, ``local``, ``words``) for the notes.
    """
    numbers, local, words = [], [], []
    for field_, value in cells:
        written = text(value)
        if not written or cols.value_key(written) in NO_VALUE:
            continue
        if field_ == "phone" and "*" in written:
            raise FieldError("phone", _("This phone number is masked ({shown}); import a ledger with the full numbers").format(
                shown=written))
        try:
            numbers.append(rules.phone_number(written))
            continue
        except phone.PhoneError:
            pass
        found, found_local, rest = [], [], written
        for match in _NUMBER.finditer(written):
            token = match.group(0)
            if match.group("local"):
                found_local.append(re.sub(r"[\s-]", "", token))
            else:
                try:
                    found.append(rules.phone_number(token))
                except phone.PhoneError:
                    continue
            rest = rest.replace(token, " ", 1)
        rest = " ".join(word for word in (_EDGES.sub("", w) for w in rest.split()) if word and word not in PHONE_LABELS)
        if field_ == "phone" and not found and not found_local and any(ch.isdigit() for ch in rest):
            rules.clean_phone(written)  # nothing but a wrong number: refused with the register's own words
        numbers += found
        local += found_local
        if rest and cols.value_key(rest) not in NO_VALUE:
            words.append(rest)
    unique = list(dict.fromkeys(numbers))
    return _Phones(unique[0] if unique else "", unique[1:], local, words)


def _phone_notes(found: _Phones) -> list[str]:
    """The parts of a phone cell that go to the resident's notes."""
    parts = []
    if found.others:
        parts.append(_("Other phones: {numbers}").format(numbers=_(", ").join(found.others)))
    if found.local:
        parts.append(_("Landline without area code: {numbers}").format(numbers=_(", ").join(found.local)))
    if found.words:
        parts.append(_("Phone note: {text}").format(text=_(", ").join(found.words)))
    return parts


NOTE_SEPARATOR = "；"


def _with_notes(base: str, parts: list[str]) -> str:
    """``base`` with each of ``parts`` it does not hold yet added, so that importing again adds nothing."""
    added = [p for p in parts if p not in base]
    return NOTE_SEPARATOR.join([base] + added if base else added)


# --- addresses as clerks write them -----------------------------------------------------------------------------

_PROVINCE_CITY = re.compile(r"^(?:[^省市]{2,7}?(?:省|自治区))?(?:[^省市区县]{2,7}?市)?")
_DISTRICT = re.compile(r"^[^省市区县]{1,7}?(?:区|县)")
_TOWN = re.compile(r"^[^省市区县]{2,7}?(?:镇|乡)")
_STREET = re.compile(r"^[^省市区县]{2,8}?街道")
_COMMUNITY = re.compile(r"^[^省市区县]{2,8}?社区")
_ESTATE_SUFFIX = re.compile(r"^(?:小区|社区)")
_NUMBERED = re.compile(r"[0-9一二三四五六七八九十](?:号楼|栋|幢|单元|座|#|-)$")


def _strip_region(written: str) -> str:
    """``written`` without a province, city, district, street and community before the estate (may leave nothing).

    A district (…区, …县) or town is only taken after a province or city, so that an estate such
    as 新区花园 keeps its name.
    """
    rest = written
    prefix = _PROVINCE_CITY.match(rest).group(0)
    rest = rest[len(prefix):]
    if prefix:
        for pattern in (_DISTRICT, _TOWN):
            found = pattern.match(rest)
            if found:
                rest = rest[found.end():]
    for pattern in (_STREET, _COMMUNITY):
        found = pattern.match(rest)
        if found:
            rest = rest[found.end():]
    return rest


# --- the import -------------------------------------------------------------------------------------------

# Where to point when a field is at fault: its own column, else the column it came from.
_BLAME = {
    "estate": ("estate", "address"), "building": ("building", "address"), "unit": ("unit", "address"),
    "room": ("room", "address"), "address": ("address", "estate", "building", "room"),
    "birth_date": ("birth_date", "id_number"), "gender": ("gender", "id_number"),
    "emergency_contacts": ("emergency_contact", "emergency_phone"),
    "care_categories": ("care_categories", "political_status"),
    "phone": ("phone", "other_phone"),
}


def _household_changes(before, after, changed: list[str]) -> dict[str, tuple[str, str]]:
    """What changed in a household as the user reads it: residence type and notes."""
    return {label(HOUSEHOLD_FIELDS, f): (_shown(f, before[f]), _shown(f, after[f])) for f in changed
            if f in ("residence_type", "notes")}


def _shown(field_: str, value) -> str:
    """A stored value as the user reads it; id numbers and phones partly hidden."""
    if value is None or value == "" or value == []:
        return _("(empty)")
    if field_ == "id_number":
        return idnumber.mask(value)
    if field_ == "phone":
        return phone.mask(value)
    if field_ in ("gender", "relation", "status", "residence_type"):
        vocab = {"gender": GENDERS, "relation": RELATIONS, "status": RESIDENT_STATUSES, "residence_type": RESIDENCE_TYPES}
        return label(vocab[field_], value)
    if field_ == "care_categories":
        return _(", ").join(label(CARE_CATEGORIES, c) for c in value)
    if field_ == "emergency_contacts":
        return _(", ").join("{name}{relation} {phone}".format(
            name=c["name"], relation=_(" ({relation})").format(relation=c["relation"]) if c.get("relation") else "",
            phone=phone.mask(c["phone"])) for c in value)
    shown = " ".join(str(value).split())
    return shown if len(shown) <= 40 else shown[:39] + "…"


def _rows(numbers: list[int]) -> str:
    """2, 3, 5 … (the first LISTED_ROWS of them)."""
    return _(", ").join(str(r) for r in numbers[:LISTED_ROWS]) + ("…" if len(numbers) > LISTED_ROWS else "")


class _Importer:
    """The rows of one import, inside its open transaction."""

    def __init__(self, change: Write, result: ImportResult, progress: ProgressFn | None, cancelled: CancelledFn | None,
                 plans: list[_Plan], estate: str | None = None):
        self.change, self.conn, self.result = change, change.conn, result
        self.progress, self.cancelled = progress, cancelled
        self.households: dict[tuple, str] = {}      # normalised address → household id
        self.typed: set[str] = set()                # households whose residence type a row of this file set
        self.created: set[str] = set()              # households this import created (only its own rows live there)
        self.seen_ids: dict[str, tuple] = {}        # id number → (sheet, row number)
        self.seen_names: dict[tuple, tuple] = {}    # (address, name) → (sheet, row number, had an id number)
        self.estates: set[str] = set()               # as the register spells them
        self.spellings: dict[str, str] = {}           # estate_key → the register's spelling
        self._estates_longest_first: list[str] = []
        for (registered,) in self.conn.execute("SELECT DISTINCT estate FROM households WHERE deleted = 0"):
            self.add_estate(registered)
        self.lost: list[tuple[int, str, int, int, float]] = []  # (reject index, sheet, row, column, number): see quote_as_shown
        self.today = date.today()
        self.given = (place_in(estate) or (rules.estate(estate), "")) if estate and text(estate) else ("", "")
        self.guess = self.guessed_estate(plans)

    def guessed_estate(self, plans: list[_Plan]) -> tuple[str, str]:
        """(estate, why) for the rows of a sheet that name no estate, when neither the sheet nor the user does: the
        only estate the workbook's sheet names and titles give, else the register's only estate, else (in an empty
        register) the station's community; ("", "") when there is no sensible one."""
        named = {plan.place[0] for plan in plans} - {""}
        if len(named) == 1:
            return named.pop(), _("the only estate the workbook names")
        if len(self.estates) == 1:
            return next(iter(self.estates)), _("the only estate in the register")
        station = self.change.session.station() if not self.estates else None
        community = text(station["community"]) if station is not None else ""
        if community:
            return community, _("the community of the station")
        return "", ""

    # --- cells ---
    def use(self, plan: _Plan) -> None:
        """Read the rows of ``plan``'s sheet from now on."""
        self.sheet, self.columns = plan.grid.name, plan.columns
        self.by_field: dict[str, list[int]] = {}
        for column in plan.columns:
            if column.field:
                self.by_field.setdefault(column.field, []).append(column.index)
        self.headers = {c.index: c.header for c in plan.columns}
        self.uncalculated = plan.grid.uncalculated
        addresses = self.by_field.get("address", [])
        self.joined_address = len(addresses) > 1 and len({self.headers[i] for i in addresses}) == 1
        self.local_rows: list[tuple[int, str]] = []
        # What a row that names no estate or building is taken to be in: the sheet's name or title, else what the
        # user gave, else (estate only) a guess that the result names with its rows.
        estate, building = plan.place
        self.default_building = building or self.given[1]
        self.default_estate, self.guessed = (estate or self.given[0], False) if estate or self.given[0] else \
            (self.guess[0], True)
        self.guessed_rows: list[int] = []
        for imported in self.result.sheets:
            if imported.name == self.sheet:
                imported.place = ("" if self.guessed else self.default_estate, self.default_building)

    def value(self, cells: list, field_: str):
        if field_ == "address" and self.joined_address:  # 住址 merged across 楼栋, 单元, 房号 with no sub-headers
            return "".join(text(cells[i]) for i in self.by_field["address"])
        for index in self.by_field.get(field_, ()):
            value = cells[index]
            if value != "" and not (isinstance(value, str) and not value.strip()):
                return value
        return ""

    def column_for(self, field_: str, cells: list) -> str:
        for candidate in _BLAME.get(field_, (field_,)):
            indexes = self.by_field.get(candidate)
            if indexes:
                filled = [i for i in indexes if cells[i] != ""]
                return self.headers[(filled or indexes)[0]]
        return label(FIELDS, field_) if field_ in FIELDS else label(RESIDENT_FIELDS, field_)

    def where(self, sheet: str, row: int) -> str:
        """How a reason names another row: 第 5 行, or 工作表 1号楼 第 5 行 for a row of another sheet."""
        if sheet != self.sheet:
            return _("sheet {sheet} row {row}").format(sheet=sheet, row=row)
        return _("row {row}").format(row=row)

    # --- the loop ---
    def tick(self, done: int, total: int) -> None:
        if self.cancelled is not None and self.cancelled():
            raise Cancelled()
        if self.progress is not None:
            self.progress(done, total)

    def run(self, plans: list[_Plan]) -> None:
        total = sum(max(plan.grid.height - plan.header_index - 1, 0) for plan in plans)
        self.tick(0, total)
        done = 0
        for plan in plans:
            self.use(plan)
            for row in plan.grid.rows(wide_until=plan.header_index + 1):
                if row.index <= plan.header_index:
                    continue
                done += 1
                if done % PROGRESS_EVERY == 0:
                    self.tick(done, total)
                kind = self.kind_of(row)
                if self.bad_cell(row, everywhere=kind is not None):
                    continue
                if kind is None:
                    self.result.skipped += 1
                    continue
                try:
                    if kind == "household":
                        self.import_household(row)
                    else:
                        self.import_row(row)
                except FieldError as exc:
                    self.reject(row, exc)
            self.note_local_numbers()
            self.note_guessed_estate()
        self.tick(total, total)

    def bad_cell(self, row: Row, *, everywhere: bool) -> bool:
        """Reject the row if a cell it imports holds a formula Excel never calculated or more text than a cell can
        hold (``everywhere``: in any imported column; else only where a person is named: a blank or footer row
        whose name is a formula without a value is no blank row)."""
        if row.merged_only:
            return False
        for column in self.columns:
            if column.field is None or not (everywhere or column.field in ("name", "id_number", "phone", "other_phone")):
                continue
            formula = self.uncalculated.get((row.index, column.index)) if self.uncalculated else None
            value = row.cells[column.index]
            if formula is not None:
                reason = _("The cell holds a formula whose result was never calculated (={formula}): open the file in "
                           "Excel or WPS and save it, then import it again, or type the value").format(formula=formula or "…")
            elif isinstance(value, str) and len(value) > MAX_CELL // 2 and text_length(value) > MAX_CELL:
                reason = _("The cell holds {count} characters, more than the {limit} a spreadsheet cell holds: shorten "
                           "it").format(count=text_length(value), limit=MAX_CELL)
            else:
                continue
            self.result.rejected.append(Reject(row.index + 1, column.header, reason, self.as_typed(row), self.sheet))
            return True
        return False

    def as_typed(self, row: Row) -> list:
        """The cells of a rejected row for the rejects workbook, a formula Excel never calculated as its text."""
        values = [row.cells[c.index] for c in self.columns]
        if self.uncalculated:
            for n, column in enumerate(self.columns):
                formula = self.uncalculated.get((row.index, column.index))
                if formula is not None and values[n] == "":
                    values[n] = "=" + formula
        return values

    def reject(self, row: Row, exc: FieldError) -> None:
        cells = row.cells
        if self.guessed_rows and self.guessed_rows[-1] == row.index + 1:
            self.guessed_rows.pop()  # it was not imported into the guessed estate after all
        self.result.rejected.append(Reject(row.index + 1, self.column_for(exc.field, cells), str(exc),
                                           self.as_typed(row), self.sheet))
        if isinstance(exc, LostDigits) and exc.number is not None:
            column = next((i for i in self.by_field.get("id_number", ()) if cells[i] != ""), None)
            if column is not None:
                self.lost.append((len(self.result.rejected) - 1, self.sheet, row.index, column, exc.number))

    def notice(self, notice: str) -> None:
        if self.result.several_sheets:
            notice = _("Sheet {sheet}: {warning}").format(sheet=self.sheet, warning=notice)
        self.result.notices.append(notice)

    def note_local_numbers(self) -> None:
        if self.local_rows:
            self.notice(_("Rows {rows}: a phone number without its area code ({number}) was kept in the notes, and the "
                          "phone left empty").format(rows=_rows([r for r, _number in self.local_rows]),
                                                     number=self.local_rows[0][1]))

    def note_guessed_estate(self) -> None:
        if self.guessed_rows:
            self.notice(_("Rows {rows} name no estate: they were imported into {estate} ({why}); if that is wrong, name "
                          "the estate for the import (--estate, or “Estate when the sheet has none” in the window)").format(
                rows=_rows(self.guessed_rows), estate=self.default_estate, why=self.guess[1]))

    def kind_of(self, row: Row) -> str | None:
        """"resident", "household" (an address and a residence type, nobody named: a vacant flat) or None: blank
        rows, footers (填表人 …, 合计 …, a note merged across the sheet) and repeated header rows."""
        if row.merged_only:
            return None
        cells = row.cells
        name, number, phone_ = (self.value(cells, f) for f in ("name", "id_number", "phone"))
        if name == "" and number == "" and phone_ == "" and self.value(cells, "other_phone") == "":
            if self.value(cells, "residence_type") != "" and any(self.value(cells, f) != "" for f in cols.ADDRESS_FIELDS) \
                    and not _known([cells[c.index] for c in self.columns]):
                return "household"
            return None
        name = text(name)
        if cols.recognised(name) in ("name", "head_name") or _FOOTER.match(name or text(number) or text(phone_)):
            return None  # 合计 | 3人, 以下空白, 填表人：李四 审核人：王五 …: a footer typed into the data columns
        return "resident"

    # --- one row ---
    def resident_values(self, cells: list) -> tuple[dict, tuple[list[str] | None, bool | None], _Phones]:
        """The row's resident fields for clean_resident (only cells that hold something), its categories, and what
        its phone cells hold."""
        value = self.value
        values = {"name": value(cells, "name")}
        number = id_text(value(cells, "id_number"))
        if number:
            values["id_number"] = number
        birth = _birth(value(cells, "birth_date"), number)
        gender = value(cells, "gender")
        if number:  # the id number decides birth date and sex; typed ones are checked against it
            values["birth_date"], values["gender"] = birth, _coded("gender", gender) if gender != "" else None
        else:
            if birth is not None:
                values["birth_date"] = birth
            if gender != "":
                values["gender"] = _coded("gender", gender)
        for field_, kind in (("relation", "relation"), ("status", "status")):
            if value(cells, field_) != "":
                values[field_] = _coded(kind, value(cells, field_))
        phones = _read_phone_cells([(f, cells[i]) for f in ("phone", "other_phone") for i in self.by_field.get(f, ())])
        if phones.phone:
            values["phone"] = phones.phone
        for field_ in ("care_notes", "notes"):
            if value(cells, field_) != "":
                values[field_] = _written(value(cells, field_))
        contact, contact_phone = value(cells, "emergency_contact"), value(cells, "emergency_phone")
        if contact != "" or contact_phone != "":
            values["emergency_contacts"] = _contacts(contact, contact_phone)
        codes = None
        if value(cells, "care_categories") != "":
            codes, unknown = cols.care_categories(value(cells, "care_categories"))
            if unknown:
                raise FieldError("care_categories", _("Unknown care category {value}").format(value=unknown[0]))
        party = value(cells, "political_status")
        return values, (codes, cols.is_party_member(party) if party != "" else None), phones

    def add_estate(self, spelled: str) -> None:
        self.estates.add(spelled)
        self.spellings.setdefault(rules.estate_key(spelled), spelled)
        # the names looked for inside written addresses: each spelling, and without its 小区
        self._estates_longest_first = sorted(set(self.spellings) | self.estates, key=len, reverse=True)

    def estate(self, value) -> str:
        """The estate a cell names, as the register spells it (阳光花园小区, 阳光花园 and 阳光花园社区 are the registered
        阳光花园, or 阳光花园小区 if that is how the register has it)."""
        estate = rules.estate(value)
        key = rules.estate_key(estate)
        if estate.endswith("社区") and key not in self.spellings and rules.estate_key(estate[:-2]) in self.spellings:
            key = rules.estate_key(estate[:-2])
        return self.spellings.get(key, estate)

    def address(self, cells: list, number_row: int) -> dict | None:
        """Estate, building, unit and room of the row (None when it has no address at all), with the sheet's,
        the user's or the guessed estate and building where the row gives none; a remark in brackets after the
        room (309室（车库）) goes to the household's notes."""
        value = self.value
        estate = self.estate(value(cells, "estate"))
        building, unit = value(cells, "building"), value(cells, "unit")
        room, remark = _remark(value(cells, "room"))
        written, address_remark = _remark(text(value(cells, "address")).replace(" ", ""))
        if text(building) or text(room) or not written:
            if not (estate or text(building) or text(unit) or text(room)):
                return None
            place = {"estate": estate, "building": building, "unit": unit, "room": room}
        else:
            parts = self.split(written, estate)
            if parts is None:
                raise FieldError("address", _("{value} is not an address the program can read: write it as "
                                              "阳光花园3号楼2单元301室, or use columns for building and room").format(value=written))
            place = dict(zip(("estate", "building", "unit", "room"), parts))
        if not place["estate"]:
            if not self.default_estate:
                raise FieldError("estate", _("The estate is missing: fill it in, or name the estate for the import (--estate, "
                                             "or “Estate when the sheet has none” in the window)"))
            place["estate"] = self.default_estate
            if self.guessed:
                self.guessed_rows.append(number_row)
        if self.default_building and not text(place["building"]) and not rules.split_room(place["room"])[0]:
            place["building"] = self.default_building
        place["estate"] = self.estate(place["estate"])
        if remark or address_remark:
            place["notes"] = remark or address_remark
        return place

    def split(self, written: str, estate: str) -> tuple | None:
        """(estate, building, unit, room) of a written address.

        A registered estate is found anywhere in it (the longest name first), after a province,
        city, district or community, and followed by 小区 or 社区 or not; otherwise the estate is
        what comes before the building, without province, city and district (empty when nothing
        comes before it). Without a building (2单元301) it is a room of the sheet's building.
        """
        for known in ([estate.replace(" ", "")] if estate else []) + self._estates_longest_first:
            at = written.find(known) if known else -1
            if at < 0 or _strip_region(written[:at]):
                continue
            parts = rules.split_address(_ESTATE_SUFFIX.sub("", written[at + len(known):]))
            if parts:
                return (estate or known, *parts)
        for start in range(len(written)):
            parts = rules.split_address(written[start:])
            if parts:
                before = written[:start].strip(",，、 ")
                if _NUMBERED.search(before):  # 3号楼2单元 before 308-1: not an estate's name; refuse rather than guess
                    return None
                return (estate or _strip_region(before) or before, *parts)
        if self.default_building:
            building, unit, room = rules.split_room(written)
            if room.isdigit():
                return (estate, building, unit, room)
        return None

    def household(self, key: tuple) -> str | None:
        if key not in self.households:
            found = registry.find_household(self.conn, *key)
            if found is None:
                return None
            self.households[key] = found
        return self.households[key]

    def same_name(self, household_id: str, name: str, without_id_number: bool):
        sql = "SELECT * FROM residents WHERE household_id = ? AND name = ? AND deleted = 0"
        if without_id_number:
            sql += " AND id_number IS NULL"
        return self.conn.execute(sql + " ORDER BY created_at LIMIT 1", (household_id, name)).fetchone()

    def remember_household(self, key: tuple, created: str) -> None:
        self.households[key] = created
        self.typed.add(created)
        self.created.add(created)
        self.result.households_added += 1
        if key[0] not in self.estates:
            self.add_estate(key[0])

    def residence(self, cells: list) -> tuple[str | None, str]:
        """The row's residence type (None when its cell is empty) and a remark in brackets after it (出租（群租））."""
        written = self.value(cells, "residence_type")
        if written == "":
            return None, ""
        code = cols.lookup("residence", written)
        if code is None:
            written, remark = _remark(written)
            code = cols.lookup("residence", written)
            if code is not None:
                return code, remark
        return code or text(written), ""

    def import_household(self, row: Row) -> None:
        """A row with an address and a residence type and nobody named: the household alone (a vacant flat). It
        counts in ``households_alone`` (and in ``households_added`` when new), never as a resident."""
        cells = row.cells
        place = self.address(cells, row.index + 1)
        kind, remark = self.residence(cells)
        house = rules.clean_household({**place, "residence_type": kind})
        key = (house["estate"], house["building"], house["unit"], house["room"])
        notes = [n for n in (rules.note(_written(self.value(cells, "notes"))), place.pop("notes", ""), remark) if n]
        household_id = self.household(key)
        self.result.households_alone += 1
        if household_id is None:
            created = registry.add_household(self.change, {**place, "residence_type": kind,
                                                           "notes": _with_notes("", notes)})
            self.remember_household(key, created)
            return
        values = {} if household_id in self.typed else {"residence_type": kind}
        before = registry.household(self.conn, household_id)
        if notes:
            values["notes"] = _with_notes(before["notes"], notes)
        changed = registry.update_household(self.change, household_id, values) if values else []
        self.typed.add(household_id)
        if changed:
            after = registry.household(self.conn, household_id)
            self.result.changes.append(Change(row.index + 1, registry.address_text(after), _household_changes(
                before, after, changed), self.sheet))

    def import_row(self, row: Row) -> None:
        values, (codes, party), phones = self.resident_values(row.cells)
        self.check_and_write(row, values, codes, party, _phone_notes(phones))
        if phones.local:
            self.local_rows.append((row.index + 1, phones.local[0]))

    def check_and_write(self, row: Row, values: dict, codes, party, notes: list[str]) -> None:
        cells, number_row = row.cells, row.index + 1
        cleaned = rules.clean_resident({**values, "care_categories": codes}, self.today)
        place = self.address(cells, number_row)
        kind, remark = self.residence(cells)
        key = None
        if place is not None:
            if remark:
                place["notes"] = _with_notes(place.get("notes", ""), [remark])
            house = rules.clean_household({**place, "residence_type": kind})
            key = (house["estate"], house["building"], house["unit"], house["room"])
        number, name = cleaned["id_number"], cleaned["name"]
        if number and number in self.seen_ids:
            raise FieldError("id_number", _("The same id number as {where}: if this row is the same person again, delete "
                                            "it; otherwise correct the id number").format(where=self.where(*self.seen_ids[number])))
        other = self.seen_names.get((key, name)) if key is not None else None
        if other is not None and not (number and other[2]):  # two people of one name need their id numbers
            raise FieldError("name", _("The same name in the same household as {where}, and no id number to tell them "
                                       "apart: if this row is the same person again, delete it; otherwise fill in both "
                                       "id numbers").format(where=self.where(other[0], other[1])))
        existing = registry.resident_with_id_number(self.conn, number) if number else None
        if existing is not None and rules.clean_name(existing["name"]) != name:
            holder = registry.resident(self.conn, existing["id"])
            raise FieldError("id_number", _("This id number is registered to {name} ({address}); to correct the name, "
                                            "change it on the Register page").format(name=holder["name"],
                                                                                     address=holder["address"]))
        household_id = self.household(key) if key is not None else None
        if existing is None and household_id is not None and household_id not in self.created:
            existing = self.same_name(household_id, name, without_id_number=bool(number))
        if existing is None and key is None:
            raise FieldError("address", _("The address is missing: fill in the estate, building and room"))
        if number:
            self.seen_ids[number] = (self.sheet, number_row)
        if key is not None:
            self.seen_names[(key, name)] = (self.sheet, number_row, bool(number))

        self.conn.execute("SAVEPOINT ledger_row")
        try:
            outcome, created, fields = self.write_row(existing, household_id, key, place, kind, values, codes, party, notes)
        except FieldError:
            self.conn.execute("ROLLBACK TO ledger_row")
            self.conn.execute("RELEASE ledger_row")
            raise
        self.conn.execute("RELEASE ledger_row")
        if household_id is not None and kind is not None:
            self.typed.add(household_id)  # the first row of the file that gives the type decides it
        if created is not None:
            self.remember_household(key, created)
        if fields:
            self.result.changes.append(Change(number_row, name, fields, self.sheet))
        setattr(self.result, outcome, getattr(self.result, outcome) + 1)

    def write_row(self, existing, household_id, key, place, kind, values, codes, party,
                  notes: list[str]) -> tuple[str, str | None, dict]:
        """Write one checked row; ("imported" | "updated" | "unchanged", id of a household it created, what changed)."""
        change, created, fields = self.change, None, {}
        if key is not None and household_id is None:
            household_id = created = registry.add_household(change, {**place, "residence_type": kind})
        elif household_id is not None and ((kind is not None and household_id not in self.typed) or "notes" in place):
            before = registry.household(self.conn, household_id)
            house = {"residence_type": kind} if kind is not None and household_id not in self.typed else {}
            if place.get("notes"):  # a remark in brackets (309室（车库）, 出租（群租）), added to the household's notes once
                house["notes"] = _with_notes(before["notes"], [place["notes"]])
            changed = registry.update_household(change, household_id, house)
            if changed:
                fields.update(_household_changes(before, registry.household(self.conn, household_id), changed))
        if existing is None:
            categories = list(codes or [])
            if party and "party_member" not in categories:
                categories.append("party_member")
            if notes:
                values = {**values, "notes": _with_notes(rules.note(values.get("notes")), notes)}
            registry.add_resident(change, household_id, {**values, "care_categories": categories})
            return "imported", created, {}
        values = dict(values)
        current = registry.resident(self.conn, existing["id"])
        if codes is not None or party is not None:
            categories = list(codes if codes is not None else current["care_categories"])
            if party and "party_member" not in categories:
                categories.append("party_member")
            elif party is False and "party_member" in categories:
                categories.remove("party_member")
            if set(categories) != set(current["care_categories"]):
                values["care_categories"] = categories
        if notes:
            values["notes"] = _with_notes(rules.note(values["notes"]) if "notes" in values else current["notes"], notes)
        if household_id is not None and household_id != current["household_id"]:
            values["household_id"] = household_id
        changed = registry.update_resident(change, existing["id"], values)
        if changed:
            after = registry.resident(self.conn, existing["id"])
            for name in changed:
                if name == "household_id":
                    fields[label(FIELDS, "address")] = (current["address"], after["address"])
                else:
                    fields[label(RESIDENT_FIELDS, name)] = (_shown(name, current[name]), _shown(name, after[name]))
        return ("updated" if fields else "unchanged"), created, fields


def _quote_as_shown(result: ImportResult, path: Path, lost: list[tuple[int, str, int, int, float]]) -> None:
    """Say what the cell shows in the reasons about id numbers that lost their digits, where its format is known,
    and keep that format for the rejects workbook, so that its cell shows the same.

    A long number in a cell of format 0 shows 370102196606060000, not 3.70102E+17; the reason
    quotes what the clerk sees, and the rejects workbook writes the number in format 0 again.
    """
    by_sheet: dict[str, list] = {}
    for item in lost:
        by_sheet.setdefault(item[1], []).append(item)
    positions = {s.name: {c.index: n for n, c in enumerate(s.columns)} for s in result.sheets}
    for sheet, items in by_sheet.items():
        formats = ooxml.number_formats(path, sheet, {(row, column) for _n, _s, row, column, _v in items})
        for n, _sheet, row, column, number in items:
            code = formats.get((row, column))
            if not (code and ooxml.shows_whole_number(code)):
                continue
            reject = result.rejected[n]
            values = list(reject.values)
            at = positions.get(sheet, {}).get(column)
            if at is not None:
                values[at] = damaged_as_shown(values[at], code)
            result.rejected[n] = dataclasses.replace(reject, reason=str(LostDigits(_as_formatted(number, code))),
                                                     values=values)


def import_ledger(session: Session, path: str | Path, *, mapping: dict[int, str] | None = None, dry_run: bool = False,
                  progress: ProgressFn | None = None, cancelled: CancelledFn | None = None,
                  sheet: str | None = None, rejects: str | Path | None = None, estate: str | None = None) -> ImportResult:
    """Import the ledger at ``path`` in one transaction; see the module's docstring.

    Every sheet holding a ledger is imported (``analyse`` lists them), or only ``sheet``.
    ``mapping`` (column index → field of FIELDS) replaces the detected one of a single sheet;
    columns it leaves out are not imported. ``dry_run`` checks and counts everything and keeps
    nothing. ``rejects`` writes the rejected rows to that workbook within the import, so that
    a failure to write it leaves the database unchanged (nothing is written when no row was
    rejected; ``result.rejects_path`` says where they went). ``progress(done, total)`` is
    called every few hundred rows, ``cancelled()`` is looked at as often and, when true, ends
    the import with ``Cancelled`` and nothing kept. ``estate`` (阳光花园, or 阳光花园1号楼 with the building) is
    the estate (and building) of the rows that give none and whose sheet's name or title does not either.
    Raises LedgerFileError when the file is refused.
    """
    path = Path(path)
    session.require("ledger.import")
    session.require_station()
    book = open_workbook(path)
    try:
        plans, skipped = _plans(book, path, sheet)
        if mapping is not None:
            if len(plans) > 1:
                raise ValueError("a mapping is for one sheet: name it (sheet=…)")
            unknown = {f for f in mapping.values() if f} - set(FIELDS)
            if unknown:
                raise ValueError("unknown ledger fields {fields}".format(fields=sorted(unknown)))
            plan = plans[0]
            columns = [Column(c.index, c.header, mapping.get(c.index) or None) for c in plan.columns]
            place, told = _sheet_place(plan.grid, plan.header_index, columns)
            plans = [plan._replace(columns=columns, warnings=told + _warnings(columns), place=place)]
        for plan in plans:
            if not any(c.field == "name" for c in plan.columns):
                raise LedgerFileError(_("{path}: no column holds the names (姓名)").format(path=path))
        first = plans[0]
        result = ImportResult(path, first.grid.name, first.header_index + 1, first.columns, dry_run,
                              sheets=[ImportedSheet(p.grid.name, p.header_index + 1, p.columns, list(p.warnings)) for p in plans],
                              skipped_sheets=skipped)
        if book.macros:
            result.notices.append(_macros_notice())
        detail = {"file": path.name, "sheet": first.grid.name}
        if len(plans) > 1:
            detail["sheets"] = [p.grid.name for p in plans]
        height = sum(p.grid.height for p in plans)
        try:
            with db.page_cache(session.conn, min(CACHE_MB, 8 + height // 1000)), \
                    session.write("ledger.import", "residents", detail=detail) as change, \
                    maintenance.BackupBeforeImport(session) as before:
                importer = _Importer(change, result, progress, cancelled, plans, estate)
                importer.run(plans)
                _quote_as_shown(result, path, importer.lost)
                change.detail.update(result.counts())
                if rejects is not None and result.rejected:
                    result.rejects_path = write_rejects(result, path, rejects)
                if dry_run:
                    raise _DryRun()
                kept = before.keep()  # the database as it was before this import, in the backup folder
                result.backup = str(kept) if kept else None
                change.detail["backup"] = kept.name if kept else None
        except _DryRun:
            pass
        except (sqlite3.Error, OSError, RedStationError) as exc:
            if isinstance(exc, LedgerFileError) or not writing.disk_full(exc):
                raise   # a rejects workbook that cannot be written names itself and why
            raise RedStationError(_("{path} was not imported: the disk is full. Free some space and import it again; "
                                    "nothing was changed").format(path=path)) from exc
        return result
    finally:
        book.close()


def _macros_notice() -> str:
    return _("The workbook holds macros (VBA): they were not run, only the values of its cells were read")


def write_rejects(result: ImportResult, ledger: str | Path | Analysis, out_path: str | Path) -> Path:
    """Write the rejected rows of ``result`` to ``out_path``, a workbook to correct and import as it is.

    ``ledger`` is the imported file (its path, or its Analysis): the rejects never overwrite it.
    Each sheet's header row is the ledger's own, followed by 原行号 (the row in the ledger) and
    问题 (column and reason); id numbers and phones are text cells, an id number Excel already
    damaged is written as the number it was, in its number format, so that it shows what the
    clerk saw and is refused until typed again; a formula Excel never calculated is written as
    its text, and merged cells are filled in. The rows of a ledger of several sheets go to sheets
    of the same names; a title row names the estate and building the sheet's rows were given
    from the ledger's sheet name or title (or by the user), so that they get them again.
    """
    out = Path(out_path)
    source = ledger.path if isinstance(ledger, Analysis) else Path(ledger)
    if out.exists() and out.resolve() == source.resolve():
        raise LedgerFileError(_("The rejected rows cannot be written over the ledger {path} itself").format(path=out))
    sheets = result.sheets or [ImportedSheet(result.sheet, result.header_row, result.columns)]
    several = len(sheets) > 1
    try:
        temporary = writing.temporary_beside(out, "rejects")
    except OSError as exc:
        raise LedgerFileError(_("Cannot write {path}: {error}").format(path=out, error=writing.os_reason(exc))) from None
    book = None
    try:
        book = new_workbook(temporary)
        for sheet in sheets:
            rows = [r for r in result.rejected if r.sheet == sheet.name or not several]
            if several and not rows:
                continue
            headers = [c.header for c in sheet.columns] + [_("Original row"), _("Problem")]
            text_columns = tuple(n for n, c in enumerate(sheet.columns) if c.field in TEXT_FIELDS)
            id_columns = [n for n, c in enumerate(sheet.columns) if c.field == "id_number"]
            writer = SheetWriter(book, sheet.name if several else _("Rejected rows"), headers, text_columns=text_columns,
                                 title=_place_title(sheet.place))
            for reject in rows:
                values = list(reject.values)
                for n in id_columns:
                    values[n] = damaged_as_shown(values[n])
                writer.write(values + [reject.row, _("{column}: {reason}").format(column=reject.column, reason=reject.reason)])
            writer.finish()
        book.close()
        book = None
        writing.publish(temporary, out)
    except (OSError, xlsxwriter.exceptions.XlsxWriterException) as exc:
        raise LedgerFileError(_("Cannot write {path}: {error}").format(path=out, error=writing.os_reason(exc))) from None
    finally:
        if book is not None:
            try:
                book.close()
            except Exception:  # noqa: BLE001 - the write failed already; that error is the one to report
                pass
        if os.path.exists(temporary):
            os.remove(temporary)
    return out
