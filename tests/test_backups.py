"""Backups: thinning on a fake calendar, the daily automatic backup, the backup before an import, the kinds
listed, restore refusing bad files, and the refusal of a database on a network share."""

import os
import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from redstation import RedStationError, paths
from redstation.domain.roles import NotAllowed
from redstation.excel.ledger_import import import_ledger
from redstation.services import exchange, maintenance, register, station
from redstation.services.maintenance import (AUTOMATIC, BEFORE_IMPORT, BEFORE_RESTORE, BEFORE_UPGRADE, MANUAL,
                                             auto_backup, list_backups, prune_backups, to_keep)
from redstation.services.session import Actor, Session
from redstation.store import db

from workbooks import simple_ledger

TODAY = date(2026, 11, 24)   # a Tuesday


@pytest.fixture
def station_session(session):
    station.init_station(session, "阳光服务站", "阳光社区", "幸福街道")
    return session


def household(session, room="301"):
    return register.create_household(session, {"estate": "阳光花园", "building": "3", "unit": "2", "room": room})


def counts(path):
    conn = sqlite3.connect(path)
    try:
        return [conn.execute("SELECT count(*) FROM {t}".format(t=t)).fetchone()[0]
                for t in ("households", "residents", "audit_log")]
    finally:
        conn.close()


def dump(path):
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


# --- thinning, on a fake calendar ----------------------------------------------------------------------------------

def a_year_of_backups(last: date, days: int = 400):
    """A backup every evening, three on Sundays (morning, noon, evening), up to ``last``."""
    made = []
    for n in range(days, -1, -1):
        day = last - timedelta(days=n)
        hours = (9, 12, 18) if day.weekday() == 6 else (18,)
        made += [("b-{d:%Y%m%d}-{h:02d}".format(d=day, h=h), datetime(day.year, day.month, day.day, h)) for h in hours]
    return made


def test_thinning_keeps_days_weeks_and_months():
    kept = to_keep(a_year_of_backups(TODAY), TODAY)
    days = sorted({name[2:10] for name in kept})
    assert days == sorted(
        # the last 7 days
        ["20261118", "20261119", "20261120", "20261121", "20261122", "20261123", "20261124"]
        # the newest of each of the 4 weeks (this one, Nov 16-22, 9-15, 2-8): Sundays not already kept
        + ["20261115", "20261108"]
        # the newest of each of the 12 months (this one is Nov 24), back to December last year
        + ["20261031", "20260930", "20260831", "20260731", "20260630", "20260531", "20260430", "20260331",
           "20260228", "20260131", "20251231"])
    assert len(kept) == 20   # one a day: of the Sundays only the evening one
    assert "b-20261122-18" in kept and "b-20261122-09" not in kept and "b-20261115-12" not in kept


def test_thinning_every_day_keeps_what_thinning_once_keeps():
    """Buckets fixed on the calendar: thinning each evening for a year ends where thinning once does."""
    start = TODAY - timedelta(days=400)
    alive: list[tuple[str, datetime]] = []
    for n in range(401):
        day = start + timedelta(days=n)
        alive.append(("b-{d:%Y%m%d}".format(d=day), datetime(day.year, day.month, day.day, 18)))
        keep = to_keep(alive, day)
        assert alive[-1][0] in keep                      # never the newest
        alive = [b for b in alive if b[0] in keep]
        kept_days = {when.date() for _name, when in alive}
        assert all(day - timedelta(days=k) in kept_days for k in range(7) if day - timedelta(days=k) >= start)
    once = to_keep([("b-{d:%Y%m%d}".format(d=start + timedelta(days=n)),
                     datetime.combine(start + timedelta(days=n), datetime.min.time()).replace(hour=18))
                    for n in range(401)], TODAY)
    assert {name for name, _when in alive} == once


def test_thinning_keeps_the_newest_even_when_old_and_anything_dated_later_than_today():
    old = [("a", datetime(2020, 1, 1)), ("b", datetime(2020, 1, 2))]
    assert to_keep(old, TODAY) == {"b"}
    assert "future" in to_keep(old + [("future", datetime(2027, 5, 1))], TODAY)
    assert to_keep([], TODAY) == set()


