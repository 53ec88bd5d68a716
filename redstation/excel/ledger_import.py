"""Importing an Excel ledger of households and residents (居民台账), whatever its header wording.

``analyse(path)`` finds the sheet and its header row under any title rows and proposes
what each column holds; the window shows that in a dialog where the user may change it.
``import_ledger(session, path, mapping=…)`` then reads every row below the header:

- values go through the register's rules (``redstation.domain.register``), so a ledger row
  and a form typed at the window are held to the same checks;
- rows are grouped into households by their normalised address (estate, building, unit,
  room); a household that exists is reused, otherwise created;
- a row whose id number belongs to a resident updates that resident (cells left empty keep
  the stored value; another address moves them); a row without id number updates the
  resident of the same name in the same household, otherwise it is a new resident;
- only fields that differ are written, so importing the same file again changes nothing;
- a bad row is rejected with its spreadsheet row number, the column and the reason, and
  changes nothing; ``write_rejects`` writes those rows to a workbook the user can fix and
  import directly.

The whole import is one transaction (``session.write("ledger.import")``) with one audit
entry: a failure, a cancel or ``dry_run`` leaves the database as it was. The ledger file
itself is only ever read.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable, NamedTuple

from redstation.domain import idnumber
from redstation.domain import register as rules
from redstation.domain.register import FieldError, text
from redstation.domain.vocab import label
from redstation.excel import Cancelled, LedgerFileError
from redstation.excel import columns as cols
from redstation.excel.columns import FIELDS, TEXT_FIELDS
from redstation.excel.reading import Grid, Row, column_letter, display, open_workbook, worksheets
from redstation.excel.writing import SheetWriter, new_workbook
from redstation.i18n import _
from redstation.services import register as registry
from redstation.services.session import Session, Write
from redstation.store import db

SCAN_ROWS = 30        # the header row is looked for in this many rows from the top
PREVIEW_ROWS = 20
PROGRESS_EVERY = 250  # rows between progress reports (and looks at the cancel button)
CACHE_MB = 64         # SQLite page cache during a large import (within the 500 MB a 100,000-row import may use)

ProgressFn = Callable[[int, int], None]
CancelledFn = Callable[[], bool]


class Column(NamedTuple):
    index: int            # 0-based column of the sheet: A = 0
    header: str           # the header text as written in the file, or the column letter when it has none
    field: str | None     # a key of FIELDS, or None: not imported


@dataclass
class Analysis:
    """What ``analyse`` found: enough for the mapping dialog and its preview."""

    path: Path
    sheet: str
    header_row: int                 # the spreadsheet's row number (1-based)
    columns: list[Column]
    data_rows: int                  # rows below the header, blank and footer rows included
    preview: list[list[str]]        # the first non-blank rows below the header, one string per column
    warnings: list[str] = field(default_factory=list)

    @property
    def mapping(self) -> dict[int, str]:
        """The detected mapping, column index → field, as ``import_ledger`` takes it."""
        return {c.index: c.field for c in self.columns if c.field}


@dataclass(frozen=True)
class Reject:
    row: int              # the spreadsheet's row number
    column: str           # header text of the column at fault
    reason: str
    values: list          # the row's cells, one per column of the import (merged cells filled in)


@dataclass
class ImportResult:
    path: Path
    sheet: str
    header_row: int
    columns: list[Column]
    dry_run: bool = False
    imported: int = 0         # new residents
    updated: int = 0          # residents (or their household) changed
    unchanged: int = 0        # rows that matched a resident and changed nothing
    skipped: int = 0          # blank rows, repeated header rows, footers
    households_added: int = 0
    rejected: list[Reject] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {"imported": self.imported, "updated": self.updated, "unchanged": self.unchanged,
                "rejected": len(self.rejected), "skipped": self.skipped, "households_added": self.households_added}

    def as_json(self) -> dict:
        """The ``import-ledger --json`` object."""
        return {"imported": self.imported, "updated": self.updated, "unchanged": self.unchanged,
                "rejected": [{"row": r.row, "column": r.column, "reason": r.reason} for r in self.rejected]}


class _DryRun(Exception):
    """Raised at the end of a dry run so that ``session.write`` rolls everything back."""


# --- finding the header ------------------------------------------------------------------------------

def _header_text(value, index: int) -> str:
    written = " ".join(display(value).split())
    return written or column_letter(index)


def _find_header(grid: Grid) -> tuple[int, int, list] | None:
    """(score, row index, cells) of the best header row of ``grid``, or None when no row names a name column.

    The score is the number of different known headers in the row. A tie goes to the row right
    below, because a two-row header with vertically merged cells repeats the upper row's names;
    a header repeated further down (a second table, a printout's page header) loses it.
    """
    best = None
    for row in grid.rows(wide_until=SCAN_ROWS):
        if row.index >= SCAN_ROWS:
            break
        found = {cols.recognised(v) for v in row.cells if v != ""} - {None}
        if "name" not in found:
            continue
        if best is None or len(found) > best[0] or (len(found) == best[0] and row.index == best[1] + 1):
            best = (len(found), row.index, row.cells)
    return best


def _layout(book, path: Path, sheet: str | None) -> tuple[Grid, int, list[Column]]:
    """The sheet to import, its header row index and its columns with the detected fields."""
    grids = worksheets(book, path)
    if sheet is not None:
        grids = [g for g in grids if g.name == sheet]
        if not grids:
            raise LedgerFileError(_("{path} has no sheet {sheet}").format(path=path, sheet=sheet))
    best = None
    for grid in grids:
        found = _find_header(grid)
        if found is not None and (best is None or found[0] > best[1][0]):
            best = (grid, found)
    if best is None:
        raise LedgerFileError(_("{path}: no header row with a name column (姓名) in the first {rows} rows").format(
            path=path, rows=SCAN_ROWS))
    grid, (_score, index, cells) = best
    columns = []
    for column in range(grid.first_column, grid.width):
        value = cells[column] if column < len(cells) else ""
        columns.append(Column(column, _header_text(value, column), cols.header_field(value) if value != "" else None))
    return grid, index, columns


def _warnings(columns: list[Column]) -> list[str]:
    fields = {c.field for c in columns}
    found = []
    if "id_number" not in fields:
        found.append(_("There is no id number column: residents are matched by name within their household"))
    if not fields & {"building", "room", "address"}:
        found.append(_("There is no address column (楼栋, 房号 or 住址): new residents will be refused"))
    return found


def analyse(path: str | Path, *, sheet: str | None = None) -> Analysis:
    """Find the ledger in the workbook at ``path``; LedgerFileError (a RedStationError) says what is wrong."""
    path = Path(path)
    book = open_workbook(path)
    try:
        grid, index, columns = _layout(book, path, sheet)
        preview = []
        for row in grid.rows(wide_until=index + 1):
            if row.index <= index or row.merged_only:
                continue
            shown = [display(row.cells[c.index]) for c in columns]
            if any(shown):
                preview.append(shown)
            if len(preview) >= PREVIEW_ROWS:
                break
        return Analysis(path, grid.name, index + 1, columns, max(grid.height - index - 1, 0), preview, _warnings(columns))
    finally:
        book.close()


# --- reading the cells of a row ---------------------------------------------------------------------------

_SCIENTIFIC = re.compile(r"\d+(\.\d+)?E\+?\d+")
_YEAR_MONTH = re.compile(r"(\d{4})(?:[-./年](\d{1,2})月?|(\d{2}))")
_FOOTER = re.compile(r"^(合计|总计|小计|共计|填表|填报|制表|审核|负责人|签字|签名|说明|注[:：])")
_CONTACT_SEPARATORS = re.compile(r"[、,，;；\n]+")
_PHONE_SEPARATORS = re.compile(r"[、,，;；/\n]+")
_PHONE_IN_TEXT = re.compile(r"\+?\d[\d\- ]{5,}\d")
_NAME_AND_RELATION = re.compile(r"(.*?)\s*\((.*?)\)\s*")


def _lost_digits(shown: str) -> FieldError:
    return FieldError("id_number", _("Excel stored this id number as a number and has already lost its last digits "
                                     "({shown}); re-enter it as text (format the column as Text, or type an "
                                     "apostrophe ' before the number)").format(shown=shown))


def id_text(value) -> str:
    """The id number of a cell as text; FieldError when the spreadsheet already destroyed it.

    A number cell of 16 or more digits (or its scientific form 3.70102E+17 as text) kept only
    15 significant digits; a 15-digit number cell is exact (a legacy number, upgraded later).
    """
    if value == "" or value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if abs(value) >= 1e15:
            raise _lost_digits(display(float(value)))
        if float(value).is_integer():
            return str(int(value))
    written = text(value).replace(" ", "").upper()
    if _SCIENTIFIC.fullmatch(written):
        raise _lost_digits(written)
    if "*" in written:
        raise FieldError("id_number", _("This id number is masked ({shown}); import a ledger with the full numbers").format(
            shown=written))
    return written


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


def _coded(kind: str, value):
    """The code of a vocabulary cell, or its text (which the register's rules then refuse, naming it)."""
    return cols.lookup(kind, value) or text(value)


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


# --- the import -------------------------------------------------------------------------------------------

# Where to point when a field is at fault: its own column, else the column it came from.
_BLAME = {
    "estate": ("estate", "address"), "building": ("building", "address"), "unit": ("unit", "address"),
    "room": ("room", "address"), "address": ("address", "estate", "building", "room"),
    "birth_date": ("birth_date", "id_number"), "gender": ("gender", "id_number"),
    "emergency_contacts": ("emergency_contact", "emergency_phone"),
    "care_categories": ("care_categories", "political_status"),
}


class _Importer:
    """The rows of one import, inside its open transaction."""

    def __init__(self, change: Write, columns: list[Column], result: ImportResult,
                 progress: ProgressFn | None, cancelled: CancelledFn | None):
        self.change, self.conn, self.result = change, change.conn, result
        self.columns = columns
        self.progress, self.cancelled = progress, cancelled
        self.by_field: dict[str, list[int]] = {}
        for column in columns:
            if column.field:
                self.by_field.setdefault(column.field, []).append(column.index)
        self.headers = {c.index: c.header for c in columns}
        self.households: dict[tuple, str] = {}      # normalised address → household id
        self.typed: set[str] = set()                # households whose residence type a row of this file set
        self.created: set[str] = set()              # households this import created (only its own rows live there)
        self.seen_ids: dict[str, int] = {}          # id number → row number
        self.seen_names: dict[tuple, tuple] = {}    # (address, name) → (row number, had an id number)
        self.estates = {r[0] for r in self.conn.execute("SELECT DISTINCT estate FROM households WHERE deleted = 0")}
        self._estates_longest_first = sorted(self.estates, key=len, reverse=True)
        self.today = date.today()

    # --- cells ---
    def value(self, cells: list, field_: str):
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
        return label(FIELDS, field_) if field_ in FIELDS else label(rules.RESIDENT_FIELDS, field_)

    # --- the loop ---
    def tick(self, done: int, total: int) -> None:
        if self.cancelled is not None and self.cancelled():
            raise Cancelled()
        if self.progress is not None:
            self.progress(done, total)

    def run(self, grid: Grid, header_index: int) -> None:
        total = max(grid.height - header_index - 1, 0)
        self.tick(0, total)
        done = 0
        for row in grid.rows(wide_until=header_index + 1):
            if row.index <= header_index:
                continue
            done += 1
            if done % PROGRESS_EVERY == 0:
                self.tick(done, total)
            if self.is_not_data(row):
                self.result.skipped += 1
                continue
            try:
                self.import_row(row)
            except FieldError as exc:
                self.result.rejected.append(Reject(row.index + 1, self.column_for(exc.field, row.cells), str(exc),
                                                   [row.cells[c.index] for c in self.columns]))
        self.tick(total, total)

    def is_not_data(self, row: Row) -> bool:
        """Blank rows, footers (填表人 …, 合计 …, a note merged across the sheet) and repeated header rows."""
        if row.merged_only:
            return True
        name, number, phone = (self.value(row.cells, f) for f in ("name", "id_number", "phone"))
        if name == "" and number == "" and phone == "":
            return True
        name = text(name)
        return cols.header_field(name) == "name" or (number == "" and bool(_FOOTER.match(name)))

    # --- one row ---
    def resident_values(self, cells: list) -> tuple[dict, tuple[list[str] | None, bool | None]]:
        """The row's resident fields for clean_resident (only cells that hold something), and its categories."""
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
        for field_ in ("phone", "care_notes", "notes"):
            if value(cells, field_) != "":
                values[field_] = value(cells, field_)
        if isinstance(values.get("phone"), str) and "*" in values["phone"]:
            raise FieldError("phone", _("This phone number is masked ({shown}); import a ledger with the full numbers").format(
                shown=values["phone"]))
        contact, contact_phone = value(cells, "emergency_contact"), value(cells, "emergency_phone")
        if contact != "" or contact_phone != "":
            values["emergency_contacts"] = _contacts(contact, contact_phone)
        codes = None
        if value(cells, "care_categories") != "":
            codes, unknown = cols.care_categories(value(cells, "care_categories"))
            if unknown:
                raise FieldError("care_categories", _("Unknown care category {value}").format(value=unknown[0]))
        party = value(cells, "political_status")
        return values, (codes, cols.is_party_member(party) if party != "" else None)

    def address(self, cells: list) -> dict | None:
        """Estate, building, unit and room of the row as written (None when it has no address at all)."""
        value = self.value
        estate = text(value(cells, "estate"))
        building, unit, room = (value(cells, f) for f in ("building", "unit", "room"))
        written = text(value(cells, "address")).replace(" ", "")
        if text(building) or text(room) or not written:
            if not (estate or text(building) or text(unit) or text(room)):
                return None
            return {"estate": estate, "building": building, "unit": unit, "room": room}
        parts = self.split(written, estate)
        if parts is None:
            raise FieldError("address", _("{value} is not an address the program can read: write it as "
                                          "阳光花园3号楼2单元301室, or use columns for building and room").format(value=written))
        return dict(zip(("estate", "building", "unit", "room"), parts))

    def split(self, written: str, estate: str) -> tuple | None:
        """(estate, building, unit, room) of a written address; the estate is the known name it starts with."""
        for known in ([estate.replace(" ", "")] if estate else []) + self._estates_longest_first:
            if known and written.startswith(known):
                parts = rules.split_address(written[len(known):])
                if parts:
                    return (estate or known, *parts)
        for start in range(len(written)):
            parts = rules.split_address(written[start:])
            if parts:
                return (estate or written[:start].strip(",，、 "), *parts)
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

    def import_row(self, row: Row) -> None:
        cells, number_row = row.cells, row.index + 1
        values, (codes, party) = self.resident_values(cells)
        cleaned = rules.clean_resident({**values, "care_categories": codes}, self.today)
        place = self.address(cells)
        kind = self.value(cells, "residence_type")
        kind = _coded("residence", kind) if kind != "" else None
        key = None
        if place is not None:
            house = rules.clean_household({**place, "residence_type": kind})
            key = (house["estate"], house["building"], house["unit"], house["room"])
        number, name = cleaned["id_number"], cleaned["name"]
        if number and number in self.seen_ids:
            raise FieldError("id_number", _("The same id number as row {row}").format(row=self.seen_ids[number]))
        other = self.seen_names.get((key, name)) if key is not None else None
        if other is not None and not (number and other[1]):  # two people of one name need their id numbers
            raise FieldError("name", _("The same name in the same household as row {row}, and no id number to tell "
                                       "them apart").format(row=other[0]))
        existing = registry.resident_with_id_number(self.conn, number) if number else None
        household_id = self.household(key) if key is not None else None
        if existing is None and household_id is not None and household_id not in self.created:
            existing = self.same_name(household_id, name, without_id_number=bool(number))
        if existing is None and key is None:
            raise FieldError("address", _("The address is missing: fill in the estate, building and room"))
        if number:
            self.seen_ids[number] = number_row
        if key is not None:
            self.seen_names[(key, name)] = (number_row, bool(number))

        self.conn.execute("SAVEPOINT ledger_row")
        try:
            outcome, created = self.write_row(existing, household_id, key, place, kind, values, codes, party)
        except FieldError:
            self.conn.execute("ROLLBACK TO ledger_row")
            self.conn.execute("RELEASE ledger_row")
            raise
        self.conn.execute("RELEASE ledger_row")
        if household_id is not None and kind is not None:
            self.typed.add(household_id)  # the first row of the file that gives the type decides it
        if created is not None:
            self.households[key] = created
            self.typed.add(created)
            self.created.add(created)
            self.result.households_added += 1
            if place["estate"] not in self.estates:
                self.estates.add(place["estate"])
                self._estates_longest_first = sorted(self.estates, key=len, reverse=True)
        setattr(self.result, outcome, getattr(self.result, outcome) + 1)

    def write_row(self, existing, household_id, key, place, kind, values, codes, party) -> tuple[str, str | None]:
        """Write one checked row; ("imported" | "updated" | "unchanged", id of a household it created)."""
        change, created, household_changed = self.change, None, False
        if key is not None and household_id is None:
            household_id = created = registry.add_household(change, {**place, "residence_type": kind})
        elif household_id is not None and kind is not None and household_id not in self.typed:
            household_changed = bool(registry.update_household(change, household_id, {"residence_type": kind}))
        if existing is None:
            categories = list(codes or [])
            if party and "party_member" not in categories:
                categories.append("party_member")
            registry.add_resident(change, household_id, {**values, "care_categories": categories})
            return "imported", created
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
        if household_id is not None and household_id != current["household_id"]:
            values["household_id"] = household_id
        changed = registry.update_resident(change, existing["id"], values)
        return ("updated" if changed or household_changed else "unchanged"), created


def import_ledger(session: Session, path: str | Path, *, mapping: dict[int, str] | None = None, dry_run: bool = False,
                  progress: ProgressFn | None = None, cancelled: CancelledFn | None = None,
                  sheet: str | None = None) -> ImportResult:
    """Import the ledger at ``path`` in one transaction; see the module's docstring.

    ``mapping`` (column index → field of FIELDS) replaces the detected one; columns it leaves
    out are not imported. ``dry_run`` checks and counts everything and keeps nothing.
    ``progress(done, total)`` is called every few hundred rows, ``cancelled()`` is looked at
    as often and, when true, ends the import with ``Cancelled`` and nothing kept.
    Raises LedgerFileError when the file is refused.
    """
    path = Path(path)
    session.require_station()
    book = open_workbook(path)
    try:
        grid, header_index, columns = _layout(book, path, sheet)
        if mapping is not None:
            unknown = {f for f in mapping.values() if f} - set(FIELDS)
            if unknown:
                raise ValueError("unknown ledger fields {fields}".format(fields=sorted(unknown)))
            columns = [Column(c.index, c.header, mapping.get(c.index) or None) for c in columns]
        if not any(c.field == "name" for c in columns):
            raise LedgerFileError(_("{path}: no column holds the names (姓名)").format(path=path))
        result = ImportResult(path, grid.name, header_index + 1, columns, dry_run)
        try:
            with db.page_cache(session.conn, min(CACHE_MB, 8 + grid.height // 1000)), \
                    session.write("ledger.import", "residents", detail={"file": path.name, "sheet": grid.name}) as change:
                _Importer(change, columns, result, progress, cancelled).run(grid, header_index)
                change.detail.update(result.counts())
                if dry_run:
                    raise _DryRun()
        except _DryRun:
            pass
        return result
    finally:
        book.close()


def write_rejects(result: ImportResult, ledger: str | Path | Analysis, out_path: str | Path) -> Path:
    """Write the rejected rows of ``result`` to ``out_path``, a workbook to correct and import as it is.

    ``ledger`` is the imported file (its path, or its Analysis): the rejects never overwrite it.
    The header row is the ledger's own, followed by 原行号 (the row in the ledger) and 问题
    (column and reason); id numbers and phones are text cells, merged cells are filled in.
    """
    out = Path(out_path)
    source = ledger.path if isinstance(ledger, Analysis) else Path(ledger)
    if out.exists() and out.resolve() == source.resolve():
        raise LedgerFileError(_("The rejected rows cannot be written over the ledger {path} itself").format(path=out))
    headers = [c.header for c in result.columns] + [_("Original row"), _("Problem")]
    text_columns = tuple(n for n, c in enumerate(result.columns) if c.field in TEXT_FIELDS)
    try:
        handle, temporary = tempfile.mkstemp(suffix=".xlsx", prefix=".rejects-", dir=out.parent)
        os.close(handle)
    except OSError as exc:
        raise LedgerFileError(_("Cannot write {path}: {error}").format(path=out, error=exc)) from None
    try:
        book = new_workbook(temporary)
        writer = SheetWriter(book, _("Rejected rows"), headers, text_columns=text_columns)
        for reject in result.rejected:
            writer.write(list(reject.values) + [reject.row, _("{column}: {reason}").format(
                column=reject.column, reason=reject.reason)])
        writer.finish()
        book.close()
        os.replace(temporary, out)
    except OSError as exc:
        raise LedgerFileError(_("Cannot write {path}: {error}").format(path=out, error=exc)) from None
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
    return out
