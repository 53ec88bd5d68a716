"""Read-only queries over live records (tombstones left out)."""

from __future__ import annotations

import json
import sqlite3
from typing import Iterator

STAT_KINDS = ("households", "residents", "key_households", "visits", "tickets", "volunteers", "activities", "meetings")


def stats(conn: sqlite3.Connection) -> dict[str, int]:
    counts = {kind: conn.execute("SELECT count(*) FROM {t} WHERE deleted = 0".format(t=kind)).fetchone()[0]
              for kind in STAT_KINDS if kind != "key_households"}
    counts["key_households"] = key_household_count(conn)
    return {kind: counts[kind] for kind in STAT_KINDS}


# A key household: someone living there is in a care category, or the household has its own visit interval.
KEY_HOUSEHOLD = """h.deleted = 0 AND (h.visit_interval_hours IS NOT NULL OR EXISTS (
    SELECT 1 FROM residents k WHERE k.household_id = h.id AND k.deleted = 0 AND k.status = 'active'
    AND k.care_categories <> '[]'))"""


def key_household_count(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM households h WHERE " + KEY_HOUSEHOLD).fetchone()[0]


ADDRESS_SQL = "h.estate || ' ' || h.building || '-' || CASE WHEN h.unit <> '' THEN h.unit || '-' ELSE '' END || h.room"

LIST_SQL = {
    "households": """
        SELECT h.id, h.estate, h.building, h.unit, h.room, {address} AS address, h.residence_type,
               (SELECT count(*) FROM residents r WHERE r.household_id = h.id AND r.deleted = 0 AND r.status = 'active') AS members,
               (SELECT json_group_array(DISTINCT c.value) FROM residents r, json_each(r.care_categories) c
                 WHERE r.household_id = h.id AND r.deleted = 0 AND r.status = 'active') AS care_categories
        FROM households h WHERE h.deleted = 0
        ORDER BY h.estate, h.building, h.unit, h.floor, h.room""",
    "residents": """
        SELECT r.id, r.name, r.gender, r.birth_date, r.id_number, r.phone, r.relation, r.status,
               r.care_categories, r.household_id, {address} AS address
        FROM residents r JOIN households h ON h.id = r.household_id WHERE r.deleted = 0
        ORDER BY h.estate, h.building, h.unit, h.floor, h.room, r.relation <> 'head', r.birth_date""",
    "visits": """
        SELECT v.id, v.household_id, {address} AS address, v.visited_at, v.visitor_name, v.outcome, v.handling,
               v.finding, v.late_entry, v.ticket_id
        FROM visits v JOIN households h ON h.id = v.household_id WHERE v.deleted = 0
        ORDER BY v.visited_at DESC""",
    "tickets": """
        SELECT t.id, t.number, t.kind, t.source, t.severity, t.status, t.paused, t.summary, t.caller_name,
               t.accepted_at, t.assignee_name, t.onsite_due_at, t.resolve_due_at, t.plan_due_at,
               t.onsite_at, t.plan_at, t.resolved_at, t.called_back_at
        FROM tickets t WHERE t.deleted = 0 ORDER BY t.accepted_at DESC""",
    "volunteers": """
        SELECT v.id, v.name, v.gender, v.phone, v.party_member, v.serving_party_member,
               (SELECT json_group_array(s.skill) FROM volunteer_skills s WHERE s.volunteer_id = v.id AND s.deleted = 0) AS skills,
               (SELECT json_group_array(t.name) FROM team_members m JOIN teams t ON t.id = m.team_id
                 WHERE m.volunteer_id = v.id AND m.deleted = 0 AND t.deleted = 0) AS teams,
               (SELECT coalesce(sum(x.hours), 0) FROM attendance x JOIN activities a ON a.id = x.activity_id
                 WHERE x.volunteer_id = v.id AND {counted}) AS hours
        FROM volunteers v WHERE v.deleted = 0 ORDER BY v.name""",
    "activities": """
        SELECT a.id, a.title, a.kind, a.estate, a.place, a.starts_at, a.ends_at, a.hours, a.organiser,
               (SELECT count(*) FROM attendance x WHERE x.activity_id = a.id AND x.deleted = 0 AND x.attended = 1) AS attendees
        FROM activities a WHERE a.deleted = 0 ORDER BY a.starts_at DESC""",
    "meetings": """
        SELECT m.id, m.title, m.kind, m.estate, m.held_at, m.place, m.host, m.recorder,
               (SELECT count(*) FROM meeting_attendees x WHERE x.meeting_id = m.id AND x.deleted = 0) AS attendees,
               (SELECT count(*) FROM meeting_topics x WHERE x.meeting_id = m.id AND x.deleted = 0) AS topics,
               (SELECT count(*) FROM meeting_actions x WHERE x.meeting_id = m.id AND x.deleted = 0) AS actions
        FROM meetings m WHERE m.deleted = 0 ORDER BY m.held_at DESC""",
}
LIST_KINDS = tuple(LIST_SQL)
_JSON_COLUMNS = {"care_categories", "skills", "teams"}
_BOOL_COLUMNS = {"paused", "late_entry", "party_member", "serving_party_member"}


def list_records(conn: sqlite3.Connection, kind: str, limit: int | None = None) -> Iterator[dict]:
    """Live records of ``kind`` as plain dicts, in the order a person would read them."""
    sql = LIST_SQL[kind].format(address=ADDRESS_SQL, counted=COUNTED_HOURS)
    params: tuple = ()
    if limit is not None:
        sql += " LIMIT ?"
        params = (limit,)
    for row in conn.execute(sql, params):
        item = dict(row)
        for key in _JSON_COLUMNS & item.keys():
            item[key] = json.loads(item[key]) if item[key] else []
        for key in _BOOL_COLUMNS & item.keys():
            item[key] = bool(item[key])
        yield item


# --- the register page: filters, row keys in address order, rows fetched a block at a time -------------------

# The one rule of which volunteer service hours count; ``x`` is the attendance row, ``a`` its activity.
COUNTED_HOURS = "x.deleted = 0 AND x.attended = 1 AND a.deleted = 0"
ANY_CATEGORY = "*"   # the register's filter: residents in any care category
ADDRESS_ORDER = ("h.estate, CAST(h.building AS INTEGER), h.building, CAST(h.unit AS INTEGER), h.unit, "
                 "h.floor, CAST(h.room AS INTEGER), h.room")


def estates(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT DISTINCT estate FROM households WHERE deleted = 0 ORDER BY estate")]


def buildings(conn: sqlite3.Connection, estate: str) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT DISTINCT building FROM households WHERE deleted = 0 AND estate = ? ORDER BY CAST(building AS INTEGER), building",
        (estate,))]


