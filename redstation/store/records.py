"""Writing synchronised records: every row carries id, version, origin, deleted, created_at."""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import datetime

SYNCED_TABLES = (
    "stations", "households", "residents", "visits", "tickets", "ticket_events", "surveys",
    "satisfaction", "volunteers", "volunteer_skills", "teams", "team_members", "activities",
    "attendance", "meetings", "meeting_attendees", "meeting_topics", "meeting_actions",
)
APPEND_ONLY_TABLES = ("visits", "ticket_events")
MUTABLE_TABLES = tuple(t for t in SYNCED_TABLES if t not in APPEND_ONLY_TABLES)  # these carry a version vector
LOCAL_TABLES = ("settings", "users", "audit_log")


def new_id() -> str:
    return str(uuid.uuid4())


def now_iso(moment: datetime | None = None) -> str:
    return (moment or datetime.now()).isoformat(timespec="seconds")


def _check_table(table: str) -> None:
    if table not in SYNCED_TABLES and table not in LOCAL_TABLES:
        raise ValueError("unknown table {table!r}".format(table=table))


def insert_sql(table: str, columns: list[str]) -> str:
    _check_table(table)
    return "INSERT INTO {table} ({cols}) VALUES ({marks})".format(
        table=table, cols=", ".join(columns), marks=", ".join("?" * len(columns)))


def insert(conn: sqlite3.Connection, table: str, row: dict) -> None:
    conn.execute(insert_sql(table, list(row)), list(row.values()))


def insert_many(conn: sqlite3.Connection, table: str, rows: list[dict]) -> None:
    """Rows must all have the same keys, in the same order."""
    if rows:
        columns = list(rows[0])
        conn.executemany(insert_sql(table, columns), [[r[c] for c in columns] for r in rows])


def first_vclock(station_id: str, version: str) -> str:
    return json.dumps({station_id: version}, separators=(",", ":"))


def vclock_of(row) -> dict[str, str]:
    """A record's version vector; a row written before vectors existed counts as {origin: version}."""
    clock = json.loads(row["vclock"]) if row["vclock"] else {}
    return clock or {row["origin"]: row["version"]}


def update(conn: sqlite3.Connection, table: str, record_id: str, changes: dict,
           clock: tuple[str, str] | None = None) -> None:
    """Change a record; ``clock`` (station id, new version) also sets its version and its version vector."""
    _check_table(table)
    sets = ["{col} = ?".format(col=c) for c in changes]
    params = list(changes.values())
    if clock is not None:
        station_id, version = clock
        sets.append("version = ?")
        params.append(version)
        if table in MUTABLE_TABLES:  # the old vector (or {origin: old version}) with this station's entry set
            sets.append("vclock = json_set(CASE WHEN vclock = '{}' THEN json_object(origin, version) ELSE vclock END, ?, ?)")
            params += ['$."{s}"'.format(s=station_id), version]
    cursor = conn.execute("UPDATE {table} SET {sets} WHERE id = ?".format(table=table, sets=", ".join(sets)),
                          [*params, record_id])
    if cursor.rowcount != 1:
        raise LookupError("no {table} record {id}".format(table=table, id=record_id))


def get_setting(conn: sqlite3.Connection, key: str, default: str | None = None) -> str | None:
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return row[0] if row else default


def set_setting(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                 (key, value))
