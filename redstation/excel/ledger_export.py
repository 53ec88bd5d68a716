"""Exporting the register as ledgers for the street office: households, residents, key households.

One workbook, three sheets (住户, 居民, 重点户), each with a title row, a frozen header row
in Chinese and column widths that fit Chinese text. Id numbers and phones are masked
(``510802********0117``, ``138****2345``) unless the export is unmasked, which only the
station manager may ask for. No cell is a formula or could become one (``writing.safe_text``);
id numbers and phones are text. The residents sheet holds every field the ledger import
reads, so an unmasked export imports back into an empty register as the same residents.

Rows are read from one snapshot of the database and streamed into the workbook
(xlsxwriter's constant-memory mode); the file appears under its name only when complete,
and the export is recorded in the audit log.
"""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import date
from pathlib import Path
from typing import Callable, Iterator

import xlsxwriter

from redstation import RedStationError
from redstation.domain import idnumber, phone
from redstation.domain.register import HOUSEHOLD_FIELDS
from redstation.domain.vocab import CARE_CATEGORIES, GENDERS, RELATIONS, RESIDENCE_TYPES, RESIDENT_STATUSES, label
from redstation.excel import Cancelled
from redstation.excel.columns import FIELDS
from redstation.excel.writing import SheetWriter, new_workbook, os_reason, publish, temporary_beside
from redstation.i18n import N_, _
from redstation.services.session import Session

PROGRESS_EVERY = 1000

# Column labels of the ledgers: the import's fields, and a few columns only the export writes.
LABELS = {**FIELDS, "seq": N_("No."), "age": N_("Age"), "members": N_("Members"), "head": N_("Head of household"),
          "station": N_("Station"),
          "household_phone": HOUSEHOLD_FIELDS["phone"], "visit_interval_hours": HOUSEHOLD_FIELDS["visit_interval_hours"]}
HOUSEHOLD_COLUMNS = ["seq", "estate", "building", "unit", "room", "residence_type", "members", "head", "household_phone",
                     "care_categories", "visit_interval_hours", "notes"]
RESIDENT_COLUMNS = ["seq", "estate", "building", "unit", "room", "name", "gender", "birth_date", "id_number", "phone",
                    "relation", "status", "care_categories", "care_notes", "emergency_contact", "emergency_phone",
                    "residence_type", "notes"]
KEY_COLUMNS = ["seq", "estate", "building", "unit", "room", "name", "gender", "birth_date", "age", "phone",
               "care_categories", "care_notes", "emergency_contact", "emergency_phone"]
TEXT = ("id_number", "phone", "emergency_phone", "household_phone")

_ORDER = "h.estate, length(h.building), h.building, length(h.unit), h.unit, h.floor, length(h.room), h.room"
_HOUSEHOLDS = """
    SELECT h.origin, h.estate, h.building, h.unit, h.room, h.residence_type, h.phone, h.visit_interval_hours, h.notes,
           (SELECT count(*) FROM residents r WHERE r.household_id = h.id AND r.deleted = 0 AND r.status = 'active') AS members,
           (SELECT r.name FROM residents r WHERE r.household_id = h.id AND r.deleted = 0 AND r.relation = 'head'
             ORDER BY r.status <> 'active' LIMIT 1) AS head,
           (SELECT json_group_array(DISTINCT c.value) FROM residents r, json_each(r.care_categories) c
             WHERE r.household_id = h.id AND r.deleted = 0 AND r.status = 'active') AS care_categories
    FROM households h WHERE h.deleted = 0 ORDER BY {order}""".format(order=_ORDER)
_RESIDENTS = """
    SELECT r.origin, h.estate, h.building, h.unit, h.room, h.residence_type, r.name, r.gender, r.birth_date, r.id_number, r.phone,
           r.relation, r.status, r.care_categories, r.care_notes, r.emergency_contacts, r.notes
    FROM residents r JOIN households h ON h.id = r.household_id
    WHERE r.deleted = 0 AND h.deleted = 0 {where}
    ORDER BY {order}, r.relation <> 'head', r.birth_date"""
