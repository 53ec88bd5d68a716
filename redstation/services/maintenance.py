"""Backups, restore and the integrity check."""

from __future__ import annotations

import os
import sqlite3
from datetime import datetime
from pathlib import Path

from redstation import RedStationError
from redstation.i18n import _
from redstation.paths import backup_dir
from redstation.services.session import Session
from redstation.store import audit, db


def _copy(source: sqlite3.Connection, target_path: Path) -> None:
    """Copy a live database with SQLite's online backup API into a new file, atomically."""
    partial = target_path.with_name(target_path.name + ".partial")
    partial.unlink(missing_ok=True)
    target = sqlite3.connect(partial)
    try:
        source.backup(target)
        target.execute("PRAGMA journal_mode = DELETE")  # a backup is one self-contained file
    finally:
        target.close()
    os.replace(partial, target_path)


def backup(session: Session, out: str | Path | None = None) -> Path:
    """Write a consistent copy of the database to ``out`` (default: a dated file in the backup folder)."""
    target = Path(out) if out else backup_dir()
    if target.is_dir():
        stamp = datetime.now().strftime("redstation-%Y%m%d-%H%M%S")
        target = target / (stamp + ".db")
        number = 2
        while target.exists():  # two backups in one second (an import right after another) both stay
            target = target.with_name("{stamp}-{n}.db".format(stamp=stamp, n=number))
            number += 1
    if session.path and target.resolve() == Path(session.path).resolve():
        raise RedStationError(_("A backup cannot overwrite the database it copies"))
    target.parent.mkdir(parents=True, exist_ok=True)
    _copy(session.conn, target)
    with session.write("backup", detail={"file": str(target)}):
        pass
    return target


def problems(conn: sqlite3.Connection) -> list[str]:
    """What is wrong with an open database: page damage, broken references, a broken audit chain."""
    found = []
    result = [row[0] for row in conn.execute("PRAGMA quick_check")]
    if result != ["ok"]:
        found.append(_("The database file is damaged: {detail}").format(detail="; ".join(result[:3])))
    broken = conn.execute("PRAGMA foreign_key_check").fetchall()
    if broken:
        found.append(_("{count} records point to records that do not exist (first: {table})").format(
            count=len(broken), table=broken[0][0]))
    seq = audit.verify(conn)
    if seq is not None:
        found.append(_("The audit log was altered: entry {seq} does not follow the one before").format(seq=seq))
    return found


def check(session: Session) -> list[str]:
    return problems(session.conn)


def check_file(path: str | Path) -> list[str]:
    """Problems of a database file opened read-only (nothing is migrated or written)."""
    path = Path(path)
    if not path.is_file():
        raise RedStationError(_("There is no file {path}").format(path=path))
    try:
        conn = sqlite3.connect("file:{p}?mode=ro".format(p=path.resolve().as_posix()), uri=True)
    except sqlite3.Error as exc:
        raise RedStationError(_("Cannot open {path}: {error}").format(path=path, error=exc)) from None
    try:
        db.identify(conn, path, allow_empty=False)
        return problems(conn)
    except sqlite3.DatabaseError as exc:
        return [_("The database file is damaged: {detail}").format(detail=exc)]
    finally:
        conn.close()


def restore(session: Session, source: str | Path) -> Path:
    """Replace the database's content with the backup ``source``, after checking it and backing up the current one.

    Returns the path of the safety backup of what was there before.
    """
    found = check_file(source)
    if found:
        raise RedStationError(_("{path} cannot be restored: {problem}").format(path=source, problem=found[0]))
    safety = backup(session)
    src = sqlite3.connect("file:{p}?mode=ro".format(p=Path(source).resolve().as_posix()), uri=True)
    try:
        src.backup(session.conn)
    finally:
        src.close()
    session.conn.execute("PRAGMA journal_mode = WAL")
    db._migrate(session.conn, db.schema_version(session.conn))  # an older backup is brought up to date
    with session.write("restore", detail={"file": str(source), "safety_backup": str(safety)}):
        pass
    return safety
