"""A session: one database connection used by one actor (a user of the window, or the command line).

Every change goes through ``Session.write``: one ``BEGIN IMMEDIATE`` transaction that
stamps each record with a hybrid-logical-clock version and this station's id, and ends
with one audit-log entry naming the acting user. Anything that fails rolls it all back.
"""

from __future__ import annotations

import getpass
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from redstation import RedStationError
from redstation.domain import roles
from redstation.i18n import _
from redstation.store import db, records, search
from redstation.store.audit import append as audit_append
from redstation.sync.hlc import HybridClock


@dataclass(frozen=True)
class Actor:
    id: str | None
    name: str
    role: str

    @classmethod
    def command_line(cls) -> "Actor":
        """The command line without ``--user``: the operating-system user, as station manager.

        Whoever can run commands on the computer can read the database file anyway; ``--user``
        makes the command line act as a named account with that account's role.
        """
        try:
            login = getpass.getuser()
        except Exception:  # no login name on some service accounts
            login = "?"
        return cls(None, "cli:{login}".format(login=login), "admin")


class Session:
    def __init__(self, conn: sqlite3.Connection, actor: Actor, path: Path | None = None):
        self.conn = conn
        self.actor = actor
        self.path = path

    @classmethod
    def open(cls, path: str | Path, actor: Actor, *, create: bool = True) -> "Session":
        return cls(db.connect(path, create=create), actor, Path(path))

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def station_id(self) -> str | None:
        return records.get_setting(self.conn, "station_id")

    def station(self) -> sqlite3.Row | None:
        station_id = self.station_id
        if station_id is None:
            return None
        return self.conn.execute("SELECT * FROM stations WHERE id = ?", (station_id,)).fetchone()

    def require_station(self) -> sqlite3.Row:
        station = self.station()
        if station is None:
            raise RedStationError(_("This database has no station yet; create it with 'redstation init' or in the window"))
        return station

    def require(self, action: str) -> None:
        """Refuse (``roles.NotAllowed``) before any work when the user may not do ``action``.

        For work that makes a file before its audit entry (prints, exports), so that nothing is made.
        """
        roles.check(self.actor.role, action)

    @contextmanager
    def write(self, action: str, kind: str | None = None, record_id: str | None = None,
              detail: dict | None = None) -> Iterator["Write"]:
        self.require(action)   # the role's limits hold for the window and the command line alike
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            change = Write(self, action, kind, record_id, dict(detail or {}))
            yield change
            change.finish()
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise


def check_version(current: dict, expected_version: str | None) -> None:
    """Refuse an edit of a record someone changed after the user opened it (``expected_version``: what they saw)."""
    if expected_version is not None and current["version"] != expected_version:
        raise RedStationError(_("This record was changed by someone else while you were editing it; "
                                "close the form and open it again to see their change"))


class Write:
    """The open transaction of one ``Session.write``; stamps records and writes the audit entry."""

    def __init__(self, session: Session, action: str, kind: str | None, record_id: str | None, detail: dict):
        self.session = session
        self.conn = session.conn
        self.action, self.kind, self.record_id, self.detail = action, kind, record_id, detail
        self.station_id = session.station_id
        self._clock: HybridClock | None = None
        self.now = records.now_iso()

    @property
    def clock(self) -> HybridClock:
        if self._clock is None:
            if not self.station_id:
                raise RedStationError(_("This database has no station yet; create it with 'redstation init' or in the window"))
            self._clock = HybridClock(self.station_id, records.get_setting(self.conn, "hlc_last"))
        return self._clock

    def stamp(self, table: str, values: dict) -> dict:
        """``values`` with the sync columns filled in for a new record of ``table``."""
        version = self.clock.now()
        row = {"id": values.get("id") or records.new_id(), "version": version, "origin": self.station_id,
               "deleted": 0, "created_at": self.now}
        if table in records.MUTABLE_TABLES:
            row["vclock"] = records.first_vclock(self.station_id, version)
        row.update({k: v for k, v in values.items() if k != "id"})
        return row

    def insert(self, table: str, **values) -> str:
        row = self.stamp(table, values)
        records.insert(self.conn, table, row)
        return row["id"]

    def insert_many(self, table: str, rows: list[dict]) -> None:
        records.insert_many(self.conn, table, [self.stamp(table, r) for r in rows])

    def update(self, table: str, record_id: str, **changes) -> None:
        if table in records.APPEND_ONLY_TABLES:
            raise ValueError("{table} is append-only".format(table=table))
        records.update(self.conn, table, record_id, changes, clock=(self.station_id, self.clock.now()))

    def delete(self, table: str, record_id: str) -> None:
        """Mark a record deleted; the tombstone keeps its id and travels to other stations."""
        self.update(table, record_id, deleted=1)

    def finish(self) -> None:
        search.refresh(self.conn)  # residents whose name, numbers or address this write changed
        if self._clock is not None:
            records.set_setting(self.conn, "hlc_last", self._clock.last)
        actor = self.session.actor
        audit_append(self.conn, {
            "id": records.new_id(), "origin": self.station_id or "", "at": records.now_iso(),
            "user_id": actor.id, "user_name": actor.name, "action": self.action, "kind": self.kind,
            "record_id": self.record_id, "detail": self.detail,
        })