_KEY_WHERE = "AND r.care_categories <> '[]' AND r.status = 'active'"


def _age(birth: date | None, today: date) -> int | None:
    if birth is None:
        return None
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


class _Cells:
    """Stored values as ledger cells: labels for codes, masked numbers unless unmasked."""

    def __init__(self, unmasked: bool, today: date):
        self.unmasked, self.today = unmasked, today

    def id_number(self, number: str | None) -> str:
        return (number or "") if self.unmasked else idnumber.mask(number)

    def phone(self, number: str | None) -> str:
        return (number or "") if self.unmasked else phone.mask(number)

    @staticmethod
    def categories(codes: list[str]) -> str:
        ordered = [c for c in CARE_CATEGORIES if c in codes] + [c for c in codes if c not in CARE_CATEGORIES]
        return "、".join(label(CARE_CATEGORIES, c) for c in ordered)

    def resident(self, row: sqlite3.Row) -> dict:
        birth = date.fromisoformat(row["birth_date"]) if row["birth_date"] else None
        contacts = json.loads(row["emergency_contacts"])
        return {
            "estate": row["estate"], "building": row["building"], "unit": row["unit"], "room": row["room"],
            "name": row["name"], "gender": label(GENDERS, row["gender"]), "birth_date": birth,
            "age": _age(birth, self.today), "id_number": self.id_number(row["id_number"]), "phone": self.phone(row["phone"]),
            "relation": label(RELATIONS, row["relation"]), "status": label(RESIDENT_STATUSES, row["status"]),
            "care_categories": self.categories(json.loads(row["care_categories"])), "care_notes": row["care_notes"],
            "emergency_contact": "、".join(c["name"] + ("（{r}）".format(r=c["relation"]) if c.get("relation") else "")
                                          for c in contacts),
            "emergency_phone": "、".join(self.phone(c["phone"]) for c in contacts),
            "residence_type": label(RESIDENCE_TYPES, row["residence_type"]), "notes": row["notes"],
        }


def _title(station: str, table: str, today: date, unmasked: bool) -> str:
    if unmasked:
        return _("{station}: {table}, exported on {date}").format(station=station, table=table, date=today.isoformat())
    return _("{station}: {table}, exported on {date}; id numbers and phones partly hidden").format(
        station=station, table=table, date=today.isoformat())


