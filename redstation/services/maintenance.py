"""Backups, restore and the integrity check.

Backups are copies made with SQLite's online backup API into the backup folder beside the
database (``paths.backup_dir(database)``), named after the database and what they were made
for, so that the program can tell its own copies from anything else in the folder:

- ``redstation-20261124-093000.db``: made by hand (``redstation backup``, 立即备份);
- ``redstation-auto-20261124-093000.db``: automatic, at most once a day when something changed;
- ``redstation-before-import-20261124-093000.db``: before a ledger or bundle import;
- ``redstation-before-restore-20261124-093000.db``: what was there before a restore;
- ``redstation-schema1-before-upgrade-20261124-093000.db``: before a migration (``store/db.py``).

(``redstation`` is the database file's own name without ``.db``.) The copies the program
makes by itself are thinned after each new one (``prune_backups``): the newest of each of the
last 7 days, 4 weeks and 12 months stays, as do the newest of each kind and today's first copy
made before an import (so the day's imports can be undone one by one: the newest copy, or all
together: the first; a street office merging 50 bundles in a day keeps two copies, not 50);
copies made by hand and files of any other name are never deleted.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Callable, Iterable

from redstation import RedStationError
from redstation.domain import roles
from redstation.i18n import N_, _, translate
from redstation.paths import backup_dir
from redstation.services.audit_log import break_message
from redstation.services.session import Session
from redstation.store import audit, db

log = logging.getLogger(__name__)

AUTOMATIC, MANUAL, BEFORE_IMPORT, BEFORE_UPGRADE, BEFORE_RESTORE = (
    "automatic", "manual", "before-import", "before-upgrade", "before-restore")
KINDS = {
    AUTOMATIC: N_("Automatic"),
    MANUAL: N_("Made by hand"),
    BEFORE_IMPORT: N_("Before an import"),
    BEFORE_UPGRADE: N_("Before a program update"),
    BEFORE_RESTORE: N_("Before a restore"),
}
_INFIX = {AUTOMATIC: "auto-", BEFORE_IMPORT: "before-import-", BEFORE_RESTORE: "before-restore-", MANUAL: ""}
_KIND_OF_INFIX = {"auto": AUTOMATIC, "before-import": BEFORE_IMPORT, "before-restore": BEFORE_RESTORE}
STAMP = "%Y%m%d-%H%M%S"
# <database>-[auto-|before-import-|before-restore-|schemaN-before-upgrade-]YYYYMMDD-HHMMSS[-n].db
_NAME = re.compile(r"(?P<stem>.+?)-(?:(?P<infix>auto|before-import|before-restore)-|schema\d+-before-upgrade-(?P<upgrade>))?"
                   r"(?P<stamp>\d{8}-\d{6})(?:-(?P<n>\d+))?\.db")
# Actions that are no change of the register: a backup of an unchanged database is not made again.
_NO_CHANGE = ("backup", "session.")
STALE_PARTIAL = timedelta(days=1)  # a ".partial" copy this old was left by a program that stopped while copying


@dataclass(frozen=True)
class Backup:
    """A backup the program made, in the backup folder."""

    path: Path
    when: datetime
    size: int
    kind: str
    database: str  # the name of the database file it copies, without ".db"
    number: int = 1  # the second backup in the same second is number 2

    @property
    def label(self) -> str:
        return translate(KINDS[self.kind])


def parse_name(name: str) -> tuple[str, str, datetime, int] | None:
    """(database, kind, time, number) of a backup file name the program makes, or None for any other name."""
    match = _NAME.fullmatch(name)
    if match is None:
        return None
    try:
        when = datetime.strptime(match["stamp"], STAMP)
    except ValueError:
        return None
    if match["upgrade"] is not None:
        kind = BEFORE_UPGRADE
    else:
        kind = _KIND_OF_INFIX.get(match["infix"] or "", MANUAL)
    return match["stem"], kind, when, int(match["n"] or 1)


def list_backups(database: str | Path) -> list[Backup]:
    """The program's backups of the database file ``database``, newest first; other files are left out."""
    database = Path(database)
    folder = backup_dir(database)
    found = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    for entry in entries:
        parsed = parse_name(entry.name)
        if parsed is None:
            continue
        try:
            if not entry.is_file():
                continue
            size = entry.stat().st_size
        except OSError:
            continue
        stem, kind, when, number = parsed
        if stem != database.stem:
            continue
        found.append(Backup(Path(entry.path), when, size, kind, stem, number))
    found.sort(key=lambda b: (b.when, b.number, b.path.name), reverse=True)
    return found


