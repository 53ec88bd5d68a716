"""Exchanging data with other stations and the street office by bundles (数据交换).

Export: every record (a full bundle), or what changed here since the last bundle made for a
peer (``since_peer``), always with the records those refer to, so any bundle can be
imported on its own and in any order. Import: the signature is checked before any record
is read; an unknown station is refused unless the user trusts it (then its key is pinned),
a known station whose key changed is refused; the counts and the content hash must match;
then the merge (``redstation.sync.merge``) in one transaction, which leaves a backup of the
database as it was before (``maintenance.BackupBeforeImport``). A dry run does it all and
keeps nothing. Conflicts are kept and can be resolved by an administrator.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable

from redstation import RedStationError
from redstation.excel import writing
from redstation.i18n import _
from redstation.services import maintenance
from redstation.services.session import Session
from redstation.store import db, records
from redstation.sync import bundle, merge
from redstation.sync.bundle import BundleError, Manifest, fingerprint


class UntrustedStation(BundleError):
    """A bundle of a station this one has not trusted yet; the manifest says who it is."""

    def __init__(self, message: str, manifest: Manifest):
        super().__init__(message)
        self.manifest = manifest


class _DryRun(Exception):
    pass


def _now() -> str:
    return records.now_iso()


def _check_cancel(cancelled: Callable[[], bool] | None) -> None:
    if cancelled is not None and cancelled():
        raise RedStationError(_("Cancelled"))


# --- peers -----------------------------------------------------------------------------------------------------

def peers(conn: sqlite3.Connection) -> list[dict]:
    """The trusted stations with their key fingerprints and the times of the last exchange."""
    found = []
    for row in conn.execute("SELECT * FROM sync_peers WHERE public_key <> '' ORDER BY name"):
        item = dict(row)
        item["fingerprint"] = fingerprint(item["public_key"])
        found.append(item)
    return found


def _peer(conn: sqlite3.Connection, station_id: str) -> dict | None:
    row = conn.execute("SELECT * FROM sync_peers WHERE station_id = ?", (station_id,)).fetchone()
    return dict(row) if row else None


def own_fingerprint(session: Session) -> str:
    return fingerprint(session.require_station()["public_key"])


# --- export ----------------------------------------------------------------------------------------------------

def _referenced(conn: sqlite3.Connection) -> dict[str, list[tuple[str, str]]]:
    """table -> (column, referenced table) of its foreign keys among the synchronised tables."""
    found = {}
    for table in records.SYNCED_TABLES:
        found[table] = [(fk[3], fk[2]) for fk in conn.execute("PRAGMA foreign_key_list({t})".format(t=table))
                        if fk[2] in records.SYNCED_TABLES]
    return found


def _select_changed(conn: sqlite3.Connection, after: int, upto: int) -> None:
    """Fill temp.export_ids with what changed after the mark, then with everything those records refer to."""
    conn.execute("DROP TABLE IF EXISTS temp.export_ids")
    conn.execute("CREATE TEMP TABLE export_ids (tbl TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (tbl, id))")
    conn.execute("""INSERT INTO temp.export_ids SELECT tbl, record_id FROM sync_changes WHERE seq > ? AND seq <= ?""",
                 (after, upto))
    references = _referenced(conn)
    while True:  # the referred records, until nothing new is added
        before = conn.execute("SELECT count(*) FROM temp.export_ids").fetchone()[0]
        for table, keys in references.items():
            for column, target in keys:
                conn.execute("""INSERT OR IGNORE INTO temp.export_ids
                                SELECT ?, t.{col} FROM {table} t JOIN temp.export_ids e ON e.tbl = ? AND e.id = t.id
                                WHERE t.{col} IS NOT NULL""".format(col=column, table=table), (target, table))
        if conn.execute("SELECT count(*) FROM temp.export_ids").fetchone()[0] == before:
            break


def _rows(conn: sqlite3.Connection, table: str, partial: bool):
    if table == "stations" or not partial:  # every station a record here comes from: the receiver learns their names
        sql = "SELECT * FROM {t} ORDER BY id".format(t=table)
        params: tuple = ()
    else:
        sql = """SELECT t.* FROM {t} t JOIN temp.export_ids e ON e.tbl = ? AND e.id = t.id ORDER BY t.id""".format(t=table)
        params = (table,)
    for row in conn.execute(sql, params):
        yield dict(row)


def export_bundle(session: Session, out: str | Path, *, since_peer: str | None = None, password: str | None = None,
                  progress: Callable[[int, int], None] | None = None,
                  cancelled: Callable[[], bool] | None = None) -> dict:
    """Write a bundle of this station's records to ``out``; returns {path, counts, scope, rows, fingerprint}."""
    session.require("bundle.export")
    station = session.require_station()
    conn = session.conn
    signing_key = records.get_setting(conn, "signing_key")
    if not signing_key:
        raise RedStationError(_("This database has no signing key: it cannot make bundles"))
    peer = None
    if since_peer is not None:
        since_peer = since_peer.strip()
        if not since_peer or since_peer == station["id"]:
            raise RedStationError(_("Give the id of the station the bundle is for"))
        # a station never heard from yet (a street office that only receives) gets everything the first time
        peer = _peer(conn, since_peer) or {"station_id": since_peer, "exported_seq": 0, "new": True}
    conn.execute("BEGIN")  # one consistent snapshot of the database for the whole bundle
    try:
        mark = conn.execute("SELECT coalesce(max(seq), 0) FROM sync_changes").fetchone()[0]
        if peer is not None:
            _select_changed(conn, peer["exported_seq"], mark)
        total = sum(conn.execute("SELECT count(*) FROM {t}".format(t=t)).fetchone()[0] for t in records.SYNCED_TABLES) \
            if peer is None else conn.execute("SELECT count(*) FROM temp.export_ids").fetchone()[0]

        def tick(done: int) -> None:
            _check_cancel(cancelled)
            if progress is not None:
                progress(min(done, total), total)
        tables = [(t, bundle.columns(conn, t), _rows(conn, t, peer is not None)) for t in records.SYNCED_TABLES]
        manifest = bundle.write(Path(out), {
            "station_id": station["id"], "station_name": station["name"], "community": station["community"],
            "public_key": station["public_key"], "created_at": _now(), "schema": db.schema_version(conn),
            "scope": "since:" + since_peer if since_peer else "full"}, tables, signing_key, password=password,
            progress=tick)
    finally:
        conn.execute("COMMIT")
        conn.execute("DROP TABLE IF EXISTS temp.export_ids")
    rows = sum(manifest.counts.values())
    with session.write("bundle.export", detail={"file": Path(out).name, "scope": manifest.scope, "rows": rows,
                                                "encrypted": bool(password)}) as change:
        if peer is not None:
            if peer.get("new"):  # remembered for the next bundle; not trusted (no key) until one of its bundles comes
                change.conn.execute("INSERT INTO sync_peers (station_id, name, public_key, trusted_at, trusted_by) "
                                    "VALUES (?, ?, '', ?, ?)", (since_peer, since_peer, change.now, session.actor.name))
            change.conn.execute("UPDATE sync_peers SET exported_seq = ?, exported_at = ? WHERE station_id = ?",
                                (mark, change.now, since_peer))
    if progress is not None:
        progress(total, total)
    return {"path": str(out), "counts": manifest.counts, "scope": manifest.scope, "rows": rows,
            "fingerprint": manifest.fingerprint()}