def make_file(folder: Path, name: str, days_ago: int = 0, now: datetime | None = None) -> Path:
    path = folder / name
    path.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    return path


def test_prune_deletes_only_the_programs_own_automatic_copies(redstation_home, db_path):
    folder = paths.backup_dir(db_path)
    now = datetime(2026, 11, 24, 20, 0)
    autos = [make_file(folder, "redstation-auto-{d:%Y%m%d}-180000.db".format(d=TODAY - timedelta(days=n)))
             for n in range(60)]
    imports = [make_file(folder, "redstation-before-import-{d:%Y%m%d}-100000.db".format(d=TODAY - timedelta(days=n)))
               for n in (40, 50)]
    manual_old = make_file(folder, "redstation-20250101-120000.db")
    upgrade_old = make_file(folder, "redstation-schema1-before-upgrade-20250301-120000.db")
    restoring = make_file(folder, "redstation-auto-20260920-180000.db")   # not kept by the calendar (Sep 30 is)
    other_db = make_file(folder, "street-auto-20250101-180000.db")        # another database's: its own series
    other_db_older = make_file(folder, "street-auto-20241201-180000.db")
    mine = [make_file(folder, "my-copy.db"), make_file(folder, "redstation-auto-notes.db"),
            make_file(folder, "redstation-auto-20261301-000000.db")]     # no such month: not the program's name
    stale = make_file(folder, "redstation-auto-20261001-180000.db.partial")
    os.utime(stale, (now.timestamp() - 3 * 86400,) * 2)
    fresh = make_file(folder, "redstation-auto-20261124-195959.db.partial")
    os.utime(fresh, (now.timestamp() - 60,) * 2)

    deleted = prune_backups(db_path.with_name("redstation.db"), now=now, protect=[restoring])
    left = {p.name for p in folder.iterdir()}
    assert {p.name for p in autos[:7]} <= left                            # the last week
    assert autos[9].name in left                                          # Sunday Nov 15: the newest of its week
    assert autos[8].name not in left and autos[10].name not in left       # Nov 16 and Nov 14 are not
    assert restoring.name in left                                         # being restored
    assert imports[0].name in left and imports[1].name not in left        # the newest before-import stays
    assert {manual_old.name, upgrade_old.name} <= left                    # by hand; newest before an upgrade
    assert {other_db.name, other_db_older.name} <= left                   # another database is not thinned here
    assert {p.name for p in mine} <= left                                 # not the program's names
    assert stale.name not in left and fresh.name in left                  # a copy still being written stays
    assert {p.name for p in deleted} == {p.name for p in autos + imports + [stale]} - left
    assert len(deleted) > 40


# --- the automatic backup -----------------------------------------------------------------------------------------

def test_auto_backup_at_most_daily_and_only_when_something_changed(station_session, db_path):
    monday = datetime(2026, 11, 23, 8, 0)
    first = auto_backup(station_session, now=monday)
    assert first is not None and first.name == "station-auto-20261123-080000.db"
    assert auto_backup(station_session, now=monday + timedelta(hours=9)) is None        # once a day
    household(station_session)                                                           # a change, the same day
    assert auto_backup(station_session, now=monday + timedelta(hours=10)) is None        # still once a day
    tuesday = auto_backup(station_session, now=monday + timedelta(days=1))
    assert tuesday is not None and counts(tuesday)[0] == 1                               # the change is in it
    # the next days nothing changes: the automatic backups' own audit entries are no change
    assert auto_backup(station_session, now=monday + timedelta(days=2)) is None
    assert auto_backup(station_session, now=monday + timedelta(days=9)) is None
    household(station_session, room="302")
    tenth = auto_backup(station_session, now=monday + timedelta(days=10))
    assert tenth is not None and counts(tenth)[0] == 2
    # three were made; the thinning kept Tuesday's as the newest of its week (Monday's went) and the tenth day's
    assert [b.path for b in list_backups(db_path)] == [tenth, tuesday] and not first.exists()
    actions = [r[0] for r in station_session.conn.execute("SELECT action FROM audit_log ORDER BY seq")]
    assert actions.count("backup.auto") == 3