def stations(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(id, name) of the stations whose records this database holds (more than one at a street office)."""
    return [(r[0], r[1]) for r in conn.execute("SELECT id, name FROM stations WHERE deleted = 0 ORDER BY name")]


def _register_filter(kind: str, estate: str | None, building: str | None, category: str | None,
                     origin: str | None = None) -> tuple[str, list]:
    where, params = ["h.deleted = 0"], []
    if origin:
        where.append("{t}.origin = ?".format(t="r" if kind == "residents" else "h"))
        params.append(origin)
    if kind == "residents":
        where.append("r.deleted = 0")
    if estate:
        where.append("h.estate = ?")
        params.append(estate)
    if building:
        where.append("h.building = ?")
        params.append(building)
    if category:
        pattern = '%"%' if category == ANY_CATEGORY else '%"{code}"%'.format(code=category)
        if kind == "residents":
            where.append("r.care_categories LIKE ?")
        else:
            where.append("""EXISTS (SELECT 1 FROM residents c WHERE c.household_id = h.id AND c.deleted = 0
                             AND c.status = 'active' AND c.care_categories LIKE ?)""")
        params.append(pattern)
    return " AND ".join(where), params


def register_keys(conn: sqlite3.Connection, kind: str, *, estate: str | None = None, building: str | None = None,
                  category: str | None = None, origin: str | None = None) -> list[int]:
    """Row keys of the live households or residents that pass the filters, in address order."""
    where, params = _register_filter(kind, estate, building, category, origin)
    if kind == "households":
        sql = "SELECT h.rowid FROM households h WHERE {where} ORDER BY {order}"
    else:
        sql = ("SELECT r.rowid FROM residents r JOIN households h ON h.id = r.household_id WHERE {where} "
               "ORDER BY {order}, r.status <> 'active', r.relation <> 'head', r.birth_date")
    return [r[0] for r in conn.execute(sql.format(where=where, order=ADDRESS_ORDER), params)]


REGISTER_ROWS = {
    "households": """
        SELECT h.rowid AS key, h.id, h.estate, h.building, h.unit, h.room, h.residence_type, h.phone,
               {address} AS address,
               (SELECT r.name FROM residents r WHERE r.household_id = h.id AND r.deleted = 0 AND r.status = 'active'
                 ORDER BY r.relation <> 'head', r.birth_date LIMIT 1) AS head,
               (SELECT count(*) FROM residents r WHERE r.household_id = h.id AND r.deleted = 0 AND r.status = 'active') AS members,
               (SELECT json_group_array(DISTINCT c.value) FROM residents r, json_each(r.care_categories) c
                 WHERE r.household_id = h.id AND r.deleted = 0 AND r.status = 'active') AS care_categories
        FROM households h WHERE h.rowid IN ({marks})""",
    "residents": """
        SELECT r.rowid AS key, r.id, r.household_id, r.name, r.gender, r.birth_date, r.id_number, r.phone, r.relation,
               r.status, r.care_categories, {address} AS address
        FROM residents r JOIN households h ON h.id = r.household_id WHERE r.rowid IN ({marks})""",
}


def register_rows(conn: sqlite3.Connection, kind: str, keys: list[int]) -> list[dict | None]:
    """The rows of ``keys`` (from ``register_keys``), in the same order; None for a row gone since."""
    if not keys:
        return []
    found = {}
    for row in conn.execute(REGISTER_ROWS[kind].format(address=ADDRESS_SQL, marks=",".join("?" * len(keys))), keys):
        item = dict(row)
        item["care_categories"] = json.loads(item["care_categories"]) if item["care_categories"] else []
        found[item["key"]] = item
    return [found.get(key) for key in keys]