# --- import ----------------------------------------------------------------------------------------------------

@dataclass
class ImportResult:
    manifest: Manifest
    tally: merge.Tally
    dry_run: bool
    newly_trusted: bool = False
    backup: str | None = None
    own: bool = False
    details: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        found = self.tally.as_json()
        found.update(station={"id": self.manifest.station_id, "name": self.manifest.station_name,
                              "fingerprint": self.manifest.fingerprint()},
                     created_at=self.manifest.created_at, scope=self.manifest.scope, dry_run=self.dry_run,
                     tombstones=self.tally.tombstones, by_table=self.tally.by_table, backup=self.backup)
        return found


def read_manifest(path: str | Path, password: str | None = None) -> Manifest:
    """The manifest of a bundle, its signature verified (for the page's preview of who made it)."""
    return bundle.open_bundle(path, password).manifest


def import_bundle(session: Session, path: str | Path, *, dry_run: bool = False, trust: bool = False,
                  password: str | None = None, progress: Callable[[int, int], None] | None = None,
                  cancelled: Callable[[], bool] | None = None) -> ImportResult:
    """Merge a bundle into this database (see the module's docstring). BundleError when it is refused."""
    session.require("bundle.import")
    station = session.require_station()
    conn = session.conn
    opened = bundle.open_bundle(path, password)           # the signature first, before any record
    manifest = opened.manifest
    own = manifest.station_id == station["id"]
    if own and manifest.public_key != station["public_key"]:
        raise BundleError(_("{path} claims to come from this station but is signed with another key: it is "
                            "refused").format(path=Path(path).name))
    peer = None if own else _peer(conn, manifest.station_id)
    if peer is not None and not peer["public_key"]:
        peer = None  # only bundles were sent to it so far: not trusted yet
    if peer is not None and peer["public_key"] != manifest.public_key:
        raise BundleError(_("{path} comes from {station} but is signed with another key than the one trusted before "
                            "(fingerprint {fingerprint}): it is refused. If the station was reinstalled, remove it from "
                            "the trusted stations first.").format(path=Path(path).name, station=manifest.station_name,
                                                                     fingerprint=manifest.fingerprint()))
    if not own and peer is None and not trust:
        raise UntrustedStation(_("{path} comes from {station} ({community}), a station not trusted yet; check its key "
                                 "fingerprint {fingerprint} with that station, then import it again and trust it").format(
            path=Path(path).name, station=manifest.station_name, community=manifest.community,
            fingerprint=manifest.fingerprint()), manifest)
    if manifest.schema > db.SCHEMA_VERSION:
        raise BundleError(_("{path} was made by a newer version of RedStation (schema {found}, this program knows up "
                            "to {known}): install the newer version").format(path=Path(path).name, found=manifest.schema,
                                                                             known=db.SCHEMA_VERSION))
    _check_cancel(cancelled)
    schema = {table: bundle.columns(conn, table) for table in records.SYNCED_TABLES}
    tables = bundle.read_tables(opened, schema)           # counts and the content hash
    total = sum(len(rows) for rows in tables.values()) or 1
    result = ImportResult(manifest, merge.Tally(), dry_run, own=own)
    done = 0
    try:
        with session.write("bundle.import", "stations", manifest.station_id,
                           detail={"file": Path(path).name, "station": manifest.station_name,
                                   "made": manifest.created_at, "dry_run": dry_run}) as change, \
                maintenance.BackupBeforeImport(session) as before:
            for table in records.SYNCED_TABLES:
                rows = tables.get(table, [])
                merge.merge_table(change.conn, table, rows, result.tally, bundle_station=manifest.station_id,
                                  now=change.now)
                done += len(rows)
                _check_cancel(cancelled)
                if progress is not None:
                    progress(done, total)
            if result.tally.latest:
                change.clock.observe(result.tally.latest)  # later changes here come after everything received
            if not own:
                if peer is None:  # trusted now: its key is pinned (the row may exist from bundles sent to it)
                    change.conn.execute(
                        """INSERT INTO sync_peers (station_id, name, public_key, trusted_at, trusted_by) VALUES (?, ?, ?, ?, ?)
                           ON CONFLICT (station_id) DO UPDATE SET public_key = excluded.public_key,
                           trusted_at = excluded.trusted_at, trusted_by = excluded.trusted_by""",
                        (manifest.station_id, manifest.station_name, manifest.public_key, change.now,
                         session.actor.name))
                    result.newly_trusted = not dry_run
                change.conn.execute("UPDATE sync_peers SET name = ?, imported_at = ?, imported_created = ? "
                                    "WHERE station_id = ?", (manifest.station_name, change.now, manifest.created_at,
                                                             manifest.station_id))
            change.detail.update(result.tally.as_json())
            if dry_run:
                raise _DryRun()
            kept = before.keep()  # the database as it was before this bundle, in the backup folder
            result.backup = str(kept) if kept else None
            change.detail["backup"] = kept.name if kept else None
    except _DryRun:
        pass
    except (sqlite3.Error, OSError, RedStationError) as exc:
        if not writing.disk_full(exc):
            raise
        raise RedStationError(_("{path} was not imported: the disk is full. Free some space and import it again; "
                                "nothing was changed").format(path=Path(path).name)) from exc
    return result


