"""Opening, migrating and refusing databases."""

import sqlite3

import pytest

from redstation.store import db, records
from redstation.store.migrations import __name__ as _pkg  # noqa: F401  (the package must exist)

SYNC_COLUMNS = ["id", "version", "origin", "deleted", "created_at"]


def test_new_database_gets_the_whole_schema_and_the_pragmas(db_path):
    conn = db.connect(db_path)
    assert db.schema_version(conn) == db.SCHEMA_VERSION >= 1
    assert conn.execute("PRAGMA application_id").fetchone()[0] == db.APPLICATION_ID
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert set(records.SYNCED_TABLES) | set(records.LOCAL_TABLES) <= tables


@pytest.mark.parametrize("table", records.SYNCED_TABLES)
def test_every_synchronised_table_starts_with_the_sync_columns(db_path, table):
    conn = db.connect(db_path)
    columns = [r[1] for r in conn.execute("PRAGMA table_info({t})".format(t=table))]
    assert columns[:5] == SYNC_COLUMNS


def test_every_referring_column_is_indexed(db_path):
    """Without an index, each insert while a deferred reference dangles (a bundle import) scans the referring table."""
    conn = db.connect(db_path)
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    missing = []
    for table in tables:
        first_columns = {conn.execute("PRAGMA index_info({i})".format(i=index[1])).fetchone()[2]
                         for index in conn.execute("PRAGMA index_list({t})".format(t=table))}
        missing += ["{t}.{c}".format(t=table, c=fk[3]) for fk in conn.execute("PRAGMA foreign_key_list({t})".format(t=table))
                    if fk[3] not in first_columns]
    assert missing == []


def test_reopening_does_not_migrate_again(db_path):
    db.connect(db_path).execute("INSERT INTO settings VALUES ('x', '1')")
    conn = db.connect(db_path)
    assert conn.execute("SELECT value FROM settings WHERE key = 'x'").fetchone()[0] == "1"


def test_a_newer_database_is_refused_and_left_alone(db_path):
    conn = db.connect(db_path)
    conn.execute("PRAGMA user_version = {v}".format(v=db.SCHEMA_VERSION + 1))
    conn.close()
    before = db_path.read_bytes()
    with pytest.raises(db.DatabaseError, match="更新版本"):
        db.connect(db_path)
    assert db_path.read_bytes() == before


def test_a_file_that_is_not_sqlite_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "ledger.xlsx"
    path.write_bytes(b"PK\x03\x04 this is a spreadsheet, not a database" * 50)
    before = path.read_bytes()
    with pytest.raises(db.DatabaseError, match="ledger.xlsx"):
        db.connect(path)
    assert path.read_bytes() == before


def test_another_programs_sqlite_file_is_refused(tmp_path):
    path = tmp_path / "other.db"
    other = sqlite3.connect(path)
    other.execute("CREATE TABLE contacts (name TEXT)")
    other.commit()
    other.close()
    with pytest.raises(db.DatabaseError, match="其他程序"):
        db.connect(path)
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 0


def test_a_missing_file_is_not_created_when_asked_not_to(db_path):
    with pytest.raises(db.DatabaseError, match="redstation init"):
        db.connect(db_path, create=False)
    assert not db_path.exists()


def test_a_failing_migration_leaves_the_database_as_it_was(db_path, monkeypatch):
    good = db.migrations()
    monkeypatch.setattr(db, "migrations", lambda: good + [(len(good) + 1, "CREATE TABLE extra (x);\nSELECT no_such_function();")])
    monkeypatch.setattr(db, "SCHEMA_VERSION", len(good) + 1)
    with pytest.raises(sqlite3.OperationalError):
        db.connect(db_path)
    monkeypatch.undo()
    conn = db.connect(db_path)
    assert db.schema_version(conn) == len(good)
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'extra'").fetchone()[0] == 0


def test_migration_statements_split_around_triggers():
    sql = "CREATE TABLE a (x);\nCREATE TRIGGER t BEFORE UPDATE ON a\nBEGIN SELECT RAISE(ABORT, 'no'); END;\nCREATE TABLE b (y);\n"
    assert len(list(db._statements(sql))) == 3


def test_append_only_tables_refuse_updates(session):
    from redstation.services.station import init_station
    init_station(session, "站", "社区")
    with session.write("t") as change:
        h = change.insert("households", estate="阳光花园", building="1", room="101")
        v = change.insert("visits", household_id=h, visited_at="2026-11-01T09:00:00", visitor_name="保安甲", outcome="normal")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        session.conn.execute("UPDATE visits SET outcome = 'anomaly' WHERE id = ?", (v,))
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        session.conn.execute("DELETE FROM audit_log")
