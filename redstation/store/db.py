"""Open a RedStation database with the right pragmas and bring its schema up to date.

A RedStation file is marked with ``PRAGMA application_id``; its schema version is
``PRAGMA user_version``, the number of the last migration applied. Migrations are the
numbered ``migrations/NNNN_*.sql`` files, each applied in one transaction and never
edited once released. A file written by a newer program is refused, never touched.

Before an existing database is migrated (a newer program opening an older station's
file), a copy of it is written to the backup folder, named with its old schema version;
if that copy cannot be made, the database is not migrated.
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
from contextlib import contextmanager, suppress
from datetime import datetime
from importlib import resources
from pathlib import Path

from redstation import RedStationError
from redstation.i18n import _
from redstation.paths import backup_dir
from redstation.store import search

log = logging.getLogger(__name__)

APPLICATION_ID = 0x52535431  # "RST1"
BUSY_TIMEOUT_MS = 5000


class DatabaseError(RedStationError):
    pass


def migrations() -> list[tuple[int, str]]:
    """(number, sql) of every migration, in order; numbers run 1, 2, 3 … without gaps."""
    found = []
    for entry in resources.files("redstation.store.migrations").iterdir():
        match = re.fullmatch(r"(\d{4})_\w+\.sql", entry.name)
        if match:
            found.append((int(match.group(1)), entry.read_text(encoding="utf-8")))
    found.sort()
    assert [n for n, _sql in found] == list(range(1, len(found) + 1)), "migration numbers must run 1, 2, 3 …"
    return found


SCHEMA_VERSION = len(migrations())


SQLITE_HEADER = b"SQLite format 3\x00"


def _has_sqlite_header(path: Path) -> bool:
    with open(path, "rb") as file:
        return file.read(len(SQLITE_HEADER)) == SQLITE_HEADER


def identify(conn: sqlite3.Connection, path: Path, *, allow_empty: bool) -> int:
    """The schema version of a RedStation database this program can open, or DatabaseError saying why not.

    ``allow_empty`` accepts an empty SQLite file (a new database, about to be migrated).
    """
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    except sqlite3.DatabaseError:
        raise DatabaseError(_("{path} is not a RedStation database (it is not a SQLite file)").format(path=path)) from None
    if app_id != APPLICATION_ID and not (allow_empty and app_id == 0 and tables == 0):
        raise DatabaseError(_("{path} is a SQLite file of another program, not a RedStation database").format(path=path))
    if version > SCHEMA_VERSION:
        raise DatabaseError(
            _("{path} was written by a newer version of RedStation (schema {found}, this program knows up to {known}); "
              "install the newer version to open it").format(path=path, found=version, known=SCHEMA_VERSION))
    return version


def connect(path: str | Path, *, create: bool = True, migrate: bool = True) -> sqlite3.Connection:
    """Open the database at ``path``: checked, in WAL mode, migrated to the current schema.

    ``create=False`` refuses a missing file instead of making a new database.
    """
    path = Path(path)
    if path.is_dir():
        raise DatabaseError(_("{path} is a folder, not a database file").format(path=path))
    if not path.exists():
        if not create:
            raise DatabaseError(_("There is no database at {path}; create one with 'redstation init'").format(path=path))
        path.parent.mkdir(parents=True, exist_ok=True)
    elif path.stat().st_size and not _has_sqlite_header(path):
        # SQLite would take a short file for an empty database and overwrite it.
        raise DatabaseError(_("{path} is not a RedStation database (it is not a SQLite file)").format(path=path))
    try:
        conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as exc:
        raise DatabaseError(_("Cannot open the database {path}: {error}").format(path=path, error=exc)) from None
    try:
        version = identify(conn, path, allow_empty=True)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA busy_timeout = {ms}".format(ms=BUSY_TIMEOUT_MS))
        if migrate and version < SCHEMA_VERSION:
            if version > 0:  # an existing database of an older program: keep a copy as it was
                backup_before_migration(conn, path, version)
            _migrate(conn, version)
        if migrate:
            _refresh_search(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def backup_before_migration(conn: sqlite3.Connection, path: Path, version: int) -> Path:
    """Copy the database (SQLite's online backup) into the backup folder before it is migrated.

    The copy is named after the file and its schema version, e.g.
    ``redstation-schema1-before-upgrade-20261124-093000.db``; a copy that cannot be written
    stops the migration with DatabaseError, the database unchanged.
    """
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    partial = None
    try:
        folder = backup_dir(path)
        target = folder / "{stem}-schema{version}-before-upgrade-{stamp}.db".format(stem=path.stem, version=version,
                                                                                   stamp=stamp)
        number = 1
        while target.exists():
            number += 1
            target = folder / "{stem}-schema{version}-before-upgrade-{stamp}-{n}.db".format(
                stem=path.stem, version=version, stamp=stamp, n=number)
        partial = target.with_name(target.name + ".partial")
        copy = sqlite3.connect(partial)
        try:
            conn.backup(copy)
            copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        finally:
            copy.close()
        os.replace(partial, target)
    except (OSError, sqlite3.Error) as exc:
        if partial is not None:
            with suppress(OSError):
                partial.unlink(missing_ok=True)
        raise DatabaseError(_("{path} needs updating to this version of the program, but a backup copy could not be "
                              "made first ({error}); the database was not changed").format(path=path, error=exc)) from None
    log.info("backed up %s (schema %d) to %s before migrating it", path, version, target)
    return target


def _statements(sql: str):
    """Split a migration into statements (sqlite3.complete_statement understands triggers)."""
    pending = ""
    for line in sql.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            yield pending.strip()
            pending = ""


def _migrate(conn: sqlite3.Connection, current: int) -> None:
    for number, sql in migrations():
        if number <= current:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            if schema_version(conn) >= number:  # another program migrated it meanwhile
                conn.execute("ROLLBACK")
                continue
            for statement in _statements(sql):
                conn.execute(statement)
            conn.execute("PRAGMA user_version = {n}".format(n=number))
            conn.execute("PRAGMA application_id = {app}".format(app=APPLICATION_ID))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


def _refresh_search(conn: sqlite3.Connection) -> None:
    """Index the residents still queued for search: every resident after migration 2 made the
    index, or rows written without a session (a repair by hand). Skipped, without waiting, while
    another connection writes (its own session refreshes the index) or the file is read-only."""
    if schema_version(conn) < 2 or not search.pending(conn):
        return
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:  # locked or read-only
        return
    finally:
        conn.execute("PRAGMA busy_timeout = {ms}".format(ms=BUSY_TIMEOUT_MS))
    try:
        search.refresh(conn)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def sqlite_library_version() -> str:
    """The version of the SQLite library Python was built with (shown in the About dialog)."""
    return sqlite3.sqlite_version


def schema_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


@contextmanager
def page_cache(conn: sqlite3.Connection, mib: int):
    """A page cache of ``mib`` MiB for a bulk write, the usual one afterwards.

    Rows keyed by random UUIDs touch every index page; with SQLite's default 2 MB cache a
    big transaction would spill and re-read pages all the way through.
    """
    usual = conn.execute("PRAGMA cache_size").fetchone()[0]
    conn.execute("PRAGMA cache_size = {kib}".format(kib=-int(mib) * 1024))
    try:
        yield
    finally:
        conn.execute("PRAGMA cache_size = {size}".format(size=int(usual)))