# --- conflicts -------------------------------------------------------------------------------------------------

def conflicts(conn: sqlite3.Connection, *, open_only: bool = True) -> list[dict]:
    """The losing versions, newest first, each with the record as it is now and the columns that differ."""
    sql = "SELECT * FROM sync_conflicts {where} ORDER BY id DESC".format(where="WHERE resolved_at IS NULL" if open_only else "")
    found = []
    for row in conn.execute(sql):
        item = dict(row)
        item["loser"] = json.loads(item["loser"])
        current = conn.execute("SELECT * FROM {t} WHERE id = ?".format(t=item["tbl"]), (item["record_id"],)).fetchone()
        item["current"] = dict(current) if current else {}
        item["differs"] = [c for c in item["loser"] if c not in ("version", "vclock", "created_at")
                           and item["loser"][c] != item["current"].get(c)]
        found.append(item)
    return found


def resolve_conflict(session: Session, conflict_id: int, *, take_loser: bool) -> None:
    """Keep the winner, or take the losing version instead: a new change that every station will receive."""
    row = session.conn.execute("SELECT * FROM sync_conflicts WHERE id = ?", (conflict_id,)).fetchone()
    if row is None or row["resolved_at"] is not None:
        raise RedStationError(_("This conflict does not exist or was resolved already"))
    with session.write("conflict.resolve", row["tbl"], row["record_id"],
                       detail={"conflict": conflict_id, "taken": take_loser}) as change:
        # Either way a new version that saw both: the other stations then settle their copy of the conflict too.
        values = {}
        if take_loser:
            loser = json.loads(row["loser"])
            values = {k: v for k, v in loser.items() if k not in ("id", "version", "origin", "created_at", "vclock")}
        change.update(row["tbl"], row["record_id"], **values)
        change.conn.execute("UPDATE sync_conflicts SET resolved_at = ?, resolved_by = ?, resolution = ? WHERE id = ?",
                            (change.now, session.actor.name, "taken" if take_loser else "kept", conflict_id))


