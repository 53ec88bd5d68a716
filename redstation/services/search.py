"""Search-as-you-type over residents, for the front desk and ``redstation search``.

A query is one or more whitespace-separated terms, all of which must match: a name or part
of one (张, 长锁), pinyin initials or full pinyin (zcs, zhangch), the last digits of a phone
or id number (5678, 123X) or all of it, a building-room (3-304, 3-1-304, 3号楼304), an
estate (阳光花园). Best matches come first; residents who moved out or died come after the
living ones; deleted residents are never found. See redstation.store.search for the index.
"""

from __future__ import annotations

import sqlite3

from redstation.domain import roles
from redstation.services.session import Session
from redstation.store import queries
from redstation.store import search as index

DEFAULT_LIMIT = 20

_RESULT_SQL = """
    SELECT r.id, r.name, {address} AS address, r.household_id, r.gender, r.birth_date, r.status,
           r.phone, r.id_number, r.relation
    FROM residents r JOIN households h ON h.id = r.household_id
    WHERE r.id IN ({marks})"""


def has_terms(text: str | None) -> bool:
    """False for a query with nothing to search for (blank, or punctuation only)."""
    return bool(index.parse(text))


def search(session: Session | sqlite3.Connection, text: str | None, limit: int = DEFAULT_LIMIT) -> list[dict]:
    """Residents matching ``text``, best match first, at most ``limit``; empty for a blank query.

    Each is a dict: id, name, address, household_id, gender, birth_date, status, phone,
    id_number, relation. Given a session, phone and id number are as its user may see them
    (masked; no id number for a guard); given a bare connection, as stored.
    """
    conn = session.conn if isinstance(session, Session) else session
    ids = index.find(conn, text, limit)
    if not ids:
        return []
    sql = _RESULT_SQL.format(address=queries.ADDRESS_SQL, marks=", ".join("?" * len(ids)))
    rows = {row["id"]: dict(row) for row in conn.execute(sql, ids)}
    found = [rows[i] for i in ids if i in rows]
    if isinstance(session, Session):
        found = [roles.shown(session.actor.role, item) for item in found]
    return found