def _database(session: Session) -> Path:
    if not session.path:
        raise RedStationError(_("A database in memory has no backups"))
    return Path(session.path)


def _new_name(folder: Path, database: str, kind: str, moment: datetime) -> Path:
    """A new file name; the second backup in one second (an import right after another) is number 2, and so on:
    one more than the highest of that second in the folder, so a number freed by thinning is not given again
    (the numbers order the backups of one second)."""
    stamp = "{db}-{infix}{stamp}".format(db=database, infix=_INFIX[kind], stamp=moment.strftime(STAMP))
    same_second = re.compile(re.escape(stamp) + r"(?:-(\d+))?\.db(?:\.partial)?")
    taken = [int(m[1] or 1) for m in map(same_second.fullmatch, os.listdir(folder)) if m]
    if not taken:
        return folder / (stamp + ".db")
    return folder / "{stamp}-{n}.db".format(stamp=stamp, n=max(taken) + 1)


# --- which backups to keep -----------------------------------------------------------------------------------------

DAYS, WEEKS, MONTHS = 7, 4, 12


def to_keep(backups: Iterable[tuple[str, datetime]], today: date) -> set[str]:
    """The names to keep of one series of backups (name, time), on ``today``.

    Kept: the newest; the newest of each of the last 7 days (today included), of each of the
    last 4 calendar weeks (Monday to Sunday, this week included) and of each of the last 12
    calendar months (this month included); and any dated after today (a clock set wrong: not
    ours to judge). The buckets are fixed on the calendar, so a backup kept as the newest of
    its week stays kept for as long as its week counts.
    """
    ordered = sorted(backups, key=lambda b: b[1], reverse=True)
    keep = {ordered[0][0]} if ordered else set()
    first_day = today - timedelta(days=DAYS - 1)
    first_week = today - timedelta(days=today.weekday(), weeks=WEEKS - 1)
    this_month = today.year * 12 + today.month - 1
    taken = set()
    for name, when in ordered:
        day = when.date()
        if day > today:
            keep.add(name)
            continue
        buckets = []
        if day >= first_day:
            buckets.append(("day", day))
        monday = day - timedelta(days=day.weekday())
        if monday >= first_week:
            buckets.append(("week", monday))
        if this_month - (day.year * 12 + day.month - 1) < MONTHS:
            buckets.append(("month", day.year, day.month))
        for bucket in buckets:
            if bucket not in taken:
                taken.add(bucket)
                keep.add(name)
    return keep


def prune_backups(database: str | Path, *, now: datetime | None = None,
                  protect: Iterable[str | Path] = ()) -> list[Path]:
    """Delete the program's own backups of the database file ``database`` that ``to_keep`` does not keep.

    Never deleted: backups made by hand, files of any other name, the newest backup of each
    kind, today's first backup before an import, and the files in ``protect`` (a backup being
    restored). Returns what was deleted.
    """
    now = now or datetime.now()
    folder = backup_dir(database)
    protected = set()
    for path in protect:
        try:
            protected.add(Path(path).resolve())
        except OSError:
            pass
    items = [b for b in list_backups(database) if b.kind != MANUAL]
    keep = to_keep([(b.path.name, b.when) for b in items], now.date())
    newest_of_kind = set()
    for item in items:  # newest first
        if item.kind not in newest_of_kind:
            newest_of_kind.add(item.kind)
            keep.add(item.path.name)
    todays_imports = [b for b in items if b.kind == BEFORE_IMPORT and b.when.date() == now.date()]
    if todays_imports:
        keep.add(todays_imports[-1].path.name)  # the day as it was before its first import
    deleted = []
    for item in items:
        if item.path.name in keep or item.path.resolve() in protected:
            continue
        try:
            item.path.unlink()
        except OSError as exc:
            log.warning("could not delete the old backup %s: %s", item.path, exc)
            continue
        deleted.append(item.path)
    for partial in folder.glob("*.db.partial"):  # left by a copy that never finished (power cut)
        try:
            if parse_name(partial.name[:-len(".partial")]) is not None and \
                    datetime.fromtimestamp(partial.stat().st_mtime) < now - STALE_PARTIAL:
                partial.unlink()
                deleted.append(partial)
        except OSError:
            pass
    if deleted:
        log.info("deleted %d old backups: %s", len(deleted), ", ".join(p.name for p in deleted))
    return deleted