def untrust(session: Session, station_id: str) -> None:
    """Forget a station's pinned key (after it was reinstalled with a new one); its records stay."""
    with session.write("station.untrust", "stations", station_id) as change:
        if change.conn.execute("DELETE FROM sync_peers WHERE station_id = ?", (station_id,)).rowcount != 1:
            raise RedStationError(_("{station} is not a trusted station").format(station=station_id))


def by_origin(conn: sqlite3.Connection) -> list[dict]:
    """For a street office: each station with how many live records of each main kind came from it."""
    names = {r["id"]: r["name"] for r in conn.execute("SELECT id, name FROM stations")}
    found: dict[str, dict] = {}
    for table in ("households", "residents", "visits", "tickets", "volunteers", "meetings"):
        for origin, count in conn.execute("SELECT origin, count(*) FROM {t} WHERE deleted = 0 GROUP BY origin".format(t=table)):
            item = found.setdefault(origin, {"station_id": origin, "name": names.get(origin, origin)})
            item[table] = count
    return sorted(found.values(), key=lambda item: item["name"])


def now_text() -> str:
    return datetime.now().strftime("%Y%m%d-%H%M")


# --- for the window's preview and conflict list (read-only) ----------------------------------------------------

def is_protected(path: str | Path) -> bool:
    """Whether the file is an encrypted workbook, i.e. a bundle with a password: the page then asks for it."""
    try:
        with open(path, "rb") as file:
            return file.read(len(bundle.OLE_MAGIC)) == bundle.OLE_MAGIC
    except OSError:
        return False


def station_names(conn: sqlite3.Connection) -> dict[str, str]:
    """Station id -> name, of every station known here (this one, the trusted ones, those records came from)."""
    names = {r["station_id"]: r["name"] for r in conn.execute("SELECT station_id, name FROM sync_peers")}
    names.update({r["id"]: r["name"] for r in conn.execute("SELECT id, name FROM stations")})
    return names


def standing(session: Session, manifest: Manifest) -> dict:
    """How this station stands to a bundle's maker, before anything is imported.

    ``status``: "own" (made here), "trusted" (its pinned key), "untrusted" (never trusted: the
    user must check the fingerprint and trust it), "key_changed" (another key than the pinned
    one, or than this station's own: the import refuses it). ``peer``: the trusted station's
    row; ``made_for``: the name of the station a since-last bundle was made for (None for a full
    one), ``made_for_here``: whether that is this station.
    """
    station = session.require_station()
    conn = session.conn
    peer = None
    if manifest.station_id == station["id"]:
        status = "own" if manifest.public_key == station["public_key"] else "key_changed"
    else:
        peer = _peer(conn, manifest.station_id)
        if peer is not None and not peer["public_key"]:
            peer = None  # only bundles were sent to it so far: not trusted yet
        if peer is None:
            status = "untrusted"
        else:
            status = "trusted" if peer["public_key"] == manifest.public_key else "key_changed"
            peer["fingerprint"] = fingerprint(peer["public_key"])
    made_for = None
    target = manifest.scope.split(":", 1)[1] if manifest.scope.startswith("since:") else None
    if target is not None:
        made_for = station_names(conn).get(target, target)
    return {"status": status, "peer": peer, "made_for": made_for, "made_for_here": target == station["id"]}


