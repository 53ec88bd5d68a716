"""Reading volunteers, teams, activities and service hours for the volunteers page, the certificate and the lists.

Which hours count is decided here once, in ``COUNTED``: an attendance row that is live, marked
attended, of a live activity. A period takes the activities that *start* on one of its days,
both ends included (``services.volunteers.period_bounds`` turns the days into the bounds).
Every total (a volunteer's, a team's, the list's column, the certificate) is summed over
these rows, so no two screens disagree.
"""

from __future__ import annotations

import sqlite3

from redstation.store.queries import COUNTED_HOURS as COUNTED  # which service hours count


def _period(where: list[str], params: list, bounds: tuple[str | None, str | None]) -> None:
    """Activities starting within ``bounds`` (ISO texts, the first included, the second not; None: open)."""
    first, after = bounds
    if first is not None:
        where.append("a.starts_at >= ?")
        params.append(first)
    if after is not None:
        where.append("a.starts_at < ?")
        params.append(after)


def service_records(conn: sqlite3.Connection, bounds: tuple[str | None, str | None] = (None, None), *,
                    volunteer_id: str | None = None, team_id: str | None = None) -> list[dict]:
    """The counted service of a volunteer or of a team's activities (or of everyone), oldest first.

    Each: attendance id, volunteer_id, volunteer name, activity_id, title, kind, place, estate,
    starts_at, ends_at, the activity's default hours and the hours credited.
    """
    where, params = [COUNTED], []
    _period(where, params, bounds)
    if volunteer_id is not None:
        where.append("x.volunteer_id = ?")
        params.append(volunteer_id)
    if team_id is not None:
        where.append("a.team_id = ?")
        params.append(team_id)
    sql = """SELECT x.id, x.volunteer_id, v.name, x.activity_id, a.title, a.kind, a.place, a.estate, a.starts_at,
                    a.ends_at, a.hours AS default_hours, x.hours
             FROM attendance x JOIN activities a ON a.id = x.activity_id JOIN volunteers v ON v.id = x.volunteer_id
             WHERE {where} ORDER BY a.starts_at, a.title, v.name""".format(where=" AND ".join(where))
    return [dict(row) for row in conn.execute(sql, params)]


def hours_by_volunteer(conn: sqlite3.Connection, bounds: tuple[str | None, str | None] = (None, None)) -> dict[str, float]:
    """Counted hours of every volunteer with any in the period."""
    where, params = [COUNTED], []
    _period(where, params, bounds)
    return dict(conn.execute(
        """SELECT x.volunteer_id, sum(x.hours) FROM attendance x JOIN activities a ON a.id = x.activity_id
           WHERE {where} GROUP BY x.volunteer_id""".format(where=" AND ".join(where)), params).fetchall())


def hours_by_team(conn: sqlite3.Connection, bounds: tuple[str | None, str | None] = (None, None)) -> dict[str, tuple[int, float]]:
    """(activities, counted hours) of the activities each team organised in the period."""
    where, params = ["a.deleted = 0", "a.team_id IS NOT NULL"], []
    _period(where, params, bounds)
    return {row[0]: (row[1], row[2]) for row in conn.execute(
        """SELECT a.team_id, count(DISTINCT a.id), coalesce(sum(CASE WHEN {counted} THEN x.hours END), 0)
           FROM activities a LEFT JOIN attendance x ON x.activity_id = a.id
           WHERE {where} GROUP BY a.team_id""".format(counted=COUNTED, where=" AND ".join(where)), params)}


# --- volunteers --------------------------------------------------------------------------------------------

def volunteer(conn: sqlite3.Connection, volunteer_id: str) -> dict | None:
    """A live volunteer with skills [{id, skill, level}] and teams [{id, name, leader}], or None."""
    row = conn.execute("SELECT * FROM volunteers WHERE id = ? AND deleted = 0", (volunteer_id,)).fetchone()
    if row is None:
        return None
    item = dict(row)
    item["skills"] = skills_of(conn, [volunteer_id]).get(volunteer_id, [])
    item["teams"] = teams_of(conn, [volunteer_id]).get(volunteer_id, [])
    return item


def skills_of(conn: sqlite3.Connection, volunteer_ids: list[str] | None = None) -> dict[str, list[dict]]:
    """Live skills by volunteer (best level first); of every volunteer when ``volunteer_ids`` is None."""
    sql = "SELECT id, volunteer_id, skill, level FROM volunteer_skills WHERE deleted = 0"
    params: list = []
    if volunteer_ids is not None:
        sql += " AND volunteer_id IN ({marks})".format(marks=",".join("?" * len(volunteer_ids)))
        params = list(volunteer_ids)
    found: dict[str, list[dict]] = {}
    for row in conn.execute(sql + " ORDER BY level DESC, created_at, skill", params):
        found.setdefault(row["volunteer_id"], []).append({"id": row["id"], "skill": row["skill"], "level": row["level"]})
    return found