def test_a_new_empty_database_gets_no_automatic_backup(session, db_path):
    assert auto_backup(session) is None and list_backups(db_path) == []


def test_auto_backup_is_made_again_when_the_last_one_is_not_of_this_history(station_session, tmp_path):
    day = datetime(2026, 11, 23, 8, 0)
    made = auto_backup(station_session, now=day)
    made.write_bytes(b"not a database any more")                  # damaged since: do not trust it
    assert auto_backup(station_session, now=day + timedelta(days=1)) is not None


def test_everyone_may_have_the_automatic_backup_made_but_only_the_manager_backs_up_by_hand(station_session, db_path):
    household(station_session)
    station_session.actor = Actor("u1", "保安", "guard")
    assert auto_backup(station_session) is not None
    with pytest.raises(NotAllowed):
        maintenance.backup(station_session)
    assert [b.kind for b in list_backups(db_path)] == [AUTOMATIC]


def test_no_backup_fills_the_disk(station_session, db_path, tmp_path, monkeypatch):
    household(station_session)
    before = dump(db_path)
    real = maintenance.shutil.disk_usage

    def nearly_full(path):
        usage = real(path)
        return usage._replace(free=maintenance.SPARE_BYTES + 1000)
    monkeypatch.setattr(maintenance.shutil, "disk_usage", nearly_full)
    for make in (lambda: maintenance.backup(station_session), lambda: auto_backup(station_session),
                 lambda: import_ledger(station_session, simple_ledger(
                     tmp_path / "l.xlsx", [["张三", "", "", "", "", "阳光花园", "1", "", "101", "", ""]]))):
        with pytest.raises(RedStationError, match="空间") as refused:
            make()
    assert "未导入" in str(refused.value)
    assert dump(db_path) == before and list(paths.backup_dir(db_path).iterdir()) == []


# --- before an import ---------------------------------------------------------------------------------------------