def _household_address(conn: sqlite3.Connection, household_id: str | None) -> str:
    from redstation.services.register import address_text
    row = conn.execute("SELECT estate, building, unit, room FROM households WHERE id = ?", (household_id,)).fetchone() \
        if household_id else None
    return address_text(row) if row else ""


def _named(conn: sqlite3.Connection, table: str, column: str, record_id: str | None) -> str:
    if not record_id:
        return ""
    row = conn.execute("SELECT {c} FROM {t} WHERE id = ?".format(c=column, t=table), (record_id,)).fetchone()
    return str(row[0]) if row else ""


def record_label(conn: sqlite3.Connection, table: str, row: dict) -> str:
    """A record as a clerk recognises it: 张建国（阳光花园 3-2-301）, 0B6C-20261124-011 楼道灯不亮, a team's name …"""
    get = row.get
    if table == "households":
        from redstation.services.register import address_text
        return address_text(row) if get("estate") is not None else ""
    if table == "residents":
        address = _household_address(conn, get("household_id"))
        return _("{name} ({address})").format(name=get("name"), address=address) if address else str(get("name"))
    if table == "visits":
        return _("Visit of {address} at {time}").format(address=_household_address(conn, get("household_id")),
                                                         time=str(get("visited_at") or "")[:16].replace("T", " "))
    if table == "tickets":
        return "{number} {summary}".format(number=get("number"), summary=get("summary") or "").strip()
    if table == "ticket_events":
        return _named(conn, "tickets", "number", get("ticket_id"))
    if table in ("stations", "volunteers", "teams"):
        return str(get("name") or "")
    if table in ("surveys", "activities", "meetings", "meeting_topics"):
        return str(get("title") or "")
    if table == "meeting_actions":
        return str(get("description") or "")
    if table == "satisfaction":
        return _named(conn, "tickets", "number", get("ticket_id")) or _household_address(conn, get("household_id"))
    if table == "volunteer_skills":
        return _("{whole}: {part}").format(whole=_named(conn, "volunteers", "name", get("volunteer_id")),
                                           part=get("skill"))
    if table == "team_members":
        return _("{whole}: {part}").format(whole=_named(conn, "teams", "name", get("team_id")),
                                           part=_named(conn, "volunteers", "name", get("volunteer_id")))
    if table == "attendance":
        return _("{whole}: {part}").format(whole=_named(conn, "activities", "title", get("activity_id")),
                                           part=_named(conn, "volunteers", "name", get("volunteer_id")))
    if table == "meeting_attendees":
        return _("{whole}: {part}").format(whole=_named(conn, "meetings", "title", get("meeting_id")), part=get("name"))
    return str(get("id") or "")


def label_of(conn: sqlite3.Connection, table: str, record_id: str) -> str:
    """``record_label`` of the record as it is here now (the id when there is no such record)."""
    if table not in records.SYNCED_TABLES:
        return record_id
    row = conn.execute("SELECT * FROM {t} WHERE id = ?".format(t=table), (record_id,)).fetchone()
    return record_label(conn, table, dict(row)) if row else record_id


def conflict_list(conn: sqlite3.Connection, *, open_only: bool = True) -> list[dict]:
    """``conflicts()`` with what the page shows: the record's label, the stations' names, the two versions' makers."""
    from redstation.sync.hlc import parse_version
    names = station_names(conn)
    found = conflicts(conn, open_only=open_only)
    for item in found:
        item["label"] = record_label(conn, item["tbl"], item["current"] or item["loser"])
        item["bundle_station_name"] = names.get(item["bundle_station"], item["bundle_station"])
        item["loser_origin_name"] = names.get(item["loser_origin"], item["loser_origin"])
        winner_origin = parse_version(item["winner_version"])[2]
        item["winner_origin_name"] = names.get(winner_origin, winner_origin)
    return found