# --- making backups ------------------------------------------------------------------------------------------------

ProgressFn = Callable[[int, int], None]
COPY_STEP_PAGES = 4096  # 16 MiB a step with SQLite's 4 KiB pages: progress without slowing the copy


SPARE_BYTES = 100 * 1000 * 1000  # free space a backup leaves besides as much again as the database


def _check_space(source: sqlite3.Connection, folder: Path) -> None:
    """Refuse a copy that would leave the disk too full for the database to go on working.

    A backup needs the database's size; afterwards the database's own disk should still have as
    much again (and 100 MB) for the changes and their journal. Backups are on the same disk as
    the database by default, so a full disk of backups would stop the station's work.
    """
    size = source.execute("PRAGMA page_count").fetchone()[0] * source.execute("PRAGMA page_size").fetchone()[0]
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return  # cannot tell: the copy itself will say if the disk is full
    if free < 2 * size + SPARE_BYTES:
        raise RedStationError(_("There is not enough free space on the disk for a backup ({free} MB free, {needed} MB "
                                "needed): delete files you no longer need or old backups").format(
            free=free // 1_000_000, needed=(2 * size + SPARE_BYTES) // 1_000_000))


def _copy(source: sqlite3.Connection, target_path: Path, progress: ProgressFn | None = None) -> None:
    """Copy a live database with SQLite's online backup API into a new file, atomically."""
    _check_space(source, target_path.parent)
    partial = target_path.with_name(target_path.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        target = sqlite3.connect(partial)
        try:
            if progress is None:
                source.backup(target)
            else:
                source.backup(target, pages=COPY_STEP_PAGES,
                              progress=lambda _status, remaining, total: progress(total - remaining, total))
            target.execute("PRAGMA journal_mode = DELETE")  # a backup is one self-contained file
        finally:
            target.close()
        os.replace(partial, target_path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def backup(session: Session, out: str | Path | None = None, *, kind: str = MANUAL, now: datetime | None = None,
           progress: ProgressFn | None = None, protect: Iterable[str | Path] = (), record: bool = True) -> Path:
    """Write a consistent copy of the database to ``out`` (default: a new file in the backup folder).

    ``kind`` names what the copy is for (one of KINDS, not BEFORE_UPGRADE); a copy made by
    hand needs the "backup" right, the others are made for everyone ("backup.auto"). After a
    copy into the backup folder the old automatic ones are thinned (``prune_backups``, which
    spares ``protect``). ``progress(done, total)`` counts database pages. ``record=False`` writes no
    audit entry (the import that asked for the copy names it in its own entry).
    """
    if kind not in _INFIX:
        raise ValueError("unknown kind of backup {kind!r}".format(kind=kind))
    action = "backup" if kind == MANUAL else "backup.auto"
    roles.check(session.actor.role, action)  # before the copy: a refused user leaves no file behind
    now = now or datetime.now()
    database = _database(session)
    folder = backup_dir(database) if out is None else Path(out)
    target = _new_name(folder, database.stem, kind, now) if folder.is_dir() else folder
    if target.resolve() == database.resolve():
        raise RedStationError(_("A backup cannot overwrite the database it copies"))
    if not target.parent.is_dir():
        raise RedStationError(_("The backup {path} could not be written: {error}").format(
            path=target, error=_("the folder cannot be found, or no file can be made in it")))
    try:
        _copy(session.conn, target, progress)
    except OSError as exc:
        raise RedStationError(_("The backup {path} could not be written: {error}").format(
            path=target, error=exc.strerror or exc)) from None
    if record:
        with session.write(action, detail={"file": str(target), "kind": kind}):
            pass
    if target.parent.resolve() == backup_dir(database):
        prune_backups(database, now=now, protect=protect)
    return target


class BackupBeforeImport:
    """The backup of an import (a ledger, a bundle): the database as it was before the import, kept only if the
    import keeps its changes.

    Made inside the import's ``session.write`` before its first change: a second connection then
    holds the database as it is (SQLite's snapshot of a reader in WAL mode; nobody else can write
    while the import holds the write lock). ``keep()``, called after the import's last change and
    before it commits, copies that state into a new before-import backup and returns its path. An
    import that fails, is cancelled, is a dry run or changed no record leaves no copy behind (so
    importing a file again does not crowd out the copy from before its first import); a copy that
    cannot be written fails the import, which then changes nothing. Use it in a ``with`` block.
    """

    def __init__(self, session: Session):
        self.session = session
        self.path: Path | None = None
        self._snapshot: sqlite3.Connection | None = None
        self._changes = _last_change(session.conn)
        if session.path:
            self._snapshot = sqlite3.connect(session.path, isolation_level=None,
                                             timeout=db.BUSY_TIMEOUT_MS / 1000)
            self._snapshot.execute("BEGIN")
            self._snapshot.execute("SELECT count(*) FROM sqlite_master").fetchone()  # the snapshot starts here

    def keep(self) -> Path | None:
        if self._snapshot is None:  # a session without a file name: nothing to copy from
            return None
        if _last_change(self.session.conn) == self._changes:  # no record changed: nothing to go back to
            return None
        database = _database(self.session)
        now = datetime.now()
        target = _new_name(backup_dir(database), database.stem, BEFORE_IMPORT, now)
        try:
            _copy(self._snapshot, target)
        except OSError as exc:
            raise RedStationError(_("The import was not made: the backup before it could not be written ({error})")
                                  .format(error=exc.strerror or exc)) from None
        except RedStationError as exc:
            raise RedStationError(_("The import was not made: {reason}").format(reason=exc)) from None
        self.path = target
        prune_backups(database, now=now)
        return target

    def close(self) -> None:
        if self._snapshot is not None:
            self._snapshot.close()
            self._snapshot = None

    def __enter__(self) -> "BackupBeforeImport":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _last_change(conn: sqlite3.Connection) -> int:
    """The sequence number of the last change to a record (every insert and update of a synchronised record
    is numbered in ``sync_changes``, see migration 3)."""
    return conn.execute("SELECT coalesce(max(seq), 0) FROM sync_changes").fetchone()[0]


def _changed_since(conn: sqlite3.Connection, copy: Path) -> bool:
    """Whether the database has changes the backup ``copy`` lacks (the audit log says; when in doubt, yes)."""
    try:
        source = sqlite3.connect("file:{p}?mode=ro".format(p=copy.resolve().as_posix()), uri=True)
        try:
            last = source.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
        finally:
            source.close()
    except (sqlite3.Error, OSError):
        return True
    seq = 0
    if last is not None:
        here = conn.execute("SELECT hash FROM audit_log WHERE seq = ?", (last[0],)).fetchone()
        if here is None or here[0] != last[1]:  # another database, or one restored since: not the same history
            return True
        seq = last[0]
    quiet = " AND ".join("action NOT LIKE '{a}%'".format(a=a) for a in _NO_CHANGE)
    return conn.execute("SELECT 1 FROM audit_log WHERE seq > ? AND {quiet} LIMIT 1".format(quiet=quiet),
                        (seq,)).fetchone() is not None


def auto_backup(session: Session, *, now: datetime | None = None, progress: ProgressFn | None = None) -> Path | None:
    """The automatic backup: made when the newest automatic backup of this database is from before today
    and the database changed since it (logins and backups are no change). Returns the new file or None.

    The window calls it when it opens and when it closes; imports take their own backup before they write.
    """
    now = now or datetime.now()
    autos = [b for b in list_backups(_database(session)) if b.kind == AUTOMATIC
             and b.when.date() <= now.date()]  # one dated in the future (a clock set wrong) is no reason to wait
    if autos:
        newest = autos[0]
        if newest.when.date() == now.date() or not _changed_since(session.conn, newest.path):
            return None
    else:
        quiet = " AND ".join("action NOT LIKE '{a}%'".format(a=a) for a in _NO_CHANGE)
        if session.conn.execute("SELECT 1 FROM audit_log WHERE {quiet} LIMIT 1".format(quiet=quiet)).fetchone() is None:
            return None  # a new, empty database: nothing to keep yet
    return backup(session, kind=AUTOMATIC, now=now, progress=progress)


def newest_good_backup(database: str | Path, *, skip: Iterable[str | Path] = ()) -> Backup | None:
    """The newest backup of the database file ``database`` that passes ``check_file``; None if none does."""
    skipped = {Path(p).resolve() for p in skip}
    for item in list_backups(database):
        if item.path.resolve() in skipped:
            continue
        try:
            if not check_file(item.path):
                return item
        except RedStationError:
            continue
    return None


# --- checking ------------------------------------------------------------------------------------------------------

def problems(conn: sqlite3.Connection, *, cancelled: Callable[[], bool] | None = None) -> list[str]:
    """What is wrong with an open database: page damage, broken references, a broken audit chain.

    ``cancelled()`` is looked at while SQLite works; when true, the check stops with RedStationError.
    """
    def go_on() -> None:
        if cancelled is not None and cancelled():
            raise RedStationError(_("Cancelled"))

    if cancelled is not None:
        conn.set_progress_handler(lambda: 1 if cancelled() else 0, 10_000)
    try:
        found = []
        go_on()
        result = [row[0] for row in conn.execute("PRAGMA quick_check")]
        if result != ["ok"]:
            found.append(_("The database file is damaged: {detail}").format(detail="; ".join(result[:3])))
        go_on()
        broken = conn.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            found.append(_("{count} records point to records that do not exist (first: {table})").format(
                count=len(broken), table=broken[0][0]))
        go_on()
        try:
            broken_chain = audit.find_break(conn, cancelled=cancelled)
        except audit.Cancelled:
            raise RedStationError(_("Cancelled")) from None
        if broken_chain is not None:
            found.append(break_message(broken_chain))
        elif audit.newest(conn) is None and conn.execute("SELECT 1 FROM stations LIMIT 1").fetchone() is not None:
            found.append(_("The audit log was altered: all its entries were removed"))  # head and sequence with them
        return found
    except sqlite3.OperationalError:
        if cancelled is not None and cancelled():
            raise RedStationError(_("Cancelled")) from None
        raise
    finally:
        if cancelled is not None:
            conn.set_progress_handler(None, 0)


def check(session: Session) -> list[str]:
    return problems(session.conn)


def check_file(path: str | Path, *, cancelled: Callable[[], bool] | None = None) -> list[str]:
    """Problems of a database file opened read-only (nothing is migrated or written).

    A file that is not a RedStation database raises DatabaseError; damage is a problem in the list.
    """
    path = Path(path)
    if not path.is_file():
        raise RedStationError(_("There is no file {path}").format(path=path))
    try:
        conn = sqlite3.connect("file:{p}?mode=ro".format(p=path.resolve().as_posix()), uri=True)
    except sqlite3.Error as exc:
        raise RedStationError(_("Cannot open {path}: {error}").format(path=path, error=exc)) from None
    try:
        if db._has_sqlite_header(path):  # a SQLite file whose first pages cannot be read is damaged, not foreign
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        db.identify(conn, path, allow_empty=False)
        return problems(conn, cancelled=cancelled)
    except sqlite3.DatabaseError as exc:
        return [_("The database file is damaged: {detail}").format(detail=exc)]
    finally:
        conn.close()


def restore(session: Session, source: str | Path, *, progress: ProgressFn | None = None) -> Path:
    """Replace the database's content with the backup ``source``, after checking it and backing up the current one.

    Refused, with a one-line reason and the database unchanged: a user without the "restore"
    right, a missing, damaged, foreign or newer file, the database itself. Returns the path of
    the safety backup of what was there before (kind BEFORE_RESTORE).
    """
    roles.check(session.actor.role, "restore")
    source = Path(source)
    found = check_file(source)
    if found:
        raise RedStationError(_("{path} cannot be restored: {problem}").format(path=source, problem=found[0]))
    if session.path and source.resolve() == Path(session.path).resolve():
        raise RedStationError(_("{path} is the database itself, not a backup of it").format(path=source))
    safety = backup(session, kind=BEFORE_RESTORE, protect=[source], record=False)  # the restore entry names it
    src = sqlite3.connect("file:{p}?mode=ro".format(p=source.resolve().as_posix()), uri=True)
    try:
        # What was done since the backup was made stays on record: the audit entries after the backup's newest
        # one are carried over unchanged (a restore must not be a way to erase an entry).
        restored_end = audit.newest(src)
        later = audit.entries_after(session.conn, *restored_end) if restored_end else None
        replaced = session.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
        if progress is None:
            src.backup(session.conn)
        else:
            src.backup(session.conn, pages=COPY_STEP_PAGES,
                       progress=lambda _status, remaining, total: progress(total - remaining, total))
    finally:
        src.close()
    session.conn.execute("PRAGMA journal_mode = WAL")
    db._migrate(session.conn, db.schema_version(session.conn))  # an older backup is brought up to date
    with session.write("restore", detail={"file": str(source), "safety_backup": str(safety)}) as change:
        if later is not None:
            audit.carry_over(change.conn, later)
            change.detail["entries_carried_over"] = len(later)
        else:  # another history: its log stays in the safety backup, and this entry says so
            change.detail["entries_replaced"] = replaced
    return safety
