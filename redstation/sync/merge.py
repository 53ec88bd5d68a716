"""Merging a bundle's records into this database: the rule every station follows, so all end up the same.

For each record (by its global id):
- unknown here: it is added as it is (a tombstone too, so an older copy never brings it back);
- append-only (visits, ticket history): known means the same, nothing to do;
- otherwise the version vectors decide. The incoming one covers ours: it is the newer state,
  take it. Ours covers the incoming one: it is old news, keep ours. Neither covers the
  other: both stations changed the record since they last had the same copy, a conflict.
  The later version (the hybrid-logical-clock order, the same at every station) wins, the
  merged vector covers both, and the losing version is kept in ``sync_conflicts`` for an
  administrator to look at, and take instead if it was the right one.

Because the winner is always the later version and the vectors only ever grow, any order
of importing any set of bundles leaves every station with the same records.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field

from redstation.i18n import _
from redstation.store import records
from redstation.sync.hlc import parse_version


def covers(a: dict[str, str], b: dict[str, str]) -> bool:
    """Whether vector ``a`` has seen everything ``b`` has (each station's entry at least as late)."""
    return all(a.get(station, "") >= version for station, version in b.items())


def merged(a: dict[str, str], b: dict[str, str]) -> dict[str, str]:
    return {station: max(a.get(station, ""), b.get(station, "")) for station in a.keys() | b.keys()}


@dataclass
class Tally:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    conflicts: int = 0
    tombstones: int = 0       # records that arrived already deleted
    by_table: dict[str, dict[str, int]] = field(default_factory=dict)
    conflict_list: list[dict] = field(default_factory=list)   # table, id, winner and loser versions (for a preview)
    latest: str = ""          # the latest version seen, for the clock

    def count(self, table: str, what: str) -> None:
        setattr(self, what, getattr(self, what) + 1)
        counts = self.by_table.setdefault(table, {})
        counts[what] = counts.get(what, 0) + 1

    def as_json(self) -> dict:
        return {"inserted": self.inserted, "updated": self.updated, "unchanged": self.unchanged, "deleted": self.deleted,
                "conflicts": self.conflicts}


def _write(conn: sqlite3.Connection, table: str, row: dict, exists: bool) -> None:
    columns = list(row)
    if exists:
        conn.execute("UPDATE {t} SET {sets} WHERE id = ?".format(t=table, sets=", ".join(c + " = ?" for c in columns)),
                     [row[c] for c in columns] + [row["id"]])
    else:
        records.insert(conn, table, row)


_NOT_CONTENT = ("id", "version", "vclock", "origin", "created_at")


def _content(row: dict) -> dict:
    return {k: v for k, v in row.items() if k not in _NOT_CONTENT}


def _settled_elsewhere(conn: sqlite3.Connection, table: str, before: dict, row: dict, bundle_station: str,
                       now: str) -> None:
    """Close the open conflicts of a record that another station's manager settled: a change that saw both
    versions (``resolve_conflict`` writes one either way) and holds the losing one (taken) or the one that was
    here (kept). Any other later change leaves the conflict open for this station's manager."""
    open_ = conn.execute("SELECT id, loser FROM sync_conflicts WHERE tbl = ? AND record_id = ? AND resolved_at IS NULL",
                         (table, row["id"])).fetchall()
    if not open_:
        return
    arrived = _content(row)
    station = conn.execute("SELECT name FROM stations WHERE id = ?", (bundle_station,)).fetchone()
    by = _("{station}, by its data bundle").format(station=station[0] if station else bundle_station)
    for conflict_id, loser in open_:
        if arrived == {k: v for k, v in _content(json.loads(loser)).items() if k in arrived}:
            resolution = "taken"
        elif arrived == _content(before):
            resolution = "kept"
        else:
            continue
        conn.execute("UPDATE sync_conflicts SET resolved_at = ?, resolved_by = ?, resolution = ? WHERE id = ?",
                     (now, by, resolution, conflict_id))


def merge_table(conn: sqlite3.Connection, table: str, rows: list[dict], tally: Tally, *, bundle_station: str,
                now: str) -> None:
    """Merge the ``rows`` of one table (see the module's docstring)."""
    append_only = table in records.APPEND_ONLY_TABLES
    for row in rows:
        tally.latest = max(tally.latest, row["version"])
        local = conn.execute("SELECT * FROM {t} WHERE id = ?".format(t=table), (row["id"],)).fetchone()
        if local is None:
            _write(conn, table, row, exists=False)
            tally.count(table, "tombstones" if row["deleted"] else "inserted")
            continue
        if append_only:
            tally.count(table, "unchanged")
            continue
        local = dict(local)
        mine, theirs = records.vclock_of(local), records.vclock_of(row)
        if covers(mine, theirs):
            tally.count(table, "unchanged")
            continue
        if covers(theirs, mine):
            _write(conn, table, row, exists=True)
            tally.count(table, "deleted" if row["deleted"] and not local["deleted"] else "updated")
            _settled_elsewhere(conn, table, local, row, bundle_station, now)
            continue
        both = json.dumps(merged(mine, theirs), sort_keys=True, separators=(",", ":"))
        if row["version"] > local["version"]:
            winner, loser = dict(row, vclock=both), local
            _write(conn, table, winner, exists=True)
        else:
            winner, loser = local, row
            conn.execute("UPDATE {t} SET vclock = ? WHERE id = ?".format(t=table), (both, row["id"]))
        conn.execute(
            """INSERT INTO sync_conflicts (tbl, record_id, detected_at, bundle_station, winner_version, loser_version,
                                           loser_origin, loser) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
            (table, row["id"], now, bundle_station, winner["version"], loser["version"],
             parse_version(loser["version"])[2], json.dumps(loser, ensure_ascii=False, sort_keys=True)))
        tally.count(table, "conflicts")
        tally.conflict_list.append({"table": table, "id": row["id"], "winner": winner["version"],
                                    "loser": loser["version"], "loser_is_local": loser is local})
