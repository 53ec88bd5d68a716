"""Reading round-table meetings: the list with its counts, one meeting whole, the people and tickets to choose from."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime

from redstation.domain.vocab import MEETING_PARTIES

# attendees are shown and printed party by party, in the order of the vocabulary (Party first, residents last)
PARTY_ORDER_SQL = "CASE a.party {whens} ELSE {n} END".format(
    whens=" ".join("WHEN '{code}' THEN {n}".format(code=code, n=n) for n, code in enumerate(MEETING_PARTIES)),
    n=len(MEETING_PARTIES))

TICKET_COLUMNS = "t.id, t.number, t.kind, t.status, t.severity, t.summary, t.accepted_at, t.resolved_at"


def meetings(conn: sqlite3.Connection, *, estate: str | None = None, kind: str | None = None,
             start: datetime | None = None, end: datetime | None = None) -> list[dict]:
    """Live meetings that pass the filters, newest first, with how many attendees, topics and actions (open, done)."""
    where, params = ["m.deleted = 0"], []
    for column, value in (("m.estate", estate), ("m.kind", kind)):
        if value:
            where.append("{column} = ?".format(column=column))
            params.append(value)
    if start is not None:
        where.append("m.held_at >= ?")
        params.append(start.isoformat(timespec="seconds"))
    if end is not None:
        where.append("m.held_at < ?")
        params.append(end.isoformat(timespec="seconds"))
    sql = """
        SELECT m.*,
               (SELECT count(*) FROM meeting_attendees x WHERE x.meeting_id = m.id AND x.deleted = 0) AS attendees,
               (SELECT count(*) FROM meeting_topics x WHERE x.meeting_id = m.id AND x.deleted = 0) AS topics,
               (SELECT count(*) FROM meeting_actions x WHERE x.meeting_id = m.id AND x.deleted = 0) AS actions,
               (SELECT count(*) FROM meeting_actions x WHERE x.meeting_id = m.id AND x.deleted = 0
                 AND x.status = 'open') AS open_actions,
               (SELECT min(x.due_date) FROM meeting_actions x WHERE x.meeting_id = m.id AND x.deleted = 0
                 AND x.status = 'open') AS first_due
        FROM meetings m WHERE {where} ORDER BY m.held_at DESC, m.created_at DESC""".format(where=" AND ".join(where))
    return [dict(row) for row in conn.execute(sql, params)]


def meeting_row(conn: sqlite3.Connection, meeting_id: str) -> dict | None:
    row = conn.execute("SELECT * FROM meetings WHERE id = ? AND deleted = 0", (meeting_id,)).fetchone()
    return dict(row) if row else None


def attendees(conn: sqlite3.Connection, meeting_id: str) -> list[dict]:
    """A meeting's attendees party by party, each party in the order they were entered."""
    return [dict(r) for r in conn.execute(
        "SELECT a.* FROM meeting_attendees a WHERE a.meeting_id = ? AND a.deleted = 0 "
        "ORDER BY {party}, a.seq, a.created_at, a.rowid".format(party=PARTY_ORDER_SQL), (meeting_id,))]


def topics(conn: sqlite3.Connection, meeting_id: str) -> list[dict]:
    """A meeting's topics in order, each with its linked tickets under "tickets" (number, status, summary)."""
    found = [dict(r) for r in conn.execute(
        "SELECT * FROM meeting_topics WHERE meeting_id = ? AND deleted = 0 ORDER BY seq, created_at, rowid", (meeting_id,))]
    for topic in found:
        topic["ticket_ids"] = json.loads(topic["ticket_ids"])
        topic["tickets"] = tickets_by_id(conn, topic["ticket_ids"])
    return found


def actions(conn: sqlite3.Connection, meeting_id: str) -> list[dict]:
    """A meeting's follow-up actions in order, with the title of their topic."""
    return [dict(r) for r in conn.execute(
        """SELECT x.*, coalesce(t.title, '') AS topic_title, t.seq AS topic_seq FROM meeting_actions x
           LEFT JOIN meeting_topics t ON t.id = x.topic_id AND t.deleted = 0
           WHERE x.meeting_id = ? AND x.deleted = 0 ORDER BY x.seq, x.created_at, x.rowid""", (meeting_id,))]


def attendee(conn: sqlite3.Connection, attendee_id: str) -> dict | None:
    row = conn.execute("SELECT * FROM meeting_attendees WHERE id = ? AND deleted = 0", (attendee_id,)).fetchone()
    return dict(row) if row else None


