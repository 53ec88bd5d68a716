"""Reading key households and visits. Which households are due is decided in ``redstation.domain.schedule``.

A visit *counts* unless it is a voiding correction or a later entry corrected it
(``corrects_id`` points at the entry it replaces).
"""

from __future__ import annotations

import json
import sqlite3
from array import array
from datetime import datetime

from redstation.store.queries import ADDRESS_ORDER, ADDRESS_SQL, KEY_HOUSEHOLD

COUNTS = "v.deleted = 0 AND v.voided = 0 AND NOT EXISTS (SELECT 1 FROM visits c WHERE c.corrects_id = v.id AND c.deleted = 0)"

_LAST_VISIT = """(SELECT v.visited_at FROM visits v WHERE v.household_id = h.id AND v.visited_at <= :at AND {counts}
                  ORDER BY v.visited_at DESC LIMIT 1)""".format(counts=COUNTS)

_MEMBERS = """(SELECT json_group_array(json_object(
                   'id', r.id, 'name', r.name, 'gender', r.gender, 'birth_date', r.birth_date, 'relation', r.relation,
                   'phone', r.phone, 'care_categories', json(r.care_categories), 'care_notes', r.care_notes,
                   'emergency_contacts', json(r.emergency_contacts)))
               FROM (SELECT * FROM residents r WHERE r.household_id = h.id AND r.deleted = 0 AND r.status = 'active'
                     ORDER BY r.care_categories = '[]', r.relation <> 'head', r.birth_date) r)"""


def key_households(conn: sqlite3.Connection, *, at: datetime | None = None, estate: str | None = None,
                   household_id: str | None = None) -> list[dict]:
    """Every key household with its living members, own interval, creation time and last counting visit up to ``at``."""
    where, params = [KEY_HOUSEHOLD], {"at": (at or datetime.max).isoformat(timespec="seconds")}
    if estate:
        where.append("h.estate = :estate")
        params["estate"] = estate
    if household_id:
        where.append("h.id = :household")
        params["household"] = household_id
    sql = """SELECT h.id, h.origin, h.estate, h.building, h.unit, h.room, h.floor, h.phone, h.visit_interval_hours,
                    h.created_at, {address} AS address, {last} AS last_visit, {members} AS members
             FROM households h WHERE {where} ORDER BY {order}""".format(
        address=ADDRESS_SQL, last=_LAST_VISIT, members=_MEMBERS, where=" AND ".join(where), order=ADDRESS_ORDER)
    found = []
    for row in conn.execute(sql, params):
        item = dict(row)
        item["members"] = json.loads(item["members"])
        found.append(item)
    return found


def counting_visit_times(conn: sqlite3.Connection, start: datetime, end: datetime) -> dict[str, list[str]]:
    """Household id → times of its counting visits from ``start`` to ``end`` (ISO strings)."""
    times: dict[str, list[str]] = {}
    sql = "SELECT v.household_id, v.visited_at FROM visits v WHERE v.visited_at >= ? AND v.visited_at <= ? AND " + COUNTS
    for household_id, visited_at in conn.execute(sql, (start.isoformat(timespec="seconds"), end.isoformat(timespec="seconds"))):
        times.setdefault(household_id, []).append(visited_at)
    return times


def _visit_filter(start: datetime | None, end: datetime | None, household_id: str | None,
                  visitor: str | None) -> tuple[str, list]:
    where, params = ["v.deleted = 0"], []
    if start is not None:
        where.append("v.visited_at >= ?")
        params.append(start.isoformat(timespec="seconds"))
    if end is not None:
        where.append("v.visited_at < ?")
        params.append(end.isoformat(timespec="seconds"))
    if household_id:
        where.append("v.household_id = ?")
        params.append(household_id)
    if visitor:
        where.append("v.visitor_name = ?")
        params.append(visitor)
    return " AND ".join(where), params


_VISIT_ROW = """
    SELECT v.rowid AS key, v.id, v.visited_at, v.created_at, v.late_entry, v.visitor_id, v.visitor_name, v.household_id,
           {address} AS address, v.outcome, v.finding, v.handling, v.ticket_id, t.number AS ticket_number, v.notes,
           v.corrects_id, v.voided,
           EXISTS (SELECT 1 FROM visits c WHERE c.corrects_id = v.id AND c.deleted = 0) AS superseded,
           EXISTS (SELECT 1 FROM visits c WHERE c.corrects_id = v.id AND c.deleted = 0 AND c.voided = 1) AS annulled,
           (SELECT json_group_array(r.name) FROM residents r WHERE r.household_id = h.id AND r.deleted = 0
              AND r.status = 'active') AS residents
    FROM visits v JOIN households h ON h.id = v.household_id LEFT JOIN tickets t ON t.id = v.ticket_id"""


def _visit_item(row: sqlite3.Row) -> dict:
    item = dict(row)
    for key in ("late_entry", "voided", "superseded", "annulled"):
        item[key] = bool(item[key])
    item["residents"] = json.loads(item["residents"]) if item["residents"] else []
    return item


def visit_keys(conn: sqlite3.Connection, *, start: datetime | None = None, end: datetime | None = None,
               household_id: str | None = None, visitor: str | None = None) -> array:
    """Row keys of the visits that pass the filters, newest first (for a paged table)."""
    where, params = _visit_filter(start, end, household_id, visitor)
    return array("q", (r[0] for r in conn.execute(
        "SELECT v.rowid FROM visits v WHERE {where} ORDER BY v.visited_at DESC".format(where=where), params)))


def visit_rows(conn: sqlite3.Connection, keys) -> list[dict | None]:
    if not len(keys):
        return []
    sql = _VISIT_ROW.format(address=ADDRESS_SQL) + " WHERE v.rowid IN ({marks})".format(marks=",".join("?" * len(keys)))
    found = {row["key"]: _visit_item(row) for row in conn.execute(sql, list(keys))}
    return [found.get(key) for key in keys]


def visits(conn: sqlite3.Connection, *, start: datetime | None = None, end: datetime | None = None,
           household_id: str | None = None, visitor: str | None = None) -> list[dict]:
    """The visits that pass the filters, oldest first (for the printed visit log)."""
    where, params = _visit_filter(start, end, household_id, visitor)
    sql = _VISIT_ROW.format(address=ADDRESS_SQL) + " WHERE {where} ORDER BY v.visited_at, v.created_at".format(where=where)
    return [_visit_item(row) for row in conn.execute(sql, params)]


def visit(conn: sqlite3.Connection, visit_id: str) -> dict | None:
    row = conn.execute(_VISIT_ROW.format(address=ADDRESS_SQL) + " WHERE v.id = ? AND v.deleted = 0", (visit_id,)).fetchone()
    return _visit_item(row) if row else None


def visitors(conn: sqlite3.Connection) -> list[str]:
    """Everyone who has logged visits, and the station's guards."""
    names = {r[0] for r in conn.execute("SELECT DISTINCT visitor_name FROM visits WHERE deleted = 0")}
    names |= {r[0] for r in conn.execute("SELECT display_name FROM users WHERE role = 'guard' AND active = 1")}
    return sorted(names)
