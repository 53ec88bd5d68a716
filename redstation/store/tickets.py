"""Reading tickets for the desk view and the lists: filters, with the history the 5341 clock needs."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from redstation.store.queries import ADDRESS_SQL

OPEN = ("accepted", "assigned", "on_site")

_ROW = """
    SELECT t.*, CASE WHEN h.id IS NULL THEN '' ELSE {address} END AS address, coalesce(h.estate, '') AS estate,
           coalesce(r.name, t.caller_name) AS resident_name
    FROM tickets t LEFT JOIN households h ON h.id = t.household_id LEFT JOIN residents r ON r.id = t.resident_id"""


def tickets(conn: sqlite3.Connection, *, status: str | None = "open", kind: str | None = None, estate: str | None = None,
            assignee: str | None = None, start: datetime | None = None, end: datetime | None = None,
            limit: int | None = None, origin: str | None = None) -> list[dict]:
    """Tickets that pass the filters, newest first, each with its pause/resume history under "events".

    ``status``: "open" (accepted, assigned, on site), None for all, or one status.
    """
    where, params = ["t.deleted = 0"], []
    if status == "open":
        where.append("t.status IN ({marks})".format(marks=",".join("?" * len(OPEN))))
        params += OPEN
    elif status:
        where.append("t.status = ?")
        params.append(status)
    for column, value in (("t.kind", kind), ("h.estate", estate), ("t.assignee_name", assignee), ("t.origin", origin)):
        if value:
            where.append("{column} = ?".format(column=column))
            params.append(value)
    if start is not None:
        where.append("t.accepted_at >= ?")
        params.append(start.isoformat(timespec="seconds"))
    if end is not None:
        where.append("t.accepted_at < ?")
        params.append(end.isoformat(timespec="seconds"))
    sql = _ROW.format(address=ADDRESS_SQL) + " WHERE {where} ORDER BY t.accepted_at DESC".format(where=" AND ".join(where))
    if limit is not None:
        sql += " LIMIT {n:d}".format(n=limit)
    found = [dict(row) for row in conn.execute(sql, params)]
    by_id = {item["id"]: item for item in found}
    for item in found:
        item["events"] = []
    every = [item["id"] for item in found]
    for chunk in range(0, len(every), 500):
        ids = every[chunk:chunk + 500]
        for event in conn.execute(
                """SELECT ticket_id, at, action FROM ticket_events WHERE deleted = 0 AND action IN ('pause', 'resume')
                   AND ticket_id IN ({marks}) ORDER BY at, created_at""".format(marks=",".join("?" * len(ids))), ids):
            by_id[event["ticket_id"]]["events"].append(dict(event))
    return found


def assignees(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT DISTINCT assignee_name FROM tickets WHERE deleted = 0 AND assignee_name <> '' ORDER BY assignee_name")]