def topic(conn: sqlite3.Connection, topic_id: str) -> dict | None:
    row = conn.execute("SELECT * FROM meeting_topics WHERE id = ? AND deleted = 0", (topic_id,)).fetchone()
    if row is None:
        return None
    item = dict(row)
    item["ticket_ids"] = json.loads(item["ticket_ids"])
    return item


def action(conn: sqlite3.Connection, action_id: str) -> dict | None:
    row = conn.execute("SELECT * FROM meeting_actions WHERE id = ? AND deleted = 0", (action_id,)).fetchone()
    return dict(row) if row else None


def next_seq(conn: sqlite3.Connection, table: str, meeting_id: str) -> int:
    if table not in ("meeting_attendees", "meeting_topics", "meeting_actions"):
        raise ValueError(table)
    row = conn.execute("SELECT max(seq) FROM {table} WHERE meeting_id = ? AND deleted = 0".format(table=table),
                       (meeting_id,)).fetchone()
    return (row[0] or 0) + 1


def tickets_by_id(conn: sqlite3.Connection, ticket_ids: list[str]) -> list[dict]:
    """The live tickets of ``ticket_ids``, in that order (ids of deleted tickets are left out)."""
    if not ticket_ids:
        return []
    rows = {r["id"]: dict(r) for r in conn.execute(
        "SELECT {cols} FROM tickets t WHERE t.deleted = 0 AND t.id IN ({marks})".format(
            cols=TICKET_COLUMNS, marks=",".join("?" * len(ticket_ids))), ticket_ids)}
    return [rows[i] for i in ticket_ids if i in rows]


def ticket_choices(conn: sqlite3.Connection, query: str = "", *, since: datetime | None = None, estate: str = "",
                   limit: int = 50) -> list[dict]:
    """Tickets a topic may discuss: open ones and those accepted since ``since``, ``estate``'s first, newest first.

    ``query`` narrows them to a number (or its tail, 0B6C-20261124-011 or 011) or words of
    the summary; a whole number finds its ticket however old it is.
    """
    query = (query or "").strip()
    where, params = ["t.deleted = 0"], []
    if query:
        like = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append("(t.number = ? OR ((t.number LIKE ? ESCAPE '\\' OR t.summary LIKE ? ESCAPE '\\') AND ({recent})))")
        params += [query, like, like]
    else:
        where.append("({recent})")
    recent = "t.status IN ('accepted', 'assigned', 'on_site')"
    if since is not None:
        recent += " OR t.accepted_at >= ?"
        params.append(since.isoformat(timespec="seconds"))
    sql = """SELECT {cols}, coalesce(h.estate, '') AS estate FROM tickets t LEFT JOIN households h ON h.id = t.household_id
             WHERE {where} ORDER BY coalesce(h.estate, '') = ? DESC, t.accepted_at DESC LIMIT {limit:d}""".format(
        cols=TICKET_COLUMNS, where=" AND ".join(where).format(recent=recent), limit=limit)
    return [dict(r) for r in conn.execute(sql, params + [estate or ""])]


def people(conn: sqlite3.Connection) -> list[dict]:
    """The staff (active users) and the active volunteers an attendee may be: {kind, id, name}."""
    found = [{"kind": "user", "id": r["id"], "name": r["display_name"]} for r in conn.execute(
        "SELECT id, display_name FROM users WHERE active = 1 AND role <> 'viewer' ORDER BY role <> 'admin', display_name")]
    found += [{"kind": "volunteer", "id": r["id"], "name": r["name"]} for r in conn.execute(
        "SELECT id, name FROM volunteers WHERE deleted = 0 AND active = 1 ORDER BY name")]
    return found


def places(conn: sqlite3.Connection) -> list[str]:
    """Where the station's meetings were held, most used first."""
    return [r[0] for r in conn.execute(
        "SELECT place FROM meetings WHERE deleted = 0 AND place <> '' GROUP BY place ORDER BY count(*) DESC, place LIMIT 20")]


def estates(conn: sqlite3.Connection) -> list[str]:
    """The estates of the register and of the meetings (a meeting may be about an estate not registered yet)."""
    return [r[0] for r in conn.execute(
        "SELECT estate FROM households WHERE deleted = 0 UNION SELECT estate FROM meetings WHERE deleted = 0 AND estate <> '' "
        "ORDER BY 1")]