def test_a_ledger_import_takes_a_backup_first_and_a_dry_run_none(station_session, db_path, tmp_path):
    household(station_session, room="101")
    ledger = simple_ledger(tmp_path / "l.xlsx", [["张三", "", "", "", "", "阳光花园", "1", "", "101", "", ""],
                                                 ["李四", "", "", "", "", "阳光花园", "1", "", "102", "", ""]])
    import_ledger(station_session, ledger, dry_run=True)
    assert list_backups(db_path) == []
    result = import_ledger(station_session, ledger)
    assert result.imported == 2
    (made,) = list_backups(db_path)
    assert made.kind == BEFORE_IMPORT and str(made.path) == result.backup
    assert made.path.name.startswith("station-before-import-")
    assert counts(made.path)[:2] == [1, 0]                         # the database as it was before the import
    assert counts(db_path)[1] == 2
    last = station_session.conn.execute("SELECT action, detail FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    assert last[0] == "ledger.import" and made.path.name in last[1]


def test_a_failed_import_leaves_no_backup_and_no_change(station_session, db_path, tmp_path, monkeypatch):
    ledger = simple_ledger(tmp_path / "l.xlsx", [["张三", "", "", "", "", "阳光花园", "1", "", "101", "", ""]])
    before = dump(db_path)

    def broken(*args, **kwargs):
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr(maintenance, "_copy", broken)
    with pytest.raises(RedStationError, match="备份"):
        import_ledger(station_session, ledger)
    assert dump(db_path) == before and list_backups(db_path) == []


def test_a_bundle_import_takes_its_backup_the_same_way_and_none_when_it_changes_nothing(station_session, tmp_path,
                                                                                          db_path):
    household(station_session)
    with Session.open(tmp_path / "other.db", Actor.command_line()) as other:
        station.init_station(other, "乙站", "乙社区", "幸福街道")
        household(other, room="909")
        exchange.export_bundle(other, tmp_path / "b.xlsx")
    assert exchange.import_bundle(station_session, tmp_path / "b.xlsx", trust=True, dry_run=True).backup is None
    assert list_backups(db_path) == []
    result = exchange.import_bundle(station_session, tmp_path / "b.xlsx", trust=True)
    (made,) = list_backups(db_path)
    assert made.kind == BEFORE_IMPORT and str(made.path) == result.backup
    assert counts(made.path)[0] == 1 and counts(db_path)[0] == 2
    again = exchange.import_bundle(station_session, tmp_path / "b.xlsx")   # nothing new: the way back stays
    assert again.backup is None and list_backups(db_path) == [made]


def test_many_imports_on_one_day_keep_the_way_back_to_before_the_first_and_the_last(station_session, tmp_path,
                                                                                    db_path):
    made = [import_ledger(station_session, simple_ledger(
        tmp_path / "{n}.xlsx".format(n=n), [["人{n}".format(n=n), "", "", "", "", "阳光花园", "1", "", str(101 + n), "", ""]]))
        for n in range(4)]                                   # a street office merges bundle after bundle
    kept = {str(b.path) for b in list_backups(db_path)}
    assert kept == {made[0].backup, made[-1].backup}          # not one full copy per import
    assert counts(made[0].backup)[1] == 0 and counts(made[-1].backup)[1] == 3
    when = maintenance.parse_name(Path(made[0].backup).name)[2]
    tomorrow = prune_backups(db_path, now=when + timedelta(days=1))   # a day on, the newest of that day stays
    assert [str(p) for p in tomorrow] == [made[0].backup]


def test_backups_of_two_databases_of_the_same_name_are_never_mixed(tmp_path):
    made = {}
    for name in ("甲", "乙"):
        path = tmp_path / name / "redstation.db"
        path.parent.mkdir()
        with Session.open(path, Actor.command_line()) as s:
            station.init_station(s, name + "站", name + "社区", "幸福街道")
            household(s)
            made[name] = maintenance.backup(s, now=datetime(2026, 11, 20, 9, 0))
    assert made["甲"].parent == tmp_path / "甲" / "backups" and made["乙"].parent == tmp_path / "乙" / "backups"
    assert [b.path for b in list_backups(tmp_path / "甲" / "redstation.db")] == [made["甲"]]
    assert maintenance.newest_good_backup(tmp_path / "乙" / "redstation.db").path == made["乙"]


def test_an_import_the_user_may_not_make_leaves_no_backup(station_session, tmp_path, db_path):
    ledger = simple_ledger(tmp_path / "l.xlsx", [["张三", "", "", "", "", "阳光花园", "1", "", "101", "", ""]])
    station_session.actor = Actor("u1", "保安", "guard")
    with pytest.raises(NotAllowed):
        import_ledger(station_session, ledger)
    assert list_backups(db_path) == []


# --- the kinds listed ---------------------------------------------------------------------------------------------

def test_list_backups_names_every_kind_newest_first(station_session, db_path, tmp_path):
    household(station_session)
    t = datetime(2026, 11, 20, 9, 0)
    manual = maintenance.backup(station_session, now=t)
    auto = auto_backup(station_session, now=t + timedelta(days=1))
    ledger = simple_ledger(tmp_path / "l.xlsx", [["张三", "", "", "", "", "阳光花园", "1", "", "101", "", ""]])
    import_ledger(station_session, ledger)                                  # now
    upgrade = db.backup_before_migration(station_session.conn, db_path, 1)  # now, a second later at most
    safety = maintenance.restore(station_session, manual)
    (paths.backup_dir(db_path) / "notes.txt").write_text("mine")
    (paths.backup_dir(db_path) / "station-auto-20261122-090000.db.partial").write_bytes(b"half")
    listed = list_backups(db_path)
    kinds = [b.kind for b in listed]
    assert sorted(kinds) == sorted([MANUAL, AUTOMATIC, BEFORE_IMPORT, BEFORE_UPGRADE, BEFORE_RESTORE])
    assert [b.when for b in listed] == sorted((b.when for b in listed), reverse=True)
    assert kinds[-2:] == [AUTOMATIC, MANUAL]
    by_kind = {b.kind: b for b in listed}
    assert by_kind[MANUAL].path == manual and by_kind[AUTOMATIC].path == auto
    assert by_kind[BEFORE_UPGRADE].path == upgrade and by_kind[BEFORE_RESTORE].path == safety
    assert all(b.size == b.path.stat().st_size > 0 and b.database == "station" for b in listed)
    assert {b.label for b in listed} == {"自动", "手动", "导入前", "升级前", "恢复前"}


# --- restore ------------------------------------------------------------------------------------------------------

@pytest.fixture
def good_backup(station_session):
    household(station_session, room="101")
    return maintenance.backup(station_session)


def damaged_copy(good: Path, out: Path) -> Path:
    data = bytearray(good.read_bytes())
    page = 4096
    for n in range(2, len(data) // page):   # scribble over every page's header but the first
        data[n * page:n * page + 16] = b"\xff" * 16
    out.write_bytes(bytes(data))
    return out


def foreign_database(good: Path, out: Path) -> Path:
    conn = sqlite3.connect(out)
    conn.execute("CREATE TABLE notes (text)")
    conn.execute("INSERT INTO notes VALUES ('shopping list')")
    conn.commit()
    conn.close()
    return out


def truncated_copy(good: Path, out: Path) -> Path:
    out.write_bytes(good.read_bytes()[:len(good.read_bytes()) // 3])
    return out


def newer_copy(good: Path, out: Path) -> Path:
    out.write_bytes(good.read_bytes())
    conn = sqlite3.connect(out)
    conn.execute("PRAGMA user_version = {n}".format(n=db.SCHEMA_VERSION + 1))
    conn.commit()
    conn.close()
    return out


@pytest.mark.parametrize("make, says", [
    (damaged_copy, "损坏"),
    (foreign_database, "其他程序"),
    (truncated_copy, "损坏"),
    (newer_copy, "更新版本"),
    (lambda good, out: out.with_name("missing.db"), "missing.db"),
    (lambda good, out: (out.write_bytes(os.urandom(5000)), out)[1], "不是"),
])
def test_restore_refuses_a_bad_file_and_changes_nothing(station_session, db_path, good_backup, tmp_path, make, says):
    household(station_session, room="102")
    bad = make(good_backup, tmp_path / "bad.db")
    before, backups_before = dump(db_path), list_backups(db_path)
    with pytest.raises(RedStationError) as refused:
        maintenance.restore(station_session, bad)
    message = str(refused.value)
    assert says in message and "\n" not in message, message
    assert dump(db_path) == before
    assert list_backups(db_path) == backups_before                         # not even the safety backup was made


def test_restore_of_a_good_backup_keeps_a_safety_backup_of_the_current_data(station_session, db_path, good_backup):
    household(station_session, room="102")
    assert counts(db_path)[0] == 2
    safety = maintenance.restore(station_session, good_backup)
    assert counts(db_path)[0] == 1 and maintenance.check(station_session) == []
    assert counts(safety)[0] == 2 and maintenance.parse_name(safety.name)[1] == BEFORE_RESTORE
    assert good_backup.exists()
    last = station_session.conn.execute("SELECT action FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()[0]
    assert last == "restore"


def test_a_restore_keeps_every_audit_entry_made_since_the_backup(station_session, db_path, good_backup, tmp_path):
    from redstation.excel.ledger_export import export_ledger
    export_ledger(station_session, tmp_path / "全部.xlsx", unmasked=True)    # what someone might want to hide
    actions_before = [r[0] for r in station_session.conn.execute("SELECT action FROM audit_log ORDER BY seq")]
    maintenance.restore(station_session, good_backup)
    actions = [r[0] for r in station_session.conn.execute("SELECT action FROM audit_log ORDER BY seq")]
    assert actions == actions_before + ["restore"] and "ledger.export" in actions
    assert maintenance.check(station_session) == []                      # and the chain holds
    detail = station_session.conn.execute("SELECT detail FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()[0]
    assert '"entries_carried_over": ' in detail


def test_restoring_another_history_says_how_many_entries_its_log_replaced(station_session, db_path, tmp_path):
    household(station_session)
    with Session.open(tmp_path / "other.db", Actor.command_line()) as other:
        station.init_station(other, "乙站", "乙社区", "幸福街道")
        foreign = maintenance.backup(other, tmp_path / "other-copy.db")
    count = station_session.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    safety = maintenance.restore(station_session, foreign)
    assert maintenance.check(station_session) == []
    last = station_session.conn.execute("SELECT action, detail FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    assert last[0] == "restore" and '"entries_replaced": {n}'.format(n=count) in last[1] and safety.name in last[1]


def test_only_the_manager_restores(station_session, db_path, good_backup):
    station_session.actor = Actor("u1", "窗口", "desk")
    before = dump(db_path)
    with pytest.raises(NotAllowed):
        maintenance.restore(station_session, good_backup)
    assert dump(db_path) == before and [b.kind for b in list_backups(db_path)] == [MANUAL]


def test_the_database_is_not_restored_onto_itself(station_session, db_path):
    with pytest.raises(RedStationError):
        maintenance.restore(station_session, db_path)


def test_newest_good_backup_skips_damaged_ones(station_session, tmp_path, db_path):
    household(station_session)
    older = maintenance.backup(station_session, now=datetime(2026, 11, 1, 9, 0))
    newer = maintenance.backup(station_session, now=datetime(2026, 11, 2, 9, 0))
    damaged_copy(newer, newer)
    assert maintenance.newest_good_backup(db_path).path == older
    assert maintenance.newest_good_backup(db_path.with_name("other.db")) is None


def test_a_check_can_be_cancelled(good_backup):
    with pytest.raises(RedStationError):
        maintenance.check_file(good_backup, cancelled=lambda: True)
    assert maintenance.check_file(good_backup, cancelled=lambda: False) == []


# --- a database on a network share ----------------------------------------------------------------------------------

MOUNTS = """/dev/sda1 / ext4 rw,relatime 0 0
proc /proc proc rw 0 0
//nas/station /mnt/nas cifs rw,vers=3.0 0 0
server:/export /srv/nfs nfs4 rw 0 0
me@host:/data /home/me/remote fuse.sshfs rw 0 0
/dev/sdb1 /mnt/nas/usb ext4 rw 0 0
/dev/sdc1 /media/my\\040disk vfat rw 0 0
"""


@pytest.mark.parametrize("path, network", [
    ("/home/me/redstation.db", False),
    ("/mnt/nas/redstation.db", True),
    ("/mnt/nas/sub/dir/redstation.db", True),
    ("/mnt/nasty/redstation.db", False),               # a name that only starts like a mount point
    ("/srv/nfs/x.db", True),
    ("/home/me/remote/x.db", True),
    ("/mnt/nas/usb/x.db", False),                      # a local disk mounted inside the share
    ("/media/my disk/x.db", False),
])
def test_network_paths_on_linux(monkeypatch, path, network):
    monkeypatch.setattr(paths, "_platform", lambda: "linux")
    monkeypatch.setattr(paths, "_linux_mounts", lambda: MOUNTS)
    assert paths.is_network_path(path) is network


@pytest.mark.parametrize("path, network", [
    ("\\\\server\\share\\redstation.db", True),
    ("//server/share/redstation.db", True),
    ("\\\\?\\UNC\\server\\share\\redstation.db", True),
    ("C:\\Users\\me\\AppData\\Local\\RedStation\\redstation.db", False),
    ("Z:\\redstation.db", True),                       # a mapped network drive
    ("\\\\?\\Z:\\redstation.db", True),
    ("\\\\?\\C:\\redstation.db", False),
    ("d:/data/redstation.db", False),
])
def test_network_paths_on_windows(monkeypatch, path, network):
    asked = []

    def drive_type(root):
        asked.append(root)
        return paths.DRIVE_REMOTE if root == "Z:\\" else 3  # 3: a fixed disk
    monkeypatch.setattr(paths, "_platform", lambda: "win32")
    monkeypatch.setattr(paths, "_windows_drive_type", drive_type)
    assert paths.is_network_path(path) is network


def test_this_machines_temporary_folder_is_local(tmp_path):
    assert paths.is_network_path(tmp_path / "x.db") is False