class _Export:
    """The three sheets of one export, written from one read snapshot."""

    def __init__(self, conn: sqlite3.Connection, book, station: str, unmasked: bool, progress, cancelled):
        self.conn, self.book, self.station, self.unmasked = conn, book, station, unmasked
        self.progress, self.cancelled = progress, cancelled
        self.today = date.today()
        self.cells = _Cells(unmasked, self.today)
        self.done, self.total = 0, 0

    def ticking(self, rows: Iterator) -> Iterator:
        for row in rows:
            if self.done % PROGRESS_EVERY == 0:
                if self.cancelled is not None and self.cancelled():
                    raise Cancelled()
                if self.progress is not None:
                    self.progress(self.done, self.total)
            self.done += 1
            yield row

    def sheet(self, name: str, columns: list[str]) -> SheetWriter:
        return SheetWriter(self.book, name, [label(LABELS, c) for c in columns],
                           title=_title(self.station, name, self.today, self.unmasked),
                           text_columns=tuple(n for n, c in enumerate(columns) if c in TEXT))

    def write(self) -> dict[str, int]:
        conn, cells = self.conn, self.cells
        names = dict(conn.execute("SELECT id, name FROM stations WHERE deleted = 0"))
        # a street office (records of several stations): each row says which station it comes from
        lead = ["seq", "station"] if len(names) > 1 else ["seq"]

        def columns_of(columns: list[str]) -> list[str]:
            return lead + columns[1:]
        self.total = sum(conn.execute(sql).fetchone()[0] for sql in (
            "SELECT count(*) FROM households WHERE deleted = 0",
            "SELECT count(*) FROM residents WHERE deleted = 0",
            "SELECT count(*) FROM residents WHERE deleted = 0 AND care_categories <> '[]' AND status = 'active'"))
        counts = {}
        household_columns = columns_of(HOUSEHOLD_COLUMNS)
        writer = self.sheet(_("Households"), household_columns)
        for n, row in enumerate(self.ticking(conn.execute(_HOUSEHOLDS)), start=1):
            values = {"seq": n, "station": names.get(row["origin"], ""), "estate": row["estate"], "building": row["building"], "unit": row["unit"],
                      "room": row["room"], "residence_type": label(RESIDENCE_TYPES, row["residence_type"]),
                      "members": row["members"], "head": row["head"] or "", "household_phone": cells.phone(row["phone"]),
                      "care_categories": cells.categories(json.loads(row["care_categories"])),
                      "visit_interval_hours": row["visit_interval_hours"], "notes": row["notes"]}
            writer.write([values[c] for c in household_columns])
        writer.finish()
        counts["households"] = writer.rows
        for key, columns, where, name in (("residents", RESIDENT_COLUMNS, "", _("Residents")),
                                          ("key_residents", KEY_COLUMNS, _KEY_WHERE, _("Key households"))):
            columns = columns_of(columns)
            writer = self.sheet(name, columns)
            for n, row in enumerate(self.ticking(conn.execute(_RESIDENTS.format(where=where, order=_ORDER))), start=1):
                values = cells.resident(row)
                values.update(seq=n, station=names.get(row["origin"], ""))
                writer.write([values[c] for c in columns])
            writer.finish()
            counts[key] = writer.rows
        return counts


def export_ledger(session: Session, out_path: str | Path, *, unmasked: bool = False, progress=None,
                  cancelled: Callable[[], bool] | None = None) -> dict[str, int]:
    """Write the ledgers to ``out_path``; returns {"households": n, "residents": n, "key_residents": n}.

    ``unmasked`` shows whole id numbers and phones: only for the station manager (role admin);
    anyone else gets a RedStationError. ``progress(done, total)`` and ``cancelled()`` work as in
    ``import_ledger``; a cancelled or failed export leaves no file behind.
    """
    if unmasked and session.actor.role != "admin":
        raise RedStationError(_("Only the station manager may export whole id numbers and phone numbers; "
                                "export the ledger with them partly hidden instead"))
    session.require("ledger.export")
    out = Path(out_path)
    station = session.station()
    try:
        temporary = temporary_beside(out, "export")
    except OSError as exc:
        raise RedStationError(_("Cannot write {path}: {error}").format(path=out, error=os_reason(exc))) from None
    book = new_workbook(temporary)
    try:
        session.conn.execute("BEGIN")  # one snapshot for the three sheets
        try:
            export = _Export(session.conn, book, station["name"] if station is not None else "", unmasked, progress, cancelled)
            counts = export.write()
        finally:
            session.conn.execute("COMMIT")
        book.close()
        book = None
        publish(temporary, out)
    except (OSError, xlsxwriter.exceptions.XlsxWriterException) as exc:
        raise RedStationError(_("Cannot write {path}: {error}").format(path=out, error=os_reason(exc))) from None
    finally:
        if book is not None:
            try:
                book.close()  # xlsxwriter's temporary files go with it
            except Exception:  # noqa: BLE001 - the export failed already; that error is the one to report
                pass
        if os.path.exists(temporary):
            os.remove(temporary)
    if progress is not None:
        progress(export.total, export.total)
    with session.write("ledger.export", detail={"file": out.name, "masked": not unmasked, **counts}):
        pass
    return counts