def teams_of(conn: sqlite3.Connection, volunteer_ids: list[str] | None = None) -> dict[str, list[dict]]:
    """Live teams by volunteer: [{id, name, leader, membership}], by name."""
    sql = """SELECT m.id AS membership, m.volunteer_id, t.id, t.name, t.leader_id = m.volunteer_id AS leader
             FROM team_members m JOIN teams t ON t.id = m.team_id WHERE m.deleted = 0 AND t.deleted = 0"""
    params: list = []
    if volunteer_ids is not None:
        sql += " AND m.volunteer_id IN ({marks})".format(marks=",".join("?" * len(volunteer_ids)))
        params = list(volunteer_ids)
    found: dict[str, list[dict]] = {}
    for row in conn.execute(sql + " ORDER BY t.name", params):
        found.setdefault(row["volunteer_id"], []).append(
            {"id": row["id"], "name": row["name"], "leader": bool(row["leader"]), "membership": row["membership"]})
    return found


def volunteers(conn: sqlite3.Connection, *, active: bool | None = None, skill: str | None = None,
               team_id: str | None = None, party: str | None = None) -> list[dict]:
    """Live volunteers passing the filters, by name, with skills and teams (no hours: see hours_by_volunteer).

    ``party``: "member" (party members, serving ones included) or "serving" (在职党员).
    """
    where, params = ["v.deleted = 0"], []
    if active is not None:
        where.append("v.active = ?")
        params.append(int(active))
    if skill:
        where.append("EXISTS (SELECT 1 FROM volunteer_skills s WHERE s.volunteer_id = v.id AND s.deleted = 0 AND s.skill = ?)")
        params.append(skill)
    if team_id:
        where.append("""EXISTS (SELECT 1 FROM team_members m WHERE m.volunteer_id = v.id AND m.deleted = 0
                        AND m.team_id = ?)""")
        params.append(team_id)
    if party == "member":
        where.append("(v.party_member = 1 OR v.serving_party_member = 1)")
    elif party == "serving":
        where.append("v.serving_party_member = 1")
    rows = [dict(r) for r in conn.execute(
        "SELECT v.* FROM volunteers v WHERE {where} ORDER BY v.name, v.created_at".format(where=" AND ".join(where)), params)]
    ids = [r["id"] for r in rows] if len(rows) < 900 else None   # the whole table rather than a huge IN list
    skills, teams = skills_of(conn, ids), teams_of(conn, ids)
    for row in rows:
        row["skills"] = skills.get(row["id"], [])
        row["teams"] = teams.get(row["id"], [])
    return rows


def volunteer_with_resident(conn: sqlite3.Connection, resident_id: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM volunteers WHERE resident_id = ? AND deleted = 0", (resident_id,)).fetchone()


def volunteer_with_id_number(conn: sqlite3.Connection, number: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM volunteers WHERE id_number = ? AND deleted = 0", (number,)).fetchone()


def skill_names(conn: sqlite3.Connection) -> list[str]:
    """Every skill a live volunteer has (codes and free-text skills), most common first."""
    return [r[0] for r in conn.execute(
        """SELECT s.skill FROM volunteer_skills s JOIN volunteers v ON v.id = s.volunteer_id
           WHERE s.deleted = 0 AND v.deleted = 0 GROUP BY s.skill ORDER BY count(*) DESC, s.skill""")]


# --- teams -------------------------------------------------------------------------------------------------

def team(conn: sqlite3.Connection, team_id: str) -> dict | None:
    row = conn.execute("SELECT * FROM teams WHERE id = ? AND deleted = 0", (team_id,)).fetchone()
    return dict(row) if row else None


def teams(conn: sqlite3.Connection) -> list[dict]:
    """Live teams by name with the leader's name and the number of members."""
    return [dict(r) for r in conn.execute(
        """SELECT t.*, coalesce(l.name, '') AS leader_name,
                  (SELECT count(*) FROM team_members m JOIN volunteers v ON v.id = m.volunteer_id
                    WHERE m.team_id = t.id AND m.deleted = 0 AND v.deleted = 0) AS members
           FROM teams t LEFT JOIN volunteers l ON l.id = t.leader_id AND l.deleted = 0
           WHERE t.deleted = 0 ORDER BY t.name""")]


def team_members(conn: sqlite3.Connection, team_id: str) -> list[dict]:
    """The live members of a team (leader first, then by name): membership id, volunteer id, name, role, active."""
    return [dict(r) for r in conn.execute(
        """SELECT m.id AS membership, m.role, v.id, v.name, v.phone, v.active, t.leader_id = v.id AS leader
           FROM team_members m JOIN volunteers v ON v.id = m.volunteer_id JOIN teams t ON t.id = m.team_id
           WHERE m.team_id = ? AND m.deleted = 0 AND v.deleted = 0
           ORDER BY t.leader_id = v.id DESC, v.name""", (team_id,))]


def membership(conn: sqlite3.Connection, team_id: str, volunteer_id: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM team_members WHERE team_id = ? AND volunteer_id = ? AND deleted = 0",
                        (team_id, volunteer_id)).fetchone()


def team_with_name(conn: sqlite3.Connection, name: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM teams WHERE name = ? AND deleted = 0", (name,)).fetchone()


# --- activities --------------------------------------------------------------------------------------------

_ACTIVITY = """
    SELECT a.*, coalesce(t.name, '') AS team_name,
           (SELECT count(*) FROM attendance x WHERE x.activity_id = a.id AND x.deleted = 0 AND x.signed_up = 1) AS signed_up,
           (SELECT count(*) FROM attendance x WHERE x.activity_id = a.id AND x.deleted = 0 AND x.attended = 1) AS attended,
           (SELECT coalesce(sum(x.hours), 0) FROM attendance x WHERE x.activity_id = a.id AND {counted}) AS total_hours
    FROM activities a LEFT JOIN teams t ON t.id = a.team_id AND t.deleted = 0"""


def activity(conn: sqlite3.Connection, activity_id: str) -> dict | None:
    row = conn.execute(_ACTIVITY.format(counted=COUNTED) + " WHERE a.id = ? AND a.deleted = 0", (activity_id,)).fetchone()
    return dict(row) if row else None


def activities(conn: sqlite3.Connection, bounds: tuple[str | None, str | None] = (None, None), *, kind: str | None = None,
               team_id: str | None = None, estate: str | None = None) -> list[dict]:
    """Live activities starting in the period, newest first, with sign-ups, attendees and counted hours."""
    where, params = ["a.deleted = 0"], []
    _period(where, params, bounds)
    for column, value in (("a.kind", kind), ("a.team_id", team_id), ("a.estate", estate)):
        if value:
            where.append("{column} = ?".format(column=column))
            params.append(value)
    sql = _ACTIVITY.format(counted=COUNTED) + " WHERE {where} ORDER BY a.starts_at DESC".format(where=" AND ".join(where))
    return [dict(r) for r in conn.execute(sql, params)]


def attendance(conn: sqlite3.Connection, activity_id: str) -> list[dict]:
    """The live attendance rows of an activity by the volunteer's name: id, volunteer id and name, phone, ticks, hours."""
    return [dict(r) for r in conn.execute(
        """SELECT x.id, x.volunteer_id, v.name, v.phone, v.active, x.signed_up, x.attended, x.hours, x.version
           FROM attendance x JOIN volunteers v ON v.id = x.volunteer_id
           WHERE x.activity_id = ? AND x.deleted = 0 ORDER BY v.name, x.created_at""", (activity_id,))]


def attendance_row(conn: sqlite3.Connection, activity_id: str, volunteer_id: str) -> dict | None:
    row = conn.execute("SELECT * FROM attendance WHERE activity_id = ? AND volunteer_id = ? AND deleted = 0",
                       (activity_id, volunteer_id)).fetchone()
    return dict(row) if row else None


def signed_up_activities(conn: sqlite3.Connection, volunteer_id: str,
                         bounds: tuple[str | None, str | None] = (None, None)) -> list[dict]:
    """Every live activity the volunteer is on (signed up, attended or not), newest first, with their row."""
    where, params = ["x.deleted = 0", "a.deleted = 0", "x.volunteer_id = ?"], [volunteer_id]
    _period(where, params, bounds)
    return [dict(r) for r in conn.execute(
        """SELECT a.id AS activity_id, a.title, a.kind, a.place, a.estate, a.starts_at, a.ends_at, a.hours AS default_hours,
                  x.signed_up, x.attended, x.hours
           FROM attendance x JOIN activities a ON a.id = x.activity_id
           WHERE {where} ORDER BY a.starts_at DESC""".format(where=" AND ".join(where)), params)]


def estates(conn: sqlite3.Connection) -> list[str]:
    """The register's estates and those activities were held in."""
    return [r[0] for r in conn.execute(
        """SELECT estate FROM households WHERE deleted = 0 UNION SELECT estate FROM activities WHERE deleted = 0
           AND estate <> '' ORDER BY 1""")]


def organisers(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT organiser FROM activities WHERE deleted = 0 AND organiser <> '' GROUP BY organiser ORDER BY count(*) DESC")]
